"""Azure RBAC for the sandbox: which action a request is, and whether the caller may perform it.

ARM authorizes every call before it reaches the resource provider (MS Learn "Azure RBAC
overview: how Azure RBAC determines if a user has access to a resource"):

1. The action is `{namespace}/{type}[/{child type}...]/{read|write|delete}`, or
   `.../{operation}/action` for a POST (resource-provider-operations.md lists them in this shape:
   `Microsoft.Search/searchServices/listAdminKeys/action`,
   `Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete`). Paths without a
   provider are Microsoft.Resources (`Microsoft.Resources/subscriptions/resourceGroups/write`).
2. Every role assignment at the request's scope or above it, to the caller or to a group the
   caller belongs to, counts. An assignment grants the action when one of its role's `actions`
   matches and none of the same role's `notActions` does (notActions subtract within a role, they
   are not denies), and its condition, if any, holds.
3. Wildcards: `*` matches any run of characters, `/` included, case-insensitively
   (`*/read`, `Microsoft.Authorization/*/Write`).
4. A refusal is 403 AuthorizationFailed. The role-assignment write/delete form carries "or an ABAC
   condition not fulfilled" (MS Learn role-based-access-control/troubleshooting.md, "Symptom -
   Unable to assign a role", and hashicorp/terraform-provider-azurerm reports).

Timing (same troubleshooting page, "Role assignment changes are not being detected": "it can
take up to 10 minutes for changes to take effect"): ARM sees a new assignment when the client
refreshes its token, which the sandbox treats as at once; data actions and image pulls
(`settled=True`) see it only `role_propagation_delay` simulated seconds after it was created.
Deny assignments, management groups and custom role definitions are not modelled.
"""

from __future__ import annotations

import calendar
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from infra.catalog.roles import BUILTIN_ROLES, BuiltinRole
from sandbox.core import armid
from sandbox.core.clock import iso
from sandbox.core.conditions import Context, evaluate
from sandbox.core.errors import ArmError

if TYPE_CHECKING:
    from sandbox.core.state import SandboxState

RA_TYPE = "Microsoft.Authorization/roleAssignments"
RA_WRITE = "Microsoft.Authorization/roleAssignments/write"
RA_DELETE = "Microsoft.Authorization/roleAssignments/delete"
ROLES_BY_GUID: dict[str, BuiltinRole] = {r.guid.lower(): r for r in BUILTIN_ROLES.values()}
_VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


@dataclass(frozen=True)
class Access:
    """One question for the engine: may these principals perform `action` at `scope`?"""

    action: str
    scope: str
    data: bool = False
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")), re.IGNORECASE)


def matches(pattern: str, action: str) -> bool:
    return _pattern(pattern).fullmatch(action) is not None


