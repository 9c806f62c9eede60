"""Microsoft.CognitiveServices through the official CognitiveServicesManagementClient."""

from __future__ import annotations

import datetime as dt
import ssl

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import (
    Account,
    AccountProperties,
    Deployment,
    DeploymentModel,
    DeploymentProperties,
    Identity,
    Sku,
)
from azure.mgmt.resource.resources import ResourceManagementClient

from infra.catalog.cognitive import SOFT_DELETE_RETENTION_HOURS, default_quota, quota_usage_name
from sandbox import SANDBOX_SUBSCRIPTION_ID, Sandbox
from sandbox.arm.cognitive import (
    ACCOUNT_SECONDS,
    DEPLOYMENT_SECONDS,
    NAMESPACE,
)
from sandbox.constants import ADMIN_KEY_HEADER

ACCOUNT_ID = (
    f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/resourceGroups/rg/providers/"
    "Microsoft.CognitiveServices/accounts/{}"
)
MINI = quota_usage_name("GlobalStandard", "gpt-4o-mini")


@pytest.fixture
def cog(arm):
    rm = arm(ResourceManagementClient)
    for rg in ("rg", "rg2"):
        rm.resource_groups.create_or_update(rg, {"location": "eastus"})
    return arm(CognitiveServicesManagementClient)


@pytest.fixture
def slow(sandbox_dir):
    """A sandbox whose clock moves only when told: for observing operations in progress."""
    with Sandbox(sandbox_dir, time_scale=1.0) as sb:
        rm = sb.connection.client(ResourceManagementClient)
        rm.resource_groups.create_or_update("rg", {"location": "eastus"})
        yield sb, sb.connection.client(CognitiveServicesManagementClient)


def _account(kind: str = "OpenAI", sku: str = "S0", **props) -> Account:
    return Account(
        location="eastus",
        kind=kind,
        sku=Sku(name=sku),
        identity=Identity(type="SystemAssigned"),
        properties=AccountProperties(**props),
    )


def _create(cog, name: str, rg: str = "rg", **kw):
    return cog.accounts.begin_create(rg, name, _account(**kw)).result()


def _deployment(
    capacity: int = 10, sku: str = "GlobalStandard", model: str = "gpt-4o-mini", fmt: str = "OpenAI"
):
    props = DeploymentProperties(model=DeploymentModel(format=fmt, name=model, version="2024-07-18"))
    return Deployment(sku=Sku(name=sku, capacity=capacity), properties=props)


def _deploy(cog, account: str, name: str, rg: str = "rg", **kw):
    return cog.deployments.begin_create_or_update(rg, account, name, _deployment(**kw)).result()


def _usage(cog, name: str = MINI, location: str = "eastus"):
    return next(u for u in cog.usages.list(location) if u.name.value == name)


def _error(exc_info) -> tuple[int, str, str]:
    err = exc_info.value
    return err.status_code, err.error.code, err.error.message


def test_account_create_is_get_able_at_once_then_succeeds(slow):
    sb, cog = slow
    initial = cog.accounts.begin_create("rg", "oai", _account(), polling=False).result()
    assert initial.properties.provisioning_state == "Creating"
    assert sb.requests.list(method="PUT")[-1]["status"] == 201
    assert cog.accounts.get("rg", "oai").properties.provisioning_state == "Creating"
    sb.advance(ACCOUNT_SECONDS)
    assert cog.accounts.get("rg", "oai").properties.provisioning_state == "Succeeded"


def test_account_endpoints_identity_and_lists(cog, sandbox):
    account = _create(cog, "oai", custom_sub_domain_name="oai-sub")
    assert account.properties.provisioning_state == "Succeeded"
    assert account.properties.endpoint == "https://oai-sub.openai.azure.com/"
    assert account.properties.endpoints["OpenAI Language Model Instance API"] == account.properties.endpoint
    assert sandbox.state.directory.get(account.identity.principal_id) is not None
    di = _create(cog, "docint", kind="FormRecognizer", sku="F0", custom_sub_domain_name="di-sub")
    assert di.properties.endpoint == "https://di-sub.cognitiveservices.azure.com/"
    assert [a.name for a in cog.accounts.list_by_resource_group("rg")] == ["oai", "docint"]
    assert len(list(cog.accounts.list())) == 2


