"""Microsoft.App: managed environments, container apps and their revisions (api 2026-07-01).

Wire decisions (sources in the comments beside each rule):
- Environment PUT: 201 `InitializationInProgress` + `Azure-AsyncOperation` on
  `locations/{loc}/managedEnvironmentOperationStatuses/{id}` (spec example
  ManagedEnvironments_CreateOrUpdate.json; the polled URL in hashicorp/terraform-provider-azurerm
  #24583). Env PATCH is JSON merge patch answered 200 (spec lists 200); DELETE 202 + Location.
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

from sandbox.arm.app.models import (
    APP,
    APP_PROVISION_SECONDS,
    APP_TYPE,
    DELETE_SECONDS,
    ENV,
    ENV_CREATE_SECONDS,
    ENV_ID,
    ENV_TYPE,
    RETRY_AFTER,
    REV_TYPE,
    SECRETS,
    app_busy,
    bad_request,
    canon,
    check_name,
    check_registries,
    check_resources,
    check_scale,
    default_domain,
    env_busy,
    env_has_apps,
    env_of,
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
    validate_logs,
    with_secret_values,
    without_shared_key,
)
from sandbox.arm.network.models import check_infrastructure_subnet, private_address
from sandbox.core import ArmRequest, ArmResponse, Provider
from sandbox.core.clock import iso
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    cascade_delete,
    put_tags,
    require,
    require_location,
    system_data,
    without_nulls,
)
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.App")


@provider.route("PUT", ENV + "/{name}")
def put_environment(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    if existing is not None:
        env_busy(existing)
    props = dict(body.get("properties") or {})
    validate_logs(req.state, props, (existing or {}).get("properties") or {})
    props = without_shared_key(props)
    subnet_id = _check_vnet(req, props)
    if existing is not None:
        # PUT replaces: tags left out are removed (ARM create-or-replace; PATCH merges).
        return ArmResponse(200, _save_env(req, existing, props, put_tags(body)))
    internal = bool((props.get("vnetConfiguration") or {}).get("internal"))
    props.update(
        defaultDomain=default_domain(location),
        staticIp=private_address(req.state, subnet_id, req.canonical_path)
        if internal
        else ips(req.canonical_path, 1)[0],
        provisioningState="InitializationInProgress",
    )
    props.setdefault("zoneRedundant", False)
    doc: dict[str, Any] = {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": ENV_TYPE,
        "location": location,
        "tags": body.get("tags") or {},
        "properties": props,
        "systemData": system_data(req),
    }
    req.state.store.put(doc, created=req.now())
    monitor = f"/subscriptions/{req.params['sub']}/providers/Microsoft.App/locations/{location}"
    op = req.state.lro.start(
        req,
        style="aao",
        completion="env_ready",
        duration=ENV_CREATE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"{monitor}/managedEnvironmentOperationStatuses/{uuid.uuid4()}",
        retry_after=RETRY_AFTER,
    )
    return ArmResponse(201, doc, req.state.lro.headers(req, op))


def _check_vnet(req: ArmRequest, props: dict[str, Any]) -> str:
    """The infrastructure subnet, checked as the environment's kind needs; "" without one.
    An internal environment's static IP is a private address in it (MS Learn
    container-apps/networking: "internal ... static IP is a private address in your VNet")."""
    subnet_id = str((props.get("vnetConfiguration") or {}).get("infrastructureSubnetId") or "")
    if subnet_id:
        check_infrastructure_subnet(
            req.state, subnet_id, workload_profiles=bool(props.get("workloadProfiles"))
        )
    return subnet_id


def _save_env(req: ArmRequest, doc: dict[str, Any], props: dict[str, Any], tags: Any) -> dict[str, Any]:
    for key in ("defaultDomain", "staticIp", "provisioningState"):
        props[key] = doc["properties"][key]
    doc["properties"] = props
    if tags is not None:
        doc["tags"] = tags
    doc["systemData"] = system_data(req, doc)
    req.state.store.put(doc)
    return doc


@provider.completion("env_ready")
def _env_ready(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is not None:
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)


@provider.route("GET", ENV + "/{name}")
def get_environment(req: ArmRequest) -> dict[str, Any]:
    return require(req, ENV_TYPE)


@provider.route("PATCH", ENV + "/{name}")
def patch_environment(req: ArmRequest) -> dict[str, Any]:
    doc = require(req, ENV_TYPE)
    env_busy(doc)
    body = req.json()
    merged = merge_patch({"properties": doc["properties"], "tags": doc.get("tags")}, body)
    props = merged.get("properties") or {}
    validate_logs(req.state, props, doc["properties"])
    return _save_env(req, doc, without_shared_key(props), merged.get("tags"))


@provider.route("DELETE", ENV + "/{name}")
def delete_environment(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    apps = _apps_in(req.state, doc)
    if apps:
        raise env_has_apps(doc["name"], len(apps))
    doc["properties"]["provisioningState"] = "ScheduledForDelete"
    req.state.store.put(doc)
    monitor = f"/subscriptions/{req.params['sub']}/providers/Microsoft.App/locations/{doc['location']}"
    op = req.state.lro.start(
        req,
        style="location",
        completion="env_deleted",
        duration=DELETE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"{monitor}/managedEnvironmentOperationResults/{uuid.uuid4()}",
        retry_after=RETRY_AFTER,
    )
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("env_deleted")
def _env_deleted(state: SandboxState, op: Operation) -> None:
    if not op.failing:
        cascade_delete(state, op.resource_id)


@provider.route("GET", ENV)
def list_environments_by_group(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=ENV_TYPE, rg=_rg_id(req)))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.App/managedEnvironments")
def list_environments(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=ENV_TYPE))


# -- container apps: validation -----------------------------------------------------------------
def _rg_id(req: ArmRequest) -> str:
    return f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"


def _app_id(req: ArmRequest) -> str:
    return f"{_rg_id(req)}/providers/Microsoft.App/containerApps/{req.params['app']}"


def _environment(req: ArmRequest, props: dict[str, Any]) -> dict[str, Any]:
    env_id = props.get("environmentId") or props.get("managedEnvironmentId") or ""
    if not isinstance(env_id, str) or not ENV_ID.match(env_id):
        # Text: microsoft/azure-container-apps#194.
        raise bad_request("InvalidManagedEnvironmentId", f"Invalid ManagedEnvironmentId value '{env_id}'.")
    env = req.state.store.get(env_id)
    if env is None:
        # Code: arm-facts §6; the message text is [mem].
        raise bad_request("ManagedEnvironmentNotFound", f"Managed Environment '{env_id}' was not found.")
    if env["properties"].get("provisioningState") != "Succeeded":
        # Text: microsoft/azure-container-apps#868, #1208, #1778.
        raise bad_request(
            "ManagedEnvironmentNotProvisioned",
            f"The environment '{env['id']}' has not been provisioned successfully.",
        )
    return env


# -- container apps: identity and server-computed fields -----------------------------------------
def _identity(req: ArmRequest, given: Any, old: dict[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(given, dict) or given.get("type") in (None, "None"):
        return None
    kinds = {k.strip().lower() for k in str(given["type"]).split(",")}
    out: dict[str, Any] = {"type": given["type"]}
    if "systemassigned" in kinds:
        out["principalId"] = (old or {}).get("principalId") or str(uuid.uuid4())
        out["tenantId"] = req.state.config.tenant_id
        if req.state.directory.get(out["principalId"]) is None:
            req.state.directory.add(
                out["principalId"],
                "ServicePrincipal",
                display_name=req.params["app"],
                visible_at=req.now() + req.state.config.principal_replication_delay,
            )
    uais = {}
    for uai_id in (given.get("userAssignedIdentities") or {}) if "userassigned" in kinds else {}:
        uai = req.state.store.get(uai_id) or {"properties": {}}
        uais[uai_id] = {k: uai["properties"].get(k) for k in ("principalId", "clientId")}
    if uais:
        out["userAssignedIdentities"] = uais
    return out


# -- container apps: routes ---------------------------------------------------------------------
def _build(req: ArmRequest, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a desired app: the document to store, its secret values, the new revision name."""
    location = require_location(body)
    props = without_nulls(copy.deepcopy(body.get("properties") or {}))
    env = _environment(req, props)
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
    identity = _identity(req, body.get("identity"), (existing or {}).get("identity"))
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
        "sandbox": {"readyAt": None},
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
    existing = _get_app(req)
    _ensure_idle(req, existing)
    desired = with_secret_values(req.state, existing)
    plan = _build(req, merge_patch(desired, req.json()), existing)
    op = _commit(req, plan, "containerappOperationResults")
    return ArmResponse(202, None, req.state.lro.headers(req, op))


