"""`opsctl plan` (offline) and `opsctl up|down --sandbox`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table

POLICY_EXIT_CODE = 3


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
    if output is OutputFormat.json:
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
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Deploy the stack into the sandbox with the real program; re-runs write only what changed."""
    from opsctl.deploy import deploy
    from opsctl.environment import load_environment

    with common.stack_locked(stack, project_dir, lock_timeout):
        env = load_environment(stack, project_dir=project_dir)
        target = common.open_target(env.subscription_id, sandbox=True)
        with console().status("deploying") as status:
            report = deploy(env, target, progress=status.update)
    rows = [
        {"resource": rid.rsplit("/", 1)[-1], "action": action, "id": rid}
        for rid, action in report.actions.items()
    ]
    if output is OutputFormat.json:
        print_json({"stack": stack, "writes": report.writes, "resources": rows})
        return
    print_table(rows, ["type", "resource", "action"], title=f"up {stack} (sandbox): {report.writes} written")
    outputs = (report.rendered.outputs if report.rendered else {}) or {}
    if outputs.get("appUrl"):
        console().print(f"app: {outputs['appUrl']}")


def down(
    stack: str = common.STACK,
    sandbox: bool = typer.Option(
        ..., "--sandbox", help="Remove the stack from the local sandbox (required)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Protected stacks: confirm the removal."),
    confirm: str | None = typer.Option(
        None, "--confirm", help="Protected stacks: the environment name, typed back."
    ),
    project_dir: Path = common.PROJECT_DIR,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Remove the stack from the sandbox: teardown in the safe order, with purge."""
    from opsctl import teardown
    from opsctl.environment import load_environment

    with common.stack_locked(stack, project_dir, lock_timeout):
        env = load_environment(stack, project_dir=project_dir)
        target = common.open_target(env.subscription_id, sandbox=True)
        found = teardown.plan_stack_teardown(target, env)
        if not found.has_work:
            console().print(f"{stack}: nothing deployed in the sandbox")
            return
        teardown.check_allowed(found, yes=yes, confirm=confirm)
        with console().status("removing") as status:
            result = teardown.begin_teardown(target, found, purge=True, progress=status.update)
    for step in result.done:
        console().print(f"{stack}: {step}")
