"""Grant, revoke and list role presets on an environment's resources, at resource scope.

Grants are idempotent: an assignment of the same role to the same principal on the same scope, under
any name, counts as done, and `RoleAssignmentExists` is success (ops-pitfalls R-1). New identities may
not have replicated yet, so `PrincipalNotFound` is retried for a bounded time (R-4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from infra.access import RoleBinding, environment_resources, preset_bindings
from infra.catalog.roles import INTERNAL_PRESETS, PRINCIPAL_TYPES, ROLE_NAMES_BY_GUID, ROLE_PRESETS
from infra.rules import GUID
from opsctl.arm_errors import arm_errors, unless_missing
from opsctl.environment import Environment
from opsctl.errors import InvalidInput, OpsError
from opsctl.target import Target
from opsctl.waiting import Progress, _quiet


@dataclass(frozen=True)
class AccessChange:
    """One assignment a grant or revoke made, skipped, or would make."""

    principal_id: str
    role: str
    resource: str
    scope: str
    assignment: str
    action: str  # created | exists | deleted | absent | would-create | would-delete


@dataclass(frozen=True)
class Assignment:
    """A live role assignment on one of the environment's resources."""

    principal_id: str
    principal_type: str
    role: str
    resource: str
    scope: str
    name: str


def validate_grant(principal_id: str, principal_type: str, preset: str) -> None:
    """Refuse bad input before any call: object id, principal type, preset."""
    if not GUID.fullmatch(principal_id):
        raise InvalidInput(f"--principal {principal_id}: must be an Entra object id (GUID)")
    if principal_type not in PRINCIPAL_TYPES:
        raise InvalidInput(f"--principal-type {principal_type}: allowed: {', '.join(PRINCIPAL_TYPES)}")
    grantable = sorted(set(ROLE_PRESETS) - INTERNAL_PRESETS)
    if preset not in grantable:
        raise InvalidInput(f"--preset {preset}: allowed presets: {', '.join(grantable)}")


def grant(
    env: Environment,
    target: Target,
    *,
    principal_id: str,
    principal_type: str,
    preset: str,
    dry_run: bool = False,
    progress: Progress = _quiet,
) -> list[AccessChange]:
    """Give `principal_id` every (role, resource) of `preset`; a no-op where already given."""
    validate_grant(principal_id, principal_type, preset)
    client = _client(target)
    scopes = env.scopes()
    changes = []
    for binding in preset_bindings(preset, principal_id, principal_type, environment_resources(env.settings)):
        scope = binding.scope(scopes)
        name = binding.assignment_name(scopes)
        if _find(client, scope, binding):
            action = "exists"
        elif dry_run:
            action = "would-create"
        else:
            action = _create(client, target, binding, scope, name, progress)
        changes.append(AccessChange(principal_id, binding.role, binding.resource, scope, name, action))
    return changes


def revoke(
    env: Environment,
    target: Target,
    *,
    principal_id: str,
    principal_type: str,
    preset: str,
    dry_run: bool = False,
) -> list[AccessChange]:
    """Remove the preset's roles from the principal, whatever the assignments are named."""
    validate_grant(principal_id, principal_type, preset)
    client = _client(target)
    scopes = env.scopes()
    changes = []
    for binding in preset_bindings(preset, principal_id, principal_type, environment_resources(env.settings)):
        scope = binding.scope(scopes)
        found = _find(client, scope, binding)
        if not found:
            changes.append(AccessChange(principal_id, binding.role, binding.resource, scope, "-", "absent"))
        for assignment in found:
            if not dry_run:
                with arm_errors(f"deleting role assignment {assignment.name}"):
                    client.role_assignments.delete(scope, assignment.name)
            action = "would-delete" if dry_run else "deleted"
            changes.append(
                AccessChange(principal_id, binding.role, binding.resource, scope, assignment.name, action)
            )
    return changes


def list_access(env: Environment, target: Target) -> list[Assignment]:
    """Every assignment made directly on one of the environment's resources."""
    client = _client(target)
    rows: list[Assignment] = []
    for resource, scope in env.scopes().items():
        rows += [
            _assignment(item, resource)
            for item in _list(client, scope, filter=None)
            if (item.scope or "").lower() == scope.lower()
        ]
    return rows


def _client(target: Target) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return target.client(AuthorizationManagementClient)


def _list(client: Any, scope: str, *, filter: str | None) -> Iterable[Any]:
    """Assignments on `scope`; a scope that does not exist (yet) has none."""
    found = unless_missing(
        f"listing role assignments on {scope}",
        lambda: list(client.role_assignments.list_for_scope(scope, filter=filter)),
    )
    return found or []


def _find(client: Any, scope: str, binding: RoleBinding) -> list[Assignment]:
    """Assignments of the binding's role to its principal directly at `scope`, under any name."""
    items = _list(client, scope, filter=f"principalId eq '{binding.principal_id}'")
    return [
        _assignment(item, binding.resource)
        for item in items
        if (item.scope or "").lower() == scope.lower()
        and item.role_definition_id.lower().endswith(binding.role_guid)
    ]


def _assignment(item: Any, resource: str) -> Assignment:
    guid = item.role_definition_id.rsplit("/", 1)[-1].lower()
    return Assignment(
        item.principal_id,
        item.principal_type or "-",
        ROLE_NAMES_BY_GUID.get(guid, guid),
        resource,
        item.scope,
        item.name,
    )


def _create(
    client: Any,
    target: Target,
    binding: RoleBinding,
    scope: str,
    name: str,
    progress: Progress,
) -> str:
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    parameters = RoleAssignmentCreateParameters(
        role_definition_id=binding.role_definition_id(target.subscription_id),
        principal_id=binding.principal_id,
        principal_type=binding.principal_type,
    )

    progress(f"assigning {binding.role} on {binding.resource}")
    try:
        # PrincipalNotFound (replication, R-4) is retried by the client for a bounded time.
        with arm_errors(f"assigning {binding.role} on {binding.resource}"):
            client.role_assignments.create(scope, name, parameters)
    except OpsError as exc:
        if exc.code == "RoleAssignmentExists":
            return "exists"
        raise
    return "created"
