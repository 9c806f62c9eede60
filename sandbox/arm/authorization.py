"""Microsoft.Authorization: built-in role definitions and role assignments at any scope.

Decisions (sources in arm-facts §8 and ops-pitfalls §6):
- PUT with the same name and the same (scope, role, principal) answers 200 with the stored
  assignment: the 2022-04-01 spec example `RoleAssignments_CreateForResourceGroup.json` lists
  200 beside 201, and Azure/azure-cli#23770 re-ran a create with a fixed name without error.
  The old "409 even for identical requests" report (Azure/azure-cli PR #8599) came from the CLI
  generating a fresh uuid4 name each time, which is the next rule.
- The same (scope, role, principal) under another name: 409 RoleAssignmentExists
  (hashicorp/terraform-provider-azurerm#28557, PR #28694).
- An existing name with another principal, scope or role: 400 RoleAssignmentUpdateNotPermitted
  (Azure/Azure-Landing-Zones#2040, #833). Names are unique across scopes.
- PrincipalNotFound (Azure/avdaccelerator#76): an unknown principal always fails; a principal
  still replicating fails unless the request sets `principalType`, the remedy the error text
  itself prescribes (https://aka.ms/docs-principaltype).
- `$filter=atScope()`: at or above the scope; `principalId eq`: at, above or below for that
  principal; no filter: at, above and below (SDK docstring of list_for_scope).
"""

from __future__ import annotations

import re
from typing import Any

from infra.catalog.roles import BUILTIN_ROLES
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.clock import iso
from sandbox.core.odata import page, parse_filter
from sandbox.core.resource import scope_exists

provider = Provider("Microsoft.Authorization")

RA_TYPE = "Microsoft.Authorization/roleAssignments"
RD_TYPE = "Microsoft.Authorization/roleDefinitions"
RA = "{scope*}/providers/Microsoft.Authorization/roleAssignments"
RD = "{scope*}/providers/Microsoft.Authorization/roleDefinitions"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_ROLES_BY_GUID = {r.guid.lower(): r for r in BUILTIN_ROLES.values()}


# -- role definitions ---------------------------------------------------------------------------
def _role_definition(req: ArmRequest, guid: str) -> dict[str, Any]:
    role = _ROLES_BY_GUID[guid.lower()]
    sub = armid.parse(req.params["scope"] or "/").subscription
    prefix = f"/subscriptions/{sub}" if sub else ""
    return {
        "id": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role.guid}",
        "name": role.guid,
        "type": RD_TYPE,
        "properties": {
            "roleName": role.name,
            "type": "BuiltInRole",
            "description": role.description,
            "assignableScopes": ["/"],
            # The catalog carries names and GUIDs only, not the action lists.
            "permissions": [{"actions": [], "notActions": [], "dataActions": [], "notDataActions": []}],
        },
    }


def _role_missing(guid: str) -> ArmError:
    # [mem] the text ARM sends for an unknown role definition id.
    return ArmError(
        404,
        "RoleDefinitionDoesNotExist",
        f"The specified role definition with ID '{guid}' does not exist.",
    )


@provider.route("GET", RD + "/{role_id}")
def get_role_definition(req: ArmRequest) -> dict[str, Any]:
    guid = req.params["role_id"]
    if guid.lower() not in _ROLES_BY_GUID:
        raise _role_missing(guid)
    return _role_definition(req, guid)


@provider.route("GET", RD)
def list_role_definitions(req: ArmRequest) -> ArmResponse:
    flt = parse_filter(req.q("$filter"))
    docs = [_role_definition(req, r.guid) for r in BUILTIN_ROLES.values()]
    if "rolename" in flt:
        docs = [d for d in docs if d["properties"]["roleName"].lower() == flt["rolename"].lower()]
    if "type" in flt:
        docs = [d for d in docs if d["properties"]["type"].lower() == flt["type"].lower()]
    return page(req, docs)


# -- role assignments ---------------------------------------------------------------------------
def _assignment_id(req: ArmRequest) -> str:
    scope, name = req.params["scope"], req.params["name"]
    return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"


def _scope_of(doc: dict[str, Any]) -> str:
    return str(doc["properties"]["scope"])


