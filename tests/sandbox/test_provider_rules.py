"""PUT replaces / PATCH merges and validation before any write for Search, ContainerRegistry,
OperationalInsights, ManagedIdentity and managed environments, through the official azure-mgmt
clients. Sources are cited per test (audit rows: ../shared/reference/sandbox-audit.md)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.search import SearchManagementClient
from azure.mgmt.search.models import SearchService, SearchServiceUpdate, Sku


@pytest.fixture
def rg(arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})


def _refused(call) -> tuple[int, str, str]:
    with pytest.raises(HttpResponseError) as exc:
        call()
    return exc.value.status_code, exc.value.error.code, exc.value.error.message


def _writes(sandbox) -> int:
    return sum(sandbox.requests.count(method=m) for m in ("PUT", "PATCH", "DELETE"))


# -- Microsoft.Search ---------------------------------------------------------------------------
def test_search_put_replaces_and_patch_merges(arm, rg, sandbox):
    """search.json (2025-05-01) Services_CreateOrUpdate: "If the search service already exists,
    all properties will be updated with the given values"; replicaCount/partitionCount default
    1, publicNetworkAccess default "enabled" (same spec). Services_Update (PATCH) merges."""
    search = arm(SearchManagementClient)
    spec = SearchService(
        location="eastus",
        sku=Sku(name="standard"),
        replica_count=3,
        public_network_access="disabled",
        tags={"team": "rag"},
    )
    search.services.begin_create_or_update("rg", "srch", spec).result()
    patched = search.services.update(
        "rg",
        "srch",
        SearchServiceUpdate(
            replica_count=None,
            partition_count=None,
            hosting_mode=None,
            public_network_access=None,
            tags={"a": "b"},
        ),
    )
    assert (patched.replica_count, patched.public_network_access, patched.tags) == (3, "disabled", {"a": "b"})
    bare = SearchService(location="eastus", sku=Sku(name="standard"), replica_count=None, hosting_mode=None)
    replaced = search.services.begin_create_or_update("rg", "srch", bare).result()
    assert (replaced.replica_count, replaced.public_network_access, replaced.tags) == (1, "enabled", {})
    assert replaced.endpoint == "https://srch.search.windows.net/"  # server-computed, kept


def test_search_check_name_availability_requires_the_type(arm, rg, sandbox):
    """search.json CheckNameAvailabilityInput: `name` and `type` required, type enum
    ["searchServices"] (modelAsString false). Status/code/text of the refusal [unverified]."""
    search = arm(SearchManagementClient)
    assert search.services.check_name_availability("free-name").is_name_available
    sub = sandbox.connection.subscription_id
    request = HttpRequest(
        "POST",
        f"/subscriptions/{sub}/providers/Microsoft.Search/checkNameAvailability?api-version=2025-05-01",
        json={"name": "free-name", "type": "storageAccounts"},
    )
    resp = search._send_request(request)
    assert resp.status_code == 400
    assert "searchServices" in resp.json()["error"]["message"]


# -- Microsoft.ContainerRegistry ----------------------------------------------------------------
ACR = {"location": "eastus", "sku": {"name": "Basic"}}


def test_registry_put_replaces_and_patch_merges(arm, rg):
    """ARM PUT is create-or-replace (Registries_Create, RegistryCreate.json defaults:
    adminUserEnabled false, publicNetworkAccess Enabled); Registries_Update (PATCH) merges.
    Audit row "PUT on existing"."""
    acr = arm(ContainerRegistryManagementClient)
    first = {
        **ACR,
        "tags": {"t": "1"},
        "properties": {"adminUserEnabled": True, "anonymousPullEnabled": True},
    }
    created = acr.registries.begin_create("rg", "ragacr01", first).result()
    merged = acr.registries.begin_update("rg", "ragacr01", {"tags": {"t": "2"}}).result()
    assert (merged.admin_user_enabled, merged.anonymous_pull_enabled, merged.tags) == (True, True, {"t": "2"})
    replaced = acr.registries.begin_create("rg", "ragacr01", ACR).result()
    assert (replaced.admin_user_enabled, replaced.anonymous_pull_enabled, replaced.tags) == (False, False, {})
    assert (replaced.login_server, replaced.creation_date) == (created.login_server, created.creation_date)


@pytest.mark.parametrize("sku", ["Gold", "Free", "Classic"])
def test_registry_sku_outside_basic_standard_premium_is_refused_before_any_write(arm, rg, sandbox, sku):
    """Registry SKUs are Basic, Standard, Premium (learn.microsoft.com container-registry-skus;
    azure-cli#26116 "Allowed values: Basic, Standard, Premium"); Classic: "Classic SKU is no
    longer supported. Please select a managed SKU." (azure-cli#11487). Code [unverified]."""
    acr = arm(ContainerRegistryManagementClient)
    acr.registries.begin_create("rg", "ragacr02", ACR).result()
    writes = _writes(sandbox)
    for name in ("ragacr02", "ragacr03"):
        status, _, message = _refused(
            lambda n=name: acr.registries.begin_create("rg", n, {**ACR, "sku": {"name": sku}}).result()
        )
        assert status == 400 and sku.strip() in message
    status, _, _ = _refused(
        lambda: acr.registries.begin_update("rg", "ragacr02", {"sku": {"name": sku}}).result()
    )
    assert status == 400
    assert acr.registries.get("rg", "ragacr02").sku.name == "Basic"
    assert [r.name for r in acr.registries.list()] == ["ragacr02"]
    assert _writes(sandbox) == writes + 3  # the refused requests, none of them applied


# -- Microsoft.OperationalInsights --------------------------------------------------------------
def test_workspace_put_replaces_and_patch_merges(arm, rg):
    """ARM PUT is create-or-replace (Workspaces_CreateOrUpdate); left out: retentionInDays 30,
    sku PerGB2018 [unverified default sku], tags none. PATCH (Workspaces_Update) merges.
    Audit row "PUT on existing"."""
    la = arm(LogAnalyticsManagementClient)
    first = {
        "location": "eastus",
        "tags": {"t": "1"},
        "properties": {
            "sku": {"name": "PerGB2018"},
            "retentionInDays": 90,
            "publicNetworkAccessForQuery": "Disabled",
        },
    }
    created = la.workspaces.begin_create_or_update("rg", "logs", first).result()
    merged = la.workspaces.update("rg", "logs", {"tags": {"t": "2"}})
    assert (merged.retention_in_days, merged.public_network_access_for_query, merged.tags) == (
        90,
        "Disabled",
        {"t": "2"},
    )
    replaced = la.workspaces.begin_create_or_update("rg", "logs", {"location": "eastus"}).result()
    assert (replaced.retention_in_days, replaced.public_network_access_for_query, replaced.tags) == (
        30,
        "Enabled",
        {},
    )
    assert (replaced.customer_id, replaced.created_date) == (created.customer_id, created.created_date)


FIC = {
    "issuer": "https://token.actions.githubusercontent.com",
    "subject": "repo:org/ragstack:environment:prod",
    "audiences": ["api://AzureADTokenExchange"],
}


# -- Microsoft.ManagedIdentity ------------------------------------------------------------------
def test_identity_put_replaces_and_isolation_scope_defaults_to_none(arm, rg):
    """IdentityCreate.json (2024-11-30) shows `isolationScope: "None"` in the response; a PUT
    replaces tags and isolationScope (ARM create-or-replace), PATCH (Identity_Update) merges."""
    msi = arm(ManagedServiceIdentityClient).user_assigned_identities
    created = msi.create_or_update("rg", "app-id", {"location": "eastus", "tags": {"t": "1"}})
    assert created.isolation_scope == "None"
    scoped = msi.create_or_update(
        "rg", "app-id", {"location": "eastus", "properties": {"isolationScope": "Regional"}}
    )
    assert (scoped.isolation_scope, scoped.tags, scoped.principal_id) == (
        "Regional",
        {},
        created.principal_id,
    )
    merged = msi.update("rg", "app-id", {"tags": {"t": "2"}})
    assert (merged.isolation_scope, merged.tags) == ("Regional", {"t": "2"})
    replaced = msi.create_or_update("rg", "app-id", {"location": "eastus"})
    assert (replaced.isolation_scope, replaced.client_id) == ("None", created.client_id)


@pytest.mark.parametrize("name", ["ab", "-lead", "_lead", "bad!name", "a" * 129, "has.dot"])
def test_identity_name_outside_the_rules_is_refused_before_any_write(arm, rg, sandbox, name):
    """3-128 characters, letters, digits, '-' and '_', starting with a letter or digit
    (learn.microsoft.com resource-name-rules#microsoftmanagedidentity; how-manage-user-assigned-
    managed-identities). Code and text [unverified]."""
    msi = arm(ManagedServiceIdentityClient).user_assigned_identities
    status, code, message = _refused(lambda: msi.create_or_update("rg", name, {"location": "eastus"}))
    assert (status, code) == (400, "InvalidResourceName") and name in message
    assert list(msi.list_by_resource_group("rg")) == []


@pytest.mark.parametrize("name", ["abc", "9_lives", "a-b_c", "A" * 128])
def test_identity_names_within_the_rules_are_accepted(arm, rg, name):
    msi = arm(ManagedServiceIdentityClient).user_assigned_identities
    assert msi.create_or_update("rg", name, {"location": "eastus"}).name == name


# -- Microsoft.App managed environments ---------------------------------------------------------
def test_environment_put_replaces_tags(arm, rg):
    """ARM PUT is create-or-replace (ManagedEnvironments_CreateOrUpdate): tags left out are
    removed; PATCH (ManagedEnvironments_Update, JSON merge patch) keeps them."""
    aca = arm(ContainerAppsAPIClient)
    env = {"location": "eastus", "tags": {"t": "1"}, "properties": {}}
    aca.managed_environments.begin_create_or_update("rg", "env", env).result()
    patched = aca.managed_environments.begin_update(
        "rg", "env", {"location": "eastus", "properties": {"zoneRedundant": False}}
    ).result()
    assert patched.tags == {"t": "1"}
    replaced = aca.managed_environments.begin_create_or_update(
        "rg", "env", {"location": "eastus", "properties": {}}
    ).result()
    assert replaced.tags in ({}, None)


def test_federated_identity_credentials_live_under_an_identity(arm, rg, sandbox):
    """FederatedIdentityCredentials_* (msi 2024-11-30; SDK: PUT 200/201, DELETE 200/204);
    issuer, subject and audiences required (FederatedIdentityCredentialCreate.json); a missing
    parent identity is 404. Texts of the refusals [unverified]."""
    client = arm(ManagedServiceIdentityClient)
    fics = client.federated_identity_credentials
    with pytest.raises(ResourceNotFoundError):
        fics.create_or_update("rg", "nobody", "gh", {"properties": FIC})
    client.user_assigned_identities.create_or_update("rg", "ci-id", {"location": "eastus"})
    created = fics.create_or_update("rg", "ci-id", "gh", {"properties": FIC})
    assert (created.issuer, created.subject, created.audiences) == (
        FIC["issuer"],
        FIC["subject"],
        FIC["audiences"],
    )
    writes = _writes(sandbox)
    status, _, message = _refused(
        lambda: fics.create_or_update("rg", "ci-id", "bad", {"properties": {"issuer": FIC["issuer"]}})
    )
    assert status == 400 and "subject" in message
    assert [f.name for f in fics.list("rg", "ci-id")] == ["gh"]
    assert _writes(sandbox) == writes + 1
    fics.delete("rg", "ci-id", "gh")
    fics.delete("rg", "ci-id", "gh")
    assert [r["status"] for r in sandbox.requests.list(method="DELETE")] == [200, 204]
    assert list(fics.list("rg", "ci-id")) == []
