"""Resource-group delete as ARM runs it: resource by resource, blocked resources stay.

Src: learn.microsoft.com/azure/azure-resource-manager/management/delete-resource-group (order,
one DELETE per resource); ops-pitfalls T-3 / sandbox-audit Resources row (the poll's 409
ResourceGroupDeletionBlocked text).
"""

from __future__ import annotations

import ssl

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from tests.sandbox.test_app import ENV_ID, _app_body, _env_body, _workspace


@pytest.fixture
def rm(arm):
    return arm(ResourceManagementClient)


@pytest.fixture
def cross_group(arm, rm):
    """The environment lives in `rg`, its app in `rg2`, and `rg` holds an identity too."""
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    rm.resource_groups.create_or_update("rg2", {"location": "eastus"})
    customer_id, key = _workspace(arm)
    aca = arm(ContainerAppsAPIClient)
    aca.managed_environments.begin_create_or_update("rg", "env", _env_body(customer_id, key)).result()
    aca.container_apps.begin_create_or_update("rg2", "web", _app_body()).result()
    arm(ManagedServiceIdentityClient).user_assigned_identities.create_or_update(
        "rg", "id1", {"location": "eastus"}
    )
    return aca


def test_group_delete_blocked_by_an_environment_used_from_another_group(sandbox, rm, arm, cross_group):
    with pytest.raises(HttpResponseError) as exc:
        rm.resource_groups.begin_delete("rg").result()
    assert exc.value.status_code == 409
    assert exc.value.error.code == "ResourceGroupDeletionBlocked"
    assert exc.value.error.message == (
        "Deletion of resource group 'rg' failed as resources with identifiers "
        f"'{ENV_ID}' could not be deleted. The provisioning state of the resource group will be "
        "rolled back."
    )
    assert rm.resource_groups.get("rg").properties.provisioning_state == "Succeeded"
    assert cross_group.managed_environments.get("rg", "env").provisioning_state == "Succeeded"
    assert cross_group.container_apps.get("rg2", "web").provisioning_state == "Succeeded"
    # What ARM could delete stays deleted (one DELETE per resource, no undo).
    with pytest.raises(ResourceNotFoundError):
        arm(ManagedServiceIdentityClient).user_assigned_identities.get("rg", "id1")


def test_group_delete_succeeds_once_the_other_group_is_gone(rm, cross_group):
    rm.resource_groups.begin_delete("rg2").result()
    rm.resource_groups.begin_delete("rg").result()
    assert not rm.resource_groups.check_existence("rg")


def test_apps_in_the_same_group_go_before_their_environment(rm, arm):
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    customer_id, key = _workspace(arm)
    aca = arm(ContainerAppsAPIClient)
    aca.managed_environments.begin_create_or_update("rg", "env", _env_body(customer_id, key)).result()
    aca.container_apps.begin_create_or_update("rg", "web", _app_body()).result()
    rm.resource_groups.begin_delete("rg").result()
    assert not rm.resource_groups.check_existence("rg")


def test_group_delete_blocked_by_a_resource_still_provisioning(sandbox_dir):
    """A search service still provisioning (300 simulated s) blocks a delete that ends at 60 s."""
    from sandbox import Sandbox

    with Sandbox(sandbox_dir, time_scale=1.0) as sb:
        conn = sb.connection
        verify = ssl.create_default_context(cafile=conn.ca_path)
        token = sb.issue_token("00000000-0000-4000-a000-0000000000d1")
        with httpx.Client(
            base_url=conn.endpoint, verify=verify, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            rg = f"/subscriptions/{conn.subscription_id}/resourcegroups/rg"
            assert http.put(f"{rg}?api-version=2025-04-01", json={"location": "eastus"}).is_success
            svc = f"{rg}/providers/Microsoft.Search/searchServices/srch1?api-version=2025-05-01"
            assert http.put(svc, json={"location": "eastus", "sku": {"name": "basic"}}).status_code == 201
            monitor = http.delete(f"{rg}?api-version=2025-04-01").headers["location"]
            sb.advance(61)
            resp = http.get(monitor)
            assert resp.status_code == 409
            err = resp.json()["error"]
            assert err["code"] == "ResourceGroupDeletionBlocked"
            assert "/searchServices/srch1'" in err["message"]
            assert err["details"][0]["code"] == "ResourceNotInTerminalState"
            assert http.get(svc).json()["properties"]["provisioningState"] == "provisioning"
