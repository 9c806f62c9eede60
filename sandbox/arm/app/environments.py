"""Microsoft.App managed environments: the HTTP mapping (rules in `models`).

Environment PUT: 201 `InitializationInProgress` + `Azure-AsyncOperation` on
`locations/{loc}/managedEnvironmentOperationStatuses/{id}` (spec example
ManagedEnvironments_CreateOrUpdate.json; the polled URL in hashicorp/terraform-provider-azurerm
#24583). PATCH is JSON merge patch answered 200 (spec lists 200); DELETE 202 + Location.
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.arm.app.models import (
    DELETE_SECONDS,
    ENV,
    ENV_CREATE_SECONDS,
    ENV_TYPE,
    RETRY_AFTER,
    apps_in,
    default_domain,
    env_busy,
    env_has_apps,
    ips,
    merge_patch,
    validate_logs,
    without_shared_key,
)
from sandbox.arm.app.routes import provider, rg_id
from sandbox.arm.network.models import check_infrastructure_subnet, private_address
from sandbox.core import ArmRequest, ArmResponse
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import cascade_delete, put_tags, require, require_location, system_data
from sandbox.core.state import SandboxState


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
    apps = apps_in(req.state, doc)
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
    return page(req, req.state.store.find(type=ENV_TYPE, rg=rg_id(req)))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.App/managedEnvironments")
def list_environments(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=ENV_TYPE))


@provider.delete_check(ENV_TYPE)
def _env_in_use(state: SandboxState, doc: dict[str, Any]) -> dict[str, str] | None:
    """An environment with container apps (in any group) cannot go with its group."""
    apps = apps_in(state, doc)
    if not apps:
        return None
    refusal = env_has_apps(doc["name"], len(apps))
    return {"code": refusal.code, "message": refusal.message}
