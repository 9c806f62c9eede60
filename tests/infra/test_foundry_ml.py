"""Foundry projects and the optional Azure Machine Learning workspace: settings, rules and the render."""

from __future__ import annotations

import functools
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from infra.access import environment_resources, resource_scopes
from infra.catalog.regions import ML_REGIONS, REGIONS
from infra.catalog.roles import role_guid
from infra.mockrun import Rendered, render
from infra.naming import environment_names
from infra.settings import SettingsError
from tests.infra.conftest import SUBSCRIPTION, settings_for

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
PROJECT = "azure-native:cognitiveservices:Project"
ML = "azure-native:machinelearningservices:Workspace"
STORAGE = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
INSIGHTS = "azure-native:applicationinsights:Component"
LOGS = "azure-native:operationalinsights:Workspace"
ROLE = "azure-native:authorization:RoleAssignment"
DEVELOPER = "11111111-2222-4333-8444-555555555555"
DEPLOYMENTS = [
    {"name": "chat", "model": "gpt-4o-mini", "version": "2024-07-18", "capacity": 10},
    {"name": "embedding", "model": "text-embedding-3-small", "version": "1", "sku": "Standard"},
]
PROJECT_NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}")


def error(**config: object) -> SettingsError:
    with pytest.raises(SettingsError) as raised:
        settings_for(**config)
    return raised.value


# --- settings and bad input ------------------------------------------------------------------


def test_dev_and_prod_profiles_default_to_a_foundry_account_with_a_project() -> None:
    for profile in ("dev", "prod"):
        settings = settings_for(profile=profile)
        assert settings.openai.kind == "AIServices" and settings.has_foundry_project
    assert not settings_for(profile="free").has_foundry_project


def test_an_existing_openai_kind_stack_keeps_working_without_a_project() -> None:
    settings = settings_for(profile="dev", openai={"kind": "OpenAI"})
    assert settings.openai.kind == "OpenAI" and not settings.has_foundry_project


def test_a_project_on_an_openai_kind_account_is_one_line_naming_key_value_and_allowed() -> None:
    problem = error(openai={"kind": "OpenAI"}, foundry={"project": {"name": "proj-x"}})
    assert problem.key == "ragstack:foundry.project" and problem.value == "proj-x"
    assert "needs ragstack:openai.kind 'AIServices'" in problem.one_line()
    assert "\n" not in problem.one_line()


def test_project_can_be_switched_off_on_a_foundry_account() -> None:
    assert not settings_for(profile="dev", foundry={"project": None}).has_foundry_project


@pytest.mark.parametrize("name", ["-proj", ".proj", "p", "proj dev", "proj/dev", "x" * 65, "prój"])
def test_bad_project_names_are_refused_on_their_own_key(name: str) -> None:
    problem = error(profile="dev", foundry={"project": {"name": name}})
    assert problem.key == "ragstack:foundry.project.name" and problem.value == name
    assert "must be" in problem.problem


@given(st.text(alphabet="abcXYZ019_.- /", min_size=1, max_size=70))
def test_project_name_rule_matches_the_arm_pattern(name: str) -> None:
    """bicep-types-az 2025-06-01 accounts/projects: 2-64 chars, ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$.
    Settings strip surrounding whitespace first, as for every other value."""
    name = name.strip()
    assume(name)
    valid = PROJECT_NAME_RULE.fullmatch(name) is not None
    try:
        settings = settings_for(profile="dev", foundry={"project": {"name": name}})
    except SettingsError as problem:
        assert not valid and problem.key == "ragstack:foundry.project.name"
    else:
        assert valid and environment_names(settings).foundry_project == name


@pytest.mark.parametrize("location", sorted(REGIONS - ML_REGIONS))
def test_ml_on_a_region_without_the_service_is_refused(location: str) -> None:
    problem = error(profile="dev", location=location, ml={"enabled": True})
    assert problem.key == "ragstack:ml.enabled" and problem.value is True
    assert f"not offered in '{location}'" in problem.problem and "eastus2" in problem.problem


def test_ml_is_off_by_default_even_where_offered() -> None:
    assert not settings_for(profile="prod").ml.enabled


def test_purge_protection_on_an_ephemeral_stack_is_refused() -> None:
    problem = error(ephemeral=True, ml={"enabled": True, "purgeProtection": True})
    assert problem.key == "ragstack:ml.purgeProtection" and "ephemeral" in problem.problem