def test_list_keys_fails_once_local_auth_is_disabled(cog):
    _create(cog, "keys")
    keys = cog.accounts.list_keys("rg", "keys")
    assert keys.key1 and keys.key1 != keys.key2
    patch = Account(properties=AccountProperties(disable_local_auth=True))
    assert cog.accounts.begin_update("rg", "keys", patch).result().properties.disable_local_auth
    with pytest.raises(HttpResponseError) as exc:
        cog.accounts.list_keys("rg", "keys")
    assert _error(exc) == (
        400,
        "BadRequest",
        "Failed to list key. disableLocalAuth is set to be true",
    )


def test_delete_soft_deletes_and_recreate_needs_restore(cog, sandbox):
    _create(cog, "soft", custom_sub_domain_name="soft-sub")
    _deploy(cog, "soft", "chat", capacity=30)
    initial = []
    cog.accounts.begin_delete(
        "rg", "soft", raw_response_hook=lambda r: initial.append(r.http_response)
    ).result()
    assert initial[0].status_code == 202 and "azure-asyncoperation" in {k.lower() for k in initial[0].headers}
    with pytest.raises(ResourceNotFoundError):
        cog.accounts.get("rg", "soft")
    [deleted] = list(cog.deleted_accounts.list())
    assert deleted.id.endswith("/locations/eastus/resourceGroups/rg/deletedAccounts/soft")
    deleted_at, purge_at = (
        dt.datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")
        for stamp in (deleted.properties.deletion_date, deleted.properties.scheduled_purge_date)
    )
    assert purge_at - deleted_at == dt.timedelta(hours=SOFT_DELETE_RETENTION_HOURS)
    assert cog.deleted_accounts.get("eastus", "rg", "soft").name == "soft"
    with pytest.raises(ResourceExistsError) as exc:
        _create(cog, "soft", custom_sub_domain_name="soft-sub")
    status, code, message = _error(exc)
    assert (status, code) == (409, "FlagMustBeSetForRestore")
    assert message.startswith(
        f"An existing resource with ID '{ACCOUNT_ID.format('soft')}' has been soft-deleted."
    )
    restored = _create(cog, "soft", restore=True)
    assert restored.properties.custom_sub_domain_name == "soft-sub"
    assert [d.sku.capacity for d in cog.deployments.list("rg", "soft")] == [30]
    assert list(cog.deleted_accounts.list()) == []


def test_custom_subdomain_is_global_even_while_soft_deleted(cog):
    _create(cog, "first", custom_sub_domain_name="shared-sub")
    with pytest.raises(ResourceExistsError) as exc:
        _create(cog, "second", rg="rg2", custom_sub_domain_name="Shared-Sub")
    status, code, message = _error(exc)
    assert (status, code) == (409, "CustomDomainInUse")
    assert message.startswith(
        "Please pick a different name. The subdomain name 'Shared-Sub' is not available"
    )
    cog.accounts.begin_delete("rg", "first").result()
    with pytest.raises(ResourceExistsError):
        _create(cog, "second", rg="rg2", custom_sub_domain_name="shared-sub")
    cog.deleted_accounts.begin_purge("eastus", "rg", "first").result()
    assert list(cog.deleted_accounts.list()) == []
    assert _create(cog, "second", rg="rg2", custom_sub_domain_name="shared-sub").name == "second"
    assert _create(cog, "first").properties.provisioning_state == "Succeeded"  # no restore needed


