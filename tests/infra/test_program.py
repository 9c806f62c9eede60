"""The whole program, rendered under mocks for every Pulumi.<stack>.yaml in the repository."""

from __future__ import annotations

import importlib
import inspect
import json
from typing import Any

import pytest

from infra import access
from infra.catalog.roles import ROLE_PRESETS, role_guid
from infra.catalog.search import SEARCH_TIERS
from infra.mockrun import Rendered, RenderedResource, render
from infra.naming import environment_names
from infra.settings import BOOTSTRAP_IMAGE
from infra.tags import environment_tags
from tests.infra.conftest import (
    STACKS,
    SUBSCRIPTION,
    rendered_stack,
    rendered_via_main,
    stack_file,
    stack_settings,
)

RG = "azure-native:resources:ResourceGroup"
SEARCH = "azure-native:search:Service"
ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
REGISTRY = "azure-native:containerregistry:Registry"
WORKSPACE = "azure-native:operationalinsights:Workspace"
UAMI = "azure-native:managedidentity:UserAssignedIdentity"
ENVIRONMENT = "azure-native:app:ManagedEnvironment"
APP = "azure-native:app:ContainerApp"
ROLE = "azure-native:authorization:RoleAssignment"
PROJECT = "azure-native:cognitiveservices:Project"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
STORAGE = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
INSIGHTS = "azure-native:applicationinsights:Component"
NETWORK_TYPES = {
    "azure-native:network:VirtualNetwork",
    "azure-native:network:Subnet",
    "azure-native:network:PrivateEndpoint",
    "azure-native:network:PrivateDnsZoneGroup",
    "azure-native:privatedns:PrivateZone",
    "azure-native:privatedns:VirtualNetworkLink",
}
STATEFUL = {RG, WORKSPACE, SEARCH, ACCOUNT, REGISTRY, PROJECT, ML_WORKSPACE, STORAGE, VAULT}


def subscription(stack: str) -> str:
    return stack_settings(stack).subscription_id or SUBSCRIPTION


def raw(stack: str, key: str, default: Any = None) -> Any:
    """A value straight from the stack file, so expectations do not come from the code under test."""
    return stack_file(stack).config.get(f"ragstack:{key}", default)


def test_every_stack_file_is_found() -> None:
    assert {"dev", "prod"} <= set(STACKS)


def test_renders_every_resource_kind(stack: str) -> None:
    rendered = rendered_stack(stack)
    kinds = {r.type for r in rendered.custom_resources}
    expected = {RG, SEARCH, ACCOUNT, DEPLOYMENT, REGISTRY, WORKSPACE, UAMI, ENVIRONMENT, APP, ROLE}
    if raw(stack, "foundry", {}).get("project"):
        expected.add(PROJECT)
    if raw(stack, "ml", {}).get("enabled"):
        expected |= {ML_WORKSPACE, STORAGE, VAULT, INSIGHTS}
    if raw(stack, "network", {}).get("enabled"):
        expected |= NETWORK_TYPES
    assert kinds == expected
    assert len(rendered.of_type(ACCOUNT)) == 2
    calls = {"azure-native:operationalinsights:getSharedKeys"}
    if raw(stack, "ml", {}).get("enabled"):
        calls.add("azure-native:authorization:getClientConfig")
    assert set(rendered.calls) == calls


def test_explicit_names_from_naming_rules(stack: str) -> None:
    rendered, names = rendered_stack(stack), environment_names(stack_settings(stack), subscription(stack))
    assert rendered.one(RG).inputs["resourceGroupName"] == names.resource_group
    assert rendered.one(SEARCH).inputs["searchServiceName"] == names.search
    assert rendered.one(ACCOUNT, "openai").inputs["accountName"] == names.openai
    assert rendered.one(ACCOUNT, "docint").inputs["accountName"] == names.document_intelligence
    assert rendered.one(REGISTRY).inputs["registryName"] == names.registry
    assert rendered.one(WORKSPACE).inputs["workspaceName"] == names.log_analytics
    assert rendered.one(ENVIRONMENT).inputs["environmentName"] == names.container_apps_environment
    assert rendered.one(APP).inputs["containerAppName"] == names.container_app
    assert rendered.one(UAMI).inputs["resourceName"] == names.identity
    for resource in rendered.custom_resources:
        if resource.type != ROLE:
            assert resource.inputs["resourceGroupName"] == names.resource_group


