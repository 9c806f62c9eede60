"""StackSettings: shape and types from a stack file's config mapping, with one-line errors."""

from __future__ import annotations

import datetime as dt

import pytest

from infra.settings import SettingsError, StackSettings
from tests.infra.conftest import settings_for


def test_minimal_config_gets_profile_defaults_and_stack_names() -> None:
    settings = StackSettings.from_config({"azure-native:location": "westeurope"}, stack="qa")
    assert (settings.stack, settings.environment, settings.location) == ("qa", "qa", "westeurope")
    assert settings.profile == "dev" and settings.search.sku == "basic"


def test_own_location_wins_over_the_provider_location() -> None:
    config = {"azure-native:location": "westeurope", "ragstack:location": "eastus2"}
    assert StackSettings.from_config(config, stack="qa").location == "eastus2"


def test_other_namespaces_are_ignored() -> None:
    config = {"ragstack:location": "eastus2", "pulumi:tags": {"a": "b"}, "azure-native:useOidc": "true"}
    assert StackSettings.from_config(config, stack="qa").tags == {}


@pytest.mark.parametrize(
    ("config", "key", "value", "problem"),
    [
        ({"ragstack:colour": "red"}, "ragstack:colour", "red", "unknown key; allowed: access, app,"),
        ({"ragstack:search": {"size": 1}}, "ragstack:search.size", 1, "unknown key; allowed: hostingMode,"),
        (
            {"ragstack:openai": {"deployments": [{"name": "a", "model": "m", "version": "1", "x": 1}]}},
            "ragstack:openai.deployments[0].x",
            1,
            "unknown key; allowed: capacity, format, model, name, raiPolicy,",
        ),
        (
            {"ragstack:search": {"replicas": "two"}},
            "ragstack:search.replicas",
            "two",
            "Input should be a valid",
        ),
        ({"ragstack:search": {"sku": "premium"}}, "ragstack:search.sku", "premium", "must be one of 'free',"),
        ({"ragstack:app": {"targetPort": 0}}, "ragstack:app.targetPort", 0, "Input should be greater than"),
        ({"ragstack:tags": ["a"]}, "ragstack:tags", ["a"], "Input should be a valid dictionary"),
        (
            {"ragstack:profile": "staging"},
            "ragstack:profile",
            "staging",
            "must be one of 'free', 'dev' or 'prod'",
        ),
        (
            {"ragstack:access": [{"principalId": "x", "preset": "reader"}]},
            "ragstack:access[0].principalType",
            None,
            "is required",
        ),
    ],
)
def test_shape_errors_name_the_key(config: dict, key: str, value: object, problem: str) -> None:
    with pytest.raises(SettingsError) as failure:
        StackSettings.from_config({"ragstack:location": "eastus2", **config}, stack="qa")
    assert (failure.value.key, failure.value.value) == (key, value)
    assert failure.value.problem.startswith(problem)
    assert str(failure.value) == f"{key} = {value!r}: {failure.value.problem}"


def test_location_is_required() -> None:
    with pytest.raises(SettingsError, match=r"^ragstack:location = None: is required$"):
        StackSettings.from_config({}, stack="qa")


def test_unquoted_yaml_dates_become_version_text() -> None:
    deployment = {"name": "chat", "model": "gpt-4o", "version": dt.date(2024, 11, 20)}
    settings = settings_for(openai={"deployments": [deployment]})
    assert settings.openai.deployments[0].version == "2024-11-20"
    assert settings.openai.deployments[0].quota_name == "OpenAI.GlobalStandard.gpt-4o"


def test_public_network_access_is_case_insensitive_for_search() -> None:
    assert settings_for(search={"publicNetworkAccess": "Disabled"}).search.public_network_access == "disabled"


def test_error_source_prefixes_the_file() -> None:
    error = SettingsError("ragstack:x", 1, "bad").with_source("Pulumi.dev.yaml")
    assert str(error) == "Pulumi.dev.yaml: ragstack:x = 1: bad"


def test_config_keys_are_camel_case_and_hide_stack() -> None:
    keys = StackSettings.config_keys()
    assert "ragstack:logRetentionDays" in keys and "ragstack:documentIntelligence" in keys
    assert "ragstack:stack" not in keys


def test_subscription_from_settings_then_environment() -> None:
    settings = StackSettings(stack="s", environment="s", location="eastus2")
    assert (
        settings.resolved_subscription_id({"AZURE_SUBSCRIPTION_ID": "b", "ARM_SUBSCRIPTION_ID": "a"}) == "a"
    )
    assert settings.resolved_subscription_id({}) is None
    assert settings.model_copy(update={"subscription_id": "c"}).resolved_subscription_id({}) == "c"
