"""Azure's cross-field rules over typed settings, checked before any resource is declared.

Each check yields `SettingsError(key, value, problem)` naming the `ragstack:` key, so a stack author
sees one actionable line. The limits themselves live in `infra.catalog`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from infra import naming, network_rules, rag
from infra.catalog import container_apps
from infra.catalog import search as search_catalog
from infra.catalog.regions import ML_REGIONS, REGIONS
from infra.catalog.roles import INTERNAL_PRESETS, ROLE_PRESETS
from infra.settings import SettingsError, StackSettings
from infra.tags import RESERVED_TAGS

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DEPLOYMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TAG_NAME_FORBIDDEN = set("<>%&\\?/")
STACK_ENV_VARS = frozenset(
    {
        "AZURE_CLIENT_ID",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_SEARCH_ENDPOINT",
        "AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENTS",
        "AZURE_AI_PROJECT_ENDPOINT",
        "RAGSTACK_ENVIRONMENT",
    }
)
LOG_RETENTION_DAYS = (30, 730)
# Docker reference grammar (distribution/reference): [registry[:port]/]path[:tag][@digest]; the
# first component is a registry only when it has a '.', a port, or is localhost.
IMAGE_REFERENCE = re.compile(
    r"(?:(?P<registry>[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+(?::[0-9]+)?|localhost(?::[0-9]+)?"
    r"|[a-zA-Z0-9-]+:[0-9]+)/)?"
    r"(?P<path>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?"
)
MAX_IMAGE_REFERENCE = 255
# Key Vault soft-delete retention (learn.microsoft.com/azure/key-vault/general/soft-delete-overview).
VAULT_RETENTION_DAYS = (7, 90)
PROJECT_KIND = "AIServices"
# Name keys that are not under `ragstack:names`.
NAME_KEYS = {"foundry_project": "ragstack:foundry.project.name"}


def check(settings: StackSettings) -> None:
    """Raise the first rule the settings break."""
    for problem in problems(settings):
        raise problem


def problems(settings: StackSettings) -> Iterator[SettingsError]:
    """Every rule the settings break, in config-file order."""
    yield from _environment(settings)
    yield from _tags(settings)
    yield from _search(settings)
    yield from _deployments(settings)
    yield from _foundry(settings)
    yield from _ml(settings)
    yield from network_rules.registry_problems(settings)
    yield from network_rules.problems(settings)
    yield from _app(settings)
    yield from _rag(settings)
    yield from _access(settings)
    yield from _names(settings)
    if not LOG_RETENTION_DAYS[0] <= settings.log_retention_days <= LOG_RETENTION_DAYS[1]:
        yield SettingsError(
            "ragstack:logRetentionDays",
            settings.log_retention_days,
            f"must be {LOG_RETENTION_DAYS[0]}-{LOG_RETENTION_DAYS[1]} days (PerGB2018 workspace)",
        )


def search_capacity_problem(
    sku: str, replicas: int, partitions: int, hosting_mode: str = "default"
) -> tuple[str, int, str] | None:
    """The first broken search capacity rule as (field, value, problem); shared with opsctl scale."""
    checks = (
        ("replicas", replicas, search_catalog.replica_problem(sku, replicas)),
        ("partitions", partitions, search_catalog.partition_problem(sku, partitions, hosting_mode)),
        ("replicas", replicas, search_catalog.search_units_problem(sku, replicas, partitions)),
    )
    return next(((f, v, p) for f, v, p in checks if p), None)


def image_problem(image: str) -> str | None:
    """Why `image` is not a pinned image reference (a tag or digest), or None; `app set-image` and
    `ragstack:app.image` share it."""
    match = IMAGE_REFERENCE.fullmatch(image)
    if not match or len(image) > MAX_IMAGE_REFERENCE or not (match["tag"] or match["digest"]):
        return (
            "not an image reference with a tag or digest "
            "(e.g. crdevabc.azurecr.io/rag-app:1.4.2 or ...@sha256:<64 hex>)"
        )
    return None


def _environment(s: StackSettings) -> Iterator[SettingsError]:
    if problem := naming.ENVIRONMENT_RULE.problem(s.environment):
        yield SettingsError("ragstack:environment", s.environment, problem)
    if s.location not in REGIONS:
        yield SettingsError(
            "ragstack:location", s.location, "not an Azure region name (e.g. eastus2, swedencentral)"
        )
    if s.subscription_id and not GUID.fullmatch(s.subscription_id):
        yield SettingsError("ragstack:subscriptionId", s.subscription_id, "must be a GUID")


def _tags(s: StackSettings) -> Iterator[SettingsError]:
    for name, value in s.tags.items():
        key = f"ragstack:tags.{name}"
        if name.lower() in RESERVED_TAGS:
            yield SettingsError(key, value, "is set by ragstack itself; choose another tag name")
        elif not 1 <= len(name) <= 512 or TAG_NAME_FORBIDDEN & set(name):
            yield SettingsError(key, value, "tag names are 1-512 characters without < > % & \\ ? /")
        elif len(value) > 256:
            yield SettingsError(key, value, "tag values are at most 256 characters")


def _search(s: StackSettings) -> Iterator[SettingsError]:
    cfg = s.search
    if problem := search_catalog.hosting_mode_problem(cfg.sku, cfg.hosting_mode):
        yield SettingsError("ragstack:search.hostingMode", cfg.hosting_mode, problem)
    elif broken := search_capacity_problem(cfg.sku, cfg.replicas, cfg.partitions, cfg.hosting_mode):
        field, value, problem = broken
        yield SettingsError(f"ragstack:search.{field}", value, problem)
    if problem := search_catalog.semantic_ranker_problem(cfg.sku, cfg.semantic_ranker):
        yield SettingsError("ragstack:search.semanticRanker", cfg.semantic_ranker, problem)


def _deployments(s: StackSettings) -> Iterator[SettingsError]:
    seen: set[str] = set()
    for index, deployment in enumerate(s.openai.deployments):
        key = f"ragstack:openai.deployments[{index}]"
        if not DEPLOYMENT_NAME.fullmatch(deployment.name):
            yield SettingsError(
                f"{key}.name",
                deployment.name,
                "must be 2-64 letters, digits, '.', '_' or '-', starting alphanumeric",
            )
        if deployment.name.lower() in seen:
            yield SettingsError(f"{key}.name", deployment.name, "duplicate deployment name")
        seen.add(deployment.name.lower())
        if deployment.capacity <= 0:
            yield SettingsError(f"{key}.capacity", deployment.capacity, "must be greater than 0")
        for field in ("model", "version"):
            if not getattr(deployment, field):
                yield SettingsError(f"{key}.{field}", getattr(deployment, field), "is required")


def _rag(s: StackSettings) -> Iterator[SettingsError]:
    for index, path in enumerate(s.rag.indexes):
        if problem := rag.index_path_problem(path):
            yield SettingsError(f"ragstack:rag.indexes[{index}]", path, problem)
    names = [d.name for d in s.openai.deployments]
    for key, name, want_embedding in (
        ("embeddingDeployment", s.rag.embedding_deployment, True),
        ("chatDeployment", s.rag.chat_deployment, False),
    ):
        if name is None:
            continue
        chosen = next((d for d in s.openai.deployments if d.name == name), None)
        if chosen is None:
            allowed = ", ".join(names) or "none declared in ragstack:openai.deployments"
            yield SettingsError(f"ragstack:rag.{key}", name, f"names no deployment; deployments: {allowed}")
        elif rag.is_embedding(chosen) != want_embedding:
            kind = "an embedding model" if want_embedding else "a chat model (not an embedding model)"
            yield SettingsError(
                f"ragstack:rag.{key}", name, f"must be a deployment of {kind}; it deploys {chosen.model}"
            )


def _foundry(s: StackSettings) -> Iterator[SettingsError]:
    """Projects live only on AIServices accounts with project management on (the azurerm
    cognitive_account_project docs; Microsoft.CognitiveServices/accounts/projects)."""
    project = s.foundry.project
    if project is not None and s.openai.kind != PROJECT_KIND:
        yield SettingsError(
            "ragstack:foundry.project",
            project.name or naming.environment_names(s).foundry_project,
            f"a Foundry project needs ragstack:openai.kind '{PROJECT_KIND}' (kind is '{s.openai.kind}'); "
            "remove the project, or change the kind (this replaces the account)",
        )


def _ml(s: StackSettings) -> Iterator[SettingsError]:
    ml = s.ml
    if ml.enabled and s.location not in ML_REGIONS:
        yield SettingsError(
            "ragstack:ml.enabled",
            ml.enabled,
            f"Azure Machine Learning is not offered in '{s.location}' (ragstack:location); "
            f"regions: {', '.join(sorted(ML_REGIONS))}",
        )
    if ml.purge_protection and s.ephemeral:
        yield SettingsError(
            "ragstack:ml.purgeProtection",
            ml.purge_protection,
            "not allowed on an ephemeral stack: a purge-protected key vault cannot be purged, so "
            f"teardown could not free its name for {ml.soft_delete_retention_days} days",
        )
    low, high = VAULT_RETENTION_DAYS
    if not low <= ml.soft_delete_retention_days <= high:
        yield SettingsError(
            "ragstack:ml.softDeleteRetentionDays",
            ml.soft_delete_retention_days,
            f"must be {low}-{high} days (Key Vault soft delete)",
        )


def _app(s: StackSettings) -> Iterator[SettingsError]:
    app = s.app
    if problem := container_apps.cpu_memory_problem(app.cpu, app.memory):
        key = "memory" if "needs memory" in problem else "cpu"
        yield SettingsError(f"ragstack:app.{key}", getattr(app, key), problem)
    if problem := container_apps.replica_bounds_problem(app.min_replicas, app.max_replicas):
        key = "maxReplicas" if problem.startswith("maxReplicas") else "minReplicas"
        yield SettingsError(f"ragstack:app.{key}", getattr(app, _snake(key)), problem)
    if app.image is not None and (problem := image_problem(app.image)):
        yield SettingsError("ragstack:app.image", app.image, problem)
    for name in app.env:
        if not ENV_VAR_NAME.fullmatch(name):
            yield SettingsError(
                f"ragstack:app.env.{name}", app.env[name], "names are letters, digits and '_'"
            )
        elif name.upper() in STACK_ENV_VARS:
            yield SettingsError(f"ragstack:app.env.{name}", app.env[name], "is set by the stack; remove it")


def _access(s: StackSettings) -> Iterator[SettingsError]:
    grantable = sorted(set(ROLE_PRESETS) - INTERNAL_PRESETS)
    seen: set[tuple[str, str]] = set()
    for index, grant in enumerate(s.access):
        key = f"ragstack:access[{index}]"
        if not GUID.fullmatch(grant.principal_id):
            yield SettingsError(f"{key}.principalId", grant.principal_id, "must be an Entra object id (GUID)")
        if grant.preset not in grantable:
            yield SettingsError(f"{key}.preset", grant.preset, f"allowed presets: {', '.join(grantable)}")
        pair = (grant.principal_id.lower(), grant.preset)
        if pair in seen:
            yield SettingsError(f"{key}.preset", grant.preset, "granted twice to this principal")
        seen.add(pair)


def _names(s: StackSettings) -> Iterator[SettingsError]:
    names = naming.environment_names(s)
    overrides = s.names.model_dump()
    for kind, name in names.as_dict().items():
        problem = naming.name_problem(kind, name)
        if problem is None:
            continue
        if kind in NAME_KEYS and s.foundry.project is not None and s.foundry.project.name:
            yield SettingsError(NAME_KEYS[kind], name, problem)
        elif overrides.get(kind):
            yield SettingsError(f"ragstack:names.{_camel(kind)}", name, problem)
        else:
            yield SettingsError(
                "ragstack:environment", s.environment, f"derived {kind} name '{name}' {problem}"
            )


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)
