"""Container Apps environments, apps and revisions through ContainerAppsAPIClient."""

from __future__ import annotations

import re
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from infra.catalog.roles import role_definition_id
from sandbox import SANDBOX_SUBSCRIPTION_ID

RG_ID = f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/resourceGroups/rg"
ENV_ID = f"{RG_ID}/providers/Microsoft.App/managedEnvironments/env"
WS = {"location": "eastus", "properties": {"sku": {"name": "PerGB2018"}}}


def _logs(customer_id: str, key: str | None) -> dict:
    la = {"customerId": customer_id, **({"sharedKey": key} if key else {})}
    return {"destination": "log-analytics", "logAnalyticsConfiguration": la}


def _workspace(arm) -> tuple[str, str]:
    la = arm(LogAnalyticsManagementClient)
    ws = la.workspaces.begin_create_or_update("rg", "logs", WS).result()
    return ws.customer_id, la.shared_keys.get_shared_keys("rg", "logs").primary_shared_key


def _env_body(customer_id: str, key: str | None) -> dict:
    return {"location": "eastus", "properties": {"appLogsConfiguration": _logs(customer_id, key)}}


def _app_body(image: str = "mcr.microsoft.com/k8se/quickstart:latest", **template) -> dict:
    return {
        "location": "eastus",
        "properties": {
            "environmentId": ENV_ID,
            "configuration": {
                "ingress": {"external": True, "targetPort": 80},
                "secrets": [{"name": "db-password", "value": "s3cret"}],
            },
            "template": {
                "containers": [
                    {
                        "name": "web",
                        "image": image,
                        "env": [{"name": "MODE", "value": "prod"}],
                        "resources": {"cpu": 0.5, "memory": "1Gi"},
                    }
                ],
                "scale": {"minReplicas": 1, "maxReplicas": 3},
                **template,
            },
        },
    }


def _error(exc: pytest.ExceptionInfo) -> tuple[str, str]:
    return exc.value.error.code, exc.value.error.message


def _revisions(aca, name: str = "web") -> dict[str, dict]:
    return {r.name: r.as_dict() for r in aca.container_apps_revisions.list_revisions("rg", name)}


# -- environments -------------------------------------------------------------------------------
def test_environment_create_is_an_aao_lro_and_hides_the_shared_key(arm, sandbox):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    customer_id, key = _workspace(arm)
    client = arm(ContainerAppsAPIClient)
    env = client.managed_environments.begin_create_or_update(
        "rg", "env", _env_body(customer_id, key)
    ).result()
    assert env.provisioning_state == "Succeeded"
    assert re.fullmatch(r"[a-z]+-[0-9a-f]{8}\.eastus\.azurecontainerapps\.io", env.default_domain)
    logs = env.app_logs_configuration.log_analytics_configuration
    assert (logs.customer_id, logs.shared_key) == (customer_id, None)
    assert key not in str(client.managed_environments.get("rg", "env").as_dict())
    assert sandbox.requests.list(method="PUT", path="managedEnvironments")[0]["status"] == 201
    assert sandbox.requests.count(path="/managedEnvironmentOperationStatuses/") >= 1


@pytest.mark.parametrize(
    "customer_id,key,message",
    [
        ("not-a-guid", "k", "LogAnalyticsConfiguration.CustomerId is invalid.  CustomerId must be"),
        (
            "fc1e6295-895d-410b-8869-b9861a178f67",
            "k",
            "LogAnalyticsConfiguration is invalid.  Must provide a valid",
        ),
        (None, "wrong-key", "LogAnalyticsConfiguration is invalid.  Must provide a valid"),
        (None, None, "LogAnalyticsConfiguration is invalid.  Must provide a valid"),
    ],
)
def test_environment_log_analytics_configuration_is_checked(arm, customer_id, key, message):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    real_customer, _ = _workspace(arm)
    client = arm(ContainerAppsAPIClient)
    with pytest.raises(HttpResponseError) as exc:
        client.managed_environments.begin_create_or_update(
            "rg", "env", _env_body(customer_id or real_customer, key)
        )
    assert exc.value.status_code == 400
    code, text = _error(exc)
    assert code == "InvalidRequestParameterWithDetails" and text.startswith(message)


