"""Container Apps names, memory units, one write at a time and environment delete, through the
official ContainerAppsAPIClient. Sources are cited per test."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import Sandbox
from tests.sandbox.test_app import _app_body, _env_body, _error


@pytest.mark.parametrize("name", ["App1", "app_1", "1app", "app-", "a--b", "a" * 33, "a"])
def test_app_names_follow_azure_rules(aca, name):
    """ContainerAppInvalidName with the live text (Azure/azure-dev report quoting the 400)."""
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", name, _app_body()).result()
    assert exc.value.status_code == 400
    code, message = _error(exc)
    assert code == "ContainerAppInvalidName"
    assert message.startswith(f"Invalid ContainerApp name '{name}'. A name must consist of lower case")
    assert message.endswith("The length must be between 2 and 32 characters inclusive.")
    with pytest.raises(ResourceNotFoundError):
        aca.container_apps.get("rg", name)


def test_longest_valid_name_and_memory_in_mi(aca):
    """32 characters is allowed; memory may be `Mi` (spec example ContainerApps_CreateOrUpdate.json
    uses "100Mi"): 0.25 CPU with 512Mi is the 0.25/0.5Gi pair."""
    body = _app_body()
    body["properties"]["template"]["containers"][0]["resources"] = {"cpu": 0.25, "memory": "512Mi"}
    done = aca.container_apps.begin_create_or_update("rg", "a" * 32, body).result()
    assert done.provisioning_state == "Succeeded"
    body["properties"]["template"]["containers"][0]["resources"] = {"cpu": 0.25, "memory": "600Mi"}
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "b" * 32, body).result()
    assert _error(exc)[0] == "ContainerAppInvalidResourceTotal"


def test_environment_with_apps_cannot_be_deleted(aca):
    """409 ManagedEnvironmentHasContainerApps (audit row; crossplane test script): the apps
    would be orphaned otherwise. Deleting the app first frees the environment."""
    aca.container_apps.begin_create_or_update("rg", "web", _app_body()).result()
    with pytest.raises(HttpResponseError) as exc:
        aca.managed_environments.begin_delete("rg", "env").result()
    assert exc.value.status_code == 409
    assert _error(exc) == (
        "ManagedEnvironmentHasContainerApps",
        "The specified environment env cannot be deleted because it still contains 1 Container Apps.",
    )
    assert aca.managed_environments.get("rg", "env").provisioning_state == "Succeeded"
    aca.container_apps.begin_delete("rg", "web").result()
    aca.managed_environments.begin_delete("rg", "env").result()
    with pytest.raises(ResourceNotFoundError):
        aca.managed_environments.get("rg", "env")


def test_write_during_an_app_operation_is_refused(sandbox_dir):
    """409 ContainerAppOperationInProgress while the previous PUT provisions
    (microsoft/azure-container-apps#1731); once it finishes, the write goes through."""
    from azure.mgmt.loganalytics import LogAnalyticsManagementClient

    with Sandbox(sandbox_dir, time_scale=1.0) as sb:
        conn = sb.connection
        conn.client(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
        la = conn.client(LogAnalyticsManagementClient)
        la.workspaces.begin_create_or_update(
            "rg", "logs", {"location": "eastus", "properties": {"sku": {"name": "PerGB2018"}}}, polling=False
        )
        sb.advance(3600)
        ws = la.workspaces.get("rg", "logs")
        key = la.shared_keys.get_shared_keys("rg", "logs").primary_shared_key
        aca = conn.client(ContainerAppsAPIClient)
        aca.managed_environments.begin_create_or_update(
            "rg", "env", _env_body(ws.customer_id, key), polling=False
        )
        sb.advance(3600)
        aca.container_apps.begin_create_or_update("rg", "web", _app_body(), polling=False)
        for write in (
            lambda: aca.container_apps.begin_create_or_update("rg", "web", _app_body(), polling=False),
            lambda: aca.container_apps.begin_update("rg", "web", {"tags": {"a": "b"}}, polling=False),
        ):
            with pytest.raises(HttpResponseError) as exc:
                write()
            assert exc.value.status_code == 409
            assert _error(exc) == (
                "ContainerAppOperationInProgress",
                "Cannot modify a container app 'web' because there is an active provisioning operation.",
            )
        assert aca.container_apps.get("rg", "web").tags == {}
        sb.advance(3600)
        aca.container_apps.begin_update("rg", "web", {"tags": {"a": "b"}}, polling=False)
        sb.advance(3600)
        assert aca.container_apps.get("rg", "web").tags == {"a": "b"}
