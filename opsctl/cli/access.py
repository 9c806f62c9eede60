"""`opsctl access grant|revoke|list`: role presets at resource scope."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from infra.stackfile import StackFile

from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured

app = typer.Typer(help="Grant, revoke and list access to an environment.", no_args_is_help=True)

PRINCIPAL = typer.Option(..., "--principal", help="Entra object id of the user, group or service principal.")
PRINCIPAL_TYPE = typer.Option(..., "--principal-type", help="User, Group or ServicePrincipal.")
PRESET = typer.Option(..., "--preset", help="Role preset: developer, ingestion or reader.")
CHANGE_COLUMNS = ["action", "role", "resource", "principal_id", "assignment"]


@app.command("grant")
def grant(
    stack: str = common.STACK,
    principal: str = PRINCIPAL,
    principal_type: str = PRINCIPAL_TYPE,
    preset: str = PRESET,
    dry_run: bool = common.DRY_RUN,
    write_back: bool = common.WRITE_BACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Give a principal a preset's roles on the environment's resources (idempotent)."""
    _change(
        "grant",
        common.EnvArgs(stack, subscription, sandbox, project_dir),
        principal=principal,
        principal_type=principal_type,
        preset=preset,
        dry_run=dry_run,
        write_back=write_back,
        output=output,
        lock_timeout=lock_timeout,
    )


@app.command("revoke")
def revoke(
    stack: str = common.STACK,
    principal: str = PRINCIPAL,
    principal_type: str = PRINCIPAL_TYPE,
    preset: str = PRESET,
    dry_run: bool = common.DRY_RUN,
    write_back: bool = common.WRITE_BACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Remove a preset's roles from a principal (a no-op where absent)."""
    _change(
        "revoke",
        common.EnvArgs(stack, subscription, sandbox, project_dir),
        principal=principal,
        principal_type=principal_type,
        preset=preset,
        dry_run=dry_run,
        write_back=write_back,
        output=output,
        lock_timeout=lock_timeout,
    )


@app.command("list")
def list_(
    stack: str = common.STACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Who has which role on which resource of the environment."""
    from opsctl import access

    env, target = common.open_environment(
        stack, subscription=subscription, sandbox=sandbox, project_dir=project_dir
    )
    rows = [asdict(a) for a in access.list_access(env, target)]
    if structured(output):
        print_json(rows)
    else:
        print_table(
            rows, ["resource", "role", "principal_id", "principal_type", "name"], title=f"access: {stack}"
        )


def _change(
    verb: str,
    where: common.EnvArgs,
    *,
    principal: str,
    principal_type: str,
    preset: str,
    dry_run: bool,
    write_back: bool,
    output: OutputFormat,
    lock_timeout: float,
) -> None:
    """Grant or revoke: validate first, apply, print, then record it in the stack file."""
    from opsctl import access

    access.validate_grant(principal, principal_type, preset)
    operation = access.grant if verb == "grant" else access.revoke
    with where.locked(None if dry_run else lock_timeout) as (env, target):
        changes = operation(
            env, target, principal_id=principal, principal_type=principal_type, preset=preset, dry_run=dry_run
        )
        _emit([asdict(c) for c in changes], output, f"{verb} {preset} on {where.stack}")
        if write_back and not dry_run:
            _record(env.stack_file, principal, principal_type, preset, granted=verb == "grant")


def _record(
    stack_file: StackFile, principal: str, principal_type: str, preset: str, *, granted: bool
) -> None:
    from opsctl.writeback import record_access

    for label in record_access(
        stack_file, principal_id=principal, principal_type=principal_type, preset=preset, granted=granted
    ):
        console().print(f"wrote {label} to the stack file")


def _emit(rows: list[dict[str, str]], output: OutputFormat, title: str) -> None:
    if structured(output):
        print_json(rows)
    else:
        print_table(rows, CHANGE_COLUMNS, title=title)