def test_environment_patch_merges_and_lists(aca, env):
    patched = aca.managed_environments.begin_update(
        "rg", "env", {"tags": {"team": "rag"}, "properties": {"zoneRedundant": False}}
    ).result()
    assert patched.tags == {"team": "rag"}
    assert patched.default_domain == env.default_domain
    assert patched.app_logs_configuration.log_analytics_configuration.customer_id
    assert [e.name for e in aca.managed_environments.list_by_resource_group("rg")] == ["env"]
    assert len(list(aca.managed_environments.list_by_subscription())) == 1


# -- container apps: create and server-computed fields ------------------------------------------
def test_app_create_computes_names_fqdns_and_hides_secrets(aca, env, app, sandbox):
    props = app.as_dict()["properties"]
    rev = props["latestRevisionName"]
    assert re.fullmatch(r"web--[a-z0-9]{7}", rev)
    assert props["latestReadyRevisionName"] == rev
    assert props["configuration"]["ingress"]["fqdn"] == f"web.{env.default_domain}"
    assert props["latestRevisionFqdn"] == f"{rev}.{env.default_domain}"
    assert props["outboundIpAddresses"]
    assert (props["provisioningState"], props["runningStatus"]) == ("Succeeded", "Running")
    assert props["managedEnvironmentId"] == ENV_ID
    assert props["configuration"]["secrets"] == [{"name": "db-password"}]
    listed = aca.container_apps.list_secrets("rg", "web").value
    assert [(s.name, s.value) for s in listed] == [("db-password", "s3cret")]
    put = sandbox.requests.list(method="PUT", path="containerApps/web")[0]
    assert put["status"] == 201
    assert sandbox.requests.count(path="/containerappOperationStatuses/") >= 1
    assert [a.name for a in aca.container_apps.list_by_resource_group("rg")] == ["web"]
    assert len(list(aca.container_apps.list_by_subscription())) == 1


def test_secret_without_value_is_rejected_and_a_get_cannot_be_put_back(aca, env, app):
    body = _app_body()
    body["properties"]["configuration"]["secrets"] = [{"name": "api-key"}]
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "other", body)
    code, text = _error(exc)
    assert code == "ContainerAppSecretInvalid"
    assert "name(s) 'api-key' are invalid: value or keyVaultUrl and identity" in text
    round_trip = aca.container_apps.get("rg", "web").as_dict()
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "web", round_trip)
    assert _error(exc)[0] == "ContainerAppSecretInvalid"


@pytest.mark.parametrize("low,high", [(-1, 10), (0, 0), (0, 1001), (5, 2)])
def test_scale_bounds(aca, env, low, high):
    body = _app_body(scale={"minReplicas": low, "maxReplicas": high})
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "web", body)
    code, text = _error(exc)
    assert exc.value.status_code == 400 and code == "ContainerAppInvalidScaleSpec"
    assert "The maxReplicas must not be bigger than 1000." in text


def test_cpu_memory_must_total_an_allowed_pair(aca, env):
    bad = _app_body()
    bad["properties"]["template"]["containers"][0]["resources"] = {"cpu": 0.5, "memory": "2Gi"}
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "web", bad)
    code, text = _error(exc)
    assert code == "ContainerAppInvalidResourceTotal"
    assert "(CPU: 0.5, memory: 2Gi) is invalid" in text
    two = _app_body()
    small = {"cpu": 0.25, "memory": "0.5Gi"}
    two["properties"]["template"]["containers"] = [
        {"name": "web", "image": "nginx", "resources": small},
        {"name": "sidecar", "image": "busybox", "resources": small},
    ]
    assert aca.container_apps.begin_create_or_update("rg", "web", two).result().name == "web"


@pytest.mark.parametrize(
    "env_id,code",
    [
        ("", "InvalidManagedEnvironmentId"),
        (
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites/s",
            "InvalidManagedEnvironmentId",
        ),
        (ENV_ID.replace("/env", "/missing"), "ManagedEnvironmentNotFound"),
    ],
)
def test_environment_reference_is_checked(aca, env, env_id, code):
    body = _app_body()
    body["properties"]["environmentId"] = env_id
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "web", body)
    assert _error(exc)[0] == code