def role_guid(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def role_grants(role: BuiltinRole, action: str, *, data: bool = False) -> bool:
    allow, deny = (role.data_actions, role.not_data_actions) if data else (role.actions, role.not_actions)
    return any(matches(p, action) for p in allow) and not any(matches(p, action) for p in deny)


def action_for(method: str, path: str) -> str:
    """The RBAC action of an ARM request (see the module docstring)."""
    parts = [p for p in armid.normalize(path).split("/") if p]
    low = [p.lower() for p in parts]
    namespace, rest = "Microsoft.Resources", parts
    verb = "action" if method == "POST" else _VERBS.get(method, "read")
    if "providers" in low:
        i = len(low) - 1 - low[::-1].index("providers")
        if i + 2 >= len(parts):  # /subscriptions/{s}/providers[/{namespace}]: provider metadata
            return f"Microsoft.Resources/{'/'.join(parts[:i:2])}/providers/{verb}"
        namespace, rest = parts[i + 1], parts[i + 2 :]
    return f"{namespace}/{'/'.join(rest[0::2])}/{verb}"


def principal_ids(state: SandboxState, object_id: str) -> set[str]:
    """The caller and every group that has it (or one of its groups) as a member."""
    ids = {object_id.lower()}
    groups = [p for p in state.directory.list() if p.get("principalType") == "Group"]
    grew = True
    while grew:
        grew = False
        for g in groups:
            oid = str(g["objectId"]).lower()
            members = {str(m).lower() for m in g.get("members") or []}
            if oid not in ids and members & ids:
                ids.add(oid)
                grew = True
    return ids


def created_at(assignment: dict[str, Any]) -> float:
    """The simulated time an assignment was written (its `createdOn`, ARM's 7-digit ISO form)."""
    stamp = str(assignment["properties"].get("createdOn") or "")
    try:
        whole, _, frac = stamp.rstrip("Z").partition(".")
        return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + float(f"0.{frac or 0}")
    except ValueError:
        return 0.0


def permits(
    state: SandboxState,
    object_id: str,
    access: Access,
    *,
    settled: bool = False,
    assignments: Iterable[dict[str, Any]] | None = None,
) -> bool:
    """Whether `object_id` (directly or through its groups) may perform the access."""
    ids = principal_ids(state, object_id)
    cutoff = state.clock.now() - state.config.role_propagation_delay
    ctx = Context(access.action, access.attributes, matches)
    for ra in assignments if assignments is not None else state.store.find(type=RA_TYPE):
        p = ra["properties"]
        role = ROLES_BY_GUID.get(role_guid(p["roleDefinitionId"]))
        if (
            role is None
            or str(p["principalId"]).lower() not in ids
            or not armid.is_within(access.scope, p["scope"])
            or not role_grants(role, access.action, data=access.data)
            or (settled and created_at(ra) > cutoff)
        ):
            continue
        if not p.get("condition") or evaluate(str(p["condition"]), ctx):
            return True
    return False


def find_role(name_or_guid: str) -> BuiltinRole:
    """A built-in role by display name or GUID (ValueError lists the known names)."""
    role = BUILTIN_ROLES.get(name_or_guid) or ROLES_BY_GUID.get(role_guid(name_or_guid))
    if role is None:
        raise ValueError(f"unknown role '{name_or_guid}'; known: {', '.join(sorted(BUILTIN_ROLES))}")
    return role


def grant_role(
    state: SandboxState,
    principal_id: str,
    role_name: str,
    scope: str,
    *,
    condition: str | None = None,
    principal_type: str | None = None,
) -> dict[str, Any]:
    """Write a role assignment directly (seeding and the admin API, not an ARM call): the same
    document ARM's PUT stores, named deterministically so granting twice is a no-op."""
    role = find_role(role_name)
    scope = armid.normalize(scope)
    name = str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-ra:{armid.key(scope)}:{role.guid}:{principal_id.lower()}")
    )
    sub = armid.parse(scope).subscription or state.config.subscription_id
    now = iso(state.clock.now())
    entry = state.directory.get(principal_id) or {}
    definition = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role.guid}"
    doc = {
        "id": f"{scope if scope != '/' else ''}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": RA_TYPE,
        "properties": {
            "roleDefinitionId": definition,
            "principalId": principal_id.lower(),
            "principalType": principal_type or entry.get("principalType") or "ServicePrincipal",
            "scope": scope,
            "description": None,
            "condition": condition,
            "conditionVersion": "2.0" if condition else None,
            "createdOn": now,
            "updatedOn": now,
            "createdBy": None,
            "updatedBy": None,
            "delegatedManagedIdentityResourceId": None,
        },
    }
    state.store.put(doc, created=state.clock.now())
    return doc


def authorize(state: SandboxState, method: str, path: str, claims: dict[str, Any], body: bytes) -> None:
    """ARM's authorization step for one call: returns, or raises 403 AuthorizationFailed."""
    scope = armid.normalize(path)
    if not scope.lower().startswith("/subscriptions/") and method in ("GET", "HEAD"):
        return  # tenant-level reads (subscription list, operations): every signed-in caller
    action = action_for(method, scope)
    access = Access(action, scope, attributes=_attributes(state, action, scope, body))
    if permits(state, str(claims.get("oid", "")), access):
        return
    raise forbidden(claims, action, scope)


def forbidden(claims: dict[str, Any], action: str, scope: str) -> ArmError:
    client = claims.get("upn") or claims.get("unique_name") or claims.get("appid") or claims.get("oid")
    abac = (
        " or an ABAC condition not fulfilled"
        if action.lower() in (RA_WRITE.lower(), RA_DELETE.lower())
        else ""
    )
    return ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{client}' with object id '{claims.get('oid')}' does not have authorization{abac} "
        f"to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials.",
    )


def _attributes(state: SandboxState, action: str, scope: str, body: bytes) -> dict[str, list[str]]:
    """The role-assignment attributes a condition may test (MS Learn conditions-authorization-
    actions-attributes: RoleDefinitionId and PrincipalId of the request and of the resource)."""
    low = action.lower()
    if low not in (RA_WRITE.lower(), RA_DELETE.lower()):
        return {}
    attrs: dict[str, list[str]] = {}
    if low == RA_WRITE.lower():
        attrs.update(_ra_attributes("request", _json_props(body)))
    existing = state.store.get(scope)
    if existing is not None:
        attrs.update(_ra_attributes("resource", existing.get("properties") or {}))
    return attrs


def _ra_attributes(source: str, props: dict[str, Any]) -> dict[str, list[str]]:
    prefix = f"{source}:microsoft.authorization/roleassignments:"
    out = {}
    if props.get("roleDefinitionId"):
        out[prefix + "roledefinitionid"] = [role_guid(str(props["roleDefinitionId"]))]
    if props.get("principalId"):
        out[prefix + "principalid"] = [str(props["principalId"]).lower()]
    if props.get("principalType"):
        out[prefix + "principaltype"] = [str(props["principalType"])]
    return out


def _json_props(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return {}
    props = doc.get("properties") if isinstance(doc, dict) else None
    return props if isinstance(props, dict) else {}
