"""Azure list prices the monthly cost estimate multiplies by, kept as data with their date.

These are LIST-PRICE ESTIMATES in USD, pay-as-you-go, East US, as published on the Azure pricing
pages (azure.microsoft.com/pricing/details/<service>/) around `PRICES_AS_OF`, transcribed by hand.
Other regions differ by roughly +-10-30%; reservations, savings plans, EA/CSP discounts, taxes and
usage-metered charges (tokens, pages, queries, requests, egress) are not in the base figures. They are
not precise: refresh them from the Azure Retail Prices API (https://prices.azure.com/api/retail/prices,
filter by serviceName and armRegionName) and move `PRICES_AS_OF` when you do.

A month is 730 hours (the Azure pricing calculator's convention).
"""

from __future__ import annotations

from decimal import Decimal

PRICES_AS_OF = "2025-06-01"
CURRENCY = "USD"
REGION_NOTE = "East US pay-as-you-go list prices; other regions differ"
HOURS_PER_MONTH = Decimal(730)
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = HOURS_PER_MONTH / 24

# AI Search, dedicated tiers: per search unit (replica x partition) per month, billed hourly.
# Source: azure.microsoft.com/pricing/details/search/ (Basic $0.101/h, S1 $0.336/h, S2 $1.344/h,
# S3 $2.688/h, L1 $3.839/h, L2 $7.678/h). S3 high density bills as S3.
SEARCH_SU_MONTHLY: dict[str, Decimal] = {
    "free": Decimal("0"),
    "basic": Decimal("73.73"),
    "standard": Decimal("245.28"),
    "standard2": Decimal("981.12"),
    "standard3": Decimal("1962.24"),
    "storage_optimized_l1": Decimal("2802.47"),
    "storage_optimized_l2": Decimal("5604.94"),
}
# Semantic ranker has no monthly base: "free" = 1,000 queries/month; "standard" = first 1,000 free,
# then per 1,000 queries. Source: same page, "Semantic ranker".
SEMANTIC_RANKER_PER_1000_QUERIES = Decimal("1.00")
SEMANTIC_RANKER_FREE_QUERIES = 1000

# Container Registry: per registry per day, storage beyond the included amount extra.
# Source: azure.microsoft.com/pricing/details/container-registry/ (10 / 100 / 500 GB included).
REGISTRY_DAILY: dict[str, Decimal] = {
    "Basic": Decimal("0.167"),
    "Standard": Decimal("0.667"),
    "Premium": Decimal("1.667"),
}

# Document Intelligence: no base fee on either SKU; S0 is pay per page (F0: 500 pages/month free,
# only the first 2 pages of each document). Source: .../pricing/details/ai-document-intelligence/.
DOCUMENT_INTELLIGENCE_MONTHLY: dict[str, Decimal] = {"F0": Decimal("0"), "S0": Decimal("0")}
DOCUMENT_INTELLIGENCE_READ_PER_1000_PAGES = Decimal("1.50")
DOCUMENT_INTELLIGENCE_LAYOUT_PER_1000_PAGES = Decimal("10.00")

# Container Apps, Consumption plan, active rate. The free grant is per subscription per calendar
# month (learn.microsoft.com/azure/container-apps/billing). Source: .../pricing/details/container-apps/.
CONTAINER_APPS_VCPU_SECOND = Decimal("0.000024")
CONTAINER_APPS_GIB_SECOND = Decimal("0.000003")
CONTAINER_APPS_FREE_VCPU_SECONDS = Decimal(180_000)
CONTAINER_APPS_FREE_GIB_SECONDS = Decimal(360_000)
CONTAINER_APPS_FREE_REQUESTS = 2_000_000
CONTAINER_APPS_PER_MILLION_REQUESTS = Decimal("0.40")
# A Consumption-only (or Consumption workload profile) environment has no charge of its own;
# Dedicated workload profiles add a management fee and per-node prices, not modelled here.
MANAGED_ENVIRONMENT_MONTHLY = Decimal("0")

# Log Analytics PerGB2018 (Analytics logs): per GB ingested; 31 days retention included.
# Source: azure.microsoft.com/pricing/details/monitor/. The 5 GB/month free allowance is per billing
# account, so it is not subtracted here.
LOG_ANALYTICS_PER_GB: dict[str, Decimal] = {"PerGB2018": Decimal("2.30"), "Free": Decimal("0")}
# ASSUMPTION: ingestion of one small RAG environment (app + environment logs); change to your volume.
LOG_ANALYTICS_ASSUMED_GB_PER_MONTH = Decimal("2")
LOG_ANALYTICS_RETENTION_PER_GB_MONTH = Decimal("0.10")