def test_upper_case_registry_server_is_rejected(aca, env):
    body = _app_body()
    body["properties"]["configuration"]["registries"] = [
        {"server": "RagAcr.azurecr.io", "identity": "system"}
    ]
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "web", body)
    assert _error(exc)[0] == "ContainerAppInvalidRegistryServerValue"


# -- PATCH semantics and revisions ---------------------------------------------------------------
def test_patch_deep_merges_and_a_scale_change_makes_exactly_one_revision(aca, app, sandbox):
    first = app.latest_revision_name
    patched = aca.container_apps.begin_update(
        "rg", "web", {"properties": {"template": {"scale": {"maxReplicas": 5}}}}
    ).result()
    assert sandbox.requests.list(method="PATCH")[0]["status"] == 202
    assert sandbox.requests.count(path="/containerappOperationResults/") >= 1
    template = patched.as_dict()["properties"]["template"]
    assert (template["scale"]["minReplicas"], template["scale"]["maxReplicas"]) == (1, 5)
    assert template["containers"][0]["env"] == [{"name": "MODE", "value": "prod"}]
    assert patched.latest_revision_name not in (first, None)
    revisions = _revisions(aca)
    assert set(revisions) == {first, patched.latest_revision_name}
    assert revisions[first]["properties"]["active"] is False
    assert revisions[patched.latest_revision_name]["properties"]["active"] is True
    assert aca.container_apps.list_secrets("rg", "web").value[0].value == "s3cret"


def test_config_only_patch_makes_no_revision(aca, env, app):
    patched = aca.container_apps.begin_update(
        "rg", "web", {"properties": {"configuration": {"ingress": {"external": False}}}}
    ).result()
    assert patched.latest_revision_name == app.latest_revision_name
    assert list(_revisions(aca)) == [app.latest_revision_name]
    ingress = patched.as_dict()["properties"]["configuration"]["ingress"]
    assert ingress["fqdn"] == f"web.internal.{env.default_domain}"
    assert ingress["targetPort"] == 80


def test_patch_replaces_arrays_and_a_same_template_put_makes_no_revision(aca, app):
    new = [{"name": "web", "image": "nginx:2", "resources": {"cpu": 0.5, "memory": "1Gi"}}]
    patched = aca.container_apps.begin_update(
        "rg", "web", {"properties": {"template": {"containers": new}}}
    ).result()
    containers = patched.as_dict()["properties"]["template"]["containers"]
    assert containers == new
    assert len(_revisions(aca)) == 2
    body = _app_body()
    body["properties"]["template"]["containers"] = new
    again = aca.container_apps.begin_create_or_update("rg", "web", body).result()
    assert again.latest_revision_name == patched.latest_revision_name
    assert len(_revisions(aca)) == 2


def test_revision_suffix_names_the_revision_and_cannot_be_reused(aca, env):
    body = _app_body(revisionSuffix="v1")
    made = aca.container_apps.begin_create_or_update("rg", "web", body).result()
    assert made.latest_revision_name == "web--v1"
    patch = {"properties": {"template": {"containers": [{"name": "web", "image": "nginx:2"}]}}}
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_update("rg", "web", patch).result()
    code, text = _error(exc)
    assert code == "ContainerAppOperationError"
    assert "Field 'template.revisionsuffix' is invalid" in text
    assert aca.container_apps.get("rg", "web").latest_revision_name == "web--v1"


def test_revision_get_and_missing_revision(aca, app):
    rev = aca.container_apps_revisions.get_revision("rg", "web", app.latest_revision_name)
    props = rev.as_dict()["properties"]
    assert props["provisioningState"] == "Provisioned"
    assert (props["runningState"], props["replicas"], props["trafficWeight"]) == ("Running", 1, 100)
    assert props["template"]["containers"][0]["image"].endswith("quickstart:latest")
    assert props["createdTime"]
    with pytest.raises(ResourceNotFoundError):
        aca.container_apps_revisions.get_revision("rg", "web", "web--nope")


