"""Identity endpoints: cloud metadata, an Entra-like token endpoint and the App Service
managed-identity endpoint, all answering for the sandbox's one tenant.

- `GET /metadata/endpoints?api-version=...`: ONE cloud object, as management.azure.com answers
  `api-version=2022-09-01` (shape from Azure/azure-cli#29283), pointing at the sandbox.
- `POST /{tenant}/oauth2/v2.0/token` (client_credentials with a secret or a federated
  `client_assertion`; who may sign in and the AADSTS errors are in `clientauth.py`),
  `GET /{tenant}/v2.0/.well-known/openid-configuration` (the v2 discovery document, fields as
  login.microsoftonline.com answers them: Azure/azure-workload-identity#682, geldata/gel#6028) and
  `GET /{tenant}/discovery/v2.0/keys` (its `jwks_uri`: the RS256 key tokens are signed with).
  azure-identity's ClientSecretCredential (`authority=<sandbox>, disable_instance_discovery=True`),
  ClientAssertionCredential and WorkloadIdentityCredential (`authority=` or AZURE_AUTHORITY_HOST)
  work against them.
- `GET /common/discovery/instance`: MSAL's instance discovery, for clients that point it at the
  authority's own host instead of switching it off.
- `GET /msi/token`: the `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` protocol (api-version 2019-08-01,
  header `X-IDENTITY-HEADER`, selectors `client_id`/`object_id`/`mi_res_id`; response
  `{"access_token", "expires_on", "resource", "token_type", "client_id"}`) as msal's
  `_obtain_token_on_app_service` uses it.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.constants import ARM_AUDIENCES, OPERATOR_CLIENT_ID, OPERATOR_OBJECT_ID
from sandbox.core.auth import audience_for
from sandbox.core.clientauth import AadError, authenticate
from sandbox.core.state import SandboxState

JSON = "application/json; charset=utf-8"
MI_TYPE = "microsoft.managedidentity/userassignedidentities"


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status, media_type=JSON)


def cloud_metadata(base: str) -> dict[str, Any]:
    return {
        "portal": base,
        "authentication": {
            "loginEndpoint": base,
            "audiences": list(ARM_AUDIENCES),
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": "AzureSandbox",
        "suffixes": {
            "acrLoginServer": "azurecr.io",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "sqlServerHostname": "database.windows.net",
            "mhsmDns": "managedhsm.azure.net",
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": base + "/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        # az resolves role-assignment principals through Graph at this URL (core/graph.py).
        "microsoftGraphResourceId": base + "/",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
    }


def _tenant_ok(state: SandboxState, tenant: str) -> bool:
    return tenant.lower() in (state.config.tenant_id.lower(), "common", "organizations")


def _aad_error(status: int, error: str, code: int, text: str) -> Response:
    """Entra's error body (reference-error-codes.md sample): the description ends in the trace,
    correlation and timestamp lines."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    return _json(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} "
            f"Timestamp: {stamp}",
            "error_codes": [code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
    )


