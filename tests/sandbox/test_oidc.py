"""The sandbox's Entra side: discovery, JWKS, registered apps only, and workload identity
federation (a `client_assertion` from an external IdP, as GitHub Actions OIDC -> Entra does)
through the unmodified azure-identity credentials."""

from __future__ import annotations

import ssl
import time
import uuid

import httpx
import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential, ClientSecretCredential, WorkloadIdentityCredential
from azure.mgmt.resource.resources import ResourceManagementClient
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox import Sandbox, SandboxAdmin
from sandbox.constants import ARM_SCOPE

GITHUB = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:ragstack/ragstack:environment:prod"
EXCHANGE = "api://AzureADTokenExchange"
APP = "5e5e5e5e-0000-4000-a000-000000000001"


@pytest.fixture(scope="module")
def idp_key() -> rsa.RSAPrivateKey:
    """The external IdP's signing key (one per module: RSA keygen is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _assertion(key, *, iss=GITHUB, sub=SUBJECT, aud=EXCHANGE, exp_in=300, nbf_in=-5, kid="gh") -> str:
    now = int(time.time())
    claims = {"iss": iss, "sub": sub, "aud": aud, "nbf": now + nbf_in, "iat": now, "exp": now + exp_in}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _jwks(key, kid="gh") -> dict:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**jwk, "kid": kid, "use": "sig"}]}


def _wif_app(sandbox, **cred) -> dict:
    """The app GitHub's OIDC token signs in as, with Reader so ARM lets it list (core/rbac.py)."""
    app = sandbox.add_app(APP, federated=[{"issuer": GITHUB, "subject": SUBJECT, **cred}])
    sandbox.grant(app["objectId"], "Reader")
    return app


def _cac(conn, assertion: str, client_id: str = APP) -> ClientAssertionCredential:
    return ClientAssertionCredential(
        conn.tenant_id, client_id, lambda: assertion, authority=conn.endpoint, connection_verify=conn.ca_path
    )


def _csc(conn, client_id: str, secret: str) -> ClientSecretCredential:
    return ClientSecretCredential(
        conn.tenant_id,
        client_id,
        secret,
        authority=conn.endpoint,
        disable_instance_discovery=True,
        connection_verify=conn.ca_path,
    )


def _tls(conn) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=conn.ca_path)


def _post_token(conn, **form) -> httpx.Response:
    body = {"grant_type": "client_credentials", "scope": ARM_SCOPE, **form}
    return httpx.post(f"{conn.endpoint}/{conn.tenant_id}/oauth2/v2.0/token", data=body, verify=_tls(conn))


def test_discovery_document_and_jwks_verify_the_tokens_it_issues(sandbox):
    conn = sandbox.connection
    root = f"{conn.endpoint}/{conn.tenant_id}"
    doc = httpx.get(f"{conn.endpoint}/organizations/v2.0/.well-known/openid-configuration", verify=_tls(conn))
    doc = doc.json()
    assert doc["token_endpoint"] == f"{root}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{root}/oauth2/v2.0/authorize"
    assert doc["issuer"] == f"{root}/v2.0"
    assert doc["jwks_uri"] == f"{root}/discovery/v2.0/keys"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]
    bad = httpx.get(f"{conn.endpoint}/nope/v2.0/.well-known/openid-configuration", verify=_tls(conn))
    assert bad.status_code == 400 and bad.json()["error_codes"] == [90002]

    token = conn.credential().get_token(ARM_SCOPE).token
    jwks = jwt.PyJWKSet.from_dict(httpx.get(doc["jwks_uri"], verify=_tls(conn)).json())
    key = jwks[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="https://management.azure.com/")
    assert claims["appid"] == conn.client_id and claims["appidacr"] == "1"
    forged = jwt.encode({**claims, "oid": str(uuid.uuid4())}, "k" * 32, algorithm="HS256")
    rm = conn.client(ResourceManagementClient, credential=_Static(forged))
    with pytest.raises(ClientAuthenticationError, match="InvalidAuthenticationToken"):
        list(rm.resource_groups.list())


