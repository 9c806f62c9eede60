"""Microsoft.ManagedIdentity: user-assigned identities (`ManagedServiceIdentityClient`).

Creating one registers its principal in the sandbox directory (visible to role assignments
after `principal_replication_delay` simulated seconds); deleting it removes the principal but,
like Entra, leaves role assignments that name it behind (ops-pitfalls R-6).

A PUT replaces: tags and `isolationScope` are exactly those sent, `isolationScope` defaulting to
"None" (IdentityCreate.json, 2024-11-30); the ids stay. PATCH merges. Names follow
`infra.catalog.identity.IDENTITY_NAME_PATTERN`, checked before any write. Federated identity
credentials (2024-11-30) are child resources: PUT 201/200, GET, list, DELETE 200/204.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from infra.catalog.identity import IDENTITY_NAME_PATTERN
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider
from sandbox.core.errors import resource_not_found
from sandbox.core.odata import page
from sandbox.core.resource import put_properties, put_tags, require, require_location, system_data
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.ManagedIdentity")

TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
_NAME = re.compile(IDENTITY_NAME_PATTERN)
_SERVER = ("tenantId", "principalId", "clientId")
_DEFAULTS = {"isolationScope": "None"}
UAI = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        # Rule: resource-name-rules#microsoftmanagedidentity. [unverified] code and text: ARM's
        # generic InvalidResourceName, worded on the rule.
        raise ArmError(
            400,
            "InvalidResourceName",
            f"The resource name '{name}' is invalid. It must be 3 to 128 characters of letters, "
            "digits, hyphens and underscores, and start with a letter or digit.",
        )


@provider.route("PUT", UAI + "/{name}")
def put_identity(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    if existing is None:
        _check_name(req.params["name"])
    ids = {k: v for k, v in ((existing or {}).get("properties") or {}).items() if k in _SERVER} or {
        "tenantId": req.state.config.tenant_id,
        "principalId": str(uuid.uuid4()),
        "clientId": str(uuid.uuid4()),
    }
    sent = body.get("properties") if isinstance(body.get("properties"), dict) else {}
    props = put_properties(sent, settable=_DEFAULTS, defaults=_DEFAULTS, server=ids)
    doc = {
        "id": existing["id"] if existing else req.canonical_path,
        "name": existing["name"] if existing else req.params["name"],
        "type": TYPE,
        "location": location,
        "tags": put_tags(body),
        "properties": props,
        "systemData": system_data(req, existing),
    }
    req.state.store.put(doc, created=req.now())
    if existing is None:
        req.state.directory.add(
            props["principalId"],
            "ServicePrincipal",
            display_name=str(doc["name"]),
            app_id=props["clientId"],
            visible_at=req.now() + req.state.config.principal_replication_delay,
        )
    return ArmResponse(200 if existing else 201, doc)


@provider.route("GET", UAI + "/{name}")
def get_identity(req: ArmRequest) -> dict[str, Any]:
    return require(req, TYPE)


@provider.route("PATCH", UAI + "/{name}")
def patch_identity(req: ArmRequest) -> dict[str, Any]:
    doc = require(req, TYPE)
    body = req.json()
    if body.get("tags") is not None:
        doc["tags"] = body["tags"]
    scope = (body.get("properties") or {}).get("isolationScope")
    if scope is not None:
        doc["properties"]["isolationScope"] = scope
    doc["systemData"] = system_data(req, doc)
    req.state.store.put(doc)
    return doc


@provider.route("DELETE", UAI + "/{name}")
def delete_identity(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    _forget_principal(req.state, doc)
    req.state.store.delete(doc["id"])
    return ArmResponse(200)


@provider.on_delete(TYPE)
def _forget_principal(state: SandboxState, doc: dict[str, Any]) -> None:
    state.directory.remove(doc["properties"]["principalId"])


@provider.route("GET", UAI)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, req.state.store.find(type=TYPE, rg=rg))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=TYPE))


# -- federated identity credentials ---------------------------------------------------------------
FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
FICS = UAI + "/{name}/federatedIdentityCredentials"
MAX_FICS = 20  # learn.microsoft.com workload-identity-federation-considerations: 20 per identity


def _parent(req: ArmRequest) -> dict[str, Any]:
    uai_id = req.canonical_path.split("/federatedIdentityCredentials")[0]
    doc = req.state.store.get(uai_id)
    if doc is None:
        raise resource_not_found(TYPE, req.params["name"], req.params["rg"])
    return doc


def _fic_problem(props: dict[str, Any]) -> str | None:
    """issuer, subject and audiences are required (SDK FederatedIdentityCredential, 2024-11-30
    examples FederatedIdentityCredentialCreate.json). [unverified] the live texts."""
    for field in ("issuer", "subject"):
        if not isinstance(props.get(field), str) or not props[field]:
            return f"The '{field}' property is required."
    audiences = props.get("audiences")
    if not isinstance(audiences, list) or not audiences:
        return "The 'audiences' property is required."
    return None


@provider.route("PUT", FICS + "/{fic}")
def put_federated_credential(req: ArmRequest) -> ArmResponse:
    parent = _parent(req)
    props = dict(req.json().get("properties") or {})
    problem = _fic_problem(props)
    if problem:
        raise ArmError(400, "BadRequest", problem)
    existing = req.state.store.get(req.canonical_path)
    if existing is None and len(req.state.store.find(type=FIC_TYPE, within=parent["id"])) >= MAX_FICS:
        # [unverified] code and text; the limit is the docs'.
        raise ArmError(
            400,
            "BadRequest",
            f"The managed identity '{parent['name']}' already has the maximum of {MAX_FICS} "
            "federated identity credentials.",
        )
    doc = {
        "id": existing["id"] if existing else req.canonical_path,
        "name": existing["name"] if existing else req.params["fic"],
        "type": FIC_TYPE,
        "properties": {k: props[k] for k in ("issuer", "subject", "audiences")},
        "systemData": system_data(req, existing),
    }
    req.state.store.put(doc, created=req.now())
    return ArmResponse(200 if existing else 201, doc)


@provider.route("GET", FICS + "/{fic}")
def get_federated_credential(req: ArmRequest) -> dict[str, Any]:
    _parent(req)
    return require(req, FIC_TYPE)


@provider.route("GET", FICS)
def list_federated_credentials(req: ArmRequest) -> ArmResponse:
    parent = _parent(req)
    return page(req, req.state.store.find(type=FIC_TYPE, within=parent["id"]))


@provider.route("DELETE", FICS + "/{fic}")
def delete_federated_credential(req: ArmRequest) -> ArmResponse:
    _parent(req)
    if req.state.store.get(req.canonical_path) is None:
        return ArmResponse(204)
    req.state.store.delete(req.canonical_path)
    return ArmResponse(200)
