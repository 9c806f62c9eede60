"""Microsoft.CognitiveServices (`CognitiveServicesManagementClient`), api 2025-09-01.

Decisions and their sources (arm-facts §5, ops-pitfalls O-1..O-4, S-1..S-5, D-4):
- Account PUT is body-polled (201/200 with a non-terminal `provisioningState`, GET-able at
  once); the spec examples (`CreateAccountMin.json`) carry no async header. DELETE is an
  Azure-AsyncOperation LRO (`DeleteAccount.json`: 202 + azure-asyncoperation) that soft-deletes.
- Soft-deleted accounts live 48 h (catalog `SOFT_DELETE_RETENTION_HOURS`, learn.microsoft.com
  azure/ai-services/manage-resources) outside their resource group, so deleting the group
  soft-deletes them too (the same page: "If the resource group was deleted, you must recreate
  it" to recover). Their deployments keep drawing quota until purge (S-5).
- One write per account at a time: RequestConflict (O-1). Deployment PUT/DELETE are
  Azure-AsyncOperation LROs (SDK `final-state-via: azure-async-operation`).
- Quota per subscription + region + model + deployment sku (O-4), usage names from
  `infra.catalog.cognitive.quota_usage_name`, limits from `state.quotas` (default:
  the catalog's `default_quota` per model and sku).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sandbox.arm.cognitive.models import (
    ACCOUNT,
    ACCOUNT_SECONDS,
    ACCOUNT_TYPE,
    ACCOUNTS,
    DELETE_SECONDS,
    DELETED,
    DELETED_KIND,
    DEPLOYMENT_SECONDS,
    DEPLOYMENT_TYPE,
    DEPLOYMENTS,
    NAMESPACE,
    PATCHABLE,
    RETENTION_SECONDS,
    RETRY_AFTER,
    SERVER_FIELDS,
    all_deployments,
    bucket_of,
    busy,
    cannot_delete,
    check_account,
    check_quota,
    check_subdomain,
    deleted_id,
    deleted_records,
    deleted_view,
    endpoints_of,
    find_deleted,
    flag_must_be_set,
    nested_projects,
    public,
    purge,
    record,
    usage_doc,
    validated_model,
    validated_sku,
)
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.clock import iso
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    cascade_delete,
    managed_identity,
    put_properties,
    put_tags,
    require,
    require_location,
    system_data,
)
from sandbox.core.state import SandboxState

provider = Provider(NAMESPACE)


@provider.on_delete(DEPLOYMENT_TYPE)
def _keep_deleted_deployment(state: SandboxState, doc: dict[str, Any]) -> None:
    """A deployment going with its account stays with the soft-deleted account (S-5)."""
    account_id = doc["id"][: doc["id"].lower().rindex("/deployments/")]
    rec = record(state, account_id)
    rec["deployments"].append(doc)
    state.store.put_record(DELETED_KIND, armid.key(account_id), rec)


@provider.on_delete(ACCOUNT_TYPE)
def _soft_delete(state: SandboxState, doc: dict[str, Any]) -> None:
    """Account delete, direct or with its resource group: keep it for the retention period."""
    now = state.clock.now()
    rec = record(state, doc["id"])
    doc["properties"]["provisioningState"] = "Succeeded"
    rec.update(account=doc, deletedAt=now, purgeAt=now + RETENTION_SECONDS)
    state.store.put_record(DELETED_KIND, armid.key(doc["id"]), rec)


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{loc}/usages")
def list_usages(req: ArmRequest) -> ArmResponse:
    """Buckets in use or with a configured limit (the live list also names unused models)."""
    loc = req.params["loc"].replace(" ", "").lower()
    buckets = {bucket_of(d) for place, d in all_deployments(req.state) if place == loc}
    buckets |= {q["name"] for q in req.state.quotas.configured(NAMESPACE, loc)}
    return page(req, [usage_doc(req.state, loc, b) for b in sorted(buckets)])


# -- accounts -----------------------------------------------------------------------------------
def _ensure_idle(req: ArmRequest, account_id: str) -> None:
    if req.state.lro.running_for(account_id):
        raise busy(account_id)


def _new_account(req: ArmRequest, body: dict[str, Any], location: str) -> dict[str, Any]:
    return {
        "id": req.canonical_path,
        "name": req.params["account"],
        "type": ACCOUNT_TYPE,
        "location": location,
        "kind": body.get("kind"),
        "properties": {
            "dateCreated": iso(req.now()),
            "internalId": uuid.uuid4().hex,
            "isMigrated": False,
        },
        "keys": {"key1": secrets.token_hex(16), "key2": secrets.token_hex(16)},
    }


def _apply_account(req: ArmRequest, doc: dict[str, Any], body: dict[str, Any], *, replace: bool) -> None:
    """PUT (`replace`) sets exactly the properties and tags sent; PATCH changes only those sent."""
    props = body.get("properties") or {}
    settable = (*PATCHABLE, "customSubDomainName")
    if replace:
        server = {k: doc["properties"][k] for k in SERVER_FIELDS if k in doc["properties"]}
        doc["properties"] = put_properties(props, settable=settable, server=server)
        doc["tags"] = put_tags(body)
    else:
        doc["properties"].update({f: props[f] for f in settable if props.get(f) is not None})
        if body.get("tags") is not None:
            doc["tags"] = body["tags"]
    if body.get("sku"):
        doc["sku"] = body["sku"]
    doc.setdefault("tags", {})
    endpoint, endpoints = endpoints_of(
        doc["kind"], doc["properties"].get("customSubDomainName"), doc["location"]
    )
    doc["properties"].update(endpoint=endpoint, endpoints=endpoints)
    ident = managed_identity(req.state, body.get("identity"), doc.get("identity"), doc["name"])
    doc.pop("identity", None)
    if ident is not None:
        doc["identity"] = ident
    doc["etag"] = f'"{uuid.uuid4()}"'
    doc["systemData"] = system_data(req, doc)


def _start(
    req: ArmRequest,
    account: dict[str, Any],
    style: str,
    completion: str,
    seconds: float,
    **args: Any,
) -> Operation:
    return req.state.lro.start(
        req,
        style=style,
        completion=completion,
        duration=seconds,
        resource_id=account["id"],
        namespace=NAMESPACE,
        retry_after=RETRY_AFTER,
        location=account["location"],
        args=args,
    )


@provider.route("PUT", ACCOUNT)
def put_account(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    check_account(req.params["account"], body, existing)
    props = body.get("properties") or {}
    if existing is None:
        deleted = find_deleted(req.state, req.params["rg"], req.params["account"])
        if deleted is not None and not props.get("restore"):
            raise flag_must_be_set(deleted["account"]["id"])
        if deleted is not None:
            return _restore(req, deleted, body)
    else:
        _ensure_idle(req, existing["id"])
    if props.get("customSubDomainName"):
        check_subdomain(req.state, props["customSubDomainName"], req.canonical_path)
    doc = existing or _new_account(req, body, location)
    _apply_account(req, doc, body, replace=True)
    doc["properties"]["provisioningState"] = "Accepted" if existing else "Creating"
    req.state.store.put(doc, created=req.now())
    op = _start(req, doc, "body", "account_ready", ACCOUNT_SECONDS)
    return ArmResponse(200 if existing else 201, public(doc), req.state.lro.headers(req, op))


def _restore(req: ArmRequest, rec: dict[str, Any], body: dict[str, Any]) -> ArmResponse:
    """`properties.restore: true` brings the account back with its deployments (S-1)."""
    doc = rec["account"]
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc["properties"]["provisioningState"] = "Accepted"
    req.state.store.put(doc, created=req.now())
    for dep in rec["deployments"]:
        req.state.store.put(dep, created=req.now())
    req.state.store.delete_record(DELETED_KIND, armid.key(doc["id"]))
    op = _start(req, doc, "body", "account_ready", ACCOUNT_SECONDS)
    return ArmResponse(201, public(doc), req.state.lro.headers(req, op))


@provider.completion("account_ready")
def _account_ready(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is not None and doc["properties"]["provisioningState"] in ("Creating", "Accepted"):
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)


@provider.route("PATCH", ACCOUNT)
def patch_account(req: ArmRequest) -> dict[str, Any]:
    doc = require(req, ACCOUNT_TYPE)
    _ensure_idle(req, doc["id"])
    _apply_account(req, doc, req.json(), replace=False)
    req.state.store.put(doc)
    return public(doc)


@provider.route("GET", ACCOUNT)
def get_account(req: ArmRequest) -> dict[str, Any]:
    return public(require(req, ACCOUNT_TYPE))


@provider.route("DELETE", ACCOUNT)
def delete_account(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    _ensure_idle(req, doc["id"])
    projects = nested_projects(req.state, doc["id"])
    if projects:
        raise cannot_delete(projects)
    doc["properties"]["provisioningState"] = "Deleting"
    req.state.store.put(doc)
    op = _start(req, doc, "aao", "account_deleted", DELETE_SECONDS)
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("account_deleted")
def _account_deleted(state: SandboxState, op: Operation) -> None:
    if state.store.get(op.resource_id) is not None and not op.failing:
        cascade_delete(state, op.resource_id)  # runs _soft_delete and _keep_deleted_deployment


@provider.route("GET", ACCOUNTS)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, [public(d) for d in req.state.store.find(type=ACCOUNT_TYPE, rg=rg)])


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.CognitiveServices/accounts")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, [public(d) for d in req.state.store.find(type=ACCOUNT_TYPE)])


@provider.route("POST", ACCOUNT + "/listKeys")
def list_keys(req: ArmRequest) -> dict[str, Any]:
    doc = _account_of(req)
    if doc["properties"].get("disableLocalAuth"):
        # Src: ops-pitfalls D-4 (Azure/terraform-azurerm-avm-res-cognitiveservices-account#130).
        raise ArmError(400, "BadRequest", "Failed to list key. disableLocalAuth is set to be true")
    return dict(doc["keys"])


# -- deleted accounts ---------------------------------------------------------------------------
@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.CognitiveServices/deletedAccounts")
def list_deleted(req: ArmRequest) -> ArmResponse:
    return page(req, [deleted_view(r) for r in deleted_records(req.state)])


def _require_deleted(req: ArmRequest) -> dict[str, Any]:
    p = req.params
    rec = find_deleted(req.state, p["rg"], p["account"], p["loc"].replace(" ", ""))
    if rec is None:
        raise resource_not_found(
            f"{NAMESPACE}/locations/resourceGroups/deletedAccounts", p["account"], p["rg"]
        )
    return rec


@provider.route("GET", DELETED)
def get_deleted(req: ArmRequest) -> dict[str, Any]:
    return deleted_view(_require_deleted(req))


@provider.route("DELETE", DELETED)
def purge_deleted(req: ArmRequest) -> ArmResponse:
    """Purge is a DELETE on the location-scoped URL, an Azure-AsyncOperation LRO (S-3)."""
    rec = _require_deleted(req)
    op = req.state.lro.start(
        req,
        style="aao",
        completion="purged",
        duration=DELETE_SECONDS,
        resource_id=deleted_id(rec["account"]),
        namespace=NAMESPACE,
        retry_after=RETRY_AFTER,
        location=rec["account"]["location"],
        args={"account": rec["account"]["id"]},
    )
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("purged")
def _purged(state: SandboxState, op: Operation) -> None:
    rec = state.store.record(DELETED_KIND, armid.key(op.args["account"]))
    if rec is not None and "account" in rec and not op.failing:
        purge(state, rec)


# -- deployments --------------------------------------------------------------------------------
def _account_of(req: ArmRequest) -> dict[str, Any]:
    p = req.params
    account_id = (
        f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/{NAMESPACE}/accounts/{p['account']}"
    )
    doc = req.state.store.get(account_id)
    if doc is None:
        raise resource_not_found(ACCOUNT_TYPE, p["account"], p["rg"])
    return doc


def _deployment_doc(
    req: ArmRequest, account: dict[str, Any], body: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    props = body.get("properties") or {}
    sku = validated_sku(body.get("sku"))
    return {
        "id": existing["id"] if existing else req.canonical_path,
        "name": existing["name"] if existing else req.params["deployment"],
        "type": DEPLOYMENT_TYPE,
        "sku": sku,
        # Deployments carry tags since api 2023-10-01-preview (the SDK's Deployment.tags).
        "tags": body.get("tags") or {},
        "properties": {
            "model": validated_model(account, props, sku["name"]),
            "versionUpgradeOption": props.get("versionUpgradeOption", "OnceNewDefaultVersionAvailable"),
            "raiPolicyName": props.get("raiPolicyName", "Microsoft.DefaultV2"),
            "currentCapacity": sku["capacity"],
            "provisioningState": "Accepted" if existing else "Creating",
        },
        "etag": f'"{uuid.uuid4()}"',
        "systemData": system_data(req, existing),
    }


@provider.route("PUT", DEPLOYMENTS + "/{deployment}")
def put_deployment(req: ArmRequest) -> ArmResponse:
    account = _account_of(req)
    _ensure_idle(req, account["id"])
    existing = req.state.store.get(req.canonical_path)
    doc = _deployment_doc(req, account, req.json(), existing)
    check_quota(req.state, account["location"], doc, existing)
    req.state.store.put(doc, created=req.now())
    op = _start(req, account, "aao", "deployment_ready", DEPLOYMENT_SECONDS, deployment=doc["id"])
    return ArmResponse(200 if existing else 201, doc, req.state.lro.headers(req, op))


@provider.completion("deployment_ready")
def _deployment_ready(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.args["deployment"])
    if doc is not None:
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)


@provider.route("PATCH", DEPLOYMENTS + "/{deployment}")
def patch_deployment(req: ArmRequest) -> dict[str, Any]:
    """Capacity change in place (O-3); applied at once, so 200 with a terminal state."""
    account = _account_of(req)
    doc = require(req, DEPLOYMENT_TYPE)
    _ensure_idle(req, account["id"])
    body = req.json()
    if body.get("sku"):
        updated = {**doc, "sku": validated_sku({**doc["sku"], **body["sku"]})}
        check_quota(req.state, account["location"], updated, doc)
        doc = updated
        doc["properties"]["currentCapacity"] = doc["sku"]["capacity"]
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc["systemData"] = system_data(req, doc)
    req.state.store.put(doc)
    return doc


@provider.route("GET", DEPLOYMENTS + "/{deployment}")
def get_deployment(req: ArmRequest) -> dict[str, Any]:
    _account_of(req)
    return require(req, DEPLOYMENT_TYPE)


@provider.route("GET", DEPLOYMENTS)
def list_deployments(req: ArmRequest) -> ArmResponse:
    account = _account_of(req)
    return page(req, req.state.store.find(type=DEPLOYMENT_TYPE, within=account["id"]))


@provider.route("DELETE", DEPLOYMENTS + "/{deployment}")
def delete_deployment(req: ArmRequest) -> ArmResponse:
    account = _account_of(req)
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    _ensure_idle(req, account["id"])
    doc["properties"]["provisioningState"] = "Deleting"
    req.state.store.put(doc)
    op = _start(req, account, "aao", "deployment_deleted", DELETE_SECONDS, deployment=doc["id"])
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("deployment_deleted")
def _deployment_deleted(state: SandboxState, op: Operation) -> None:
    if not op.failing:
        state.store.delete(op.args["deployment"])
