"""The Container App's revisions, and going back to one.

Rollback works as `az containerapp revision copy --from-revision` does (azure-cli
src/azure-cli/azure/cli/command_modules/containerapp/custom.py, `copy_revision`): the earlier
revision's template is sent again with a new suffix, so a new revision runs it. In Single revision mode
(ragstack's) that new revision takes all traffic and the current one is deactivated; activating an old
revision by itself would not move traffic there (learn.microsoft.com/azure/container-apps/revisions,
"Revision modes").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsctl.arm_errors import arm_errors
from opsctl.environment import Environment
from opsctl.errors import OpsError
from opsctl.health import refuse_in_progress
from opsctl.live import app_verdict
from opsctl.pulls import fresh_suffix
from opsctl.rollout import Rollout, _roll_out, _url, _wait_running, _write
from opsctl.target import Target
from opsctl.waiting import Progress, _quiet


@dataclass(frozen=True)
class RevisionView:
    name: str
    active: bool
    provisioning_state: str | None
    running_state: str | None
    traffic_weight: int
    replicas: int | None
    image: str | None
    created: str | None
    template: Any


def _client(target: Target) -> Any:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    return target.client(ContainerAppsAPIClient)


def list_revisions(env: Environment, target: Target) -> list[RevisionView]:
    """The app's revisions, newest first."""
    client = _client(target)
    name = env.names.container_app
    with arm_errors(f"listing revisions of container app '{name}'"):
        listed = list(client.container_apps_revisions.list_revisions(env.resource_group, name))
    views = [_view(r) for r in listed]
    return sorted(views, key=lambda v: (v.created or "", v.name), reverse=True)


def _view(rev: Any) -> RevisionView:
    p = rev.properties
    template = dict(p.template or {})
    containers = template.get("containers") or []
    created = p.created_time.isoformat() if p.created_time else None
    return RevisionView(
        name=rev.name,
        active=bool(p.active),
        provisioning_state=p.provisioning_state,
        running_state=p.running_state,
        traffic_weight=p.traffic_weight or 0,
        replicas=p.replicas,
        image=containers[0].get("image") if containers else None,
        created=created,
        template=template,
    )


def begin_rollback(
    env: Environment,
    target: Target,
    *,
    revision: str | None = None,
    progress: Progress = _quiet,
    dry_run: bool = False,
) -> tuple[Rollout, str]:
    """Run an earlier revision's template again as a new revision; returns it and the source name.
    A dry run reads and checks as the rollback would (app busy, revision known), then stops."""
    client = _client(target)
    name = env.names.container_app
    with arm_errors(f"reading container app '{name}'"):
        app = client.container_apps.get(env.resource_group, name)
    refuse_in_progress(f"container app '{name}'", app_verdict(client, env.resource_group, app))
    current = app.properties.latest_revision_name
    source = _source(list_revisions(env, target), current, revision, name)
    containers = [dict(c) for c in source.template.get("containers") or []]
    before = ((app.properties.template or {}).get("containers") or [{}])[0].get("image")
    result = Rollout(name, before, source.image or "", applied=False, url=_url(app))
    if dry_run:
        return result, source.name
    progress(f"creating a revision from '{source.name}'")
    updated = _roll_out(client, env, target, name, containers, progress, suffix=fresh_suffix("rb"))
    result.revision = updated.properties.latest_revision_name
    _wait_running(client, env, target, name, result.revision, progress)
    result.applied = True
    return _write(env, result, pin=False, dry_run=False), source.name


def _source(revisions: list[RevisionView], current: str | None, wanted: str | None, app: str) -> RevisionView:
    """The named revision, or the newest earlier one that provisioned."""
    hint = f"`opsctl app revisions` lists the revisions of '{app}'"
    if wanted:
        for view in revisions:
            if view.name.lower() == wanted.lower():
                return view
        raise OpsError(
            f"container app '{app}' has no revision '{wanted}'", code="ResourceNotFound", hint=hint
        )
    names = [v.name for v in revisions]
    earlier = revisions[names.index(current) + 1 :] if current in names else revisions
    for view in earlier:
        if view.name != current and (view.provisioning_state or "").lower() != "failed":
            return view
    raise OpsError(f"container app '{app}' has no earlier revision to roll back to", hint=hint)
