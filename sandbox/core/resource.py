"""Helpers provider modules share: document shapes, lookups and cascade deletes."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sandbox.core import armid
from sandbox.core.clock import iso
from sandbox.core.errors import ArmError, resource_not_found
from sandbox.core.http import ArmRequest, ArmResponse

if TYPE_CHECKING:
    from sandbox.core.state import SandboxState


def normalize_location(location: str) -> str:
    """ARM stores `East US` as `eastus`."""
    return location.replace(" ", "").lower()


def require_location(body: dict[str, Any]) -> str:
    loc = body.get("location")
    if not isinstance(loc, str) or not loc.strip():
        # [mem] ARM's answer to a tracked resource PUT without location.
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    return normalize_location(loc)


def put_properties(
    sent: Mapping[str, Any] | None,
    *,
    settable: Iterable[str],
    defaults: Mapping[str, Any] | None = None,
    server: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A PUT's `properties`: the whole desired state, so a settable field left out (or null) takes
    its default rather than keeping its old value; read-only fields the service computed stay.

    ARM's PUT is create-or-replace (learn.microsoft.com azure-resource-manager management
    "PUT ... creates or replaces"; specs: search.json "all properties will be updated with the
    given values"); PATCH merges and is handled by each provider.
    """
    sent = sent or {}
    out = copy.deepcopy(dict(defaults or {}))
    for field in settable:
        if sent.get(field) is not None:
            out[field] = copy.deepcopy(sent[field])
    out.update(copy.deepcopy(dict(server or {})))
    return out


def put_tags(body: Mapping[str, Any]) -> dict[str, Any]:
    """Tags after a PUT: exactly those sent (none sent means none)."""
    return dict(body.get("tags") or {})


def caller_type(claims: dict[str, Any]) -> str:
    """systemData's `createdByType` for a token: ManagedIdentity, User or Application.

    Src: Entra access-token claims reference (learn.microsoft.com/entra/identity-platform/
    access-token-claims-reference): `xms_mirid` names a managed identity's resource, `idtyp` is
    `app` or `user`, `scp` appears only in delegated (user) tokens; the enum is ARM's
    common-types `createdByType` (User, Application, ManagedIdentity, Key).
    """
    if claims.get("xms_mirid"):
        return "ManagedIdentity"
    if claims.get("idtyp") == "user" or "scp" in claims:
        return "User"
    return "Application"


