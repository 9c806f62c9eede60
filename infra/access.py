"""Who gets which role on which resource: the role matrix as data, shared by infra and opsctl.

Pure Python. Assignment names are UUIDv5 of (scope, principal, role) so any tool that derives the same
binding derives the same name, which makes grants idempotent (ops-pitfalls R-1, R-2).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra.catalog.roles import (
    CORE_RESOURCE_KEYS,
    FOUNDRY_RESOURCE_KEYS,
    ML_RESOURCE_KEYS,
    RESOURCE_KEYS,
    ROLE_PRESETS,
    ResourceKey,
    role_definition_id,
    role_guid,
)
from infra.naming import ResourceNames

if TYPE_CHECKING:
    from infra.settings import AccessGrant, StackSettings

ASSIGNMENT_NAMESPACE = uuid.UUID("6f1e0c3a-8d5b-5e7a-9c41-2b7d3e9f0a15")

ARM_TYPES: dict[ResourceKey, str] = {
    "search": "Microsoft.Search/searchServices",
    "openai": "Microsoft.CognitiveServices/accounts",
    "document_intelligence": "Microsoft.CognitiveServices/accounts",
    "registry": "Microsoft.ContainerRegistry/registries",
    "container_app": "Microsoft.App/containerApps",
    "ml_workspace": "Microsoft.MachineLearningServices/workspaces",
    "storage": "Microsoft.Storage/storageAccounts",
    "key_vault": "Microsoft.KeyVault/vaults",
    "app_insights": "Microsoft.Insights/components",
}
# Child resources: (parent key, child type segment).
CHILD_TYPES: dict[ResourceKey, tuple[ResourceKey, str]] = {"foundry_project": ("openai", "projects")}


@dataclass(frozen=True)
class RoleBinding:
    """One role assignment of the environment, before it has an ARM scope."""

    principal_id: str
    principal_type: str
    preset: str
    role: str
    resource: ResourceKey

    @property
    def role_guid(self) -> str:
        return role_guid(self.role)

    def scope(self, scopes: dict[ResourceKey, str]) -> str:
        return scopes[self.resource]

    def assignment_name(self, scopes: dict[ResourceKey, str]) -> str:
        return assignment_name(self.scope(scopes), self.principal_id, self.role_guid)

    def role_definition_id(self, subscription_id: str) -> str:
        return role_definition_id(subscription_id, self.role)


def assignment_name(scope: str, principal_id: str, role_guid: str) -> str:
    """Deterministic role assignment name (a GUID, as ARM requires)."""
    seed = f"{scope.lower()}|{principal_id.lower()}|{role_guid.lower()}"
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, seed))


def resource_group_id(subscription_id: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"


def resource_scopes(
    subscription_id: str, names: ResourceNames, resources: Collection[ResourceKey] = CORE_RESOURCE_KEYS
) -> dict[ResourceKey, str]:
    """The ARM id of each of `resources` (default: the ones every environment has; pass
    `environment_resources(settings)` for the Foundry project and the ML resources too)."""
    group = resource_group_id(subscription_id, names.resource_group)
    by_key = names.as_dict()
    scopes = {key: f"{group}/providers/{ARM_TYPES[key]}/{by_key[key]}" for key in ARM_TYPES}
    for key, (parent, segment) in CHILD_TYPES.items():
        scopes[key] = f"{scopes[parent]}/{segment}/{by_key[key]}"
    return {key: scopes[key] for key in RESOURCE_KEYS if key in resources}


def environment_resources(settings: StackSettings) -> frozenset[ResourceKey]:
    """The grantable resources this environment declares: the core ones plus the enabled options."""
    keys: list[ResourceKey] = list(CORE_RESOURCE_KEYS)
    if settings.has_foundry_project:
        keys += FOUNDRY_RESOURCE_KEYS
    if settings.ml.enabled:
        keys += ML_RESOURCE_KEYS
    return frozenset(keys)


def preset_bindings(
    preset: str,
    principal_id: str,
    principal_type: str,
    resources: Collection[ResourceKey] = CORE_RESOURCE_KEYS,
) -> list[RoleBinding]:
    """The bindings one preset gives one principal on the `resources` the environment has.

    The default is the resources every environment has; pass `environment_resources(settings)` to
    include the Foundry project and the Machine Learning resources when they are declared.
    """
    grants = [grant for grant in ROLE_PRESETS[preset].grants if grant.resource in resources]
    return [RoleBinding(principal_id, principal_type, preset, grant.role, grant.resource) for grant in grants]


def operator_bindings(
    access: Iterable[AccessGrant], resources: Collection[ResourceKey] = CORE_RESOURCE_KEYS
) -> list[RoleBinding]:
    """Bindings for the principals listed under `ragstack:access`."""
    return [
        binding
        for grant in access
        for binding in preset_bindings(grant.preset, grant.principal_id, grant.principal_type, resources)
    ]
