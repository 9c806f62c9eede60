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
  `infra.catalog.cognitive.quota_usage_name`, limits from `state.quotas` (default
  `DEFAULT_QUOTA_LIMIT`).
"""

from __future__ import annotations

import copy
import secrets
import uuid
from typing import Any

from infra.catalog.cognitive import (
    DEPLOYMENT_SKUS,
    MODEL_FORMAT,
    SOFT_DELETE_RETENTION_HOURS,
    quota_usage_name,
)
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.clock import iso
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    as_int,
    cascade_delete,
    forget_identity,
    managed_identity,
    require,
    require_location,
    system_data,
)
from sandbox.core.state import SandboxState

NAMESPACE = "Microsoft.CognitiveServices"
provider = Provider(NAMESPACE)

ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT_TYPE = "Microsoft.CognitiveServices/accounts/deployments"
ACCOUNTS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts"
ACCOUNT = ACCOUNTS + "/{account}"
DEPLOYMENTS = ACCOUNT + "/deployments"
DELETED = (
    "/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{loc}"
    "/resourceGroups/{rg}/deletedAccounts/{account}"
)
ACCOUNT_SECONDS = 30.0  # simulated provisioning of an account
DEPLOYMENT_SECONDS = 60.0  # simulated model deployment create/update
DELETE_SECONDS = 30.0
RETRY_AFTER = 5
DEFAULT_QUOTA_LIMIT = 1000.0  # TPM (thousands) per model + sku + region unless set
RETENTION_SECONDS = SOFT_DELETE_RETENTION_HOURS * 3600.0
_DELETED_KIND = "cognitiveservices:deletedaccount"
_PATCHABLE = (
    "disableLocalAuth",
    "publicNetworkAccess",
    "networkAcls",
    "restrictOutboundNetworkAccess",
    "allowedFqdnList",
    "allowProjectManagement",
)


# -- errors -------------------------------------------------------------------------------------
def _busy(account_id: str) -> ArmError:
    # Src: ops-pitfalls O-1 (hashicorp/terraform-provider-azurerm#22607 and others).
    return ArmError(
        409,
        "RequestConflict",
        f"Another operation is being performed on the parent resource '{account_id}'. "
        "Please try again later.",
    )


def _flag_must_be_set(account_id: str) -> ArmError:
    # Src: ops-pitfalls S-1 (Azure/azure-cli#18146, Azure-Samples/azure-search-openai-demo#155).
    return ArmError(
        409,
        "FlagMustBeSetForRestore",
        f"An existing resource with ID '{account_id}' has been soft-deleted. To restore the "
        "resource, you must specify 'restore' to be 'true' in the property. If you don't want "
        "to restore existing resource, please purge it first.",
    )


def _domain_in_use(subdomain: str) -> ArmError:
    # Src: ops-pitfalls S-2 (microsoft/microsoft-foundry-for-vscode#52,
    # Azure-Samples/azure-search-openai-demo#1093).
    return ArmError(
        409,
        "CustomDomainInUse",
        f"Please pick a different name. The subdomain name '{subdomain}' is not available as "
        "it's already used by a resource. If the resource using the name was deleted in the "
        "last 48 hours, you may need to purge the deleted resource.",
    )


def _insufficient_quota(need: float, model: str, sku: str, used: float, limit: float) -> ArmError:
    # Src: ops-pitfalls O-4 (microsoft/Deploy-Your-AI-Application-In-Production#27); the live
    # text continues after "the quota limit is L" with details not reproduced here.
    return ArmError(
        400,
        "InsufficientQuota",
        f"This operation require {_num(need)} new capacity in quota Tokens Per Minute "
        f"(thousands) - {model} - {sku}, which is bigger than the current available capacity "
        f"{_num(max(0.0, limit - used))}. The current quota usage is {_num(used)} and the quota "
        f"limit is {_num(limit)}.",
    )


def _invalid_property(message: str) -> ArmError:
    # Code of live refusals of deployment properties (Azure/bicep#16642).
    return ArmError(400, "InvalidResourceProperties", message)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -- soft-deleted accounts ----------------------------------------------------------------------
def _deleted_id(account: dict[str, Any]) -> str:
    rid = armid.parse(account["id"])
    return (
        f"/subscriptions/{rid.subscription}/providers/{NAMESPACE}/locations/"
        f"{account['location']}/resourceGroups/{rid.resource_group}/deletedAccounts/{rid.name}"
    )


def _deleted_records(state: SandboxState) -> list[dict[str, Any]]:
    """Soft-deleted accounts still within retention; expired ones are purged on the way."""
    live = []
    for rec in state.store.records(_DELETED_KIND):
        if "account" not in rec:
            continue
        if rec["purgeAt"] <= state.clock.now():
            _purge(state, rec)
        else:
            live.append(rec)
    return live


def _purge(state: SandboxState, rec: dict[str, Any]) -> None:
    forget_identity(state, rec["account"])
    state.store.delete_record(_DELETED_KIND, armid.key(rec["account"]["id"]))


def _find_deleted(
    state: SandboxState, rg: str, name: str, location: str | None = None
) -> dict[str, Any] | None:
    for rec in _deleted_records(state):
        rid = armid.parse(rec["account"]["id"])
        same_loc = location is None or rec["account"]["location"] == location.lower()
        same_rg = (rid.resource_group or "").lower() == rg.lower()
        if same_loc and same_rg and (rid.name or "").lower() == name.lower():
            return rec
    return None


def _record(state: SandboxState, account_id: str) -> dict[str, Any]:
    return state.store.record(_DELETED_KIND, armid.key(account_id)) or {"deployments": []}


@provider.on_delete(DEPLOYMENT_TYPE)
def _keep_deleted_deployment(state: SandboxState, doc: dict[str, Any]) -> None:
    """A deployment going with its account stays with the soft-deleted account (S-5)."""
    account_id = doc["id"][: doc["id"].lower().rindex("/deployments/")]
    rec = _record(state, account_id)
    rec["deployments"].append(doc)
    state.store.put_record(_DELETED_KIND, armid.key(account_id), rec)


@provider.on_delete(ACCOUNT_TYPE)
def _soft_delete(state: SandboxState, doc: dict[str, Any]) -> None:
    """Account delete, direct or with its resource group: keep it for the retention period."""
    now = state.clock.now()
    rec = _record(state, doc["id"])
    doc["properties"]["provisioningState"] = "Succeeded"
    rec.update(account=doc, deletedAt=now, purgeAt=now + RETENTION_SECONDS)
    state.store.put_record(_DELETED_KIND, armid.key(doc["id"]), rec)


def _deleted_view(rec: dict[str, Any]) -> dict[str, Any]:
    doc = _public(copy.deepcopy(rec["account"]))
    doc["id"] = _deleted_id(rec["account"])
    doc["properties"].update(deletionDate=iso(rec["deletedAt"]), scheduledPurgeDate=iso(rec["purgeAt"]))
    return doc


# -- quota --------------------------------------------------------------------------------------
def _all_deployments(state: SandboxState) -> list[tuple[str, dict[str, Any]]]:
    """(location, deployment) for live accounts and soft-deleted ones alike."""
    out = []
    for dep in state.store.find(type=DEPLOYMENT_TYPE):
        account = state.store.get(dep["id"][: dep["id"].lower().rindex("/deployments/")])
        if account is not None:
            out.append((account["location"], dep))
    for rec in _deleted_records(state):
        out += [(rec["account"]["location"], dep) for dep in rec["deployments"]]
    return out


def _bucket(dep: dict[str, Any]) -> str:
    return quota_usage_name(dep["sku"]["name"], dep["properties"]["model"]["name"])


def _usage(state: SandboxState, location: str, bucket: str) -> float:
    deps = _all_deployments(state)
    return sum(
        float(d["sku"].get("capacity") or 0) for loc, d in deps if loc == location and _bucket(d) == bucket
    )


def _limit(state: SandboxState, location: str, bucket: str) -> float:
    return state.quotas.limit(NAMESPACE, location, bucket, DEFAULT_QUOTA_LIMIT)


def _check_quota(state: SandboxState, location: str, new: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Only the increase counts when a deployment grows within the same bucket (O-4)."""
    bucket = _bucket(new)
    held = float(old["sku"].get("capacity") or 0) if old and _bucket(old) == bucket else 0.0
    need = float(new["sku"]["capacity"]) - held
    used, limit = _usage(state, location, bucket), _limit(state, location, bucket)
    if need > 0 and used + need > limit:
        sku, model = bucket.split(".", 2)[1:]
        raise _insufficient_quota(need, model, sku, used, limit)