def _role_guid(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _by_name(req: ArmRequest, name: str) -> dict[str, Any] | None:
    suffix = f"/roleassignments/{name.lower()}"
    return next((d for d in req.state.store.find(type=RA_TYPE) if d["id"].lower().endswith(suffix)), None)


def _check_principal(req: ArmRequest, principal_id: str, principal_type: str | None) -> None:
    status = req.state.directory.status(principal_id, req.now())
    if status == "visible" or (status == "replicating" and principal_type):
        return
    tenant = req.state.config.tenant_id
    # Text: Azure/avdaccelerator#76; [mem] the id is printed without dashes.
    raise ArmError(
        400,
        "PrincipalNotFound",
        f"Principal {principal_id.replace('-', '')} does not exist in the directory {tenant}. "
        "Check that you have the correct principal ID. If you are creating this principal and "
        "then immediately assigning a role, this error might be related to a replication delay. "
        "In this case, set the role assignment principalType property to a value, such as "
        "ServicePrincipal, User, or Group. See https://aka.ms/docs-principaltype",
    )


def _validate(req: ArmRequest) -> dict[str, Any]:
    name = req.params["name"]
    if not _GUID.match(name):
        # Src: ops-pitfalls R-2 (pulumi/pulumi-azure-native#582, Azure/azure-cli#24170).
        raise ArmError(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    props = req.json().get("properties") or {}
    for field in ("roleDefinitionId", "principalId"):
        if not props.get(field):
            raise ArmError(400, "InvalidRequestContent", f"The property '{field}' is required.")
    if _role_guid(props["roleDefinitionId"]) not in _ROLES_BY_GUID:
        raise _role_missing(_role_guid(props["roleDefinitionId"]))
    return dict(props)


@provider.route("PUT", RA + "/{name}")
def put_assignment(req: ArmRequest) -> ArmResponse:
    props = _validate(req)
    scope = armid.normalize(req.params["scope"])
    principal, role = props["principalId"].lower(), _role_guid(props["roleDefinitionId"])
    existing = _by_name(req, req.params["name"])
    if existing is not None:
        old = existing["properties"]
        same = (
            armid.key(old["scope"]) == armid.key(scope)
            and old["principalId"].lower() == principal
            and _role_guid(old["roleDefinitionId"]) == role
        )
        if not same:
            raise ArmError(
                400,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        for key in ("description", "condition", "conditionVersion"):
            if key in props:
                old[key] = props[key]
        old["updatedOn"], old["updatedBy"] = iso(req.now()), req.principal_id
        req.state.store.put(existing)
        return ArmResponse(200, existing)
    if not scope_exists(req.state, scope):
        rid = armid.parse(scope)
        raise ArmError(
            404,
            "ResourceNotFound",
            f"The Resource '{rid.type}/{rid.name}' under "
            f"resource group '{rid.resource_group}' was not found. For more details "
            "please go to https://aka.ms/ARMResourceNotFoundFix",
        )
    _check_principal(req, principal, props.get("principalType"))
    for doc in req.state.store.find(type=RA_TYPE, within=scope):
        p = doc["properties"]
        if (
            armid.key(p["scope"]) == armid.key(scope)
            and p["principalId"].lower() == principal
            and _role_guid(p["roleDefinitionId"]) == role
        ):
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
    now = iso(req.now())
    directory_entry = req.state.directory.get(principal) or {}
    doc = {
        "id": _assignment_id(req),
        "name": req.params["name"],
        "type": RA_TYPE,
        "properties": {
            "roleDefinitionId": props["roleDefinitionId"],
            "principalId": props["principalId"],
            "principalType": props.get("principalType") or directory_entry.get("principalType"),
            "scope": scope,
            "description": props.get("description"),
            "condition": props.get("condition"),
            "conditionVersion": props.get("conditionVersion"),
            "createdOn": now,
            "updatedOn": now,
            "createdBy": req.principal_id,
            "updatedBy": req.principal_id,
            "delegatedManagedIdentityResourceId": None,
        },
    }
    req.state.store.put(doc, created=req.now())
    return ArmResponse(201, doc)


@provider.route("GET", RA + "/{name}")
def get_assignment(req: ArmRequest) -> dict[str, Any]:
    doc = req.state.store.get(_assignment_id(req))
    if doc is None:
        # [mem] the text ARM sends for a missing assignment.
        raise ArmError(
            404,
            "RoleAssignmentNotFound",
            f"The role assignment '{req.params['name']}' is not found.",
        )
    return doc


@provider.route("DELETE", RA + "/{name}")
def delete_assignment(req: ArmRequest) -> ArmResponse:
    """200 with the deleted assignment, 204 when there was none (RoleAssignments_Delete.json)."""
    doc = req.state.store.get(_assignment_id(req))
    if doc is None:
        return ArmResponse(204)
    req.state.store.delete(doc["id"])
    return ArmResponse(200, doc)


@provider.route("GET", RA)
def list_assignments(req: ArmRequest) -> ArmResponse:
    scope = armid.normalize(req.params["scope"] or "/")
    flt = parse_filter(req.q("$filter"))
    principal = (flt.get("principalid") or flt.get("assignedto()") or "").lower()
    at_scope = "atscope()" in flt
    out = []
    for doc in req.state.store.find(type=RA_TYPE):
        where = _scope_of(doc)
        above = armid.is_within(scope, where)
        below = armid.is_within(where, scope)
        if not (above or (below and not at_scope)):
            continue
        if principal and doc["properties"]["principalId"].lower() != principal:
            continue
        if "roledefinitionid" in flt and _role_guid(doc["properties"]["roleDefinitionId"]) != _role_guid(
            flt["roledefinitionid"]
        ):
            continue
        out.append(doc)
    return page(req, out)
