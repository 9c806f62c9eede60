"""Microsoft.KeyVault/vaults (`KeyVaultManagementClient`): soft delete, purge, purge protection.

Decisions and their sources:
- PUT is body-polled: 200/201 with `provisioningState: RegisteringDns`, then `Succeeded`
  (SDK 14.1 `_create_or_update_initial` accepts 200/201, ARMPolling on the body). DELETE is
  synchronous 200/204 and soft-deletes (soft delete cannot be turned off since 2020,
  learn.microsoft.com key-vault soft-delete-overview); a group delete soft-deletes too.
- Soft-deleted vaults live `softDeleteRetentionInDays` (7-90, default 90) under
  `/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{loc}/deletedVaults/{name}`;
  purge is POST `.../purge`, 202 + Location (SDK `begin_purge_deleted` accepts 200/202).
- Names are global (3-24 letters, digits and hyphens, start with a letter, end with a letter or
  digit, no `--`). A live vault elsewhere: 409 `VaultAlreadyExists` (full text:
  Esri/arcgis-gitops#174, microsoft/azure_arc#3378). A soft-deleted vault of that name: 409
  `ConflictError` "A vault with the same name already exists in deleted state..." (quoted in
  public troubleshooting tables; the text after "deleted state" [unverified]) unless the PUT has
  `createMode: recover`, which brings it back.
- `enablePurgeProtection` cannot be turned off once on, and a protected vault cannot be purged
  before its scheduled purge date (soft-delete-overview); codes and texts [unverified].
"""

from __future__ import annotations

import copy
import re
from typing import Any

from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.clock import iso
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import put_tags, require, require_location, system_data
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.KeyVault")

NAMESPACE = "Microsoft.KeyVault"
TYPE = "Microsoft.KeyVault/vaults"
VAULTS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults"
VAULT = VAULTS + "/{name}"
DELETED = "/subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{loc}/deletedVaults/{name}"
DELETED_KIND = "keyvault:deletedvault"
CREATE_SECONDS = 10.0  # simulated DNS registration
PURGE_SECONDS = 10.0
RETENTION_DAYS = (7, 90)
# [mem] learn.microsoft.com key-vault rbac-guide: from api-version 2026-02-01 new vaults default
# to Azure RBAC; earlier versions default to access policies.
RBAC_DEFAULT_API = "2026-02-01"
SETTABLE = (
    "tenantId",
    "sku",
    "accessPolicies",
    "enabledForDeployment",
    "enabledForDiskEncryption",
    "enabledForTemplateDeployment",
    "enableRbacAuthorization",
    "enablePurgeProtection",
    "softDeleteRetentionInDays",
    "publicNetworkAccess",
    "networkAcls",
)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")


# -- errors -------------------------------------------------------------------------------------
def _invalid_name(name: str) -> ArmError:
    # [unverified] code; the rule is learn.microsoft.com resource-name-rules (Microsoft.KeyVault).
    return ArmError(
        400,
        "VaultNameNotValid",
        f"The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric "
        "characters. The name must begin with a letter, end with a letter or digit, and not "
        "contain consecutive hyphens.",
    )


def _already_exists(name: str) -> ArmError:
    return ArmError(
        409,
        "VaultAlreadyExists",
        f"The vault name '{name}' is already in use. Vault names are globally unique so it is "
        "possible that the name is already taken. If you are sure that the vault name was not "
        "taken then it is possible that a vault with the same name was recently deleted but not "
        "purged after being placed in a recoverable state. If the vault is in a recoverable state "
        "then the vault will need to be purged before reusing the name. For more information about "
        "VaultAlreadyExists, soft delete and purging a vault follow this link "
        "https://go.microsoft.com/fwlink/?linkid=2147740.",
    )


def _in_deleted_state() -> ArmError:
    return ArmError(
        409,
        "ConflictError",
        "A vault with the same name already exists in deleted state. You need to either recover "
        "or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 "
        "for more information on soft delete.",
    )


def _bad(message: str) -> ArmError:
    # [unverified] code: the Key Vault RP's validation failures seen in the wild are BadRequest.
    return ArmError(400, "BadRequest", message)