# -- simulated clock ----------------------------------------------------------------------------
@pytest.fixture
def slow(sandbox_dir):
    """A sandbox whose clock only moves when told, for states in between."""
    from sandbox import Sandbox

    with Sandbox(sandbox_dir, time_scale=0.001) as sb:
        arm = sb.connection.client
        arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
        la = arm(LogAnalyticsManagementClient)
        la.workspaces.begin_create_or_update("rg", "logs", WS, polling=False)
        sb.advance(60)
        ws = la.workspaces.get("rg", "logs")
        key = la.shared_keys.get_shared_keys("rg", "logs").primary_shared_key
        client = arm(ContainerAppsAPIClient)
        client.managed_environments.begin_create_or_update(
            "rg", "env", _env_body(ws.customer_id, key), polling=False
        )
        yield sb, client


def test_environment_must_be_provisioned_before_apps(slow):
    sb, client = slow
    with pytest.raises(HttpResponseError) as exc:
        client.container_apps.begin_create_or_update("rg", "web", _app_body(), polling=False)
    code, text = _error(exc)
    assert code == "ManagedEnvironmentNotProvisioned"
    assert text == f"The environment '{ENV_ID}' has not been provisioned successfully."
    with pytest.raises(HttpResponseError) as exc:
        client.managed_environments.begin_create_or_update("rg", "env", {"location": "eastus"}, polling=False)
    assert (exc.value.status_code, _error(exc)[0]) == (409, "ManagedEnvironmentOperationInProgress")
    sb.advance(121)
    assert client.managed_environments.get("rg", "env").provisioning_state == "Succeeded"


def test_revision_provisions_on_the_clock_then_scales_to_zero(slow):
    sb, client = slow
    sb.advance(121)
    body = _app_body(scale={"minReplicas": 0, "maxReplicas": 3})
    client.container_apps.begin_create_or_update("rg", "web", body, polling=False)
    app = client.container_apps.get("rg", "web")
    assert (app.provisioning_state, app.latest_ready_revision_name) == ("InProgress", "")
    rev = _revisions(client)[app.latest_revision_name]["properties"]
    assert (rev["provisioningState"], rev["runningState"], rev["replicas"]) == (
        "Provisioning",
        "Processing",
        0,
    )
    sb.advance(61)
    rev = _revisions(client)[app.latest_revision_name]["properties"]
    assert (rev["provisioningState"], rev["runningState"], rev["replicas"]) == (
        "Provisioned",
        "Running",
        1,
    )
    ready = client.container_apps.get("rg", "web")
    assert (ready.provisioning_state, ready.latest_ready_revision_name) == (
        "Succeeded",
        app.latest_revision_name,
    )
    sb.advance(301)
    rev = _revisions(client)[app.latest_revision_name]["properties"]
    assert (rev["runningState"], rev["replicas"]) == ("ScaledToZero", 0)


def test_single_mode_keeps_the_old_revision_serving_until_the_new_one_is_ready(slow):
    sb, client = slow
    sb.advance(121)
    client.container_apps.begin_create_or_update("rg", "web", _app_body(), polling=False)
    sb.advance(61)
    old = client.container_apps.get("rg", "web").latest_revision_name
    patch = {"properties": {"template": {"containers": [{"name": "web", "image": "nginx:2"}]}}}
    client.container_apps.begin_update("rg", "web", patch, polling=False)
    new = client.container_apps.get("rg", "web").latest_revision_name
    during = _revisions(client)
    assert during[old]["properties"]["trafficWeight"] == 100
    assert during[new]["properties"]["trafficWeight"] == 0
    sb.advance(61)
    after = _revisions(client)
    assert after[old]["properties"]["active"] is False
    assert after[new]["properties"]["trafficWeight"] == 100
    assert client.container_apps.get("rg", "web").latest_ready_revision_name == new


