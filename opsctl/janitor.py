"""How many environments teardown runs at once, and how it retries one that hit a transient fault.

The SDK's own retry policy absorbs short bursts of 429/5xx per request; when it gives up, the
janitor retries the whole environment (each step re-reads live state, so that is safe) after the
server's Retry-After or an exponential backoff, and holds back every other worker while the
subscription is throttled, before declaring the environment failed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from infra.catalog.arm import ARM_REQUEST_LIMITS, MIN_POLL_INTERVAL_SECONDS
from opsctl.arm_errors import status_code
from opsctl.errors import OpsError
from opsctl.target import Target

T = TypeVar("T")

# Deletes one environment spends: deployments, accounts, the group and the purges (dev: 7, bench
# `arm_calls`), with room for one more deployment.
DELETES_PER_ENVIRONMENT = 8
# An environment in flight waits on one long-running operation at a time, polling it at most once per
# MIN_POLL_INTERVAL_SECONDS; so the read bucket's refill bounds how many can poll without draining it,
# and the delete bucket's burst how many can start their deletes at once (ops-pitfalls T-6, X-1, X-5).
DEFAULT_CONCURRENCY = int(
    min(
        ARM_REQUEST_LIMITS["reads"].refill_per_second * MIN_POLL_INTERVAL_SECONDS,
        ARM_REQUEST_LIMITS["deletes"].capacity / DELETES_PER_ENVIRONMENT,
    )
)
# Beyond the default, polls spend the read burst and then meet 429s; allowed for slower pollers.
MAX_CONCURRENCY = 2 * DEFAULT_CONCURRENCY

ENVIRONMENT_ATTEMPTS = 4
FIRST_DELAY_SECONDS = 10.0
MAX_DELAY_SECONDS = 120.0
# Statuses azure-core's RetryPolicy retries too (arm-facts §9), and ARM's "parent busy" codes
# (ops-pitfalls O-1, X-2), which a later attempt gets past.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BUSY_CODES = frozenset({"RequestConflict", "AnotherOperationInProgress", "Conflict"})


class Gate:
    """Holds every worker back until a throttled subscription's Retry-After has passed."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._until = 0.0

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._target.now() + seconds)

    def wait(self) -> None:
        with self._lock:
            until = self._until
        remaining = until - self._target.now()
        if remaining > 0:
            self._target.sleep(remaining)


def transient_reason(exc: OpsError) -> str | None:
    """What makes `exc` worth another attempt (throttled, busy, server or connection error), or None."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    cause = exc.__cause__
    status = status_code(cause) if cause is not None else None
    if status == 429:
        return "throttled (429)"
    if exc.code in BUSY_CODES:
        return f"busy ({exc.code})"
    if status in TRANSIENT_STATUSES:
        return f"server error ({status})"
    if isinstance(cause, ServiceRequestError | ServiceResponseError):
        return "connection error"
    return None


def retry_after(exc: OpsError) -> float | None:
    """The server's Retry-After in seconds, when the failed response carried one."""
    response = getattr(exc.__cause__, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:  # an HTTP date: fall back to the backoff
        return None


def run_with_retries(
    call: Callable[[int], T],
    *,
    target: Target,
    gate: Gate,
    what: str,
    progress: Callable[[str], None],
    attempts: int = ENVIRONMENT_ATTEMPTS,
) -> T:
    """`call(attempt_number)` until it succeeds, fails for good, or `attempts` are spent."""
    delay = FIRST_DELAY_SECONDS
    for number in range(1, attempts + 1):
        gate.wait()
        try:
            return call(number)
        except OpsError as exc:
            reason = transient_reason(exc)
            if reason is None:
                raise
            if number == attempts:
                raise OpsError(
                    f"{exc.message} (gave up after {attempts} attempts)", code=exc.code, hint=exc.hint
                ) from exc
            wait = max(delay, retry_after(exc) or 0.0)
            if reason.startswith("throttled"):
                gate.hold(wait)
            progress(f"{what}: {reason}; retrying in {wait:.0f}s (attempt {number + 1} of {attempts})")
            target.sleep(wait)
            delay = min(delay * 2, MAX_DELAY_SECONDS)
    raise AssertionError("unreachable")  # pragma: no cover
