"""Microsoft.App container apps and their revisions (api 2026-07-01); environments live in
`environments`, the log stream in `replicas` and `sandbox.dataplane.containerapps`.

Wire decisions (sources in the comments beside each rule):
- App PUT: 200/201 + `Azure-AsyncOperation` on `locations/{loc}/containerappOperationStatuses/
  {id}` (arm-facts §6; microsoft/aspire#7797 shows the polled URL). PATCH: 202 +
  `Azure-AsyncOperation` on `containerappOperationResults` (ContainerApps_Patch.json), JSON
  merge patch (spec: "Patches a Container App using JSON Merge Patch"; RFC 7386: objects merge,
  null deletes, arrays replace). DELETE: 202 + `Azure-AsyncOperation` (ContainerApps_Delete.json).
- A new revision exactly when `properties.template` changes (learn.microsoft.com/azure/
  container-apps/revisions: revision-scope vs application-scope changes; ops-pitfalls C-3: a
  no-op update creates none). Names are `<app>--<suffix>` (same page; 7 random characters
  otherwise, as in ContainerApps_CreateOrUpdate.json). In Single mode the previous revision is
  deactivated only once the new one is ready (same page: no downtime).
- Revision states: Provisioning/Processing while provisioning, then Provisioned/Running
  (Revisions_Get.json); with minReplicas 0 the revision scales to zero after `cooldownPeriod`
  and reports `replicas: 0, runningState: ScaledToZero` (MicrosoftDocs/azure-docs
  container-apps troubleshooting example); inactive revisions report ScaledToZero too
  (yeongseon/azure-container-apps-practical-guide revision-history lab capture).
- Image pulls from a sandbox registry with a managed identity need a pull-capable role
  (AcrPull, AcrPush, Reader, Contributor, Owner: learn.microsoft.com container-registry-roles)
  at or above the registry, checked when provisioning completes; otherwise the operation fails
  `ContainerAppOperationError` with the live text (microsoft/azure-container-apps#1061, C-1).
  A new AcrPull assignment counts only after the sandbox's role propagation delay (core/rbac.py).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sandbox.arm.app.events import event_stream_endpoint
from sandbox.arm.app.models import (
    APP,
    APP_PROVISION_SECONDS,
    APP_TYPE,
    DELETE_SECONDS,
    RETRY_AFTER,
    REV_TYPE,
    SECRETS,
    app_busy,
    app_identity,
    canon,
    check_name,
    check_registries,
    check_resources,
    check_scale,
    environment_for,
    fail_provisioning,
    ingress,
    ips,
    merge_patch,
    provision_error,
    pull_failure,
    revision_view,
    split_secrets,
    succeed_provisioning,
    suffix,
    with_secret_values,
)
from sandbox.core import ArmRequest, ArmResponse, Provider
from sandbox.core.clock import iso
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    cascade_delete,
    require_location,
    system_data,
    without_nulls,
)
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.App")


# -- container apps: validation -----------------------------------------------------------------
def rg_id(req: ArmRequest) -> str:
    return f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"


def _app_id(req: ArmRequest) -> str:
    return f"{rg_id(req)}/providers/Microsoft.App/containerApps/{req.params['app']}"


# -- container apps: routes ---------------------------------------------------------------------
def _build(req: ArmRequest, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a desired app: the document to store, its secret values, the new revision name."""
    location = require_location(body)
    props = without_nulls(copy.deepcopy(body.get("properties") or {}))
    env = environment_for(req.state, props)
    config, template = props.setdefault("configuration", {}), props.setdefault("template", {})
    values = split_secrets(config)
    check_scale(req.params["app"], template.setdefault("scale", {}))
    check_resources(template)
    check_registries(config)
    config.setdefault("activeRevisionsMode", "Single")
    config.setdefault("maxInactiveRevisions", 100)
    domain = env["properties"]["defaultDomain"]
    ingress(req.params["app"], config, domain)
    old_props = (existing or {}).get("properties") or {}
    revision = None
    if existing is None or canon(template) != canon(old_props.get("template")):
        revision = f"{req.params['app']}--{template.get('revisionSuffix') or suffix()}"
    latest = revision or old_props.get("latestRevisionName")
    props.update(
        environmentId=env["id"],
        managedEnvironmentId=env["id"],
        provisioningState="InProgress",
        runningStatus=old_props.get("runningStatus", "Progressing"),
        latestRevisionName=latest,
        latestReadyRevisionName=old_props.get("latestReadyRevisionName", ""),
        latestRevisionFqdn=f"{latest}.{domain}" if config.get("ingress") else "",
        outboundIpAddresses=ips(env["id"], 4),
        eventStreamEndpoint=event_stream_endpoint((existing or {}).get("id") or _app_id(req), location),
    )
    doc = {
        "id": (existing or {}).get("id") or _app_id(req),
        "name": (existing or {}).get("name") or req.params["app"],
        "type": APP_TYPE,
        "location": location,
        "tags": body.get("tags") or {},
        "properties": props,
        "systemData": system_data(req, existing),
    }
    identity = app_identity(
        req.state, req.params["app"], body.get("identity"), (existing or {}).get("identity")
    )
    if identity:
        doc["identity"] = identity
    if body.get("kind"):
        doc["kind"] = body["kind"]
    return {"doc": doc, "values": values, "revision": revision}


