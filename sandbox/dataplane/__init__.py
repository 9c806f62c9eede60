"""Data planes served beside ARM on the sandbox's HTTPS server, one path prefix per service.

A service's data plane lives under `https://127.0.0.1:PORT/<prefix>/<resource name>/`:
`/search/<service>/indexes...` for AI Search, `/cognitive/<subdomain>/openai/...` and
`.../documentintelligence/...` for Azure OpenAI and Document Intelligence, `/containerapps/<region>/...`
for the Container Apps log streams. The ARM resource keeps
Azure's own endpoint (`https://<name>.search.windows.net/`) and
`SandboxConnection.dataplane_endpoint` maps one to the other, so code that reads
`properties.endpoint` stays the code that runs on Azure and only the connection decides where the
bytes go.

Shared here, small on purpose: the error type each service renders in its own shape, and the
caller a request comes from (Entra token with a given audience, or an api-key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from sandbox.core.errors import ArmError

if TYPE_CHECKING:
    from sandbox.core.state import SandboxState

JSON = "application/json; charset=utf-8"


class DataPlaneError(Exception):
    """A data-plane refusal: status plus the service's `{"error": {"code", "message"}}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return json_response(self.status, {"error": error}, self.headers)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, media_type=JSON)


@dataclass
class Caller:
    """Who sent a data-plane request: a token's claims, or an api-key of some kind."""

    claims: dict[str, Any] = field(default_factory=dict)
    key_kind: str | None = None  # "admin" | "query" for api-key callers

    @property
    def object_id(self) -> str:
        return str(self.claims.get("oid", ""))

    @property
    def managed_identity(self) -> bool:
        """A token from the sandbox's managed-identity endpoint: only code running inside the
        environment can ask that endpoint (on Azure: IMDS/the App Service identity endpoint), so it
        stands for a caller inside the environment (the MSI endpoint stamps `xms_mirid`)."""
        return bool(self.claims.get("xms_mirid"))


def bearer_caller(state: SandboxState, authorization: str, audiences: tuple[str, ...]) -> Caller:
    """The caller of a `Bearer` token signed by the sandbox for one of `audiences`, else 401."""
    try:
        claims = state.issuer.verify_header(authorization, audiences=audiences)
    except ArmError as err:
        raise DataPlaneError(err.status, err.code, err.message, headers=err.headers) from err
    return Caller(claims=claims)


def routes(state: SandboxState) -> list[BaseRoute]:
    """Every data plane's routes, mounted before ARM's catch-all."""
    from sandbox.dataplane.cognitive import routes as cognitive_routes
    from sandbox.dataplane.containerapps import routes as containerapps_routes
    from sandbox.dataplane.search.routes import routes as search_routes

    return [*search_routes(state), *cognitive_routes(state), *containerapps_routes(state)]
