"""The Starlette application: ARM catch-all, identity endpoints, cloud metadata, admin API.

Admin (`/_sandbox/...`), token and metadata endpoints are not ARM calls: they are neither
logged nor throttled nor subject to faults.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox import dataplane
from sandbox.core import armid, graph, identity
from sandbox.core.dispatch import Call, Dispatcher
from sandbox.core.errors import ArmError
from sandbox.core.faults import Fault
from sandbox.core.http import ArmResponse, error_response
from sandbox.core.state import SandboxState
from sandbox.core.throttle import op_type, throttled_message

JSON = "application/json; charset=utf-8"
ARM_METHODS = ["GET", "PUT", "PATCH", "POST", "DELETE", "HEAD", "OPTIONS"]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, media_type=JSON)


def to_starlette(resp: ArmResponse, *, head: bool = False) -> Response:
    if resp.body is None or head or resp.status == 204:
        return Response(None, resp.status, headers=resp.headers)
    return json_response(resp.status, resp.body, resp.headers)


class _KeepRawSend:
    """Outermost ASGI layer: remembers the server's own `send` so a fault can drop the socket,
    and collapses doubled slashes before routing. Real clients send them: az joins a registered
    endpoint written with a trailing slash (as Microsoft's docs write it) with `/metadata/...`
    and `/subscriptions/...`; ARM and Entra answer those paths as if single-slashed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["sandbox.raw_send"] = send
        if scope["type"] == "http" and "//" in scope["path"]:
            path = armid.normalize(scope["path"]) + ("/" if scope["path"].endswith("/") else "")
            scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


def _abort_connection(scope: Scope) -> bool:
    """Close the TCP connection without any response (uvicorn h11: the cycle's transport)."""
    cycle = getattr(scope.get("sandbox.raw_send"), "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None:
        return False
    cycle.disconnected = True  # later sends become no-ops, so uvicorn sends no 500 either
    transport.abort()
    return True


def build_app(state: SandboxState) -> ASGIApp:
    dispatcher = Dispatcher(state)

    async def arm(request: Request) -> Response:
        started = time.perf_counter()
        call = Call(
            method=request.method,
            path=armid.normalize(request.url.path),
            query_pairs=list(request.query_params.multi_items()),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=b"",
            base_url=str(request.base_url),
        )
        fault = state.faults.take(call.method, call.path, ("throttle", "error", "drop", "delay"))
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(state.clock.to_wall(fault.delay))
        elif fault is not None and fault.kind == "drop":
            if _abort_connection(request.scope):
                dispatcher.log_only(call, ArmResponse(0), started)
                return Response(None, 500)
        elif fault is not None:
            resp = fault_response(fault, call, state)
            dispatcher.log_only(call, resp, started)
            return to_starlette(resp, head=call.method == "HEAD")
        call.body = await request.body()
        resp = dispatcher.handle(call)
        return to_starlette(resp, head=call.method == "HEAD")

    routes = [
        *identity.routes(state),
        *graph.routes(state),
        *admin_routes(state),
        *dataplane.routes(state),
        Route("/{path:path}", arm, methods=ARM_METHODS),
    ]
    return _KeepRawSend(Starlette(routes=routes))


def fault_response(fault: Fault, call: Call, state: SandboxState) -> ArmResponse:
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(fault.retry_after)))
    if fault.kind == "throttle":
        kind = op_type(call.method)
        wait = int(headers.get("Retry-After", "1"))
        headers["Retry-After"] = str(wait)
        err = ArmError(
            fault.status or 429,
            fault.code or "SubscriptionRequestsThrottled",
            fault.message or throttled_message(kind, state.config.subscription_id, "", wait),
            headers=headers,
        )
    else:
        err = ArmError(
            fault.status or 500,
            fault.code or "InternalServerError",
            fault.message or "Injected fault.",
            headers=headers,
        )
    return error_response(err)


def admin_routes(state: SandboxState) -> list[Route]:
    from sandbox.core import admin

    return admin.routes(state)
