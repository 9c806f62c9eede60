"""Private networking facts: subnet sizes, the Container Apps delegation, and per service the private
endpoint group id and the private DNS zones its endpoint registers in.

Zones and group ids: learn.microsoft.com/azure/private-link/private-endpoint-dns ("Azure Private
Endpoint private DNS zone values", Azure services DNS zone configuration table; stored copy
MicrosoftDocs/azure-docs articles/private-link/private-endpoint-dns.md). Read by the Pulumi program
(zones, zone groups), the settings rules (sizes) and the sandbox's Microsoft.Network provider.
"""

from __future__ import annotations

from dataclasses import dataclass

_DNS_PAGE = "learn.microsoft.com/azure/private-link/private-endpoint-dns"

# "Workload profiles ... The minimum required subnet size is /27" (learn.microsoft.com/azure/
# container-apps/networking, Environment selection table). Consumption-only environments need /23;
# ragstack deploys workload-profile environments only.
CONTAINER_APPS_SUBNET_MIN_PREFIX = 27
# "The smallest supported IPv4 subnet is /29, and the largest is /2" (learn.microsoft.com/azure/
# virtual-network/virtual-networks-faq); Azure reserves 5 addresses per subnet, leaving 3 at /29.
PRIVATE_ENDPOINT_SUBNET_MIN_PREFIX = 29
SUBNET_MAX_PREFIX_LENGTH = 2
AZURE_RESERVED_ADDRESSES_PER_SUBNET = 5
# Ranges a virtual network cannot use ("What address ranges can I use in my virtual networks?",
# learn.microsoft.com/azure/virtual-network/virtual-networks-faq).
RESERVED_RANGES: dict[str, str] = {
    "224.0.0.0/4": "multicast",
    "255.255.255.255/32": "broadcast",
    "127.0.0.0/8": "loopback",
    "169.254.0.0/16": "link-local",
    "168.63.129.16/32": "Azure's internal DNS",
}
# The built-in policy "Azure Cognitive Search service should use a SKU that supports private link"
# denies sku `free` (Azure/azure-policy built-in-policies/policyDefinitions/Search/
# RequirePrivateLinkSupportedResource_Deny.json).
SEARCH_SKUS_WITHOUT_PRIVATE_LINK = frozenset({"free"})
# The app subnet of an environment with a custom VNet is delegated to this service
# (learn.microsoft.com/azure/container-apps/workload-profiles-manage-cli: "Create a subnet delegated
# to Microsoft.App/environments").
APP_SUBNET_DELEGATION = "Microsoft.App/environments"


@dataclass(frozen=True)
class PrivateLinkService:
    """One private endpoint target: the sub-resource (`groupIds`) and the zones its records go in."""

    group_id: str
    zones: tuple[str, ...]
    source: str


# Keyed by the stack's resource key (infra.catalog.roles.ResourceKey); storage has two sub-resources,
# so two endpoints (`storage_blob`, `storage_file`), both on the `storage` resource.
PRIVATE_LINK: dict[str, PrivateLinkService] = {
    "search": PrivateLinkService("searchService", ("privatelink.search.windows.net",), _DNS_PAGE),
    # Azure AI services / Azure OpenAI accounts (Microsoft.CognitiveServices/accounts, `account`):
    # the page lists the three zones for AIServices/OpenAI accounts; cognitiveservices alone for the
    # other kinds. The model account can be either kind, so it gets all three.
    "openai": PrivateLinkService(
        "account",
        (
            "privatelink.cognitiveservices.azure.com",
            "privatelink.openai.azure.com",
            "privatelink.services.ai.azure.com",
        ),
        _DNS_PAGE,
    ),
    "document_intelligence": PrivateLinkService(
        "account", ("privatelink.cognitiveservices.azure.com",), _DNS_PAGE
    ),
    # The page also lists `{regionName}.data.privatelink.azurecr.io` for the registry's regional data
    # endpoints; Azure writes those records into the same privatelink.azurecr.io zone through the
    # zone group, so no second zone is created.
    "registry": PrivateLinkService("registry", ("privatelink.azurecr.io",), _DNS_PAGE),
    "ml_workspace": PrivateLinkService(
        "amlworkspace", ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"), _DNS_PAGE
    ),
    "storage_blob": PrivateLinkService("blob", ("privatelink.blob.core.windows.net",), _DNS_PAGE),
    "storage_file": PrivateLinkService("file", ("privatelink.file.core.windows.net",), _DNS_PAGE),
    "key_vault": PrivateLinkService("vault", ("privatelink.vaultcore.azure.net",), _DNS_PAGE),
}

# The resource each endpoint targets, where the service key is not the resource key itself.
PRIVATE_LINK_RESOURCE: dict[str, str] = {"storage_blob": "storage", "storage_file": "storage"}
CORE_PRIVATE_LINK_SERVICES = ("search", "openai", "document_intelligence", "registry")
ML_PRIVATE_LINK_SERVICES = ("ml_workspace", "storage_blob", "storage_file", "key_vault")

# Registry tier private endpoints need (learn.microsoft.com/azure/container-registry/
# container-registry-private-link: "Premium service tier" prerequisite; container-registry-skus).
REGISTRY_PRIVATE_LINK_SKU = "Premium"


def resource_of(service: str) -> str:
    """The resource key a private-link service key targets (`storage_blob` -> `storage`)."""
    return PRIVATE_LINK_RESOURCE.get(service, service)


def private_dns_zones(services: tuple[str, ...]) -> tuple[str, ...]:
    """Every zone the services need, each once, in first-use order (one zone serves several)."""
    return tuple(dict.fromkeys(zone for s in services for zone in PRIVATE_LINK[s].zones))
