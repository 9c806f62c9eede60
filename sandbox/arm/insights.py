"""Microsoft.OperationalInsights: Log Analytics workspaces (`LogAnalyticsManagementClient`).

Decisions and sources (api 2025-07-01, SDK azure-mgmt-loganalytics 14.0.0):
- PUT of a new workspace answers 201 with `provisioningState: Creating` and a `Location`
  monitor (the SDK reads `Location` on 201/202); the monitor's final 200 carries the workspace,
  which is what LocationPolling returns. A PUT on an existing workspace is a synchronous 200.
- `retentionInDays` must be 30-730 (7 only on the Free tier): 400 `BadRequest` "The value
  provided for retention is invalid", target `retention` (hashicorp/terraform-provider-azurerm
  #2949; limits from the same thread and learn.microsoft.com workspace docs).
- DELETE soft-deletes for 14 days unless `force=true`; re-creating the same name in the same
  subscription, resource group and location recovers it with its customerId and keys
  (learn.microsoft.com/rest/api/loganalytics/workspaces/delete: "To recover the workspace,
  create it again with the same name, in the same subscription, resource group and location.
  The name is kept for 14 days"). A resource-group delete soft-deletes too.
- PUT on an existing workspace replaces: settable properties left out take their defaults
  (retention 30 days, or 7 on Free; public network access Enabled; sku PerGB2018 [unverified])
  and tags are exactly those sent (ARM create-or-replace; audit row "PUT on existing"); the
  customerId, keys and createdDate stay. PATCH merges.
- `POST .../sharedKeys` returns `primarySharedKey`/`secondarySharedKey`
  (WorkspacesGetSharedKeys.json); keys never appear on GET.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.clock import iso
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import put_properties, put_tags, require, require_location, system_data
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.OperationalInsights")

TYPE = "Microsoft.OperationalInsights/workspaces"
NS = "/providers/Microsoft.OperationalInsights"
WS = "/subscriptions/{sub}/resourceGroups/{rg}" + NS + "/workspaces"
SOFT_DELETE_SECONDS = 14 * 24 * 3600.0
CREATE_SECONDS = 20.0  # simulated
RETENTION_RANGE = (30, 730)
FREE_TIER_RETENTION = 7
_KEYS = "oi_shared_keys"
_DELETED = "oi_deleted_workspace"


def _new_key() -> str:
    """A 64-byte base64 key, the shape of real workspace keys."""
    return base64.b64encode(secrets.token_bytes(64)).decode()


def _retention(props: dict[str, Any], sku: str) -> int:
    days = props.get("retentionInDays")
    if days is None:
        return FREE_TIER_RETENTION if sku.lower() == "free" else RETENTION_RANGE[0]
    low, high = RETENTION_RANGE
    ok = days == FREE_TIER_RETENTION if sku.lower() == "free" else low <= days <= high
    if not isinstance(days, int) or not ok:
        raise ArmError(400, "BadRequest", "The value provided for retention is invalid", target="retention")
    return days


def _deleted(state: SandboxState, resource_id: str) -> dict[str, Any] | None:
    """The soft-deleted workspace at this id, if its 14 days have not run out."""
    rec = state.store.record(_DELETED, armid.key(resource_id))
    if rec is None:
        return None
    if state.clock.now() >= rec["purgeAt"]:
        state.store.delete_record(_DELETED, armid.key(resource_id))
        state.store.delete_record(_KEYS, rec["doc"]["properties"]["customerId"])
        return None
    return rec


_SETTABLE = (
    "sku",
    "retentionInDays",
    "workspaceCapping",
    "publicNetworkAccessForIngestion",
    "publicNetworkAccessForQuery",
    "forceCmkForQuery",
    "features",
    "defaultDataCollectionRuleResourceId",
    "replication",
    "failover",
)
_DEFAULTS = {
    "sku": {"name": "PerGB2018"},
    "publicNetworkAccessForIngestion": "Enabled",
    "publicNetworkAccessForQuery": "Enabled",
}


def _props(req: ArmRequest, body: dict[str, Any], base: dict[str, Any], *, replace: bool) -> dict[str, Any]:
    """Properties after a PUT (`replace`: defaults for what is left out) or a PATCH (merge)."""
    given = body.get("properties") or {}
    if replace:
        server = {k: v for k, v in base.items() if k not in _SETTABLE}
        props = put_properties(given, settable=_SETTABLE, defaults=_DEFAULTS, server=server)
    else:
        props = {**_DEFAULTS, **base, **{k: v for k, v in given.items() if k in _SETTABLE and v is not None}}
    sku = props["sku"]["name"]
    props["sku"] = {"name": sku}
    keep = not replace and "retentionInDays" not in given and base.get("retentionInDays")
    props["retentionInDays"] = keep or _retention(given, sku)
    props["modifiedDate"] = iso(req.now())
    return props


@provider.route("PUT", WS + "/{name}")
def put_workspace(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    if existing is not None:
        existing["properties"] = _props(req, body, existing["properties"], replace=True)
        existing["properties"]["provisioningState"] = "Succeeded"
        existing["tags"] = put_tags(body)
        existing["systemData"] = system_data(req, existing)
        req.state.store.put(existing)
        return ArmResponse(200, existing)
    return _create(req, body, location)


def _create(req: ArmRequest, body: dict[str, Any], location: str) -> ArmResponse:
    recovered = _deleted(req.state, req.canonical_path)
    if recovered is not None and recovered["doc"]["location"] != location:
        recovered = None
    base = (
        recovered["doc"]["properties"]
        if recovered
        else {
            "customerId": str(uuid.uuid4()),
            "createdDate": iso(req.now()),
        }
    )
    doc: dict[str, Any] = {
        "id": recovered["doc"]["id"] if recovered else req.canonical_path,
        "name": recovered["doc"]["name"] if recovered else req.params["name"],
        "type": TYPE,
        "location": location,
        "tags": body.get("tags") or {},
        "properties": _props(req, body, base, replace=True),
        "systemData": system_data(req),
    }
    doc["properties"]["provisioningState"] = "Creating"
    if recovered is None:
        req.state.store.put_record(
            _KEYS,
            doc["properties"]["customerId"],
            {"primarySharedKey": _new_key(), "secondarySharedKey": _new_key()},
        )
    req.state.store.delete_record(_DELETED, armid.key(doc["id"]))
    req.state.store.put(doc, created=req.now())
    op = req.state.lro.start(
        req,
        style="location",
        completion="created",
        duration=CREATE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"{doc['id']}/operationresults/{uuid.uuid4()}",
        retry_after=5,
        location=location,
    )
    return ArmResponse(201, doc, req.state.lro.headers(req, op))


@provider.completion("created")
def _created(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is None:
        return
    doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
    state.store.put(doc)
    op.args["result"] = doc


@provider.route("GET", WS + "/{name}")
def get_workspace(req: ArmRequest) -> dict[str, Any]:
    return require(req, TYPE)


@provider.route("PATCH", WS + "/{name}")
def patch_workspace(req: ArmRequest) -> dict[str, Any]:
    """Synchronous 200 (the SDK's `update` accepts only 200)."""
    doc = require(req, TYPE)
    body = req.json()
    doc["properties"] = _props(req, body, doc["properties"], replace=False)
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc["systemData"] = system_data(req, doc)
    req.state.store.put(doc)
    return doc


@provider.route("DELETE", WS + "/{name}")
def delete_workspace(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    force = (req.q("force") or "").lower() == "true"
    _retire(req.state, doc, force=force)
    req.state.store.delete(doc["id"])
    return ArmResponse(200)


@provider.on_delete(TYPE)
def _soft_delete_with_group(state: SandboxState, doc: dict[str, Any]) -> None:
    _retire(state, doc, force=False)


def _retire(state: SandboxState, doc: dict[str, Any], *, force: bool) -> None:
    """Keep a soft-deleted copy for 14 days, or drop it and its keys for good."""
    if force:
        state.store.delete_record(_KEYS, doc["properties"]["customerId"])
        state.store.delete_record(_DELETED, armid.key(doc["id"]))
        return
    now = state.clock.now()
    state.store.put_record(
        _DELETED,
        armid.key(doc["id"]),
        {"doc": doc, "deletedAt": now, "purgeAt": now + SOFT_DELETE_SECONDS},
    )


@provider.route("GET", WS)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, req.state.store.find(type=TYPE, rg=rg))


@provider.route("GET", "/subscriptions/{sub}" + NS + "/workspaces")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=TYPE))


