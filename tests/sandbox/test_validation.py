"""ARM's own checks before a provider: api-version per type, locations, systemData.

Every refusal leaves the store unchanged and the request log without a successful write.
"""

from __future__ import annotations

import ssl

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.search import SearchManagementClient

from infra.armshape import ARM_SHAPES
from infra.catalog import api_versions
from sandbox import SANDBOX_SUBSCRIPTION_ID
from sandbox.core.validation import resource_type

SUB = f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}"
UAI = f"{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities"


@pytest.fixture
def http(sandbox):
    verify = ssl.create_default_context(cafile=sandbox.connection.ca_path)
    token = sandbox.issue_token("00000000-0000-4000-a000-0000000000d1")
    with httpx.Client(
        base_url=sandbox.connection.endpoint,
        verify=verify,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


@pytest.fixture
def rg(http):
    assert http.put(f"{SUB}/resourcegroups/rg?api-version=2025-04-01", json={"location": "eastus"}).is_success


def _no_write(sandbox, path):
    assert sandbox.state.store.get(path) is None
    assert not [r for r in sandbox.requests.list(method="PUT", path=path) if r["status"] < 300]


def test_unknown_provider_version_is_no_registered_provider_found(sandbox, http, rg):
    """Src: Azure/bicep#3543, Azure/azure-cli#28368: RP types answer NoRegisteredProviderFound."""
    resp = http.put(f"{UAI}/id1?api-version=2019-01-01", json={"location": "eastus"})
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "NoRegisteredProviderFound"
    assert err["message"].startswith(
        "No registered resource provider found for location 'eastus' and API version '2019-01-01' "
        "for type 'userAssignedIdentities'. The supported api-versions are '2025-05-31-preview, "
    )
    assert "The supported locations are '" in err["message"] and "swedencentral" in err["message"]
    _no_write(sandbox, f"{UAI}/id1")


def test_unknown_front_door_version_is_invalid_api_version_parameter(sandbox, http):
    """Src: pulumi/pulumi-azure-native#3637: Microsoft.Resources answers InvalidApiVersionParameter."""
    resp = http.put(f"{SUB}/resourcegroups/rg?api-version=2023-02-01", json={"location": "eastus"})
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "InvalidApiVersionParameter"
    assert err["message"].startswith(
        "The api-version '2023-02-01' is invalid. The supported versions are '2025-04-01,2024-11-01,"
    )
    _no_write(sandbox, f"{SUB}/resourcegroups/rg")


def test_malformed_version_differs_from_unknown_version(http, rg):
    """A malformed version is InvalidApiVersionParameter even on a provider type (code [unverified])."""
    resp = http.get(f"{UAI}/x?api-version=notaversion")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "InvalidApiVersionParameter"
    resp = http.get(f"{UAI}/x?api-version=1999-01-01")
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_sdk_client_with_an_unsupported_version_fails_before_any_write(sandbox, arm):
    rm = arm(ResourceManagementClient)
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    old = arm(SearchManagementClient, api_version="2021-04-01-preview")
    with pytest.raises(HttpResponseError) as exc:
        old.services.begin_create_or_update("rg", "srch1", {"location": "eastus", "sku": {"name": "free"}})
    assert exc.value.error.code == "NoRegisteredProviderFound"
    _no_write(sandbox, f"{SUB}/resourceGroups/rg/providers/Microsoft.Search/searchServices/srch1")


@pytest.mark.parametrize("shape", sorted(ARM_SHAPES))
def test_every_version_our_clients_send_is_in_the_catalog(shape):
    """opsctl deploy / pulumi-azure-native (infra/armshape.py) must never meet a refusal."""
    arm_type, _, version = ARM_SHAPES[shape]
    assert version in (api_versions.supported(arm_type) or ())


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/subscriptions/s/resourcegroups/rg", "Microsoft.Resources/resourceGroups"),
        ("GET", "/subscriptions/s/resourcegroups", "Microsoft.Resources/resourceGroups"),
        ("GET", "/subscriptions/s", "Microsoft.Resources/subscriptions"),
        ("GET", "/subscriptions/s/providers/Microsoft.App", "Microsoft.Resources/providers"),
        ("POST", "/subscriptions/s/providers/Microsoft.App/register", "Microsoft.Resources/providers"),
        (
            "GET",
            "/subscriptions/s/providers/Microsoft.Search/searchServices",
            "Microsoft.Search/searchServices",
        ),
        (
            "POST",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Search/searchServices/x/listQueryKeys",
            "Microsoft.Search/searchServices",
        ),
        (
            "PUT",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/deployments/d",
            "Microsoft.CognitiveServices/accounts/deployments",
        ),
        (
            "PUT",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Search/searchServices/x/providers/"
            "Microsoft.Authorization/roleAssignments/g",
            "Microsoft.Authorization/roleAssignments",
        ),
    ],
)
def test_resource_type_is_derived_as_arm_does(method, path, expected):
    assert resource_type(method, path) == expected


