"""`infra/__main__.py` as Pulumi runs it: config from the engine, one-line failures, no registrations."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pulumi
import pytest
from pulumi.runtime import MockResourceArgs

from infra import entrypoint
from infra.mockrun import ArmMocks, engine_value, render, render_config
from infra.settings import SearchSettings, SettingsError, StackSettings
from tests.infra.conftest import ROOT, SUBSCRIPTION, rendered_stack, rendered_via_main, stack_file


class CountingMocks(ArmMocks):
    """Default answers, counting every resource the program tries to register."""

    def __init__(self) -> None:
        super().__init__(SUBSCRIPTION)
        self.registered: list[str] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args.name)
        return super().new_resource(args)


def test_main_renders_a_stack_file_like_the_engine_would(stack: str) -> None:
    rendered = rendered_via_main(stack)
    assert rendered.outputs == rendered_stack(stack).outputs
    assert [r.urn for r in rendered.resources] != []
    assert {r.urn for r in rendered.resources} == {r.urn for r in rendered_stack(stack).resources}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"ragstack:search": {"sku": "basic", "replicas": 4}},
            "ragstack:search.replicas = 4: sku 'basic' allows replicas 1-3",
        ),
        (
            {"ragstack:app": {"cpu": 0.5, "memory": "2Gi"}},
            "ragstack:app.memory = '2Gi': cpu 0.5 needs memory '1Gi' (2 GiB per vCPU)",
        ),
        ({"ragstack:colour": "blue"}, "ragstack:colour = 'blue': unknown key; allowed: access, app,"),
        ({"ragstack:protect": "maybe"}, "ragstack:protect = 'maybe': must be true or false"),
    ],
)
def test_bad_config_fails_in_one_line_before_any_resource(change: dict, message: str) -> None:
    config = {**stack_file("dev").config, **change}
    mocks = CountingMocks()
    with pytest.raises(pulumi.RunError) as failure:
        render_config(config, stack="dev", mocks=mocks)
    assert str(failure.value).startswith(message)
    assert "\n" not in str(failure.value)
    assert mocks.registered == []


def test_missing_subscription_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ARM_SUBSCRIPTION_ID", "AZURE_SUBSCRIPTION_ID", "PULUMI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    config = {k: v for k, v in stack_file("dev").config.items() if k != "ragstack:subscriptionId"}
    mocks = CountingMocks()
    with pytest.raises(
        pulumi.RunError, match=r"^ragstack:subscriptionId = None: not set; set it, azure-native"
    ):
        render_config(config, stack="dev", mocks=mocks)
    assert mocks.registered == []


def test_subscription_falls_back_to_provider_config_then_environment() -> None:
    settings = StackSettings(stack="s", environment="s", location="eastus2")
    provider = {"azure-native:subscriptionId": "p"}
    assert entrypoint.resolve_subscription(settings, provider, {"ARM_SUBSCRIPTION_ID": "e"}) == "p"
    assert entrypoint.resolve_subscription(settings, {}, {"AZURE_SUBSCRIPTION_ID": "e"}) == "e"
    own = settings.model_copy(update={"subscription_id": "own"})
    assert entrypoint.resolve_subscription(own, provider, {}) == "own"


def test_directly_built_invalid_settings_register_nothing() -> None:
    settings = StackSettings(
        stack="bad",
        environment="bad",
        location="eastus2",
        search=SearchSettings(sku="free", semantic_ranker="standard"),
    )
    mocks = CountingMocks()
    with pytest.raises(
        SettingsError, match=r"^ragstack:search.semanticRanker = 'standard': sku 'free' has no"
    ):
        render(settings, subscription_id=SUBSCRIPTION, mocks=mocks)
    assert mocks.registered == []


def test_config_bag_decodes_structured_values(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = {"ragstack:search": json.dumps({"sku": "basic"}), "ragstack:config:protect": "true"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"ragstack:location": "eastus2"}))
    pulumi.runtime.set_all_config(engine)
    try:
        bag = entrypoint.config_bag()
    finally:
        pulumi.runtime.set_all_config({})
    assert bag == {
        "ragstack:search": {"sku": "basic"},
        "ragstack:protect": "true",
        "ragstack:location": "eastus2",
    }
    assert entrypoint.decode("[not json") == "[not json"
    assert entrypoint.decode("30") == "30"


def test_engine_values_are_text() -> None:
    assert engine_value(True) == "true" and engine_value(30) == "30" and engine_value("x") == "x"
    assert json.loads(engine_value({"a": [1]})) == {"a": [1]}


def test_main_imports_from_the_infra_directory_and_fails_in_one_line() -> None:
    """Run as Pulumi may: cwd = infra/, repo not on sys.path, no config -> the settings error only."""
    code = (
        "import runpy, sys, pulumi\n"
        "sys.path[:] = [p for p in sys.path if p not in ('', '.')]\n"
        "try:\n"
        "    runpy.run_path('.', run_name='__main__')\n"
        "except pulumi.RunError as exc:\n"
        "    print('RunError:', exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT / "infra", capture_output=True, text=True, timeout=60
    )
    assert result.stdout.startswith("RunError: ragstack:location = None: is required"), result.stderr
    assert "Traceback" not in result.stderr