def routes(state: SandboxState) -> list[Route]:
    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def metadata(request: Request) -> Response:
        return _json(200, cloud_metadata(base(request)))

    async def openid(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if not _tenant_ok(state, tenant):
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        tid = state.config.tenant_id
        root = f"{base(request)}/{tid}"
        return _json(
            200,
            {
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{root}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
                "claims_supported": [
                    "sub",
                    "iss",
                    "cloud_instance_name",
                    "cloud_instance_host_name",
                    "cloud_graph_host_name",
                    "msgraph_host",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "acr",
                    "nonce",
                    "preferred_username",
                    "name",
                    "tid",
                    "ver",
                    "at_hash",
                    "c_hash",
                    "email",
                ],
                "kerberos_endpoint": f"{root}/kerberos",
                "tenant_region_scope": None,
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            },
        )

    async def instance_discovery(request: Request) -> Response:
        """`/common/discovery/instance` (MSAL's instance discovery, msal authority.py
        `_instance_discovery`): the tenant discovery endpoint for an authorize URL on this host,
        else Entra's 400 invalid_instance AADSTS50049."""
        authorize = urllib.parse.urlsplit(request.query_params.get("authorization_endpoint", ""))
        here = urllib.parse.urlsplit(base(request))
        host = here.netloc
        tenant = (authorize.path.strip("/").split("/") or [""])[0]
        # MSAL names the instance by hostname alone (msal authority.py `canonicalize`).
        if authorize.hostname != here.hostname or not _tenant_ok(state, tenant or "?"):
            return _aad_error(
                400,
                "invalid_instance",
                50049,
                "Unknown or invalid instance.",
            )
        return _json(
            200,
            {
                "tenant_discovery_endpoint": (
                    f"{base(request)}/{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
            },
        )

    async def keys(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if not _tenant_ok(state, tenant):
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        return _json(200, state.issuer.jwks())

    async def token(request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if not _tenant_ok(state, tenant):
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        if form.get("grant_type") != "client_credentials":
            return _aad_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        try:
            principal, acr = authenticate(state, form)
        except AadError as err:
            return _aad_error(err.status, err.error, err.code, err.text)
        client_id = str(principal["appId"])
        aud = audience_for(str(form.get("scope") or ""))
        access, exp = state.issuer.issue(oid=principal["objectId"], aud=aud, app_id=client_id, appidacr=acr)
        ttl = exp - int(time.time())
        return _json(
            200,
            {
                "token_type": "Bearer",
                "expires_in": ttl,
                "ext_expires_in": ttl,
                "access_token": access,
            },
        )

    async def msi(request: Request) -> Response:
        if request.headers.get("x-identity-header") != state.identity_header:
            return _json(401, {"statusCode": 401, "message": "Unauthorized: X-IDENTITY-HEADER mismatch."})
        q = request.query_params
        resource = q.get("resource", "")
        found = _find_identity(state, q)
        if found is None:
            return _json(
                400,
                {
                    "statusCode": 400,
                    "message": "No Managed Identity found for specified ClientId/ResourceId/PrincipalId.",
                },
            )
        props = found["properties"]
        # Entra puts a managed identity's resource id in its tokens; the operator (answered here
        # for the shell of `opsctl sandbox env`) is no Azure resource and gets none.
        mirid = {"xms_mirid": found["id"]} if found.get("id") else {}
        access, exp = state.issuer.issue(
            oid=props["principalId"],
            aud=audience_for(resource) or resource,
            app_id=props["clientId"],
            **mirid,
        )
        return _json(
            200,
            {
                "access_token": access,
                "expires_on": str(exp),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": props["clientId"],
            },
        )

    return [
        Route("/metadata/endpoints", metadata, methods=["GET"]),
        Route("/common/discovery/instance", instance_discovery, methods=["GET"]),
        Route("/msi/token", msi, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid, methods=["GET"]),
        Route("/{tenant}/.well-known/openid-configuration", openid, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", keys, methods=["GET"]),
        Route("/{tenant}/discovery/keys", keys, methods=["GET"]),
    ]


def _find_identity(state: SandboxState, q: Any) -> dict[str, Any] | None:
    """The identity a managed-identity token request selects. The shell the recipe of `opsctl
    sandbox env` runs in is the sandbox's host: its system-assigned identity is the operator
    (selected by no selector, or by the operator's client or object id, which
    DefaultAzureCredential sends when AZURE_CLIENT_ID is set); any user-assigned identity in
    the store is selectable too."""
    selectors = [q.get(k) for k in ("mi_res_id", "msi_res_id", "client_id", "object_id", "principal_id")]
    operator = {OPERATOR_CLIENT_ID, OPERATOR_OBJECT_ID}
    if not any(selectors) or any(v and v.lower() in operator for v in selectors):
        return {"properties": {"principalId": OPERATOR_OBJECT_ID, "clientId": OPERATOR_CLIENT_ID}}
    if rid := (q.get("mi_res_id") or q.get("msi_res_id")):
        doc = state.store.get(rid)
        return doc if doc and doc["type"].lower() == MI_TYPE else None
    want = {
        "clientId": (q.get("client_id") or "").lower(),
        "principalId": (q.get("object_id") or q.get("principal_id") or "").lower(),
    }
    for doc in state.store.find(type=MI_TYPE):
        props = doc.get("properties", {})
        if any(v and props.get(k, "").lower() == v for k, v in want.items()):
            return doc
    return None
