"""`opsctl teardown`: delete one stack, or every expired ephemeral environment, in the safe order."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsctl.cli import common
from opsctl.cli.output import (
    OUTPUT_OPTION,
    OutputFormat,
    console,
    print_error,
    print_json,
    print_table,
    structured,
)
from opsctl.errors import InvalidInput
from opsctl.janitor import DEFAULT_CONCURRENCY, MAX_CONCURRENCY

if TYPE_CHECKING:
    from opsctl.target import Target
    from opsctl.teardown import EnvironmentTeardown


def teardown(
    stack: str | None = typer.Option(None, "--stack", "-s", help="Stack to tear down."),
    all_ephemeral: bool = typer.Option(False, "--all-ephemeral", help="Every expired ephemeral environment."),
    older_than: str = typer.Option(
        "24h", "--older-than", help="With --all-ephemeral: minimum age (30m, 24h, 3d)."
    ),
    purge: bool | None = typer.Option(
        None,
        "--purge/--no-purge",
        help="Purge soft-deleted accounts (default: on for ephemeral environments).",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before deleting."),
    confirm: str | None = typer.Option(
        None, "--confirm", help="Protected environments: the name, typed back."
    ),
    concurrency: int = typer.Option(
        DEFAULT_CONCURRENCY,
        "--concurrency",
        min=1,
        max=MAX_CONCURRENCY,
        help="Environments deleted at once (default: what ARM's request limits sustain).",
    ),
    dry_run: bool = common.DRY_RUN,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Delete environments found by their ragstack tags: deployments, accounts, group, then purge."""
    from opsctl import teardown as lib

    if bool(stack) == all_ephemeral:
        raise InvalidInput("pass exactly one of --stack NAME or --all-ephemeral")
    age = lib.parse_age(older_than)
    # One stack is torn down under its lock; the janitor has no stack file to lock.
    where = common.EnvArgs(stack, subscription, sandbox, project_dir) if stack else None
    with where.locked(None if dry_run else lock_timeout) if where else nullcontext() as opened:
        if opened:
            env, target = opened
            plans = [p for p in [lib.plan_stack_teardown(target, env)] if p.has_work]
        else:
            target = common.open_target(subscription, sandbox=sandbox)
            plans = lib.select_expired(lib.find_ephemeral(target), older_than=age)
        _tear_down(
            target,
            plans,
            stack=stack,
            purge=purge,
            yes=yes,
            confirm=confirm,
            concurrency=concurrency,
            dry_run=dry_run,
            output=output,
        )


def _tear_down(
    target: Target,
    plans: list[EnvironmentTeardown],
    *,
    stack: str | None,
    purge: bool | None,
    yes: bool,
    confirm: str | None,
    concurrency: int,
    dry_run: bool,
    output: OutputFormat,
) -> None:
    """Show the plan, ask where needed, delete what is allowed, report."""
    from opsctl import teardown as lib

    _show(plans, output)
    if dry_run or not plans:
        return
    if stack:
        confirm = _confirmation(plans[0], yes, confirm)
        lib.check_allowed(plans[0], yes=yes, confirm=confirm)
    plans, refused = _allowed(plans, yes=yes, confirm=confirm)
    if plans and not yes and not typer.confirm(f"Delete {len(plans)} environment(s)?", err=True):
        raise typer.Exit(1)
    with console().status("tearing down") as status:
        results = lib.teardown_many(
            target,
            plans,
            purge=purge if purge is not None else all(p.ephemeral for p in plans),
            concurrency=concurrency,
            progress=status.update,
        )
    _done(results + refused, output)


def _allowed(
    plans: list[EnvironmentTeardown], *, yes: bool, confirm: str | None
) -> tuple[list[EnvironmentTeardown], list[EnvironmentTeardown]]:
    """A locked or protected environment is reported and skipped; the others still go."""
    from opsctl import teardown as lib
    from opsctl.errors import OpsError

    allowed, refused = [], []
    for plan in plans:
        try:
            lib.check_allowed(plan, yes=yes, confirm=confirm)
        except OpsError as exc:
            plan.error = exc.one_line()
            refused.append(plan)
        else:
            allowed.append(plan)
    return allowed, refused


def _confirmation(plan: EnvironmentTeardown, yes: bool, confirm: str | None) -> str | None:
    if not plan.protected or confirm is not None or not yes:
        return confirm
    return typer.prompt(f"'{plan.environment}' is protected; type its name to confirm", err=True)


def _rows(plans: list[EnvironmentTeardown]) -> list[dict[str, object]]:
    return [
        {
            "environment": p.environment,
            "resource_groups": ", ".join(p.resource_groups)
            or f"(purge only: {', '.join(p.purge_only_groups)})",
            "accounts": ", ".join(f"{a.name} ({len(a.deployments)} deployments)" for a in p.accounts),
            "protected": p.protected,
            "locks": "; ".join(p.locks) or None,
            "ephemeral": p.ephemeral,
        }
        for p in plans
    ]


def _show(plans: list[EnvironmentTeardown], output: OutputFormat) -> None:
    if output is OutputFormat.table:
        if not plans:
            console().print("nothing to tear down")
            return
        columns = ["environment", "resource_groups", "accounts", "protected", "locks", "ephemeral"]
        print_table(_rows(plans), columns, title="will be deleted")


def _result(result: EnvironmentTeardown) -> dict[str, object]:
    return {
        "environment": result.environment,
        "resource_groups": result.resource_groups or result.purge_only_groups,
        "done": result.done,
        "skipped": result.skipped,
        "error": result.error,
    }


def _done(results: list[EnvironmentTeardown], output: OutputFormat) -> None:
    if structured(output):
        print_json([_result(r) for r in results])
    else:
        for result in results:
            for step in [*result.done, *result.skipped]:
                console().print(f"{result.environment}: {step}")
            if result.error:
                print_error(f"{result.environment}: ", result.error)
    if any(r.error for r in results):
        raise typer.Exit(1)
