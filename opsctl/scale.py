"""Scaling an environment: search replicas/partitions, app replicas, model deployment capacity.

Each operation validates against the catalog's rules before the first ARM call, sends only the fields
it changes, waits for Azure to finish, and writes the new value back to the stack file so the next
`pulumi up` keeps it (ops-pitfalls A-3/A-4, C-3, O-1, O-4, P-3).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from infra.catalog import container_apps, provisioning
from infra.catalog.cognitive import quota_usage_name
from infra.catalog.provisioning import Health, Verdict, judge
from infra.rules import search_capacity_problem
from opsctl.arm_errors import arm_errors, status_code
from opsctl.environment import Environment
from opsctl.errors import InvalidInput, OpsError
from opsctl.health import needs_repair, refuse_in_progress, require_healthy
from opsctl.live import app_verdict
from opsctl.pulls import fresh_suffix
from opsctl.quota import check_quota, increases
from opsctl.target import Target
from opsctl.waiting import Progress, _quiet, wait_until
from opsctl.writeback import ConfigChange, deployment_change, write_back

SEARCH_POLL_SECONDS = 30.0
SEARCH_TIMEOUT_SECONDS = 4 * 3600.0
SEARCH_BUSY_MARKER = "previous request"
REVISION_HINT = (
    "a failed revision is replaced only by a new one: roll out another image tag or change a setting"
)
_ACCOUNT_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)


@dataclass
class ScaleResult:
    """What changed (or would change), as printed by the CLI."""

    resource: str
    before: dict[str, Any]
    after: dict[str, Any]
    applied: bool
    written_back: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _require_change(**values: int | None) -> None:
    if all(v is None for v in values.values()):
        raise InvalidInput(f"nothing to change: pass at least one of {', '.join('--' + k for k in values)}")


def _check_search(sku: str, replicas: int, partitions: int, hosting_mode: str, where: str) -> None:
    broken = search_capacity_problem(sku, replicas, partitions, hosting_mode)
    if broken:
        name, value, problem = broken
        raise InvalidInput(f"--{name} {value}: {problem} ({where})")


def _search_state(service: Any) -> dict[str, Any]:
    return {"replicas": service.replica_count, "partitions": service.partition_count}


def _search_verdict(service: Any) -> Verdict:
    return judge(provisioning.SEARCH_SERVICE, service.provisioning_state, service.status)


def _is_search_busy_error(exc: BaseException | None) -> bool:
    return exc is not None and status_code(exc) in (400, 409) and SEARCH_BUSY_MARKER in str(exc)


def scale_search(
    env: Environment,
    target: Target,
    *,
    replicas: int | None = None,
    partitions: int | None = None,
    wait_busy: bool = False,
    dry_run: bool = False,
    write_config: bool = True,
    progress: Progress = _quiet,
) -> ScaleResult:
    """Scale the search service, validating the tier rules first and patching only what changes."""
    from azure.mgmt.search import SearchManagementClient
    from azure.mgmt.search.models import SearchServiceUpdate

    _require_change(replicas=replicas, partitions=partitions)
    cfg = env.settings.search
    _check_search(
        cfg.sku,
        cfg.replicas if replicas is None else replicas,
        cfg.partitions if partitions is None else partitions,
        cfg.hosting_mode,
        "stack config",
    )
    client: Any = target.client(SearchManagementClient)
    name = env.names.search
    with arm_errors(f"reading search service '{name}'"):
        service = client.services.get(env.resource_group, name)
    if _search_verdict(service).health is Health.IN_PROGRESS and not dry_run:
        service = _wait_search_idle(client, env, target, name, wait_busy, progress)
    repair = needs_repair(_search_verdict(service))
    before = _search_state(service)
    after = {
        "replicas": before["replicas"] if replicas is None else replicas,
        "partitions": before["partitions"] if partitions is None else partitions,
    }
    _check_search(
        service.sku.name, after["replicas"], after["partitions"], service.hosting_mode or "default", "live"
    )
    result = ScaleResult(name, before, after, applied=False)
    if dry_run or not (result.changed or repair):
        return _finish_search(env, result, write_config and not dry_run)
    if repair:
        result.notes.append(f"re-applied: the service was {_search_verdict(service).state}")
    # The update model serializes default counts unless they are None (arm-facts section 4 GOTCHA).
    fields: dict[str, Any] = {"hosting_mode": None, "public_network_access": None}
    for key, field_name in (("replicas", "replica_count"), ("partitions", "partition_count")):
        fields[field_name] = after[key] if repair or after[key] != before[key] else None
    update = SearchServiceUpdate(**fields)
    _patch_search(client, env, target, name, update, wait_busy, progress)
    final = wait_until(
        lambda: _search_done(client, env.resource_group, name),
        target=target,
        what=f"search service '{name}' to finish scaling",
        interval=SEARCH_POLL_SECONDS,
        timeout=SEARCH_TIMEOUT_SECONDS,
        progress=progress,
    )
    # What the service has now, not what it had before a busy wait: that is what gets written back.
    result.after = _search_state(final)
    result.applied = True
    return _finish_search(env, result, write_config)


def _patch_search(
    client: Any, env: Environment, target: Target, name: str, update: Any, wait_busy: bool, progress: Progress
) -> None:
    while True:
        try:
            with arm_errors(f"scaling search service '{name}'"):
                client.services.update(env.resource_group, name, update)
            return
        except OpsError as exc:
            if not (wait_busy and _is_search_busy_error(exc.__cause__)):
                raise
        _wait_search_idle(client, env, target, name, True, progress)


def _wait_search_idle(
    client: Any, env: Environment, target: Target, name: str, wait_busy: bool, progress: Progress
) -> Any:
    """The service once its running update is over (its counts may have changed meanwhile)."""
    if not wait_busy:
        raise OpsError(
            f"search service '{name}' is still processing a previous update",
            code="Conflict",
            hint="re-run with --wait-busy to wait for it, then scale",
        )
    return wait_until(
        lambda: _search_done(client, env.resource_group, name),
        target=target,
        what=f"the previous update of '{name}' to finish",
        interval=SEARCH_POLL_SECONDS,
        timeout=SEARCH_TIMEOUT_SECONDS,
        progress=progress,
    )


def _search_done(client: Any, resource_group: str, name: str) -> Any:
    with arm_errors(f"reading search service '{name}'"):
        service = client.services.get(resource_group, name)
    verdict = _search_verdict(service)
    if verdict.health is Health.FAILED:
        raise OpsError(f"search service '{name}' failed to scale: {verdict.state}", code="ProvisioningFailed")
    return service if verdict.ok else None


def _finish_search(env: Environment, result: ScaleResult, write_config: bool) -> ScaleResult:
    cfg = env.settings.search
    changes = [
        ConfigChange("search", (key,), value)
        for key, value in result.after.items()
        if getattr(cfg, key) != value
    ]
    if write_config and changes:
        result.written_back = write_back(env.stack_file, changes)
    return result


def scale_app(
    env: Environment,
    target: Target,
    *,
    min_replicas: int | None = None,
    max_replicas: int | None = None,
    dry_run: bool = False,
    write_config: bool = True,
    progress: Progress = _quiet,
) -> ScaleResult:
    """Set the container app's replica bounds, then read the app back to confirm Azure applied them."""
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    _require_change(min=min_replicas, max=max_replicas)
    cfg = env.settings.app
    if problem := container_apps.replica_bounds_problem(
        cfg.min_replicas if min_replicas is None else min_replicas,
        cfg.max_replicas if max_replicas is None else max_replicas,
    ):
        raise InvalidInput(f"{problem} (with the stack config's other bound)")
    client: Any = target.client(ContainerAppsAPIClient)
    name = env.names.container_app
    with arm_errors(f"reading container app '{name}'"):
        app = client.container_apps.get(env.resource_group, name)
    verdict = app_verdict(client, env.resource_group, app)
    refuse_in_progress(f"container app '{name}'", verdict)
    scale = (app.properties.template.scale if app.properties.template else None) or {}
    before = {"min": scale.get("minReplicas", 0), "max": scale.get("maxReplicas", 10)}
    after = {
        "min": before["min"] if min_replicas is None else min_replicas,
        "max": before["max"] if max_replicas is None else max_replicas,
    }
    if problem := container_apps.replica_bounds_problem(after["min"], after["max"]):
        raise InvalidInput(f"{problem} (with the app's live other bound)")
    result = ScaleResult(name, before, after, applied=False)
    if needs_repair(verdict):
        result.notes.append(f"re-applied: the app was {verdict.state}")
    if not dry_run and (result.changed or needs_repair(verdict)):
        template = {
            "scale": {"minReplicas": after["min"], "maxReplicas": after["max"]},
            # a failed revision is replaced only by a new one; null keeps later suffixes Azure's
            "revisionSuffix": fresh_suffix("fix") if needs_repair(verdict) else None,
        }
        patch = {"properties": {"template": template}}
        progress(f"updating '{name}' (a new revision)")
        with arm_errors(f"scaling container app '{name}'"):
            client.container_apps.begin_update(env.resource_group, name, patch).result()
            updated = client.container_apps.get(env.resource_group, name)
        require_healthy(
            f"container app '{name}'", app_verdict(client, env.resource_group, updated), hint=REVISION_HINT
        )
        live = updated.properties.template.scale
        if (live.get("minReplicas"), live.get("maxReplicas")) != (after["min"], after["max"]):
            raise OpsError(
                f"container app '{name}' reports min/max {live.get('minReplicas')}/{live.get('maxReplicas')} "
                f"after the update, not {after['min']}/{after['max']}",
                hint="check the app's revisions with `opsctl status`",
            )
        result.applied = True
    changes = [
        ConfigChange("app", (key,), after[short])
        for key, short in (("minReplicas", "min"), ("maxReplicas", "max"))
        if getattr(cfg, "min_replicas" if short == "min" else "max_replicas") != after[short]
    ]
    if write_config and not dry_run and changes:
        result.written_back = write_back(env.stack_file, changes)
    return result


