"""Policy rules over the planned desired state: one rule set for `opsctl plan` and the CrossGuard pack.

Pure Python on purpose (no pulumi, pulumi_policy or azure imports): `opsctl plan` evaluates the
`PlannedResource`s of a mock run, and `policy/` adapts CrossGuard arguments into the same shape and
calls the same functions, so a rule can never pass in one place and fail in the other.

Each rule has an id, a severity and either a per-resource check (yields violation messages) or a
stack check over all resources (yields (resource, message) pairs). Inputs are camelCase as Pulumi
serializes them. A value Pulumi cannot know yet (preview of a new resource) is never a violation
by itself: rules that need such a value skip it (see `is_unknown`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from infra.catalog.network import REGISTRY_PRIVATE_LINK_SKU
from infra.catalog.roles import ASSIGNABLE_PRINCIPAL_TYPES
from infra.catalog.search import sla_replicas
from infra.catalog.storage import MINIMUM_TLS
from infra.planned import PlannedResource, StackContext
from infra.profiles import PROFILE_DEFAULTS
from infra.tags import MANAGED_BY, REQUIRED_TAGS

Severity = Literal["high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
SEARCH = "azure-native:search:Service"
COGNITIVE_ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
REGISTRY = "azure-native:containerregistry:Registry"
CONTAINER_APP = "azure-native:app:ContainerApp"
MANAGED_ENVIRONMENT = "azure-native:app:ManagedEnvironment"
WORKSPACE = "azure-native:operationalinsights:Workspace"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
PROJECT = "azure-native:cognitiveservices:Project"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
STORAGE = "azure-native:storage:StorageAccount"
KEY_VAULT = "azure-native:keyvault:Vault"
APP_INSIGHTS = "azure-native:applicationinsights:Component"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"

# Deleting these loses data or globally unique names; production must protect them.
STATEFUL_TYPES = frozenset(
    {
        RESOURCE_GROUP,
        SEARCH,
        COGNITIVE_ACCOUNT,
        REGISTRY,
        WORKSPACE,
        PROJECT,
        ML_WORKSPACE,
        STORAGE,
        KEY_VAULT,
    }
)
# What replacing (delete, then create) a stateful resource loses; a plan that would do it is a high
# finding. Soft delete holds a Cognitive Services name for 48 h (learn.microsoft.com/azure/ai-services/
# manage-resources); a new search service starts without indexes (no in-place tier change before
# api-version 2025-05-01, Azure-Samples/azure-search-openai-demo#586).
REPLACEMENT_LOSS: dict[str, str] = {
    RESOURCE_GROUP: "every resource in the group is deleted with it",
    SEARCH: "its indexes and documents are lost; the new service starts empty and must be re-indexed",
    COGNITIVE_ACCOUNT: "its endpoint and keys change, deployments are re-created, and soft delete holds "
    "the old name for 48 h",
    REGISTRY: "its images are lost; push them again",
    WORKSPACE: "its collected logs are lost",
    PROJECT: "its agents, files, threads and connections are lost and its endpoint changes",
    ML_WORKSPACE: "its experiments, models and registered data are lost; soft delete holds the name",
    STORAGE: "its blobs are lost and the global name may be taken by someone else",
    KEY_VAULT: "its secrets, keys and certificates are lost; soft delete holds the global name "
    "(7-90 days, purge protection forbids purging it)",
}
REPLACE_STATEFUL_RULE = "replace-stateful"

# Types whose ARM resource takes tags and shows up in cost analysis. Role assignments take none;
# model deployments are children billed through their account.
TAGGABLE_TYPES = frozenset(
    {
        RESOURCE_GROUP,
        SEARCH,
        COGNITIVE_ACCOUNT,
        REGISTRY,
        CONTAINER_APP,
        MANAGED_ENVIRONMENT,
        WORKSPACE,
        IDENTITY,
        PROJECT,
        ML_WORKSPACE,
        STORAGE,
        KEY_VAULT,
        APP_INSIGHTS,
    }
)
# Where each type keeps its public network switch; Azure's default when unset is Enabled.
PUBLIC_NETWORK_PATHS: dict[str, tuple[str, ...]] = {
    SEARCH: ("publicNetworkAccess",),
    COGNITIVE_ACCOUNT: ("properties", "publicNetworkAccess"),
    REGISTRY: ("publicNetworkAccess",),
    STORAGE: ("publicNetworkAccess",),
    KEY_VAULT: ("properties", "publicNetworkAccess"),
    ML_WORKSPACE: ("publicNetworkAccess",),
}
PROFILES = tuple(PROFILE_DEFAULTS)

# Pulumi's wire sentinels for values not known during preview (pulumi.runtime.rpc.UNKNOWN and the
# typed ones pulumi_policy.proxy uses); kept as data so this module needs neither package.
UNKNOWN_SENTINELS = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)

ResourceCheck = Callable[[PlannedResource, StackContext], Iterable[str]]
StackCheck = Callable[[Sequence[PlannedResource], StackContext], Iterable[tuple[PlannedResource, str]]]


@dataclass(frozen=True)
class Rule:
    """One policy: what it protects against, how bad a violation is, and how to find one."""

    id: str
    severity: Severity
    description: str
    types: frozenset[str] = frozenset()
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None

    def applies_to(self, resource_type: str) -> bool:
        return not self.types or resource_type in self.types


@dataclass(frozen=True)
class Finding:
    """One violation: which rule, how severe, on which resource (`type::name`), and why."""

    rule_id: str
    severity: Severity
    resource: str
    message: str
    urn: str = ""


def resource_label(resource: PlannedResource) -> str:
    return f"{resource.type}::{resource.name}"


def is_unknown(value: Any) -> bool:
    """True for a value Pulumi cannot know before the update (preview of new resources)."""
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def dig(inputs: Mapping[str, Any], *path: str) -> Any:
    """The value at `path`, None when absent; an unknown parent makes the result unknown."""
    value: Any = inputs
    for key in path:
        if is_unknown(value):
            return value
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


# --- per-resource checks -------------------------------------------------------------------------


def check_search_local_auth(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """API keys bypass Entra ID and RBAC; keys leak. Azure also rejects authOptions with it (A-7)."""
    disabled = resource.inputs.get("disableLocalAuth")
    if disabled is not True and not is_unknown(disabled):
        yield f"disableLocalAuth is {disabled!r}; set it to true so only Entra ID (RBAC) tokens work"
    elif disabled is True and resource.inputs.get("authOptions") is not None:
        yield "authOptions must be absent when disableLocalAuth is true (Azure rejects the request)"


def check_cognitive_local_auth(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Keyless accounts need a custom subdomain, else token auth fails (ops-pitfalls D-1)."""
    disabled = dig(resource.inputs, "properties", "disableLocalAuth")
    if disabled is not True and not is_unknown(disabled):
        yield f"properties.disableLocalAuth is {disabled!r}; set it to true so only Entra ID tokens work"
    if not dig(resource.inputs, "properties", "customSubDomainName"):
        yield "properties.customSubDomainName is not set; Entra ID token auth needs a custom subdomain"


