"""Simulated time: operation durations, Retry-After and token buckets all run on this clock.

Two modes:

- wall-driven (`Clock(time_scale)`): simulated time runs `time_scale` times faster than the wall
  clock, for the background server (`opsctl sandbox start`) that humans and az drive. At 10000x a
  simulated 15-minute operation finishes in 0.09 s of wall time, whether or not a client looked.
- virtual (`Clock(virtual=True)`): simulated time stands still until a client waits; `sleep`
  advances it by the waited seconds and returns at once (a `delay` fault still holds a response
  for `to_wall` wall seconds: a slow server, during which no simulated time passes). A slow
  (loaded) thread sees nothing elapse, so an in-between state stays observable: in-process test
  sandboxes use this mode.

Concurrent sleepers each advance the clock by what they wait (25 janitor workers polling every
10 s move it 250 s): time only ever moves forward, so every deadline, Retry-After and bucket
refill compares against the same monotonic timeline, just reached sooner.

The simulated time is persisted by the state on every commit, every advance and on close, and
resumes from there after a restart, so an operation that was half done when the process stopped
is still half done (not finished, not restarted) when the sandbox comes back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """A monotonic simulated clock, wall-driven at `time_scale` or virtual (advanced by waits)."""

    def __init__(self, time_scale: float = 1.0, start: float | None = None, *, virtual: bool = False) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = float(time_scale)
        self.virtual = virtual
        self._lock = threading.Lock()
        self._origin_sim = time.time() if start is None else float(start)
        self._origin_wall = time.monotonic()
        self.on_advance: list[Callable[[float], None]] = []

    def now(self) -> float:
        """Simulated seconds since the epoch."""
        with self._lock:
            return self._now()

    def _now(self) -> float:
        if self.virtual:
            return self._origin_sim
        return self._origin_sim + (time.monotonic() - self._origin_wall) * self.time_scale

    def advance(self, seconds: float) -> float:
        """Jump the simulated clock forward (client waits, tests and the admin API use this)."""
        with self._lock:
            self._origin_sim += max(float(seconds), 0.0)
            now = self._now()
        for hook in self.on_advance:
            hook(now)
        return now

    def to_wall(self, sim_seconds: float) -> float:
        """Wall seconds that `sim_seconds` of simulated time take at `time_scale`. A virtual clock
        uses it only for a `delay` fault (a slow server holds the connection in wall time while
        simulated time stands still)."""
        return sim_seconds / self.time_scale

    def sleep(self, sim_seconds: float) -> None:
        """Wait `sim_seconds` of simulated time: advance a virtual clock, sleep on a wall-driven one."""
        if self.virtual:
            self.advance(sim_seconds)
        else:
            time.sleep(max(sim_seconds, 0.0) / self.time_scale)


def iso(ts: float) -> str:
    """ARM timestamp format (UTC, 7 fractional digits like ARM emits)."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{whole}.{int((ts % 1) * 10_000_000):07d}Z"
