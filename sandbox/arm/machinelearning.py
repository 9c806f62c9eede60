"""Microsoft.MachineLearningServices/workspaces (`MachineLearningServicesMgmtClient`).

Decisions and their sources:
- PUT and DELETE are LROs (SDK 1.0.1 accepts 200/201/202 on PUT and 200/202/204 on DELETE,
  ARMPolling); the sandbox answers 201/202 with Azure-AsyncOperation [unverified: which header
  the live RP sends was not confirmed].
- DELETE soft-deletes for 14 days; `forceToPurge=true` deletes for good, also on a workspace
  already soft-deleted (learn.microsoft.com machine-learning concept-soft-delete; the query
  parameter as used against api 2023-06-01-preview and 2024-04-01 in Azure/ResourceModules and
  terraform-provider-azurerm). A soft-deleted workspace answers 404 to GET and holds its name:
  "You can't reuse the name of a workspace that has been soft deleted until the retention
  period has passed or the workspace is permanently deleted" (same page). ARM has no public
  list of soft-deleted workspaces [unverified], so the sandbox offers none.
- A group delete soft-deletes too (the workspace's data outlives the group, same page).
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.clock import iso
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    forget_identity,
    managed_identity,
    put_properties,
    put_tags,
    require,
    require_location,
    system_data,
)
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.MachineLearningServices")

NAMESPACE = "Microsoft.MachineLearningServices"
TYPE = "Microsoft.MachineLearningServices/workspaces"
WORKSPACES = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces"
WORKSPACE = WORKSPACES + "/{name}"
DELETED_KIND = "ml:deletedworkspace"
RETENTION_SECONDS = 14 * 86400.0
CREATE_SECONDS = 60.0  # simulated
DELETE_SECONDS = 30.0
RETRY_AFTER = 10
KINDS = ("Default", "Hub", "Project", "FeatureStore")
SETTABLE = (
    "friendlyName",
    "description",
    "storageAccount",
    "keyVault",
    "applicationInsights",
    "containerRegistry",
    "hbiWorkspace",
    "publicNetworkAccess",
    "v1LegacyMode",
    # accessKey | identity, GA from 2024-04-01 (WorkspaceProperties in the spec; Azure/bicep-types-az
    # microsoft.machinelearningservices types); identity is what a shared-key-off storage account needs.
    "systemDatastoresAuthMode",
)


def _held(state: SandboxState, workspace_id: str) -> dict[str, Any] | None:
    rec = state.store.record(DELETED_KIND, armid.key(workspace_id))
    if rec is not None and rec["purgeAt"] <= state.clock.now():
        _purge(state, rec)
        return None
    return rec


def _purge(state: SandboxState, rec: dict[str, Any]) -> None:
    forget_identity(state, rec["doc"])
    state.store.delete_record(DELETED_KIND, armid.key(rec["doc"]["id"]))


@provider.on_delete(TYPE)
def _soft_delete(state: SandboxState, doc: dict[str, Any]) -> None:
    now = state.clock.now()
    rec = {"doc": doc, "deletedAt": now, "purgeAt": now + RETENTION_SECONDS}
    state.store.put_record(DELETED_KIND, armid.key(doc["id"]), rec)


def _check(req: ArmRequest, body: dict[str, Any]) -> None:
    if _held(req.state, req.canonical_path) is not None:
        # [unverified] status, code and text; the rule is concept-soft-delete (name held).
        raise ArmError(
            409,
            "Conflict",
            f"Workspace '{req.params['name']}' is soft-deleted. Recover it or delete it permanently "
            "(forceToPurge=true) before reusing the name.",
        )
    kind = body.get("kind") or "Default"
    if kind not in KINDS:
        # [unverified] code and text; kinds from the SDK/spec docs (Default, Hub, Project, FeatureStore).
        raise ArmError(400, "BadRequest", f"The workspace kind '{kind}' is not supported.")


@provider.route("PUT", WORKSPACE)
def put_workspace(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    if existing is None:
        _check(req, body)
    name = req.params["name"]
    doc = existing or {"id": req.canonical_path, "name": name, "type": TYPE, "location": location}
    before = (existing or {}).get("properties", {})
    doc["kind"] = body.get("kind") or doc.get("kind") or "Default"
    doc["properties"] = put_properties(
        body.get("properties"),
        settable=SETTABLE,
        server={
            "workspaceId": before.get("workspaceId", str(uuid.uuid4())),
            "creationTime": before.get("creationTime", iso(req.now())),
            "discoveryUrl": f"https://{location}.api.azureml.ms/discovery",
            "provisioningState": "Updating" if existing else "Creating",
        },
    )
    doc["tags"] = put_tags(body)
    doc["sku"] = body.get("sku") or {"name": "Basic", "tier": "Basic"}
    ident = managed_identity(req.state, body.get("identity"), doc.get("identity"), name)
    doc.pop("identity", None)
    if ident is not None:
        doc["identity"] = ident
    doc["systemData"] = system_data(req, existing)
    req.state.store.put(doc, created=req.now())
    op = _start(req, doc, "provisioned", CREATE_SECONDS)
    return ArmResponse(200 if existing else 201, doc, req.state.lro.headers(req, op))


def _start(req: ArmRequest, doc: dict[str, Any], completion: str, seconds: float, **args: Any) -> Operation:
    return req.state.lro.start(
        req,
        style="aao",
        completion=completion,
        duration=seconds,
        resource_id=doc["id"],
        namespace=NAMESPACE,
        retry_after=RETRY_AFTER,
        location=doc["location"],
        args=args,
    )


@provider.completion("provisioned")
def _provisioned(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is not None and doc["properties"]["provisioningState"] in ("Creating", "Updating"):
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)


@provider.route("GET", WORKSPACE)
def get_workspace(req: ArmRequest) -> dict[str, Any]:
    return require(req, TYPE)


@provider.route("DELETE", WORKSPACE)
def delete_workspace(req: ArmRequest) -> ArmResponse:
    force = (req.q("forceToPurge") or "").lower() == "true"
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        held = _held(req.state, req.canonical_path)
        if held is not None and force:
            _purge(req.state, held)
            return ArmResponse(200)
        return ArmResponse(204)
    if req.state.lro.running_for(doc["id"]):
        # [unverified] text; a workspace write in progress refuses another (ARM convention).
        raise ArmError(409, "Conflict", f"An operation on workspace '{doc['name']}' is in progress.")
    doc["properties"]["provisioningState"] = "Deleting"
    req.state.store.put(doc)
    op = _start(req, doc, "deleted", DELETE_SECONDS, force=force)
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("deleted")
def _deleted(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is None or op.failing:
        return
    if op.args.get("force"):
        forget_identity(state, doc)
    else:
        _soft_delete(state, doc)
    state.store.delete(doc["id"])


@provider.route("GET", WORKSPACES)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, req.state.store.find(type=TYPE, rg=rg))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/workspaces")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=TYPE))