def check_registry_admin_user(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """The admin user is one shared password with push rights; pull with an identity instead."""
    if resource.inputs.get("adminUserEnabled") is True:
        yield "adminUserEnabled is true; pull with a managed identity holding AcrPull instead"


SECRET_NAME_TOKENS = frozenset(
    {"KEY", "KEYS", "APIKEY", "ACCESSKEY", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PWD", "TOKEN"}
)
SECRET_NAME_PHRASES = ("CONNECTION_STRING", "CONNECTIONSTRING", "CONN_STR", "SAS_TOKEN")
NOT_SECRET_NAMES = frozenset({"AZURE_TOKEN_CREDENTIALS"})
SECRET_VALUE_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=",
        r"[?&]sig=[^&\s]{16,}",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.",
        r"^(sk|ghp|gho|github_pat|xox[bap])[-_][A-Za-z0-9_-]{16,}$",
    )
)
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
OPAQUE_TOKEN_RE = re.compile(r"^[A-Za-z0-9+/=_-]{32,}$")


def _name_tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [token for token in re.split(r"[^A-Za-z0-9]+", spaced.upper()) if token]


def secret_like_name(name: str) -> bool:
    """Whether an env var name says it holds a credential (KEY_VAULT_* names do not)."""
    if name.upper() in NOT_SECRET_NAMES:
        return False
    tokens = _name_tokens(name)
    joined = "_".join(tokens)
    if any(phrase in joined for phrase in SECRET_NAME_PHRASES):
        return True
    return any(
        token in SECRET_NAME_TOKENS and not (token == "KEY" and tokens[i + 1 : i + 2] == ["VAULT"])
        for i, token in enumerate(tokens)
    )


