"""Per-deployment tokens- and requests-per-minute limits, on the sandbox's simulated clock.

A Standard deployment of capacity N allows N*1000 tokens and N*6 requests per minute
(infra.catalog.cognitive). Azure counts a request's tokens when it is admitted: the prompt's estimate
plus `max_tokens` (learn.microsoft.com azure/ai-foundry/openai/how-to/quota, "Understanding rate
limits"). The window here slides over 60 simulated seconds; Azure also enforces over 1 s and 10 s
sub-windows, which the sandbox does not model. Windows live in memory: a restart forgets them.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import deque
from dataclasses import dataclass

from infra.catalog.cognitive import RPM_PER_1000_TPM, TPM_PER_CAPACITY_UNIT
from sandbox.core.state import SandboxState

WINDOW = 60.0


@dataclass(frozen=True)
class Limits:
    tokens: int
    requests: int

    @classmethod
    def of_capacity(cls, capacity: int) -> Limits:
        tokens = capacity * TPM_PER_CAPACITY_UNIT
        return cls(tokens, max(1, tokens * RPM_PER_1000_TPM // 1000))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds, when refused
    remaining_tokens: int
    remaining_requests: int


class _Window:
    def __init__(self) -> None:
        self.events: deque[tuple[float, int]] = deque()

    def take(self, now: float, tokens: int, limits: Limits) -> Verdict:
        while self.events and self.events[0][0] <= now - WINDOW:
            self.events.popleft()
        used = sum(t for _, t in self.events)
        if used + tokens > limits.tokens or len(self.events) + 1 > limits.requests:
            wait = self._wait(now, tokens, limits)
            return Verdict(
                False, wait, max(0, limits.tokens - used), max(0, limits.requests - len(self.events))
            )
        self.events.append((now, tokens))
        return Verdict(True, 0, limits.tokens - used - tokens, limits.requests - len(self.events))

    def _wait(self, now: float, tokens: int, limits: Limits) -> int:
        """Seconds until enough of the window has expired for this request to fit."""
        used, count = sum(t for _, t in self.events), len(self.events)
        for at, spent in self.events:
            used, count = used - spent, count - 1
            if used + tokens <= limits.tokens and count + 1 <= limits.requests:
                return max(1, math.ceil(at + WINDOW - now))
        return math.ceil(WINDOW)


class RateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def take(self, deployment_id: str, now: float, tokens: int, limits: Limits) -> Verdict:
        with self._lock:
            window = self._windows.setdefault(deployment_id.lower(), _Window())
            return window.take(now, tokens, limits)


_LIMITERS: weakref.WeakKeyDictionary[SandboxState, RateLimiter] = weakref.WeakKeyDictionary()


def limiter(state: SandboxState) -> RateLimiter:
    return _LIMITERS.setdefault(state, RateLimiter())
