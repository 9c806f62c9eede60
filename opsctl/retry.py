"""One retry policy for every ARM request opsctl sends: writes, reads and LRO polls alike.

It is azure-core's `RetryPolicy` (408/429/5xx and connection errors, `Retry-After` honoured; its
sleeps go through the transport, so on the sandbox they follow the sandbox's clock), with three
changes (issue 9, item 5):

- PATCH is retried like PUT and DELETE. ARM PATCH is a JSON merge patch (ARM RPC
  resource-api-reference.md "Patch Resource"; RFC 7396), so sending it again is idempotent;
  azure-core retries PATCH only on 500/503/504, so one dropped connection failed `scale search`.
- "Not yet" answers are retried on their ARM error code, with their own backoff and budget: a busy
  parent (409 `RequestConflict`, `AnotherOperationInProgress`, or `Conflict` saying another
  operation is in progress: ops-pitfalls O-1, X-2; microsoft/restler-fuzzer#416) and a principal
  not yet replicated (`PrincipalNotFound`, R-4). A 409 without such a code is a real conflict and
  is not retried; neither is search's "previous request" (that is `scale search --wait-busy`).
- Every retry is bounded by a budget in target seconds (a `Retry-After` past it fails at once, X-3)
  and announced with one line, so an operator sees why a command waits.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import AzureError
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import RetryPolicy

# code -> budget in target seconds for answers that mean "try the same request again shortly".
NOT_YET: dict[str, float] = {
    "RequestConflict": 600.0,
    "AnotherOperationInProgress": 600.0,
    "Conflict": 600.0,
    "PrincipalNotFound": 300.0,
    # A container app still provisioning its previous write refuses the next one (409; many CI
    # reports, sandbox-audit App row); Azure users wait and send it again.
    "ContainerAppOperationInProgress": 600.0,
}
# A plain `Conflict` is retried only when its message says the parent is busy.
BUSY_MESSAGE = re.compile(r"another (conflicting )?operation", re.IGNORECASE)
TRANSIENT_BUDGET = 600.0
FIRST_DELAY, MAX_DELAY = 5.0, 60.0
IDEMPOTENT = frozenset({"HEAD", "GET", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})

Notify = Callable[[str], None]


def to_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")


class ArmRetryPolicy(RetryPolicy):
    """azure-core's RetryPolicy plus ARM's "not yet" codes, PATCH, a time budget and progress."""

    def __init__(self, *, notify: Notify = to_stderr, budget: float = TRANSIENT_BUDGET, **kwargs: Any):
        kwargs.setdefault("retry_total", 30)
        kwargs.setdefault("retry_status", 10)
        kwargs.setdefault("retry_connect", 5)
        kwargs.setdefault("retry_read", 5)
        super().__init__(**kwargs)
        self.notify = notify
        self.budget = budget

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        methods = options.pop("retry_on_methods", IDEMPOTENT)
        settings = super().configure_retries(options)
        settings.update(methods=methods, waited=0.0, not_yet=None, not_yet_count=0, next_delay=0.0)
        return settings

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        settings["not_yet"] = not_yet_code(response.http_response)
        return bool(settings["not_yet"]) or bool(super().is_retry(settings, response))

    def increment(
        self, settings: dict[str, Any], response: Any = None, error: Exception | None = None
    ) -> bool:
        code = settings["not_yet"] if error is None else None
        if code:
            settings["total"] -= 1  # counted, but a busy parent may take many tries within its budget
            settings["not_yet_count"] += 1
            delay = min(FIRST_DELAY * 2 ** (settings["not_yet_count"] - 1), MAX_DELAY)
            budget = NOT_YET[code]
        else:
            if not super().increment(settings, response=response, error=error):
                return False
            delay = self.get_backoff_time(settings)
            budget = self.budget
        if isinstance(response, PipelineResponse):
            delay = self.get_retry_after(response) or delay
        if settings["waited"] + delay > budget:
            return False
        settings["next_delay"] = delay
        self.notify(f"retrying {_what(response)} in {delay:g}s: {_why(response, error, code)}")
        return True

    def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        delay = settings["next_delay"]
        settings["waited"] += delay
        if delay > 0:
            transport.sleep(delay)


def not_yet_code(http_response: Any) -> str | None:
    """The ARM error code of a 400/409 answer that means "not yet", else None."""
    if http_response.status_code not in (400, 409):
        return None
    try:
        if hasattr(http_response, "read"):  # an LRO's first answer is streamed; error bodies are small
            http_response.read()
        error = json.loads(http_response.text()).get("error") or {}
    except (AzureError, ValueError, AttributeError, TypeError):
        return None
    code = error.get("code") if isinstance(error, dict) else None
    if code not in NOT_YET:
        return None
    if code == "Conflict" and not BUSY_MESSAGE.search(str(error.get("message", ""))):
        return None
    if code == "PrincipalNotFound" and http_response.status_code != 400:
        return None
    return str(code)


def _what(response: Any) -> str:
    request = response.http_request
    path = request.url.split("?", 1)[0]
    return f"{request.method} .../{'/'.join(path.rstrip('/').split('/')[-2:])}"


def _why(response: Any, error: Exception | None, code: str | None) -> str:
    if error is not None:
        return f"{type(error).__name__} ({str(error).splitlines()[0][:120]})"
    status = response.http_response.status_code
    return f"{status} {code}" if code else f"{status}"
