"""`opsctl sandbox ...`: start, stop, inspect and reset the local ARM sandbox.

Thin over `sandbox.control`; the server, Starlette and the Azure SDKs are imported only
inside command bodies so `opsctl --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from opsctl.cli import sandbox_principal as principal
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, print_json, print_table, structured
from opsctl.cli.sandbox_admin import STATE_DIR, running_connection

app = typer.Typer(help="Run the local HTTPS Azure Resource Manager sandbox.", no_args_is_help=True)
StateDir = STATE_DIR


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
    output: OutputFormat = OUTPUT_OPTION,
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
    if structured(output):
        print_json(
            {
                "endpoint": conn.endpoint,
                "pid": info["pid"],
                "alreadyRunning": running is not None,
                "timeScale": info.get("time_scale"),
                "caBundle": conn.ca_path,
                "env": conn.env(),
            }
        )
        return
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
def stop(state_dir: Path | None = StateDir, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Stop the background sandbox (state is kept); stopping a stopped sandbox is a no-op."""
    from sandbox import control

    info = control.stop(state_dir)
    if structured(output):
        print_json({"stopped": info is not None, "pid": info["pid"] if info else None})
        return
    if info is None:
        typer.echo("no sandbox is running (nothing to stop)")
        return
    typer.echo(f"sandbox stopped (pid {info['pid']})")


@app.command()
def env(
    state_dir: Path | None = StateDir,
    fmt: str = typer.Option("shell", "--format", help="shell (for eval), json or dotenv."),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Print the variables az, azure-identity (DefaultAzureCredential too) and curl need:
    `eval "$(opsctl sandbox env)"`; `-o json` (or `--format json`) and `--query` as elsewhere."""
    if fmt not in ENV_FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(ENV_FORMATS)}", param_hint="--format")
    variables = running_connection(state_dir).env()
    if fmt == "json" or structured(output):
        print_json(variables)
        return
    for line in _env_lines(variables, fmt):
        typer.echo(line)


@app.command()
def token(
    state_dir: Path | None = StateDir,
    resource: str = typer.Option(
        "https://management.azure.com/", help="Resource (audience) or scope the token is for."
    ),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Print an access token of the operator principal, for curl:
    `curl -H "Authorization: Bearer $(opsctl sandbox token)" ...`; `-o json` gives its expiry too,
    with `az account get-access-token`'s keys."""
    from datetime import UTC, datetime

    scope = resource if resource.endswith("/.default") else resource.rstrip("/") + "/.default"
    conn = running_connection(state_dir)
    token = conn.credential().get_token(scope)
    if not structured(output):
        typer.echo(token.token)
        return
    print_json(
        {
            "accessToken": token.token,
            "expiresOn": datetime.fromtimestamp(token.expires_on, UTC).isoformat(),
            "tenant": conn.env().get("AZURE_TENANT_ID"),
            "tokenType": "Bearer",
        }
    )


@app.command()
def status(state_dir: Path | None = StateDir, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Endpoint, pid, uptime and resource counts."""
    from sandbox import control

    info = control.status(state_dir)
    doc = {
        "endpoint": info["endpoint"],
        "pid": info["pid"],
        "uptimeSeconds": info["uptime_seconds"],
        "timeScale": info["time_scale"],
        "caBundle": info["ca_path"],
        "subscriptionId": info.get("subscription_id"),
        "tenantId": info.get("tenant_id"),
        "resourceCounts": info.get("resource_counts") or {},
    }
    if structured(output):
        print_json(doc)
        return
    rows = [
        {"key": "endpoint", "value": doc["endpoint"]},
        {"key": "pid", "value": doc["pid"]},
        {"key": "uptime", "value": f"{doc['uptimeSeconds']:.0f}s"},
        {"key": "time scale", "value": f"{doc['timeScale']:g}"},
        {"key": "CA bundle", "value": doc["caBundle"]},
        *({"key": rtype, "value": n} for rtype, n in doc["resourceCounts"].items()),
    ]
    if not doc["resourceCounts"]:
        rows.append({"key": "resources", "value": 0})
    print_table(rows, ["key", "value"], title="ragstack sandbox")


@app.command()
def reset(
    dry_run: bool = principal.DRY_RUN,
    state_dir: Path | None = StateDir,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Forget every resource, operation, fault, principal and logged request (the operator and
    its Owner grant are seeded again); --dry-run lists what would go."""
    from sandbox import control

    doc = control.reset(state_dir, dry_run=dry_run)
    if structured(output):
        print_json(doc)
    elif dry_run:
        _say_reset_preview(doc)
    elif doc["running"] or doc["files"]:
        typer.echo("sandbox state reset")
    else:
        typer.echo("no sandbox state to reset")


def _say_reset_preview(doc: dict[str, Any]) -> None:
    if not doc["running"]:
        files = ", ".join(doc["files"]) or "none: nothing to reset"
        typer.echo(f"no sandbox is running; reset would remove its state files: {files}")
    else:
        if doc["principals"]:
            print_table(doc["principals"], principal.PRINCIPAL_COLUMNS, title="principals reset would drop")
        if doc["roleAssignments"]:
            print_table(
                doc["roleAssignments"],
                principal.ASSIGNMENT_COLUMNS,
                title="role assignments reset would drop",
            )
        if doc["resources"]:
            print_table(doc["resources"], ["type", "id"], title="resources reset would drop")
        typer.echo(f"reset would drop {_counts(doc)}; the operator and its Owner grant are seeded again")
    typer.echo("dry run: nothing changed")


def _counts(doc: dict[str, Any]) -> str:
    counts = {
        "principals": len(doc["principals"]),
        "role assignments": len(doc["roleAssignments"]),
        "resources": len(doc["resources"]),
        "faults": doc["faults"],
        "operations": doc["operations"],
        "logged requests": doc["requests"],
        **doc["otherRecords"],
    }
    return ", ".join(f"{n} {what}" for what, n in counts.items())


app.add_typer(principal.app, name="principal")
