"""Model calls under a deployment's rate limit: wait what the 429 says, in the target's time, a bounded
number of times.

Azure OpenAI's 429 carries `retry-after-ms` and `retry-after` (learn.microsoft.com azure/ai-foundry/
openai/how-to/quota, "Understanding rate limits"; the openai SDK's own retry reads the same headers).
The SDK's retries are off (`DataPlane.openai_client(max_retries=0)`): its sleeps are wall time, the
sandbox's Retry-After is simulated time, which only `Target.sleep` converts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from opsctl.denied import with_role
from opsctl.errors import OpsError

if TYPE_CHECKING:
    from opsctl.dataplane import DataPlane
    from opsctl.target import Target

T = TypeVar("T")
MAX_THROTTLED_RETRIES = 10
MAX_WAIT_SECONDS = 120.0  # one wait: a 60 s window plus slack; longer hints are capped
FALLBACK_WAIT_SECONDS = 10.0  # no header at all (not seen from Azure OpenAI; [unverified])


OPENAI_USER = "Cognitive Services OpenAI User"  # the inference data actions (embeddings, chat)


def model_call(plane: DataPlane, call: Callable[[], T], *, what: str, preset: str) -> tuple[T, int]:
    """A model deployment's call: 429s waited out (`with_backoff`), a role that has not applied yet
    waited for, a missing one said in one line (`denied.with_role`)."""
    return with_role(
        plane, "openai", OPENAI_USER, partial(with_backoff, plane.target, call, what=what), preset=preset
    )


def with_backoff(target: Target, call: Callable[[], T], *, what: str) -> tuple[T, int]:
    """`call()`'s result and how many 429s were waited out; after MAX_THROTTLED_RETRIES, one line."""
    import openai

    for attempt in range(MAX_THROTTLED_RETRIES + 1):
        try:
            return call(), attempt
        except openai.RateLimitError as exc:
            if attempt == MAX_THROTTLED_RETRIES:
                raise OpsError(
                    f"{what} still throttled (429) after {MAX_THROTTLED_RETRIES} waits",
                    code="429",
                    hint="raise the deployment's capacity (ragstack:openai.deployments)",
                ) from exc
            target.sleep(retry_after_of(exc))
    raise AssertionError("unreachable")


def retry_after_of(exc: BaseException) -> float:
    """Seconds a throttled call's error asks to wait (azure-core and openai errors alike)."""
    return retry_after(getattr(getattr(exc, "response", None), "headers", None))


def retry_after(headers: object) -> float:
    """`retry-after-ms` or `retry-after` (seconds), capped at MAX_WAIT_SECONDS."""
    get = getattr(headers, "get", None)
    if get is None:
        return FALLBACK_WAIT_SECONDS
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = get(name)
        try:
            seconds = float(raw) / scale if raw is not None else None
        except ValueError:
            seconds = None
        if seconds is not None and seconds >= 0:
            return min(seconds, MAX_WAIT_SECONDS)
    return FALLBACK_WAIT_SECONDS
