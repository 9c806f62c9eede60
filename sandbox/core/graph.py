"""The slice of Microsoft Graph that az needs to show role assignments: resolving principals.

`az role assignment create|list` resolves principal ids to names with
`POST /v1.0/directoryObjects/getByIds` (`{"ids": [...], "types": [...]}`, azure-cli
command_modules/role/custom.py `_get_object_stubs`) and, without `--assignee-principal-type`,
reads `GET /v1.0/directoryObjects/{id}` for the `@odata.type`. Its Graph base URL and token
resource are the cloud's `microsoftGraphResourceId`, which the sandbox's metadata document points
at the sandbox itself. Object shapes follow Graph v1.0 (learn.microsoft.com/graph/api/
directoryobject-getbyids): `@odata.type`, `id`, `displayName`, and for service principals
`appId`, `servicePrincipalType` and `servicePrincipalNames` (az shows the first as the name).
Everything else in Graph is outside the sandbox (a known difference, see sandbox/README.md).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.core.errors import ArmError
from sandbox.core.state import SandboxState

JSON = "application/json; charset=utf-8"
_ODATA_TYPES = {
    "User": "#microsoft.graph.user",
    "Group": "#microsoft.graph.group",
    "ServicePrincipal": "#microsoft.graph.servicePrincipal",
}


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status, media_type=JSON)


def _graph_error(status: int, code: str, message: str) -> Response:
    return _json(status, {"error": {"code": code, "message": message}})


def graph_object(principal: dict[str, Any]) -> dict[str, Any]:
    kind = principal.get("principalType", "ServicePrincipal")
    doc: dict[str, Any] = {
        "@odata.type": _ODATA_TYPES.get(kind, "#microsoft.graph.directoryObject"),
        "id": principal["objectId"],
        "displayName": principal.get("displayName") or principal["objectId"],
    }
    if kind == "ServicePrincipal":
        names = [n for n in (principal.get("appId"),) if n]
        doc |= {
            "appId": principal.get("appId"),
            "servicePrincipalType": "Application" if principal.get("appId") else "ManagedIdentity",
            "servicePrincipalNames": names or [principal["objectId"]],
        }
    elif kind == "User":
        doc["userPrincipalName"] = principal.get("displayName") or principal["objectId"]
    return doc


def routes(state: SandboxState) -> list[Route]:
    def authorized(request: Request) -> Response | None:
        audience = str(request.base_url)
        try:
            state.issuer.verify_header(
                request.headers.get("authorization"), audiences=(audience, audience.rstrip("/"))
            )
        except ArmError as err:
            return _graph_error(401, "InvalidAuthenticationToken", err.message)
        return None

    async def get_by_ids(request: Request) -> Response:
        if (denied := authorized(request)) is not None:
            return denied
        try:
            spec = json.loads(await request.body())
            ids = [str(i).lower() for i in spec["ids"]]
        except (ValueError, KeyError, TypeError):
            return _graph_error(400, "Request_BadRequest", 'The body must be {"ids": [...]}.')
        found = [state.directory.get(i) for i in ids]
        return _json(200, {"value": [graph_object(p) for p in found if p is not None]})

    async def get_object(request: Request) -> Response:
        if (denied := authorized(request)) is not None:
            return denied
        object_id = request.path_params["object_id"]
        principal = state.directory.get(object_id.lower())
        if principal is None:
            return _graph_error(
                404,
                "Request_ResourceNotFound",
                f"Resource '{object_id}' does not exist or one of its queried reference-property "
                "objects are not present.",
            )
        return _json(200, graph_object(principal))

    return [
        Route("/v1.0/directoryObjects/getByIds", get_by_ids, methods=["POST"]),
        Route("/v1.0/directoryObjects/{object_id}", get_object, methods=["GET"]),
    ]
