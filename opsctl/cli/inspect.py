"""`opsctl status` and `opsctl drift`: read-only views of a live environment."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

from opsctl import exitcodes
from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured

DRIFT_EXIT_CODE = exitcodes.DRIFT


def status(
    stack: str = common.STACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Every resource of the environment: health, state, sku, scale and endpoint."""
    from opsctl.dataplane import sandbox_endpoint
    from opsctl.live import read_environment
    from opsctl.private_access import read_private_access

    env, target = common.open_environment(
        stack, subscription=subscription, sandbox=sandbox, project_dir=project_dir
    )
    live = read_environment(env, target)
    rows = [
        {
            "resource": r.key,
            "name": r.name,
            "exists": r.exists,
            "state": r.state if r.exists else "missing",
            "health": r.health.value if r.health else None,
            "sku": r.sku,
            "scale": _scale(r.key, r.settings),
            "endpoint": r.endpoint,
            # The ARM resource keeps Azure's endpoint; the sandbox serves the data plane here.
            "sandboxEndpoint": sandbox_endpoint(target, r.endpoint),
        }
        for r in live.resources.values()
    ]
    deployments = [{"deployment": name, **values} for name, values in live.deployments.items()]
    private: list[dict[str, Any]] = [
        {
            "service": a.service,
            "endpoint": a.endpoint,
            "connection": a.connection,
            "addresses": list(a.addresses),
            "health": a.health,
            "problems": list(a.problems),
        }
        for a in (read_private_access(env, target) if live.resource_group_exists else [])
    ]
    if structured(output):
        print_json(
            {
                "stack": stack,
                "target": target.kind,
                "resourceGroup": {"name": env.resource_group, "exists": live.resource_group_exists},
                "resources": rows,
                "deployments": deployments,
                "privateAccess": private,
                "settings": {r.key: r.settings for r in live.resources.values()},
            }
        )
        return
    title = f"{stack} ({target.kind}) - resource group {env.resource_group}"
    for row in rows:
        if row["sandboxEndpoint"]:
            row["endpoint"] = f"{row['endpoint']} (sandbox: {row['sandboxEndpoint']})"
    print_table(rows, ["resource", "name", "health", "state", "sku", "scale", "endpoint"], title=title)
    if deployments:
        print_table(deployments, ["deployment", "model", "version", "sku", "capacity", "health", "state"])
    if private:
        for access in private:
            access["dns"] = "; ".join(access["problems"]) or "zone group, links and A records ok"
        print_table(private, ["service", "endpoint", "connection", "health", "dns"], title="private access")


def _scale(key: str, settings: dict[str, object]) -> str | None:
    """Scale in words; None (printed `-`) when the resource is missing or does not say."""
    first, second, text = {
        "search": ("replicas", "partitions", "{} replicas x {} partitions"),
        "container_app": ("minReplicas", "maxReplicas", "{}-{} replicas"),
    }.get(key, ("", "", ""))
    if not text or settings.get(first) is None or settings.get(second) is None:
        return None
    return text.format(settings[first], settings[second])


def drift(
    stack: str = common.STACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Compare live settings and role assignments with the stack config (exit 0 in sync, 2 drift)."""
    from opsctl.drift import detect_drift

    env, target = common.open_environment(
        stack, subscription=subscription, sandbox=sandbox, project_dir=project_dir
    )
    items = detect_drift(env, target)
    rows = [asdict(item) for item in items]
    if structured(output):
        print_json({"stack": stack, "inSync": not items, "drift": rows})
    elif items:
        print_table(rows, ["resource", "setting", "expected", "actual", "restore"], title=f"drift: {stack}")
    else:
        console().print(f"{stack}: in sync with Pulumi.{stack}.yaml")
    if items:
        raise typer.Exit(DRIFT_EXIT_CODE)
