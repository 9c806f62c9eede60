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
SOFT_DELETE_RETENTION_HOURS = 48


def quota_usage_name(deployment_sku: str, model: str) -> str:
    """The usages API name of the regional quota a deployment draws from."""
    return f"OpenAI.{deployment_sku}.{model}"