def public_access(stack: str) -> str:
    """Services behind private endpoints have their public endpoint off."""
    return "Disabled" if raw(stack, "network", {}).get("enabled") else "Enabled"


def test_search_service_inputs(stack: str) -> None:
    search = raw(stack, "search", {})
    service = rendered_stack(stack).one(SEARCH)
    assert service.inputs["sku"] == {"name": search["sku"]}
    assert service.inputs["replicaCount"] == search["replicas"]
    assert service.inputs["partitionCount"] == search["partitions"]
    assert service.inputs["semanticSearch"] == search["semanticRanker"]
    assert service.inputs["hostingMode"] == "Default"
    assert service.inputs["disableLocalAuth"] is True
    assert "authOptions" not in service.inputs
    assert service.inputs["publicNetworkAccess"] == public_access(stack)
    assert (service.inputs.get("identity") == {"type": "SystemAssigned"}) == SEARCH_TIERS[
        search["sku"]
    ].managed_identity


def test_search_sku_is_a_replacement_but_counts_are_not(stack: str) -> None:
    service = rendered_stack(stack).one(SEARCH)
    assert service.replace_on_changes == ("sku",)
    assert service.delete_before_replace
    assert not {"replicaCount", "partitionCount"} & set(service.replace_on_changes)


def test_openai_account_inputs(stack: str) -> None:
    account = rendered_stack(stack).one(ACCOUNT, "openai")
    name = account.inputs["accountName"]
    assert account.inputs["kind"] == raw(stack, "openai", {}).get("kind", "OpenAI")
    assert account.inputs["sku"] == {"name": "S0"}
    assert account.inputs["identity"] == {"type": "SystemAssigned"}
    foundry = raw(stack, "openai", {}).get("kind") == "AIServices"
    assert account.inputs["properties"] == {
        "customSubDomainName": name.lower(),
        "disableLocalAuth": True,
        "publicNetworkAccess": public_access(stack),
        **({"allowProjectManagement": True} if foundry else {}),
    }
    assert "properties.customSubDomainName" in account.replace_on_changes


def test_document_intelligence_inputs(stack: str) -> None:
    account = rendered_stack(stack).one(ACCOUNT, "docint")
    assert account.inputs["kind"] == "FormRecognizer"
    assert account.inputs["sku"] == {"name": raw(stack, "documentIntelligence", {}).get("sku", "S0")}
    assert account.inputs["properties"]["customSubDomainName"] == account.inputs["accountName"].lower()
    assert account.inputs["properties"]["disableLocalAuth"] is True


def test_deployments_follow_the_stack_file_one_after_another(stack: str) -> None:
    rendered = rendered_stack(stack)
    expected = raw(stack, "openai", {}).get("deployments", [])
    deployments = rendered.of_type(DEPLOYMENT)
    by_name = {d.inputs["deploymentName"]: d for d in deployments}
    assert [d["name"] for d in expected] == [d.inputs["deploymentName"] for d in _chain_order(deployments)]
    account = rendered.one(ACCOUNT, "openai")
    for index, spec in enumerate(expected):
        deployment = by_name[spec["name"]]
        previous = [by_name[expected[index - 1]["name"]].urn] if index else []
        assert [u for u in deployment.depends_on if u in {x.urn for x in deployments}] == previous
        assert account.urn in deployment.dependencies
        assert deployment.inputs["accountName"] == account.inputs["accountName"]
        assert deployment.inputs["properties"]["model"] == {
            "format": "OpenAI",
            "name": spec["model"],
            "version": str(spec["version"]),
        }
        assert deployment.inputs["sku"] == {"name": spec["sku"], "capacity": spec["capacity"]}
        assert deployment.inputs["properties"]["versionUpgradeOption"] == spec.get(
            "versionUpgradeOption", "OnceNewDefaultVersionAvailable"
        )
        assert deployment.inputs["properties"].get("raiPolicyName") == spec.get("raiPolicy")
        assert "sku" not in deployment.replace_on_changes


def _chain_order(deployments: list[RenderedResource]) -> list[RenderedResource]:
    """Walk the depends_on chain from the deployment that depends on no sibling."""
    urns = {d.urn for d in deployments}
    if not urns:
        return []
    following = {u: d for d in deployments for u in d.depends_on if u in urns}
    current = next(d for d in deployments if not urns & set(d.depends_on))
    order = [current]
    while current.urn in following:
        current = following[current.urn]
        order.append(current)
    return order


