"""The role matrix as data: presets, resource scopes and deterministic assignment names."""

from __future__ import annotations

import uuid

import pytest

from infra import access
from infra.catalog.roles import (
    BUILTIN_ROLES,
    INTERNAL_PRESETS,
    RESOURCE_KEYS,
    ROLE_PRESETS,
    role_guid,
)
from infra.catalog.roles import (
    CORE_RESOURCE_KEYS as CORE,
)
from infra.naming import environment_names
from infra.settings import AccessGrant
from tests.infra.conftest import SUBSCRIPTION, settings_for

PRINCIPAL = "11111111-2222-4333-8444-555555555555"


def test_assignment_name_is_a_guid_stable_and_case_insensitive() -> None:
    scope = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Search/searchServices/s"
    name = access.assignment_name(scope, PRINCIPAL, role_guid("AcrPull"))
    assert uuid.UUID(name).version == 5
    assert name == access.assignment_name(scope.upper(), PRINCIPAL.upper(), role_guid("AcrPull").upper())
    assert name != access.assignment_name(scope, PRINCIPAL, role_guid("AcrPush"))
    assert name != access.assignment_name(scope + "2", PRINCIPAL, role_guid("AcrPull"))
    assert name != access.assignment_name(scope, str(uuid.uuid4()), role_guid("AcrPull"))


def test_resource_scopes_are_resource_ids_inside_the_group() -> None:
    names = environment_names(settings_for(), SUBSCRIPTION)
    scopes = access.resource_scopes(SUBSCRIPTION, names, RESOURCE_KEYS)
    group = access.resource_group_id(SUBSCRIPTION, names.resource_group)
    assert set(scopes) == set(RESOURCE_KEYS)
    assert set(access.resource_scopes(SUBSCRIPTION, names)) == set(CORE)
    assert scopes["registry"] == f"{group}/providers/Microsoft.ContainerRegistry/registries/{names.registry}"
    assert all(scope.startswith(group + "/providers/") for scope in scopes.values())


@pytest.mark.parametrize("preset", sorted(ROLE_PRESETS))
def test_presets_use_known_roles_on_known_resources(preset: str) -> None:
    bindings = access.preset_bindings(preset, PRINCIPAL, "User", RESOURCE_KEYS)
    assert bindings and len({(b.role, b.resource) for b in bindings}) == len(bindings)
    for binding in bindings:
        assert binding.role in BUILTIN_ROLES and binding.resource in RESOURCE_KEYS
        assert binding.role_definition_id(SUBSCRIPTION).endswith(f"/roleDefinitions/{binding.role_guid}")


def test_no_preset_grants_owner_like_roles() -> None:
    powerful = {"Owner", "Contributor", "User Access Administrator"}
    assert not powerful & {g.role for p in ROLE_PRESETS.values() for g in p.grants if p.name != "ml"}


def test_ml_identity_gets_contributor_only_on_its_own_resources() -> None:
    """Azure ML needs control-plane Contributor on its storage, vault and insights (MicrosoftDocs/
    azure-docs how-to-identity-based-service-authentication.md); never on the group or the workspace."""
    contributor = {g.resource for g in ROLE_PRESETS["ml"].grants if g.role == "Contributor"}
    assert contributor == {"storage", "key_vault", "app_insights"}


def test_app_preset_lets_the_app_pull_and_call_its_services() -> None:
    grants = {(g.role, g.resource) for g in ROLE_PRESETS["app"].grants}
    assert ("AcrPull", "registry") in grants and ("Cognitive Services OpenAI User", "openai") in grants
    assert {"app", "search", "project", "ml"} == INTERNAL_PRESETS


def test_optional_resources_are_granted_only_when_declared() -> None:
    plain = settings_for(profile="free")
    foundry = settings_for(profile="dev")
    with_ml = settings_for(profile="dev", ml={"enabled": True})
    assert access.environment_resources(plain) == frozenset(CORE)
    assert access.environment_resources(foundry) == frozenset(CORE) | {"foundry_project"}
    assert access.environment_resources(with_ml) == frozenset(RESOURCE_KEYS)
    developer = access.preset_bindings("developer", PRINCIPAL, "User", access.environment_resources(foundry))
    assert ("Azure AI User", "foundry_project") in {(b.role, b.resource) for b in developer}
    assert not {b.resource for b in developer} & {"ml_workspace", "storage"}


def test_project_scope_is_a_child_of_the_account() -> None:
    names = environment_names(settings_for(profile="dev"), SUBSCRIPTION)
    scopes = access.resource_scopes(SUBSCRIPTION, names, RESOURCE_KEYS)
    assert scopes["foundry_project"] == f"{scopes['openai']}/projects/{names.foundry_project}"


def test_operator_bindings_expand_every_grant() -> None:
    grants = [
        AccessGrant(principal_id=PRINCIPAL, principal_type="User", preset="developer"),
        AccessGrant(principal_id=PRINCIPAL, principal_type="User", preset="ingestion"),
    ]
    bindings = access.operator_bindings(grants)
    expected = [g for p in ("developer", "ingestion") for g in ROLE_PRESETS[p].grants if g.resource in CORE]
    assert len(bindings) == len(expected)
    scopes = access.resource_scopes(SUBSCRIPTION, environment_names(settings_for(), SUBSCRIPTION))
    first = bindings[0]
    assert first.assignment_name(scopes) == access.assignment_name(
        first.scope(scopes), PRINCIPAL, first.role_guid
    )
