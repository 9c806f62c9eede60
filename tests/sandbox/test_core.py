"""Core ARM behaviour: auth, api-version, headers, throttling, faults, request log, discovery."""

from __future__ import annotations

import ssl
import time

import httpx
import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from sandbox import SANDBOX_SUBSCRIPTION_ID, SANDBOX_TENANT_ID, SandboxAdmin
from sandbox.core.throttle import Bucket, ThrottleConfig

RGS = f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/resourcegroups"


@pytest.fixture
def http(sandbox):
    verify = ssl.create_default_context(cafile=sandbox.connection.ca_path)
    with httpx.Client(base_url=sandbox.connection.endpoint, verify=verify) as client:
        yield client


@pytest.fixture
def bearer(sandbox):
    return {"Authorization": f"Bearer {sandbox.issue_token('00000000-0000-4000-a000-0000000000d1')}"}


class _FixedToken:
    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kw):
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)


def test_missing_token_is_401_with_challenge(http):
    resp = http.get(f"{RGS}?api-version=2025-04-01")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json()["error"]["code"] == "AuthenticationFailed"
    assert resp.json()["error"]["message"] == "Authentication failed. The 'Authorization' header is missing."
    assert resp.headers["www-authenticate"].startswith('Bearer authorization_uri="')


def test_foreign_or_forged_tokens_are_rejected_through_the_sdk(sandbox):
    forged = sandbox.issue_token("x").rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    rm = sandbox.connection.client(ResourceManagementClient, credential=_FixedToken(forged))
    with pytest.raises(ClientAuthenticationError) as exc:
        rm.resource_groups.get("rg")
    assert exc.value.error.code == "InvalidAuthenticationToken"
    wrong_aud = sandbox.issue_token("x", aud="https://vault.azure.net")
    rm = sandbox.connection.client(ResourceManagementClient, credential=_FixedToken(wrong_aud))
    with pytest.raises(ClientAuthenticationError) as exc:
        rm.resource_groups.get("rg")
    assert exc.value.error.code == "InvalidAuthenticationTokenAudience"


def test_missing_api_version_is_400(http, bearer):
    resp = http.get(RGS, headers=bearer)
    assert resp.status_code == 400
    assert resp.json() == {
        "error": {
            "code": "MissingApiVersionParameter",
            "message": "The api-version query parameter (?api-version=) is required for all requests.",
        }
    }
    bad = http.get(f"{RGS}?api-version=1999-01-01-whatever", headers=bearer)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidApiVersionParameter"


def test_arm_headers_and_correlation_echo(http, bearer):
    resp = http.get(
        f"{RGS}?api-version=2025-04-01", headers={**bearer, "x-ms-correlation-request-id": "corr-1"}
    )
    assert resp.headers["x-ms-correlation-request-id"] == "corr-1"
    assert len(resp.headers["x-ms-request-id"]) == 36
    assert int(resp.headers["x-ms-ratelimit-remaining-subscription-reads"]) == 249
    put = http.put(f"{RGS}/rg?api-version=2025-04-01", headers=bearer, json={"location": "eastus"})
    assert put.status_code == 201
    assert int(put.headers["x-ms-ratelimit-remaining-subscription-writes"]) == 199
    assert put.headers["x-ms-correlation-request-id"] == put.headers["x-ms-request-id"]


def test_unknown_subscription_and_type(http, bearer):
    resp = http.get(
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups?api-version=1",
        headers=bearer,
    )
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "SubscriptionNotFound"
    http.put(f"{RGS}/rg?api-version=2025-04-01", headers=bearer, json={"location": "eastus"})
    resp = http.get(f"{RGS}/rg/providers/Microsoft.ManagedIdentity/nopes/x?api-version=1", headers=bearer)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "InvalidResourceType"


def test_subscription_client_lists_the_one_subscription(arm):
    subs = arm(SubscriptionClient)
    listed = list(subs.subscriptions.list())
    assert [s.subscription_id for s in listed] == [SANDBOX_SUBSCRIPTION_ID]
    one = subs.subscriptions.get(SANDBOX_SUBSCRIPTION_ID)
    assert one.tenant_id == SANDBOX_TENANT_ID and one.state == "Enabled"
    assert [t.tenant_id for t in subs.tenants.list()] == [SANDBOX_TENANT_ID]


def test_cloud_metadata_points_at_the_sandbox(http, sandbox):
    doc = http.get("/metadata/endpoints?api-version=2022-09-01").json()
    assert isinstance(doc, dict)
    assert doc["resourceManager"] == sandbox.connection.endpoint + "/"
    assert doc["authentication"]["loginEndpoint"] == sandbox.connection.endpoint
    assert "https://management.azure.com/" in doc["authentication"]["audiences"]


def test_throttling_burst_completes_through_sdk_retries(sandbox_dir, sdk_sleeps_follow_sandbox):
    from sandbox import Sandbox

    # 0.05 tokens per simulated s at 100x = 5 per wall second: far below the request rate,
    # so the burst is throttled even on a slow machine; Retry-After 20 s = 0.2 s wall.
    config = ThrottleConfig(reads=Bucket(3, 0.05), writes=Bucket(2, 0.05))
    with Sandbox(sandbox_dir, time_scale=100, throttling=config) as sb:
        from sandbox.testing import scaled_sdk_sleeps

        with scaled_sdk_sleeps(100):
            rm = sb.connection.client(ResourceManagementClient)
            for i in range(3):
                rm.resource_groups.create_or_update(f"rg{i}", {"location": "eastus"})
            for i in range(5):
                assert rm.resource_groups.get(f"rg{i % 3}").name == f"rg{i % 3}"
        throttled = sb.requests.list(status=429)
        assert {r["method"] for r in throttled} == {"PUT", "GET"}
        assert all(r["principal_id"] for r in throttled)
        assert len(sb.requests.list(status=201)) == 3
        assert len(sb.requests.list(method="GET", status=200)) == 5


