"""`opsctl smoke`: every data-plane call the app makes, checked; exit 0 all pass, 1 a check failed."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured

SMOKE_FAILED_EXIT_CODE = 1
CHECK_COLUMNS = ["check", "target", "result", "detail"]


def smoke(
    stack: str = common.STACK,
    as_app: bool = typer.Option(
        False,
        "--as-app",
        help="Call as the app's managed identity (needs its identity endpoint: inside the environment, "
        "or the sandbox); default: the ambient credential.",
    ),
    wait: float = typer.Option(
        600.0,
        "--wait",
        min=0.0,
        help="Seconds (target time) to wait for role assignments that exist but have not propagated.",
    ),
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Check tokens, a query per index, a call per model deployment and a layout analysis, as the
    app makes them (exit 0 all pass, 1 a check failed)."""
    from opsctl.smoke import run_smoke

    env, target = common.open_environment(
        stack, subscription=subscription, sandbox=sandbox, project_dir=project_dir
    )
    note = console()
    report = run_smoke(
        env, target, as_app=as_app, wait=wait, progress=lambda line: note.print(line, markup=False)
    )
    rows = [asdict(check) for check in report.checks]
    caller = report.caller
    if structured(output):
        print_json(
            {
                "stack": stack,
                "target": target.kind,
                "passed": report.passed,
                "caller": asdict(caller) if caller else None,
                "checks": rows,
            }
        )
    else:
        who = "?" if caller is None else ("the app's identity" if caller.is_app else caller.principal_id)
        verdict = "passed" if report.passed else "FAILED"
        print_table(rows, CHECK_COLUMNS, title=f"smoke {stack} ({target.kind}) as {who}: {verdict}")
    if not report.passed:
        raise typer.Exit(SMOKE_FAILED_EXIT_CODE)
