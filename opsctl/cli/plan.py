"""`opsctl plan` (offline) and `opsctl up|down --sandbox`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from opsctl import exitcodes
from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured
from opsctl.errors import InvalidInput

POLICY_EXIT_CODE = exitcodes.POLICY


class PlanFormat(StrEnum):
    plan = "plan"
    arm = "arm"


def plan(
    stack: str = common.STACK,
    diff_against: str | None = typer.Option(
        None, "--diff-against", help="A previous plan .json, a stack .yaml or name, or a git ref."
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 3) on medium findings too."),
    fmt: PlanFormat = typer.Option(PlanFormat.plan, "--format", help="plan, or arm for an ARM template."),
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Render the stack offline: resources, role matrix, outputs, policy findings, cost estimate."""
    from infra.policy import Finding, blocking
    from opsctl.plan import arm_template, diff_plans, load_baseline, plan_stack

    if fmt is PlanFormat.arm:
        print_json(arm_template(plan_stack(stack, project_dir, for_export=True)))
        return
    document = plan_stack(stack, project_dir)
    diff = None
    if diff_against:
        diff = diff_plans(load_baseline(diff_against, stack=stack, project_dir=project_dir), document)
        document["findings"] = [*document["findings"], *diff["findings"]]
    if structured(output):
        print_json(document if diff is None else {**document, "diff": diff})
    else:
        _print_plan(document, diff)
    findings = [Finding(f["rule"], f["severity"], f["resource"], f["message"]) for f in document["findings"]]
    if blocking(findings, strict=strict):
        raise typer.Exit(POLICY_EXIT_CODE)


def _print_plan(document: dict[str, Any], diff: dict[str, Any] | None) -> None:
    title = f"plan: {document['stack']} ({document['profile']} profile, {document['location']})"
    print_table(document["resources"], ["type", "azureName", "summary", "protect"], title=title)
    print_table(
        document["roleMatrix"], ["role", "resource", "principalType", "principalId"], title="role matrix"
    )
    outputs = [
        {"output": k, "value": v} for k, v in sorted(document["outputs"].items()) if not isinstance(v, list)
    ]
    print_table(outputs, ["output", "value"], title="stack outputs")
    if document.get("indexes"):
        print_table(document["indexes"], ["name", "file", "fields", "vectorFields"], title="search indexes")
    if document["findings"]:
        print_table(
            document["findings"], ["severity", "rule", "resource", "message"], title="policy findings"
        )
    cost = document["cost"]
    print_table(
        [
            {"resource": ln["resource"], "monthly (USD)": f"{ln['monthly_usd']:.2f}", "basis": ln["basis"]}
            for ln in cost["lines"]
        ],
        ["resource", "monthly (USD)", "basis"],
        title=f"{cost['label']}: {cost['total_monthly_usd']:.2f} USD/month (list prices, {cost['as_of']})",
    )
    if diff is not None:
        _print_diff(diff)


def _print_diff(diff: dict[str, Any]) -> None:
    rows = [{"change": "+ add", "resource": r["key"], "detail": r.get("summary")} for r in diff["added"]]
    rows += [
        {"change": "- remove", "resource": r["key"], "detail": r.get("summary")} for r in diff["removed"]
    ]
    rows += [
        {"change": "+- replace", "resource": r["key"], "detail": f"{_replace_detail(r)}"}
        for r in diff["replaced"]
    ]
    rows += [
        {
            "change": "~ change",
            "resource": c["key"],
            "detail": f"{ch['path']}: {ch['before']!r} -> {ch['after']!r}",
        }
        for c in diff["changed"]
        for ch in c["changes"]
    ]
    counts = diff["counts"]
    summary = ", ".join(f"{counts[k]} to {k}" for k in ("add", "change", "replace", "remove"))
    if rows:
        print_table(rows, ["change", "resource", "detail"], title=f"changes against the baseline: {summary}")
    else:
        console().print("no changes against the baseline")


def _replace_detail(replaced: dict[str, Any]) -> str:
    changes = "; ".join(f"{c['path']}: {c['before']!r} -> {c['after']!r}" for c in replaced["changes"])
    return f"{', '.join(replaced['reasons'])} ({changes})"


