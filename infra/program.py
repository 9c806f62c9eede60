"""The whole environment: validated settings in, every component declared, stack outputs exported.

`infra/__main__.py` calls this under the Pulumi engine; `infra.mockrun` calls it under mocks (tests,
`opsctl plan`). Settings are checked again here so a directly built `StackSettings` can never
register a single resource when it breaks a rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pulumi

from infra import rules
from infra.access import environment_resources
from infra.catalog.network import PUBLIC_ACCESS_OFF
from infra.catalog.roles import ROLE_PRESETS, ResourceKey
from infra.components.app_insights import AppInsights, AppInsightsArgs
from infra.components.common import Placement
from infra.components.container_apps import (
    ContainerApp,
    ContainerAppArgs,
    ContainerAppsEnvironment,
    ContainerAppsEnvironmentArgs,
)
from infra.components.document_intelligence import DocumentIntelligence, DocumentIntelligenceArgs
from infra.components.foundry import FoundryProject, FoundryProjectArgs
from infra.components.identity import AppIdentity, AppIdentityArgs
from infra.components.key_vault import KeyVault, KeyVaultArgs
from infra.components.ml_workspace import MlWorkspace, MlWorkspaceArgs
from infra.components.monitoring import LogAnalytics, LogAnalyticsArgs
from infra.components.network import (
    PrivateEndpoints,
    PrivateEndpointsArgs,
    VirtualNetwork,
    VirtualNetworkArgs,
    endpoint_targets,
)
from infra.components.openai import OpenAIAccount, OpenAIAccountArgs
from infra.components.registry import ContainerRegistry, ContainerRegistryArgs
from infra.components.resource_group import ResourceGroup, ResourceGroupArgs
from infra.components.role_assignments import PresetGrant, RoleAssignments, RoleAssignmentsArgs
from infra.components.search import SearchService, SearchServiceArgs
from infra.components.storage import StorageAccount, StorageAccountArgs
from infra.naming import ResourceNames, environment_names, network_names
from infra.network_rules import private_services
from infra.settings import AccessGrant, StackSettings
from infra.tags import environment_tags

MANAGED_IDENTITY_PRINCIPAL_TYPE = "ServicePrincipal"


def declare_environment(settings: StackSettings, *, subscription_id: str) -> dict[str, Any]:
    """Declare every resource of the environment, export the stack outputs and return them."""
    rules.check(settings)
    names = environment_names(settings, subscription_id)
    tags = environment_tags(settings)
    group = ResourceGroup(
        "rg", ResourceGroupArgs(names.resource_group, settings.location, tags, settings.protect)
    )
    where = Placement(group.name, settings.location, tags, settings.protect)
    settings = private_services(settings)
    vnet = _network(settings, where)
    services = _services(settings, names, where)
    services.update(_foundry(settings, names, where, services["openai"]))
    services.update(_ml(settings, names, where, services["logs"]))
    if vnet is not None:
        services.update(vnet=vnet, endpoints=_endpoints(settings, names, where, vnet, services))
    identity = AppIdentity("identity", AppIdentityArgs(names.identity, _unprotected(where)))
    scopes = _service_scopes(services)
    present = environment_resources(settings)
    role_sets = _managed_identity_roles(identity, services, scopes, subscription_id, present)
    environment, container_app = _app(settings, names, where, services, identity, role_sets[0], vnet)
    scopes["container_app"] = container_app.id
    role_sets.extend(_operator_roles(settings.access, scopes, subscription_id, present))
    services.update(environment=environment, app=container_app)
    outputs = _outputs(settings, subscription_id, group, services, identity, role_sets)
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs


# Which service of `services` each grantable resource key is; optional ones appear when declared.
SCOPE_SERVICES: dict[ResourceKey, str] = {
    "search": "search",
    "openai": "openai",
    "document_intelligence": "docint",
    "registry": "registry",
    "foundry_project": "project",
    "ml_workspace": "ml",
    "storage": "storage",
    "key_vault": "vault",
    "app_insights": "insights",
}


def _service_scopes(services: dict[str, Any]) -> dict[ResourceKey, pulumi.Output[str]]:
    """Role scopes are the resources' own ids (never the group or subscription)."""
    return {key: services[svc].id for key, svc in SCOPE_SERVICES.items() if svc in services}


