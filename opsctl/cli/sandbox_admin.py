"""What the `opsctl sandbox` commands share: the --state-dir option and calls to the running
sandbox (its connection, its admin API with refusals turned into one line)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from sandbox.connection import SandboxConnection

STATE_DIR = typer.Option(
    None,
    "--state-dir",
    help="State, keys and CA (default $RAGSTACK_SANDBOX_HOME or ~/.ragstack/sandbox).",
)


def running_connection(state_dir: Path | None) -> SandboxConnection:
    from opsctl.errors import OpsError
    from sandbox import control
    from sandbox.connection import SandboxConnection

    info = control.read_info(state_dir)
    if info is None:
        raise OpsError("no sandbox is running", hint="opsctl sandbox start")
    return SandboxConnection.load_dict(info)


def admin_call(state_dir: Path | None, call: Callable[[Any], Any]) -> Any:
    """Run `call(SandboxAdmin)` on the running sandbox; a refusal becomes one line."""
    import httpx

    from opsctl.errors import OpsError
    from sandbox.connection import SandboxAdmin

    with SandboxAdmin(running_connection(state_dir)) as admin:
        try:
            return call(admin)
        except httpx.HTTPStatusError as exc:
            try:
                message = exc.response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = exc.response.text
            raise OpsError(message, exit_code=2 if exc.response.status_code == 400 else 1) from None
