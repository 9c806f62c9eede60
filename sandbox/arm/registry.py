"""Microsoft.ContainerRegistry: registries (`ContainerRegistryManagementClient`, api 2025-11-01).

Decisions and sources:
- Create answers 201 `provisioningState: Creating` + `Azure-AsyncOperation`
  `{id}/operationStatuses/registries-{uuid}` (RegistryCreate.json / RegistryUpdate.json, SDK
  `_create_initial` reads that header); a PUT on an existing registry is a synchronous 200.
- Delete answers 202 + `Location` on the same `operationStatuses` path (RegistryDelete.json,
  arm-facts §7); 204 when there is nothing to delete.
- Names are 5-50 alphanumerics: 400 `ResourceNameInvalid` "Invalid resource name: '...'.
  Resource names may contain alpha numeric characters only and must be between 5 and 50
  characters." (microsoft/GitHub-Copilot-for-Azure#867).
- Names are global (DNS): another registry with the same name in any group is 409
  `AlreadyInUse` "The registry DNS name x.azurecr.io is already in use. ..."
  (MicrosoftDocs/azure-dev-docs#1303; the 409 status is [mem]).
- `loginServer` is the lower-cased name + `.azurecr.io` (arm-facts §7 [mem]; Container Apps
  rejects upper-case registry servers, Azure-Samples/azure-search-openai-demo#2139).
- PUT on an existing registry replaces: settable properties left out take their defaults, tags
  are exactly those sent (ARM create-or-replace; audit row "PUT on existing"); PATCH merges.
- SKUs are `infra.catalog.registry.REGISTRY_SKUS` (matched case-insensitively [unverified]);
  anything else is a 400 before any write (code and text [unverified]).
- `adminUserEnabled` defaults to false; `listCredentials` with the admin user disabled is
  `UnAuthorizedForCredentialOperations` "Cannot perform credential operations for <id> as
  admin user is disabled." (text as quoted by users; status 400 is [mem]).
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from typing import Any

from infra.catalog.registry import REGISTRY_SKUS
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider
from sandbox.core.clock import iso
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    cascade_delete,
    put_properties,
    put_tags,
    require,
    require_location,
    system_data,
)
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.ContainerRegistry")

TYPE = "Microsoft.ContainerRegistry/registries"
NS = "/providers/Microsoft.ContainerRegistry"
REG = "/subscriptions/{sub}/resourceGroups/{rg}" + NS + "/registries"
LOGIN_SUFFIX = ".azurecr.io"
CREATE_SECONDS = 30.0  # simulated
DELETE_SECONDS = 20.0
_NAME = re.compile(r"^[a-zA-Z0-9]{5,50}$")
_PASSWORDS = "acr_admin_passwords"
# Settable properties and their service defaults (RegistryCreate.json response).
_DEFAULTS: dict[str, Any] = {
    "adminUserEnabled": False,
    "publicNetworkAccess": "Enabled",
    "networkRuleBypassOptions": "AzureServices",
    "zoneRedundancy": "Disabled",
    "anonymousPullEnabled": False,
    "dataEndpointEnabled": False,
    "roleAssignmentMode": "LegacyRegistryPermissions",
    "encryption": {"status": "disabled"},
    "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
    "policies": {
        "quarantinePolicy": {"status": "disabled"},
        "trustPolicy": {"type": "Notary", "status": "disabled"},
        "retentionPolicy": {"days": 7, "status": "disabled"},
        "exportPolicy": {"status": "enabled"},
        "azureADAuthenticationAsArmPolicy": {"status": "enabled"},
    },
}


def login_server(name: str) -> str:
    return name.lower() + LOGIN_SUFFIX


def _name_problem(name: str) -> str | None:
    if _NAME.match(name):
        return None
    return (
        f"Invalid resource name: '{name}'. Resource names may contain alpha numeric characters "
        "only and must be between 5 and 50 characters."
    )


def _owner_of(state: SandboxState, name: str) -> dict[str, Any] | None:
    return next((d for d in state.store.find(type=TYPE) if d["name"].lower() == name.lower()), None)


def _check_name(req: ArmRequest, name: str) -> None:
    problem = _name_problem(name)
    if problem:
        raise ArmError(400, "ResourceNameInvalid", problem)
    owner = _owner_of(req.state, name)
    if owner is not None and owner["id"].lower() != req.canonical_path.lower():
        raise ArmError(
            409,
            "AlreadyInUse",
            f"The registry DNS name {login_server(name)} is already in use. You can check if the "
            "name is already claimed using following API: "
            "https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/"
            "checknameavailability",
        )


def _sku(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, str]:
    name = (body.get("sku") or current or {}).get("name")
    if not name:
        raise ArmError(400, "InvalidRequestContent", "The property 'sku' is required.")
    canonical = next((s for s in REGISTRY_SKUS if s.lower() == str(name).lower()), None)
    if canonical is None:
        # [unverified] code and text; the valid set is the catalog's (container-registry-skus).
        raise ArmError(
            400,
            "InvalidSku",
            f"The SKU '{name}' is not valid. Valid SKUs are: {', '.join(REGISTRY_SKUS)}.",
        )
    return {"name": canonical, "tier": canonical}


def _merge(props: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """PATCH: the settable properties sent (non-null) on top of the current ones."""
    props.update({k: v for k, v in given.items() if k in _DEFAULTS and v is not None})
    return props


def _replace(props: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """PUT: exactly the settable properties sent, defaults for the rest, computed ones kept."""
    server = {k: v for k, v in props.items() if k not in _DEFAULTS}
    return put_properties(given, settable=_DEFAULTS, defaults=_DEFAULTS, server=server)


@provider.route("PUT", REG + "/{name}")
def put_registry(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    _check_name(req, req.params["name"])
    existing = req.state.store.get(req.canonical_path)
    given = body.get("properties") or {}
    sku = _sku(body, (existing or {}).get("sku"))
    if existing is not None:
        existing["sku"] = sku
        existing["tags"] = put_tags(body)
        existing["properties"] = _replace(existing["properties"], given)
        existing["systemData"] = system_data(req, existing)
        req.state.store.put(existing)
        return ArmResponse(200, existing)
    props = _replace({}, given)
    props.update(
        loginServer=login_server(req.params["name"]),
        creationDate=iso(req.now()),
        provisioningState="Creating",
        dataEndpointHostNames=[],
        privateEndpointConnections=[],
    )
    doc = {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": TYPE,
        "location": location,
        "tags": body.get("tags") or {},
        "sku": sku,
        "properties": props,
        "systemData": system_data(req),
    }
    req.state.store.put(doc, created=req.now())
    op = _start(req, doc, "aao", "created", CREATE_SECONDS)
    return ArmResponse(201, doc, req.state.lro.headers(req, op))


def _start(req: ArmRequest, doc: dict[str, Any], style: str, done: str, secs: float) -> Operation:
    return req.state.lro.start(
        req,
        style=style,
        completion=done,
        duration=secs,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"{doc['id']}/operationStatuses/registries-{uuid.uuid4()}",
        retry_after=5,
        location=doc["location"],
    )


@provider.completion("created")
def _created(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is not None:
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)


@provider.route("GET", REG + "/{name}")
def get_registry(req: ArmRequest) -> dict[str, Any]:
    return require(req, TYPE)


@provider.route("PATCH", REG + "/{name}")
def patch_registry(req: ArmRequest) -> dict[str, Any]:
    """Synchronous 200 (one of the two codes the SDK's `begin_update` accepts)."""
    doc = require(req, TYPE)
    body = req.json()
    sku = _sku(body, doc["sku"])
    doc["sku"] = sku
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    _merge(doc["properties"], body.get("properties") or {})
    doc["systemData"] = system_data(req, doc)
    req.state.store.put(doc)
    return doc


@provider.route("DELETE", REG + "/{name}")
def delete_registry(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    doc["properties"]["provisioningState"] = "Deleting"
    req.state.store.put(doc)
    op = _start(req, doc, "location", "deleted", DELETE_SECONDS)
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("deleted")
def _deleted(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is None:
        return
    if op.failing:
        doc["properties"]["provisioningState"] = "Failed"
        state.store.put(doc)
        return
    cascade_delete(state, op.resource_id)


@provider.on_delete(TYPE)
def _forget_passwords(state: SandboxState, doc: dict[str, Any]) -> None:
    state.store.delete_record(_PASSWORDS, doc["id"])


@provider.route("GET", REG)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, req.state.store.find(type=TYPE, rg=rg))


@provider.route("GET", "/subscriptions/{sub}" + NS + "/registries")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=TYPE))


