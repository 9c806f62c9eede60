"""Role assignments of one principal, each at the scope of a single resource."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.authorization as authorization

from infra.access import assignment_name
from infra.catalog.roles import ResourceKey, role_definition_id, role_guid
from infra.components.common import child_options, type_token


@dataclass(frozen=True)
class PresetGrant:
    """One (role, resource) pair and the preset that asked for it."""

    preset: str
    role: str
    resource: ResourceKey


@dataclass(frozen=True)
class RoleAssignmentsArgs:
    principal_id: pulumi.Input[str]
    principal_type: str
    grants: Sequence[PresetGrant]
    scopes: Mapping[ResourceKey, pulumi.Output[str]]
    subscription_id: str


class RoleAssignments(pulumi.ComponentResource):
    """Least-privilege grants for one principal.

    Scopes are the resources' own ids, never the resource group or subscription. `principalType` is
    always sent so ARM skips the directory lookup that fails for fresh identities (pitfall R-4), and
    names are UUIDv5(scope, principal, role) so re-runs and opsctl produce the same name (R-1, R-2).
    """

    def __init__(self, name: str, args: RoleAssignmentsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("RoleAssignments"), name, None, opts)
        self.by_grant: dict[tuple[str, ResourceKey], authorization.RoleAssignment] = {}
        self.matrix: list[pulumi.Output[dict[str, Any]]] = []
        for grant in args.grants:
            self.by_grant[(grant.role, grant.resource)] = self._assign(name, grant, args)
            self.matrix.append(_matrix_row(grant, args))
        self.register_outputs({"assignments": [a.id for a in self.by_grant.values()]})

    def _assign(
        self, name: str, grant: PresetGrant, args: RoleAssignmentsArgs
    ) -> authorization.RoleAssignment:
        scope = args.scopes[grant.resource]
        guid = role_guid(grant.role)
        return authorization.RoleAssignment(
            f"{name}-{grant.resource}-{_slug(grant.role)}",
            scope=scope,
            principal_id=args.principal_id,
            principal_type=args.principal_type,
            role_definition_id=role_definition_id(args.subscription_id, grant.role),
            role_assignment_name=pulumi.Output.all(scope, args.principal_id).apply(
                lambda parts: assignment_name(parts[0], parts[1], guid)
            ),
            opts=child_options(self),
        )


def _matrix_row(grant: PresetGrant, args: RoleAssignmentsArgs) -> pulumi.Output[dict[str, Any]]:
    return pulumi.Output.all(args.principal_id, args.scopes[grant.resource]).apply(
        lambda parts: {
            "principal": parts[0],
            "principalType": args.principal_type,
            "preset": grant.preset,
            "role": grant.role,
            "resource": grant.resource,
            "scope": parts[1],
        }
    )


def _slug(role: str) -> str:
    return role.lower().replace(" ", "-")
