"""Deterministic names and the Azure name rules of every resource kind."""

from __future__ import annotations

import pytest

from infra import naming
from infra.naming import NAME_RULES, environment_names, name_problem, resource_token
from tests.infra.conftest import SUBSCRIPTION, settings_for

VALID = {
    "resource_group": ["a", "rg-x_(1).y", "x" * 90],
    "search": ["ab", "srch-dev-1", "a1-b", "x" * 60],
    "openai": ["ab", "oai-dev-1", "x" * 64],
    "document_intelligence": ["ab", "di-dev-1", "x" * 64],
    "registry": ["crdev1", "CrDev1", "x" * 50],
    "log_analytics": ["logs", "Log-Dev-1", "x" * 63],
    "container_apps_environment": ["ab", "cae-dev", "x" * 60],
    "container_app": ["ab", "ca-dev-1", "x" * 32],
    "identity": ["id1", "id-dev_app", "x" * 128],
    "foundry_project": ["ab", "proj-dev", "Proj_1.a", "x" * 64],
    "ml_workspace": ["mlw", "mlw-dev_1", "X" * 33],
    "storage": ["st1", "stdev1abc", "x" * 24],
    "key_vault": ["kv1", "kv-dev-1", "Kv" + "x" * 22],
    "app_insights": ["a", "appi-dev (1)", "x" * 260],
}
INVALID = {
    "resource_group": ["", "ends.", "bad/slash", "x" * 91],
    "search": ["a", "-ab", "a-b-", "ab--c", "Upper", "x" * 61],
    "openai": ["a", "-ab", "ab-", "a_b", "Upper", "x" * 65],
    "document_intelligence": ["a", "-ab", "ab-", "a.b", "x" * 65],
    "registry": ["abcd", "cr-dev", "cr_dev", "x" * 51],
    "log_analytics": ["abc", "-abc", "abc-", "a_bc", "x" * 64],
    "container_apps_environment": ["a", "-ab", "ab-", "a--b", "Upper", "x" * 61],
    "container_app": ["a", "1ab", "ab-", "a--b", "Upper", "x" * 33],
    "identity": ["ab", "-ab", "_ab", "a.b", "x" * 129],
    "foundry_project": ["a", "-ab", ".ab", "a b", "a/b", "x" * 65],
    "ml_workspace": ["ab", "-abc", "a.bc", "x" * 34],
    "storage": ["ab", "st-dev", "Stdev", "x" * 25],
    "key_vault": ["kv", "1kv", "kv-", "kv--a", "kv_a", "x" * 25],
    "app_insights": ["", "a/b", "a?b", "ends.", "ends ", "x" * 261],
}


def test_rules_cover_every_resource_kind() -> None:
    kinds = set(naming.ResourceNames.__dataclass_fields__)
    assert set(NAME_RULES) == kinds == set(VALID) == set(INVALID)


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, names in VALID.items() for n in names])
def test_valid_names(kind: str, name: str) -> None:
    assert name_problem(kind, name) is None


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, names in INVALID.items() for n in names])
def test_invalid_names(kind: str, name: str) -> None:
    problem = name_problem(kind, name)
    assert problem is not None and problem.startswith("must be")


def test_token_is_stable_short_lowercase_and_input_sensitive() -> None:
    token = resource_token(SUBSCRIPTION, "dev", "eastus2")
    assert token == resource_token(SUBSCRIPTION.upper(), "DEV", "EastUS2")
    assert len(token) == naming.TOKEN_LENGTH and token.isalnum() and token == token.lower()
    assert token != resource_token(SUBSCRIPTION, "dev", "westus2")
    assert token != resource_token("00000000-0000-4000-a000-000000000002", "dev", "eastus2")


def test_derived_names_satisfy_every_rule_and_carry_the_token() -> None:
    settings = settings_for(environment="long-environment-x1")
    names = environment_names(settings, SUBSCRIPTION)
    token = resource_token(SUBSCRIPTION, settings.environment, settings.location)
    for kind, name in names.as_dict().items():
        assert name_problem(kind, name) is None, (kind, name)
    for global_name in (names.search, names.openai, names.document_intelligence, names.registry):
        assert global_name.endswith(token)
    assert names.registry == f"crlongenvironmentx1{token}"


def test_overrides_replace_single_names() -> None:
    settings = settings_for(names={"search": "my-search", "resourceGroup": "rg-mine"})
    names = environment_names(settings, SUBSCRIPTION)
    assert (names.search, names.resource_group) == ("my-search", "rg-mine")
    assert names.openai.startswith("oai-test-")


def test_subscription_argument_wins_over_settings() -> None:
    settings = settings_for()
    other = "00000000-0000-4000-a000-000000000009"
    assert environment_names(settings, other).search != environment_names(settings).search
    assert environment_names(settings).search == environment_names(settings, SUBSCRIPTION).search