# -- soft-deleted vaults ------------------------------------------------------------------------
def deleted_records(state: SandboxState) -> list[dict[str, Any]]:
    """Soft-deleted vaults within retention; expired ones are purged on the way."""
    live = []
    for rec in state.store.records(DELETED_KIND):
        if rec["purgeAt"] <= state.clock.now():
            state.store.delete_record(DELETED_KIND, rec["vault"]["name"].lower())
        else:
            live.append(rec)
    return live


def _find_deleted(state: SandboxState, name: str) -> dict[str, Any] | None:
    return next((r for r in deleted_records(state) if r["vault"]["name"].lower() == name.lower()), None)


def _deleted_view(rec: dict[str, Any]) -> dict[str, Any]:
    vault = rec["vault"]
    sub = armid.parse(vault["id"]).subscription
    return {
        "id": f"/subscriptions/{sub}/providers/{NAMESPACE}/locations/{vault['location']}/deletedVaults/"
        f"{vault['name']}",
        "name": vault["name"],
        "type": "Microsoft.KeyVault/deletedVaults",
        "properties": {
            "vaultId": vault["id"],
            "location": vault["location"],
            "deletionDate": iso(rec["deletedAt"]),
            "scheduledPurgeDate": iso(rec["purgeAt"]),
            "tags": vault.get("tags") or {},
            "purgeProtectionEnabled": bool(vault["properties"].get("enablePurgeProtection")),
        },
    }


@provider.on_delete(TYPE)
def _soft_delete(state: SandboxState, doc: dict[str, Any]) -> None:
    now = state.clock.now()
    days = int(doc["properties"].get("softDeleteRetentionInDays") or RETENTION_DAYS[1])
    rec = {"vault": doc, "deletedAt": now, "purgeAt": now + days * 86400.0}
    state.store.put_record(DELETED_KIND, doc["name"].lower(), rec)


# -- validation ---------------------------------------------------------------------------------
def _check_name(state: SandboxState, name: str, own_id: str, recover: bool) -> dict[str, Any] | None:
    """The soft-deleted vault to recover, or None; refuses a taken or held name."""
    if not _NAME.match(name) or "--" in name:
        raise _invalid_name(name)
    if any(
        d["name"].lower() == name.lower() and d["id"].lower() != own_id.lower()
        for d in state.store.find(type=TYPE)
    ):
        raise _already_exists(name)
    deleted = _find_deleted(state, name)
    if deleted is not None and not recover:
        raise _in_deleted_state()
    return deleted


