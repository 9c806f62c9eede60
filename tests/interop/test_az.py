"""The Azure CLI 2.91, unmodified, against the sandbox: the README's recipe (cloud registered with
the endpoint written as Microsoft's docs write it, with a trailing slash), both sign-ins, and
the commands an operator of this stack reaches for, with the outcomes Azure gives."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.constants import OPERATOR_CLIENT_ID

CLOUD = "ragstack-sandbox"


@pytest.fixture(scope="module")
def logged_in(az: Any, az_sandbox: Any) -> Any:
    conn = az_sandbox.connection
    az.run("cloud", "register", "-n", CLOUD, "--endpoint-resource-manager", f"{conn.endpoint}/")
    az.run("cloud", "set", "-n", CLOUD)
    accounts = az.json(
        "login",
        "--service-principal",
        "-u",
        conn.client_id,
        "-p",
        conn.client_secret,
        "--tenant",
        conn.tenant_id,
    )
    assert [(a["id"], a["user"]["type"]) for a in accounts] == [(conn.subscription_id, "servicePrincipal")]
    return az


@pytest.fixture(scope="module")
def rg(logged_in: Any) -> str:
    """A group the service tests share (created once per module, like an operator's sandbox)."""
    logged_in.run("group", "create", "-n", "rg-az", "-l", "eastus")
    return "rg-az"


def test_registered_cloud_points_every_endpoint_at_the_sandbox(logged_in, az_sandbox):
    cloud = logged_in.json("cloud", "show", "-n", CLOUD)
    endpoint = az_sandbox.connection.endpoint
    assert cloud["endpoints"]["resourceManager"] == f"{endpoint}/"
    assert cloud["endpoints"]["activeDirectory"] == endpoint
    assert cloud["endpoints"]["microsoftGraphResourceId"] == f"{endpoint}/"


def test_login_with_the_managed_identity_of_the_printed_environment(logged_in, az_sandbox):
    accounts = logged_in.json("login", "--identity")
    assert [a["id"] for a in accounts] == [az_sandbox.connection.subscription_id]
    assert accounts[0]["user"]["assignedIdentityInfo"] == "MSI"
    token = logged_in.json("account", "get-access-token")
    assert token["subscription"] == az_sandbox.connection.subscription_id
    logged_in.json(
        "login",
        "--service-principal",
        "-u",
        OPERATOR_CLIENT_ID,
        "-p",
        az_sandbox.connection.client_secret,
        "--tenant",
        az_sandbox.connection.tenant_id,
    )


def test_groups(logged_in):
    assert logged_in.json("group", "create", "-n", "rg-az-groups", "-l", "eastus")["properties"][
        "provisioningState"
    ] == ("Succeeded")
    assert "rg-az-groups" in [g["name"] for g in logged_in.json("group", "list")]
    assert logged_in.run("group", "exists", "-n", "rg-az-groups").stdout.strip() == "true"
    missing = logged_in.run("group", "show", "-n", "rg-missing", check=False)
    assert missing.returncode == 3 and "ResourceGroupNotFound" in missing.stderr


def test_search_service_create_scale_delete(logged_in, rg):
    svc = logged_in.json(
        "search", "service", "create", "-g", "rg-az", "-n", "srch-az-interop", "--sku", "basic"
    )
    assert (svc["provisioningState"], svc["replicaCount"]) == ("succeeded", 1)
    scaled = logged_in.json(
        "search", "service", "update", "-g", "rg-az", "-n", "srch-az-interop", "--replica-count", "2"
    )
    assert scaled["replicaCount"] == 2
    logged_in.run("search", "service", "delete", "-g", "rg-az", "-n", "srch-az-interop", "--yes")
    assert logged_in.json("search", "service", "list", "-g", "rg-az") == []


def test_cognitive_services_account_deployment_soft_delete_and_purge(logged_in, rg):
    cog = ("cognitiveservices", "account")
    acct = logged_in.json(
        *cog,
        "create",
        "-g",
        "rg-az",
        "-n",
        "cog-az-interop",
        "--kind",
        "OpenAI",
        "--sku",
        "S0",
        "-l",
        "eastus",
        "--yes",
    )
    assert acct["properties"]["provisioningState"] == "Succeeded"
    dep = logged_in.json(
        *cog,
        "deployment",
        "create",
        "-g",
        "rg-az",
        "-n",
        "cog-az-interop",
        "--deployment-name",
        "chat",
        "--model-name",
        "gpt-4o-mini",
        "--model-version",
        "2024-07-18",
        "--model-format",
        "OpenAI",
        "--sku-name",
        "GlobalStandard",
        "--sku-capacity",
        "10",  # az sends the capacity as a string
    )
    assert dep["sku"]["capacity"] == 10
    assert [
        d["name"] for d in logged_in.json(*cog, "deployment", "list", "-g", "rg-az", "-n", "cog-az-interop")
    ] == ["chat"]
    logged_in.run(*cog, "delete", "-g", "rg-az", "-n", "cog-az-interop")
    assert "cog-az-interop" in [a["name"] for a in logged_in.json(*cog, "list-deleted")]
    logged_in.run(*cog, "purge", "-g", "rg-az", "-n", "cog-az-interop", "-l", "eastus")
    assert "cog-az-interop" not in [a["name"] for a in logged_in.json(*cog, "list-deleted")]


def test_identity_and_role_assignment_with_principal_names(logged_in, rg, az_sandbox):
    ident = logged_in.json("identity", "create", "-g", "rg-az", "-n", "id-az-interop")
    scope = f"/subscriptions/{az_sandbox.connection.subscription_id}/resourceGroups/rg-az"
    created = logged_in.json(
        "role",
        "assignment",
        "create",
        "--assignee-object-id",
        ident["principalId"],
        "--role",
        "Cognitive Services OpenAI User",
        "--scope",
        scope,
    )
    assert created["principalType"] == "ServicePrincipal"
    listed = logged_in.json("role", "assignment", "list", "--scope", scope)
    mine = [r for r in listed if r["principalId"] == ident["principalId"]]
    assert [(r["roleDefinitionName"], r["principalName"]) for r in mine] == [
        ("Cognitive Services OpenAI User", ident["clientId"])
    ]
    logged_in.run("role", "assignment", "delete", "--ids", created["id"])
    assert [
        r
        for r in logged_in.json("role", "assignment", "list", "--scope", scope)
        if r["principalId"] == ident["principalId"]
    ] == []


def test_container_apps(logged_in, rg):
    logged_in.json(
        "containerapp",
        "env",
        "create",
        "-g",
        "rg-az",
        "-n",
        "cae-az-interop",
        "-l",
        "eastus",
        "--logs-destination",
        "none",
    )
    app = logged_in.json(
        "containerapp",
        "create",
        "-g",
        "rg-az",
        "-n",
        "ca-az-interop",
        "--environment",
        "cae-az-interop",
        "--image",
        "mcr.microsoft.com/k8se/quickstart:latest",
        "--ingress",
        "external",
        "--target-port",
        "80",
    )
    assert app["properties"]["provisioningState"] == "Succeeded"
    assert [a["name"] for a in logged_in.json("containerapp", "list", "-g", rg)] == ["ca-az-interop"]
    logged_in.run("containerapp", "delete", "-g", "rg-az", "-n", "ca-az-interop", "--yes")
    logged_in.run("containerapp", "env", "delete", "-g", "rg-az", "-n", "cae-az-interop", "--yes")
    assert logged_in.json("containerapp", "env", "list", "-g", rg) == []


def test_group_delete_takes_everything_with_it(logged_in, rg):
    logged_in.run("group", "delete", "-n", "rg-az", "--yes")
    assert logged_in.run("group", "exists", "-n", "rg-az").stdout.strip() == "false"