def test_registry_and_workspace(stack: str) -> None:
    rendered, settings = rendered_stack(stack), stack_settings(stack)
    registry = rendered.one(REGISTRY)
    assert registry.inputs["adminUserEnabled"] is False
    assert registry.inputs["sku"] == {"name": raw(stack, "registry", {}).get("sku", settings.registry.sku)}
    workspace = rendered.one(WORKSPACE)
    assert workspace.inputs["sku"] == {"name": "PerGB2018"}
    assert workspace.inputs["retentionInDays"] == settings.log_retention_days


def test_environment_ships_logs_to_the_workspace_with_a_secret_key(stack: str) -> None:
    rendered = rendered_stack(stack)
    environment, workspace = rendered.one(ENVIRONMENT), rendered.one(WORKSPACE)
    logs = environment.inputs["appLogsConfiguration"]
    assert logs["destination"] == "log-analytics"
    assert logs["logAnalyticsConfiguration"]["customerId"] == workspace.outputs["customerId"]
    assert logs["logAnalyticsConfiguration"]["sharedKey"].startswith("mock-primary-")
    assert "appLogsConfiguration" in environment.secret_inputs


def test_app_pulls_with_the_user_assigned_identity(stack: str) -> None:
    rendered = rendered_stack(stack)
    app, identity, registry = rendered.one(APP), rendered.one(UAMI), rendered.one(REGISTRY)
    assert app.inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity.id]}
    assert app.inputs["configuration"]["registries"] == [
        {"server": registry.outputs["loginServer"], "identity": identity.id}
    ]
    assert registry.outputs["loginServer"] == f"{registry.inputs['registryName'].lower()}.azurecr.io"
    assert app.inputs["managedEnvironmentId"] == rendered.one(ENVIRONMENT).id


def test_app_configuration_matches_the_stack_file(stack: str) -> None:
    app_cfg = raw(stack, "app", {})
    settings = stack_settings(stack).app
    app = rendered_stack(stack).one(APP)
    config, template = app.inputs["configuration"], app.inputs["template"]
    assert config["activeRevisionsMode"] == "Single"
    assert config["ingress"]["external"] is app_cfg.get("external", True)
    assert config["ingress"]["targetPort"] == app_cfg.get("targetPort", 80)
    assert "secrets" not in config
    assert template["scale"] == {"minReplicas": app_cfg["minReplicas"], "maxReplicas": app_cfg["maxReplicas"]}
    (container,) = template["containers"]
    assert container["image"] == app_cfg.get("image", BOOTSTRAP_IMAGE)
    pinned = "image" in app_cfg
    assert ("template.containers[0].image" in app.ignore_changes) is not pinned
    assert container["resources"] == {"cpu": settings.cpu, "memory": settings.memory}
    assert all("secretRef" not in var for var in container["env"])


def test_app_environment_variables(stack: str) -> None:
    rendered = rendered_stack(stack)
    (container,) = rendered.one(APP).inputs["template"]["containers"]
    env = {var["name"]: var["value"] for var in container["env"]}
    outputs = rendered.outputs
    assert env["AZURE_CLIENT_ID"] == rendered.one(UAMI).outputs["clientId"] == outputs["identityClientId"]
    assert env["AZURE_OPENAI_ENDPOINT"] == outputs["openaiEndpoint"]
    assert env["AZURE_OPENAI_ENDPOINT"] == f"https://{outputs['openaiName']}.openai.azure.com/"
    assert env["AZURE_SEARCH_ENDPOINT"] == f"https://{outputs['searchName']}.search.windows.net"
    assert env["AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT"] == outputs["documentIntelligenceEndpoint"]
    names = [d["name"] for d in raw(stack, "openai", {}).get("deployments", [])]
    assert json.loads(env["AZURE_OPENAI_DEPLOYMENTS"]) == names
    assert env["RAGSTACK_ENVIRONMENT"] == stack_settings(stack).environment
    for key, value in raw(stack, "app", {}).get("env", {}).items():
        assert env[key] == value