def _foundry(
    settings: StackSettings, names: ResourceNames, where: Placement, openai: OpenAIAccount
) -> dict[str, Any]:
    """The environment's Foundry project, after the account's deployments (one write at a time)."""
    project = settings.foundry.project
    if project is None:
        return {}
    args = FoundryProjectArgs(
        name=names.foundry_project,
        account_name=names.openai,
        account=openai.account,
        placement=where,
        display_name=project.display_name or f"{settings.environment} (ragstack)",
        description=project.description,
        depends_on=openai.deployments[-1:],
    )
    return {"project": FoundryProject("project", args)}


def _ml(
    settings: StackSettings, names: ResourceNames, where: Placement, logs: LogAnalytics
) -> dict[str, Any]:
    """The Machine Learning workspace and the three resources it is created on, when enabled."""
    if not settings.ml.enabled:
        return {}
    public = PUBLIC_ACCESS_OFF if settings.private_network else None
    storage = StorageAccount("storage", StorageAccountArgs(names.storage, where, public))
    vault = KeyVault("vault", KeyVaultArgs(names.key_vault, where, settings.ml, public))
    insights = AppInsights("insights", AppInsightsArgs(names.app_insights, _unprotected(where), logs.id))
    workspace = MlWorkspace(
        "ml",
        MlWorkspaceArgs(
            names.ml_workspace, where, storage.id, vault.id, insights.id, public_network_access=public
        ),
    )
    return {"storage": storage, "vault": vault, "insights": insights, "ml": workspace}


def _managed_identity_roles(
    identity: AppIdentity,
    services: dict[str, Any],
    scopes: dict[ResourceKey, pulumi.Output[str]],
    subscription_id: str,
    present: frozenset[ResourceKey],
) -> list[RoleAssignments]:
    """The app identity's grants first (the app waits for them), then the services' own identities."""
    search: SearchService = services["search"]
    sets = [
        _roles(
            "roles-app",
            identity.principal_id,
            MANAGED_IDENTITY_PRINCIPAL_TYPE,
            _preset_grants("app", present),
            scopes,
            subscription_id,
        )
    ]
    if search.has_identity:
        sets.append(
            _roles(
                "roles-search",
                search.principal_id.apply(_present),
                MANAGED_IDENTITY_PRINCIPAL_TYPE,
                _preset_grants("search", present),
                scopes,
                subscription_id,
            )
        )
    for service, preset in (("project", "project"), ("ml", "ml")):
        if service in services:
            principal = services[service].principal_id.apply(_present)
            grants = _preset_grants(preset, present)
            sets.append(
                _roles(
                    f"roles-{preset}",
                    principal,
                    MANAGED_IDENTITY_PRINCIPAL_TYPE,
                    grants,
                    scopes,
                    subscription_id,
                )
            )
    return sets


def _network(settings: StackSettings, where: Placement) -> VirtualNetwork | None:
    if not settings.private_network:
        return None
    args = VirtualNetworkArgs(network_names(settings.environment), _unprotected(where), settings.network)
    return VirtualNetwork("vnet", args)


def _endpoints(
    settings: StackSettings,
    names: ResourceNames,
    where: Placement,
    vnet: VirtualNetwork,
    services: dict[str, Any],
) -> PrivateEndpoints:
    """One endpoint per service, each after its service (the account after its project too)."""
    openai_after = [services["openai"], *([services["project"]] if "project" in services else [])]
    found: dict[str, tuple[str, Any, list[Any]]] = {
        "search": (names.search, services["search"].id, [services["search"]]),
        "openai": (names.openai, services["openai"].id, openai_after),
        "document_intelligence": (names.document_intelligence, services["docint"].id, [services["docint"]]),
        "registry": (names.registry, services["registry"].id, [services["registry"]]),
    }
    if "ml" in services:
        storage = (names.storage, services["storage"].id, [services["storage"]])
        found.update(
            ml_workspace=(names.ml_workspace, services["ml"].id, [services["ml"]]),
            storage_blob=storage,
            storage_file=storage,
            key_vault=(names.key_vault, services["vault"].id, [services["vault"]]),
        )
    args = PrivateEndpointsArgs(
        network_names(settings.environment),
        _unprotected(where),
        vnet.id,
        vnet.endpoint_subnet_id,
        endpoint_targets(found),
    )
    return PrivateEndpoints("private", args)