def _deleted_docs(req: ArmRequest, rg: str | None) -> list[dict[str, Any]]:
    out = []
    for rec in req.state.store.records(_DELETED):
        live = _deleted(req.state, rec["doc"]["id"])
        if live is not None and (rg is None or armid.is_within(live["doc"]["id"], rg)):
            out.append(live["doc"])
    return out


@provider.route("GET", "/subscriptions/{sub}" + NS + "/deletedWorkspaces")
def list_deleted(req: ArmRequest) -> ArmResponse:
    return page(req, _deleted_docs(req, None))


@provider.route("GET", "/subscriptions/{sub}/resourceGroups/{rg}" + NS + "/deletedWorkspaces")
def list_deleted_by_group(req: ArmRequest) -> ArmResponse:
    return page(
        req,
        _deleted_docs(req, f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"),
    )


@provider.route("POST", WS + "/{name}/sharedKeys")
def shared_keys(req: ArmRequest) -> dict[str, Any]:
    doc = req.state.store.get(req.canonical_path.rsplit("/", 1)[0])
    if doc is None:
        raise resource_not_found(TYPE, req.params["name"], req.params["rg"])
    return dict(req.state.store.record(_KEYS, doc["properties"]["customerId"]) or {})


def workspace_by_customer_id(state: SandboxState, customer_id: str) -> dict[str, Any] | None:
    """The live workspace with this customerId, with its shared keys (for Microsoft.App)."""
    for doc in state.store.find(type=TYPE):
        if doc["properties"]["customerId"].lower() == customer_id.lower():
            return {"doc": doc, "keys": state.store.record(_KEYS, customer_id) or {}}
    return None