# -- admin credentials -------------------------------------------------------------------------
def _new_password() -> str:
    return base64.b64encode(secrets.token_bytes(39)).decode().replace("/", "x")


def _credentials(req: ArmRequest, doc: dict[str, Any]) -> dict[str, Any]:
    if not doc["properties"].get("adminUserEnabled"):
        raise ArmError(
            400,
            "UnAuthorizedForCredentialOperations",
            f"Cannot perform credential operations for {doc['id']} as admin user is disabled.",
        )
    pwds = req.state.store.record(_PASSWORDS, doc["id"])
    if pwds is None:
        pwds = {"password": _new_password(), "password2": _new_password()}
        req.state.store.put_record(_PASSWORDS, doc["id"], pwds)
    return {
        "username": doc["name"],
        "passwords": [{"name": k, "value": v} for k, v in pwds.items()],
    }


def _registry_for_action(req: ArmRequest) -> dict[str, Any]:
    """The registry a POST action (`.../{name}/listCredentials`) is about."""
    doc = req.state.store.get(req.canonical_path.rsplit("/", 1)[0])
    if doc is None:
        raise resource_not_found(TYPE, req.params["name"], req.params["rg"])
    return doc


@provider.route("POST", REG + "/{name}/listCredentials")
def list_credentials(req: ArmRequest) -> dict[str, Any]:
    return _credentials(req, _registry_for_action(req))


@provider.route("POST", REG + "/{name}/regenerateCredential")
def regenerate_credential(req: ArmRequest) -> dict[str, Any]:
    doc = _registry_for_action(req)
    current = _credentials(req, doc)
    which = req.json().get("name")
    pwds = {p["name"]: p["value"] for p in current["passwords"]}
    if which not in pwds:
        raise ArmError(400, "InvalidRequestContent", "name must be 'password' or 'password2'.")
    pwds[which] = _new_password()
    req.state.store.put_record(_PASSWORDS, doc["id"], pwds)
    return _credentials(req, doc)


@provider.route("POST", "/subscriptions/{sub}" + NS + "/checkNameAvailability")
def check_name_availability(req: ArmRequest) -> dict[str, Any]:
    """RegistryCheckNameAvailable.json / RegistryCheckNameNotAvailable.json."""
    name = str(req.json().get("name") or "")
    problem = _name_problem(name)
    if problem:
        return {"nameAvailable": False, "reason": "Invalid", "message": problem}
    if _owner_of(req.state, name) is not None:
        return {
            "nameAvailable": False,
            "reason": "AlreadyExists",
            "message": f"The registry {name} is already in use.",
        }
    return {"nameAvailable": True}
