"""Container Apps starting points built once per worker: a test using `aca` (a resource group
with a Log Analytics workspace and a managed environment) or `app` (that plus the app `web`)
opens its sandbox on a copy of one (`clone_for`), instead of creating them through the SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.resource.resources import ResourceManagementClient

from tests.conftest import built_state, clone_for
from tests.sandbox.test_app import _app_body, _env_body, _workspace

ACA_TEMPLATES = {"app": "aca_app_state", "aca": "aca_environment_state"}


def _make_environment(sb: Any) -> None:
    arm = sb.connection.client
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    customer_id, key = _workspace(arm)
    aca = arm(ContainerAppsAPIClient)
    aca.managed_environments.begin_create_or_update("rg", "env", _env_body(customer_id, key)).result()


def _make_app(sb: Any) -> None:
    sb.connection.client(ContainerAppsAPIClient).container_apps.begin_create_or_update(
        "rg", "web", _app_body()
    ).result()


@pytest.fixture(scope="session")
def aca_environment_state(tmp_path_factory: pytest.TempPathFactory, sandbox_keys: Path) -> Path:
    return built_state(
        tmp_path_factory.mktemp("aca-environment") / "sandbox", sandbox_keys, _make_environment
    )


@pytest.fixture(scope="session")
def aca_app_state(tmp_path_factory: pytest.TempPathFactory, aca_environment_state: Path) -> Path:
    return built_state(tmp_path_factory.mktemp("aca-app") / "sandbox", aca_environment_state, _make_app)


@pytest.fixture
def sandbox_dir(tmp_path: Path, sandbox_keys: Path, request: pytest.FixtureRequest) -> Path:
    return clone_for(request, tmp_path, sandbox_keys, ACA_TEMPLATES)


@pytest.fixture
def aca(arm: Any) -> Any:
    """The client of a sandbox holding `rg`, the workspace `logs` and the environment `env`."""
    return arm(ContainerAppsAPIClient)


@pytest.fixture
def env(aca: Any) -> Any:
    return aca.managed_environments.get("rg", "env")


@pytest.fixture
def app(aca: Any) -> Any:
    """The app `web` (created with `_app_body()`) in `env`."""
    return aca.container_apps.get("rg", "web")
