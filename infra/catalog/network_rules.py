"""Microsoft.Network rules the sandbox enforces: subnet sizes, delegations, private-link group ids,
the names private endpoints publish, Container Apps subnet needs and Azure's error codes.

Each fact carries its source; [unverified] marks what no source confirmed (the rule or code is the
best available reading, not a quote).
"""

from __future__ import annotations

# -- subnets ------------------------------------------------------------------------------------
# MS Learn virtual-network/virtual-networks-faq "How small and how large can virtual networks and
# subnets be?": the smallest supported IPv4 subnet is /29, the largest /2.
MIN_SUBNET_PREFIX = 29
MAX_SUBNET_PREFIX = 2
# Same FAQ "Are there any restrictions on using IP addresses within these subnets?": Azure reserves
# the first four addresses and the last address of every subnet.
RESERVED_HEAD = 4
RESERVED_TAIL = 1

# Services a subnet may be delegated to. A subset of the list in the InvalidServiceNameOnDelegation
# text quoted in crossplane-contrib/provider-upjet-azure#342, plus Microsoft.App/environments
# (MS Learn container-apps/custom-virtual-networks: "delegated to Microsoft.App/environments").
DELEGATION_SERVICES: tuple[str, ...] = (
    "Microsoft.App/environments",
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

# -- private link -------------------------------------------------------------------------------
# Group ids (sub-resources) per target type: MS Learn private-link/private-endpoint-overview,
# table "Private-link resource" (Microsoft.Search/searchServices searchService;
# Microsoft.CognitiveServices/accounts account; Microsoft.ContainerRegistry/registries registry;
# Microsoft.MachineLearningServices/workspaces amlworkspace; Microsoft.Storage/storageAccounts
# blob/table/queue/file/web/dfs and their _secondary; Microsoft.KeyVault/vaults vault;
# Microsoft.App/managedEnvironments managedEnvironments).
PRIVATE_LINK_GROUP_IDS: dict[str, tuple[str, ...]] = {
    "Microsoft.Search/searchServices": ("searchService",),
    "Microsoft.CognitiveServices/accounts": ("account",),
    "Microsoft.ContainerRegistry/registries": ("registry",),
    "Microsoft.MachineLearningServices/workspaces": ("amlworkspace",),
    "Microsoft.Storage/storageAccounts": (
        "blob",
        "blob_secondary",
        "table",
        "table_secondary",
        "queue",
        "queue_secondary",
        "file",
        "web",
        "web_secondary",
        "dfs",
        "dfs_secondary",
    ),
    "Microsoft.KeyVault/vaults": ("vault",),
    "Microsoft.App/managedEnvironments": ("managedEnvironments",),
}

# The names a private endpoint publishes (its customDnsConfigs) per target type and group id, one
# (member, fqdn template) pair each; members share one private IP. Templates use {name},
# {subdomain} (custom subdomain or name), {region} and {id} (the resource's internal id).
# Src: MS Learn private-link/private-endpoint-dns "Azure services DNS zone configuration" (public
# names per service); ACR's data endpoint `<registry>.<region>.data.azurecr.io` from
# container-registry-private-link "registry_data_<region>" member.
PRIVATE_LINK_FQDNS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("Microsoft.Search/searchServices", "searchService"): (("searchService", "{name}.search.windows.net"),),
    ("Microsoft.CognitiveServices/accounts", "account"): (
        ("default", "{subdomain}.cognitiveservices.azure.com"),
        ("default", "{subdomain}.openai.azure.com"),
        ("default", "{subdomain}.services.ai.azure.com"),
    ),
    ("Microsoft.ContainerRegistry/registries", "registry"): (
        ("registry", "{name}.azurecr.io"),
        ("registry_data_{region}", "{name}.{region}.data.azurecr.io"),
    ),
    ("Microsoft.MachineLearningServices/workspaces", "amlworkspace"): (
        ("amlworkspace", "{id}.workspace.{region}.api.azureml.ms"),
        ("amlworkspace", "{id}.workspace.{region}.cert.api.azureml.ms"),
        ("amlworkspace", "ml-{name}-{region}-{id}.{region}.notebooks.azure.net"),
    ),
    ("Microsoft.KeyVault/vaults", "vault"): (("default", "{name}.vault.azure.net"),),
    ("Microsoft.App/managedEnvironments", "managedEnvironments"): (
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

# -- Container Apps environments on a subnet ----------------------------------------------------
# MS Learn container-apps/custom-virtual-networks (Subnet): a workload-profiles environment needs
# at least /27 and a subnet delegated to Microsoft.App/environments; a Consumption-only
# environment needs at least /23 (the live error quotes "/23": microsoft/azure-container-apps#425)
# and a subnet with no delegation (ManagedEnvironmentSubnetIsDelegated,
# hashicorp/terraform-provider-azurerm#29400).
ACA_DELEGATION = "Microsoft.App/environments"
ACA_MIN_PREFIX_WORKLOAD_PROFILES = 27
ACA_MIN_PREFIX_CONSUMPTION_ONLY = 23

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