def _present(principal_id: str | None) -> str:
    """A system identity Azure created always has a principal; without one no grant can be made."""
    if not principal_id:
        raise ValueError("resource returned no identity.principalId")
    return principal_id


def _unprotected(where: Placement) -> Placement:
    return Placement(where.resource_group_name, where.location, where.tags, protect=False)


def _services(settings: StackSettings, names: ResourceNames, where: Placement) -> dict[str, Any]:
    """The stateful services; each is protected when the stack asks for it."""
    return {
        "logs": LogAnalytics(
            "logs", LogAnalyticsArgs(names.log_analytics, where, settings.log_retention_days)
        ),
        "search": SearchService("search", SearchServiceArgs(names.search, where, settings.search)),
        "openai": OpenAIAccount("openai", OpenAIAccountArgs(names.openai, where, settings.openai)),
        "docint": DocumentIntelligence(
            "docint",
            DocumentIntelligenceArgs(names.document_intelligence, where, settings.document_intelligence),
        ),
        "registry": ContainerRegistry(
            "registry",
            ContainerRegistryArgs(
                names.registry,
                where,
                settings.registry,
                PUBLIC_ACCESS_OFF if settings.private_network else None,
            ),
        ),
    }


def _app(
    settings: StackSettings,
    names: ResourceNames,
    where: Placement,
    services: dict[str, Any],
    identity: AppIdentity,
    app_roles: RoleAssignments,
    vnet: VirtualNetwork | None,
) -> tuple[ContainerAppsEnvironment, ContainerApp]:
    logs: LogAnalytics = services["logs"]
    environment = ContainerAppsEnvironment(
        "cae",
        ContainerAppsEnvironmentArgs(
            names.container_apps_environment,
            _unprotected(where),
            logs.customer_id,
            logs.shared_key,
            vnet.app_subnet_id if vnet is not None else None,
        ),
    )
    container_app = ContainerApp(
        "app",
        ContainerAppArgs(
            name=names.container_app,
            placement=_unprotected(where),
            settings=settings.app,
            environment_id=environment.id,
            identity_id=identity.id,
            registry_server=services["registry"].login_server,
            env=_app_env(settings, services, identity),
            depends_on=list(app_roles.by_grant.values()),
        ),
    )
    return environment, container_app


def _app_env(settings: StackSettings, services: dict[str, Any], identity: AppIdentity) -> dict[str, Any]:
    """What the app needs to find its services; identities, not secrets (none are passed)."""
    stack_env: dict[str, Any] = {
        "AZURE_CLIENT_ID": identity.client_id,
        "AZURE_OPENAI_ENDPOINT": services["openai"].endpoint,
        "AZURE_SEARCH_ENDPOINT": services["search"].endpoint,
        "AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT": services["docint"].endpoint,
        "AZURE_OPENAI_DEPLOYMENTS": json.dumps([d.name for d in settings.openai.deployments]),
        "RAGSTACK_ENVIRONMENT": settings.environment,
    }
    if "project" in services:
        stack_env["AZURE_AI_PROJECT_ENDPOINT"] = services["project"].endpoint
    return {**stack_env, **settings.app.env}


def _preset_grants(preset: str, present: frozenset[ResourceKey]) -> list[PresetGrant]:
    """The preset's grants on the resources this environment declares."""
    grants = ROLE_PRESETS[preset].grants
    return [PresetGrant(preset, g.role, g.resource) for g in grants if g.resource in present]


