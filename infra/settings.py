"""Typed stack settings: one model built from `ragstack:*` config, validated before any resource.

Pure Python (pydantic, no pulumi) so `opsctl`, tests and the Pulumi program share it. Shape and types
are checked by pydantic; Azure's cross-field rules (search tiers, Container Apps allocations, names)
are checked afterwards by `infra.rules`, each failure naming the config key, the value and what is
allowed.
"""

from __future__ import annotations

import datetime as dt
import os
import reprlib
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from infra.catalog import cognitive
from infra.catalog import search as search_catalog
from infra.catalog.roles import PRINCIPAL_TYPES

NAMESPACE = "ragstack"
PROVIDER_LOCATION_KEY = "azure-native:location"
BOOTSTRAP_IMAGE = "mcr.microsoft.com/k8se/quickstart:latest"
SUBSCRIPTION_ENV_VARS = ("ARM_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID")

Profile = Literal["free", "dev", "prod"]

# Allowed values come from the catalogs (one place for facts); type checkers see plain strings.
if TYPE_CHECKING:
    SearchSku: TypeAlias = str
    SemanticRanker: TypeAlias = str
    HostingMode: TypeAlias = str
    PrincipalType: TypeAlias = str
    DeploymentSku: TypeAlias = str
    VersionUpgradeOption: TypeAlias = str
    AccountKind: TypeAlias = str
    AccountSku: TypeAlias = str
    DocumentIntelligenceSku: TypeAlias = str
else:
    SearchSku = Literal[search_catalog.SEARCH_SKUS]
    SemanticRanker = Literal[search_catalog.SEMANTIC_RANKER_PLANS]
    HostingMode = Literal[search_catalog.HOSTING_MODES]
    PrincipalType = Literal[PRINCIPAL_TYPES]
    DeploymentSku = Literal[cognitive.DEPLOYMENT_SKUS]
    VersionUpgradeOption = Literal[cognitive.VERSION_UPGRADE_OPTIONS]
    AccountKind = Literal[cognitive.OPENAI_ACCOUNT_KINDS]
    AccountSku = Literal[cognitive.OPENAI_ACCOUNT_SKUS]
    DocumentIntelligenceSku = Literal[cognitive.DOCUMENT_INTELLIGENCE_SKUS]


def _no_bool(value: Any) -> Any:
    """YAML `true` is not 1 (pydantic's lax mode would take it). Digit strings stay numbers: Pulumi
    stores top-level config values as strings (pulumi.com/docs/iac/cli/commands/pulumi_config_set)."""
    if isinstance(value, bool):
        raise PydanticCustomError("not_a_number", "must be a number, not a boolean")
    return value