class _Static:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes, **kw):
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)


def test_client_secret_credential_for_a_registered_app_is_accepted_by_arm(sandbox, arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    app = sandbox.add_app(APP, secret="s3cret")
    sandbox.grant(app["objectId"], "Reader")
    rm = sandbox.connection.client(
        ResourceManagementClient, credential=_csc(sandbox.connection, APP, "s3cret")
    )
    assert [g.name for g in rm.resource_groups.list()] == ["rg"]
    assert sandbox.requests.list()[-1]["principal_id"] == app["objectId"]


def test_unknown_app_wrong_or_missing_secret_are_refused_like_entra(sandbox):
    conn = sandbox.connection
    sandbox.add_app(APP, secret="s3cret")
    with pytest.raises(
        ClientAuthenticationError, match="AADSTS700016: Application with identifier 'unknown-app'"
    ):
        _csc(conn, "unknown-app", "x").get_token(ARM_SCOPE)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215: Invalid client secret"):
        _csc(conn, APP, "wrong").get_token(ARM_SCOPE)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):  # the operator has one too
        conn.credential(client_secret="wrong").get_token(ARM_SCOPE)
    cases = [
        ({"client_id": "unknown-app", "client_secret": "x"}, 400, "unauthorized_client", 700016),
        ({"client_id": APP, "client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_id": APP}, 401, "invalid_client", 7000216),
    ]
    for form, status, error, code in cases:
        resp = _post_token(conn, **form)
        body = resp.json()
        assert (resp.status_code, body["error"], body["error_codes"]) == (status, error, [code]), form
        assert body["error_description"].startswith(f"AADSTS{code}: ")
        assert "access_token" not in body


def test_client_assertion_credential_github_oidc_to_arm(sandbox, arm, idp_key):
    """What `azure/login` with OIDC does: the GitHub token is the client assertion."""
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    app = _wif_app(sandbox)
    conn = sandbox.connection
    cred = _cac(conn, _assertion(idp_key))
    rm = conn.client(ResourceManagementClient, credential=cred)
    assert [g.name for g in rm.resource_groups.list()] == ["rg"]
    assert sandbox.requests.list()[-1]["principal_id"] == app["objectId"]
    claims = jwt.decode(cred.get_token(ARM_SCOPE).token, options={"verify_signature": False})
    assert (claims["appid"], claims["appidacr"]) == (APP, "2")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):  # no secret registered
        _csc(conn, APP, "anything").get_token(ARM_SCOPE)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sub": "repo:ragstack/ragstack:pull_request"}, "AADSTS700213"),
        ({"sub": SUBJECT.upper()}, "AADSTS700213"),  # matching is case-sensitive
        ({"iss": "https://token.actions.githubusercontent.com/"}, "AADSTS700211"),  # trailing slash
        ({"aud": "api://AzureADMyOrg"}, "AADSTS700212"),
        ({"exp_in": -60}, "AADSTS700024"),
        ({"nbf_in": 120}, "AADSTS700024"),
    ],
)
def test_assertion_that_matches_no_federated_credential_or_is_out_of_time(sandbox, idp_key, change, code):
    _wif_app(sandbox)
    assertion = _assertion(idp_key, **change)
    with pytest.raises(ClientAuthenticationError, match=f"{code}: ") as err:
        _cac(sandbox.connection, assertion).get_token(ARM_SCOPE)
    assert err.value.response.status_code == 401
    if code == "AADSTS700024":
        assert "Client assertion is not within its valid time range. Current time: " in str(err.value)


def test_assertion_errors_outside_federation(sandbox, idp_key):
    conn = sandbox.connection
    _wif_app(sandbox)
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        _cac(conn, _assertion(idp_key), client_id="unregistered").get_token(ARM_SCOPE)
    resp = _post_token(
        conn,
        client_id=APP,
        client_assertion="not-a-jwt",
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    )
    assert (resp.status_code, resp.json()["error_codes"]) == (400, [50027])
    cert_style = _assertion(
        idp_key, iss=APP, sub=APP, aud=f"{conn.endpoint}/{conn.tenant_id}/oauth2/v2.0/token"
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):  # no certificates registered
        _cac(conn, cert_style).get_token(ARM_SCOPE)


