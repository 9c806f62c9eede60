"""Private networking facts, in one place: subnet sizes and delegations, per service the private
endpoint group id and the private DNS zones its endpoint registers in, the names endpoints publish,
and the codes Azure answers with. Read by the Pulumi program (zones, zone groups), the settings rules
(sizes), opsctl and the sandbox's Microsoft.Network provider.

Zones and group ids: learn.microsoft.com/azure/private-link/private-endpoint-dns ("Azure Private
Endpoint private DNS zone values", Azure services DNS zone configuration table; stored copy
MicrosoftDocs/azure-docs articles/private-link/private-endpoint-dns.md). Each other fact carries its
source; [unverified] marks what no source confirmed (the best available reading, not a quote).
"""

from __future__ import annotations

from dataclasses import dataclass

_DNS_PAGE = "learn.microsoft.com/azure/private-link/private-endpoint-dns"

# "Workload profiles ... The minimum required subnet size is /27" (learn.microsoft.com/azure/
# container-apps/networking, Environment selection table; custom-virtual-networks: delegated to
# Microsoft.App/environments). A Consumption-only environment needs /23 (the live error quotes
# "/23": microsoft/azure-container-apps#425) and a subnet with no delegation
# (ManagedEnvironmentSubnetIsDelegated, hashicorp/terraform-provider-azurerm#29400); ragstack
# deploys workload-profile environments only, the sandbox enforces both.
CONTAINER_APPS_SUBNET_MIN_PREFIX = 27
CONTAINER_APPS_CONSUMPTION_SUBNET_MIN_PREFIX = 23
# "The smallest supported IPv4 subnet is /29, and the largest is /2" (learn.microsoft.com/azure/
# virtual-network/virtual-networks-faq); a private-endpoint subnet needs no more than that.
SMALLEST_SUBNET_PREFIX = 29
LARGEST_SUBNET_PREFIX = 2
# Same FAQ "Are there any restrictions on using IP addresses within these subnets?": Azure reserves
# the first four addresses and the last address of every subnet (5, leaving 3 at /29).
RESERVED_HEAD = 4
RESERVED_TAIL = 1
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
# Behind private endpoints every service turns its public endpoint off (`publicNetworkAccess`; the
# scanner checks in infra/policy.py require it).
PUBLIC_ACCESS_OFF = "Disabled"

# The app subnet of an environment with a custom VNet is delegated to this service
# (learn.microsoft.com/azure/container-apps/workload-profiles-manage-cli: "Create a subnet delegated
# to Microsoft.App/environments").
APP_SUBNET_DELEGATION = "Microsoft.App/environments"
# Services a subnet may be delegated to: a subset of the list in the InvalidServiceNameOnDelegation
# text quoted in crossplane-contrib/provider-upjet-azure#342, plus the Container Apps one.
DELEGATION_SERVICES: tuple[str, ...] = (
    APP_SUBNET_DELEGATION,
    "Microsoft.Web/serverFarms",
    "Microsoft.ContainerInstance/containerGroups",
    "Microsoft.Netapp/volumes",
    "Microsoft.Sql/managedInstances",
    "Microsoft.Web/hostingEnvironments",
    "Microsoft.Databricks/workspaces",
    "Microsoft.Batch/batchAccounts",
    "Microsoft.Logic/integrationServiceEnvironments",
    "Microsoft.DBforPostgreSQL/flexibleServers",
    "Microsoft.DBforMySQL/flexibleServers",
    "Microsoft.Network/dnsResolvers",
)

SEARCH = "Microsoft.Search/searchServices"
COGNITIVE = "Microsoft.CognitiveServices/accounts"
REGISTRY = "Microsoft.ContainerRegistry/registries"
ML_WORKSPACE = "Microsoft.MachineLearningServices/workspaces"
STORAGE = "Microsoft.Storage/storageAccounts"
KEY_VAULT = "Microsoft.KeyVault/vaults"
MANAGED_ENVIRONMENT = "Microsoft.App/managedEnvironments"


@dataclass(frozen=True)
class PrivateLinkService:
    """One private endpoint target: its resource type, the sub-resource (`groupIds`) and the zones
    its records go in."""

    resource_type: str
    group_id: str
    zones: tuple[str, ...]
    source: str


