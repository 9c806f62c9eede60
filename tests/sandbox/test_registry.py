"""Container registries through ContainerRegistryManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

ACR = {"location": "eastus", "sku": {"name": "Basic"}}


@pytest.fixture
def acr(arm):
    groups = arm(ResourceManagementClient).resource_groups
    groups.create_or_update("rg", {"location": "eastus"})
    groups.create_or_update("other", {"location": "eastus"})
    return arm(ContainerRegistryManagementClient)


def test_create_is_an_aao_lro_with_a_lowercase_login_server(acr, sandbox):
    reg = acr.registries.begin_create("rg", "RagStackAcr", ACR).result()
    assert reg.provisioning_state == "Succeeded"
    assert reg.login_server == "ragstackacr.azurecr.io"
    assert (reg.sku.name, reg.sku.tier) == ("Basic", "Basic")
    assert reg.admin_user_enabled is False
    assert sandbox.requests.list(method="PUT")[0]["status"] == 201
    assert sandbox.requests.count(method="GET", path="/operationStatuses/registries-") >= 1


@pytest.mark.parametrize("name", ["abcd", "has-hyphen", "x" * 51])
def test_name_rule(acr, name):
    with pytest.raises(HttpResponseError) as exc:
        acr.registries.begin_create("rg", name, ACR)
    assert exc.value.status_code == 400
    assert exc.value.error.code == "ResourceNameInvalid"
    assert "alpha numeric characters only and must be between 5 and 50" in exc.value.message


def test_names_are_global_across_groups(acr):
    acr.registries.begin_create("rg", "ragstackacr", ACR).result()
    with pytest.raises(ResourceExistsError) as exc:
        acr.registries.begin_create("other", "RAGSTACKACR", ACR)
    assert exc.value.error.code == "AlreadyInUse"
    assert "ragstackacr.azurecr.io is already in use" in exc.value.message
    taken = acr.registries.check_name_availability(
        {"name": "ragstackacr", "type": "Microsoft.ContainerRegistry/registries"}
    )
    assert (taken.name_available, taken.reason) == (False, "AlreadyExists")
    free = acr.registries.check_name_availability(
        {"name": "freshname1", "type": "Microsoft.ContainerRegistry/registries"}
    )
    assert free.name_available is True


def test_list_credentials_needs_the_admin_user(acr):
    reg = acr.registries.begin_create("rg", "ragstackacr", ACR).result()
    with pytest.raises(HttpResponseError) as exc:
        acr.registries.list_credentials("rg", "ragstackacr")
    assert exc.value.error.code == "UnAuthorizedForCredentialOperations"
    assert f"Cannot perform credential operations for {reg.id} as admin user is disabled" in (
        exc.value.message
    )
    updated = acr.registries.begin_update(
        "rg", "ragstackacr", {"properties": {"adminUserEnabled": True}}
    ).result()
    assert updated.admin_user_enabled is True
    creds = acr.registries.list_credentials("rg", "ragstackacr")
    assert creds.username == "ragstackacr"
    assert [p.name for p in creds.passwords] == ["password", "password2"]
    assert creds.passwords[0].value != creds.passwords[1].value
    again = acr.registries.list_credentials("rg", "ragstackacr")
    assert again.passwords[0].value == creds.passwords[0].value


def test_update_sku_and_lists(acr):
    acr.registries.begin_create("rg", "firstacr1", ACR).result()
    acr.registries.begin_create("other", "secondacr2", ACR).result()
    up = acr.registries.begin_update("rg", "firstacr1", {"sku": {"name": "Premium"}}).result()
    assert (up.sku.name, up.sku.tier) == ("Premium", "Premium")
    assert [r.name for r in acr.registries.list_by_resource_group("rg")] == ["firstacr1"]
    assert sorted(r.name for r in acr.registries.list()) == ["firstacr1", "secondacr2"]


def test_delete_is_a_location_lro(acr, sandbox):
    acr.registries.begin_create("rg", "ragstackacr", ACR).result()
    acr.registries.begin_delete("rg", "ragstackacr").result()
    deletes = sandbox.requests.list(method="DELETE")
    assert deletes[0]["status"] == 202
    with pytest.raises(ResourceNotFoundError):
        acr.registries.get("rg", "ragstackacr")
    acr.registries.begin_delete("rg", "ragstackacr").result()
    assert sandbox.requests.list(method="DELETE")[-1]["status"] == 204
    acr.registries.begin_create("other", "ragstackacr", ACR).result()


def test_resource_group_delete_takes_the_registry_and_frees_the_name(acr, arm):
    acr.registries.begin_create("rg", "ragstackacr", ACR).result()
    arm(ResourceManagementClient).resource_groups.begin_delete("rg").result()
    assert list(acr.registries.list()) == []
    assert acr.registries.begin_create("other", "ragstackacr", ACR).result().name == "ragstackacr"
