"""One read of an environment's live state, shared by `status` and `drift`.

A GET per resource plus the deployment list and the role assignments on each resource scope: the
minimum that answers both "what is there" and "does it match the stack config".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from opsctl.arm_errors import arm_errors
from opsctl.environment import Environment
from opsctl.target import Target


@dataclass
class LiveResource:
    """The fields status and drift look at, normalised across providers."""

    key: str
    name: str
    type: str
    exists: bool
    state: str | None = None
    sku: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    endpoint: str | None = None

    def __post_init__(self) -> None:
        """SDK enums print as `SkuName.BASIC`; keep the wire value ("Basic") everywhere."""
        self.state = _plain(self.state)
        self.sku = _plain(self.sku)
        self.settings = {key: _plain(value) for key, value in self.settings.items()}


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

    def get(self, key: str) -> LiveResource:
        return self.resources[key]


def _get(call: Any, *args: Any) -> Any | None:
    """GET that maps 404 to None."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return call(*args)
    except ResourceNotFoundError:
        return None


def read_environment(env: Environment, target: Target) -> LiveEnvironment:
    """Read every resource of the environment; missing ones are reported, not raised."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    resources: Any = target.client(ResourceManagementClient)
    rg = env.resource_group
    with arm_errors(f"reading resource group {rg}"):
        exists = resources.resource_groups.check_existence(rg)
    if not exists:
        missing = {k: LiveResource(k, n, "", False) for k, n in env.names.as_dict().items()}
        missing.pop("resource_group")
        return LiveEnvironment(False, missing, {}, [])
    readers = (_search, _openai, _document_intelligence, _registry, _identity, _app, _workspace, _app_env)
    live: dict[str, LiveResource] = {}
    for reader in readers:
        item = reader(env, target)
        live[item.key] = item
    deployments = _deployments(env, target) if live["openai"].exists else {}
    return LiveEnvironment(True, live, deployments, _assignments(env, target, live))


def _search(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.search import SearchManagementClient

    client: Any = target.client(SearchManagementClient)
    name = env.names.search
    with arm_errors(f"reading search service {name}"):
        svc = _get(client.services.get, env.resource_group, name)
    if svc is None:
        return LiveResource("search", name, "Microsoft.Search/searchServices", False)
    return LiveResource(
        "search",
        name,
        "Microsoft.Search/searchServices",
        True,
        state=f"{_plain(svc.provisioning_state)}/{_plain(svc.status)}",
        sku=svc.sku.name if svc.sku else None,
        settings={
            "replicas": svc.replica_count,
            "partitions": svc.partition_count,
            "semanticRanker": svc.semantic_search,
            "disableLocalAuth": svc.disable_local_auth,
            "publicNetworkAccess": svc.public_network_access,
            "principalId": svc.identity.principal_id if svc.identity else None,
        },
        endpoint=svc.endpoint or f"https://{name}.search.windows.net",
    )


def _cognitive(env: Environment, target: Target, key: str, name: str) -> LiveResource:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    client: Any = target.client(CognitiveServicesManagementClient)
    with arm_errors(f"reading account {name}"):
        account = _get(client.accounts.get, env.resource_group, name)
    if account is None:
        return LiveResource(key, name, "Microsoft.CognitiveServices/accounts", False)
    props = account.properties
    return LiveResource(
        key,
        name,
        "Microsoft.CognitiveServices/accounts",
        True,
        state=props.provisioning_state,
        sku=account.sku.name if account.sku else None,
        settings={
            "kind": account.kind,
            "disableLocalAuth": props.disable_local_auth,
            "publicNetworkAccess": props.public_network_access,
            "customSubDomainName": props.custom_sub_domain_name,
        },
        endpoint=props.endpoint,
    )


def _openai(env: Environment, target: Target) -> LiveResource:
    return _cognitive(env, target, "openai", env.names.openai)


def _document_intelligence(env: Environment, target: Target) -> LiveResource:
    return _cognitive(env, target, "document_intelligence", env.names.document_intelligence)


def _deployments(env: Environment, target: Target) -> dict[str, dict[str, Any]]:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    client: Any = target.client(CognitiveServicesManagementClient)
    with arm_errors(f"listing deployments of {env.names.openai}"):
        items = list(client.deployments.list(env.resource_group, env.names.openai))
    return {
        d.name: {
            "sku": d.sku.name if d.sku else None,
            "capacity": d.sku.capacity if d.sku else None,
            "model": d.properties.model.name if d.properties.model else None,
            "version": d.properties.model.version if d.properties.model else None,
            "state": d.properties.provisioning_state,
        }
        for d in items
    }


def _registry(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    client: Any = target.client(ContainerRegistryManagementClient)
    name = env.names.registry
    with arm_errors(f"reading registry {name}"):
        reg = _get(client.registries.get, env.resource_group, name)
    kind = "Microsoft.ContainerRegistry/registries"
    if reg is None:
        return LiveResource("registry", name, kind, False)
    props = reg.properties if hasattr(reg, "properties") and reg.properties else reg
    return LiveResource(
        "registry",
        name,
        kind,
        True,
        state=props.provisioning_state,
        sku=reg.sku.name if reg.sku else None,
        settings={"adminUserEnabled": props.admin_user_enabled},
        endpoint=props.login_server,
    )


def _identity(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.msi import ManagedServiceIdentityClient

    client: Any = target.client(ManagedServiceIdentityClient)
    name = env.names.identity
    with arm_errors(f"reading identity {name}"):
        ident = _get(client.user_assigned_identities.get, env.resource_group, name)
    kind = "Microsoft.ManagedIdentity/userAssignedIdentities"
    if ident is None:
        return LiveResource("identity", name, kind, False)
    return LiveResource(
        "identity",
        name,
        kind,
        True,
        state="Succeeded",
        settings={"principalId": ident.principal_id, "clientId": ident.client_id},
    )


def _app(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    client: Any = target.client(ContainerAppsAPIClient)
    name = env.names.container_app
    with arm_errors(f"reading container app {name}"):
        app = _get(client.container_apps.get, env.resource_group, name)
    kind = "Microsoft.App/containerApps"
    if app is None:
        return LiveResource("container_app", name, kind, False)
    props = app.properties
    template = props.template or {}
    scale = template.get("scale") or {}
    containers = template.get("containers") or [{}]
    ingress = (props.configuration or {}).get("ingress") or {}
    return LiveResource(
        "container_app",
        name,
        kind,
        True,
        state=f"{_plain(props.provisioning_state)}/{_plain(props.running_status)}",
        settings={
            "minReplicas": scale.get("minReplicas"),
            "maxReplicas": scale.get("maxReplicas"),
            "image": containers[0].get("image"),
            "latestRevision": props.latest_revision_name,
        },
        endpoint=f"https://{ingress['fqdn']}" if ingress.get("fqdn") else None,
    )


def _app_env(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    client: Any = target.client(ContainerAppsAPIClient)
    name = env.names.container_apps_environment
    with arm_errors(f"reading managed environment {name}"):
        menv = _get(client.managed_environments.get, env.resource_group, name)
    kind = "Microsoft.App/managedEnvironments"
    if menv is None:
        return LiveResource("container_apps_environment", name, kind, False)
    return LiveResource(
        "container_apps_environment", name, kind, True, state=menv.properties.provisioning_state
    )


def _workspace(env: Environment, target: Target) -> LiveResource:
    from azure.mgmt.loganalytics import LogAnalyticsManagementClient

    client: Any = target.client(LogAnalyticsManagementClient)
    name = env.names.log_analytics
    kind = "Microsoft.OperationalInsights/workspaces"
    with arm_errors(f"reading workspace {name}"):
        ws = _get(client.workspaces.get, env.resource_group, name)
    if ws is None:
        return LiveResource("log_analytics", name, kind, False)
    props = ws.properties
    return LiveResource(
        "log_analytics",
        name,
        kind,
        True,
        state=props.provisioning_state,
        sku=props.sku.name if props.sku else None,
        settings={"retentionInDays": props.retention_in_days},
    )


def _assignments(env: Environment, target: Target, live: dict[str, LiveResource]) -> list[LiveAssignment]:
    from azure.mgmt.authorization import AuthorizationManagementClient

    client: Any = target.client(AuthorizationManagementClient)
    found: list[LiveAssignment] = []
    for key, scope in env.scopes().items():
        if not live[key].exists:
            continue
        with arm_errors(f"listing role assignments on {live[key].name}"):
            items = list(client.role_assignments.list_for_scope(scope))
        found += [
            LiveAssignment(
                item.scope,
                item.principal_id,
                item.principal_type,
                item.role_definition_id.rsplit("/", 1)[-1].lower(),
                item.name,
            )
            for item in items
            if (item.scope or "").lower() == scope.lower()
        ]
    return found