def _commit(req: ArmRequest, plan: dict[str, Any], op_kind: str) -> Operation:
    """Store the app (and its new revision) and start the provisioning operation."""
    doc, revision = plan["doc"], plan["revision"]
    failure = None
    if revision and req.state.store.get(f"{doc['id']}/revisions/{revision}") is not None:
        # Text: Azure/terraform-azurerm-avm-res-app-containerapp#115.
        failure = provision_error(
            doc["name"],
            "The following field(s) are either invalid or missing. Field "
            "'template.revisionsuffix' is invalid with details: 'Invalid value:  revision with "
            "suffix already exists.",
        )
        revision = None
        before = (req.state.store.get(doc["id"]) or doc)["properties"]
        for key in ("latestRevisionName", "latestRevisionFqdn"):
            doc["properties"][key] = before.get(key)
    req.state.store.put(doc, created=req.now())
    req.state.store.put_record(SECRETS, doc["id"], plan["values"])
    if revision:
        _new_revision(req, doc, revision)
    sub, loc = req.params["sub"], doc["location"]
    return req.state.lro.start(
        req,
        style="aao",
        completion="app_provisioned",
        duration=APP_PROVISION_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"/subscriptions/{sub}/providers/Microsoft.App/locations/{loc}/{op_kind}/{uuid.uuid4()}",
        retry_after=RETRY_AFTER,
        args={"revision": revision, "failure": failure},
    )


def _new_revision(req: ArmRequest, app: dict[str, Any], name: str) -> None:
    props = app["properties"]
    domain = props["latestRevisionFqdn"].split(".", 1)[-1] if props["latestRevisionFqdn"] else ""
    doc = {
        "id": f"{app['id']}/revisions/{name}",
        "name": name,
        "type": REV_TYPE,
        "properties": {
            "createdTime": iso(req.now()),
            "fqdn": f"{name}.{domain}" if domain else "",
            "template": copy.deepcopy(props["template"]),
            "active": True,
            "healthState": "None",
            "provisioningState": "Provisioning",
        },
        "sandbox": {"createdAt": req.now(), "readyAt": None},
    }
    req.state.store.put(doc, created=req.now())


@provider.route("PUT", APP + "/{app}")
def put_app(req: ArmRequest) -> ArmResponse:
    existing = req.state.store.get(_app_id(req))
    if existing is None:
        check_name(req.params["app"])
    _ensure_idle(req, existing)
    plan = _build(req, req.json(), existing)
    op = _commit(req, plan, "containerappOperationStatuses")
    status = 200 if existing else 201
    return ArmResponse(status, plan["doc"], req.state.lro.headers(req, op))


@provider.route("PATCH", APP + "/{app}")
def patch_app(req: ArmRequest) -> ArmResponse:
    existing = get_app(req)
    _ensure_idle(req, existing)
    desired = with_secret_values(req.state, existing)
    plan = _build(req, merge_patch(desired, req.json()), existing)
    op = _commit(req, plan, "containerappOperationResults")
    return ArmResponse(202, None, req.state.lro.headers(req, op))