def test_acr_pull_exists_before_the_app(stack: str) -> None:
    rendered = rendered_stack(stack)
    app, identity, registry = rendered.one(APP), rendered.one(UAMI), rendered.one(REGISTRY)
    (acr_pull,) = [
        r
        for r in rendered.of_type(ROLE)
        if r.inputs["principalId"] == identity.outputs["principalId"]
        and r.inputs["roleDefinitionId"].endswith(role_guid("AcrPull"))
    ]
    assert acr_pull.inputs["scope"] == registry.id
    assert acr_pull.urn in app.depends_on
    assert rendered.resources.index(acr_pull) < rendered.resources.index(app)


def _resource_ids(rendered: Rendered) -> set[str]:
    kinds = {SEARCH, ACCOUNT, REGISTRY, APP, PROJECT, ML_WORKSPACE, STORAGE, VAULT, INSIGHTS}
    return {r.id for r in rendered.custom_resources if r.type in kinds and r.id}


def test_role_assignments_are_scoped_to_resources(stack: str) -> None:
    rendered = rendered_stack(stack)
    resource_ids = _resource_ids(rendered)
    group_id = rendered.one(RG).id
    assignments = rendered.of_type(ROLE)
    assert assignments
    for assignment in assignments:
        scope = assignment.inputs["scope"]
        assert scope in resource_ids
        assert scope not in {group_id, f"/subscriptions/{subscription(stack)}"}
        assert assignment.inputs["principalType"] in {"User", "Group", "ServicePrincipal"}


