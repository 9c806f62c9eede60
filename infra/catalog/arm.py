"""Azure Resource Manager request limits: the budget every opsctl caller shares.

Source: learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
(token-bucket version, since 2024; arm-facts §9, ops-pitfalls X-1): per region, per subscription and
service principal, per operation type. A throttled call gets 429 with `Retry-After` (seconds).
Not confirmed: the global per-subscription cap (15x) is not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenBucket:
    capacity: int
    refill_per_second: float


ARM_REQUEST_LIMITS = {
    "reads": TokenBucket(250, 25),
    "writes": TokenBucket(200, 10),
    "deletes": TokenBucket(200, 10),
}
# The shortest poll interval ARM clients follow: Retry-After of 1 s or more (0 means "absent" to
# azure-core, which then waits 30 s; arm-facts §2.4).
MIN_POLL_INTERVAL_SECONDS = 1.0
