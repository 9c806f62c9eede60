"""One read of an environment's live state, shared by `status` and `drift`.

A GET per resource plus the deployment list and the role assignments on each resource scope: the
minimum that answers both "what is there" and "does it match the stack config".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import Any

from infra.access import environment_resources
from infra.armshape import api_version
from infra.catalog import provisioning
from infra.catalog.provisioning import Health, Verdict, judge, worst
from infra.catalog.roles import role_guid
from opsctl.arm_errors import arm_errors, unless_missing
from opsctl.environment import Environment
from opsctl.target import Target

Describe = Callable[[Any], dict[str, Any]]


@dataclass
class LiveResource:
    """The fields status and drift look at, normalised across providers.

    `verdict` judges the resource's provisioning state (infra.catalog.provisioning); `state` is its text.
    """

    key: str
    name: str
    type: str
    exists: bool
    verdict: Verdict | None = None
    sku: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    endpoint: str | None = None

    def __post_init__(self) -> None:
        """SDK enums print as `SkuName.BASIC`; keep the wire value ("Basic") everywhere."""
        self.sku = _plain(self.sku)
        self.settings = {key: _plain(value) for key, value in self.settings.items()}

    @property
    def state(self) -> str | None:
        return self.verdict.state if self.verdict else None

    @property
    def health(self) -> Health | None:
        return self.verdict.health if self.verdict else None


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


@dataclass
class LiveAssignment:
    scope: str
    principal_id: str
    principal_type: str | None
    role_guid: str
    name: str


@dataclass
class LiveEnvironment:
    resource_group_exists: bool
    resources: dict[str, LiveResource]
    deployments: dict[str, dict[str, Any]]
    assignments: list[LiveAssignment]
    # Tags by resource name: the group and every resource directly in it.
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, key: str) -> LiveResource:
        return self.resources[key]


def _read(key: str, name: str, kind: str, fetch: Callable[[], Any], describe: Describe) -> LiveResource:
    """GET one resource (404 -> reported missing) and describe what status and drift look at."""
    found = unless_missing(f"reading {kind} {name}", fetch)
    if found is None:
        return LiveResource(key, name, kind, False)
    return LiveResource(key, name, kind, True, **describe(found))


BASE_KEYS = ("log_analytics", "identity", "container_apps_environment")


def declared_keys(env: Environment) -> list[str]:
    """Every resource key this environment declares: the grantable ones (with the enabled options)
    and the plumbing no preset targets."""
    return [*sorted(environment_resources(env.settings)), *BASE_KEYS]


def read_environment(env: Environment, target: Target) -> LiveEnvironment:
    """Read every resource of the environment; missing ones are reported, not raised."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    resources: Any = target.client(ResourceManagementClient)
    rg = env.resource_group
    with arm_errors(f"reading resource group {rg}"):
        exists = resources.resource_groups.check_existence(rg)
    if not exists:
        names = env.names.as_dict()
        missing = {k: LiveResource(k, names[k], "", False) for k in declared_keys(env)}
        return LiveEnvironment(False, missing, {}, [])
    readers = (_search, _openai, _document_intelligence, _registry, _identity, _app, _workspace, _app_env)
    live: dict[str, LiveResource] = {}
    for reader in readers:
        item = reader(env, target)
        live[item.key] = item
    if env.settings.has_foundry_project:
        live["foundry_project"] = _foundry_project(env, target)
    if env.settings.ml.enabled:
        for ml_reader in (_ml_workspace, _storage, _key_vault, _app_insights):
            item = ml_reader(env, target)
            live[item.key] = item
    deployments = _deployments(env, target) if live["openai"].exists else {}
    assignments = _assignments(env, target, live)
    return LiveEnvironment(True, live, deployments, assignments, _tags(resources, rg))


def _tags(resources: Any, group: str) -> dict[str, dict[str, str]]:
    with arm_errors(f"reading the tags in resource group {group}"):
        tags = {group: dict(resources.resource_groups.get(group).tags or {})}
        for item in resources.resources.list_by_resource_group(group):
            tags[item.name] = dict(item.tags or {})
    return tags


def read_data_services(env: Environment, target: Target) -> dict[str, LiveResource]:
    """The three services the RAG data plane calls: search, the model account, Document Intelligence."""
    return {
        r.key: r for r in (_search(env, target), _openai(env, target), _document_intelligence(env, target))
    }


