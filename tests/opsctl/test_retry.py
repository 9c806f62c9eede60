"""The one retry policy's rules: which ARM answers mean "not yet", and how long it keeps trying."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core.pipeline import Pipeline
from azure.core.pipeline.transport import HttpTransport

from opsctl.retry import ArmRetryPolicy, not_yet_code

SEARCH_BUSY = (
    "Service update operations aren't allowed at this time because we're processing a previous request."
)


class Answer:
    def __init__(
        self, status: int, code: str | None = None, message: str = "", retry_after: str | None = None
    ):
        self.status_code = status
        self.headers = {"Retry-After": retry_after} if retry_after else {}
        self.reason = "x"
        self.content_type = "application/json"
        self.body_text = json.dumps({"error": {"code": code, "message": message}}) if code else ""

    def text(self, encoding: str | None = None) -> str:
        return self.body_text

    def read(self) -> bytes:
        return self.body_text.encode()

    def body(self) -> bytes:
        return self.read()


@pytest.mark.parametrize(
    ("status", "code", "message", "expected"),
    [
        (
            409,
            "RequestConflict",
            "Another operation is being performed on the parent resource",
            "RequestConflict",
        ),
        (409, "AnotherOperationInProgress", "busy", "AnotherOperationInProgress"),
        # Microsoft.App and others say "Conflict" for a busy parent (apiops#787, restler-fuzzer#416).
        (409, "Conflict", "Cannot modify: another operation is in progress", "Conflict"),
        (409, "Conflict", SEARCH_BUSY, None),  # search's busy wait is `scale search --wait-busy`
        (409, "Conflict", "The name is already in use", None),
        (400, "PrincipalNotFound", "Principal 123 does not exist in the directory", "PrincipalNotFound"),
        (409, "ServiceQuotaExceeded", "over quota", None),
        (404, "ResourceNotFound", "gone", None),
        (409, None, "", None),
    ],
)
def test_not_yet_answers_are_known_by_their_arm_code(status, code, message, expected) -> None:
    assert not_yet_code(Answer(status, code, message)) == expected


class Scripted(HttpTransport):  # type: ignore[type-arg]
    """Answers from a script; sleeps are recorded, not slept."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers
        self.sent = 0
        self.slept: list[float] = []

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.sent += 1
        answer = self.answers.pop(0)
        answer.request = request  # type: ignore[attr-defined]
        return answer

    def sleep(self, duration: float) -> None:
        self.slept.append(duration)

    def open(self) -> None: ...
    def close(self) -> None: ...
    def __exit__(self, *args: object) -> None: ...


def _send(policy: ArmRetryPolicy, transport: Scripted, method: str = "PUT") -> int:
    from azure.core.pipeline.transport import HttpRequest as LegacyRequest

    pipeline = Pipeline(transport, policies=[policy])  # type: ignore[list-item]
    response = pipeline.run(LegacyRequest(method, "https://arm/subscriptions/s/x/y")).http_response
    return int(response.status_code)


def test_a_busy_parent_is_retried_with_backoff_and_announced() -> None:
    notes: list[str] = []
    busy = [Answer(409, "RequestConflict", "Another operation is being performed") for _ in range(3)]
    transport = Scripted([*busy, Answer(200)])
    assert _send(ArmRetryPolicy(notify=notes.append), transport) == 200
    assert transport.slept == [5.0, 10.0, 20.0]
    assert len(notes) == 3 and notes[0].startswith("retrying PUT .../x/y in 5s: 409 RequestConflict")


def test_a_busy_parent_gives_up_when_its_budget_is_spent() -> None:
    busy = [Answer(409, "RequestConflict", "Another operation is being performed") for _ in range(30)]
    transport = Scripted(busy)
    assert _send(ArmRetryPolicy(notify=lambda _: None), transport) == 409
    assert sum(transport.slept) <= 600.0 and transport.sent < 30


def test_a_retry_after_beyond_the_budget_fails_at_once() -> None:
    transport = Scripted([Answer(429, retry_after="3600"), Answer(200)])
    assert _send(ArmRetryPolicy(notify=lambda _: None), transport) == 429
    assert transport.slept == []


def test_throttling_honours_retry_after() -> None:
    transport = Scripted([Answer(429, retry_after="7"), Answer(429, retry_after="3"), Answer(200)])
    assert _send(ArmRetryPolicy(notify=lambda _: None), transport) == 200
    assert transport.slept == [7.0, 3.0]


def test_a_patch_is_retried_on_a_server_error_like_a_put() -> None:
    transport = Scripted([Answer(502), Answer(200)])
    assert _send(ArmRetryPolicy(notify=lambda _: None), transport, method="PATCH") == 200


def test_a_real_conflict_is_not_retried() -> None:
    transport = Scripted([Answer(409, "Conflict", "The name is already in use"), Answer(200)])
    assert _send(ArmRetryPolicy(notify=lambda _: None), transport) == 409
    assert transport.sent == 1