def scale_openai(
    env: Environment,
    target: Target,
    *,
    deployment: str,
    capacity: int,
    dry_run: bool = False,
    write_config: bool = True,
    progress: Progress = _quiet,
) -> ScaleResult:
    """Change one deployment's capacity after checking regional quota; one write per account."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    if capacity <= 0:
        raise InvalidInput(f"--capacity {capacity}: must be greater than 0")
    declared = {d.name.lower(): d for d in env.settings.openai.deployments}
    if deployment.lower() not in declared:
        allowed = ", ".join(d.name for d in env.settings.openai.deployments) or "none"
        raise InvalidInput(f"--deployment {deployment}: not declared in the stack; declared: {allowed}")
    client: Any = target.client(CognitiveServicesManagementClient)
    account = env.names.openai
    with arm_errors(f"reading deployment '{deployment}' of '{account}'"):
        live = client.deployments.get(env.resource_group, account, deployment)
    verdict = judge(provisioning.DEPLOYMENT, live.properties.provisioning_state)
    refuse_in_progress(f"deployment '{deployment}' of '{account}'", verdict)
    before = {"capacity": live.sku.capacity}
    result = ScaleResult(f"{account}/{deployment}", before, {"capacity": capacity}, applied=False)
    if result.changed:
        bucket = quota_usage_name(live.sku.name, live.properties.model.name)
        extra = increases(
            [(deployment, bucket, capacity)], {deployment.lower(): (bucket, live.sku.capacity or 0)}
        )
        check_quota(client, env.settings.location, extra)
    if needs_repair(verdict):
        result.notes.append(f"re-applied: the deployment was {verdict.state}")
    if not dry_run and (result.changed or needs_repair(verdict)):
        live.sku.capacity = capacity
        with _ACCOUNT_LOCKS[account.lower()]:  # a busy account (RequestConflict) is retried by the client
            _put_deployment(client, env, account, deployment, live)
        result.applied = True
    stack_capacity = declared[deployment.lower()].capacity
    if write_config and not dry_run and stack_capacity != capacity:
        change = deployment_change(env.stack_file, deployment, "capacity", capacity)
        result.written_back = write_back(env.stack_file, [change])
    return result


def _put_deployment(client: Any, env: Environment, account: str, name: str, body: Any) -> Any:
    with arm_errors(f"updating deployment '{name}' of '{account}'"):
        return client.deployments.begin_create_or_update(env.resource_group, account, name, body).result()