# Keyed by the stack's resource key (infra.catalog.roles.ResourceKey); storage has two sub-resources,
# so two endpoints (`storage_blob`, `storage_file`), both on the `storage` resource.
PRIVATE_LINK: dict[str, PrivateLinkService] = {
    "search": PrivateLinkService(SEARCH, "searchService", ("privatelink.search.windows.net",), _DNS_PAGE),
    # Azure AI services / Azure OpenAI accounts (Microsoft.CognitiveServices/accounts, `account`):
    # the page lists the three zones for AIServices/OpenAI accounts; cognitiveservices alone for the
    # other kinds. The model account can be either kind, so it gets all three.
    "openai": PrivateLinkService(
        COGNITIVE,
        "account",
        (
            "privatelink.cognitiveservices.azure.com",
            "privatelink.openai.azure.com",
            "privatelink.services.ai.azure.com",
        ),
        _DNS_PAGE,
    ),
    "document_intelligence": PrivateLinkService(
        COGNITIVE, "account", ("privatelink.cognitiveservices.azure.com",), _DNS_PAGE
    ),
    # The page also lists `{regionName}.data.privatelink.azurecr.io` for the registry's regional data
    # endpoints; Azure writes those records into the same privatelink.azurecr.io zone through the
    # zone group, so no second zone is created.
    "registry": PrivateLinkService(REGISTRY, "registry", ("privatelink.azurecr.io",), _DNS_PAGE),
    "ml_workspace": PrivateLinkService(
        ML_WORKSPACE,
        "amlworkspace",
        ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
        _DNS_PAGE,
    ),
    "storage_blob": PrivateLinkService(STORAGE, "blob", ("privatelink.blob.core.windows.net",), _DNS_PAGE),
    "storage_file": PrivateLinkService(STORAGE, "file", ("privatelink.file.core.windows.net",), _DNS_PAGE),
    "key_vault": PrivateLinkService(KEY_VAULT, "vault", ("privatelink.vaultcore.azure.net",), _DNS_PAGE),
}


# Every group id (sub-resource) Azure accepts per target type: MS Learn private-link/private-endpoint-
# overview, table "Private-link resource". Those ragstack uses come from PRIVATE_LINK; the others
# (storage's other services and secondaries, the Container Apps environment) are listed here.
_OTHER_GROUP_IDS: dict[str, tuple[str, ...]] = {
    STORAGE: (
        "blob_secondary",
        "table",
        "table_secondary",
        "queue",
        "queue_secondary",
        "web",
        "web_secondary",
        "dfs",
        "dfs_secondary",
    ),
    MANAGED_ENVIRONMENT: ("managedEnvironments",),
}


def _group_ids() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for link in PRIVATE_LINK.values():
        out[link.resource_type] = tuple(dict.fromkeys((*out.get(link.resource_type, ()), link.group_id)))
    for typ, groups in _OTHER_GROUP_IDS.items():
        out[typ] = (*out.get(typ, ()), *groups)
    return out


PRIVATE_LINK_GROUP_IDS: dict[str, tuple[str, ...]] = _group_ids()

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


# -- names and records -------------------------------------------------------------------------
# The names a private endpoint publishes (its customDnsConfigs) per target type and group id, one
# (member, fqdn template) pair each; members share one private IP. Templates use {name},
# {subdomain} (custom subdomain or name), {region} and {id} (the resource's internal id).
# Src: MS Learn private-link/private-endpoint-dns "Azure services DNS zone configuration" (public
# names per service); ACR's data endpoint `<registry>.<region>.data.azurecr.io` from
# container-registry-private-link "registry_data_<region>" member.
PRIVATE_LINK_FQDNS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    (SEARCH, "searchService"): (("searchService", "{name}.search.windows.net"),),
    (COGNITIVE, "account"): (
        ("default", "{subdomain}.cognitiveservices.azure.com"),
        ("default", "{subdomain}.openai.azure.com"),
        ("default", "{subdomain}.services.ai.azure.com"),
    ),
    (REGISTRY, "registry"): (
        ("registry", "{name}.azurecr.io"),
        ("registry_data_{region}", "{name}.{region}.data.azurecr.io"),
    ),
    (ML_WORKSPACE, "amlworkspace"): (
        ("amlworkspace", "{id}.workspace.{region}.api.azureml.ms"),
        ("amlworkspace", "{id}.workspace.{region}.cert.api.azureml.ms"),
        ("amlworkspace", "ml-{name}-{region}-{id}.{region}.notebooks.azure.net"),
    ),
    (KEY_VAULT, "vault"): (("default", "{name}.vault.azure.net"),),
    (MANAGED_ENVIRONMENT, "managedEnvironments"): (
        ("managedEnvironments", "{subdomain}.{region}.azurecontainerapps.io"),
    ),
}
# Storage: one name per group id, `<account>.<group>.core.windows.net` (private-endpoint-dns).
STORAGE_SUFFIX = "core.windows.net"