def system_data(req: ArmRequest, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    now = iso(req.now())
    created = (previous or {}).get("systemData", {})
    return {
        "createdBy": created.get("createdBy", req.principal_id),
        "createdByType": created.get("createdByType", req.principal_type),
        "createdAt": created.get("createdAt", now),
        "lastModifiedBy": req.principal_id,
        "lastModifiedByType": req.principal_type,
        "lastModifiedAt": now,
    }


def require(req: ArmRequest, resource_type: str) -> dict[str, Any]:
    """The resource at the request's canonical path, or ARM's 404 ResourceNotFound."""
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        rid = armid.parse(req.canonical_path)
        raise resource_not_found(resource_type, rid.name or "", rid.resource_group)
    return doc


def scope_exists(state: SandboxState, scope: str) -> bool:
    """Whether an extension resource's parent scope exists, as far as the sandbox can tell.

    Subscriptions and groups are checked by the front door; resources are checked only when a
    sandbox provider owns their namespace (anything else is outside what the sandbox models).
    """
    rid = armid.parse(scope)
    if rid.namespace is None or rid.namespace.lower() not in state.router.namespaces():
        return True
    return state.store.get(scope) is not None


def cascade_delete(state: SandboxState, scope: str) -> int:
    """Delete `scope` and everything below it (deepest first), running providers' delete hooks."""
    docs = state.store.find(within=scope)
    for doc in sorted(docs, key=lambda d: -len(d["id"])):
        hook = state.router.delete_hooks.get(doc["type"].lower())
        if hook is not None:
            hook(state, doc)
        state.store.delete(doc["id"])
    return len(docs)


TERMINAL_STATES = frozenset({"succeeded", "failed", "canceled"})


def delete_blocker(state: SandboxState, doc: dict[str, Any]) -> dict[str, str] | None:
    """Why ARM could not delete `doc` as part of its group now, or None.

    A top-level resource still provisioning, updating or scaling refuses (ops-pitfalls T-3,
    Azure/bicep-registry-modules#1607; the child's code is not confirmed); nested resources are
    their parent's provider's business. Providers add their own rules.
    """
    state_now = str((doc.get("properties") or {}).get("provisioningState") or "Succeeded")
    if doc["type"].count("/") == 1 and state_now.lower() not in TERMINAL_STATES:
        return {
            "code": "ResourceNotInTerminalState",
            "message": "Resource not in terminal state. Wait until resource is in terminal "
            "provisioningState and try again.",
        }
    check = state.router.delete_checks.get(doc["type"].lower())
    return check(state, doc) if check is not None else None


def delete_tree(state: SandboxState, scope: str) -> list[dict[str, Any]]:
    """Delete everything below `scope` as a group delete does, then `scope` unless blocked.

    ARM deletes children first and waits for dependencies (learn.microsoft.com/azure/azure-
    resource-manager/management/delete-resource-group), so passes repeat until nothing more
    can go. What could go stays deleted; the blocked resources' errors are returned (with
    `target` = their id) and `scope` is kept.
    """
    pending = [d for d in state.store.find(within=scope) if armid.key(d["id"]) != armid.key(scope)]
    blocked: dict[str, dict[str, Any]] = {}
    progress = True
    while pending and progress:
        progress, blocked = False, {}
        for doc in sorted(pending, key=lambda d: -len(d["id"])):
            if any(o is not doc and armid.is_within(o["id"], doc["id"]) for o in pending):
                continue  # its children go first
            reason = delete_blocker(state, doc)
            if reason is not None:
                blocked[doc["id"]] = {**reason, "target": doc["id"]}
                continue
            _delete_one(state, doc)
            pending.remove(doc)
            progress = True
    if pending:
        return list(blocked.values())
    root = state.store.get(scope)
    if root is not None:
        _delete_one(state, root)
    return []


def _delete_one(state: SandboxState, doc: dict[str, Any]) -> None:
    hook = state.router.delete_hooks.get(doc["type"].lower())
    if hook is not None:
        hook(state, doc)
    state.store.delete(doc["id"])


def managed_identity(
    state: SandboxState,
    requested: dict[str, Any] | None,
    previous: dict[str, Any] | None,
    display_name: str,
    *,
    visible_delay: float = 0.0,
) -> dict[str, Any] | None:
    """The `identity` block of a tracked resource after a write, its principal in the directory.

    A system-assigned identity keeps its principal across updates and is registered in the
    sandbox directory, so role assignments to it resolve; removing it forgets the principal.
    """
    if requested is None:
        return previous
    kind = str(requested.get("type") or "None")
    system = "systemassigned" in kind.replace(" ", "").lower().split(",")
    had = (previous or {}).get("principalId")
    if had and not system:
        state.directory.remove(had)
    if kind.lower() == "none":
        return None
    out: dict[str, Any] = {"type": kind}
    if system:
        principal = had or str(uuid.uuid4())
        out.update(principalId=principal, tenantId=state.config.tenant_id)
        if not had:
            state.directory.add(
                principal,
                "ServicePrincipal",
                display_name=display_name,
                visible_at=state.clock.now() + visible_delay,
            )
    if requested.get("userAssignedIdentities"):
        out["userAssignedIdentities"] = {
            uai: _user_assigned(state, uai) for uai in requested["userAssignedIdentities"]
        }
    return out


def _user_assigned(state: SandboxState, uai_id: str) -> dict[str, Any]:
    doc = state.store.get(uai_id)
    props = (doc or {}).get("properties") or {}
    return {"principalId": props.get("principalId"), "clientId": props.get("clientId")}


def forget_identity(state: SandboxState, doc: dict[str, Any]) -> None:
    """Remove a deleted resource's system-assigned principal from the directory."""
    principal = (doc.get("identity") or {}).get("principalId")
    if principal:
        state.directory.remove(principal)


def as_int(value: Any) -> int | None:
    """An integer property as ARM's deserializers read it: a JSON number, or a string of digits
    (az sends `sku.capacity` of `cognitiveservices account deployment create` as "10"; ARM's
    JSON readers convert such strings). None for anything else, bools included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def without_nulls(value: Any) -> Any:
    """A PUT body with every `null` property dropped: a property sent as null takes its default,
    as one left out does (az's containerapp module sends `"scale": null`, `"volumes": null`...
    for options not given, and Azure creates the app with defaults)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def delete_now(req: ArmRequest) -> ArmResponse:
    """A synchronous DELETE of a resource with a managed identity: 200 when it existed, 204 when it
    did not (ARM's contract for deletes, arm-facts.md), the identity forgotten with it."""
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    forget_identity(req.state, doc)
    req.state.store.delete(doc["id"])
    return ArmResponse(200)