def secret_like_value(value: str) -> bool:
    """Whether a literal looks like a key, token or connection string (GUIDs, URLs, ids do not)."""
    text = value.strip()
    if any(pattern.search(text) for pattern in SECRET_VALUE_PATTERNS):
        return True
    if GUID_RE.match(text) or not OPAQUE_TOKEN_RE.match(text):
        return False
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def env_var_problem(entry: Mapping[str, Any]) -> str | None:
    """Why one `env[]` entry carries a secret in plain text, or None (secretRef entries never do)."""
    name = str(entry.get("name") or "")
    value = entry.get("value")
    if value is None:
        return None
    if secret_like_name(name):
        return f"env '{name}' sets a literal value; use secretRef to a Container App secret or Key Vault"
    if isinstance(value, str) and not is_unknown(value) and secret_like_value(value):
        return f"env '{name}' has a value that looks like a key or connection string; use secretRef"
    return None


def _env_entries(inputs: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for group in ("containers", "initContainers"):
        containers = dig(inputs, "template", group)
        if not isinstance(containers, Sequence) or isinstance(containers, str):
            continue
        for container in containers:
            env = container.get("env") if isinstance(container, Mapping) else None
            if isinstance(env, Sequence) and not isinstance(env, str):
                yield from (entry for entry in env if isinstance(entry, Mapping))


def check_container_app_env(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Env values are readable by anyone with read access to the app and land in Pulumi state."""
    for entry in _env_entries(resource.inputs):
        if problem := env_var_problem(entry):
            yield problem


RESOURCE_SCOPE_RE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/[^/]+/[^/]+(/.*)?$", re.IGNORECASE
)


def check_role_assignment_scope(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Least privilege: a grant on a subscription or group reaches every resource inside it."""
    scope = resource.inputs.get("scope")
    if is_unknown(scope):
        return
    if not isinstance(scope, str) or not RESOURCE_SCOPE_RE.match(scope.rstrip("/")):
        yield f"scope {scope!r} is not a resource id; assign at the resource the principal uses"


def check_role_assignment_principal_type(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Without principalType ARM looks the principal up in Graph and fails on fresh identities (R-4)."""
    principal_type = resource.inputs.get("principalType")
    if principal_type not in ASSIGNABLE_PRINCIPAL_TYPES and not is_unknown(principal_type):
        yield f"principalType is {principal_type!r}; set it (ServicePrincipal for managed identities)"


def check_protect_stateful(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """A production delete of these loses indexes, keys or names that take days to get back."""
    if ctx.production and not resource.protect:
        yield "production stateful resource is not protected; set protect=True (ragstack:protect)"


def _int(value: Any, default: int) -> int | None:
    if value is None:
        return default
    if is_unknown(value) or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _search_sku(resource: PlannedResource) -> str | None:
    sku = dig(resource.inputs, "sku", "name")
    return sku if isinstance(sku, str) and not is_unknown(sku) else None


def check_search_read_sla(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Fewer than 2 replicas has no query SLA; fine for dev, worth knowing (free has no SLA at all)."""
    replicas = _int(resource.inputs.get("replicaCount"), 1)
    needed = sla_replicas(read_write=False)
    if ctx.production or _search_sku(resource) == "free" or replicas is None:
        return
    if replicas < needed:
        yield f"replicaCount {replicas} < {needed}: no 99.9% query SLA"


def check_search_production_sla(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Production queries and indexes, so it needs the read/write SLA: 3 replicas on a billable tier."""
    if not ctx.production:
        return
    if _search_sku(resource) == "free":
        yield "sku 'free' has no SLA; production needs a billable tier"
        return
    replicas = _int(resource.inputs.get("replicaCount"), 1)
    needed = sla_replicas(read_write=True)
    if replicas is not None and replicas < needed:
        yield f"replicaCount {replicas} < {needed}: no 99.9% read/write SLA in production"


def check_required_tags(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Cost reports, cleanup jobs and the pack's production switch all read these tags."""
    tags = resource.inputs.get("tags")
    if is_unknown(tags):
        return
    tags = tags if isinstance(tags, Mapping) else {}
    missing = [name for name in REQUIRED_TAGS if not tags.get(name)]
    if missing:
        yield f"missing tags: {', '.join(missing)}"
    if tags.get("managed-by") and tags["managed-by"] != MANAGED_BY:
        yield f"tag managed-by is {tags['managed-by']!r}, expected {MANAGED_BY!r}"
    if tags.get("profile") and tags["profile"] not in PROFILES:
        yield f"tag profile is {tags['profile']!r}, expected one of {', '.join(PROFILES)}"


def check_public_network(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Production data planes should sit behind private endpoints; Azure's default is public."""
    path = PUBLIC_NETWORK_PATHS.get(resource.type)
    if not ctx.production or path is None:
        return
    value = dig(resource.inputs, *path)
    if is_unknown(value):
        return
    if value is None:
        yield f"{'.'.join(path)} is not set (Azure default: Enabled) in production"
    elif str(value).lower() != "disabled":
        yield f"{'.'.join(path)} is {value!r} in production; disable it and use private endpoints"


def check_storage_keyless(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Shared keys bypass Entra ID and RBAC; Azure's default is to allow them (unset = allowed)."""
    shared = resource.inputs.get("allowSharedKeyAccess")
    if shared is not False and not is_unknown(shared):
        yield f"allowSharedKeyAccess is {shared!r}; set it to false so only Entra ID tokens work"
    public = resource.inputs.get("allowBlobPublicAccess")
    if public is True:
        yield "allowBlobPublicAccess is true; anonymous reads of containers must stay off"


# Src: learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version.
def check_storage_tls(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    tls = resource.inputs.get("minimumTlsVersion")
    if tls != MINIMUM_TLS and not is_unknown(tls):
        yield f"minimumTlsVersion is {tls!r}; require {MINIMUM_TLS}"


def check_vault_rbac(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Access policies are a second, unaudited permission model; RBAC keeps one (Key Vault RBAC guide)."""
    rbac = dig(resource.inputs, "properties", "enableRbacAuthorization")
    if rbac is not True and not is_unknown(rbac):
        yield f"properties.enableRbacAuthorization is {rbac!r}; use Azure RBAC, not access policies"


def check_vault_purge_protection(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """Production secrets must survive a delete: soft delete on, and purge protection so nobody can
    purge them during retention (learn.microsoft.com/azure/key-vault/general/soft-delete-overview)."""
    if not ctx.production:
        return
    soft = dig(resource.inputs, "properties", "enableSoftDelete")
    if soft is False:
        yield "properties.enableSoftDelete is False in production; deleted secrets could not be recovered"
    purge = dig(resource.inputs, "properties", "enablePurgeProtection")
    if purge is not True and not is_unknown(purge):
        yield "properties.enablePurgeProtection is not set in production (ragstack:ml.purgeProtection)"


def check_project_identity(resource: PlannedResource, ctx: StackContext) -> Iterator[str]:
    """A project reaches the account's models and its connections with its own identity (it gets
    Azure AI User on the account); without one those calls fail."""
    kind = dig(resource.inputs, "identity", "type")
    if is_unknown(kind):
        return
    if "SystemAssigned" not in str(kind or "") and "UserAssigned" not in str(kind or ""):
        yield f"identity.type is {kind!r}; give the project a managed identity (SystemAssigned)"


# --- stack checks --------------------------------------------------------------------------------


def _key(resource: PlannedResource) -> str:
    return resource.urn or resource_label(resource)


def _account_key(deployment: PlannedResource, accounts: Sequence[PlannedResource]) -> str | None:
    """Which account a deployment writes to: its accountName, else its account dependency or parent."""
    name = deployment.inputs.get("accountName")
    if isinstance(name, str) and not is_unknown(name):
        named = (_key(a) for a in accounts if a.inputs.get("accountName") == name)
        return next(named, f"accountName:{name}")
    account_keys = {_key(a) for a in accounts}
    dependency = next((d for d in deployment.depends_on if d in account_keys), None)
    return dependency or deployment.parent


def _ancestors(key: str, edges: Mapping[str, Sequence[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(edges.get(key, ()))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(edges.get(current, ()))
    return seen


def check_deployments_serialized(
    resources: Sequence[PlannedResource], ctx: StackContext
) -> Iterator[tuple[PlannedResource, str]]:
    """One write per account at a time, else 409 RequestConflict (O-1): deployments must be ordered."""
    accounts = [r for r in resources if r.type == COGNITIVE_ACCOUNT]
    edges = {_key(r): r.depends_on for r in resources}
    groups: dict[str, list[PlannedResource]] = {}
    for deployment in (r for r in resources if r.type == DEPLOYMENT):
        account = _account_key(deployment, accounts)
        if account is not None:
            groups.setdefault(account, []).append(deployment)
    for account, deployments in groups.items():
        before = {_key(d): _ancestors(_key(d), edges) for d in deployments}
        for index, later in enumerate(deployments):
            for earlier in deployments[:index]:
                if _key(earlier) not in before[_key(later)] and _key(later) not in before[_key(earlier)]:
                    message = (
                        f"may run in parallel with deployment '{earlier.name}' on account {account!r}; "
                        "chain depends_on to the previous deployment of the account"
                    )
                    yield later, message


def check_production_private_network(
    resources: Sequence[PlannedResource], ctx: StackContext
) -> Iterator[tuple[PlannedResource, str]]:
    """Production data planes belong behind private endpoints; a prod stack with none is exposed."""
    if not ctx.production or any(r.type == PRIVATE_ENDPOINT for r in resources):
        return
    group = next((r for r in resources if r.type == RESOURCE_GROUP), None)
    if group is not None:
        yield (
            group,
            (
                "production stack has no private endpoints: search, the model account, Document "
                "Intelligence and the registry are reachable from the internet; set ragstack:network.enabled"
            ),
        )


def _endpoint_targets(endpoint: PlannedResource) -> Iterator[str]:
    for connection in endpoint.inputs.get("privateLinkServiceConnections") or []:
        target = connection.get("privateLinkServiceId") if isinstance(connection, Mapping) else None
        if isinstance(target, str) and not is_unknown(target):
            yield target.lower()


def check_registry_private_link_sku(
    resources: Sequence[PlannedResource], ctx: StackContext
) -> Iterator[tuple[PlannedResource, str]]:
    """A registry behind a private endpoint must be Premium, else Azure refuses the endpoint."""
    targets = {t for r in resources if r.type == PRIVATE_ENDPOINT for t in _endpoint_targets(r)}
    for registry in (r for r in resources if r.type == REGISTRY):
        registry_id = str(registry.outputs.get("id") or "").lower()
        name = str(registry.inputs.get("registryName") or "").lower()
        targeted = registry_id in targets or any(
            t.endswith(f"/microsoft.containerregistry/registries/{name}") for t in targets
        )
        sku = dig(registry.inputs, "sku", "name")
        if targeted and sku != REGISTRY_PRIVATE_LINK_SKU and not is_unknown(sku):
            yield registry, f"sku is {sku!r} behind a private endpoint; private endpoints need 'Premium'"


def check_private_endpoint_dns(
    resources: Sequence[PlannedResource], ctx: StackContext
) -> Iterator[tuple[PlannedResource, str]]:
    """Without a DNS zone group the service's name keeps resolving to its public address."""
    grouped = {
        str(r.inputs.get("privateEndpointName"))
        for r in resources
        if r.type == "azure-native:network:PrivateDnsZoneGroup"
    }
    for endpoint in (r for r in resources if r.type == PRIVATE_ENDPOINT):
        name = endpoint.inputs.get("privateEndpointName")
        if isinstance(name, str) and not is_unknown(name) and name not in grouped:
            yield (
                endpoint,
                (
                    "no private DNS zone group: clients would still resolve the service's public address; "
                    "add one with the service's privatelink.* zones"
                ),
            )


RULES: tuple[Rule, ...] = (
    Rule(
        "search-local-auth-disabled",
        "high",
        "AI Search accepts only Entra ID tokens (disableLocalAuth, no authOptions).",
        frozenset({SEARCH}),
        check=check_search_local_auth,
    ),
    Rule(
        "cognitive-local-auth-disabled",
        "high",
        "Cognitive Services accounts accept only Entra ID tokens and have a custom subdomain.",
        frozenset({COGNITIVE_ACCOUNT}),
        check=check_cognitive_local_auth,
    ),
    Rule(
        "registry-admin-user-disabled",
        "high",
        "Container registries have the shared admin user disabled.",
        frozenset({REGISTRY}),
        check=check_registry_admin_user,
    ),
    Rule(
        "container-app-no-plaintext-secrets",
        "high",
        "Container app env vars reference secrets (secretRef) instead of literal keys or connection strings.",
        frozenset({CONTAINER_APP}),
        check=check_container_app_env,
    ),
    Rule(
        "role-assignment-resource-scope",
        "high",
        "Role assignments are scoped to a resource, not a subscription or resource group.",
        frozenset({ROLE_ASSIGNMENT}),
        check=check_role_assignment_scope,
    ),
    Rule(
        "role-assignment-principal-type",
        "medium",
        "Role assignments set principalType so fresh identities do not hit PrincipalNotFound.",
        frozenset({ROLE_ASSIGNMENT}),
        check=check_role_assignment_principal_type,
    ),
    Rule(
        "deployments-serialized",
        "high",
        "Model deployments on one account are chained with depends_on (one write per account at a time).",
        frozenset({DEPLOYMENT}),
        stack_check=check_deployments_serialized,
    ),
    Rule(
        "production-protect-stateful",
        "high",
        "Production protects stateful resources (resource group, search, cognitive, registry, workspace).",
        STATEFUL_TYPES,
        check=check_protect_stateful,
    ),
    Rule(
        "search-read-sla",
        "low",
        "Non-production billable search with fewer than 2 replicas has no query SLA.",
        frozenset({SEARCH}),
        check=check_search_read_sla,
    ),
    Rule(
        "search-production-sla",
        "medium",
        "Production search has at least 3 replicas (99.9% read/write SLA).",
        frozenset({SEARCH}),
        check=check_search_production_sla,
    ),
    Rule(
        "required-tags",
        "medium",
        "Taggable resources carry project, environment, managed-by=ragstack and profile tags.",
        TAGGABLE_TYPES,
        check=check_required_tags,
    ),
    Rule(
        "production-public-network-disabled",
        "medium",
        "Production search, cognitive accounts and registries disable public network access.",
        frozenset(PUBLIC_NETWORK_PATHS),
        check=check_public_network,
    ),
    Rule(
        "storage-shared-key-disabled",
        "high",
        "Storage accounts accept only Entra ID (allowSharedKeyAccess false) and no anonymous blob access.",
        frozenset({STORAGE}),
        check=check_storage_keyless,
    ),
    Rule(
        "storage-minimum-tls",
        "medium",
        "Storage accounts require TLS 1.2.",
        frozenset({STORAGE}),
        check=check_storage_tls,
    ),
    Rule(
        "key-vault-rbac-authorization",
        "high",
        "Key vaults use Azure RBAC (enableRbacAuthorization), not access policies.",
        frozenset({KEY_VAULT}),
        check=check_vault_rbac,
    ),
    Rule(
        "key-vault-purge-protection",
        "medium",
        "Production key vaults keep soft delete on and enable purge protection.",
        frozenset({KEY_VAULT}),
        check=check_vault_purge_protection,
    ),
    Rule(
        "foundry-project-identity",
        "medium",
        "Foundry projects have a managed identity to call the account's models and connections.",
        frozenset({PROJECT}),
        check=check_project_identity,
    ),
    Rule(
        "production-private-network",
        "high",
        "Production stacks reach their services through private endpoints (ragstack:network).",
        frozenset({RESOURCE_GROUP}),
        stack_check=check_production_private_network,
    ),
    Rule(
        "registry-premium-for-private-endpoints",
        "high",
        "A registry behind a private endpoint uses the Premium tier.",
        frozenset({REGISTRY}),
        stack_check=check_registry_private_link_sku,
    ),
    Rule(
        "private-endpoint-dns-zone-group",
        "medium",
        "Every private endpoint registers its address in its privatelink.* zones (a DNS zone group).",
        frozenset({PRIVATE_ENDPOINT}),
        stack_check=check_private_endpoint_dns,
    ),
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def evaluate_resource(rule: Rule, resource: PlannedResource, ctx: StackContext) -> list[Finding]:
    """Findings of one per-resource rule on one resource (empty when the rule does not apply)."""
    if rule.check is None or not rule.applies_to(resource.type):
        return []
    label = resource_label(resource)
    return [
        Finding(rule.id, rule.severity, label, message, resource.urn) for message in rule.check(resource, ctx)
    ]


def evaluate_stack(rule: Rule, resources: Sequence[PlannedResource], ctx: StackContext) -> list[Finding]:
    """Findings of one stack rule over all resources."""
    if rule.stack_check is None:
        return []
    return [
        Finding(rule.id, rule.severity, resource_label(resource), message, resource.urn)
        for resource, message in rule.stack_check(resources, ctx)
    ]


def evaluate(
    resources: Iterable[PlannedResource], ctx: StackContext, rules: Sequence[Rule] = RULES
) -> list[Finding]:
    """Every finding of `rules` on the planned stack, in rule order then resource order."""
    planned = list(resources)
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(evaluate_stack(rule, planned, ctx))
        for resource in planned:
            findings.extend(evaluate_resource(rule, resource, ctx))
    return findings


def blocking(findings: Iterable[Finding], *, strict: bool = False) -> list[Finding]:
    """The findings that should fail a plan: high always, medium too under --strict; low never."""
    failing = {"high", "medium"} if strict else {"high"}
    return [finding for finding in findings if finding.severity in failing]


def replacement_finding(resource: str, type_token: str, reasons: Sequence[str]) -> Finding | None:
    """A high finding when a change would delete and re-create a stateful resource."""
    loss = REPLACEMENT_LOSS.get(type_token)
    if loss is None:
        return None
    why = "; ".join(reasons)
    return Finding(REPLACE_STATEFUL_RULE, "high", resource, f"replaced because {why}: {loss}")