def _roles(
    name: str,
    principal_id: pulumi.Input[str],
    principal_type: str,
    grants: list[PresetGrant],
    scopes: dict[ResourceKey, pulumi.Output[str]],
    subscription_id: str,
) -> RoleAssignments:
    args = RoleAssignmentsArgs(principal_id, principal_type, grants, dict(scopes), subscription_id)
    return RoleAssignments(name, args)


def _operator_roles(
    access: Iterable[AccessGrant],
    scopes: dict[ResourceKey, pulumi.Output[str]],
    subscription_id: str,
    present: frozenset[ResourceKey],
) -> list[RoleAssignments]:
    """One component per principal; a (role, resource) two presets share is assigned once."""
    principals: dict[str, tuple[AccessGrant, dict[tuple[str, str], PresetGrant]]] = {}
    for grant in access:
        _, grants = principals.setdefault(grant.principal_id.lower(), (grant, {}))
        for preset_grant in _preset_grants(grant.preset, present):
            grants.setdefault((preset_grant.role, preset_grant.resource), preset_grant)
    return [
        _roles(
            f"roles-{key}",
            first.principal_id,
            first.principal_type,
            list(grants.values()),
            scopes,
            subscription_id,
        )
        for key, (first, grants) in principals.items()
    ]


def _optional_outputs(services: dict[str, Any]) -> dict[str, Any]:
    """Outputs of the Foundry project and the Machine Learning workspace, when declared."""
    outputs: dict[str, Any] = {}
    if "project" in services:
        project = services["project"]
        outputs.update(
            foundryProjectName=project.name,
            foundryProjectId=project.id,
            foundryProjectEndpoint=project.endpoint,
            foundryProjectPrincipalId=project.principal_id,
        )
    if "vnet" in services:
        outputs.update(
            virtualNetworkId=services["vnet"].id,
            privateEndpoints={k: e.name for k, e in services["endpoints"].endpoints.items()},
        )
    if "ml" in services:
        outputs.update(
            mlWorkspaceName=services["ml"].name,
            mlWorkspaceId=services["ml"].id,
            mlWorkspacePrincipalId=services["ml"].principal_id,
            storageAccountName=services["storage"].name,
            keyVaultName=services["vault"].name,
            appInsightsName=services["insights"].name,
        )
    return outputs


def _outputs(
    settings: StackSettings,
    subscription_id: str,
    group: ResourceGroup,
    services: dict[str, Any],
    identity: AppIdentity,
    role_sets: list[RoleAssignments],
) -> dict[str, Any]:
    search, openai, docint = services["search"], services["openai"], services["docint"]
    registry, logs = services["registry"], services["logs"]
    environment, container_app = services["environment"], services["app"]
    return {
        "environment": settings.environment,
        "location": settings.location,
        "subscriptionId": subscription_id,
        "resourceGroupName": group.name,
        "resourceGroupId": group.id,
        "searchName": search.name,
        "searchId": search.id,
        "searchEndpoint": search.endpoint,
        "searchPrincipalId": search.principal_id,
        "openaiName": openai.name,
        "openaiId": openai.id,
        "openaiEndpoint": openai.endpoint,
        "openaiDeployments": openai.deployment_names,
        "openaiV1Endpoint": openai.v1_endpoint,
        **_optional_outputs(services),
        "documentIntelligenceName": docint.name,
        "documentIntelligenceId": docint.id,
        "documentIntelligenceEndpoint": docint.endpoint,
        "registryName": registry.name,
        "registryId": registry.id,
        "registryLoginServer": registry.login_server,
        "logAnalyticsName": logs.name,
        "logAnalyticsId": logs.id,
        "logAnalyticsCustomerId": logs.customer_id,
        "containerAppsEnvironmentName": environment.name,
        "containerAppsEnvironmentId": environment.id,
        "containerAppName": container_app.name,
        "containerAppId": container_app.id,
        "appUrl": container_app.url,
        "identityName": identity.name,
        "identityId": identity.id,
        "identityClientId": identity.client_id,
        "identityPrincipalId": identity.principal_id,
        "roleAssignments": [row for roles in role_sets for row in roles.matrix],
    }