# Azure OpenAI / AI Services: the S0 account has no base fee. Standard-family deployments are pay per
# token (0 base); provisioned deployments bill per PTU-hour (hourly, no reservation).
# Source: azure.microsoft.com/pricing/details/cognitive-services/openai-service/.
COGNITIVE_ACCOUNT_MONTHLY = Decimal("0")
PTU_HOURLY: dict[str, Decimal] = {
    "ProvisionedManaged": Decimal("2.00"),
    "DataZoneProvisionedManaged": Decimal("1.10"),
    "GlobalProvisionedManaged": Decimal("1.00"),
}
PAY_PER_TOKEN_SKUS = frozenset({"Standard", "GlobalStandard", "DataZoneStandard"})

# Blob storage (general-purpose v2, hot tier, first 50 TB), per GB-month, by redundancy sku.
# LIST PRICES as of PRICES_AS_OF, source: azure.microsoft.com/pricing/details/storage/blobs/ (East US).
# Operations and egress are not included. [transcribed by hand; refresh from the Retail Prices API]
STORAGE_GB_MONTH: dict[str, Decimal] = {
    "Standard_LRS": Decimal("0.0184"),
    "Standard_ZRS": Decimal("0.023"),
    "Standard_GRS": Decimal("0.0368"),
}
# ASSUMPTION: what one workspace keeps (datasets, run logs, model artifacts); change to your volume.
STORAGE_ASSUMED_GB = Decimal("10")
# Key Vault Standard: no base fee, $0.03 per 10,000 secret operations (azure.microsoft.com/pricing/
# details/key-vault/, list price as of PRICES_AS_OF).
KEY_VAULT_PER_10000_OPERATIONS = Decimal("0.03")

# Private endpoint: per endpoint-hour, plus data processed in and out (not included).
# Source: azure.microsoft.com/pricing/details/private-link/ ($0.01/h, $0.01/GB inbound and outbound)
# [unverified: the official page is not in the stored corpus; third-party estimators (c3x.dev,
# cloudcostkit.com) quote the same rates].
PRIVATE_ENDPOINT_HOURLY = Decimal("0.01")
PRIVATE_ENDPOINT_PER_GB = Decimal("0.01")
# Private DNS: per hosted zone per month (first 25 zones), queries per million (not included).
# Source: azure.microsoft.com/pricing/details/dns/ [unverified: from memory, $0.50/zone, $0.40/M].
PRIVATE_DNS_ZONE_MONTHLY = Decimal("0.50")
PRIVATE_DNS_PER_MILLION_QUERIES = Decimal("0.40")

# Resources with no charge of their own.
FREE_TYPES: dict[str, str] = {
    "azure-native:resources:ResourceGroup": "no charge",
    "azure-native:managedidentity:UserAssignedIdentity": "no charge",
    "azure-native:authorization:RoleAssignment": "no charge",
    # Foundry projects bill nothing themselves; model use bills through the account's deployments
    # (azure.microsoft.com/pricing/details/ai-foundry/).
    "azure-native:cognitiveservices:Project": "no charge of its own; models bill through the account",
    # "There is no additional charge to use Azure Machine Learning": compute and the associated
    # resources bill (azure.microsoft.com/pricing/details/machine-learning/).
    "azure-native:machinelearningservices:Workspace": "no charge of its own; compute bills separately "
    "(none declared)",
    # Workspace-based Application Insights bills as ingestion into its Log Analytics workspace.
    "azure-native:applicationinsights:Component": "no charge of its own; telemetry bills as Log "
    "Analytics ingestion (not included)",
    "azure-native:keyvault:Vault": "Standard: no base fee; $0.03 per 10,000 operations (not included)",
    # "Azure Virtual Network is free of charge" (azure.microsoft.com/pricing/details/virtual-network/);
    # subnets and a private endpoint's DNS zone group are configuration, not billed resources.
    "azure-native:network:VirtualNetwork": "no charge",
    "azure-native:network:Subnet": "no charge",
    "azure-native:network:PrivateDnsZoneGroup": "no charge (part of the private endpoint)",
    # [unverified: the DNS pricing page bills zones and queries; no per-link charge was found]
    "azure-native:privatedns:VirtualNetworkLink": "no charge of its own; queries bill on the zone",
}