def _flag(value: Any) -> Any:
    """true/false, or their text (Pulumi's top-level storage); never 1, 0, 'yes' or 'on'."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise PydanticCustomError("not_a_flag", "must be true or false")
    return value


Count = Annotated[int, BeforeValidator(_no_bool)]
Number = Annotated[float, BeforeValidator(_no_bool)]
Flag = Annotated[bool, BeforeValidator(_flag)]

# Echoed values are bounded: a pasted blob or an expanded alias must not become a 50 KB line.
MAX_SHOWN_VALUE = 80
_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxdict, _SHOWN.maxlist, _SHOWN.maxstring, _SHOWN.maxother = 3, 4, 4, 60, 60


def shown(value: Any) -> str:
    """A value as echoed in an error line: its repr, bounded."""
    text = _SHOWN.repr(value)
    return text if len(text) <= MAX_SHOWN_VALUE else text[: MAX_SHOWN_VALUE - 3] + "..."


class SettingsError(ValueError):
    """An invalid setting: which key, which value, what is allowed. Printed as one line."""

    def __init__(self, key: str, value: Any, problem: str, *, source: str | None = None) -> None:
        self.key = key
        self.value = value
        self.problem = problem
        self.source = source
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if not self.key:
            return f"{where}{self.problem}"
        return f"{where}{self.key} = {shown(self.value)}: {self.problem}"

    def with_source(self, source: str) -> SettingsError:
        return SettingsError(self.key, self.value, self.problem, source=source)


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
    )


class SearchSettings(_Model):
    sku: SearchSku = "basic"
    replicas: Count = 1
    partitions: Count = 1
    semantic_ranker: SemanticRanker = "free"
    hosting_mode: HostingMode = "default"
    public_network_access: Literal["enabled", "disabled"] = "enabled"

    @field_validator("public_network_access", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class ModelDeployment(_Model):
    name: str
    model: str
    version: str
    format: Literal["OpenAI"] = "OpenAI"
    sku: DeploymentSku = "GlobalStandard"
    capacity: Count = 1
    version_upgrade_option: VersionUpgradeOption = "OnceNewDefaultVersionAvailable"
    rai_policy: str | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        """YAML reads an unquoted 2024-07-18 as a date; the API wants the text."""
        return value.isoformat() if isinstance(value, dt.date) else value

    @property
    def quota_name(self) -> str:
        return cognitive.quota_usage_name(self.sku, self.model)


class OpenAISettings(_Model):
    kind: AccountKind = "OpenAI"
    sku: AccountSku = "S0"
    public_network_access: Literal["Enabled", "Disabled"] = "Enabled"
    deployments: tuple[ModelDeployment, ...] = ()


class FoundryProjectSettings(_Model):
    """A Foundry project on the AIServices account; the name derives from the environment if unset."""

    name: str | None = None
    display_name: str | None = None
    description: str | None = None


class FoundrySettings(_Model):
    # None: no project (always so on a `kind: OpenAI` account). Profiles dev and prod declare one.
    project: FoundryProjectSettings | None = None


class MlSettings(_Model):
    """The optional Azure Machine Learning workspace and the storage, vault and insights it needs."""

    enabled: bool = False
    # Purge protection cannot be turned off once on and holds the vault name for the retention period
    # (learn.microsoft.com/azure/key-vault/general/soft-delete-overview); the prod profile turns it on.
    purge_protection: bool = False
    soft_delete_retention_days: int = 7


class DocumentIntelligenceSettings(_Model):
    sku: DocumentIntelligenceSku = "S0"
    public_network_access: Literal["Enabled", "Disabled"] = "Enabled"


class RegistrySettings(_Model):
    sku: Literal["Basic", "Standard", "Premium"] = "Basic"
    # Explicit zone redundancy is a Premium feature (infra.catalog.registry); the prod example sets it.
    zone_redundancy: Flag = False


class NetworkSubnets(_Model):
    """The two subnets ragstack creates in its own virtual network (IPv4 CIDRs)."""

    app_infrastructure: str = "10.60.0.0/23"
    private_endpoints: str = "10.60.2.0/24"


class ExistingNetwork(_Model):
    """A virtual network someone else owns: ragstack creates nothing in it but endpoints and the
    environment, and never deletes it."""

    vnet_id: str
    app_infrastructure_subnet_id: str
    private_endpoints_subnet_id: str


class NetworkSettings(_Model):
    """Private networking: services reachable only through private endpoints in a virtual network,
    the app in an internal Container Apps environment. Off unless enabled."""

    enabled: Flag = False
    address_space: str = "10.60.0.0/16"
    subnets: NetworkSubnets = NetworkSubnets()
    existing: ExistingNetwork | None = None


class AppSettings(_Model):
    # None: CI delivers the image (`opsctl app set-image`) and Pulumi only bootstraps with
    # BOOTSTRAP_IMAGE; set it to pin the image in the stack file instead.
    image: str | None = None
    cpu: Number = 0.5
    memory: str = "1Gi"
    min_replicas: Count = 0
    max_replicas: Count = 3
    target_port: Count = Field(default=80, ge=1, le=65535)
    external: Flag = True
    env: dict[str, str] = Field(default_factory=dict)

    @property
    def effective_image(self) -> str:
        return self.image or BOOTSTRAP_IMAGE

    @property
    def image_owned_by_ci(self) -> bool:
        return self.image is None


class RagSettings(_Model):
    """The data plane as code (`opsctl index`, `ingest`, `query`, `smoke`): search index definitions
    kept in the repo, and the deployments ingestion and answers use. The Pulumi program does not read
    it: index schemas are data-plane objects that no IaC tool manages."""

    indexes: tuple[str, ...] = ()
    index: str | None = None
    embedding_deployment: str | None = None
    chat_deployment: str | None = None


class AccessGrant(_Model):
    principal_id: str
    principal_type: PrincipalType
    preset: str
    description: str | None = None


class NameOverrides(_Model):
    resource_group: str | None = None
    search: str | None = None
    openai: str | None = None
    document_intelligence: str | None = None
    registry: str | None = None
    log_analytics: str | None = None
    container_apps_environment: str | None = None
    container_app: str | None = None
    identity: str | None = None
    ml_workspace: str | None = None
    storage: str | None = None
    key_vault: str | None = None
    app_insights: str | None = None


class StackSettings(_Model):
    """Everything one environment is made of. Defaults come from the cost profile."""

    stack: str
    environment: str
    location: str
    profile: Profile = "dev"
    subscription_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    search: SearchSettings = SearchSettings()
    openai: OpenAISettings = OpenAISettings()
    foundry: FoundrySettings = FoundrySettings()
    ml: MlSettings = MlSettings()
    document_intelligence: DocumentIntelligenceSettings = DocumentIntelligenceSettings()
    registry: RegistrySettings = RegistrySettings()
    network: NetworkSettings = NetworkSettings()
    app: AppSettings = AppSettings()
    rag: RagSettings = RagSettings()
    access: tuple[AccessGrant, ...] = ()
    names: NameOverrides = NameOverrides()
    log_retention_days: Count = 30
    protect: Flag = False
    ephemeral: Flag = False
    expires_at: dt.datetime | None = None

    @property
    def is_production(self) -> bool:
        return self.profile == "prod"

    @property
    def private_network(self) -> bool:
        return self.network.enabled

    @property
    def has_foundry_project(self) -> bool:
        return self.foundry.project is not None

    def resolved_subscription_id(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The stack's subscription, else the one ARM_/AZURE_SUBSCRIPTION_ID names."""
        if self.subscription_id:
            return self.subscription_id
        env = os.environ if environ is None else environ
        return next((env[v] for v in SUBSCRIPTION_ENV_VARS if env.get(v)), None)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, stack: str) -> StackSettings:
        """Build and validate settings from a stack's `config:` mapping (`ragstack:*` keys)."""
        from infra import rules
        from infra.profiles import apply_profile

        values = _namespace_values(config)
        values.setdefault("stack", stack)
        values.setdefault("environment", stack)
        if "location" not in values and PROVIDER_LOCATION_KEY in config:
            values["location"] = config[PROVIDER_LOCATION_KEY]
        try:
            explicit = cls.model_validate(values)
        except ValidationError as exc:
            raise _first_problem(exc) from None
        settings = apply_profile(explicit)
        rules.check(settings)
        return settings

    @classmethod
    def config_keys(cls) -> tuple[str, ...]:
        """The `ragstack:` keys a stack file may set."""
        hidden = {"stack"}
        return tuple(
            f"{NAMESPACE}:{field.alias or name}"
            for name, field in cls.model_fields.items()
            if name not in hidden
        )


