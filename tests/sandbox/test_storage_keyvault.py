"""Microsoft.Storage and Microsoft.KeyVault through StorageManagementClient and KeyVaultManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.keyvault.models import (
    Sku as VaultSku,
)
from azure.mgmt.keyvault.models import (
    VaultCheckNameAvailabilityParameters,
    VaultCreateOrUpdateParameters,
    VaultProperties,
)
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import (
    Sku,
    StorageAccountCheckNameAvailabilityParameters,
    StorageAccountCreateParameters,
    StorageAccountPropertiesCreateParameters,
)

from sandbox import SANDBOX_TENANT_ID


@pytest.fixture
def rm(arm):
    client = arm(ResourceManagementClient)
    for rg in ("rg", "rg2"):
        client.resource_groups.create_or_update(rg, {"location": "eastus"})
    return client


@pytest.fixture
def st(rm, arm):
    return arm(StorageManagementClient)


@pytest.fixture
def kv(rm, arm):
    return arm(KeyVaultManagementClient)


def _account(st, name: str, rg: str = "rg"):
    body = StorageAccountCreateParameters(
        sku=Sku(name="Standard_LRS"),
        kind="StorageV2",
        location="eastus",
        properties=StorageAccountPropertiesCreateParameters(
            allow_shared_key_access=False, allow_blob_public_access=False, minimum_tls_version="TLS1_2"
        ),
    )
    return st.storage_accounts.begin_create(rg, name, body).result()


# -- storage ------------------------------------------------------------------------------------
def test_storage_create_is_a_location_lro_then_get_list_delete(st, sandbox):
    acct = _account(st, "ragstdev01")
    assert acct.provisioning_state == "Succeeded"
    assert acct.primary_endpoints.blob == "https://ragstdev01.blob.core.windows.net/"
    assert (acct.allow_shared_key_access, acct.minimum_tls_version) == (False, "TLS1_2")
    assert sandbox.requests.list(method="PUT", path="storageAccounts/ragstdev01")[0]["status"] == 202
    assert [a.name for a in st.storage_accounts.list_by_resource_group("rg")] == ["ragstdev01"]
    assert [a.name for a in st.storage_accounts.list()] == ["ragstdev01"]
    st.storage_accounts.delete("rg", "ragstdev01")
    with pytest.raises(ResourceNotFoundError):
        st.storage_accounts.get_properties("rg", "ragstdev01")


def test_storage_names_are_global(st):
    _account(st, "ragshared")
    with pytest.raises(HttpResponseError) as err:
        _account(st, "ragshared", rg="rg2")
    assert (err.value.status_code, err.value.error.code) == (409, "StorageAccountAlreadyTaken")
    assert err.value.error.message == "The storage account named ragshared is already taken."
    assert err.value.error.target == "ragshared"
    assert list(st.storage_accounts.list_by_resource_group("rg2")) == []
    check = st.storage_accounts.check_name_availability(
        StorageAccountCheckNameAvailabilityParameters(name="ragshared")
    )
    assert (check.name_available, check.reason) == (False, "AlreadyExists")


@pytest.mark.parametrize("name", ["ab", "Upper123", "with-dash", "a" * 25])
def test_storage_name_rule(st, name):
    with pytest.raises(HttpResponseError) as err:
        _account(st, name)
    assert (err.value.status_code, err.value.error.code) == (400, "AccountNameInvalid")
    assert list(st.storage_accounts.list()) == []
    check = st.storage_accounts.check_name_availability(
        StorageAccountCheckNameAvailabilityParameters(name=name)
    )
    assert (check.name_available, check.reason) == (False, "AccountNameInvalid")


# -- key vault ----------------------------------------------------------------------------------
def _vault(kv, name: str, rg: str = "rg", **props):
    body = VaultCreateOrUpdateParameters(
        location="eastus",
        properties=VaultProperties(
            tenant_id=SANDBOX_TENANT_ID, sku=VaultSku(family="A", name="standard"), **props
        ),
    )
    return kv.vaults.begin_create_or_update(rg, name, body).result()


def test_vault_create_get_list_soft_delete_purge(kv):
    vault = _vault(kv, "rag-kv-dev", enable_rbac_authorization=True, soft_delete_retention_in_days=7)
    assert vault.properties.provisioning_state == "Succeeded"
    assert vault.properties.vault_uri == "https://rag-kv-dev.vault.azure.net/"
    assert vault.properties.enable_rbac_authorization is True
    assert [v.name for v in kv.vaults.list_by_resource_group("rg")] == ["rag-kv-dev"]
    kv.vaults.delete("rg", "rag-kv-dev")
    with pytest.raises(ResourceNotFoundError):
        kv.vaults.get("rg", "rag-kv-dev")
    deleted = kv.vaults.get_deleted("rag-kv-dev", "eastus")
    assert deleted.properties.vault_id.endswith("/vaults/rag-kv-dev")
    assert [d.name for d in kv.vaults.list_deleted()] == ["rag-kv-dev"]
    kv.vaults.begin_purge_deleted("rag-kv-dev", "eastus").result()
    assert list(kv.vaults.list_deleted()) == []
    assert _vault(kv, "rag-kv-dev").name == "rag-kv-dev"  # the name is free again


def test_vault_name_held_while_soft_deleted_then_recovered(kv):
    _vault(kv, "rag-kv-held")
    kv.vaults.delete("rg", "rag-kv-held")
    with pytest.raises(HttpResponseError) as err:
        _vault(kv, "rag-kv-held")
    assert (err.value.status_code, err.value.error.code) == (409, "ConflictError")
    check = kv.vaults.check_name_availability(VaultCheckNameAvailabilityParameters(name="rag-kv-held"))
    assert check.name_available is False
    back = _vault(kv, "rag-kv-held", create_mode="recover")
    assert back.properties.provisioning_state == "Succeeded"
    assert list(kv.vaults.list_deleted()) == []


def test_vault_name_is_global(kv):
    _vault(kv, "rag-kv-one")
    with pytest.raises(HttpResponseError) as err:
        _vault(kv, "rag-kv-one", rg="rg2")
    assert (err.value.status_code, err.value.error.code) == (409, "VaultAlreadyExists")
    assert list(kv.vaults.list_by_resource_group("rg2")) == []


def test_purge_protection_refuses_purge_and_cannot_be_turned_off(kv):
    _vault(kv, "rag-kv-prot", enable_purge_protection=True)
    with pytest.raises(HttpResponseError) as err:
        _vault(kv, "rag-kv-prot", enable_purge_protection=False)
    assert err.value.status_code == 400
    kv.vaults.delete("rg", "rag-kv-prot")
    with pytest.raises(HttpResponseError) as err:
        kv.vaults.begin_purge_deleted("rag-kv-prot", "eastus").result()
    assert err.value.status_code == 409
    assert "purge protection" in err.value.message
    assert kv.vaults.get_deleted("rag-kv-prot", "eastus").properties.purge_protection_enabled is True


def test_vault_retention_must_be_7_to_90_days(kv):
    with pytest.raises(HttpResponseError) as err:
        _vault(kv, "rag-kv-ret", soft_delete_retention_in_days=3)
    assert err.value.status_code == 400
    assert list(kv.vaults.list_by_resource_group("rg")) == []


def test_group_delete_soft_deletes_vaults(kv, rm, sandbox):
    _vault(kv, "rag-kv-grp")
    rm.resource_groups.begin_delete("rg").result()
    assert [d.name for d in kv.vaults.list_deleted()] == ["rag-kv-grp"]
    sandbox.advance(91 * 86400)
    assert list(kv.vaults.list_deleted()) == []
