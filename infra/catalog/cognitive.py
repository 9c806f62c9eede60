"""Cognitive Services (Azure OpenAI, AI Services, Document Intelligence) facts.

Sources: ops-pitfalls O-3 (deployment sku names), O-4 (quota per subscription + region + model + sku,
usage names like `OpenAI.GlobalStandard.gpt-4o`), D-3 (F0 limits); learn.microsoft.com
azure/ai-services/openai/how-to/deployment-types.
"""

from __future__ import annotations

OPENAI_ACCOUNT_KINDS = ("OpenAI", "AIServices")
OPENAI_ACCOUNT_SKUS = ("S0",)
DOCUMENT_INTELLIGENCE_KIND = "FormRecognizer"
DOCUMENT_INTELLIGENCE_SKUS = ("F0", "S0")
DEPLOYMENT_SKUS = (
    "Standard",
    "GlobalStandard",
    "DataZoneStandard",
    "ProvisionedManaged",
    "GlobalProvisionedManaged",
    "DataZoneProvisionedManaged",
)
VERSION_UPGRADE_OPTIONS = ("OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired", "NoAutoUpgrade")
MODEL_FORMAT = "OpenAI"
# Non-OpenAI formats (DeepSeek, Microsoft, Meta, ...) deploy only on AIServices accounts
# (learn.microsoft.com azure/ai-foundry/model-inference: "Foundry Models sold directly by Azure").
OPENAI_FORMAT_KINDS = ("OpenAI",)  # kinds that deploy only format OpenAI; AIServices takes any
SOFT_DELETE_RETENTION_HOURS = 48


def quota_usage_name(deployment_sku: str, model: str) -> str:
    """The usages API name of the regional quota a deployment draws from."""
    return f"OpenAI.{deployment_sku}.{model}"


# -- accounts -------------------------------------------------------------------------------------
# SKUs each account kind offers. OpenAI/AIServices/FormRecognizer as the project uses them;
# TextAnalytics takes `S`, not `S0` (MicrosoftDocs/azure-docs#103641); the rest from the SDK's
# `list_skus` docs [unverified per region]. A kind missing here is refused as Azure refuses an
# unknown one: InvalidApiSetId (Azure/azure-cli#6190).
ACCOUNT_SKUS: dict[str, tuple[str, ...]] = {
    "OpenAI": OPENAI_ACCOUNT_SKUS,
    "AIServices": OPENAI_ACCOUNT_SKUS,
    DOCUMENT_INTELLIGENCE_KIND: DOCUMENT_INTELLIGENCE_SKUS,
    "TextAnalytics": ("F0", "S"),
    "ComputerVision": ("F0", "S1"),
    "SpeechServices": ("F0", "S0"),
    "ContentSafety": ("F0", "S0"),
    "TextTranslation": ("F0", "S1"),
    "Face": ("F0", "S0"),
}
# Account names: 2-64 letters, digits and hyphens, starting and ending alphanumeric
# (learn.microsoft.com azure-resource-manager/management/resource-name-rules, Microsoft.CognitiveServices).
ACCOUNT_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?$"

# -- models per region ----------------------------------------------------------------------------
# Where each (model, version) can be deployed, per deployment sku. Source: MicrosoftDocs/azure-ai-docs
# articles/ai-foundry/openai/includes/model-matrix/ standard-global.md (2025-08-12),
# datazone-standard.md (2025-08-12), standard-chat-completions.md and standard-embeddings.md
# (2025-04-01). Provisioned skus are not tabled here: for them only the model and version are
# checked (a known difference, sandbox/README.md).
_GLOBAL = frozenset(
    """australiaeast brazilsouth canadaeast eastus eastus2 francecentral germanywestcentral italynorth
    japaneast koreacentral northcentralus norwayeast polandcentral southafricanorth southcentralus
    southindia spaincentral swedencentral switzerlandnorth uaenorth uksouth westeurope westus
    westus3""".split()
)
_DATAZONE = frozenset(
    """eastus eastus2 francecentral germanywestcentral italynorth northcentralus polandcentral
    southcentralus spaincentral swedencentral westeurope westus westus3""".split()
)
_STANDARD_GPT4O = frozenset(
    "eastus eastus2 northcentralus southcentralus swedencentral westus westus3".split()
)
_STANDARD_GPT4O_1120 = _STANDARD_GPT4O | frozenset(
    "australiaeast canadaeast francecentral japaneast norwayeast southindia switzerlandnorth uksouth".split()
)
_TE3_SMALL = frozenset(
    "australiaeast canadaeast eastus eastus2 japaneast switzerlandnorth uaenorth westus".split()
)
_TE3_LARGE = frozenset(
    """australiaeast canadaeast eastus eastus2 francecentral japaneast norwayeast polandcentral
    southafricanorth southeastasia southindia spaincentral swedencentral switzerlandnorth uaenorth
    uksouth westus3""".split()
)
_ADA2_STANDARD = frozenset(
    """australiaeast brazilsouth canadaeast eastus eastus2 francecentral japaneast northcentralus
    norwayeast southafricanorth southcentralus southindia swedencentral switzerlandnorth uaenorth
    uksouth westeurope westus westus3""".split()
)
_NO_ITALY = _GLOBAL - {"italynorth"}
OPENAI_MODELS: dict[tuple[str, str], dict[str, frozenset[str]]] = {
    ("gpt-4o", "2024-05-13"): {
        "GlobalStandard": _NO_ITALY,
        "DataZoneStandard": _DATAZONE - {"italynorth"},
        "Standard": _STANDARD_GPT4O,
    },
    ("gpt-4o", "2024-08-06"): {
        "GlobalStandard": _NO_ITALY,
        "DataZoneStandard": _DATAZONE - {"italynorth"},
        "Standard": _STANDARD_GPT4O,
    },
    ("gpt-4o", "2024-11-20"): {
        "GlobalStandard": _GLOBAL,
        "DataZoneStandard": _DATAZONE,
        "Standard": _STANDARD_GPT4O_1120,
    },
    ("gpt-4o-mini", "2024-07-18"): {
        "GlobalStandard": _GLOBAL,
        "DataZoneStandard": _DATAZONE,
        "Standard": _STANDARD_GPT4O,
    },
    ("text-embedding-3-small", "1"): {"GlobalStandard": _GLOBAL, "Standard": _TE3_SMALL},
    ("text-embedding-3-large", "1"): {"GlobalStandard": _GLOBAL, "Standard": _TE3_LARGE},
    ("text-embedding-ada-002", "2"): {"GlobalStandard": _GLOBAL, "Standard": _ADA2_STANDARD},
}
TABLED_DEPLOYMENT_SKUS = ("Standard", "GlobalStandard", "DataZoneStandard")


