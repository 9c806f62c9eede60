"""Foundry projects (`accounts/projects`) through the official CognitiveServicesManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import (
    Account,
    AccountProperties,
    Identity,
    Project,
    ProjectProperties,
    Sku,
)
from azure.mgmt.resource.resources import ResourceManagementClient


@pytest.fixture
def cog(arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    return arm(CognitiveServicesManagementClient)


def _account(cog, name: str, kind: str = "AIServices", manage: bool | None = True):
    body = Account(
        location="eastus",
        kind=kind,
        sku=Sku(name="S0"),
        identity=Identity(type="SystemAssigned"),
        properties=AccountProperties(custom_sub_domain_name=name, allow_project_management=manage),
    )
    return cog.accounts.begin_create("rg", name, body).result()


def _project(cog, account: str, name: str):
    body = Project(
        location="eastus",
        identity=Identity(type="SystemAssigned"),
        properties=ProjectProperties(display_name="Dev", description="RAG dev project"),
    )
    return cog.projects.begin_create("rg", account, name, body).result()


def test_foundry_account_shows_the_services_ai_endpoint(cog):
    acct = _account(cog, "fdy1")
    assert acct.properties.allow_project_management is True
    assert acct.properties.endpoints["AI Foundry API"] == "https://fdy1.services.ai.azure.com/"


def test_project_create_get_list_delete(cog, sandbox):
    _account(cog, "fdy2")
    made = _project(cog, "fdy2", "dev")
    assert made.properties.provisioning_state == "Succeeded"
    assert made.properties.endpoints["AI Foundry API"] == (
        "https://fdy2.services.ai.azure.com/api/projects/dev"
    )
    assert made.identity.principal_id and made.properties.is_default is True
    got = cog.projects.get("rg", "fdy2", "dev")
    assert (got.properties.display_name, got.properties.description) == ("Dev", "RAG dev project")
    assert [p.name for p in cog.projects.list("rg", "fdy2")] == ["dev"]
    assert sandbox.requests.list(method="PUT", path="projects/dev")[0]["status"] == 201
    cog.projects.begin_delete("rg", "fdy2", "dev").result()
    with pytest.raises(ResourceNotFoundError):
        cog.projects.get("rg", "fdy2", "dev")


@pytest.mark.parametrize(("kind", "manage"), [("OpenAI", None), ("AIServices", None), ("AIServices", False)])
def test_project_refused_unless_foundry_account(cog, kind, manage):
    _account(cog, "acct", kind=kind, manage=manage)
    with pytest.raises(HttpResponseError) as err:
        _project(cog, "acct", "dev")
    assert err.value.status_code == 400
    assert "allowProjectManagement" in err.value.message
    assert list(cog.projects.list("rg", "acct")) == []


def test_project_name_rule(cog):
    _account(cog, "fdy3")
    with pytest.raises(HttpResponseError) as err:
        _project(cog, "fdy3", "-bad-")
    assert err.value.error.code == "InvalidResourceName"
    assert list(cog.projects.list("rg", "fdy3")) == []


def test_account_delete_refused_while_projects_exist(cog):
    _account(cog, "fdy4")
    _project(cog, "fdy4", "dev")
    with pytest.raises(HttpResponseError) as err:
        cog.accounts.begin_delete("rg", "fdy4").result()
    assert err.value.status_code == 409
    assert err.value.error.code == "CannotDeleteResource"
    assert "accounts/fdy4/projects/dev" in err.value.message
    assert cog.accounts.get("rg", "fdy4").properties.provisioning_state == "Succeeded"
    cog.projects.begin_delete("rg", "fdy4", "dev").result()
    cog.accounts.begin_delete("rg", "fdy4").result()
    assert [d.name for d in cog.deleted_accounts.list()] == ["fdy4"]


def test_group_delete_takes_projects_first(cog, arm):
    _account(cog, "fdy5")
    _project(cog, "fdy5", "dev")
    arm(ResourceManagementClient).resource_groups.begin_delete("rg").result()
    assert [d.name for d in cog.deleted_accounts.list()] == ["fdy5"]
