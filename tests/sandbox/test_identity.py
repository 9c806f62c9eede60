"""azure-identity credentials against the sandbox's token endpoints.

What works: ClientSecretCredential with `authority=<sandbox>` and
`disable_instance_discovery=True` for a registered app (federated credentials: test_oidc.py);
ManagedIdentityCredential through IDENTITY_ENDPOINT and
IDENTITY_HEADER (the App Service protocol msal uses). EnvironmentCredential cannot disable
instance discovery and is not supported.
"""

from __future__ import annotations

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential, ManagedIdentityCredential
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import SandboxAdmin
from sandbox.constants import ARM_SCOPE, OPERATOR_OBJECT_ID
from sandbox.core.principals import PrincipalExists


def _csc(conn, client_id, secret):
    return ClientSecretCredential(
        conn.tenant_id,
        client_id,
        secret,
        authority=conn.endpoint,
        disable_instance_discovery=True,
        connection_verify=conn.ca_path,
    )


def test_client_secret_credential_gets_a_token_arm_accepts(sandbox):
    conn = sandbox.connection
    app = sandbox.add_app("11111111-0000-0000-0000-000000000001", secret="s3cret")
    sandbox.grant(app["objectId"], "Contributor")  # ARM authorizes every call (core/rbac.py)
    cred = _csc(conn, "11111111-0000-0000-0000-000000000001", "s3cret")
    rm = conn.client(ResourceManagementClient, credential=cred)
    rm.resource_groups.create_or_update("rg", {"location": "eastus"})
    caller = sandbox.requests.list(method="PUT")[0]["principal_id"]
    assert sandbox.state.directory.get(caller)["appId"] == "11111111-0000-0000-0000-000000000001"


def test_seeded_service_principal_secret_is_checked(sandbox):
    conn = sandbox.connection
    sandbox.add_principal("22222222-0000-0000-0000-000000000002", app_id="my-app", secret="right")
    assert _csc(conn, "my-app", "right").get_token(ARM_SCOPE).token.count(".") == 2
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        _csc(conn, "my-app", "wrong").get_token(ARM_SCOPE)


def test_managed_identity_credential_app_service_protocol(sandbox, arm, monkeypatch):
    conn = sandbox.connection
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    ident = arm(ManagedServiceIdentityClient).user_assigned_identities.create_or_update(
        "rg", "app", {"location": "eastus"}
    )
    sandbox.grant(ident.principal_id, "Reader")
    monkeypatch.setenv("IDENTITY_ENDPOINT", conn.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", conn.identity_header)
    cred = ManagedIdentityCredential(client_id=ident.client_id, connection_verify=conn.ca_path)
    rm = conn.client(ResourceManagementClient, credential=cred)
    assert [g.name for g in rm.resource_groups.list()] == ["rg"]
    assert sandbox.requests.list()[-1]["principal_id"] == ident.principal_id
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")
    with pytest.raises(Exception, match=r"(?i)unauthorized|identity"):
        ManagedIdentityCredential(client_id=ident.client_id, connection_verify=conn.ca_path).get_token(
            ARM_SCOPE
        )


def test_registering_an_object_id_that_exists_is_refused_and_keeps_its_sign_in(sandbox):
    """Entra holds one object per id. Re-registering the operator's id (as `up` did when a stack
    granted the operator access) replaced its app registration and locked opsctl out: AADSTS700016
    on the next token."""
    conn = sandbox.connection
    with SandboxAdmin(conn) as admin, pytest.raises(httpx.HTTPStatusError) as refused:
        admin.add_principal(OPERATOR_OBJECT_ID, "ServicePrincipal")
    assert refused.value.response.status_code == 409
    assert refused.value.response.json()["error"]["code"] == "PrincipalExists"
    with pytest.raises(PrincipalExists):  # the directory itself refuses, whoever registers
        sandbox.add_principal(OPERATOR_OBJECT_ID, "User")
    assert sandbox.state.directory.get(OPERATOR_OBJECT_ID)["appId"] == conn.client_id
    assert conn.credential().get_token(ARM_SCOPE).token.count(".") == 2
