"""The environment's data-plane clients: AI Search, the model account (OpenAI API) and Document
Intelligence, through the official SDKs, the same on Azure and in the sandbox.

ARM reports each service's endpoint in Azure's form (`https://<name>.search.windows.net`); on Azure
that is where the calls go, in the sandbox `SandboxConnection.dataplane_endpoint` maps it to the
sandbox's HTTPS server. Only the endpoint, the CA bundle and the credential differ (issue 3's contract).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from infra import rag
from infra.catalog.cognitive import DATAPLANE_AUDIENCE, OPENAI_DATAPLANE_API_VERSION
from infra.catalog.provisioning import Health
from infra.settings import ModelDeployment
from opsctl.errors import InvalidInput, OpsError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from opsctl.environment import Environment
    from opsctl.live import LiveResource
    from opsctl.target import Target

SEARCH_AUDIENCE = "https://search.azure.com"
SERVICE_LABELS = {
    "search": "AI Search service",
    "openai": "model account",
    "document_intelligence": "Document Intelligence account",
}


@dataclass(frozen=True)
class Principal:
    """A caller as role assignments name it: object id and ARM `principalType`."""

    object_id: str
    principal_type: str


def token_claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (the service verified it): only to say who the token is for."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def principal_from_claims(claims: dict[str, Any]) -> Principal | None:
    """`oid` and its kind: a user's (delegated) token has `scp` or `idtyp: user`, anything else is a
    service principal, managed identities included (learn.microsoft.com/entra/identity-platform/
    access-token-claims-reference; the sandbox's `caller_type` applies the same rule)."""
    if not claims.get("oid"):
        return None
    user = str(claims.get("idtyp", "")).lower() == "user" or "scp" in claims
    return Principal(str(claims["oid"]), "User" if user else "ServicePrincipal")


@dataclass(frozen=True)
class DataPlane:
    """One environment's data-plane endpoints (Azure's form) and the credential to call them with."""

    environment: Environment
    target: Target
    endpoints: dict[str, str]
    credential: TokenCredential

    def as_credential(self, credential: TokenCredential) -> DataPlane:
        """The same endpoints, called as another principal (e.g. the app's managed identity)."""
        return replace(self, credential=credential)

    def caller(self) -> Principal | None:
        """Who the credential is, from its own token (None when no token can be had: best effort,
        for naming the principal in a fix)."""
        try:
            token = self.credential.get_token(f"{SEARCH_AUDIENCE}/.default").token
        except Exception:  # any credential's failure: the caller stays unnamed
            return None
        return principal_from_claims(token_claims(token))

    def url(self, key: str) -> str:
        """Where calls for service `key` go: Azure's endpoint, or the sandbox's mapping of it."""
        endpoint = self.endpoints[key]
        connection = self.target.sandbox_connection
        if self.target.is_sandbox and connection is not None:
            return str(connection.dataplane_endpoint(endpoint))
        return endpoint.rstrip("/")

    @property
    def _options(self) -> dict[str, Any]:
        """CA bundle and a transport whose waits (LRO polls, Retry-After) follow the target's clock."""
        options: dict[str, Any] = {}
        if verify := self.target.client_kwargs.get("connection_verify"):
            options["connection_verify"] = verify
        if (transport := self.target.sdk_transport()) is not None:
            options["transport"] = transport
        return options

    def search_index_client(self) -> Any:
        from azure.search.documents.indexes import SearchIndexClient

        return SearchIndexClient(
            self.url("search"), self.credential, audience=SEARCH_AUDIENCE, **self._options
        )

    def search_client(self, index: str) -> Any:
        from azure.search.documents import SearchClient

        return SearchClient(
            self.url("search"), index, self.credential, audience=SEARCH_AUDIENCE, **self._options
        )

    def document_intelligence_client(self) -> Any:
        from azure.ai.documentintelligence import DocumentIntelligenceClient

        return DocumentIntelligenceClient(self.url("document_intelligence"), self.credential, **self._options)

    def openai_client(self, *, max_retries: int = 0) -> Any:
        """An `openai.AzureOpenAI` with Entra tokens. Retries are the caller's (0 by default): a 429's
        `retry-after` is in the target's time, which only `Target.sleep` knows how to wait."""
        import ssl

        import httpx2
        import openai

        verify: Any = True
        if ca := self.target.client_kwargs.get("connection_verify"):
            verify = ssl.create_default_context(cafile=ca)
        scope = f"{DATAPLANE_AUDIENCE}/.default"
        credential = self.credential
        return openai.AzureOpenAI(
            azure_endpoint=self.url("openai"),
            api_version=OPENAI_DATAPLANE_API_VERSION,
            azure_ad_token_provider=lambda: credential.get_token(scope).token,
            http_client=httpx2.Client(verify=verify),
            max_retries=max_retries,
        )

    def embedding_deployment(self) -> ModelDeployment:
        """The stack's embedding deployment, or one line saying how to name one."""
        return _required(
            rag.embedding_deployment(self.environment.settings), "embeddingDeployment", "embedding"
        )

    def chat_deployment(self) -> ModelDeployment:
        return _required(rag.chat_deployment(self.environment.settings), "chatDeployment", "chat")


def sandbox_endpoint(target: Target, endpoint: str | None) -> str | None:
    """Where the sandbox serves a data-plane endpoint ARM reports in Azure's form (None on Azure,
    or for an endpoint no sandbox data plane serves)."""
    connection = target.sandbox_connection
    if not endpoint or not target.is_sandbox or connection is None:
        return None
    try:
        return str(connection.dataplane_endpoint(endpoint))
    except ValueError:
        return None


def _required(deployment: ModelDeployment | None, key: str, kind: str) -> ModelDeployment:
    if deployment is None:
        raise InvalidInput(
            f"ragstack:rag.{key}: the stack has no single {kind} deployment; "
            f"declare one in ragstack:openai.deployments or name it in ragstack:rag.{key}"
        )
    return deployment


def open_data_plane(
    env: Environment, target: Target, *, credential: TokenCredential | None = None
) -> DataPlane:
    """Read the three services' endpoints from ARM; a missing or unhealthy service is one line."""
    from opsctl.live import read_data_services

    services = read_data_services(env, target)
    endpoints = {key: _endpoint(env, resource) for key, resource in services.items()}
    return DataPlane(env, target, endpoints, credential or target.credential)


def _endpoint(env: Environment, resource: LiveResource) -> str:
    label = SERVICE_LABELS[resource.key]
    if not resource.exists:
        raise OpsError(
            f"{label} {resource.name} not found in {env.resource_group}",
            hint=f"deploy the environment first: `opsctl up --stack {env.stack}`",
        )
    if resource.health != Health.OK or not resource.endpoint:
        raise OpsError(
            f"{label} {resource.name} is {resource.state or 'not ready'}: its data plane cannot be used",
            hint=f"see `opsctl status --stack {env.stack}`",
        )
    return resource.endpoint