def _search(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.search import SearchManagementClient

    client: Any = target.client(SearchManagementClient)
    name = env.names.search

    def describe(svc: Any) -> dict[str, Any]:
        return {
            "verdict": judge(provisioning.SEARCH_SERVICE, svc.provisioning_state, svc.status),
            "sku": svc.sku.name if svc.sku else None,
            "settings": {
                "replicas": svc.replica_count,
                "partitions": svc.partition_count,
                "semanticRanker": svc.semantic_search,
                "disableLocalAuth": svc.disable_local_auth,
                "publicNetworkAccess": svc.public_network_access,
                "principalId": svc.identity.principal_id if svc.identity else None,
            },
            "endpoint": svc.endpoint or f"https://{name}.search.windows.net",
        }

    fetch = partial(client.services.get, env.resource_group, name)
    return _read("search", name, "Microsoft.Search/searchServices", fetch, describe)


def _cognitive(env: Environment, target: Target, key: str, name: str) -> LiveResource:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    client: Any = target.client(CognitiveServicesManagementClient)

    def describe(account: Any) -> dict[str, Any]:
        props = account.properties
        return {
            "verdict": judge(provisioning.ACCOUNT, props.provisioning_state),
            "sku": account.sku.name if account.sku else None,
            "settings": {
                "kind": account.kind,
                "disableLocalAuth": props.disable_local_auth,
                "publicNetworkAccess": props.public_network_access,
                "customSubDomainName": props.custom_sub_domain_name,
            },
            "endpoint": props.endpoint,
        }

    fetch = partial(client.accounts.get, env.resource_group, name)
    return _read(key, name, "Microsoft.CognitiveServices/accounts", fetch, describe)


PROJECT = "azure-native:cognitiveservices:Project"


def _foundry_project(env: Environment, target: Target) -> LiveResource:
    """The Foundry project, read through the generic resources API: azure-mgmt-cognitiveservices
    14.1 has no projects operations."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    client: Any = target.client(ResourceManagementClient)
    name = env.names.foundry_project
    project_id = env.scopes()["foundry_project"]

    def describe(project: Any) -> dict[str, Any]:
        props = project.properties or {}
        return {
            "verdict": judge(provisioning.ACCOUNT, props.get("provisioningState")),
            "settings": {"principalId": (project.identity.principal_id if project.identity else None)},
            "endpoint": (props.get("endpoints") or {}).get("AI Foundry API"),
        }

    fetch = partial(client.resources.get_by_id, project_id, api_version=api_version(PROJECT))
    return _read("foundry_project", name, "Microsoft.CognitiveServices/accounts/projects", fetch, describe)


ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"


def _ml_workspace(env: Environment, target: Target) -> LiveResource:
    """Read at the catalog's api-version: azure-mgmt-machinelearningservices 1.0.1 defaults to 2020-08-01."""
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

    client: Any = target.client(MachineLearningServicesMgmtClient, api_version=api_version(ML_WORKSPACE))
    name = env.names.ml_workspace

    def describe(ws: Any) -> dict[str, Any]:
        return {
            "verdict": judge("Microsoft.MachineLearningServices/workspaces", ws.provisioning_state),
            "sku": ws.sku.name if ws.sku else None,
            "settings": {"principalId": ws.identity.principal_id if ws.identity else None},
            "endpoint": ws.discovery_url,
        }

    fetch = partial(client.workspaces.get, env.resource_group, name)
    return _read("ml_workspace", name, "Microsoft.MachineLearningServices/workspaces", fetch, describe)


def _storage(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.storage import StorageManagementClient

    client: Any = target.client(StorageManagementClient)
    name = env.names.storage

    def describe(account: Any) -> dict[str, Any]:
        props = account.properties
        return {
            "verdict": judge("Microsoft.Storage/storageAccounts", props.provisioning_state),
            "sku": account.sku.name if account.sku else None,
            "settings": {
                "allowSharedKeyAccess": props.allow_shared_key_access,
                "allowBlobPublicAccess": props.allow_blob_public_access,
                "minimumTlsVersion": props.minimum_tls_version,
                "supportsHttpsTrafficOnly": props.enable_https_traffic_only,
                "publicNetworkAccess": props.public_network_access,
            },
            "endpoint": (props.primary_endpoints.blob if props.primary_endpoints else None),
        }

    fetch = partial(client.storage_accounts.get_properties, env.resource_group, name)
    return _read("storage", name, "Microsoft.Storage/storageAccounts", fetch, describe)


def _key_vault(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    client: Any = target.client(KeyVaultManagementClient)
    name = env.names.key_vault

    def describe(vault: Any) -> dict[str, Any]:
        props = vault.properties
        return {
            "verdict": judge("Microsoft.KeyVault/vaults", props.provisioning_state),
            "sku": props.sku.name if props.sku else None,
            "settings": {
                "enableRbacAuthorization": props.enable_rbac_authorization,
                "enableSoftDelete": props.enable_soft_delete,
                # Unset reads back as null: the vault is not purge-protected.
                "enablePurgeProtection": bool(props.enable_purge_protection),
                "publicNetworkAccess": props.public_network_access,
            },
            "endpoint": props.vault_uri,
        }

    fetch = partial(client.vaults.get, env.resource_group, name)
    return _read("key_vault", name, "Microsoft.KeyVault/vaults", fetch, describe)


def _app_insights(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient

    client: Any = target.client(ApplicationInsightsManagementClient)
    name = env.names.app_insights

    def describe(component: Any) -> dict[str, Any]:
        return {
            "verdict": judge("Microsoft.Insights/components", component.provisioning_state),
            "settings": {"workspaceResourceId": component.workspace_resource_id},
        }

    fetch = partial(client.components.get, env.resource_group, name)
    return _read("app_insights", name, "Microsoft.Insights/components", fetch, describe)


def _openai(env: Environment, target: Target) -> LiveResource:
    return _cognitive(env, target, "openai", env.names.openai)


def _document_intelligence(env: Environment, target: Target) -> LiveResource:
    return _cognitive(env, target, "document_intelligence", env.names.document_intelligence)


def _deployments(env: Environment, target: Target) -> dict[str, dict[str, Any]]:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    client: Any = target.client(CognitiveServicesManagementClient)
    with arm_errors(f"listing deployments of {env.names.openai}"):
        items = list(client.deployments.list(env.resource_group, env.names.openai))
    return {d.name: _deployment(d) for d in items}


def _deployment(d: Any) -> dict[str, Any]:
    verdict = judge(provisioning.DEPLOYMENT, d.properties.provisioning_state)
    return {
        "sku": d.sku.name if d.sku else None,
        "capacity": d.sku.capacity if d.sku else None,
        "model": d.properties.model.name if d.properties.model else None,
        "version": d.properties.model.version if d.properties.model else None,
        "state": verdict.state,
        "health": verdict.health.value,
    }


def _registry(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    client: Any = target.client(ContainerRegistryManagementClient)

    def describe(reg: Any) -> dict[str, Any]:
        props = reg.properties
        return {
            "verdict": judge(provisioning.REGISTRY, props.provisioning_state),
            "sku": reg.sku.name if reg.sku else None,
            "settings": {
                "adminUserEnabled": props.admin_user_enabled,
                "publicNetworkAccess": props.public_network_access,
            },
            "endpoint": props.login_server,
        }

    fetch = partial(client.registries.get, env.resource_group, env.names.registry)
    return _read("registry", env.names.registry, "Microsoft.ContainerRegistry/registries", fetch, describe)


def _identity(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.msi import ManagedServiceIdentityClient

    client: Any = target.client(ManagedServiceIdentityClient)

    def describe(ident: Any) -> dict[str, Any]:
        return {
            # No provisioningState on identities: ARM counts that as Succeeded.
            "verdict": judge("Microsoft.ManagedIdentity/userAssignedIdentities", None),
            "settings": {"principalId": ident.principal_id, "clientId": ident.client_id},
        }

    fetch = partial(client.user_assigned_identities.get, env.resource_group, env.names.identity)
    kind = "Microsoft.ManagedIdentity/userAssignedIdentities"
    return _read("identity", env.names.identity, kind, fetch, describe)


def _app(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    client: Any = target.client(ContainerAppsAPIClient)

    def describe(app: Any) -> dict[str, Any]:
        props = app.properties
        template = props.template or {}
        scale = template.get("scale") or {}
        containers = template.get("containers") or [{}]
        ingress = (props.configuration or {}).get("ingress") or {}
        return {
            "verdict": app_verdict(client, env.resource_group, app),
            "settings": {
                "minReplicas": scale.get("minReplicas"),
                "maxReplicas": scale.get("maxReplicas"),
                "image": containers[0].get("image"),
                "latestRevision": props.latest_revision_name,
                **_container_settings(containers[0], ingress),
            },
            "endpoint": f"https://{ingress['fqdn']}" if ingress.get("fqdn") else None,
        }

    fetch = partial(client.container_apps.get, env.resource_group, env.names.container_app)
    return _read("container_app", env.names.container_app, "Microsoft.App/containerApps", fetch, describe)


def _container_settings(container: dict[str, Any], ingress: dict[str, Any]) -> dict[str, Any]:
    """What the stack's `ragstack:app` sets on the first container and the ingress."""
    resources = container.get("resources") or {}
    env = {e["name"]: e.get("value") for e in container.get("env") or [] if "name" in e}
    return {
        "cpu": resources.get("cpu"),
        "memory": resources.get("memory"),
        "env": env,
        "targetPort": ingress.get("targetPort"),
        "external": ingress.get("external"),
    }


def app_verdict(client: Any, resource_group: str, app: Any) -> Verdict:
    """The app's own state and its latest revision's: a failed latest revision is not running what
    the app declares, even while an older revision still serves (ContainerAppRunningStatus,
    RevisionRunningState; ops-pitfalls C-4)."""
    props = app.properties
    own = judge(provisioning.CONTAINER_APP, props.provisioning_state, props.running_status)
    name = props.latest_revision_name
    if not name:
        return own
    fetch = partial(client.container_apps_revisions.get_revision, resource_group, app.name, name)
    revision = unless_missing(f"reading revision '{name}'", fetch)
    if revision is None:
        return own
    rp = revision.properties
    of_revision = judge(provisioning.REVISION, rp.provisioning_state, rp.running_state)
    if of_revision.ok:
        return own
    detail = f": {rp.provisioning_error}" if rp.provisioning_error else ""
    state = f"{own.state}, revision '{name}' {of_revision.state}{detail}"
    return Verdict(worst(own, of_revision).health, state, own.healthy)


def _app_env(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    client: Any = target.client(ContainerAppsAPIClient)
    name = env.names.container_apps_environment
    fetch = partial(client.managed_environments.get, env.resource_group, name)
    return _read(
        "container_apps_environment",
        name,
        "Microsoft.App/managedEnvironments",
        fetch,
        lambda menv: {"verdict": judge(provisioning.MANAGED_ENVIRONMENT, menv.properties.provisioning_state)},
    )


def _workspace(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.loganalytics import LogAnalyticsManagementClient

    client: Any = target.client(LogAnalyticsManagementClient)

    def describe(ws: Any) -> dict[str, Any]:
        props = ws.properties
        return {
            "verdict": judge(provisioning.WORKSPACE, props.provisioning_state),
            "sku": props.sku.name if props.sku else None,
            "settings": {"retentionInDays": props.retention_in_days},
        }

    fetch = partial(client.workspaces.get, env.resource_group, env.names.log_analytics)
    kind = "Microsoft.OperationalInsights/workspaces"
    return _read("log_analytics", env.names.log_analytics, kind, fetch, describe)


def _assignments(env: Environment, target: Target, live: dict[str, LiveResource]) -> list[LiveAssignment]:
    """Assignments on the environment's resources; privileged ones on its group; and those of the
    identities the stack creates, at any scope."""
    from azure.mgmt.authorization import AuthorizationManagementClient

    client: Any = target.client(AuthorizationManagementClient)
    found: list[LiveAssignment] = []
    for key, scope in env.scopes().items():
        if key not in live or not live[key].exists:
            continue
        with arm_errors(f"listing role assignments on {live[key].name}"):
            found += _at(client.role_assignments.list_for_scope(scope), scope)
    group = env.resource_group_id
    with arm_errors(f"listing role assignments on {env.resource_group}"):
        found += [
            a for a in _at(client.role_assignments.list_for_scope(group), group) if a.role_guid in PRIVILEGED
        ]
    # Scopes of the environment's own resources are judged above (only those that were read).
    own = {scope.lower() for scope in env.scopes().values()} | {group.lower()}
    for principal in _stack_principals(live):
        with arm_errors(f"listing role assignments of {principal}"):
            listed = client.role_assignments.list_for_subscription(filter=f"principalId eq '{principal}'")
            found += [a for a in map(_assignment, listed) if a.scope.lower() not in own]
    return found


# Roles that can change or re-grant anything under their scope (ARM built-in roles).
PRIVILEGED = frozenset(role_guid(r) for r in ("Owner", "Contributor", "User Access Administrator"))


def _stack_principals(live: dict[str, LiveResource]) -> list[str]:
    """The identities the stack creates: the app's, the search service's, the Foundry project's."""
    holders = ("identity", "search", "foundry_project")
    found = [live[k].settings.get("principalId") for k in holders if k in live and live[k].exists]
    return [p for p in found if p]


def _at(items: Any, scope: str) -> list[LiveAssignment]:
    """The assignments made exactly at `scope` (a listing also returns inherited ones)."""
    return [_assignment(i) for i in items if (i.scope or "").lower() == scope.lower()]


def _assignment(item: Any) -> LiveAssignment:
    return LiveAssignment(
        item.scope,
        item.principal_id,
        item.principal_type,
        item.role_definition_id.rsplit("/", 1)[-1].lower(),
        item.name,
    )