def test_group_in_an_unknown_region_is_refused(sandbox, http):
    """Src: sandbox-audit Resources row: 400 LocationNotAvailableForResourceGroup."""
    resp = http.put(f"{SUB}/resourcegroups/rg?api-version=2025-04-01", json={"location": "marsnorth"})
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "LocationNotAvailableForResourceGroup"
    assert err["message"].startswith(
        "The provided location 'marsnorth' is not available for resource group. List of available "
        "regions is 'australiacentral,"
    )
    _no_write(sandbox, f"{SUB}/resourcegroups/rg")


def test_resource_in_an_unknown_region_is_refused(sandbox, http, rg):
    resp = http.put(f"{UAI}/id1?api-version=2024-11-30", json={"location": "marsnorth"})
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["code"] == "LocationNotAvailableForResourceType"
    assert err["message"].startswith(
        "The provided location 'marsnorth' is not available for resource type "
        "'Microsoft.ManagedIdentity/userAssignedIdentities'. List of available regions for the "
        "resource type is 'australiacentral,"
    )
    _no_write(sandbox, f"{UAI}/id1")


def test_display_names_are_normalised_not_refused(http, rg):
    resp = http.put(f"{UAI}/id1?api-version=2024-11-30", json={"location": "East US 2"})
    assert resp.status_code == 201 and resp.json()["location"] == "eastus2"


def test_put_that_moves_an_identity_is_invalid_resource_location(sandbox, arm):
    """Src: sandbox-audit Core row: 409 InvalidResourceLocation (the UAI used to move silently)."""
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    msi = arm(ManagedServiceIdentityClient)
    msi.user_assigned_identities.create_or_update("rg", "id1", {"location": "eastus"})
    with pytest.raises(ResourceExistsError) as exc:
        msi.user_assigned_identities.create_or_update("rg", "id1", {"location": "westus", "tags": {"a": "b"}})
    assert exc.value.error.code == "InvalidResourceLocation"
    assert exc.value.error.message == (
        "The resource 'id1' already exists in location 'eastus' in resource group 'rg'. A resource "
        "with the same name cannot be created in location 'westus'. Please select a new resource name."
    )
    doc = msi.user_assigned_identities.get("rg", "id1")
    assert doc.location == "eastus" and not doc.tags


def test_put_that_moves_a_search_service_is_refused(arm, sandbox):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    search = arm(SearchManagementClient)
    search.services.begin_create_or_update(
        "rg", "srch1", {"location": "eastus", "sku": {"name": "free"}}
    ).result()
    with pytest.raises(ResourceExistsError) as exc:
        search.services.begin_create_or_update(
            "rg", "srch1", {"location": "westeurope", "sku": {"name": "free"}}
        )
    assert exc.value.error.code == "InvalidResourceLocation"
    assert search.services.get("rg", "srch1").location == "eastus"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({}, "Application"),
        ({"idtyp": "user", "scp": "user_impersonation"}, "User"),
        ({"xms_mirid": f"{UAI}/ci"}, "ManagedIdentity"),
    ],
)
def test_system_data_names_the_kind_of_caller(sandbox, http, rg, claims, expected):
    """Src: SearchCreateOrUpdateService.json (2025-05-01) shows createdByType User; Entra claims."""
    token = sandbox.state.issuer.issue(
        oid="00000000-0000-4000-a000-0000000000d1", aud="https://management.azure.com/", **claims
    )[0]
    url = f"{SUB}/resourceGroups/rg/providers/Microsoft.Search/searchServices/srch1?api-version=2025-05-01"
    resp = http.put(
        url,
        json={"location": "eastus", "sku": {"name": "free"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 201
    data = resp.json()["systemData"]
    assert data["createdByType"] == expected and data["lastModifiedByType"] == expected
