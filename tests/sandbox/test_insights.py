"""Log Analytics workspaces through LogAnalyticsManagementClient."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

WS = {"location": "eastus", "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}}


@pytest.fixture
def la(arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    return arm(LogAnalyticsManagementClient)


def test_create_is_a_location_lro_with_a_customer_id(la, sandbox):
    ws = la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    assert ws.provisioning_state == "Succeeded"
    assert uuid.UUID(ws.customer_id)
    assert (ws.sku.name, ws.retention_in_days) == ("PerGB2018", 30)
    first = sandbox.requests.list(method="PUT")[0]
    assert first["status"] == 201
    assert sandbox.requests.count(method="GET", path="/operationresults/") >= 1
    again = la.workspaces.begin_create_or_update("rg", "logs", {**WS, "tags": {"a": "b"}}).result()
    assert (again.customer_id, again.tags) == (ws.customer_id, {"a": "b"})
    assert sandbox.requests.list(method="PUT")[-1]["status"] == 200


def test_shared_keys_are_returned_by_post_only(la, sandbox):
    la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    keys = la.shared_keys.get_shared_keys("rg", "logs")
    assert keys.primary_shared_key and keys.secondary_shared_key
    assert keys.primary_shared_key != keys.secondary_shared_key
    assert keys.primary_shared_key not in str(la.workspaces.get("rg", "logs").as_dict())
    assert sandbox.requests.list(path="/sharedKeys")[-1]["method"] == "POST"


@pytest.mark.parametrize("days", [29, 731])
def test_retention_outside_30_to_730_is_rejected(la, days):
    body = {**WS, "properties": {**WS["properties"], "retentionInDays": days}}
    with pytest.raises(HttpResponseError) as exc:
        la.workspaces.begin_create_or_update("rg", "logs", body)
    assert exc.value.status_code == 400
    assert exc.value.error.code == "BadRequest"
    assert exc.value.error.message == "The value provided for retention is invalid"


def test_update_and_lists(la):
    la.workspaces.begin_create_or_update("rg", "a-logs", WS).result()
    la.workspaces.begin_create_or_update("rg", "b-logs", WS).result()
    updated = la.workspaces.update("rg", "a-logs", {"properties": {"retentionInDays": 90}})
    assert updated.retention_in_days == 90
    assert sorted(w.name for w in la.workspaces.list_by_resource_group("rg")) == [
        "a-logs",
        "b-logs",
    ]
    assert len(list(la.workspaces.list())) == 2


def test_soft_delete_keeps_the_name_and_recreate_recovers_it(la, sandbox):
    ws = la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    keys = la.shared_keys.get_shared_keys("rg", "logs")
    la.workspaces.begin_delete("rg", "logs").result()
    with pytest.raises(ResourceNotFoundError):
        la.workspaces.get("rg", "logs")
    assert [w.name for w in la.deleted_workspaces.list()] == ["logs"]
    back = la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    assert back.customer_id == ws.customer_id
    assert la.shared_keys.get_shared_keys("rg", "logs").primary_shared_key == (keys.primary_shared_key)
    assert list(la.deleted_workspaces.list()) == []


def test_force_delete_and_expiry_release_the_name(la, sandbox):
    first = la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    la.workspaces.begin_delete("rg", "logs", force=True).result()
    assert list(la.deleted_workspaces.list()) == []
    second = la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    assert second.customer_id != first.customer_id
    la.workspaces.begin_delete("rg", "logs").result()
    sandbox.advance(14 * 24 * 3600 + 1)
    assert list(la.deleted_workspaces.list_by_resource_group("rg")) == []
    third = la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    assert third.customer_id != second.customer_id


def test_resource_group_delete_soft_deletes_the_workspace(la, arm):
    la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    arm(ResourceManagementClient).resource_groups.begin_delete("rg").result()
    assert [w.name for w in la.deleted_workspaces.list()] == ["logs"]
