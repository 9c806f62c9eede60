"""Deterministic, rule-checked Azure resource names for an environment.

Globally unique names carry a short token of (subscription, environment, location), like azd's
`resourceToken`, so re-runs and other tools (opsctl) derive the same names without state.
Rules: shared/reference/anchors-infra.md section 5.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.settings import StackSettings

TOKEN_LENGTH = 13


@dataclass(frozen=True)
class NameRule:
    """Length and character rule of one resource type's name."""

    min_length: int
    max_length: int
    pattern: str
    allowed: str

    def problem(self, name: str) -> str | None:
        """Why `name` breaks the rule, or None."""
        if not self.min_length <= len(name) <= self.max_length:
            return f"must be {self.min_length}-{self.max_length} characters, {self.allowed}"
        if not re.fullmatch(self.pattern, name):
            return f"must be {self.allowed}"
        return None


_LOWER_DASH = "lowercase letters, digits and '-', starting and ending alphanumeric, no '--'"
NAME_RULES: dict[str, NameRule] = {
    "resource_group": NameRule(
        1, 90, r"[\w().-]*[\w()-]", "letters, digits, '_', '(', ')', '-', '.', not ending in '.'"
    ),
    "search": NameRule(
        2,
        60,
        r"(?!.*--)[a-z0-9]{2}(?:[a-z0-9-]*[a-z0-9])?",
        "lowercase letters, digits and '-', no '-' in the first two or last place, no '--'",
    ),
    "openai": NameRule(
        2, 64, r"[a-z0-9][a-z0-9-]*[a-z0-9]", "lowercase letters, digits and '-', alphanumeric ends"
    ),
    "document_intelligence": NameRule(
        2, 64, r"[a-z0-9][a-z0-9-]*[a-z0-9]", "lowercase letters, digits and '-', alphanumeric ends"
    ),
    "registry": NameRule(5, 50, r"[a-zA-Z0-9]+", "letters and digits only"),
    "log_analytics": NameRule(
        4, 63, r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]", "letters, digits and '-', alphanumeric ends"
    ),
    "container_apps_environment": NameRule(2, 60, r"[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]", _LOWER_DASH),
    "container_app": NameRule(
        2,
        32,
        r"[a-z](?!.*--)[a-z0-9-]*[a-z0-9]",
        "lowercase letters, digits and '-', starting with a letter, ending alphanumeric, no '--'",
    ),
    "identity": NameRule(
        3, 128, r"[A-Za-z0-9][A-Za-z0-9_-]*", "letters, digits, '-' and '_', starting alphanumeric"
    ),
    # Azure/bicep-types-az generated/cognitiveservices/.../2025-06-01/types.md, accounts/projects:
    # name {minLength: 2, maxLength: 64, pattern: "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"}.
    "foundry_project": NameRule(
        2, 64, r"[A-Za-z0-9][A-Za-z0-9_.-]*", "letters, digits, '_', '.' and '-', starting alphanumeric"
    ),
    # hashicorp/terraform-provider-azurerm machinelearning validate.WorkspaceName and AzureNamingTool:
    # ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$, unique in the resource group.
    "ml_workspace": NameRule(
        3, 33, r"[A-Za-z0-9][A-Za-z0-9_-]*", "letters, digits, '_' and '-', starting alphanumeric"
    ),
    # learn.microsoft.com azure-resource-manager/management/resource-name-rules (Microsoft.Storage,
    # Microsoft.KeyVault, Microsoft.Insights): storage 3-24 lowercase letters and digits, global; vault
    # 3-24 alphanumerics and '-', starting with a letter, ending alphanumeric, no '--', global;
    # components 1-260, no % & \ ? / and not ending in a space or '.'.
    "storage": NameRule(3, 24, r"[a-z0-9]+", "lowercase letters and digits only"),
    "key_vault": NameRule(
        3,
        24,
        r"[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]",
        "letters, digits and '-', starting with a letter, ending alphanumeric, no '--'",
    ),
    "app_insights": NameRule(
        1, 260, r"[^%&\\?/]*[^%&\\?/. ]", "any characters except % & \\ ? /, not ending in '.' or ' '"
    ),
}

ENVIRONMENT_RULE = NameRule(
    2,
    20,
    r"[a-z](?!.*--)[a-z0-9-]*[a-z0-9]",
    "lowercase letters, digits and '-', starting with a letter, ending alphanumeric, no '--'",
)


@dataclass(frozen=True)
class ResourceNames:
    """The Azure name of every resource of one environment."""

    resource_group: str
    search: str
    openai: str
    document_intelligence: str
    registry: str
    log_analytics: str
    container_apps_environment: str
    container_app: str
    identity: str
    foundry_project: str
    ml_workspace: str
    storage: str
    key_vault: str
    app_insights: str

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def resource_token(subscription_id: str, environment: str, location: str) -> str:
    """A short, stable, lowercase token of the inputs (letters a-z and digits 2-7)."""
    seed = f"{subscription_id.lower()}|{environment.lower()}|{location.lower()}".encode()
    digest = base64.b32encode(hashlib.sha256(seed).digest()).decode().lower()
    return digest[:TOKEN_LENGTH]


def default_names(*, project: str, environment: str, token: str) -> ResourceNames:
    """Names before per-resource overrides; short prefixes after the CAF abbreviations."""
    compact = environment.replace("-", "")
    return ResourceNames(
        resource_group=f"rg-{project}-{environment}",
        search=f"srch-{environment}-{token}",
        openai=f"oai-{environment}-{token}",
        document_intelligence=f"di-{environment}-{token}",
        registry=f"cr{compact}{token}",
        log_analytics=f"log-{environment}-{token}",
        container_apps_environment=f"cae-{environment}",
        container_app=f"ca-{environment}",
        identity=f"id-{environment}-app",
        foundry_project=f"proj-{environment}",
        ml_workspace=f"mlw-{environment}",
        # Global names of at most 24 characters: a 2-letter prefix, 9 of the environment, the token.
        storage=f"st{compact[:9]}{token}",
        key_vault=f"kv{compact[:9]}{token}",
        app_insights=f"appi-{environment}",
    )


def name_problem(kind: str, name: str) -> str | None:
    """Why `name` is not a valid name for resource `kind`, or None."""
    return NAME_RULES[kind].problem(name)


def environment_names(settings: StackSettings, subscription_id: str | None = None) -> ResourceNames:
    """Every resource name of the environment: derived defaults with per-resource overrides."""
    from infra.tags import PROJECT

    subscription = subscription_id or settings.resolved_subscription_id() or ""
    token = resource_token(subscription, settings.environment, settings.location)
    derived = default_names(project=PROJECT, environment=settings.environment, token=token)
    overrides = {k: v for k, v in settings.names.model_dump().items() if v}
    project = settings.foundry.project
    if project is not None and project.name:
        overrides["foundry_project"] = project.name
    return ResourceNames(**{**derived.as_dict(), **overrides})


@dataclass(frozen=True)
class NetworkNames:
    """Names of the private-networking resources (CAF abbreviations vnet, snet, pep), unique in the
    environment's resource group; zones carry their fixed `privatelink.*` names."""

    vnet: str
    app_subnet: str
    endpoint_subnet: str
    zone_link: str

    def endpoint(self, resource_name: str, group_id: str) -> str:
        return f"pep-{resource_name}-{group_id.lower()}"


def network_names(environment: str) -> NetworkNames:
    return NetworkNames(
        vnet=f"vnet-{environment}",
        app_subnet="snet-apps",
        endpoint_subnet="snet-pep",
        zone_link=f"link-vnet-{environment}",
    )