def test_throttled_response_shape(sandbox_dir, sdk_sleeps_follow_sandbox):
    from sandbox import Sandbox

    with Sandbox(sandbox_dir, time_scale=1, throttling=ThrottleConfig(reads=Bucket(1, 0.1))) as sb:
        rm = sb.connection.client(ResourceManagementClient, retry_total=0)
        list(rm.resource_groups.list())
        with pytest.raises(HttpResponseError) as exc:
            list(rm.resource_groups.list())
        assert exc.value.status_code == 429
        assert exc.value.error.code == "SubscriptionRequestsThrottled"
        assert exc.value.response.headers["Retry-After"] == "10"
        assert "Number of 'read' requests for subscription" in exc.value.error.message


def test_throttling_can_be_switched_off(sandbox_dir):
    from sandbox import Sandbox

    config = ThrottleConfig(enabled=False, reads=Bucket(1, 0.001))
    with Sandbox(sandbox_dir, throttling=config) as sb:
        rm = sb.connection.client(ResourceManagementClient, retry_total=0)
        for _ in range(5):
            list(rm.resource_groups.list())
        assert sb.requests.count(status=429) == 0


def test_fault_429_and_5xx_are_retried_by_the_sdk(arm, sandbox):
    rm = arm(ResourceManagementClient)
    sandbox.faults.throttle(path="/resourcegroups/rg$", method="PUT", times=2, retry_after=3)
    sandbox.faults.error(
        503, "ServiceUnavailable", "Try later.", path="/resourcegroups/rg$", method="GET", times=1
    )
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    assert rm.resource_groups.get("rg").name == "rg"
    statuses = [(r["method"], r["status"]) for r in sandbox.requests.list(path="/resourcegroups/rg")]
    assert statuses == [("PUT", 429), ("PUT", 429), ("PUT", 201), ("GET", 503), ("GET", 200)]
    assert sandbox.faults.list() == []  # spent rules retire


def test_fault_409_conflict_surfaces_code_and_message(arm, sandbox):
    rm = arm(ResourceManagementClient)
    sandbox.faults.error(409, "AnotherOperationInProgress", "Busy.", path="/resourcegroups/rg$")
    with pytest.raises(ResourceExistsError) as exc:
        rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    assert (exc.value.error.code, exc.value.error.message) == (
        "AnotherOperationInProgress",
        "Busy.",
    )


def test_dropped_connection_is_retried_by_the_sdk(arm, sandbox):
    rm = arm(ResourceManagementClient)
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    sandbox.faults.drop(path="/resourcegroups/rg$", method="GET", times=1)
    assert rm.resource_groups.get("rg").name == "rg"
    assert [r["status"] for r in sandbox.requests.list(method="GET")] == [0, 200]
    sandbox.faults.drop(path="/resourcegroups/rg$", method="GET")
    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        arm(ResourceManagementClient, retry_total=0).resource_groups.get("rg")


def test_delay_fault_holds_the_response(sandbox_dir):
    from sandbox import Sandbox

    with Sandbox(sandbox_dir, time_scale=10) as sb:
        rm = sb.connection.client(ResourceManagementClient, retry_total=0)
        sb.faults.delay(3, path="/resourcegroups$", times=1)  # 3 simulated s = 0.3 s wall
        started = time.perf_counter()
        assert list(rm.resource_groups.list()) == []
        assert time.perf_counter() - started >= 0.3
        sb.faults.delay(30, path="/resourcegroups$", times=1)  # 3 s wall > the client's timeout
        with pytest.raises(ServiceResponseError):
            list(rm.resource_groups.list(read_timeout=0.5))


def test_request_log_and_admin_api(sandbox, arm):
    rm = arm(ResourceManagementClient)
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    rm.resource_groups.get("rg", headers={"x-ms-client-request-id": "fixed-id"})
    entry = sandbox.requests.list(method="GET")[0]
    assert entry["client_request_id"] == "fixed-id"
    assert entry["api_version"] == "2025-04-01" and entry["duration_ms"] >= 0
    with SandboxAdmin(sandbox.connection) as admin:
        assert admin.health()
        assert len(admin.requests(method="PUT", path="resourcegroups/rg")) == 1
        since = time.time()
        rm.resource_groups.get("rg")
        assert [r["method"] for r in admin.requests(since=since)] == ["GET"]
        fault = admin.add_fault("error", status=500, code="Boom", message="x", path="/nothing", times=1)
        assert [f["id"] for f in admin.faults()] == [fault["id"]]
        admin.clear_faults()
        admin.add_principal("11111111-2222-3333-4444-555555555555", "Group")
        assert sandbox.state.directory.get("11111111-2222-3333-4444-555555555555")["principalType"] == "Group"
        status = admin.status()
        assert status["resource_counts"] == {
            "microsoft.resources/resourcegroups": 1,
            "microsoft.authorization/roleassignments": 1,  # the operator's Owner assignment
        }
        admin.clear_requests()
        assert sandbox.requests.list() == []  # admin calls themselves are never logged
        admin.reset()
    assert rm.resource_groups.check_existence("rg") is False