@given(st.integers(min_value=-5, max_value=120))
def test_vault_retention_is_7_to_90_days(days: int) -> None:
    try:
        settings = settings_for(ml={"softDeleteRetentionDays": days})
    except SettingsError as problem:
        assert not 7 <= days <= 90 and problem.key == "ragstack:ml.softDeleteRetentionDays"
    else:
        assert 7 <= days <= 90 and settings.ml.soft_delete_retention_days == days


def test_prod_profile_protects_the_vault_from_purge() -> None:
    assert settings_for(profile="prod").ml.purge_protection
    assert not settings_for(profile="dev").ml.purge_protection


@given(
    st.from_regex(r"[a-z][a-z0-9]{0,9}(-[a-z0-9]{1,4}){0,2}", fullmatch=True).filter(lambda e: len(e) >= 2)
)
def test_derived_ml_names_always_satisfy_their_rules(environment: str) -> None:
    settings = settings_for(environment=environment[:20].rstrip("-"), ml={"enabled": True})
    names = environment_names(settings, SUBSCRIPTION)
    assert len(names.storage) <= 24 and names.storage.isalnum() and names.storage.islower()
    assert len(names.key_vault) <= 24 and "--" not in names.key_vault


# --- the render --------------------------------------------------------------------------------


@functools.cache
def foundry_stack() -> Rendered:
    settings = settings_for(
        environment="fdry",
        profile="dev",
        openai={"deployments": DEPLOYMENTS},
        foundry={"project": {"displayName": "RAG", "description": "the project"}},
        access=[{"principalId": DEVELOPER, "principalType": "User", "preset": "developer"}],
    )
    return render(settings, subscription_id=SUBSCRIPTION)


@functools.cache
def ml_stack() -> Rendered:
    settings = settings_for(
        environment="mlx",
        profile="prod",
        location="swedencentral",
        ml={"enabled": True},
        access=[{"principalId": DEVELOPER, "principalType": "User", "preset": "developer"}],
    )
    return render(settings, subscription_id=SUBSCRIPTION)


def _assignments(rendered: Rendered, scope: str) -> set[tuple[str, str]]:
    return {
        (r.inputs["principalId"], r.inputs["roleDefinitionId"].rsplit("/", 1)[-1])
        for r in rendered.of_type(ROLE)
        if r.inputs["scope"] == scope
    }


def test_foundry_account_has_project_management_subdomain_no_keys_and_identity() -> None:
    account = foundry_stack().one(ACCOUNT, "openai")
    assert account.inputs["kind"] == "AIServices"
    assert account.inputs["identity"] == {"type": "SystemAssigned"}
    properties = account.inputs["properties"]
    assert properties["allowProjectManagement"] is True and properties["disableLocalAuth"] is True
    assert properties["customSubDomainName"] == account.inputs["accountName"]


def test_project_is_a_child_of_the_account_with_identity_and_settings() -> None:
    rendered = foundry_stack()
    project, account = rendered.one(PROJECT), rendered.one(ACCOUNT, "openai")
    assert project.inputs["accountName"] == account.inputs["accountName"]
    assert project.inputs["projectName"] == "proj-fdry"
    assert project.inputs["identity"] == {"type": "SystemAssigned"}
    assert project.inputs["properties"] == {"displayName": "RAG", "description": "the project"}
    assert project.id == f"{account.id}/projects/proj-fdry"


def test_project_waits_for_the_last_deployment_so_account_writes_stay_serial() -> None:
    rendered = foundry_stack()
    project = rendered.one(PROJECT)
    last = next(d for d in rendered.of_type(DEPLOYMENT) if d.inputs["deploymentName"] == "embedding")
    assert last.urn in project.depends_on


def test_outputs_add_the_project_and_openai_v1_endpoints() -> None:
    rendered = foundry_stack()
    account = rendered.one(ACCOUNT, "openai").inputs["accountName"]
    outputs = rendered.outputs
    assert (
        outputs["foundryProjectEndpoint"] == f"https://{account}.services.ai.azure.com/api/projects/proj-fdry"
    )
    assert outputs["openaiV1Endpoint"] == f"https://{account}.openai.azure.com/openai/v1/"
    assert outputs["foundryProjectPrincipalId"]
    env = {
        e["name"]: e["value"]
        for e in rendered.one("azure-native:app:ContainerApp").inputs["template"]["containers"][0]["env"]
    }
    assert env["AZURE_AI_PROJECT_ENDPOINT"] == outputs["foundryProjectEndpoint"]


