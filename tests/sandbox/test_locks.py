"""Management locks through ManagementLockClient; enforcement as ARM's ScopeLocked."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.locks import ManagementLockClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import SANDBOX_SUBSCRIPTION_ID

RG_ID = f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/resourceGroups/rg"


@pytest.fixture
def clients(arm):
    rm = arm(ResourceManagementClient)
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    return rm, arm(ManagementLockClient), arm(ManagedServiceIdentityClient)


def test_can_not_delete_blocks_group_delete_until_removed(clients):
    rm, locks, _ = clients
    lock = locks.management_locks.create_or_update_at_resource_group_level(
        "rg", "keep", {"level": "CanNotDelete", "notes": "prod"}
    )
    assert lock.id == f"{RG_ID}/providers/Microsoft.Authorization/locks/keep"
    with pytest.raises(ResourceExistsError) as exc:
        rm.resource_groups.begin_delete("rg")
    assert exc.value.error.code == "ScopeLocked"
    assert exc.value.error.message == (
        f"The scope '/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/resourcegroups/rg' cannot perform "
        f"delete operation because following scope(s) are locked: '{RG_ID}'. Please remove the "
        "lock and try again."
    )
    rm.resource_groups.update("rg", {"tags": {"still": "writable"}})  # CanNotDelete allows writes
    locks.management_locks.delete_at_resource_group_level("rg", "keep")
    rm.resource_groups.begin_delete("rg").result()
    assert rm.resource_groups.check_existence("rg") is False


def test_lock_on_a_resource_blocks_its_delete_and_its_groups(clients):
    rm, locks, msi = clients
    msi.user_assigned_identities.create_or_update("rg", "id1", {"location": "eastus"})
    locks.management_locks.create_or_update_at_resource_level(
        "rg",
        "Microsoft.ManagedIdentity",
        "",
        "userAssignedIdentities",
        "id1",
        "l1",
        {"level": "CanNotDelete"},
    )
    with pytest.raises(ResourceExistsError) as exc:
        msi.user_assigned_identities.delete("rg", "id1")
    assert exc.value.error.code == "ScopeLocked"
    with pytest.raises(ResourceExistsError) as exc:
        rm.resource_groups.begin_delete("rg")
    assert "userAssignedIdentities/id1'" in exc.value.error.message


def test_read_only_blocks_writes_but_not_reads(clients):
    rm, locks, msi = clients
    msi.user_assigned_identities.create_or_update("rg", "id1", {"location": "eastus"})
    locks.management_locks.create_or_update_by_scope(RG_ID, "ro", {"level": "ReadOnly"})
    for write in (
        lambda: msi.user_assigned_identities.create_or_update("rg", "id2", {"location": "eastus"}),
        lambda: rm.resource_groups.update("rg", {"tags": {"a": "b"}}),
    ):
        with pytest.raises(ResourceExistsError) as exc:
            write()
        assert exc.value.error.code == "ScopeLocked"
        assert "cannot perform write operation" in exc.value.error.message
    assert msi.user_assigned_identities.get("rg", "id1").name == "id1"


def test_get_list_and_delete_locks(clients):
    _, locks, msi = clients
    msi.user_assigned_identities.create_or_update("rg", "id1", {"location": "eastus"})
    ident_id = f"{RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
    locks.management_locks.create_or_update_by_scope(RG_ID, "on-rg", {"level": "CanNotDelete"})
    locks.management_locks.create_or_update_by_scope(ident_id, "on-id", {"level": "ReadOnly"})
    assert locks.management_locks.get_at_resource_group_level("rg", "on-rg").level == "CanNotDelete"
    in_rg = {lk.name for lk in locks.management_locks.list_at_resource_group_level("rg")}
    assert in_rg == {"on-rg", "on-id"}
    on_id = {lk.name for lk in locks.management_locks.list_by_scope(ident_id)}
    assert on_id == {"on-id"}
    assert {lk.name for lk in locks.management_locks.list_at_subscription_level()} == in_rg
    locks.management_locks.delete_by_scope(ident_id, "on-id")
    with pytest.raises(ResourceNotFoundError):
        locks.management_locks.get_by_scope(ident_id, "on-id")
