"""Polling and retry loops that follow the target's clock and report progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from opsctl.errors import OpsError
from opsctl.target import Target

T = TypeVar("T")
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def wait_until(
    probe: Callable[[], T | None],
    *,
    target: Target,
    what: str,
    interval: float,
    timeout: float,
    progress: Progress = _quiet,
) -> T:
    """Call `probe` every `interval` target-seconds until it returns a value, or fail after `timeout`."""
    deadline = time.monotonic() + timeout / target.time_scale
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            raise OpsError(
                f"timed out after {timeout:.0f}s waiting for {what}",
                hint="the operation may still finish in Azure; check `opsctl status`",
            )
        progress(what)
        target.sleep(interval)


def retry_on_codes(
    call: Callable[[], T],
    *,
    target: Target,
    codes: frozenset[str],
    what: str,
    first_delay: float = 5.0,
    max_delay: float = 60.0,
    timeout: float = 600.0,
    progress: Progress = _quiet,
) -> T:
    """Run `call`, retrying with exponential backoff while it fails with one of the ARM error
    `codes` that mean "not yet" (a busy parent, an identity still replicating), up to `timeout`."""
    delay, waited = first_delay, 0.0
    while True:
        try:
            return call()
        except OpsError as exc:
            if exc.code not in codes or waited >= timeout:
                raise
            progress(f"{what}: {exc.code}; retrying in {delay:.0f}s")
        target.sleep(delay)
        waited += delay
        delay = min(delay * 2, max_delay)
