"""ML workspaces and Application Insights components through their official mgmt clients."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.applicationinsights import ApplicationInsightsManagementClient
from azure.mgmt.applicationinsights.v2020_02_02.models import ApplicationInsightsComponent
from azure.mgmt.loganalytics import LogAnalyticsManagementClient
from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
from azure.mgmt.machinelearningservices.models import Identity, Workspace
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import SANDBOX_SUBSCRIPTION_ID

RG = f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/resourceGroups/rg/providers"
PURGE = {"forceToPurge": "true"}


@pytest.fixture
def rm(arm):
    client = arm(ResourceManagementClient)
    client.resource_groups.create_or_update("rg", {"location": "eastus"})
    return client


@pytest.fixture
def ml(rm, arm):
    return arm(MachineLearningServicesMgmtClient)


@pytest.fixture
def ai(rm, arm):
    return arm(ApplicationInsightsManagementClient)


def _workspace(ml, name: str):
    body = Workspace(
        location="eastus",
        identity=Identity(type="SystemAssigned"),
        friendly_name="RAG dev",
        storage_account=f"{RG}/Microsoft.Storage/storageAccounts/ragst",
        key_vault=f"{RG}/Microsoft.KeyVault/vaults/rag-kv",
        application_insights=f"{RG}/Microsoft.Insights/components/rag-ai",
    )
    return ml.workspaces.begin_create_or_update("rg", name, body).result()


# -- machine learning ---------------------------------------------------------------------------
def test_workspace_create_get_list(ml, sandbox):
    ws = _workspace(ml, "rag-ml")
    assert ws.provisioning_state == "Succeeded"
    assert ws.identity.principal_id
    assert ws.key_vault.endswith("/vaults/rag-kv")
    assert ml.workspaces.get("rg", "rag-ml").friendly_name == "RAG dev"
    assert [w.name for w in ml.workspaces.list_by_resource_group("rg")] == ["rag-ml"]
    assert [w.name for w in ml.workspaces.list_by_subscription()] == ["rag-ml"]
    assert sandbox.requests.list(method="PUT", path="workspaces/rag-ml")[0]["status"] == 201


def test_workspace_delete_is_soft_and_holds_the_name(ml):
    _workspace(ml, "rag-ml")
    ml.workspaces.begin_delete("rg", "rag-ml").result()
    with pytest.raises(ResourceNotFoundError):
        ml.workspaces.get("rg", "rag-ml")
    with pytest.raises(HttpResponseError) as err:
        _workspace(ml, "rag-ml")
    assert err.value.status_code == 409
    assert list(ml.workspaces.list_by_resource_group("rg")) == []
    # Permanent delete of the soft-deleted workspace frees the name.
    ml.workspaces.begin_delete("rg", "rag-ml", params=PURGE).result()
    assert _workspace(ml, "rag-ml").provisioning_state == "Succeeded"


def test_workspace_force_to_purge_deletes_for_good(ml):
    _workspace(ml, "rag-ml")
    ml.workspaces.begin_delete("rg", "rag-ml", params=PURGE).result()
    assert _workspace(ml, "rag-ml").name == "rag-ml"


def test_workspace_name_freed_after_retention(ml, sandbox):
    _workspace(ml, "rag-ml")
    ml.workspaces.begin_delete("rg", "rag-ml").result()
    sandbox.advance(15 * 86400)
    assert _workspace(ml, "rag-ml").name == "rag-ml"


# -- application insights -----------------------------------------------------------------------
def _law(arm, rm) -> str:
    la = arm(LogAnalyticsManagementClient)
    return la.workspaces.begin_create_or_update("rg", "rag-law", {"location": "eastus"}).result().id


def test_component_on_a_log_analytics_workspace(ai, arm, rm):
    law = _law(arm, rm)
    body = ApplicationInsightsComponent(
        location="eastus", kind="web", application_type="web", workspace_resource_id=law
    )
    comp = ai.components.create_or_update("rg", "rag-ai", body)
    assert (comp.kind, comp.application_type, comp.ingestion_mode) == ("web", "web", "LogAnalytics")
    assert comp.instrumentation_key and comp.connection_string.startswith("InstrumentationKey=")
    again = ai.components.create_or_update("rg", "rag-ai", body)
    assert again.instrumentation_key == comp.instrumentation_key
    assert [c.name for c in ai.components.list_by_resource_group("rg")] == ["rag-ai"]
    ai.components.delete("rg", "rag-ai")
    with pytest.raises(ResourceNotFoundError):
        ai.components.get("rg", "rag-ai")


def test_component_refusals_write_nothing(ai):
    bad_type = ApplicationInsightsComponent(location="eastus", kind="web", application_type="desktop")
    missing_ws = ApplicationInsightsComponent(
        location="eastus",
        kind="web",
        application_type="web",
        workspace_resource_id=f"{RG}/Microsoft.OperationalInsights/workspaces/none",
    )
    for body in (bad_type, missing_ws):
        with pytest.raises(HttpResponseError) as err:
            ai.components.create_or_update("rg", "rag-ai", body)
        assert err.value.status_code == 400
    assert list(ai.components.list_by_resource_group("rg")) == []
