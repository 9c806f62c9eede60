"""Simulated time: operation durations, Retry-After and token buckets all run on this clock.

`time_scale=10000` makes a simulated 15-minute operation finish in 0.09 s of wall time. The
simulated time is persisted by the store on every commit and resumes from there after a restart,
so an operation that was half done when the process died is still half done (not finished, not
restarted) when the sandbox comes back.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """A monotonic simulated clock running `time_scale` times faster than the wall clock."""

    def __init__(self, time_scale: float = 1.0, start: float | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = float(time_scale)
        self._lock = threading.Lock()
        self._origin_sim = time.time() if start is None else float(start)
        self._origin_wall = time.monotonic()

    def now(self) -> float:
        """Simulated seconds since the epoch."""
        with self._lock:
            return self._origin_sim + (time.monotonic() - self._origin_wall) * self.time_scale

    def advance(self, seconds: float) -> None:
        """Jump the simulated clock forward (tests and the admin API use this)."""
        with self._lock:
            self._origin_sim += seconds

    def to_wall(self, sim_seconds: float) -> float:
        """Wall seconds that `sim_seconds` of simulated time take."""
        return sim_seconds / self.time_scale

    def sleep(self, sim_seconds: float) -> None:
        time.sleep(self.to_wall(sim_seconds))


def iso(ts: float) -> str:
    """ARM timestamp format (UTC, 7 fractional digits like ARM emits)."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{whole}.{int((ts % 1) * 10_000_000):07d}Z"