def _usage_doc(state: SandboxState, location: str, bucket: str) -> dict[str, Any]:
    sku, model = bucket.split(".", 2)[1:]
    return {
        "name": {
            "value": bucket,
            "localizedValue": f"Tokens Per Minute (thousands) - {model} - {sku}",
        },
        "currentValue": _usage(state, location, bucket),
        "limit": _limit(state, location, bucket),
        "unit": "Count",
    }


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{loc}/usages")
def list_usages(req: ArmRequest) -> ArmResponse:
    """Buckets in use or with a configured limit (the live list also names unused models)."""
    loc = req.params["loc"].replace(" ", "").lower()
    buckets = {_bucket(d) for place, d in _all_deployments(req.state) if place == loc}
    buckets |= {q["name"] for q in req.state.quotas.configured(NAMESPACE, loc)}
    return page(req, [_usage_doc(req.state, loc, b) for b in sorted(buckets)])


# -- accounts -----------------------------------------------------------------------------------
def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "keys"}


def _ensure_idle(req: ArmRequest, account_id: str) -> None:
    if req.state.lro.running_for(account_id):
        raise _busy(account_id)


def _endpoints(kind: str, subdomain: str | None, location: str) -> tuple[str, dict[str, str]]:
    """`https://{sub}.openai.azure.com/` for OpenAI, `.cognitiveservices.azure.com/` otherwise."""
    if not subdomain:
        endpoint = f"https://{location}.api.cognitive.microsoft.com/"
    elif kind == "OpenAI":
        endpoint = f"https://{subdomain}.openai.azure.com/"
    else:
        endpoint = f"https://{subdomain}.cognitiveservices.azure.com/"
    names = {
        "OpenAI": ["OpenAI Language Model Instance API"],
        "AIServices": ["OpenAI Language Model Instance API", "Azure AI Model Inference API"],
        "FormRecognizer": ["FormRecognizer"],
    }.get(kind, [kind])
    extra = {}
    if kind == "AIServices" and subdomain:
        extra["OpenAI Language Model Instance API"] = f"https://{subdomain}.openai.azure.com/"
    return endpoint, {n: endpoint for n in names} | extra