def model_problem(fmt: str, name: str, version: str, sku: str, region: str) -> tuple[str, str] | None:
    """(code, message) when an `OpenAI`-format model cannot be deployed with this sku in this region."""
    skus = OPENAI_MODELS.get((name, version))
    if skus is None or (sku in TABLED_DEPLOYMENT_SKUS and not any(region in r for r in skus.values())):
        # Text: ops-pitfalls O-5 (microsoft/microsoft-foundry-for-vscode#491 and others).
        return (
            "DeploymentModelNotSupported",
            f"The model 'Format: {fmt}, Name: {name}, Version: {version}' of account deployment is "
            "not supported.",
        )
    if sku in TABLED_DEPLOYMENT_SKUS and region not in skus.get(sku, frozenset()):
        # Text: thunderbug1/LibreChatAzureDeployment#5, Azure/bicep#16642.
        return (
            "InvalidResourceProperties",
            f"The specified SKU '{sku}' of account deployment is not supported by the model '{name}' "
            f"version: '{version}'.",
        )
    return None


# -- default quota ----------------------------------------------------------------------------------
# Default-tier TPM quota (thousands) per model and deployment sku, the same in every region where the
# model is offered. Chat models: MicrosoftDocs/azure-ai-docs articles/ai-foundry/openai/quotas-limits.md
# (2025-07-11, "Default" rows). Embeddings (Standard): includes/model-matrix/quota.md (2024-10-04,
# 350 K in eastus2/swedencentral). Anything not tabled: FALLBACK_QUOTA_TPM [unverified].
DEFAULT_QUOTA_TPM: dict[tuple[str, str], float] = {
    ("gpt-4o", "GlobalStandard"): 450.0,
    ("gpt-4o", "DataZoneStandard"): 300.0,
    ("gpt-4o", "Standard"): 150.0,
    ("gpt-4o-mini", "GlobalStandard"): 2000.0,
    ("gpt-4o-mini", "DataZoneStandard"): 1000.0,
    ("gpt-4o-mini", "Standard"): 450.0,
    ("text-embedding-3-small", "Standard"): 350.0,
    ("text-embedding-3-large", "Standard"): 350.0,
    ("text-embedding-ada-002", "Standard"): 350.0,
}
FALLBACK_QUOTA_TPM = 350.0


def default_quota(deployment_sku: str, model: str) -> float:
    """The regional quota a new subscription gets for this model and deployment sku."""
    return DEFAULT_QUOTA_TPM.get((model, deployment_sku), FALLBACK_QUOTA_TPM)


# -- data planes (sandbox/dataplane) --------------------------------------------------------------
# Token audience of Azure OpenAI, AI Services and Document Intelligence data planes (openai SDK docs:
# `get_bearer_token_provider(cred, "https://cognitiveservices.azure.com/.default")`).
DATAPLANE_AUDIENCE = "https://cognitiveservices.azure.com"
# Output sizes of the embedding models (platform.openai.com/docs/guides/embeddings: "1536 for
# text-embedding-3-small and 3072 for text-embedding-3-large"; ada-002 1536). Only the -3 models take
# a `dimensions` parameter (same page, "Use cases ... reducing embedding dimensions").
EMBEDDING_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
EMBEDDING_FLEXIBLE_DIMENSIONS = ("text-embedding-3-small", "text-embedding-3-large")
# The GA data-plane version opsctl's AzureOpenAI client speaks (learn.microsoft.com azure/ai-foundry/
# openai/api-version-lifecycle: "2024-10-21" latest GA of the classic API at the time of writing).
OPENAI_DATAPLANE_API_VERSION = "2024-10-21"
EMBEDDING_MAX_INPUTS = 2048  # inputs per request (learn.microsoft.com azure/ai-foundry/openai/quotas-limits)
# Standard deployments: `sku.capacity` N = N*1000 tokens per minute, and 6 requests per minute per
# 1000 TPM (learn.microsoft.com azure/ai-foundry/openai/how-to/quota: "RPM ... 6 RPM per 1000 TPM").
TPM_PER_CAPACITY_UNIT = 1000
RPM_PER_1000_TPM = 6
# Document Intelligence: models the sandbox analyzes, the API version it speaks, and F0's page limit
# (ops-pitfalls D-3: "only the first 2 pages analysed").
DOCINT_API_VERSIONS = ("2024-11-30",)
DOCINT_MODELS = ("prebuilt-layout", "prebuilt-read")
DOCINT_FREE_PAGES = 2