def test_purge_needs_the_accounts_own_location(cog, sandbox):
    account = _create(cog, "gone")
    cog.accounts.begin_delete("rg", "gone").result()
    with pytest.raises(ResourceNotFoundError):
        cog.deleted_accounts.get("westus", "rg", "gone")
    cog.deleted_accounts.begin_purge("eastus", "rg", "gone").result()
    assert sandbox.state.directory.get(account.identity.principal_id) is None
    with pytest.raises(ResourceNotFoundError):
        cog.deleted_accounts.get("eastus", "rg", "gone")


def test_soft_deleted_accounts_expire_after_retention(cog, sandbox):
    _create(cog, "short")
    cog.accounts.begin_delete("rg", "short").result()
    sandbox.advance(SOFT_DELETE_RETENTION_HOURS * 3600 + 1)
    assert list(cog.deleted_accounts.list()) == []
    assert _create(cog, "short").name == "short"


def test_group_delete_soft_deletes_accounts_that_keep_quota(cog, arm):
    _create(cog, "in-group", rg="rg2")
    _deploy(cog, "in-group", "chat", rg="rg2", capacity=40)
    arm(ResourceManagementClient).resource_groups.begin_delete("rg2").result()
    [deleted] = list(cog.deleted_accounts.list())
    assert deleted.name == "in-group"
    assert _usage(cog).current_value == 40  # S-5: soft-deleted deployments still hold quota
    cog.deleted_accounts.begin_purge("eastus", "rg2", "in-group").result()
    assert [u.name.value for u in cog.usages.list("eastus")] == []


def test_deployments_are_aao_lros_with_validation(cog, sandbox):
    _create(cog, "dep")
    initial = []
    poller = cog.deployments.begin_create_or_update(
        "rg",
        "dep",
        "chat",
        _deployment(),
        raw_response_hook=lambda r: initial.append(r.http_response),
    )
    assert initial[0].status_code == 201
    assert "/operationStatuses/" in initial[0].headers["Azure-AsyncOperation"]
    done = poller.result()
    assert (done.properties.provisioning_state, done.sku.capacity) == ("Succeeded", 10)
    assert done.properties.model.name == "gpt-4o-mini"
    assert [d.name for d in cog.deployments.list("rg", "dep")] == ["chat"]
    bad = [
        (_deployment(sku="S0"), "The deployment sku name 'S0' is invalid."),
        (_deployment(capacity=0), "must be greater than 0"),
    ]
    for deployment, needle in bad:
        with pytest.raises(HttpResponseError) as exc:
            cog.deployments.begin_create_or_update("rg", "dep", "bad", deployment).result()
        assert _error(exc)[:2] == (400, "InvalidResourceProperties")
        assert needle in exc.value.error.message
    cog.deployments.begin_delete("rg", "dep", "chat").result()
    with pytest.raises(ResourceNotFoundError):
        cog.deployments.get("rg", "dep", "chat")


def test_one_write_per_account_at_a_time(slow):
    sb, cog = slow
    cog.accounts.begin_create("rg", "busy", _account(), polling=False)
    sb.advance(ACCOUNT_SECONDS)
    # polling=False: the first write is still running when the others arrive
    cog.deployments.begin_create_or_update("rg", "busy", "one", _deployment(), polling=False)
    conflicts = [
        lambda: cog.deployments.begin_create_or_update("rg", "busy", "two", _deployment()),
        lambda: cog.deployments.begin_delete("rg", "busy", "one"),
        lambda: cog.accounts.begin_update("rg", "busy", Account(tags={"a": "b"})),
        lambda: cog.accounts.begin_delete("rg", "busy"),
    ]
    for write in conflicts:
        with pytest.raises(ResourceExistsError) as exc:
            write()
        assert _error(exc) == (
            409,
            "RequestConflict",
            "Another operation is being performed on the parent resource "
            f"'{ACCOUNT_ID.format('busy')}'. Please try again later.",
        )
    sb.advance(DEPLOYMENT_SECONDS)
    assert cog.deployments.get("rg", "busy", "one").properties.provisioning_state == "Succeeded"
    cog.deployments.begin_create_or_update("rg", "busy", "two", _deployment(), polling=False)
    assert cog.deployments.get("rg", "busy", "two").properties.provisioning_state == "Creating"


