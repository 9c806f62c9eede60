"""`opsctl index apply`: search index definitions as code, applied to the environment's service."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured
from opsctl.errors import InvalidInput

if TYPE_CHECKING:
    from opsctl.index_apply import IndexPlan
    from opsctl.indexes import IndexDefinition

app = typer.Typer(help="Search indexes as code (ragstack:rag.indexes).", no_args_is_help=True)


@app.command("apply")
def apply(
    stack: str = common.STACK,
    index: str | None = typer.Option(None, "--index", help="Only this declared index (default: all)."),
    dry_run: bool = common.DRY_RUN,
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Delete and recreate indexes whose change Azure cannot make in place."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before a rebuild deletes documents."),
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Create or update the declared indexes: the diff first, then only what differs."""
    from opsctl.dataplane import open_data_plane
    from opsctl.index_apply import apply_plans, plan_indexes, refusal
    from opsctl.indexes import load_index_definitions

    where = common.EnvArgs(stack, subscription, sandbox, project_dir)
    with where.locked(None if dry_run else lock_timeout) as (env, target):
        definitions = _selected(load_index_definitions(env), index)
        plane = open_data_plane(env, target)
        plans = plan_indexes(plane, definitions)
        if not structured(output):
            _print_diff(plans)
        refused = None if rebuild else refusal(plans, env.stack)
        if refused is not None:
            raise refused
        if not dry_run:
            _confirm_rebuilds(plans, yes=yes)
            apply_plans(plane, definitions, plans)
    _report(stack, plans, dry_run=dry_run, output=output)


def _selected(definitions: list[IndexDefinition], name: str | None) -> list[IndexDefinition]:
    if name is None:
        return definitions
    chosen = [d for d in definitions if d.name == name]
    if not chosen:
        declared = ", ".join(d.name for d in definitions) or "none"
        raise InvalidInput(f"--index: '{name}' is not declared in ragstack:rag.indexes; declared: {declared}")
    return chosen


def _confirm_rebuilds(plans: list[IndexPlan], *, yes: bool) -> None:
    for plan in (p for p in plans if p.action == "rebuild"):
        loss = f"index '{plan.name}' will be deleted and recreated: its {plan.documents} documents are lost"
        console().print(f"{loss} (re-ingest them with `opsctl ingest`)", highlight=False, markup=False)
        if not yes and not typer.confirm(f"Rebuild index '{plan.name}'?", err=True):
            raise typer.Abort()


def _print_diff(plans: list[IndexPlan]) -> None:
    rows: list[dict[str, Any]] = []
    for plan in plans:
        if not plan.exists:
            rows.append({"index": plan.name, "change": "+ create", "path": plan.file, "detail": ""})
        rows += [
            {
                "index": plan.name,
                "change": {"add": "+ add", "change": "~ change", "remove": "- remove"}[c.kind],
                "path": c.path,
                "detail": _detail(c.before, c.after) + (" (needs --rebuild)" if c.rebuild else ""),
            }
            for c in plan.changes
        ]
    if rows:
        print_table(rows, ["index", "change", "path", "detail"], title="index changes")


def _detail(before: Any, after: Any) -> str:
    from opsctl.index_apply import shown

    if before is None or after is None:
        return shown(after if before is None else before)
    return f"{shown(before)} -> {shown(after)}"


def _report(stack: str, plans: list[IndexPlan], *, dry_run: bool, output: OutputFormat) -> None:
    if structured(output):
        print_json({"stack": stack, "dryRun": dry_run, "indexes": [p.as_dict() for p in plans]})
        return
    for plan in plans:
        said = plan.action if dry_run or plan.result is None else plan.result
        prefix = "would " if dry_run and said != "up to date" else ""
        typer.echo(f"index {plan.name}: {prefix}{said}")
