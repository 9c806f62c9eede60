"""Microsoft.Storage/storageAccounts (`StorageManagementClient`).

Decisions and their sources:
- Create is a Location LRO: 202 + `Location` + `Retry-After`, the monitor's final 200 carries
  the account (SDK 25.3 `_create_initial` reads Location on 202; `begin_create` polls it). A
  PUT on an existing account answers 200 with the account at once.
- Names are global: 409 `StorageAccountAlreadyTaken` "The storage account named X is already
  taken." with target the name (hashicorp/terraform#11485, OfficeDev/microsoft-teams-apps-
  timetally#50); 3-24 lowercase letters and digits, else 400 `AccountNameInvalid` (text:
  Azure/AzureMonitorStarterPacks#171, microsoft/AzureSuperpowers#6).
- DELETE is synchronous: 200, or 204 when absent (SDK `delete` accepts 200/204). No soft
  delete of the account in the sandbox (Azure's account recovery is a support process).
- checkNameAvailability answers `nameAvailable`, `reason` (AccountNameInvalid|AlreadyExists)
  and `message` (the same texts).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider
from sandbox.core.clock import iso
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    delete_now,
    forget_identity,
    managed_identity,
    put_tags,
    require,
    require_location,
    system_data,
)
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.Storage")

TYPE = "Microsoft.Storage/storageAccounts"
ACCOUNTS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts"
ACCOUNT = ACCOUNTS + "/{name}"
CREATE_SECONDS = 20.0  # simulated
RETRY_AFTER = 17  # the value the storage RP sends in practice [unverified]
_NAME = re.compile(r"^[a-z0-9]{3,24}$")
SETTABLE = (
    "allowSharedKeyAccess",
    "allowBlobPublicAccess",
    "minimumTlsVersion",
    "supportsHttpsTrafficOnly",
    "accessTier",
    "publicNetworkAccess",
    "networkAcls",
    "isHnsEnabled",
)
# Src: specs storage.json StorageAccountPropertiesCreateParameters defaults (TLS1_0 until the
# 2025 retirement is not modelled; HTTPS only true since 2019-04-01).
DEFAULTS = {"supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_0", "isHnsEnabled": False}
SKUS = ("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS",
        "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS")  # fmt: skip
KINDS = ("Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage")


def name_invalid(name: str) -> ArmError:
    return ArmError(
        400,
        "AccountNameInvalid",
        f"{name} is not a valid storage account name. Storage account name must be between 3 "
        "and 24 characters in length and use numbers and lower-case letters only.",
        target=name,
    )


def name_taken(name: str) -> ArmError:
    return ArmError(
        409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken.", target=name
    )


def _taken_elsewhere(state: SandboxState, name: str, own_id: str) -> bool:
    return any(
        d["name"].lower() == name.lower() and d["id"].lower() != own_id.lower()
        for d in state.store.find(type=TYPE)
    )


def _check(req: ArmRequest, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = req.params["name"]
    if not _NAME.match(name):
        raise name_invalid(name)
    if existing is None and _taken_elsewhere(req.state, name, req.canonical_path):
        raise name_taken(name)
    sku = (body.get("sku") or {}).get("name")
    if sku not in SKUS:
        # [unverified] code and text; sku.name is required (SDK StorageAccountCreateParameters).
        raise ArmError(400, "InvalidRequestPropertyValue", f"The value '{sku}' is not allowed for sku.name.")
    if body.get("kind") not in KINDS:
        # [unverified] code and text; kind is required (same model).
        raise ArmError(
            400, "InvalidRequestPropertyValue", f"The value '{body.get('kind')}' is not allowed for kind."
        )


def _endpoints(name: str) -> dict[str, str]:
    return {
        s: f"https://{name}.{s}.core.windows.net/" for s in ("blob", "queue", "table", "file", "dfs", "web")
    }


@provider.route("PUT", ACCOUNT)
def put_account(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    _check(req, body, existing)
    doc = existing or {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": TYPE,
        "location": location,
        "properties": {"creationTime": iso(req.now()), "primaryLocation": location},
    }
    sent = body.get("properties") or {}
    props = doc["properties"]
    for field in SETTABLE:
        if sent.get(field) is not None:
            props[field] = sent[field]
        elif existing is None and field in DEFAULTS:
            props[field] = DEFAULTS[field]
    props.update(primaryEndpoints=_endpoints(doc["name"]), statusOfPrimary="available")
    doc.update(
        sku={"name": body["sku"]["name"], "tier": body["sku"]["name"].split("_")[0]}, kind=body["kind"]
    )
    doc["tags"] = put_tags(body)
    ident = managed_identity(req.state, body.get("identity"), doc.get("identity"), doc["name"])
    doc.pop("identity", None)
    if ident is not None:
        doc["identity"] = ident
    doc["systemData"] = system_data(req, existing)
    if existing is not None:
        req.state.store.put(doc)
        return ArmResponse(200, doc)
    props["provisioningState"] = "Creating"
    req.state.store.put(doc, created=req.now())
    op = req.state.lro.start(
        req,
        style="location",
        completion="created",
        duration=CREATE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        retry_after=RETRY_AFTER,
        location=location,
    )
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("created")
def _created(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is None:
        return
    doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
    state.store.put(doc)
    op.args["result"] = doc


@provider.route("PATCH", ACCOUNT)
def patch_account(req: ArmRequest) -> dict[str, Any]:
    """Synchronous 200 (SDK `update` accepts only 200); only the fields sent change."""
    doc = require(req, TYPE)
    body = req.json()
    sent = body.get("properties") or {}
    doc["properties"].update({f: sent[f] for f in SETTABLE if sent.get(f) is not None})
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc["systemData"] = system_data(req, doc)
    req.state.store.put(doc)
    return doc


@provider.route("GET", ACCOUNT)
def get_account(req: ArmRequest) -> dict[str, Any]:
    return require(req, TYPE)


@provider.route("DELETE", ACCOUNT)
def delete_account(req: ArmRequest) -> ArmResponse:
    return delete_now(req)


provider.on_delete(TYPE)(forget_identity)


@provider.route("GET", ACCOUNTS)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, req.state.store.find(type=TYPE, rg=rg))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=TYPE))


@provider.route("POST", "/subscriptions/{sub}/providers/Microsoft.Storage/checkNameAvailability")
def check_name_availability(req: ArmRequest) -> dict[str, Any]:
    name = str(req.json().get("name", ""))
    if not _NAME.match(name):
        return {"nameAvailable": False, "reason": "AccountNameInvalid", "message": name_invalid(name).message}
    if _taken_elsewhere(req.state, name, f"#{uuid.uuid4()}"):
        return {"nameAvailable": False, "reason": "AlreadyExists", "message": name_taken(name).message}
    return {"nameAvailable": True}
