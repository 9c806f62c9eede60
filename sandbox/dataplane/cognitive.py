"""Starlette routes of the data planes: `/cognitive/{account}/{openai|documentintelligence}/...`."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.core.state import SandboxState
from sandbox.dataplane import docint, openai
from sandbox.dataplane.access import DataPlaneError, find_account

log = logging.getLogger("sandbox")
PREFIX = "/cognitive"


def routes(state: SandboxState) -> list[Route]:
    async def serve(request: Request) -> Response:
        account_name = request.path_params["account"]
        service, _, rest = request.path_params["rest"].partition("/")
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = {k.lower(): v for k, v in request.query_params.items()}
        body = await request.body()
        request_id = str(uuid.uuid4())
        base = f"{str(request.base_url).rstrip('/')}{PREFIX}/{account_name}"
        doc: dict[str, Any] | None
        try:
            with state.store.transaction():
                account = find_account(state, account_name)
                if service == "openai":
                    status, doc, out = openai.handle(
                        state, account, request.method, rest, query, headers, body
                    )
                elif service in ("documentintelligence", "formrecognizer"):
                    status, doc, out = docint.handle(
                        state, account, request.method, rest, query, headers, body, base
                    )
                else:
                    raise DataPlaneError(404, "404", "Resource not found")
        except DataPlaneError as err:
            status, doc, out = err.status, err.body(), err.headers
        except Exception:
            log.exception("sandbox data plane failed for %s %s", request.method, request.url.path)
            status, doc, out = (
                500,
                {"error": {"code": "InternalServerError", "message": "The sandbox failed."}},
                {},
            )
        out = {**out, "apim-request-id": request_id, "x-request-id": request_id}
        content = None if doc is None else json.dumps(doc)
        return Response(content, status, headers=out, media_type="application/json")

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    return [Route(PREFIX + "/{account}/{rest:path}", serve, methods=methods)]
