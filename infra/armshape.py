"""How azure-native resources look on the ARM wire: type, api-version, request body.

Pure Python. Shared by `opsctl up --sandbox` (real PUTs) and `opsctl plan --format arm` (an ARM
template), so both describe a resource the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# (ARM resource type, the input naming the resource, api-version pulumi-azure-native 3.29 uses;
# shared/reference/arm-facts.md section 1).
ARM_SHAPES: dict[str, tuple[str, str, str]] = {
    "azure-native:resources:ResourceGroup": (
        "Microsoft.Resources/resourceGroups",
        "resourceGroupName",
        "2024-03-01",
    ),
    "azure-native:search:Service": ("Microsoft.Search/searchServices", "searchServiceName", "2025-05-01"),
    "azure-native:cognitiveservices:Account": (
        "Microsoft.CognitiveServices/accounts",
        "accountName",
        "2025-06-01",
    ),
    "azure-native:cognitiveservices:Deployment": (
        "Microsoft.CognitiveServices/accounts/deployments",
        "deploymentName",
        "2025-06-01",
    ),
    "azure-native:cognitiveservices:Project": (
        "Microsoft.CognitiveServices/accounts/projects",
        "projectName",
        "2025-06-01",
    ),
    # The api-versions below are the defaults of pulumi-azure-native 3.29 ("Uses Azure REST API
    # version ..." in each resource's docstring, site-packages pulumi_azure_native/<module>/<type>.py).
    "azure-native:machinelearningservices:Workspace": (
        "Microsoft.MachineLearningServices/workspaces",
        "workspaceName",
        "2025-12-01",
    ),
    "azure-native:storage:StorageAccount": ("Microsoft.Storage/storageAccounts", "accountName", "2024-01-01"),
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault/vaults", "vaultName", "2024-11-01"),
    "azure-native:applicationinsights:Component": (
        "Microsoft.Insights/components",
        "resourceName",
        "2020-02-02",
    ),
    "azure-native:containerregistry:Registry": (
        "Microsoft.ContainerRegistry/registries",
        "registryName",
        "2023-01-01-preview",
    ),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "resourceName",
        "2023-01-31",
    ),
    "azure-native:operationalinsights:Workspace": (
        "Microsoft.OperationalInsights/workspaces",
        "workspaceName",
        "2023-09-01",
    ),
    "azure-native:app:ManagedEnvironment": (
        "Microsoft.App/managedEnvironments",
        "environmentName",
        "2025-02-02-preview",
    ),
    "azure-native:app:ContainerApp": (
        "Microsoft.App/containerApps",
        "containerAppName",
        "2025-02-02-preview",
    ),
    "azure-native:authorization:RoleAssignment": (
        "Microsoft.Authorization/roleAssignments",
        "roleAssignmentName",
        "2022-04-01",
    ),
    "azure-native:network:VirtualNetwork": (
        "Microsoft.Network/virtualNetworks",
        "virtualNetworkName",
        "2024-05-01",
    ),
    "azure-native:network:Subnet": ("Microsoft.Network/virtualNetworks/subnets", "subnetName", "2024-05-01"),
    "azure-native:network:PrivateEndpoint": (
        "Microsoft.Network/privateEndpoints",
        "privateEndpointName",
        "2024-05-01",
    ),
    "azure-native:network:PrivateDnsZoneGroup": (
        "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
        "privateDnsZoneGroupName",
        "2024-05-01",
    ),
    "azure-native:privatedns:PrivateZone": (
        "Microsoft.Network/privateDnsZones",
        "privateZoneName",
        "2024-06-01",
    ),
    "azure-native:privatedns:VirtualNetworkLink": (
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        "virtualNetworkLinkName",
        "2024-06-01",
    ),
}
# Child resources: the input naming the parent (the ARM name is `<parent>/<child>`).
PARENT_INPUTS: dict[str, str] = {
    "azure-native:cognitiveservices:Deployment": "accountName",
    "azure-native:cognitiveservices:Project": "accountName",
    "azure-native:network:Subnet": "virtualNetworkName",
    "azure-native:network:PrivateDnsZoneGroup": "privateEndpointName",
    "azure-native:privatedns:VirtualNetworkLink": "privateZoneName",
}
ENVELOPE = frozenset(
    {"location", "tags", "identity", "sku", "kind", "etag", "managedBy", "extendedLocation", "zones"}
)
# Properties whose ARM wire name differs from the azure-native input name. Application Insights
# components keep their legacy spellings on the wire (Azure/bicep-types-az generated/applicationinsights
# microsoft.insights 2020-02-02 types.md: Application_Type, Flow_Type, Request_Source, IngestionMode,
# WorkspaceResourceId, SamplingPercentage; DisableLocalAuth/DisableIpMasking/RetentionInDays as spelled
# there).
WIRE_NAMES: dict[str, dict[str, str]] = {
    "azure-native:applicationinsights:Component": {
        "applicationType": "Application_Type",
        "flowType": "Flow_Type",
        "requestSource": "Request_Source",
        "ingestionMode": "IngestionMode",
        "workspaceResourceId": "WorkspaceResourceId",
        "samplingPercentage": "SamplingPercentage",
        "disableLocalAuth": "DisableLocalAuth",
        "disableIpMasking": "DisableIpMasking",
        "retentionInDays": "RetentionInDays",
    },
    # azure-native's `enableHttpsTrafficOnly` is the spec's x-ms-client-name; on the wire it is
    # `supportsHttpsTrafficOnly` (azure-mgmt-storage 25.3 models: rest_field(name=...)).
    "azure-native:storage:StorageAccount": {"enableHttpsTrafficOnly": "supportsHttpsTrafficOnly"},
}
# List properties whose items azure-native flattens (x-ms-client-flatten) but ARM nests: on the wire
# each item is `{name, properties: {...}}` (Microsoft.Network spec: Delegation, PrivateLinkService-
# Connection, PrivateDnsZoneConfig; azure-mgmt-network 33.1 models serialize them so).
NESTED_ITEMS: dict[str, tuple[str, ...]] = {
    "azure-native:network:Subnet": ("delegations",),
    "azure-native:network:PrivateEndpoint": (
        "privateLinkServiceConnections",
        "manualPrivateLinkServiceConnections",
    ),
    "azure-native:network:PrivateDnsZoneGroup": ("privateDnsZoneConfigs",),
}
ITEM_ENVELOPE = frozenset({"name", "id", "type", "etag"})
# Types whose `sku` lives under `properties` on the wire (Log Analytics: properties.sku.name).
SKU_IN_PROPERTIES = frozenset({"azure-native:operationalinsights:Workspace"})
PATH_INPUTS = frozenset(
    {name_key for _, name_key, _ in ARM_SHAPES.values()} | {*PARENT_INPUTS.values(), "scope"}
)


def arm_type(type_token: str) -> str:
    return ARM_SHAPES[type_token][0]


def api_version(type_token: str) -> str:
    return ARM_SHAPES[type_token][2]


def azure_name(type_token: str, inputs: Mapping[str, Any]) -> str:
    """The resource's own Azure name, from the input that carries it."""
    return str(inputs.get(ARM_SHAPES[type_token][1], ""))