def _properties(req: ArmRequest, sent: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    props = copy.deepcopy(before or {})
    props.update({f: sent[f] for f in SETTABLE if sent.get(f) is not None})
    if not props.get("tenantId") or not (props.get("sku") or {}).get("name"):
        # [unverified] text; tenantId and sku are required (specs keyvault.json VaultProperties).
        raise _bad("The properties 'tenantId' and 'sku' are required for a vault.")
    days = props.setdefault("softDeleteRetentionInDays", RETENTION_DAYS[1])
    if not isinstance(days, int) or not RETENTION_DAYS[0] <= days <= RETENTION_DAYS[1]:
        raise _bad(f"The softDeleteRetentionInDays value '{days}' is invalid: it must be between 7 and 90.")
    if (before or {}).get("enablePurgeProtection") and sent.get("enablePurgeProtection") is False:
        raise _bad("Purge protection cannot be disabled once it is enabled on a vault.")
    props.setdefault("enableRbacAuthorization", req.api_version >= RBAC_DEFAULT_API)
    props.setdefault("accessPolicies", [])
    props["enableSoftDelete"] = True
    return props


# -- vaults -------------------------------------------------------------------------------------
@provider.route("PUT", VAULT)
def put_vault(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    sent = body.get("properties") or {}
    existing = req.state.store.get(req.canonical_path)
    recover = str(sent.get("createMode") or "").lower() == "recover"
    deleted = None if existing else _check_name(req.state, req.params["name"], req.canonical_path, recover)
    base = existing or (deleted or {}).get("vault")
    props = _properties(req, sent, (base or {}).get("properties"))
    name = base["name"] if base else req.params["name"]
    props["vaultUri"] = f"https://{name.lower()}.vault.azure.net/"
    props["provisioningState"] = "Succeeded" if existing else "RegisteringDns"
    doc: dict[str, Any] = {
        "id": base["id"] if base else req.canonical_path,
        "name": name,
        "type": TYPE,
        "location": base["location"] if base else location,
        "tags": put_tags(body)
        if body.get("tags") is not None or not deleted
        else deleted["vault"].get("tags", {}),
        "properties": props,
        "systemData": system_data(req, existing),
    }
    if deleted is not None:
        req.state.store.delete_record(DELETED_KIND, name.lower())
    req.state.store.put(doc, created=req.now())
    if existing is not None:
        return ArmResponse(200, doc)
    req.state.lro.start(
        req,
        style="body",
        completion="registered",
        duration=CREATE_SECONDS,
        resource_id=doc["id"],
        namespace=NAMESPACE,
        retry_after=2,
        location=doc["location"],
    )
    return ArmResponse(201, doc)


@provider.completion("registered")
def _registered(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is not None and doc["properties"]["provisioningState"] == "RegisteringDns":
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)


@provider.route("PATCH", VAULT)
def patch_vault(req: ArmRequest) -> dict[str, Any]:
    doc = require(req, TYPE)
    body = req.json()
    doc["properties"] = _properties(req, body.get("properties") or {}, doc["properties"])
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc["systemData"] = system_data(req, doc)
    req.state.store.put(doc)
    return doc


@provider.route("GET", VAULT)
def get_vault(req: ArmRequest) -> dict[str, Any]:
    return require(req, TYPE)


@provider.route("DELETE", VAULT)
def delete_vault(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    _soft_delete(req.state, doc)
    req.state.store.delete(doc["id"])
    return ArmResponse(200)


@provider.route("GET", VAULTS)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, req.state.store.find(type=TYPE, rg=rg))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.KeyVault/vaults")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=TYPE))


@provider.route("POST", "/subscriptions/{sub}/providers/Microsoft.KeyVault/checkNameAvailability")
def check_name_availability(req: ArmRequest) -> dict[str, Any]:
    name = str(req.json().get("name", ""))
    try:
        _check_name(req.state, name, "", recover=False)
    except ArmError as err:
        reason = "AccountNameInvalid" if err.status == 400 else "AlreadyExists"
        return {"nameAvailable": False, "reason": reason, "message": err.message}
    return {"nameAvailable": True}


# -- deleted vaults -----------------------------------------------------------------------------
@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.KeyVault/deletedVaults")
def list_deleted(req: ArmRequest) -> ArmResponse:
    return page(req, [_deleted_view(r) for r in deleted_records(req.state)])


def _require_deleted(req: ArmRequest) -> dict[str, Any]:
    rec = _find_deleted(req.state, req.params["name"])
    if rec is None or rec["vault"]["location"] != req.params["loc"].replace(" ", "").lower():
        raise resource_not_found("Microsoft.KeyVault/deletedVaults", req.params["name"], None)
    return rec


@provider.route("GET", DELETED)
def get_deleted(req: ArmRequest) -> dict[str, Any]:
    return _deleted_view(_require_deleted(req))


@provider.route("POST", DELETED + "/purge")
def purge_deleted(req: ArmRequest) -> ArmResponse:
    rec = _require_deleted(req)
    if rec["vault"]["properties"].get("enablePurgeProtection"):
        # [unverified] status, code and text; the rule is soft-delete-overview ("a vault with
        # purge protection cannot be purged until the retention period has passed").
        raise ArmError(
            409,
            "Conflict",
            f"Vault '{rec['vault']['name']}' has purge protection enabled and cannot be purged "
            f"before its scheduled purge date {iso(rec['purgeAt'])}.",
        )
    op = req.state.lro.start(
        req,
        style="location",
        completion="purged",
        duration=PURGE_SECONDS,
        resource_id=_deleted_view(rec)["id"],
        namespace=NAMESPACE,
        retry_after=2,
        location=rec["vault"]["location"],
        args={"name": rec["vault"]["name"].lower()},
    )
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("purged")
def _purged(state: SandboxState, op: Operation) -> None:
    if not op.failing:
        state.store.delete_record(DELETED_KIND, op.args["name"])