def _namespace_values(config: Mapping[str, Any]) -> dict[str, Any]:
    allowed = {key.split(":", 1)[1] for key in StackSettings.config_keys()}
    values: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if namespace != NAMESPACE:
            continue
        if name not in allowed:
            raise SettingsError(key, value, f"unknown key; allowed: {', '.join(sorted(allowed))}")
        values[name] = value
    return values


def _first_problem(exc: ValidationError) -> SettingsError:
    error = exc.errors()[0]
    location = [part for part in error["loc"] if not str(part).startswith("function-")]
    key = _config_key(location)
    value = error.get("input")
    problem = error["msg"]
    if error["type"] == "extra_forbidden":
        problem = f"unknown key; allowed: {', '.join(_allowed_keys(location[:-1]))}"
    elif error["type"] == "missing":
        problem, value = "is required", None
    elif error["type"] == "literal_error":
        problem = problem.replace("Input should be", "must be one of")
    return SettingsError(key, value, problem)


def _allowed_keys(location: list[Any]) -> list[str]:
    """The keys the model at `location` accepts, for an 'unknown key' message."""
    model = _walk(location)[1]
    if not isinstance(model, type) or not issubclass(model, BaseModel):
        return []
    return sorted(field.alias or name for name, field in model.model_fields.items())


def _config_key(location: list[Any]) -> str:
    return _walk(location)[0]


def _walk(location: list[Any]) -> tuple[str, Any]:
    """The `ragstack:` key of an error location and the type found there. Settings fields are named
    by their alias; user keys (env names, tag names, unknown keys) exactly as written."""
    key, node = f"{NAMESPACE}:", _unwrap(StackSettings)
    for part in location:
        if part == "[key]":
            continue
        origin = get_origin(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            name, node = _field(node, str(part))
            key += name if key.endswith(":") else f".{name}"
        elif origin in (tuple, list) and isinstance(part, int):
            key, node = key + f"[{part}]", _unwrap(get_args(node)[0])
        else:
            key, node = key + f".{part}", _unwrap(get_args(node)[-1]) if origin is dict else None
    return key, node


def _field(model: type[BaseModel], part: str) -> tuple[str, Any]:
    for name, field in model.model_fields.items():
        if part in (name, field.alias):
            return field.alias or name, _unwrap(field.annotation)
    return part, None


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X; `Annotated[X, ...]` -> X."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    return annotation