# -- registry pulls with managed identity (ops-pitfalls C-1) -------------------------------------
def test_acr_pull_needs_a_pull_role_for_the_app_identity(arm, aca, env, sandbox):
    # The realistic 300 s propagation: on the virtual test clock only the client's polls pass time.
    assert sandbox.state.config.role_propagation_delay == 300
    acr = (
        arm(ContainerRegistryManagementClient)
        .registries.begin_create("rg", "ragacr01", {"location": "eastus", "sku": {"name": "Basic"}})
        .result()
    )
    uai = arm(ManagedServiceIdentityClient).user_assigned_identities.create_or_update(
        "rg", "pull", {"location": "eastus"}
    )
    body = _app_body(image=f"{acr.login_server}/api:v1")
    body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {uai.id: {}}}
    body["properties"]["configuration"]["registries"] = [{"server": acr.login_server, "identity": uai.id}]
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "web", body).result()
    code, text = _error(exc)
    assert code == "ContainerAppOperationError"
    assert f"unable to pull image using Managed identity {uai.id} for registry {acr.login_server}" in text
    failed = aca.container_apps.get("rg", "web")
    assert failed.provisioning_state == "Failed"
    rev = _revisions(aca)[failed.latest_revision_name]["properties"]
    assert (rev["provisioningState"], rev["runningState"]) == ("Failed", "Failed")
    arm(AuthorizationManagementClient).role_assignments.create(
        acr.id,
        str(uuid.uuid4()),
        {
            "properties": {
                "roleDefinitionId": role_definition_id(SANDBOX_SUBSCRIPTION_ID, "AcrPull"),
                "principalId": uai.principal_id,
                "principalType": "ServicePrincipal",
            }
        },
    )
    # MS Learn RBAC troubleshooting: a new assignment takes "up to 10 minutes" to take effect.
    body["properties"]["template"]["containers"][0]["image"] = f"{acr.login_server}/api:v2"
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "web", body).result()
    assert "unable to pull image using Managed identity" in _error(exc)[1]
    sandbox.advance(sandbox.state.config.role_propagation_delay)
    body["properties"]["template"]["containers"][0]["image"] = f"{acr.login_server}/api:v3"
    fixed = aca.container_apps.begin_create_or_update("rg", "web", body).result()
    assert fixed.provisioning_state == "Succeeded"
    assert fixed.latest_ready_revision_name == fixed.latest_revision_name


def test_system_identity_that_is_not_enabled_cannot_pull(arm, aca, env):
    acr = (
        arm(ContainerRegistryManagementClient)
        .registries.begin_create("rg", "ragacr02", {"location": "eastus", "sku": {"name": "Basic"}})
        .result()
    )
    body = _app_body(image=f"{acr.login_server}/api:v1")
    body["properties"]["configuration"]["registries"] = [{"server": acr.login_server, "identity": "system"}]
    with pytest.raises(HttpResponseError) as exc:
        aca.container_apps.begin_create_or_update("rg", "web", body).result()
    assert "unable to pull image using Managed identity system for registry" in _error(exc)[1]


# -- deletes ------------------------------------------------------------------------------------
def test_delete_app_is_an_lro_and_takes_the_revisions(aca, app, sandbox):
    aca.container_apps.begin_delete("rg", "web").result()
    assert sandbox.requests.list(method="DELETE")[0]["status"] == 202
    with pytest.raises(ResourceNotFoundError):
        aca.container_apps.get("rg", "web")
    assert sandbox.state.store.find(type="Microsoft.App/containerApps/revisions") == []
    aca.container_apps.begin_delete("rg", "web").result()
    assert sandbox.requests.list(method="DELETE")[-1]["status"] == 204


def test_resource_group_delete_cascades_to_apps_and_environments(arm, aca, env, sandbox):
    body = _app_body()
    body["identity"] = {"type": "SystemAssigned"}
    made = aca.container_apps.begin_create_or_update("rg", "web", body).result()
    assert sandbox.state.directory.get(made.identity.principal_id) is not None
    arm(ResourceManagementClient).resource_groups.begin_delete("rg").result()
    store = sandbox.state.store
    for kind in ("containerApps", "containerApps/revisions", "managedEnvironments"):
        assert store.find(type=f"Microsoft.App/{kind}") == []
    assert sandbox.state.directory.get(made.identity.principal_id) is None