# A private DNS zone `privatelink.<suffix>` holds the records of names ending in `.<suffix>`,
# except where the public suffix differs (private-endpoint-dns: Key Vault's zone is
# privatelink.vaultcore.azure.net for vault.azure.net names).
ZONE_PUBLIC_SUFFIX: dict[str, str] = {"privatelink.vaultcore.azure.net": "vault.azure.net"}
# [unverified] TTL of the A records a zone group writes (portal shows 10 s).
ZONE_GROUP_RECORD_TTL = 10

# -- private DNS zones --------------------------------------------------------------------------
# Zone limits as the zone resource reports them (azure-cli#15010 `private-dns zone show` output).
ZONE_LIMITS = {
    "maxNumberOfRecordSets": 25000,
    "maxNumberOfVirtualNetworkLinks": 1000,
    "maxNumberOfVirtualNetworkLinksWithRegistration": 100,
}
RECORD_TYPES: tuple[str, ...] = ("A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT")

# -- error codes (status, code) and where each was seen ----------------------------------------
# MicrosoftDocs/azure-docs#123869 (both texts quoted there).
SUBNET_OUTSIDE_VNET = (400, "NetcfgSubnetRangeOutsideVnet")
SUBNETS_OVERLAP = (400, "NetcfgSubnetRangesOverlap")
# [unverified] code for a subnet outside the /29../2 sizes (rule: virtual-networks-faq).
INVALID_SUBNET = (400, "NetcfgInvalidSubnet")
# [unverified] code and text for a prefix with host bits set (remembered live text).
INVALID_CIDR = (400, "InvalidCIDRNotation")
# Azure/bicep#13267 (text), kubernetes-sigs/cluster-api-provider-azure#172 (status 400); a VNet
# delete with a used subnet answers the same code (Azure/azure-quickstart-templates#5450: no
# separate "InUseVirtualNetworkCannotBeDeleted" code was found).
SUBNET_IN_USE = (400, "InUseSubnetCannotBeDeleted")
# MicrosoftDocs/azure-docs#39112 (text).
DELEGATION_IN_USE = (400, "SubnetDelegationsCannotChangeWhenSubnetUsedByResource")
# crossplane-contrib/provider-upjet-azure#342 (text, status 400).
INVALID_DELEGATION = (400, "InvalidServiceNameOnDelegation")
# [unverified] code; the rule is MicrosoftDocs/azure-docs#47048 (portal: "The selected subnet has
# a delegation and cannot be used with a private endpoint").
PE_SUBNET_DELEGATED = (400, "PrivateEndpointCannotBeCreatedInSubnetThatHasDelegations")
# Azure/azure-cli#15136 (text).
PE_MISSING_GROUP = (400, "MissingParameterOnPrivateLinkServiceConnection")
# DFE-Digital/terraform-azurerm-container-apps-hosting#352 (text).
PE_ONE_GROUP = (400, "OnlyOneGroupIdPermitted")
# Azure/azure-cli#16750 (Storage's text); other targets word it their own way [unverified].
PE_INVALID_GROUP = (400, "InvalidValuesForRequestParameters")
# [unverified] live text remembered from Network's referenced-resource checks.
INVALID_REFERENCE = (400, "InvalidResourceReference")
# Azure/missionlz#1029 (text).
INVALID_ZONE_IDS = (400, "InvalidPrivateDnsZoneIds")
# learntocloud/networking-lab#8 (409 and text).
ZONE_HAS_LINKS = (409, "CannotDeleteResource")
# microsoft/azure-container-apps#425 and #786 (texts, status 400).
ACA_NETWORK_INVALID = (400, "ManagedEnvironmentInvalidNetworkConfiguration")
# adamdost-0/linux-update-cds#17 (code); the text is [unverified].
ACA_SUBNET_NOT_DELEGATED = (400, "ManagedEnvironmentSubnetDelegationError")
# hashicorp/terraform-provider-azurerm#29400 (code); the text is [unverified].
ACA_SUBNET_DELEGATED = (400, "ManagedEnvironmentSubnetIsDelegated")