def template_name(type_token: str, inputs: Mapping[str, Any]) -> str:
    """The name an ARM template gives the resource: `<parent>/<name>` for child resources."""
    parent = PARENT_INPUTS.get(type_token)
    name = azure_name(type_token, inputs)
    return f"{inputs.get(parent)}/{name}" if parent else name


def resource_id(group_id: str, type_token: str, inputs: Mapping[str, Any]) -> str:
    """The ARM id of a resource in a group: `<group>/providers/<ns>/<type>/<parent>[/<child>/<name>]`."""
    namespace, *types = arm_type(type_token).split("/")
    names = template_name(type_token, inputs).split("/")
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"{group_id}/providers/{namespace}/{path}"


def arm_body(type_token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The ARM request body: envelope fields on top, everything else under `properties`."""
    inputs = whole_numbers(inputs)
    envelope = ENVELOPE - {"sku"} if type_token in SKU_IN_PROPERTIES else ENVELOPE
    body: dict[str, Any] = {k: v for k, v in inputs.items() if k in envelope}
    if isinstance(body.get("identity"), dict):
        body["identity"] = _identity_body(body["identity"])
    rest = {k: v for k, v in inputs.items() if k not in envelope and k not in PATH_INPUTS}
    nested = rest.pop("properties", None)
    if type_token != "azure-native:resources:ResourceGroup":
        renames = WIRE_NAMES.get(type_token, {})
        body["properties"] = {renames.get(k, k): v for k, v in {**(nested or {}), **rest}.items()}
        for key in NESTED_ITEMS.get(type_token, ()):
            if isinstance(body["properties"].get(key), list):
                body["properties"][key] = [_nested_item(item) for item in body["properties"][key]]
    return body


def _nested_item(item: Any) -> Any:
    """`{name, a, b}` -> `{name, properties: {a, b}}`."""
    if not isinstance(item, Mapping) or "properties" in item:
        return item
    outer = {k: v for k, v in item.items() if k in ITEM_ENVELOPE}
    return {**outer, "properties": {k: v for k, v in item.items() if k not in ITEM_ENVELOPE}}


def _identity_body(identity: Mapping[str, Any]) -> dict[str, Any]:
    """azure-native lists user-assigned identity ids; ARM wants them as keys of an object."""
    result = dict(identity)
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, list):
        result["userAssignedIdentities"] = {uid: {} for uid in assigned}
    return result


def whole_numbers(value: Any) -> Any:
    """Pulumi's wire format makes every number a double; ARM's integer properties want 30, not 30.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


# What a resource cannot change in place, on top of the program's own `replace_on_changes`: its
# name, group and location are part of its ARM id (a PUT elsewhere creates another resource; a PUT
# with another location fails InvalidResourceLocation), and a role assignment is immutable
# (pulumi-azure-native marks scope, principal and role as replace: pulumi/pulumi-azure-native PR #1010).
IDENTITY_INPUTS = ("resourceGroupName", "location")
IMMUTABLE_INPUTS: dict[str, tuple[str, ...]] = {
    "azure-native:authorization:RoleAssignment": ("scope", "principalId", "roleDefinitionId"),
}


def replace_triggers(type_token: str, replace_on_changes: tuple[str, ...] = ()) -> list[str]:
    """Input paths whose change makes the engine delete and re-create the resource."""
    name = [ARM_SHAPES[type_token][1]] if type_token in ARM_SHAPES else []
    return sorted({*name, *IDENTITY_INPUTS, *IMMUTABLE_INPUTS.get(type_token, ()), *replace_on_changes})


def replace_reason(trigger: str) -> str:
    """Why changing `trigger` replaces the resource, in an operator's words."""
    if trigger in IDENTITY_INPUTS or (trigger.endswith("Name") and "." not in trigger):
        return {"location": "location changes", "resourceGroupName": "resource group changes"}.get(
            trigger, "Azure name changes"
        )
    return f"{trigger} cannot change in place"
