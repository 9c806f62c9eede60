"""ARM request throttling: token buckets per subscription and principal, per operation type.

Limits (since 2024) come from `infra.catalog.arm.ARM_REQUEST_LIMITS` (reads 250 burst / 25 per s,
writes and deletes 200 / 10 per s; arm-facts §9, ops-pitfalls X-1).
Buckets refill on the simulated clock so that a client sleeping the Retry-After we send
(scaled by the test fixture) finds a token when it retries.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from infra.catalog.arm import ARM_REQUEST_LIMITS

OP_TYPE = {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}  # everything else: writes


def op_type(method: str) -> str:
    return OP_TYPE.get(method.upper(), "writes")


@dataclass
class Bucket:
    capacity: float
    refill_per_second: float


def _limit(kind: str) -> Bucket:
    spec = ARM_REQUEST_LIMITS[kind]
    return Bucket(spec.capacity, spec.refill_per_second)


@dataclass
class ThrottleConfig:
    """Bucket sizes and refill rates; `enabled=False` never throttles (headers still sent)."""

    enabled: bool = True
    reads: Bucket = field(default_factory=lambda: _limit("reads"))
    writes: Bucket = field(default_factory=lambda: _limit("writes"))
    deletes: Bucket = field(default_factory=lambda: _limit("deletes"))

    def bucket(self, kind: str) -> Bucket:
        return {"reads": self.reads, "writes": self.writes, "deletes": self.deletes}[kind]


@dataclass
class Verdict:
    allowed: bool
    remaining: int
    retry_after: int


class Throttler:
    def __init__(self, config: ThrottleConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._levels: dict[tuple[str, str, str], tuple[float, float]] = {}

    def take(self, scope: str, principal: str, kind: str, now: float) -> Verdict:
        """Spend one token of `kind` for (scope, principal) at simulated time `now`."""
        spec = self.config.bucket(kind)
        key = (scope.lower(), principal.lower(), kind)
        with self._lock:
            level, at = self._levels.get(key, (spec.capacity, now))
            level = min(spec.capacity, level + max(0.0, now - at) * spec.refill_per_second)
            if level >= 1 or not self.config.enabled:
                level = max(level - 1, 0.0)
                self._levels[key] = (level, now)
                return Verdict(True, int(level), 0)
            self._levels[key] = (level, now)
            wait = (1 - level) / spec.refill_per_second if spec.refill_per_second > 0 else 60
            return Verdict(False, 0, max(1, math.ceil(wait)))

    def reset(self) -> None:
        with self._lock:
            self._levels.clear()


def throttled_message(kind: str, subscription: str, actor: str, retry_after: int) -> str:
    """The live text (velero-io/velero#9171, code SubscriptionRequestsThrottled)."""
    word = {"reads": "read", "writes": "write", "deletes": "delete"}[kind]
    return (
        f"Number of '{word}' requests for subscription '{subscription}' actor '{actor}' exceeded. "
        f"Please try again after '{retry_after}' seconds after additional tokens are available. "
        "Refer to https://aka.ms/arm-throttling for additional information."
    )
