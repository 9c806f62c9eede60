"""Image rollout: a new Container App revision with a new image, waited on until it runs.

Who owns the image (README, `ragstack:app.image`): unset, CI does and Pulumi leaves the running image
alone, so a rollout is only recorded (revision, image, time) in `.ragstack/rollouts/<stack>.jsonl`
beside the stack file; `--pin`, or a stack that already pins one, writes it to the stack file so
`pulumi up` keeps it instead of reverting it (ops-pitfalls C-4).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.catalog import provisioning
from infra.catalog.provisioning import Health, judge
from infra.rules import image_problem
from infra.settings import shown
from opsctl.arm_errors import arm_errors
from opsctl.environment import Environment
from opsctl.errors import InvalidInput, OpsError
from opsctl.health import needs_repair, refuse_in_progress
from opsctl.live import app_verdict
from opsctl.pulls import fresh_suffix, until_pulled
from opsctl.target import Target
from opsctl.waiting import Progress, _quiet, wait_until
from opsctl.writeback import ConfigChange, write_back

REVISION_POLL_SECONDS = 10.0
REVISION_TIMEOUT_SECONDS = 900.0


@dataclass
class Rollout:
    app: str
    before: str | None
    after: str
    applied: bool
    revision: str | None = None
    url: str | None = None
    written_back: list[str] = field(default_factory=list)
    pinned: bool = False


def validate_image(image: str) -> None:
    """One clear line for a malformed reference, before any call (the rule stack settings obey)."""
    if problem := image_problem(image):
        raise InvalidInput(f"--image {shown(image)}: {problem}")


def set_image(
    env: Environment,
    target: Target,
    *,
    image: str,
    dry_run: bool = False,
    pin: bool = False,
    write_config: bool = True,
    progress: Progress = _quiet,
) -> Rollout:
    """Roll `image` out to the app's containers as a new revision and wait until it runs; pin it in
    the stack file when asked or when the stack pins its image already (unless `write_config` is off)."""
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    validate_image(image)
    client: Any = target.client(ContainerAppsAPIClient)
    name = env.names.container_app
    with arm_errors(f"reading container app '{name}'"):
        app = client.container_apps.get(env.resource_group, name)
    containers = [dict(c) for c in (app.properties.template or {}).get("containers") or []]
    if not containers:
        raise OpsError(f"container app '{name}' has no containers to update")
    result = Rollout(name, containers[0].get("image"), image, applied=False, url=_url(app))
    verdict = app_verdict(client, env.resource_group, app)
    refuse_in_progress(f"container app '{name}'", verdict)
    # The same image on a failed app or revision is not running: roll it out again (and say so if
    # the revision still fails).
    if dry_run or (result.before == image and verdict.ok):
        result.revision = app.properties.latest_revision_name
        return _write(env, result, pin=pin, dry_run=dry_run, write_config=write_config)
    containers[0]["image"] = image
    progress(f"creating a new revision of '{name}'")
    suffix = fresh_suffix("fix") if needs_repair(verdict) else None
    updated = _roll_out(client, env, target, name, containers, progress, suffix=suffix)
    result.revision = updated.properties.latest_revision_name
    _wait_running(client, env, target, name, result.revision, progress)
    result.applied = True
    return _write(env, result, pin=pin, dry_run=False, write_config=write_config)


def _roll_out(
    client: Any,
    env: Environment,
    target: Target,
    name: str,
    containers: list[Any],
    progress: Progress,
    *,
    suffix: str | None = None,
) -> Any:
    """PATCH the new template; a pull the app identity may not make yet (AcrPull still
    propagating) is retried with a new revision (opsctl.pulls)."""

    def attempt(retry_suffix: str | None) -> Any:
        # null drops a suffix left by an earlier retry (JSON merge patch), so names stay unique
        template = {"containers": containers, "revisionSuffix": retry_suffix or suffix}
        with arm_errors(f"updating container app '{name}'"):
            patch = {"properties": {"template": template}}
            return client.container_apps.begin_update(env.resource_group, name, patch).result()

    return until_pulled(attempt, target=target, app=name, progress=progress)


def _url(app: Any) -> str | None:
    ingress = (app.properties.configuration or {}).get("ingress") or {}
    return f"https://{ingress['fqdn']}" if ingress.get("fqdn") else None


def _wait_running(
    client: Any, env: Environment, target: Target, app: str, revision: str | None, progress: Progress
) -> None:
    if not revision:
        raise OpsError(f"container app '{app}' reported no latest revision after the update")

    def probe() -> str | None:
        with arm_errors(f"reading revision '{revision}'"):
            rev = client.container_apps_revisions.get_revision(env.resource_group, app, revision)
        props = rev.properties
        verdict = judge(provisioning.REVISION, props.provisioning_state, props.running_state)
        if verdict.health is Health.FAILED:
            detail = f": {props.provisioning_error}" if props.provisioning_error else ""
            raise OpsError(
                f"container app '{app}': revision '{revision}' is {verdict.state}{detail}",
                code="ProvisioningFailed",
                hint="check the image exists and the app identity has AcrPull on the registry; "
                "a failed revision is replaced only by a new one (another tag or digest)",
            )
        return revision if verdict.ok else None

    wait_until(
        probe,
        target=target,
        what=f"revision '{revision}' to run",
        interval=REVISION_POLL_SECONDS,
        timeout=REVISION_TIMEOUT_SECONDS,
        progress=progress,
    )


def _write(
    env: Environment, result: Rollout, *, pin: bool, dry_run: bool, write_config: bool = True
) -> Rollout:
    """Record the rollout; pin the image in the stack file when the stack owns it."""
    result.pinned = write_config and (pin or not env.settings.app.image_owned_by_ci)
    if dry_run:
        return result
    if result.pinned and env.settings.app.image != result.after:
        result.written_back = write_back(env.stack_file, [ConfigChange("app", ("image",), result.after)])
    if result.applied:
        record_rollout(env, result)
    return result


def rollout_log(env: Environment) -> Path:
    """Local record of rollouts beside the stack file (`.ragstack/` is ignored by git)."""
    return env.stack_file.path.parent / ".ragstack" / "rollouts" / f"{env.stack}.jsonl"


def record_rollout(env: Environment, result: Rollout) -> None:
    path = rollout_log(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "app": result.app,
        "revision": result.revision,
        "image": result.after,
        "before": result.before,
        "pinned": result.pinned,
        "at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, sort_keys=True) + "\n")
