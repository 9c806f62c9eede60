"""`opsctl sandbox ...`: start, stop, inspect and reset the local ARM sandbox.

Thin over `sandbox.control`; the server, Starlette and the Azure SDKs are imported only
inside command bodies so `opsctl --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from sandbox.connection import SandboxConnection

app = typer.Typer(help="Run the local HTTPS Azure Resource Manager sandbox.", no_args_is_help=True)

StateDir = typer.Option(
    None,
    "--state-dir",
    help="State, keys and CA (default $RAGSTACK_SANDBOX_HOME or ~/.ragstack/sandbox).",
)


ENV_FORMATS = ("shell", "json", "dotenv")
DEFAULT_TIME_SCALE = 60.0


@app.command()
def start(
    state_dir: Path | None = StateDir,
    port: int | None = typer.Option(
        None, help="Port on 127.0.0.1 [default: the last one, else a free one; 0: a new free one]."
    ),
    time_scale: float | None = typer.Option(
        None,
        help="Simulated seconds per wall second [default: 60, a 15-minute search scale takes 15 s].",
    ),
    no_throttling: bool = typer.Option(False, "--no-throttling", help="Never answer 429."),
    principal_replication_delay: float = typer.Option(
        0.0, min=0.0, help="Simulated seconds a new principal stays unknown to ARM (PrincipalNotFound)."
    ),
    role_propagation_delay: float = typer.Option(
        300.0,
        min=0.0,
        help="Simulated seconds before data actions and image pulls see a new role assignment (0: at once).",
    ),
) -> None:
    """Start the sandbox in the background (a no-op when it runs) and print how to reach it.

    For az, SDKs and curl: `eval "$(opsctl sandbox env)"`, then e.g.
    `ResourceManagementClient(DefaultAzureCredential(), os.environ["AZURE_SUBSCRIPTION_ID"],
    base_url=os.environ["RAGSTACK_SANDBOX_ENDPOINT"])` (azure.identity,
    azure.mgmt.resource.resources) or `curl -H "Authorization: Bearer $(opsctl sandbox token)"
    "$RAGSTACK_SANDBOX_ENDPOINT/subscriptions?api-version=2022-12-01"`.
    """
    from sandbox import control
    from sandbox.connection import SandboxConnection

    running = control.read_info(state_dir)
    if running is not None:
        _warn_ignored(running, port=port, time_scale=time_scale)
    info = running or control.start_background(
        state_dir,
        port=port,
        time_scale=DEFAULT_TIME_SCALE if time_scale is None else time_scale,
        throttling=not no_throttling,
        principal_replication_delay=principal_replication_delay,
        role_propagation_delay=role_propagation_delay,
    )
    conn = SandboxConnection.load_dict(info)
    verb = "already running" if running else "running"
    typer.echo(f"sandbox {verb} at {conn.endpoint} (pid {info['pid']})")
    typer.echo(f"CA bundle: {conn.ca_path}")
    typer.echo("opsctl needs nothing else: it signs in as the operator, Owner of the subscription, unless")
    typer.echo("AZURE_CLIENT_ID and AZURE_CLIENT_SECRET name another sandbox principal (`opsctl sandbox")
    typer.echo("principal add`). For az, SDK clients, azure-identity and curl, in a shell of")
    typer.echo("their own (these values steer DefaultAzureCredential and az away from real Azure),")
    typer.echo('run `eval "$(opsctl sandbox env)"`, which sets:')
    for line in _env_lines(conn.env(), "shell"):
        typer.echo(f"  {line}")
    typer.echo("then:")
    for line in _recipe(conn.endpoint):
        typer.echo(f"  {line}")
    typer.echo("The README's sandbox section has SDK clients (base_url) and pulumi-azure-native settings.")


def _recipe(endpoint: str) -> list[str]:
    return [
        f"az cloud register -n ragstack-sandbox --endpoint-resource-manager {endpoint}/",
        "az cloud set -n ragstack-sandbox",
        'az login --service-principal -u "$AZURE_CLIENT_ID" -p "$AZURE_CLIENT_SECRET" \\',
        '  --tenant "$AZURE_TENANT_ID"      # or: az login --identity',
        'curl -H "Authorization: Bearer $(opsctl sandbox token)" \\',
        '  "$RAGSTACK_SANDBOX_ENDPOINT/subscriptions?api-version=2022-12-01"',
    ]


def _env_lines(variables: dict[str, str], fmt: str) -> list[str]:
    import shlex

    prefix = "export " if fmt == "shell" else ""
    return [f"{prefix}{key}={shlex.quote(value)}" for key, value in variables.items()]


def _warn_ignored(running: dict[str, object], *, port: int | None, time_scale: float | None) -> None:
    given = [
        f"--port (it listens at {running['endpoint']})" if port is not None else "",
        f"--time-scale (it runs at {running.get('time_scale')})" if time_scale is not None else "",
    ]
    if any(given):
        typer.echo(
            f"warning: the sandbox is already running; {' and '.join(g for g in given if g)} "
            "ignored: to change them, opsctl sandbox stop first",
            err=True,
        )


@app.command()
def stop(state_dir: Path | None = StateDir) -> None:
    """Stop the background sandbox (state is kept); stopping a stopped sandbox is a no-op."""
    from sandbox import control

    info = control.stop(state_dir)
    if info is None:
        typer.echo("no sandbox is running (nothing to stop)")
        return
    typer.echo(f"sandbox stopped (pid {info['pid']})")


@app.command()
def env(
    state_dir: Path | None = StateDir,
    fmt: str = typer.Option("shell", "--format", help="shell (for eval), json or dotenv."),
) -> None:
    """Print the variables az, azure-identity (DefaultAzureCredential too) and curl need:
    `eval "$(opsctl sandbox env)"`."""
    import json

    if fmt not in ENV_FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(ENV_FORMATS)}", param_hint="--format")
    variables = _running_connection(state_dir).env()
    if fmt == "json":
        typer.echo(json.dumps(variables, indent=2))
        return
    for line in _env_lines(variables, fmt):
        typer.echo(line)


@app.command()
def token(
    state_dir: Path | None = StateDir,
    resource: str = typer.Option(
        "https://management.azure.com/", help="Resource (audience) or scope the token is for."
    ),
) -> None:
    """Print an access token of the operator principal, for curl:
    `curl -H "Authorization: Bearer $(opsctl sandbox token)" ...`."""
    scope = resource if resource.endswith("/.default") else resource.rstrip("/") + "/.default"
    typer.echo(_running_connection(state_dir).credential().get_token(scope).token)


def _running_connection(state_dir: Path | None) -> SandboxConnection:
    from opsctl.errors import OpsError
    from sandbox import control
    from sandbox.connection import SandboxConnection

    info = control.read_info(state_dir)
    if info is None:
        raise OpsError("no sandbox is running", hint="opsctl sandbox start")
    return SandboxConnection.load_dict(info)


@app.command()
def status(state_dir: Path | None = StateDir) -> None:
    """Endpoint, pid, uptime and resource counts."""
    from rich.console import Console
    from rich.table import Table

    from sandbox import control

    info = control.status(state_dir)
    table = Table(title="ragstack sandbox", show_header=False)
    table.add_row("endpoint", info["endpoint"])
    table.add_row("pid", str(info["pid"]))
    table.add_row("uptime", f"{info['uptime_seconds']:.0f}s")
    table.add_row("time scale", f"{info['time_scale']:g}")
    table.add_row("CA bundle", info["ca_path"])
    counts = info.get("resource_counts") or {}
    for rtype, n in counts.items():
        table.add_row(rtype, str(n))
    if not counts:
        table.add_row("resources", "0")
    Console().print(table)


@app.command()
def reset(state_dir: Path | None = StateDir) -> None:
    """Forget every resource, operation, fault and logged request."""
    from sandbox import control

    control.reset(state_dir)
    typer.echo("sandbox state reset")


principal_app = typer.Typer(
    help="Users, groups and service principals of the sandbox's directory, and their roles.",
    no_args_is_help=True,
)
app.add_typer(principal_app, name="principal")


class PrincipalType(StrEnum):
    user = "User"
    group = "Group"
    service_principal = "ServicePrincipal"


@principal_app.command("add")
def principal_add(
    name: str = typer.Argument(..., help="Display name."),
    principal_type: PrincipalType = typer.Option(PrincipalType.service_principal, "--type"),
    object_id: str | None = typer.Option(None, help="Object id (default: a new GUID)."),
    client_id: str | None = typer.Option(None, help="Service principal: its app (client) id (default: new)."),
    secret: str | None = typer.Option(None, help="Service principal: a client secret it signs in with."),
    member: list[str] = typer.Option([], help="Group: a member's object id (repeatable)."),
    role: list[str] = typer.Option([], help="A built-in role at --scope (repeatable)."),
    scope: str | None = typer.Option(None, help="Scope of --role (default: the subscription)."),
    state_dir: Path | None = StateDir,
) -> None:
    """Register a principal (and grant it roles) so opsctl, SDKs or az can act as it."""
    kind = principal_type.value
    if kind != "ServicePrincipal" and (client_id or secret):
        raise typer.BadParameter("--client-id and --secret apply to --type ServicePrincipal only")
    if kind != "Group" and member:
        raise typer.BadParameter("--member applies to --type Group only")
    spec = {
        "display_name": name,
        "object_id": object_id,
        "client_id": client_id,
        "secret": secret,
        "members": member,
        "roles": [{"role": r, "scope": scope} for r in role],
    }
    doc = _admin_call(state_dir, lambda admin: admin.register_principal(kind, **spec))
    typer.echo(f"{kind} '{name}' object id {doc['objectId']}")
    if doc.get("appId"):
        typer.echo(f"  export AZURE_CLIENT_ID={doc['appId']}")
        if secret:
            typer.echo(f"  export AZURE_CLIENT_SECRET={secret}")
    for r in role:
        typer.echo(f"  role '{r}' at {scope or 'the subscription'}")


@principal_app.command("grant")
def principal_grant(
    object_id: str = typer.Argument(..., help="The principal's object id."),
    role: str = typer.Option(..., help="Built-in role name or GUID."),
    scope: str | None = typer.Option(None, help="Scope (default: the subscription)."),
    condition: str | None = typer.Option(None, help="ABAC condition (version 2.0); @FILE reads a file."),
    state_dir: Path | None = StateDir,
) -> None:
    """Assign a role to a registered principal (done by the sandbox, not through ARM)."""
    if condition and condition.startswith("@"):
        condition = Path(condition[1:]).read_text()
    doc = _admin_call(state_dir, lambda admin: admin.grant(object_id, role, scope=scope, condition=condition))
    typer.echo(f"role assignment {doc['name']}: '{role}' at {doc['properties']['scope']}")


@principal_app.command("list")
def principal_list(state_dir: Path | None = StateDir) -> None:
    """Every principal of the sandbox's directory."""
    for p in _admin_call(state_dir, lambda admin: admin.principals()):
        app_id = f" client id {p['appId']}" if p.get("appId") else ""
        typer.echo(f"{p['principalType']:<16} {p['objectId']} {p['displayName']}{app_id}")


def _admin_call(state_dir: Path | None, call: Callable[[Any], Any]) -> Any:
    """Run `call(SandboxAdmin)` on the running sandbox; a refusal becomes one line."""
    import httpx

    from opsctl.errors import OpsError
    from sandbox import control
    from sandbox.connection import SandboxAdmin, SandboxConnection

    info = control.read_info(state_dir)
    if info is None:
        raise OpsError("no sandbox is running", hint="opsctl sandbox start")
    with SandboxAdmin(SandboxConnection.load_dict(info)) as admin:
        try:
            return call(admin)
        except httpx.HTTPStatusError as exc:
            try:
                message = exc.response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = exc.response.text
            raise OpsError(message, exit_code=2 if exc.response.status_code == 400 else 1) from None
