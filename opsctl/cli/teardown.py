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

    purging = purge if purge is not None else bool(plans) and all(p.ephemeral for p in plans)
    _show(plans, output, purge=purging, json_plan=dry_run)
    if dry_run or not plans:
        return
    if stack and not purging and not plans[0].resource_groups:
        _offer_purge(plans[0], stack)
        return
    if stack:
        confirm = _confirmation(plans[0], yes, confirm)
        lib.check_allowed(plans[0], yes=yes, confirm=confirm)
    plans, refused = _allowed(plans, yes=yes, confirm=confirm)
    if plans and not yes and not typer.confirm(f"Delete {len(plans)} environment(s)?", err=True):
        raise typer.Exit(1)
    with console().status("tearing down") as status:
        results = lib.teardown_many(
            target, plans, purge=purging, concurrency=concurrency, progress=status.update
        )
    _done(results + refused, output)
    if not purging:
        _note_held_names(results, stack)


def _offer_purge(plan: EnvironmentTeardown, stack: str) -> None:
    """Nothing left but soft-deleted accounts: say so, and how to free their names."""
    from opsctl import teardown as lib

    names = ", ".join(a.name for a in plan.soft_deleted)
    console().print(
        f"{plan.environment}: only soft-deleted accounts remain ({names}); they hold their names and "
        f"subdomains until purged: {lib.purge_command(plan, stack)}"
    )


def _note_held_names(results: list[EnvironmentTeardown], stack: str | None) -> None:
    """Deleted accounts stay soft-deleted (48 h) and block a redeploy under the same names."""
    from opsctl import teardown as lib

    for result in results:
        if result.deleted_accounts:
            console().print(
                f"{result.environment}: {len(result.deleted_accounts)} account(s) are soft-deleted and "
                f"hold their names; before redeploying, purge them: {lib.purge_command(result, stack)}"
            )


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


def _plan(plan: EnvironmentTeardown, *, purge: bool) -> dict[str, object]:
    from opsctl import teardown as lib

    steps = lib.planned_steps(plan, purge=purge)
    return {
        "environment": plan.environment,
        "resourceGroups": plan.resource_groups,
        "purgeOnlyGroups": plan.purge_only_groups,
        "protected": plan.protected,
        "locks": plan.locks,
        "ephemeral": plan.ephemeral,
        "purge": purge,
        "steps": [
            {"order": n, "action": action, "target": what} for n, (action, what) in enumerate(steps, 1)
        ],
    }


def _show(plans: list[EnvironmentTeardown], output: OutputFormat, *, purge: bool, json_plan: bool) -> None:
    """The ordered plan: a table for people; JSON for scripts on a dry run (a real run prints results)."""
    if structured(output):
        if json_plan:
            print_json([_plan(p, purge=purge) for p in plans])
        return
    if not plans:
        console().print("nothing to tear down")
        return
    from opsctl import teardown as lib

    rows: list[dict[str, object]] = []
    for plan in plans:
        notes = "; ".join(filter(None, ["protected" if plan.protected else "", *plan.locks])) or None
        rows += [
            {"environment": plan.environment, "order": n, "action": action, "target": what, "notes": notes}
            for n, (action, what) in enumerate(lib.planned_steps(plan, purge=purge), 1)
        ]
    print_table(
        rows, ["environment", "order", "action", "target", "notes"], title="will be deleted, in order"
    )


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
