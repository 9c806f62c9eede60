"""Built-in Azure role definitions (with their permissions) used by the stack, the README's CI
identity and the sandbox's RBAC, and the role presets built from them.

GUIDs verified against DEMO/AVM sources listed in shared/reference/anchors-infra.md section 3; the
Foundry and Machine Learning roles against the sources named next to them.
Presets map a principal's job to (role, resource) pairs, always at resource scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ResourceKey = Literal[
    "search",
    "openai",
    "document_intelligence",
    "registry",
    "container_app",
    "foundry_project",
    "ml_workspace",
    "storage",
    "key_vault",
    "app_insights",
]
# Resources every environment has; the optional ones exist only when the settings declare them.
CORE_RESOURCE_KEYS: tuple[ResourceKey, ...] = (
    "search",
    "openai",
    "document_intelligence",
    "registry",
    "container_app",
)
FOUNDRY_RESOURCE_KEYS: tuple[ResourceKey, ...] = ("foundry_project",)
ML_RESOURCE_KEYS: tuple[ResourceKey, ...] = ("ml_workspace", "storage", "key_vault", "app_insights")
RESOURCE_KEYS: tuple[ResourceKey, ...] = CORE_RESOURCE_KEYS + FOUNDRY_RESOURCE_KEYS + ML_RESOURCE_KEYS
PRINCIPAL_TYPES: tuple[str, ...] = ("User", "Group", "ServicePrincipal")
# Every principalType ARM accepts on a role assignment (api 2022-04-01); presets grant PRINCIPAL_TYPES.
ASSIGNABLE_PRINCIPAL_TYPES: frozenset[str] = frozenset({*PRINCIPAL_TYPES, "ForeignGroup", "Device"})


@dataclass(frozen=True)
class BuiltinRole:
    """One built-in role definition: display name, GUID, purpose and its permissions block
    (`actions`, `notActions`, `dataActions`, `notDataActions`) as Azure publishes it."""

    name: str
    guid: str
    description: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()


# Permissions are copied from the generated JSON of MS Learn "Azure built-in roles"
# (MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/{privileged,general,
# containers,ai-machine-learning,web-and-mobile,storage}.md, 2026 revisions) unless marked:
# ContainerApp Reader from azure-rbac-catalog.org (its 2023-01-02 Azure JSON); [mem] marks lines
# recalled, not re-read. Azure revises built-in roles; the sandbox's RBAC reads these lists.
_CS_READ = (
    "Microsoft.Insights/alertRules/read",
    "Microsoft.Insights/diagnosticSettings/read",
    "Microsoft.Insights/logDefinitions/read",
    "Microsoft.Insights/metricdefinitions/read",
    "Microsoft.Insights/metrics/read",
    "Microsoft.ResourceHealth/availabilityStatuses/read",
    "Microsoft.Resources/deployments/operations/read",
    "Microsoft.Resources/subscriptions/operationresults/read",
    "Microsoft.Resources/subscriptions/read",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
)
_OPENAI_USER_DATA = (
    "Microsoft.CognitiveServices/accounts/OpenAI/*/read",
    "Microsoft.CognitiveServices/accounts/OpenAI/engines/completions/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/engines/search/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/engines/generate/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/audio/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/search/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/completions/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/realtime/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/extensions/chat/completions/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/images/generations/action",
    "Microsoft.CognitiveServices/accounts/OpenAI/assistants/*",
)
_RBAC_READ = ("Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleDefinitions/read")

BUILTIN_ROLES: dict[str, BuiltinRole] = {
    role.name: role
    for role in (
        BuiltinRole(
            "Cognitive Services OpenAI User",
            "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
            "Call OpenAI inference APIs (chat, embeddings).",
            actions=("Microsoft.CognitiveServices/*/read", *_RBAC_READ),
            data_actions=_OPENAI_USER_DATA,
            not_data_actions=("Microsoft.CognitiveServices/accounts/OpenAI/stored-completions/read",),
        ),
        BuiltinRole(
            "Cognitive Services OpenAI Contributor",
            "a001fd3d-188f-4b5d-821b-7da978bf7442",
            "Call OpenAI APIs and manage fine-tunes and deployments' data plane.",
            actions=(
                "Microsoft.CognitiveServices/*/read",
                "Microsoft.CognitiveServices/accounts/deployments/write",
                "Microsoft.CognitiveServices/accounts/deployments/delete",
                "Microsoft.CognitiveServices/accounts/raiPolicies/read",
                "Microsoft.CognitiveServices/accounts/raiPolicies/write",
                "Microsoft.CognitiveServices/accounts/raiPolicies/delete",
                "Microsoft.CognitiveServices/accounts/commitmentplans/read",
                "Microsoft.CognitiveServices/accounts/commitmentplans/write",
                "Microsoft.CognitiveServices/accounts/commitmentplans/delete",
                *_RBAC_READ,
            ),
            data_actions=("Microsoft.CognitiveServices/accounts/OpenAI/*",),
        ),
        BuiltinRole(
            "Cognitive Services User",
            "a97b65f3-24c7-4388-baec-2e87135dc908",
            "Call any Cognitive Services data plane, e.g. Document Intelligence.",
            # The first two actions are [mem]; the rest and the data action were re-read.
            actions=(
                "Microsoft.CognitiveServices/*/read",
                "Microsoft.CognitiveServices/accounts/listkeys/action",
                *_CS_READ,
            ),
            data_actions=("Microsoft.CognitiveServices/*",),
        ),
        BuiltinRole(
            "Cognitive Services Contributor",
            "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68",
            "Manage Cognitive Services accounts (includes purge of soft-deleted accounts).",
            actions=(
                "Microsoft.Authorization/*/read",
                "Microsoft.CognitiveServices/*",
                "Microsoft.Features/features/read",
                "Microsoft.Features/providers/features/read",
                "Microsoft.Features/providers/features/register/action",
                "Microsoft.Insights/alertRules/*",
                "Microsoft.Insights/diagnosticSettings/*",
                "Microsoft.Insights/logDefinitions/read",
                "Microsoft.Insights/metricdefinitions/read",
                "Microsoft.Insights/metrics/read",
                "Microsoft.ResourceHealth/availabilityStatuses/read",
                "Microsoft.Resources/deployments/*",
                "Microsoft.Resources/deployments/operations/read",
                "Microsoft.Resources/subscriptions/operationresults/read",
                "Microsoft.Resources/subscriptions/read",
                "Microsoft.Resources/subscriptions/resourcegroups/deployments/*",
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Microsoft.Support/*",
            ),
        ),
        BuiltinRole(
            "Search Index Data Reader",
            "1407120a-92aa-4202-b7e9-c0e197c71c8f",
            "Query search indexes.",
            data_actions=("Microsoft.Search/searchServices/indexes/documents/read",),
        ),
        BuiltinRole(
            "Search Index Data Contributor",
            "8ebe5a00-799e-43f5-93ac-243d3dce84a7",
            "Load and change documents in search indexes.",
            data_actions=("Microsoft.Search/searchServices/indexes/documents/*",),
        ),
        BuiltinRole(
            "Search Service Contributor",
            "7ca78c08-252a-4471-8644-bb5ff32d4ba0",
            "Manage indexes, indexers and skillsets of a search service.",
            actions=(
                "Microsoft.Authorization/*/read",
                "Microsoft.Insights/alertRules/*",
                "Microsoft.ResourceHealth/availabilityStatuses/read",
                "Microsoft.Resources/deployments/*",
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Microsoft.Search/searchServices/*",
                "Microsoft.Support/*",
            ),
        ),
        BuiltinRole(
            "AcrPull",
            "7f951dda-4ed3-4680-a7ca-43fe172d538d",
            "Pull images from a container registry.",
            actions=("Microsoft.ContainerRegistry/registries/pull/read",),
        ),
        BuiltinRole(
            "AcrPush",
            "8311e382-0749-4cb8-b61a-304f252e45ec",
            "Push and pull images to and from a container registry.",
            actions=(
                "Microsoft.ContainerRegistry/registries/pull/read",
                "Microsoft.ContainerRegistry/registries/push/write",
            ),
        ),
        BuiltinRole(
            "ContainerApp Reader",
            "ad2dd5fb-cd4b-4fd4-a9b6-4fed3630980b",
            "Read container apps, their revisions and logs configuration.",
            actions=(
                "Microsoft.App/containerApps/*/read",
                "Microsoft.App/containerApps/read",
                "Microsoft.Authorization/*/read",
                "Microsoft.Insights/alertRules/*",
                "Microsoft.Resources/deployments/*",
                "Microsoft.Resources/subscriptions/resourceGroups/read",
            ),
        ),
        BuiltinRole(
            "Reader",
            "acdd72a7-3385-48ef-bd42-f606fba81ae7",
            "Read any resource's management-plane settings.",
            actions=("*/read",),
        ),
        BuiltinRole(
            "Contributor",
            "b24988ac-6180-42a0-ab88-20f7382dd24c",
            "Manage resources, without granting access.",
            actions=("*",),
            not_actions=(
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
                "Microsoft.Blueprint/blueprintAssignments/write",
                "Microsoft.Blueprint/blueprintAssignments/delete",
                "Microsoft.Compute/galleries/share/action",
                "Microsoft.Purview/consents/write",
                "Microsoft.Purview/consents/delete",
                "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                "Microsoft.Subscription/cancel/action",
                "Microsoft.Subscription/enable/action",
            ),
        ),
        BuiltinRole(
            "Owner",
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
            "Manage resources and access.",
            actions=("*",),
        ),
        # Foundry: "Azure AI User" (portal now "Foundry User"): reader on the account and project plus
        # the project's data actions; the least-privilege developer role. GUID: azure-search-openai-demo
        # infra/main.bicep; roles: MicrosoftDocs/azure-ai-docs articles/foundry/includes/
        # concepts-rbac-foundry-1.md and -2.md ("Azure AI User on Foundry project scope").
        BuiltinRole(
            "Azure AI User",
            "53ca6127-db72-4b80-b1b0-d745d6d5456d",
            "Use a Foundry project: call its models and agents through the project endpoint.",
        ),
        # Machine Learning: learn.microsoft.com/azure/machine-learning/how-to-assign-roles (role) and
        # public Bicep using the GUID (AVM role tables, e.g. 'AzureML Data Scientist': f6c7c914-...).
        BuiltinRole(
            "AzureML Data Scientist",
            "f6c7c914-8db3-469d-8ca1-694a8f32e121",
            "Everything in a Machine Learning workspace except compute and the workspace itself.",
        ),
        # Storage and Key Vault data roles: anchors-infra.md section 3 (DEMO) and AVM key-vault roles.
        BuiltinRole(
            "Storage Blob Data Contributor",
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            "Read, write and delete blobs (the keyless way into a storage account).",
        ),
        BuiltinRole(
            "Storage Blob Data Reader",
            "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
            "Read blobs.",
        ),
        BuiltinRole(
            "Key Vault Administrator",
            "00482a5a-887f-4fb3-b363-3b7fe8e74483",
            "All data-plane operations on an RBAC-authorized vault (not role management).",
        ),
        BuiltinRole(
            "User Access Administrator",
            "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
            "Manage access to resources.",
            actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
        ),
        BuiltinRole(
            "Role Based Access Control Administrator",
            "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
            "Assign roles with Azure RBAC (often constrained by a condition to certain roles).",
            actions=(
                "Microsoft.Authorization/roleAssignments/write",
                "Microsoft.Authorization/roleAssignments/delete",
                "*/read",
                "Microsoft.Support/*",
            ),
        ),
        BuiltinRole(
            "Storage Blob Data Contributor",
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
            "Read, write and delete blobs (the README's Pulumi state container). [mem]",
            actions=(
                "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
                "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                "Microsoft.Storage/storageAccounts/blobServices/containers/write",
                "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
            ),
            data_actions=(
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
            ),
        ),
    )
}


@dataclass(frozen=True)
class Grant:
    """One (role, resource) pair of a preset."""

    role: str
    resource: ResourceKey


@dataclass(frozen=True)
class RolePreset:
    """A named bundle of least-privilege grants at resource scope."""

    name: str
    description: str
    grants: tuple[Grant, ...]


ROLE_PRESETS: dict[str, RolePreset] = {
    preset.name: preset
    for preset in (
        RolePreset(
            "app",
            "The container app's identity: pull its image, query search, call models and DI.",
            (
                Grant("AcrPull", "registry"),
                Grant("Search Index Data Reader", "search"),
                Grant("Cognitive Services OpenAI User", "openai"),
                Grant("Cognitive Services User", "document_intelligence"),
                Grant("Azure AI User", "foundry_project"),
            ),
        ),
        RolePreset(
            "search",
            "The search service's own identity: integrated vectorization and skillsets.",
            (
                Grant("Cognitive Services OpenAI User", "openai"),
                Grant("Cognitive Services User", "document_intelligence"),
            ),
        ),
        RolePreset(
            "developer",
            "A developer: build indexes, load data, call models, push images, read the app.",
            (
                Grant("Search Service Contributor", "search"),
                Grant("Search Index Data Contributor", "search"),
                Grant("Cognitive Services OpenAI User", "openai"),
                Grant("Cognitive Services User", "document_intelligence"),
                Grant("AcrPush", "registry"),
                Grant("ContainerApp Reader", "container_app"),
                Grant("Azure AI User", "foundry_project"),
                # With shared keys off, studio users reach the workspace's data with their own identity
                # (learn.microsoft.com/azure/machine-learning/how-to-disable-local-auth-storage).
                Grant("AzureML Data Scientist", "ml_workspace"),
                Grant("Storage Blob Data Contributor", "storage"),
            ),
        ),
        RolePreset(
            "ingestion",
            "An ingestion pipeline: crack documents, embed them and load the index.",
            (
                Grant("Search Index Data Contributor", "search"),
                Grant("Cognitive Services OpenAI User", "openai"),
                Grant("Cognitive Services User", "document_intelligence"),
            ),
        ),
        RolePreset(
            "reader",
            "Read-only: query the index and read every resource's settings.",
            (
                Grant("Search Index Data Reader", "search"),
                Grant("Reader", "search"),
                Grant("Reader", "openai"),
                Grant("Reader", "document_intelligence"),
                Grant("Reader", "registry"),
                Grant("ContainerApp Reader", "container_app"),
                Grant("Reader", "foundry_project"),
                Grant("Reader", "ml_workspace"),
            ),
        ),
        # The project's own identity calls the account's models (concepts-rbac-foundry-1.md: "Assign the
        # Azure AI User role on your Foundry resource to your project's managed identity").
        RolePreset(
            "project",
            "The Foundry project's identity: use the account's models and tools.",
            (Grant("Azure AI User", "openai"),),
        ),
        # The workspace's identity on its associated resources: MicrosoftDocs/azure-docs
        # articles/machine-learning/how-to-identity-based-service-authentication.md (PR #221087 table:
        # Storage Contributor + Storage Blob Data Contributor; Key Vault with the RBAC permission model
        # Contributor + Key Vault Administrator; Application Insights Contributor).
        RolePreset(
            "ml",
            "The Machine Learning workspace's identity on its storage, key vault and Application Insights.",
            (
                Grant("Contributor", "storage"),
                Grant("Storage Blob Data Contributor", "storage"),
                Grant("Contributor", "key_vault"),
                Grant("Key Vault Administrator", "key_vault"),
                Grant("Contributor", "app_insights"),
            ),
        ),
    )
}

# Presets reserved for identities the stack creates itself; operators cannot grant them by hand.
INTERNAL_PRESETS: frozenset[str] = frozenset({"app", "search", "project", "ml"})


def role_guid(role_name: str) -> str:
    """The GUID of a built-in role by display name (KeyError names the role)."""
    return BUILTIN_ROLES[role_name].guid


def role_definition_id(subscription_id: str, role_name: str) -> str:
    """The subscription-level role definition id ARM expects in a role assignment."""
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization"
        f"/roleDefinitions/{role_guid(role_name)}"
    )


ROLE_NAMES_BY_GUID: dict[str, str] = {role.guid: role.name for role in BUILTIN_ROLES.values()}


# The data action behind each data-plane call the app makes (what `opsctl smoke` checks). Search:
# MS Learn search-security-rbac.md (Search Index Data Reader: documents/read); OpenAI: the
# `Cognitive Services OpenAI User` data actions above; Document Intelligence: [unverified] the
# FormRecognizer action name, as the sandbox's data plane checks it (covered by
# `Microsoft.CognitiveServices/*` of Cognitive Services User either way).
DATA_ACTIONS: dict[str, str] = {
    "search query": "Microsoft.Search/searchServices/indexes/documents/read",
    "embedding": "Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action",
    "chat": "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action",
    "layout": "Microsoft.CognitiveServices/accounts/FormRecognizer/documentmodels:analyze/action",
}


def grants_data_action(role_name: str, action: str) -> bool:
    """Whether a built-in role's dataActions (wildcards as Azure matches them, case-insensitive)
    cover `action` and its notDataActions do not take it away."""
    from fnmatch import fnmatchcase

    role = BUILTIN_ROLES.get(role_name)
    if role is None:
        return False
    low = action.lower()
    covered = any(fnmatchcase(low, pattern.lower()) for pattern in role.data_actions)
    return covered and not any(fnmatchcase(low, pattern.lower()) for pattern in role.not_data_actions)


def preset_role_for(preset: str, resource: ResourceKey, action: str) -> str | None:
    """The role of `preset` on `resource` that grants `action` (what a failure tells to grant)."""
    for grant in ROLE_PRESETS[preset].grants:
        if grant.resource == resource and grants_data_action(grant.role, action):
            return grant.role
    return None
