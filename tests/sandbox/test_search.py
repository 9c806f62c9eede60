"""Microsoft.Search/searchServices through the official SearchManagementClient."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.search import SearchManagementClient
from azure.mgmt.search.models import (
    DataPlaneAuthOptions,
    Identity,
    SearchService,
    SearchServiceUpdate,
    Sku,
)

from infra.catalog.search import SEARCH_TIERS
from sandbox import SANDBOX_SUBSCRIPTION_ID, Sandbox
from sandbox.arm.search import SCALE_SECONDS

READER = (
    f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/"
    "roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
)
BUSY = "Service update operations aren't allowed at this time because we're processing a previous request."


@pytest.fixture
def search(arm):
    rm = arm(ResourceManagementClient)
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    rm.resource_groups.create_or_update("rg2", {"location": "eastus"})
    return arm(SearchManagementClient)


def _spec(sku: str = "basic", **kw) -> SearchService:
    return SearchService(location="eastus", sku=Sku(name=sku), **kw)


def _create(search, name: str, sku: str = "basic", rg: str = "rg", **kw):
    return search.services.begin_create_or_update(rg, name, _spec(sku, **kw)).result()


def _only(**fields) -> SearchServiceUpdate:
    """An update that sends only `fields` (the model's defaults set to None, arm-facts §4)."""
    base = {"replica_count": None, "partition_count": None, "hosting_mode": None}
    return SearchServiceUpdate(**{**base, "public_network_access": None, **fields})


def _error(exc_info) -> tuple[int, str, str]:
    err = exc_info.value
    return err.status_code, err.error.code, err.error.message


def test_create_is_body_polled_from_provisioning_to_running(search, sandbox):
    initial = []
    poller = search.services.begin_create_or_update(
        "rg", "svc-a", _spec(), raw_response_hook=lambda r: initial.append(r.http_response)
    )
    first = initial[0]
    assert first.status_code == 201
    assert int(first.headers["Retry-After"]) >= 1
    props = first.json()["properties"]
    assert (props["provisioningState"], props["status"]) == ("provisioning", "provisioning")
    done = poller.result()
    assert (done.provisioning_state, done.status) == ("succeeded", "running")
    assert done.endpoint == "https://svc-a.search.windows.net/"
    assert (done.replica_count, done.partition_count, done.sku.name) == (1, 1, "basic")
    assert len(sandbox.requests.list(method="GET", path="searchServices/svc-a")) >= 2


def test_free_succeeds_at_once_and_one_per_subscription(search, sandbox):
    svc = _create(search, "free-one", "free")
    assert svc.provisioning_state == "succeeded"
    assert sandbox.requests.count(method="GET", path="free-one") == 0  # no polling needed
    with pytest.raises(ResourceExistsError) as exc:
        _create(search, "free-two", "free", rg="rg2")
    assert _error(exc) == (
        409,
        "ServiceQuotaExceeded",
        "Creating search service 'free-two' would exceed quota of sku 'free' for subscription "
        f"'{SANDBOX_SUBSCRIPTION_ID}'.",
    )


def test_paid_tier_service_quota_comes_from_the_catalog(search):
    for i in range(SEARCH_TIERS["standard3"].services_per_subscription):
        search.services.begin_create_or_update("rg", f"s3-{i}", _spec("standard3"), polling=False)
    with pytest.raises(ResourceExistsError) as exc:
        _create(search, "s3-extra", "standard3")
    assert exc.value.error.code == "ServiceQuotaExceeded"
    assert "You are using 6 out of 6 'standard3' tier service quota." in exc.value.error.message


INVALID_NAMES = ("a", "ab--c", "-abc", "a-bc", "abc-", "Upper", "x" * 61, "a_b")


def test_invalid_names_are_invalid_service_name(search):
    for name in INVALID_NAMES:
        with pytest.raises(HttpResponseError) as exc:
            _create(search, name)
        status, code, message = _error(exc)
        assert (status, code) == (400, "InvalidServiceName")
        assert message.startswith(f"Service name '{name}' is invalid: Service name must only")
        check = search.services.check_name_availability(name)
        assert (check.is_name_available, check.reason) == (False, "Invalid")


def test_names_are_global_across_resource_groups(search):
    _create(search, "taken")
    assert search.services.check_name_availability("taken").reason == "AlreadyExists"
    assert search.services.check_name_availability("fresh-name").is_name_available is True
    with pytest.raises(HttpResponseError) as exc:
        _create(search, "taken", rg="rg2")
    status, code, message = _error(exc)
    assert (status, code) == (400, "ServiceNameUnavailable")
    assert message.startswith("Cannot provision service 'taken' because a service with this name")
    assert _create(search, "taken").replica_count == 1  # same group: an update, not a clash


def test_get_list_and_synchronous_delete(search, sandbox):
    _create(search, "one")
    _create(search, "two", rg="rg2")
    assert [s.name for s in search.services.list_by_resource_group("rg")] == ["one"]
    assert sorted(s.name for s in search.services.list_by_subscription()) == ["one", "two"]
    search.services.delete("rg", "one")
    search.services.delete("rg", "one")
    assert [r["status"] for r in sandbox.requests.list(method="DELETE")] == [200, 204]
    with pytest.raises(ResourceNotFoundError) as exc:
        search.services.get("rg", "one")
    assert exc.value.error.code == "ResourceNotFound"


def test_patch_changes_only_what_is_sent_then_scales(search, sandbox):
    _create(search, "scaled", "standard", partition_count=2, semantic_search="standard")
    updated = search.services.update("rg", "scaled", _only(replica_count=2))
    assert (updated.replica_count, updated.partition_count) == (2, 2)
    assert updated.semantic_search == "standard"
    assert (updated.provisioning_state, updated.status) == ("provisioning", "provisioning")
    assert sandbox.requests.list(method="PATCH")[-1]["status"] == 200
    with pytest.raises(ResourceExistsError) as exc:
        search.services.update("rg", "scaled", _only(partition_count=3))
    assert _error(exc) == (409, "Conflict", BUSY)
    with pytest.raises(ResourceExistsError):
        search.services.begin_create_or_update("rg", "scaled", _spec("standard"))
    sandbox.advance(SCALE_SECONDS)
    assert search.services.get("rg", "scaled").provisioning_state == "succeeded"


def test_a_write_to_a_failed_service_provisions_it_again(search, sandbox):
    """[unverified] in Azure: a PUT/PATCH converges a failed service (infra.catalog.provisioning)."""
    _create(search, "broken")
    sandbox.faults.fail_lro("InternalServerError", "injected", path=".*/broken$", method="PATCH", times=1)
    search.services.update("rg", "broken", _only(replica_count=2))
    sandbox.advance(SCALE_SECONDS)
    failed = search.services.get("rg", "broken")
    assert (failed.provisioning_state, failed.status, failed.replica_count) == ("failed", "error", 2)
    again = search.services.update("rg", "broken", _only(replica_count=2))
    assert (again.provisioning_state, again.status) == ("provisioning", "provisioning")
    sandbox.advance(SCALE_SECONDS)
    healed = search.services.get("rg", "broken")
    assert (healed.provisioning_state, healed.status, healed.replica_count) == ("succeeded", "running", 2)


def test_sdk_default_counts_are_applied_as_sent(search, sandbox):
    """`SearchServiceUpdate(tags=...)` also sends replicaCount=1/partitionCount=1 (arm-facts §4)."""
    _create(search, "gotcha", "standard", replica_count=3, partition_count=2)
    after = search.services.update("rg", "gotcha", SearchServiceUpdate(tags={"env": "dev"}))
    assert (after.replica_count, after.partition_count, after.tags) == (1, 1, {"env": "dev"})
    assert after.provisioning_state == "provisioning"
    sandbox.advance(SCALE_SECONDS)
    tags_only = search.services.update("rg", "gotcha", _only(tags={"env": "prod"}))
    assert (tags_only.provisioning_state, tags_only.replica_count) == ("succeeded", 1)


TIER_VIOLATIONS = (
    ("basic", {"replica_count": 4}, "allows replicas 1-3"),
    ("basic", {"partition_count": 6}, "allows partitions 1, 2, 3"),
    ("standard", {"partition_count": 5}, "allows partitions 1, 2, 3, 4, 6, 12"),
    ("standard", {"replica_count": 4, "partition_count": 12}, "= 48 search units"),
    ("standard", {"hosting_mode": "highDensity"}, "needs sku 'standard3'"),
    ("free", {"replica_count": 2}, "sku 'free' allows replicas 1-1"),
    ("free", {"semantic_search": "standard"}, "sku 'free' has no semantic ranker"),
)


def test_tier_limits_are_the_catalogs(search):
    for sku, fields, needle in TIER_VIOLATIONS:
        with pytest.raises(HttpResponseError) as exc:
            _create(search, "limits", sku, **fields)
        status, code, message = _error(exc)
        assert (status, code) == (400, "BadRequest")
        assert needle in message
    assert list(search.services.list_by_subscription()) == []


def test_scaling_beyond_the_tier_is_refused_on_patch(search):
    _create(search, "bb", "basic")
    with pytest.raises(HttpResponseError) as exc:
        search.services.update("rg", "bb", _only(replica_count=4))
    assert _error(exc)[:2] == (400, "BadRequest")
    assert search.services.get("rg", "bb").replica_count == 1


def test_free_tier_has_no_managed_identity(search):
    with pytest.raises(HttpResponseError) as exc:
        _create(search, "free-mi", "free", identity=Identity(type="SystemAssigned"))
    assert _error(exc) == (
        400,
        "BadRequest",
        "Resource identity is not supported for the selected SKU.",
    )


def test_system_identity_is_a_directory_principal_role_assignments_accept(search, arm, sandbox):
    svc = _create(search, "with-mi", identity=Identity(type="SystemAssigned"))
    principal = svc.identity.principal_id
    assert sandbox.state.directory.get(principal)["principalType"] == "ServicePrincipal"
    auth = arm(AuthorizationManagementClient)
    assignment = auth.role_assignments.create(
        svc.id,
        str(uuid.uuid4()),
        {"properties": {"roleDefinitionId": READER, "principalId": principal}},
    )
    assert assignment.principal_id == principal
    again = search.services.update("rg", "with-mi", _only(tags={"a": "b"}))
    assert again.identity.principal_id == principal
    search.services.delete("rg", "with-mi")
    assert sandbox.state.directory.get(principal) is None


def test_auth_options_must_be_null_when_local_auth_is_disabled(search):
    for options in (DataPlaneAuthOptions(), DataPlaneAuthOptions(api_key_only={})):
        with pytest.raises(HttpResponseError) as exc:
            _create(search, "keyless", disable_local_auth=True, auth_options=options)
        assert _error(exc) == (
            400,
            "BadRequest",
            "AuthOptions must be null if DisableLocalAuth is true.",
        )
    svc = _create(search, "keyless", disable_local_auth=True)
    assert (svc.disable_local_auth, svc.auth_options) == (True, None)


def test_keys_are_listed_unless_local_auth_is_disabled(search):
    _create(search, "keyed")
    admin = search.admin_keys.get("rg", "keyed")
    assert len(admin.primary_key) == 52 and admin.primary_key != admin.secondary_key
    assert len(list(search.query_keys.list_by_search_service("rg", "keyed"))) == 1
    search.services.update("rg", "keyed", _only(disable_local_auth=True))
    with pytest.raises(HttpResponseError) as exc:
        search.admin_keys.get("rg", "keyed")
    assert _error(exc)[:2] == (400, "BadRequest")
    with pytest.raises(HttpResponseError):
        list(search.query_keys.list_by_search_service("rg", "keyed"))
    assert search.services.get("rg", "keyed").auth_options is None


def test_sku_change_only_up_among_billable_tiers(search, sandbox):
    _create(search, "tiered", "basic")
    up = search.services.update("rg", "tiered", _only(sku=Sku(name="standard2")))
    assert (up.sku.name, up.provisioning_state) == ("standard2", "provisioning")
    sandbox.advance(SCALE_SECONDS)
    with pytest.raises(HttpResponseError) as exc:
        search.services.update("rg", "tiered", _only(sku=Sku(name="basic")))
    assert _error(exc) == (400, "BadRequest", "Cannot update sku for an existing search service.")
    _create(search, "freebie", "free")
    with pytest.raises(HttpResponseError):
        search.services.update("rg", "freebie", _only(sku=Sku(name="basic")))


def test_sku_change_needs_api_2025_05_01(search, arm):
    _create(search, "old-api", "basic")
    old = arm(SearchManagementClient, api_version="2023-11-01")
    with pytest.raises(HttpResponseError) as exc:
        old.services.update("rg", "old-api", _only(sku=Sku(name="standard")))
    assert exc.value.error.message == "Cannot update sku for an existing search service."


def test_in_flight_scale_survives_a_restart(sandbox_dir):
    with Sandbox(sandbox_dir, time_scale=1.0) as sb:
        sb.connection.client(ResourceManagementClient).resource_groups.create_or_update(
            "rg", {"location": "eastus"}
        )
        search = sb.connection.client(SearchManagementClient)
        search.services.begin_create_or_update("rg", "durable", _spec(), polling=False)
        sb.advance(3600)
        assert search.services.update("rg", "durable", _only(replica_count=3)).replica_count == 3
        sb.advance(SCALE_SECONDS / 2)
        assert search.services.get("rg", "durable").provisioning_state == "provisioning"
    with Sandbox(sandbox_dir, time_scale=1.0) as sb:
        search = sb.connection.client(SearchManagementClient)
        assert search.services.get("rg", "durable").provisioning_state == "provisioning"
        with pytest.raises(ResourceExistsError):
            search.services.update("rg", "durable", _only(replica_count=2))
        sb.advance(SCALE_SECONDS / 2 + 1)
        done = search.services.get("rg", "durable")
        assert (done.provisioning_state, done.status, done.replica_count) == (
            "succeeded",
            "running",
            3,
        )


def test_group_delete_removes_services_and_their_principals(search, arm, sandbox):
    svc = _create(search, "in-group", rg="rg2", identity=Identity(type="SystemAssigned"))
    arm(ResourceManagementClient).resource_groups.begin_delete("rg2").result()
    assert list(search.services.list_by_subscription()) == []
    assert sandbox.state.directory.get(svc.identity.principal_id) is None
