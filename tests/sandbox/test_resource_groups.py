"""Resource groups, resource listing and provider registration through ResourceManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import SANDBOX_SUBSCRIPTION_ID


@pytest.fixture
def rm(arm):
    return arm(ResourceManagementClient)


def test_create_is_201_then_200_and_keeps_first_casing(rm, sandbox):
    first = rm.resource_groups.create_or_update("App-RG", {"location": "East US", "tags": {"a": "1"}})
    again = rm.resource_groups.create_or_update("app-rg", {"location": "eastus", "tags": {"b": "2"}})
    statuses = [r["status"] for r in sandbox.requests.list(method="PUT")]
    assert statuses == [201, 200]
    assert first.id == f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/resourceGroups/App-RG"
    assert again.name == "App-RG" and again.location == "eastus" and again.tags == {"b": "2"}
    assert again.properties.provisioning_state == "Succeeded"


def test_location_mismatch_is_invalid_resource_group_location(rm):
    rm.resource_groups.create_or_update("rg", {"location": "westus"})
    with pytest.raises(ResourceExistsError) as exc:
        rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    assert exc.value.error.code == "InvalidResourceGroupLocation"
    assert "already exists in location 'westus'" in exc.value.error.message


def test_get_missing_is_resource_group_not_found(rm):
    with pytest.raises(ResourceNotFoundError) as exc:
        rm.resource_groups.get("missing")
    assert exc.value.error.code == "ResourceGroupNotFound"
    assert str(exc.value).startswith("(ResourceGroupNotFound) Resource group 'missing' could not be found.")


def test_head_is_204_or_404_never_200(rm, sandbox):
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    assert rm.resource_groups.check_existence("RG") is True
    assert rm.resource_groups.check_existence("nope") is False
    assert [r["status"] for r in sandbox.requests.list(method="HEAD")] == [204, 404]


def test_patch_replaces_tags(rm):
    rm.resource_groups.create_or_update("rg", {"location": "eastus", "tags": {"old": "x"}})
    updated = rm.resource_groups.update("rg", {"tags": {"env": "dev"}})
    assert updated.tags == {"env": "dev"}
    assert rm.resource_groups.get("rg").tags == {"env": "dev"}


def test_list_filters_by_tag_and_follows_absolute_next_links(sandbox_dir, sdk_sleeps_follow_sandbox):
    from sandbox import Sandbox

    with Sandbox(sandbox_dir, time_scale=sdk_sleeps_follow_sandbox, page_size=2) as sb:
        rm = sb.connection.client(ResourceManagementClient)
        for i in range(5):
            tags = {"env": "dev" if i % 2 == 0 else "prod"}
            rm.resource_groups.create_or_update(f"rg{i}", {"location": "eastus", "tags": tags})
        sb.requests.clear()
        assert sorted(g.name for g in rm.resource_groups.list()) == [f"rg{i}" for i in range(5)]
        pages = sb.requests.list(method="GET", path="/resourcegroups")
        assert len(pages) == 3  # 2 + 2 + 1 with page_size=2
        dev = rm.resource_groups.list(filter="tagName eq 'env' and tagValue eq 'dev'")
        assert sorted(g.name for g in dev) == ["rg0", "rg2", "rg4"]
        assert [g.name for g in rm.resource_groups.list(top=1)] == ["rg0"]


def test_list_resources_by_group_and_subscription(rm, arm):
    msi = arm(ManagedServiceIdentityClient)
    for rg in ("a", "b"):
        rm.resource_groups.create_or_update(rg, {"location": "eastus"})
        msi.user_assigned_identities.create_or_update(
            rg, f"id-{rg}", {"location": "eastus", "tags": {"k": rg}}
        )
    in_a = list(rm.resources.list_by_resource_group("a"))
    assert [r.name for r in in_a] == ["id-a"]
    assert in_a[0].type == "Microsoft.ManagedIdentity/userAssignedIdentities"
    everywhere = rm.resources.list(
        filter="resourceType eq 'Microsoft.ManagedIdentity/userAssignedIdentities'"
    )
    assert sorted(r.name for r in everywhere) == ["id-a", "id-b"]
    tagged = list(rm.resources.list(filter="tagName eq 'k' and tagValue eq 'b'"))
    assert [r.name for r in tagged] == ["id-b"]
    assert tagged[0].tags is None  # SDK docstring: tags are not returned with a tag-value filter
    with pytest.raises(ResourceNotFoundError):
        list(rm.resources.list_by_resource_group("missing"))


def test_delete_is_a_location_lro_that_cascades(rm, arm, sandbox):
    msi = arm(ManagedServiceIdentityClient)
    rm.resource_groups.create_or_update("doomed", {"location": "eastus"})
    ident = msi.user_assigned_identities.create_or_update("doomed", "id1", {"location": "eastus"})
    rm.resource_groups.create_or_update("kept", {"location": "eastus"})
    poller = rm.resource_groups.begin_delete("doomed")
    poller.result()
    assert poller.status() == "Succeeded"
    first = sandbox.requests.list(method="DELETE")[0]
    assert first["status"] == 202
    polls = sandbox.requests.list(method="GET", path="/operationresults/")
    assert [p["status"] for p in polls][-1] == 200 and all(p["status"] == 202 for p in polls[:-1])
    assert rm.resource_groups.check_existence("doomed") is False
    assert rm.resource_groups.check_existence("kept") is True
    with pytest.raises(ResourceNotFoundError):
        msi.user_assigned_identities.get("doomed", "id1")
    assert sandbox.state.directory.get(ident.principal_id) is None


def test_delete_initial_response_has_absolute_location_and_retry_after(rm, sandbox):
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    responses = []

    def grab(response):
        responses.append({k.lower(): v for k, v in response.http_response.headers.items()})

    rm.resource_groups.begin_delete("rg", raw_response_hook=grab).result()
    seen = responses[0]
    assert seen["location"].startswith(sandbox.connection.endpoint + "/subscriptions/")
    assert int(seen["retry-after"]) >= 1


def test_writes_during_deletion_are_resource_group_being_deleted(sandbox_dir, sdk_sleeps_follow_sandbox):
    from sandbox import Sandbox

    with Sandbox(sandbox_dir, time_scale=1.0) as sb:  # deletion takes 60 simulated=wall s
        rm = sb.connection.client(ResourceManagementClient)
        msi = sb.connection.client(ManagedServiceIdentityClient)
        rm.resource_groups.create_or_update("rg", {"location": "eastus"})
        rm.resource_groups.begin_delete("rg", polling=False)
        assert rm.resource_groups.get("rg").properties.provisioning_state == "Deleting"
        with pytest.raises(ResourceExistsError) as exc:
            rm.resource_groups.update("rg", {"tags": {"x": "y"}})
        assert exc.value.error.code == "ResourceGroupBeingDeleted"
        assert "is in deprovisioning state" in exc.value.error.message
        with pytest.raises(ResourceExistsError) as exc:
            msi.user_assigned_identities.create_or_update("rg", "late", {"location": "eastus"})
        assert exc.value.error.code == "ResourceGroupBeingDeleted"
        again = rm.resources  # a second delete joins the running one
        assert again is not None
        rm.resource_groups.begin_delete("rg", polling=False)
        assert len([r for r in sb.requests.list(method="DELETE") if r["status"] == 202]) == 2
        sb.advance(61)
        assert rm.resource_groups.check_existence("rg") is False


def test_delete_of_missing_group_raises(rm):
    with pytest.raises(ResourceNotFoundError) as exc:
        rm.resource_groups.begin_delete("nope")
    assert exc.value.error.code == "ResourceGroupNotFound"


def test_injected_lro_failure_rolls_the_group_back(rm, sandbox):
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    sandbox.faults.fail_lro(
        "ResourceGroupDeletionBlocked",
        "Deletion of resource group 'rg' failed as resources with identifiers 'x' could not be deleted.",
        path=r"/resourcegroups/rg$",
        method="DELETE",
        status=409,
    )
    with pytest.raises(HttpResponseError) as exc:
        rm.resource_groups.begin_delete("rg").result()
    assert exc.value.status_code == 409
    assert exc.value.error.code == "ResourceGroupDeletionBlocked"
    assert rm.resource_groups.get("rg").properties.provisioning_state == "Succeeded"


def test_provider_registration(rm, sandbox):
    search = rm.providers.get("Microsoft.ManagedIdentity")
    assert search.registration_state == "Registered"
    assert "userAssignedIdentities" in {t.resource_type for t in search.resource_types}
    assert {"Microsoft.Authorization", "Microsoft.ManagedIdentity"} <= {
        p.namespace for p in rm.providers.list()
    }
    out = rm.providers.unregister("Microsoft.ManagedIdentity")
    assert out.registration_state == "Unregistering"
    sandbox.advance(31)
    assert rm.providers.get("microsoft.managedidentity").registration_state == "NotRegistered"
    with pytest.raises(ResourceNotFoundError) as exc:
        rm.providers.get("Microsoft.Nope")
    assert exc.value.error.code == "InvalidResourceNamespace"


def test_unregistered_namespace_is_missing_subscription_registration(sandbox):
    import ssl

    import httpx

    conn = sandbox.connection
    token = sandbox.issue_token("00000000-0000-4000-a000-0000000000d1")
    sandbox.state.store.put_record(
        "provider_registration", "microsoft.managedidentity", {"state": "NotRegistered", "until": 0}
    )
    url = (
        f"{conn.endpoint}/subscriptions/{conn.subscription_id}/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30"
    )
    verify = ssl.create_default_context(cafile=conn.ca_path)
    resp = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=verify)
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "MissingSubscriptionRegistration"
    assert err["message"].count("'") == 2 and "'Microsoft.ManagedIdentity'" in err["message"]


def test_sdk_auto_registers_a_missing_namespace_and_retries(arm, rm, sandbox):
    """azure-mgmt-core's policy: 409 -> POST register -> GET until Registered -> retry."""
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    sandbox.state.store.put_record(
        "provider_registration", "microsoft.managedidentity", {"state": "NotRegistered", "until": 0}
    )
    msi = arm(ManagedServiceIdentityClient)
    created = msi.user_assigned_identities.create_or_update("rg", "id1", {"location": "eastus"})
    assert created.name == "id1"
    calls = [(r["method"], r["path"].rsplit("/", 1)[-1], r["status"]) for r in sandbox.requests.list()]
    assert ("PUT", "id1", 409) in calls
    assert ("POST", "register", 200) in calls
    assert calls[-1] == ("PUT", "id1", 201)