def test_quota_refusal_counts_only_the_increase(cog, sandbox):
    sandbox.set_quota(NAMESPACE, "eastus", MINI, 100)
    _create(cog, "quota")
    _create(cog, "other", rg="rg2")
    _deploy(cog, "quota", "a", capacity=60)
    usage = _usage(cog)
    assert (usage.current_value, usage.limit, usage.unit) == (60, 100, "Count")
    assert usage.name.localized_value == "Tokens Per Minute (thousands) - gpt-4o-mini - GlobalStandard"
    with pytest.raises(HttpResponseError) as exc:
        _deploy(cog, "other", "b", rg="rg2", capacity=50)
    assert _error(exc) == (
        400,
        "InsufficientQuota",
        "This operation require 50 new capacity in quota Tokens Per Minute (thousands) - "
        "gpt-4o-mini - GlobalStandard, which is bigger than the current available capacity 40. "
        "The current quota usage is 60 and the quota limit is 100.",
    )
    assert _deploy(cog, "quota", "a", capacity=100).sku.capacity == 100  # asks only for 40
    with pytest.raises(HttpResponseError) as exc:
        cog.deployments.begin_update(
            "rg", "quota", "a", Deployment(sku=Sku(name="GlobalStandard", capacity=101))
        )
    assert "require 1 new capacity" in exc.value.error.message
    assert _deploy(cog, "other", "c", rg="rg2", capacity=5, sku="Standard").sku.name == "Standard"
    standard = _usage(cog, quota_usage_name("Standard", "gpt-4o-mini"))
    assert standard.limit == default_quota("Standard", "gpt-4o-mini")


def test_usages_and_deleted_accounts_page_like_arm(sandbox_dir, sdk_sleeps_follow_sandbox):
    with Sandbox(sandbox_dir, time_scale=sdk_sleeps_follow_sandbox, page_size=2) as sb:
        sb.connection.client(ResourceManagementClient).resource_groups.create_or_update(
            "rg", {"location": "eastus"}
        )
        cog = sb.connection.client(CognitiveServicesManagementClient)
        for model in ("gpt-4o", "gpt-4o-mini", "text-embedding-3-small"):
            sb.set_quota(NAMESPACE, "eastus", quota_usage_name("GlobalStandard", model), 10)
        assert len(list(cog.usages.list("eastus"))) == 3
        for name in ("d1", "d2", "d3"):
            _create(cog, name)
            cog.accounts.begin_delete("rg", name).result()
        assert sorted(a.name for a in cog.deleted_accounts.list()) == ["d1", "d2", "d3"]
        # two items a page: each list took a first page and one nextLink page
        assert sb.requests.count(method="GET", path="/locations/eastus/usages") == 2
        assert (
            sb.requests.count(method="GET", path="/providers/Microsoft.CognitiveServices/deletedAccounts")
            == 2
        )


def test_quota_limits_can_be_set_over_the_admin_api(cog, sandbox):
    verify = ssl.create_default_context(cafile=sandbox.connection.ca_path)
    spec = {"namespace": NAMESPACE, "location": "East US", "name": MINI, "limit": 7}
    headers = {ADMIN_KEY_HEADER: sandbox.connection.admin_key}
    with httpx.Client(base_url=sandbox.connection.endpoint, verify=verify, headers=headers) as http:
        assert http.post("/_sandbox/quotas", json=spec).status_code == 201
        assert http.post("/_sandbox/quotas", json={**spec, "limit": -1}).status_code == 400
        assert http.get("/_sandbox/quotas").json()["value"][0]["location"] == "eastus"
    assert (_usage(cog).current_value, _usage(cog).limit) == (0, 7)