def test_role_assignment_names_and_definitions_are_deterministic(stack: str) -> None:
    for assignment in rendered_stack(stack).of_type(ROLE):
        guid = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        assert assignment.inputs["roleDefinitionId"] == (
            f"/subscriptions/{subscription(stack)}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        )
        expected = access.assignment_name(assignment.inputs["scope"], assignment.inputs["principalId"], guid)
        assert assignment.inputs["roleAssignmentName"] == expected


def test_managed_identities_are_service_principals(stack: str) -> None:
    rendered = rendered_stack(stack)
    managed = {rendered.one(UAMI).outputs["principalId"], rendered.outputs["searchPrincipalId"]}
    for assignment in rendered.of_type(ROLE):
        if assignment.inputs["principalId"] in managed:
            assert assignment.inputs["principalType"] == "ServicePrincipal"


def test_role_matrix_output_matches_presets(stack: str) -> None:
    rendered, settings = rendered_stack(stack), stack_settings(stack)
    outputs = rendered.outputs
    present = access.environment_resources(settings)
    names = environment_names(settings, subscription(stack))
    scopes = access.resource_scopes(subscription(stack), names, present)
    expected = _matrix_rows("app", outputs["identityPrincipalId"], "ServicePrincipal", scopes, present)
    if SEARCH_TIERS[settings.search.sku].managed_identity:
        expected += _matrix_rows("search", outputs["searchPrincipalId"], "ServicePrincipal", scopes, present)
    if settings.has_foundry_project:
        principal = outputs["foundryProjectPrincipalId"]
        expected += _matrix_rows("project", principal, "ServicePrincipal", scopes, present)
    if settings.ml.enabled:
        expected += _matrix_rows("ml", outputs["mlWorkspacePrincipalId"], "ServicePrincipal", scopes, present)
    for grant in raw(stack, "access", []):
        expected += _matrix_rows(
            grant["preset"], grant["principalId"], grant["principalType"], scopes, present
        )
    assert sorted(map(_key, outputs["roleAssignments"])) == sorted(map(_key, expected))
    assert len(rendered.of_type(ROLE)) == len(expected)


def _matrix_rows(
    preset: str, principal: str, principal_type: str, scopes: dict[str, str], present: frozenset[str]
) -> list[dict]:
    return [
        {
            "principal": principal,
            "principalType": principal_type,
            "preset": preset,
            "role": grant.role,
            "resource": grant.resource,
            "scope": scopes[grant.resource],
        }
        for grant in ROLE_PRESETS[preset].grants
        if grant.resource in present
    ]


def _key(row: dict) -> tuple:
    return tuple(sorted(row.items()))


def test_names_are_stable_across_renders(stack: str) -> None:
    """Two independent runs (direct, and through __main__) agree on every URN, name and output."""
    first, again = rendered_stack(stack), rendered_via_main(stack)
    assert first is not again and again.resources
    assert {r.urn for r in again.resources} == {r.urn for r in first.resources}
    names = sorted(r.inputs["roleAssignmentName"] for r in first.of_type(ROLE))
    assert names == sorted(r.inputs["roleAssignmentName"] for r in again.of_type(ROLE))
    assert again.outputs == first.outputs


def _taggable(type_token: str) -> bool:
    """Whether the SDK resource accepts `tags` (read from the installed provider SDK)."""
    _, module, name = type_token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_every_taggable_resource_is_tagged(stack: str) -> None:
    rendered, settings = rendered_stack(stack), stack_settings(stack)
    expected = {**raw(stack, "tags", {}), "project": "ragstack", "environment": settings.environment}
    expected["managed-by"] = "ragstack"
    expected["profile"] = settings.profile
    assert environment_tags(settings) == expected
    taggable = [r for r in rendered.custom_resources if _taggable(r.type)]
    untagged = {ROLE, "azure-native:network:Subnet", "azure-native:network:PrivateDnsZoneGroup"}
    assert {r.type for r in taggable} == {r.type for r in rendered.custom_resources} - untagged
    for resource in taggable:
        assert resource.inputs.get("tags") == expected, resource.name


def test_stateful_resources_are_protected_as_the_stack_says(stack: str) -> None:
    rendered, protect = rendered_stack(stack), stack_settings(stack).protect
    for resource in rendered.custom_resources:
        assert resource.protect is (protect and resource.type in STATEFUL), resource.name


@pytest.mark.parametrize(("stack_name", "protected"), [("prod", True), ("dev", False)])
def test_prod_is_protected_and_dev_is_not(stack_name: str, protected: bool) -> None:
    rendered = rendered_stack(stack_name)
    stateful = [r for r in rendered.custom_resources if r.type in STATEFUL]
    # group, logs, search, two accounts, registry, the project; prod adds the ML workspace, storage, vault
    assert len(stateful) == {"dev": 7, "prod": 10}[stack_name]
    assert all(r.protect is protected for r in stateful)


def test_every_resource_sits_in_a_component(stack: str) -> None:
    rendered = rendered_stack(stack)
    components = {r.urn: r for r in rendered.resources if not r.custom}
    assert all(
        c.type.startswith("ragstack:azure:") and c.parent == rendered.stack_urn for c in components.values()
    )
    for resource in rendered.custom_resources:
        assert resource.parent in components, resource.name


def test_stack_outputs(stack: str) -> None:
    rendered = rendered_stack(stack)
    outputs = rendered.outputs
    assert outputs["resourceGroupId"] == rendered.one(RG).id
    assert outputs["searchId"] == rendered.one(SEARCH).id
    assert outputs["openaiId"] == rendered.one(ACCOUNT, "openai").id
    assert outputs["documentIntelligenceId"] == rendered.one(ACCOUNT, "docint").id
    assert outputs["registryLoginServer"] == rendered.one(REGISTRY).outputs["loginServer"]
    assert outputs["logAnalyticsId"] == rendered.one(WORKSPACE).id
    assert outputs["containerAppsEnvironmentId"] == rendered.one(ENVIRONMENT).id
    assert outputs["containerAppId"] == rendered.one(APP).id
    assert outputs["identityPrincipalId"] == rendered.one(UAMI).outputs["principalId"]
    fqdn = rendered.one(APP).outputs["configuration"]["ingress"]["fqdn"]
    assert outputs["appUrl"] == f"https://{fqdn}"
    assert outputs["openaiDeployments"] == [
        d["name"] for d in raw(stack, "openai", {}).get("deployments", [])
    ]
    assert not any("sharedKey" in key or key[-3:] == "Key" for key in outputs)


def test_ephemeral_environments_carry_expiry_tags() -> None:
    import datetime as dt

    from tests.infra.conftest import settings_for

    settings = settings_for(
        environment="pr-42", ephemeral=True, expiresAt="2030-01-02T03:04:05+02:00", tags={"t": "1"}
    )
    rendered = render(settings, subscription_id=SUBSCRIPTION)
    expected = {
        "t": "1",
        "project": "ragstack",
        "environment": "pr-42",
        "managed-by": "ragstack",
        "profile": settings.profile,
        "ephemeral": "true",
        "expires-at": "2030-01-02T01:04:05Z",
    }
    assert all(r.inputs["tags"] == expected for r in rendered.custom_resources if r.type != ROLE)
    naive = settings.model_copy(update={"expires_at": dt.datetime(2030, 1, 2)})
    assert environment_tags(naive)["expires-at"] == "2030-01-02T00:00:00Z"