def up(
    stack: str = common.STACK,
    sandbox: bool = typer.Option(..., "--sandbox", help="Deploy into the local sandbox (required)."),
    dry_run: bool = common.DRY_RUN,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Deploy the stack into the sandbox with the real program; re-runs write only what changed.
    Any stack can be rehearsed: its subscription is mapped to the sandbox's (said on stderr)."""
    from opsctl.deploy import deploy

    with common.stack_locked(stack, project_dir, None if dry_run else lock_timeout):
        env, target = common.open_environment(stack, subscription=None, sandbox=True, project_dir=project_dir)
        with console().status("previewing" if dry_run else "deploying") as status:
            report = deploy(env, target, progress=status.update, dry_run=dry_run)
    outputs = (report.rendered.outputs if report.rendered else {}) or {}
    rows = [
        {
            "type": r.type,
            "name": r.name,
            "action": r.action,
            "changes": list(r.changes),
            "id": r.id,
        }
        for r in report.resources
    ]
    if structured(output):
        print_json(
            {
                "stack": stack,
                "dryRun": dry_run,
                "writes": report.writes,
                "resources": rows,
                "outputs": outputs,
                "sandboxEndpoints": _sandbox_endpoint_map(outputs, target),
            }
        )
        return
    verb = "would write" if dry_run else "written"
    table = [{**row, "changes": "; ".join(row["changes"]) or None} for row in rows]
    print_table(
        table, ["type", "name", "action", "changes"], title=f"up {stack} (sandbox): {report.writes} {verb}"
    )
    _print_outputs(outputs, target)


class OutputsFormat(StrEnum):
    table = "table"
    json = "json"
    env = "env"
    dotenv = "dotenv"


def outputs(
    name: str | None = typer.Argument(None, help="One output, e.g. appUrl (default: all)."),
    stack: str = common.STACK,
    fmt: OutputsFormat = typer.Option(
        OutputsFormat.table, "--format", help="table, json, env (export lines) or dotenv (.env file)."
    ),
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Print the stack's outputs from the live environment (like `pulumi stack output`,
    `azd env get-values`): the program is run read-only against what is deployed."""
    from opsctl.deploy import deploy

    env, target = common.open_environment(
        stack, subscription=subscription, sandbox=sandbox, project_dir=project_dir
    )
    report = deploy(env, target, dry_run=True)
    values = (report.rendered.outputs if report.rendered else {}) or {}
    if name is not None:
        if name not in values:
            raise InvalidInput(
                f"output {name!r}: not an output of stack {stack} (have: {', '.join(sorted(values))})"
            )
        values = {name: values[name]}
    if report.writes:
        console().print(f"note: {report.writes} resources differ from the stack file (`opsctl up --dry-run`)")
    if fmt in (OutputsFormat.env, OutputsFormat.dotenv):
        for line in env_lines(values, export=fmt is OutputsFormat.env):
            typer.echo(line)
    elif structured(output) or fmt is OutputsFormat.json:
        print_json(values[name] if name is not None else values)
    else:
        _print_outputs(values, target)


def env_lines(values: dict[str, Any], *, export: bool) -> list[str]:
    """`appUrl` -> `APP_URL=...` (azd's names); shell-quoted for `eval`, double-quoted for .env."""
    import re
    import shlex

    lines = []
    for key, value in sorted(values.items()):
        name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).upper()
        text = _output_text(value)
        lines.append(f"export {name}={shlex.quote(text)}" if export else f"{name}={_dotenv(text)}")
    return lines


def _dotenv(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _print_outputs(outputs: dict[str, Any], target: Any = None) -> None:
    rows = [{"output": k, "value": _output_text(v)} for k, v in sorted(outputs.items())]
    for row, endpoint in zip(rows, sandbox_endpoints(sorted(outputs.items()), target), strict=True):
        if endpoint:
            row["value"] += f" (sandbox: {endpoint})"
    print_table(rows, ["output", "value"], title="outputs")


def _sandbox_endpoint_map(outputs: dict[str, Any], target: Any) -> dict[str, str]:
    items = sorted(outputs.items())
    return {k: e for (k, _), e in zip(items, sandbox_endpoints(items, target), strict=True) if e}


def sandbox_endpoints(items: list[tuple[str, Any]], target: Any) -> list[str | None]:
    """Per output, where the sandbox serves it when it is a data-plane endpoint (Azure's form stays the
    output's value: the same program deploys to Azure)."""
    from opsctl.dataplane import sandbox_endpoint

    if target is None:
        return [None] * len(items)
    return [
        sandbox_endpoint(target, v) if isinstance(v, str) and v.startswith("https://") else None
        for _, v in items
    ]


def _output_text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def down(
    stack: str = common.STACK,
    sandbox: bool = typer.Option(
        ..., "--sandbox", help="Remove the stack from the local sandbox (required)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Protected stacks: confirm the removal."),
    confirm: str | None = typer.Option(
        None, "--confirm", help="Protected stacks: the environment name, typed back."
    ),
    dry_run: bool = common.DRY_RUN,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Remove the stack from the sandbox: teardown in the safe order, with purge."""
    from opsctl import teardown

    with common.stack_locked(stack, project_dir, None if dry_run else lock_timeout):
        env, target = common.open_environment(stack, subscription=None, sandbox=True, project_dir=project_dir)
        found = teardown.plan_stack_teardown(target, env)
        if dry_run or not found.has_work:
            _print_down_plan(stack, found, output, dry_run=dry_run)
            return
        teardown.check_allowed(found, yes=yes, confirm=confirm)
        with console().status("removing") as status:
            result = teardown.begin_teardown(target, found, purge=True, progress=status.update)
    if structured(output):
        print_json({"stack": stack, "dryRun": False, "done": list(result.done)})
        return
    for step in result.done:
        console().print(f"{stack}: {step}")


def _print_down_plan(stack: str, found: Any, output: OutputFormat, *, dry_run: bool) -> None:
    """What `down` would remove: groups, accounts (deleted first, then purged), soft-deleted ones."""
    rows = [{"kind": "resource group", "name": g} for g in found.resource_groups]
    rows += [{"kind": "cognitive account", "name": a.name} for a in found.accounts]
    rows += [{"kind": "soft-deleted account (purge)", "name": a.name} for a in found.soft_deleted]
    if structured(output):
        print_json({"stack": stack, "dryRun": dry_run, "remove": rows})
    elif not rows:
        console().print(f"{stack}: nothing deployed in the sandbox")
    else:
        print_table(rows, ["kind", "name"], title=f"down {stack} (sandbox): would remove")
