"""`opsctl sandbox ...`: start, stop, inspect and reset the local ARM sandbox.

Thin over `sandbox.control`; the server, Starlette and the Azure SDKs are imported only
inside command bodies so `opsctl --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Run the local HTTPS Azure Resource Manager sandbox.", no_args_is_help=True)

StateDir = typer.Option(
    None,
    "--state-dir",
    help="State, keys and CA (default $RAGSTACK_SANDBOX_HOME or ~/.ragstack/sandbox).",
)


@app.command()
def start(
    state_dir: Path | None = StateDir,
    port: int = typer.Option(0, help="Port on 127.0.0.1 (0 picks a free one)."),
    time_scale: float = typer.Option(
        60.0, help="Simulated seconds per wall second (60: a 15-minute search scale takes 15 s)."
    ),
    no_throttling: bool = typer.Option(False, "--no-throttling", help="Never answer 429."),
) -> None:
    """Start the sandbox in the background (a no-op when it runs) and print how to reach it."""
    from sandbox import control
    from sandbox.connection import SandboxConnection

    running = control.read_info(state_dir)
    info = running or control.start_background(
        state_dir, port=port, time_scale=time_scale, throttling=not no_throttling
    )
    conn = SandboxConnection.load_dict(info)
    verb = "already running" if running else "running"
    typer.echo(f"sandbox {verb} at {conn.endpoint} (pid {info['pid']})")
    typer.echo(f"CA bundle: {conn.ca_path}")
    typer.echo("opsctl needs nothing else. For other SDK clients and azure-identity, in a shell of")
    typer.echo("their own (these values would steer DefaultAzureCredential away from real Azure):")
    for key, value in conn.env().items():
        typer.echo(f"  export {key}={value}")


@app.command()
def stop(state_dir: Path | None = StateDir) -> None:
    """Stop the background sandbox (state is kept)."""
    from sandbox import control

    info = control.stop(state_dir)
    typer.echo(f"sandbox stopped (pid {info['pid']})")


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