def _ensure_idle(req: ArmRequest, app: dict[str, Any] | None) -> None:
    """One write at a time: a PUT or PATCH while the previous one provisions is refused."""
    if app is not None and req.state.lro.running_for(app["id"]):
        raise app_busy(app["name"])


def _get_app(req: ArmRequest) -> dict[str, Any]:
    doc = req.state.store.get(_app_id(req))
    if doc is None:
        raise resource_not_found(APP_TYPE, req.params["app"], req.params["rg"])
    return doc


@provider.route("GET", APP + "/{app}")
def get_app(req: ArmRequest) -> dict[str, Any]:
    return _get_app(req)


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


@provider.delete_check(ENV_TYPE)
def _env_in_use(state: SandboxState, doc: dict[str, Any]) -> dict[str, str] | None:
    """An environment with container apps (in any group) cannot go with its group."""
    apps = _apps_in(state, doc)
    if not apps:
        return None
    refusal = env_has_apps(doc["name"], len(apps))
    return {"code": refusal.code, "message": refusal.message}


def _apps_in(state: SandboxState, env: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in state.store.find(type=APP_TYPE) if env_of(a) == env["id"].lower()]


@provider.on_delete(APP_TYPE)
def _forget_app(state: SandboxState, doc: dict[str, Any]) -> None:
    state.store.delete_record(SECRETS, doc["id"])
    principal = (doc.get("identity") or {}).get("principalId")
    if principal:
        state.directory.remove(principal)


@provider.route("GET", APP)
def list_apps_by_group(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=APP_TYPE, rg=_rg_id(req)))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.App/containerApps")
def list_apps(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=APP_TYPE))


@provider.route("POST", APP + "/{app}/listSecrets")
def list_secrets(req: ArmRequest) -> dict[str, Any]:
    doc = _get_app(req)
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
    app = _get_app(req)
    revs = req.state.store.find(type=REV_TYPE, within=app["id"])
    return page(req, [revision_view(req.state, app, r) for r in revs])


@provider.route("GET", APP + "/{app}/revisions/{rev}")
def get_revision(req: ArmRequest) -> dict[str, Any]:
    app = _get_app(req)
    rev = req.state.store.get(f"{app['id']}/revisions/{req.params['rev']}")
    if rev is None:
        raise resource_not_found(REV_TYPE, f"{req.params['app']}/{req.params['rev']}", req.params["rg"])
    return revision_view(req.state, app, rev)