def _check_subdomain(state: SandboxState, subdomain: str, own_id: str) -> None:
    """Subdomains are global and stay taken while an account is soft-deleted (S-2)."""
    taken = [d for d in state.store.find(type=ACCOUNT_TYPE) if armid.key(d["id"]) != armid.key(own_id)]
    taken += [rec["account"] for rec in _deleted_records(state)]
    for doc in taken:
        if (doc["properties"].get("customSubDomainName") or "").lower() == subdomain.lower():
            raise _domain_in_use(subdomain)


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


def _apply_account(req: ArmRequest, doc: dict[str, Any], body: dict[str, Any]) -> None:
    props = body.get("properties") or {}
    for field in (*_PATCHABLE, "customSubDomainName"):
        if props.get(field) is not None:
            doc["properties"][field] = props[field]
    if body.get("sku"):
        doc["sku"] = body["sku"]
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc.setdefault("tags", {})
    endpoint, endpoints = _endpoints(
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
    props = body.get("properties") or {}
    if existing is None:
        deleted = _find_deleted(req.state, req.params["rg"], req.params["account"])
        if deleted is not None and not props.get("restore"):
            raise _flag_must_be_set(deleted["account"]["id"])
        if deleted is not None:
            return _restore(req, deleted, body)
    else:
        _ensure_idle(req, existing["id"])
    if props.get("customSubDomainName"):
        _check_subdomain(req.state, props["customSubDomainName"], req.canonical_path)
    doc = existing or _new_account(req, body, location)
    _apply_account(req, doc, body)
    doc["properties"]["provisioningState"] = "Accepted" if existing else "Creating"
    req.state.store.put(doc, created=req.now())
    op = _start(req, doc, "body", "account_ready", ACCOUNT_SECONDS)
    return ArmResponse(200 if existing else 201, _public(doc), req.state.lro.headers(req, op))


def _restore(req: ArmRequest, rec: dict[str, Any], body: dict[str, Any]) -> ArmResponse:
    """`properties.restore: true` brings the account back with its deployments (S-1)."""
    doc = rec["account"]
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc["properties"]["provisioningState"] = "Accepted"
    req.state.store.put(doc, created=req.now())
    for dep in rec["deployments"]:
        req.state.store.put(dep, created=req.now())
    req.state.store.delete_record(_DELETED_KIND, armid.key(doc["id"]))
    op = _start(req, doc, "body", "account_ready", ACCOUNT_SECONDS)
    return ArmResponse(201, _public(doc), req.state.lro.headers(req, op))


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
    _apply_account(req, doc, req.json())
    req.state.store.put(doc)
    return _public(doc)


@provider.route("GET", ACCOUNT)
def get_account(req: ArmRequest) -> dict[str, Any]:
    return _public(require(req, ACCOUNT_TYPE))


@provider.route("DELETE", ACCOUNT)
def delete_account(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    _ensure_idle(req, doc["id"])
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
    return page(req, [_public(d) for d in req.state.store.find(type=ACCOUNT_TYPE, rg=rg)])


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.CognitiveServices/accounts")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, [_public(d) for d in req.state.store.find(type=ACCOUNT_TYPE)])


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
    return page(req, [_deleted_view(r) for r in _deleted_records(req.state)])


def _require_deleted(req: ArmRequest) -> dict[str, Any]:
    p = req.params
    rec = _find_deleted(req.state, p["rg"], p["account"], p["loc"].replace(" ", ""))
    if rec is None:
        raise resource_not_found(
            f"{NAMESPACE}/locations/resourceGroups/deletedAccounts", p["account"], p["rg"]
        )
    return rec


@provider.route("GET", DELETED)
def get_deleted(req: ArmRequest) -> dict[str, Any]:
    return _deleted_view(_require_deleted(req))


@provider.route("DELETE", DELETED)
def purge_deleted(req: ArmRequest) -> ArmResponse:
    """Purge is a DELETE on the location-scoped URL, an Azure-AsyncOperation LRO (S-3)."""
    rec = _require_deleted(req)
    op = req.state.lro.start(
        req,
        style="aao",
        completion="purged",
        duration=DELETE_SECONDS,
        resource_id=_deleted_id(rec["account"]),
        namespace=NAMESPACE,
        retry_after=RETRY_AFTER,
        location=rec["account"]["location"],
        args={"account": rec["account"]["id"]},
    )
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("purged")
def _purged(state: SandboxState, op: Operation) -> None:
    rec = state.store.record(_DELETED_KIND, armid.key(op.args["account"]))
    if rec is not None and "account" in rec and not op.failing:
        _purge(state, rec)


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


def _validated_sku(sku: dict[str, Any] | None) -> dict[str, Any]:
    sku = dict(sku or {})
    if sku.get("name") not in DEPLOYMENT_SKUS:
        # Src: Azure/bicep-registry-modules#6561 ("The deployment sku name 'S0' is invalid.").
        raise _invalid_property(f"The deployment sku name '{sku.get('name')}' is invalid.")
    raw = sku.get("capacity", 1)
    capacity = as_int(raw)
    if capacity is None or capacity <= 0:
        # [unverified] text: the sandbox refuses a non-positive capacity as the brief requires.
        raise _invalid_property(f"The capacity '{raw}' of account deployment must be greater than 0.")
    sku["capacity"] = capacity
    return sku


def _validated_model(props: dict[str, Any]) -> dict[str, Any]:
    model = dict(props.get("model") or {})
    if model.get("format") != MODEL_FORMAT or not model.get("name"):
        # [unverified] text; the format values an OpenAI account accepts come from the catalog.
        raise _invalid_property(
            f"The model format '{model.get('format')}' or name '{model.get('name')}' of account "
            f"deployment is invalid; expected format '{MODEL_FORMAT}' and a model name."
        )
    return model


def _deployment_doc(req: ArmRequest, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    props = body.get("properties") or {}
    sku = _validated_sku(body.get("sku"))
    return {
        "id": existing["id"] if existing else req.canonical_path,
        "name": existing["name"] if existing else req.params["deployment"],
        "type": DEPLOYMENT_TYPE,
        "sku": sku,
        # Deployments carry tags since api 2023-10-01-preview (the SDK's Deployment.tags).
        "tags": body.get("tags") or {},
        "properties": {
            "model": _validated_model(props),
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
    doc = _deployment_doc(req, req.json(), existing)
    _check_quota(req.state, account["location"], doc, existing)
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
        updated = {**doc, "sku": _validated_sku({**doc["sku"], **body["sku"]})}
        _check_quota(req.state, account["location"], updated, doc)
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
