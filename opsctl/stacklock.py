"""One writer per stack at a time: a local file lock beside `Pulumi.<stack>.yaml`.

Two operators (or CI and an operator) changing one stack at once would otherwise both read the file,
both write to Azure and both write their copy back, so one change is lost (issue 9, item 4). The lock
is an OS lock (`filelock`: `flock` on Unix, `LockFileEx` on Windows), so a killed opsctl never
leaves it held; a sidecar file says who holds it and since when. The lock is re-entrant within a
thread, so a write-back inside a locked command does not wait for itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from opsctl.errors import OpsError

if TYPE_CHECKING:
    from filelock import FileLock

DEFAULT_LOCK_TIMEOUT = 120.0
COMMAND_LIMIT = 160
_held = threading.local()


@dataclass(frozen=True)
class Holder:
    """Who holds a stack's lock: enough to find the process or ask its operator."""

    pid: int
    host: str
    command: str
    since: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} ({self.command}) since {self.since}"


def lock_path(stack_file: Path) -> Path:
    """`.Pulumi.<stack>.yaml.lock` beside the stack file (ignored by git)."""
    return stack_file.with_name(f".{stack_file.name}.lock")


def holder_path(stack_file: Path) -> Path:
    return stack_file.with_name(f".{stack_file.name}.holder")


def read_holder(stack_file: Path) -> Holder | None:
    """The recorded holder, or None when there is none or it cannot be read."""
    try:
        return Holder(**json.loads(holder_path(stack_file).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def notify_waiting(stack_file: Path, holder: Holder | None) -> None:
    """One stderr line while this command waits for another one."""
    who = holder.describe() if holder else "another opsctl"
    sys.stderr.write(f"waiting for the lock on {stack_file.name}: held by {who}\n")


@contextlib.contextmanager
def stack_lock(
    stack_file: Path, *, timeout: float = DEFAULT_LOCK_TIMEOUT, command: str | None = None
) -> Iterator[None]:
    """Hold the stack's lock for the block, waiting up to `timeout` wall seconds for it."""
    key = str(stack_file.resolve())
    depth: dict[str, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    from filelock import FileLock

    lock = FileLock(lock_path(stack_file), thread_local=False)
    _acquire(lock, stack_file, timeout)
    depth[key] = 1
    try:
        _write_holder(stack_file, command)
        yield
    finally:
        depth[key] = 0
        with contextlib.suppress(OSError):
            holder_path(stack_file).unlink()
        lock.release()


def _acquire(lock: FileLock, stack_file: Path, timeout: float) -> None:
    from filelock import Timeout

    try:
        lock.acquire(blocking=False)
        return
    except Timeout:
        pass
    notify_waiting(stack_file, read_holder(stack_file))
    started = time.monotonic()
    try:
        lock.acquire(timeout=max(timeout, 0.0))
    except Timeout:
        holder = read_holder(stack_file)
        who = holder.describe() if holder else "another opsctl"
        raise OpsError(
            f"{stack_file.name} is locked by {who}; gave up after {time.monotonic() - started:.0f}s",
            code="StackLocked",
            hint="wait for that command to finish, or pass a larger --lock-timeout",
        ) from None


def _write_holder(stack_file: Path, command: str | None) -> None:
    """Replace the sidecar atomically, so a waiter never reads half of it."""
    holder = Holder(
        pid=os.getpid(),
        host=socket.gethostname(),
        command=(command or " ".join(["opsctl", *sys.argv[1:]]))[:COMMAND_LIMIT],
        since=dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
    target = holder_path(stack_file)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(holder), handle)
    os.replace(tmp, target)
