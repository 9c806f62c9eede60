"""Polling loops that follow the target's clock and report progress (retries: opsctl.retry)."""

from __future__ import annotations

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
    deadline = target.now() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if target.now() >= deadline:
            raise OpsError(
                f"timed out after {timeout:.0f}s waiting for {what}",
                hint="the operation may still finish in Azure; check `opsctl status`",
            )
        progress(what)
        target.sleep(interval)
