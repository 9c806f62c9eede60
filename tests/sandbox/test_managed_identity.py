"""User-assigned identities through ManagedServiceIdentityClient."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import SANDBOX_TENANT_ID


@pytest.fixture
def msi(arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    return arm(ManagedServiceIdentityClient)


def test_create_generates_ids_and_registers_the_principal(msi, sandbox):
    ident = msi.user_assigned_identities.create_or_update("rg", "app", {"location": "eastus"})
    assert uuid.UUID(ident.principal_id) and uuid.UUID(ident.client_id)
    assert ident.tenant_id == SANDBOX_TENANT_ID
    assert ident.type == "Microsoft.ManagedIdentity/userAssignedIdentities"
    entry = sandbox.state.directory.get(ident.principal_id)
    assert entry["principalType"] == "ServicePrincipal"
    again = msi.user_assigned_identities.create_or_update(
        "rg", "APP", {"location": "eastus", "tags": {"a": "b"}}
    )
    assert (again.principal_id, again.client_id, again.name) == (
        ident.principal_id,
        ident.client_id,
        "app",
    )
    assert [r["status"] for r in sandbox.requests.list(method="PUT")][-2:] == [201, 200]


def test_get_update_list_delete(msi, sandbox):
    msi.user_assigned_identities.create_or_update("rg", "ida", {"location": "eastus"})
    msi.user_assigned_identities.create_or_update("rg", "idb", {"location": "eastus"})
    assert msi.user_assigned_identities.update("rg", "ida", {"tags": {"x": "1"}}).tags == {"x": "1"}
    assert sorted(i.name for i in msi.user_assigned_identities.list_by_resource_group("rg")) == [
        "ida",
        "idb",
    ]
    assert len(list(msi.user_assigned_identities.list_by_subscription())) == 2
    principal = msi.user_assigned_identities.get("rg", "ida").principal_id
    msi.user_assigned_identities.delete("rg", "ida")
    msi.user_assigned_identities.delete("rg", "ida")
    assert [r["status"] for r in sandbox.requests.list(method="DELETE")] == [200, 204]
    assert sandbox.state.directory.get(principal) is None
    with pytest.raises(ResourceNotFoundError) as exc:
        msi.user_assigned_identities.get("rg", "ida")
    assert exc.value.error.code == "ResourceNotFound"
    expected = "'Microsoft.ManagedIdentity/userAssignedIdentities/ida' under resource group 'rg'"
    assert expected in str(exc.value)