def test_app_and_developer_get_azure_ai_user_on_the_project_and_the_project_on_the_account() -> None:
    rendered = foundry_stack()
    project, account = rendered.one(PROJECT), rendered.one(ACCOUNT, "openai")
    ai_user = role_guid("Azure AI User")
    assert ai_user == "53ca6127-db72-4b80-b1b0-d745d6d5456d"
    on_project = _assignments(rendered, project.id)
    assert on_project == {
        (rendered.outputs["identityPrincipalId"], ai_user),
        (DEVELOPER, ai_user),
    }
    assert (rendered.outputs["foundryProjectPrincipalId"], ai_user) in _assignments(rendered, account.id)


def test_openai_kind_has_no_project_no_project_grants_and_no_project_outputs() -> None:
    settings = settings_for(environment="classic", profile="dev", openai={"kind": "OpenAI"})
    rendered = render(settings, subscription_id=SUBSCRIPTION)
    assert not rendered.of_type(PROJECT)
    assert "allowProjectManagement" not in rendered.one(ACCOUNT, "openai").inputs["properties"]
    assert "foundryProjectEndpoint" not in rendered.outputs and rendered.outputs["openaiV1Endpoint"]
    assert "/projects/" not in str([r.inputs["scope"] for r in rendered.of_type(ROLE)])


def test_ml_workspace_sits_on_its_storage_vault_and_insights() -> None:
    rendered = ml_stack()
    workspace = rendered.one(ML)
    storage, vault, insights = rendered.one(STORAGE), rendered.one(VAULT), rendered.one(INSIGHTS)
    assert workspace.inputs["kind"] == "Default"
    assert workspace.inputs["identity"] == {"type": "SystemAssigned"}
    assert workspace.inputs["storageAccount"] == storage.id
    assert workspace.inputs["keyVault"] == vault.id
    assert workspace.inputs["applicationInsights"] == insights.id
    assert workspace.inputs["systemDatastoresAuthMode"] == "identity"
    assert insights.inputs["workspaceResourceId"] == rendered.one(LOGS).id


def test_ml_storage_is_keyless_private_and_tls12() -> None:
    storage = ml_stack().one(STORAGE).inputs
    assert storage["allowSharedKeyAccess"] is False and storage["allowBlobPublicAccess"] is False
    assert storage["minimumTlsVersion"] == "TLS1_2"


def test_ml_vault_uses_rbac_soft_delete_and_prod_purge_protection() -> None:
    properties = ml_stack().one(VAULT).inputs["properties"]
    assert properties["enableRbacAuthorization"] is True and properties["enableSoftDelete"] is True
    assert properties["enablePurgeProtection"] is True and properties["softDeleteRetentionInDays"] == 90
    dev = render(settings_for(environment="mldev", ml={"enabled": True}), subscription_id=SUBSCRIPTION)
    assert "enablePurgeProtection" not in dev.one(VAULT).inputs["properties"]


def test_ml_names_follow_the_naming_rules() -> None:
    rendered = ml_stack()
    names = environment_names(
        settings_for(environment="mlx", profile="prod", location="swedencentral"), SUBSCRIPTION
    )
    assert rendered.one(ML).inputs["workspaceName"] == names.ml_workspace == "mlw-mlx"
    assert rendered.one(STORAGE).inputs["accountName"] == names.storage
    assert rendered.one(VAULT).inputs["vaultName"] == names.key_vault
    assert rendered.one(INSIGHTS).inputs["resourceName"] == names.app_insights


def test_workspace_identity_and_developer_grants_on_the_ml_resources() -> None:
    rendered = ml_stack()
    workspace = rendered.outputs["mlWorkspacePrincipalId"]
    storage, vault = rendered.one(STORAGE).id, rendered.one(VAULT).id
    assert _assignments(rendered, storage) >= {
        (workspace, role_guid("Contributor")),
        (workspace, role_guid("Storage Blob Data Contributor")),
        (DEVELOPER, role_guid("Storage Blob Data Contributor")),
    }
    assert _assignments(rendered, vault) == {
        (workspace, role_guid("Contributor")),
        (workspace, role_guid("Key Vault Administrator")),
    }
    assert _assignments(rendered, rendered.one(ML).id) == {(DEVELOPER, role_guid("AzureML Data Scientist"))}


def test_stateful_ml_resources_are_protected_on_prod() -> None:
    rendered = ml_stack()
    assert all(rendered.one(t).protect for t in (ML, STORAGE, VAULT, PROJECT))


def test_role_matrix_scopes_match_the_offline_scopes() -> None:
    rendered = ml_stack()
    settings = settings_for(environment="mlx", profile="prod", location="swedencentral", ml={"enabled": True})
    scopes = resource_scopes(
        SUBSCRIPTION, environment_names(settings, SUBSCRIPTION), environment_resources(settings)
    )
    for row in rendered.outputs["roleAssignments"]:
        assert row["scope"] == scopes[row["resource"]]