def test_registered_issuer_keys_check_the_signature(sandbox, idp_key):
    conn = sandbox.connection
    _wif_app(sandbox, jwks=_jwks(idp_key))
    assert _cac(conn, _assertion(idp_key)).get_token(ARM_SCOPE).token.count(".") == 2
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        _cac(conn, _assertion(impostor)).get_token(ARM_SCOPE)
    unsigned = jwt.encode(jwt.decode(_assertion(idp_key), options={"verify_signature": False}), None, "none")
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        _cac(conn, unsigned).get_token(ARM_SCOPE)


def test_without_registered_keys_the_signature_is_not_checked(sandbox, idp_key):
    """Documented limit: the sandbox cannot fetch the issuer's JWKS offline."""
    _wif_app(sandbox)
    unsigned = jwt.encode(jwt.decode(_assertion(idp_key), options={"verify_signature": False}), None, "none")
    assert _cac(sandbox.connection, unsigned).get_token(ARM_SCOPE).token.count(".") == 2


def test_workload_identity_credential_reads_the_token_file(sandbox, arm, idp_key, tmp_path, monkeypatch):
    """AKS workload identity: AZURE_FEDERATED_TOKEN_FILE + AZURE_AUTHORITY_HOST (AadClient reads it;
    no instance discovery on this path)."""
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    conn = sandbox.connection
    sa = "system:serviceaccount:ragstack:api"
    aks = "https://eastus.oic.prod-aks.azure.com/tenant/cluster/"
    app = _wif_app(sandbox, issuer=aks, subject=sa)
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(_assertion(idp_key, iss=aks, sub=sa))
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", conn.endpoint)
    monkeypatch.setenv("AZURE_TENANT_ID", conn.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", APP)
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    rm = conn.client(
        ResourceManagementClient, credential=WorkloadIdentityCredential(connection_verify=conn.ca_path)
    )
    assert [g.name for g in rm.resource_groups.list()] == ["rg"]
    assert sandbox.requests.list()[-1]["principal_id"] == app["objectId"]
    token_file.write_text(_assertion(idp_key, iss=aks, sub="system:serviceaccount:ragstack:other"))
    with pytest.raises(ClientAuthenticationError, match="AADSTS700213"):
        WorkloadIdentityCredential(connection_verify=conn.ca_path).get_token(ARM_SCOPE)


def test_apps_registered_over_the_admin_api_persist(tmp_path, sdk_sleeps_follow_sandbox, idp_key):
    with (
        Sandbox(tmp_path / "s", time_scale=sdk_sleeps_follow_sandbox) as sb,
        SandboxAdmin(sb.connection) as admin,
    ):
        admin.add_app(APP, secret="s3cret", federated=[{"issuer": GITHUB, "subject": SUBJECT}])
        listed = {a["appId"]: a for a in admin.apps()}
        assert listed[APP]["hasSecret"] is True and "secret" not in listed[APP]
        assert listed[APP]["federatedCredentials"][0]["audiences"] == [EXCHANGE]
        with pytest.raises(httpx.HTTPStatusError):
            admin.add_app("bad", federated=[{"issuer": GITHUB}])  # no subject
    with Sandbox(tmp_path / "s", time_scale=sdk_sleeps_follow_sandbox) as sb:
        conn = sb.connection
        assert _cac(conn, _assertion(idp_key)).get_token(ARM_SCOPE).token.count(".") == 2
        assert _csc(conn, APP, "s3cret").get_token(ARM_SCOPE).token.count(".") == 2
        sb.reset()  # reset forgets registered apps but keeps the operator
        with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
            _csc(conn, APP, "s3cret").get_token(ARM_SCOPE)
        assert conn.credential().get_token(ARM_SCOPE).token.count(".") == 2
