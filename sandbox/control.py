"""Start, stop, inspect and reset a sandbox running as a detached background process.

`opsctl sandbox ...` is a thin layer over these functions. Expected failures raise
`OpsError`. Nothing heavy is imported at module level.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from opsctl.errors import OpsError
from sandbox.constants import CONNECTION_FILE, LOG_FILE, PORT_FILE, STATE_DIR_ENV


def default_state_dir() -> Path:
    return Path(os.environ.get(STATE_DIR_ENV) or Path.home() / ".ragstack" / "sandbox")


def _dir(state_dir: str | Path | None) -> Path:
    return Path(state_dir) if state_dir is not None else default_state_dir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _exited(pid)


def _exited(pid: int) -> bool:
    """An exited process that its parent has not reaped yet (a zombie): kill(pid, 0) still finds
    it. A detached sandbox's parent is init, which may reap late (a microVM's init: ~1.5 s).
    Linux's /proc says so (proc(5): state Z or X); elsewhere the process counts as running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rpartition(")")[2].split()  # the command name before it may hold spaces
    return bool(fields) and fields[0] in ("Z", "X")


def read_info(state_dir: str | Path | None = None) -> dict[str, Any] | None:
    """`sandbox.json` of a live sandbox, or None (a stale file from a dead process is removed).
    A file that is not a connection document is an OpsError: whether a sandbox still runs is
    unknown then, so nothing is removed or started over it."""
    path = _dir(state_dir) / CONNECTION_FILE
    if not path.exists():
        return None
    info = _parse_info(path)
    if not _alive(info["pid"]):
        path.unlink(missing_ok=True)
        return None
    return info


def _parse_info(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(info, dict) or not all(
            isinstance(info.get(k), str) for k in ("endpoint", "ca_path")
        ):
            raise ValueError("no endpoint and CA")
        pid = info.get("pid")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            raise ValueError("no pid")
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        reason = str(exc).splitlines()[0][:80] if str(exc) else exc.__class__.__name__
        raise OpsError(
            f"{path} is unreadable (not a sandbox connection file: {reason})",
            hint=f"if no sandbox process runs, remove it: rm {path}",
        ) from None
    return dict(info)


def remembered_port(state_dir: str | Path | None = None) -> int:
    """The port the sandbox in this state dir last listened on (0: none yet), so endpoints that
    clients and `az cloud register` keep stay valid across restarts."""
    try:
        port = int((_dir(state_dir) / PORT_FILE).read_text().strip())
    except (OSError, ValueError):
        return 0
    return port if 0 < port < 65536 and _port_free(port) else 0


def remember_port(state_dir: Path, port: int) -> None:
    (state_dir / PORT_FILE).write_text(f"{port}\n")


def _port_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_background(
    state_dir: str | Path | None = None,
    *,
    port: int | None = None,
    time_scale: float = 1.0,
    throttling: bool = True,
    principal_replication_delay: float = 0.0,
    role_propagation_delay: float = 300.0,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Spawn `python -m sandbox.server` detached and wait until it answers. `port=None` reuses
    the state dir's last port when free; 0 picks a new free one."""
    sdir = _dir(state_dir)
    if (running := read_info(sdir)) is not None:
        raise OpsError(
            f"sandbox already running at {running['endpoint']} (pid {running['pid']})",
            hint="opsctl sandbox stop",
        )
    sdir.mkdir(parents=True, exist_ok=True)
    if port is None:
        port = remembered_port(sdir)
    cmd = [
        sys.executable,
        "-m",
        "sandbox.server",
        "--state-dir",
        str(sdir),
        "--port",
        str(port),
        "--time-scale",
        str(time_scale),
        "--principal-replication-delay",
        str(principal_replication_delay),
        "--role-propagation-delay",
        str(role_propagation_delay),
    ]
    if not throttling:
        cmd.append("--no-throttling")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [_project_root(), os.environ.get("PYTHONPATH")])),
    }
    with (sdir / LOG_FILE).open("ab") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = read_info(sdir)
        if info is not None and info["pid"] == proc.pid and _healthy(info):
            return info
        if proc.poll() is not None:
            raise OpsError(f"sandbox exited with code {proc.returncode}", hint=f"see {sdir / LOG_FILE}")
        time.sleep(0.05)
    proc.terminate()
    raise OpsError(f"sandbox did not become healthy within {timeout:.0f}s", hint=f"see {sdir / LOG_FILE}")


def _project_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def _healthy(info: dict[str, Any]) -> bool:
    from sandbox.connection import SandboxAdmin, SandboxConnection

    conn = SandboxConnection.load_dict(info)
    with SandboxAdmin(conn, timeout=2.0) as admin:
        return admin.health()


def stop(state_dir: str | Path | None = None, *, timeout: float = 15.0) -> dict[str, Any] | None:
    """SIGTERM the background sandbox and wait for it to exit; None when none was running."""
    sdir = _dir(state_dir)
    info = read_info(sdir)
    if info is None:
        return None
    pid = int(info["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    (sdir / CONNECTION_FILE).unlink(missing_ok=True)
    return info


def status(state_dir: str | Path | None = None) -> dict[str, Any]:
    """Endpoint, pid, uptime and resource counts of the running sandbox."""
    info = read_info(state_dir)
    if info is None:
        raise OpsError("no sandbox is running", hint="opsctl sandbox start")
    from sandbox.connection import SandboxAdmin, SandboxConnection

    with SandboxAdmin(SandboxConnection.load_dict(info)) as admin:
        live = admin.status()
    return {**info, **live}


def reset(state_dir: str | Path | None = None, *, dry_run: bool = False) -> dict[str, Any]:
    """Forget all state: through the admin API when running, else by removing the database.
    `dry_run`: what would be dropped (the running sandbox's preview, else the files)."""
    sdir = _dir(state_dir)
    info = read_info(sdir)
    if info is not None:
        from sandbox.connection import SandboxAdmin, SandboxConnection

        with SandboxAdmin(SandboxConnection.load_dict(info)) as admin:
            return {"running": True, **admin.reset(dry_run=dry_run)}
    files = [
        sdir / name for name in ("sandbox.db", "sandbox.db-wal", "sandbox.db-shm") if (sdir / name).exists()
    ]
    if not dry_run:
        for path in files:
            path.unlink(missing_ok=True)
    return {"running": False, "files": [str(path) for path in files]}
