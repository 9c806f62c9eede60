"""Requests that real clients (az CLI, MSAL, azidentity for Go, pulumi-azure-native) send and the
Python SDKs never do, answered as ARM and Entra answer them.

Each shape is quoted from the client that sends it:
- az 2.91 `az cloud register --endpoint-resource-manager URL/` GETs
  `URL/ + /metadata/endpoints?api-version=2022-09-01` (azure/cli/command_modules/cloud/custom.py
  `_populate_from_metadata_endpoint`), a double slash when the URL ends in `/` as
  Microsoft's docs write it, and reads ONE cloud object (`_arm_to_cli_mapper`).
- az asks for `{audiences[0]}/.default` = `https://management.core.windows.net//.default`.
- pulumi-azure-native 3.x `azure-native:metadataHost` (ARM_METADATA_HOSTNAME) goes through
  go-azure-sdk `environments.FromEndpoint(ctx, "https://" + metadataHost)`, which GETs
  `/metadata/endpoints?api-version=2022-09-01` and reads `resourceManager`,
  `authentication.loginEndpoint` and `authentication.audiences` (hashicorp/go-azure-sdk
  sdk/internal/metadata/client.go `metaDataResponse20220901`); with
  `disableInstanceDiscovery` azidentity then GETs `{login}/{tenant}/v2.0/.well-known/
  openid-configuration` and POSTs the token request there.
- ARM's 401 challenge names the authority: `Bearer authorization_uri="https://login.windows.net/
  {tenant}", error="invalid_token", ...` (Azure/azure-sdk-for-python#4124 response headers;
  azure-core's ARMChallengeAuthenticationPolicy reads it).
"""

from __future__ import annotations

import ssl
import urllib.parse

import httpx
import pytest

from sandbox.constants import OPERATOR_CLIENT_ID, OPERATOR_SECRET

API = "api-version=2022-12-01"


@pytest.fixture
def http(sandbox):
    verify = ssl.create_default_context(cafile=sandbox.connection.ca_path)
    with httpx.Client(base_url=sandbox.connection.endpoint, verify=verify, timeout=10) as client:
        yield client


def _token(http, tenant: str, scope: str) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": OPERATOR_CLIENT_ID,
        "client_secret": OPERATOR_SECRET,
        "scope": scope,
    }
    resp = http.post(f"/{tenant}/oauth2/v2.0/token", content=urllib.parse.urlencode(form))
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


@pytest.mark.parametrize("path", ["/metadata/endpoints", "//metadata/endpoints"])
def test_az_cloud_register_reads_one_cloud_object_even_through_a_double_slash(sandbox, http, path):
    endpoint = sandbox.connection.endpoint
    doc = http.get(f"{endpoint}{path}?api-version=2022-09-01").json()
    assert isinstance(doc, dict), "az and go-azure-sdk read one object for 2022-09-01"
    assert doc["resourceManager"] == f"{endpoint}/"
    assert doc["authentication"]["loginEndpoint"] == endpoint
    assert doc["authentication"]["audiences"][0] == "https://management.core.windows.net/"
    assert doc["name"] and doc["suffixes"]["acrLoginServer"] == "azurecr.io"


def test_the_az_scope_with_its_double_slash_gives_a_token_arm_takes(sandbox, http):
    tenant = sandbox.connection.tenant_id
    token = _token(http, tenant, "https://management.core.windows.net//.default")
    url = f"{sandbox.connection.endpoint}//subscriptions?{API}"  # as az builds it: endpoint/ + /path
    resp = http.get(url, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text
    assert [s["subscriptionId"] for s in resp.json()["value"]] == [sandbox.connection.subscription_id]


def test_double_slashes_inside_an_arm_path_reach_the_resource(sandbox, http):
    token = _token(http, sandbox.connection.tenant_id, "https://management.azure.com/.default")
    auth = {"Authorization": f"Bearer {token}"}
    sub = sandbox.connection.subscription_id
    put = http.put(
        f"{sandbox.connection.endpoint}/subscriptions/{sub}//resourcegroups/rg-slash?api-version=2025-04-01",
        json={"location": "eastus"},
        headers=auth,
    )
    assert put.status_code == 201, put.text
    assert put.json()["id"] == f"/subscriptions/{sub}/resourceGroups/rg-slash"


def test_pulumi_metadata_host_path_requests(sandbox, http):
    """What pulumi-azure-native with `metadataHost=127.0.0.1:PORT` and
    `disableInstanceDiscovery=true` sends, in order (the engine is not installable here)."""
    metadata_host = urllib.parse.urlsplit(sandbox.connection.endpoint).netloc  # 127.0.0.1:PORT
    meta = http.get(f"https://{metadata_host}/metadata/endpoints?api-version=2022-09-01").json()
    tenant = sandbox.connection.tenant_id
    login = meta["authentication"]["loginEndpoint"].rstrip("/")
    oidc = http.get(f"{login}/{tenant}/v2.0/.well-known/openid-configuration").json()
    assert oidc["token_endpoint"] == f"{login}/{tenant}/oauth2/v2.0/token"
    scope = meta["authentication"]["audiences"][0] + "/.default"
    token = _token(http, tenant, scope)
    arm = meta["resourceManager"].rstrip("/")
    resp = http.get(
        f"{arm}/subscriptions/{sandbox.connection.subscription_id}?{API}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200, resp.text


def test_arm_401_challenge_names_the_sandbox_authority(sandbox, http):
    resp = http.get(f"/subscriptions?{API}")
    assert resp.status_code == 401
    challenge = resp.headers["WWW-Authenticate"]
    authority = f"{sandbox.connection.endpoint}/{sandbox.connection.tenant_id}"
    assert challenge.startswith(f'Bearer authorization_uri="{authority}", error="invalid_token"')


def test_msal_instance_discovery_against_the_sandbox(sandbox):
    """MSAL asks `{host}/common/discovery/instance?api-version=1.0&authorization_endpoint=...`
    for the tenant discovery endpoint when instance discovery is pointed at the authority's
    own host (msal authority.py `_instance_discovery`); Entra answers `tenant_discovery_endpoint`
    and `metadata`, or 400 `invalid_instance` (AADSTS50049) for a host it does not serve."""
    import msal
    import requests

    conn = sandbox.connection
    session = requests.Session()
    session.verify = conn.ca_path
    session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment would win over verify
    app = msal.ConfidentialClientApplication(
        OPERATOR_CLIENT_ID,
        client_credential=OPERATOR_SECRET,
        authority=f"{conn.endpoint}/{conn.tenant_id}",
        instance_discovery=f"{conn.endpoint}/common/discovery/instance",
        http_client=session,
        verify=conn.ca_path,
    )
    result = app.acquire_token_for_client(scopes=["https://management.azure.com/.default"])
    assert "access_token" in result, result
    verify = ssl.create_default_context(cafile=conn.ca_path)
    other = httpx.get(
        f"{conn.endpoint}/common/discovery/instance",
        params={
            "api-version": "1.1",
            "authorization_endpoint": "https://evil.example/t/oauth2/v2.0/authorize",
        },
        verify=verify,
    )
    assert other.status_code == 400 and other.json()["error"] == "invalid_instance"
    assert other.json()["error_codes"] == [50049]