def _ensure_idle(req: ArmRequest, app: dict[str, Any] | None) -> None:
    """One write at a time: a PUT or PATCH while the previous one provisions is refused."""
    if app is not None and req.state.lro.running_for(app["id"]):
        raise app_busy(app["name"])


def get_app(req: ArmRequest) -> dict[str, Any]:
    doc = req.state.store.get(_app_id(req))
    if doc is None:
        raise resource_not_found(APP_TYPE, req.params["app"], req.params["rg"])
    return doc


@provider.route("GET", APP + "/{app}")
def get_app_route(req: ArmRequest) -> dict[str, Any]:
    return get_app(req)


@provider.route("DELETE", APP + "/{app}")
def delete_app(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(_app_id(req))
    if doc is None:
        return ArmResponse(204)
    doc["properties"]["provisioningState"] = "Deleting"
    req.state.store.put(doc)
    op = req.state.lro.start(
        req,
        style="aao",
        completion="app_deleted",
        duration=DELETE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=(
            f"/subscriptions/{req.params['sub']}/providers/Microsoft.App/containerApps/"
            f"{doc['name']}/operationResults/{uuid.uuid4()}"
        ),
        retry_after=RETRY_AFTER,
    )
    return ArmResponse(202, None, req.state.lro.headers(req, op, with_location=True))


@provider.completion("app_deleted")
def _app_deleted(state: SandboxState, op: Operation) -> None:
    if not op.failing:
        cascade_delete(state, op.resource_id)


@provider.on_delete(APP_TYPE)
def _forget_app(state: SandboxState, doc: dict[str, Any]) -> None:
    state.store.delete_record(SECRETS, doc["id"])
    principal = (doc.get("identity") or {}).get("principalId")
    if principal:
        state.directory.remove(principal)


@provider.route("GET", APP)
def list_apps_by_group(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=APP_TYPE, rg=rg_id(req)))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.App/containerApps")
def list_apps(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=APP_TYPE))


@provider.route("POST", APP + "/{app}/listSecrets")
def list_secrets(req: ArmRequest) -> dict[str, Any]:
    doc = get_app(req)
    values = req.state.store.record(SECRETS, doc["id"]) or {}
    out = []
    for secret in (doc["properties"].get("configuration") or {}).get("secrets") or []:
        entry = dict(secret)
        if secret["name"] in values:
            entry["value"] = values[secret["name"]]
        out.append(entry)
    return {"value": out}


# -- provisioning -------------------------------------------------------------------------------
@provider.completion("app_provisioned")
def _app_provisioned(state: SandboxState, op: Operation) -> None:
    app = state.store.get(op.resource_id)
    if app is None:
        return
    rev_id = f"{app['id']}/revisions/{op.args['revision']}" if op.args.get("revision") else None
    rev = state.store.get(rev_id) if rev_id else None
    failure = op.args.get("failure") or (pull_failure(state, app, rev) if rev else None)
    if failure and not op.failing:
        op.error = failure
    if op.failing:
        fail_provisioning(state, app, rev, op.error or {})
    else:
        succeed_provisioning(state, app, rev, op.deadline)


# -- revisions ----------------------------------------------------------------------------------
@provider.route("GET", APP + "/{app}/revisions")
def list_revisions(req: ArmRequest) -> ArmResponse:
    app = get_app(req)
    revs = req.state.store.find(type=REV_TYPE, within=app["id"])
    return page(req, [revision_view(req.state, app, r) for r in revs])


@provider.route("GET", APP + "/{app}/revisions/{rev}")
def get_revision(req: ArmRequest) -> dict[str, Any]:
    app = get_app(req)
    rev = req.state.store.get(f"{app['id']}/revisions/{req.params['rev']}")
    if rev is None:
        raise resource_not_found(REV_TYPE, f"{req.params['app']}/{req.params['rev']}", req.params["rg"])
    return revision_view(req.state, app, rev)
