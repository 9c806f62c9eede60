"""The Container Apps log streams on the sandbox's HTTPS server, under `/containerapps/<region>/`.

Azure serves them on `https://<region>.azurecontainerapps.dev` (`SandboxConnection.dataplane_endpoint`
maps that host here), with the paths az builds (azure-cli command_modules/containerapp/custom.py,
`stream_containerapp_logs`): `.../containerApps/{app}/eventstream` for system logs and
`.../containerApps/{app}/revisions/{rev}/replicas/{replica}/containers/{container}/logstream` for a
container's console, query `follow=true|false`, `output=text|json` (console), `tailLines=N`, and the
token of `getAuthtoken` as `Authorization: Bearer`. Lines are JSON lines (system, console with
`output=json`: `{"TimeStamp", "Log"}` [unverified key name]) or `<time>  <text>` (console text, as
quoted in the Container Apps SDK docs); `follow=true` keeps the response open and sends each event
when it happens on the simulated clock, until the client disconnects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from sandbox.arm.app import events
from sandbox.arm.app.models import APP_TYPE
from sandbox.arm.app.replicas import STREAM_AUDIENCE
from sandbox.core.state import SandboxState
from sandbox.dataplane import DataPlaneError, bearer_caller

PREFIX = "/containerapps/{region}/subscriptions/{sub}/resourceGroups/{rg}/containerApps/{app}"
POLL_WALL_SECONDS = 0.1
Lines = Callable[[], list[tuple[float, str]]]


def routes(state: SandboxState) -> list[BaseRoute]:
    async def eventstream(request: Request) -> Response:
        try:
            app, query = _open(state, request)
        except DataPlaneError as err:
            return err.response()

        def lines() -> list[tuple[float, str]]:
            return [(e.at, json.dumps(e.system(app["name"]))) for e in events.events(state, app)]

        return _stream(state, request, lines, query)

    async def logstream(request: Request) -> Response:
        try:
            app, query = _open(state, request)
            lines = _console(state, app, request.path_params, json_output=query["output"] == "json")
        except DataPlaneError as err:
            return err.response()
        return _stream(state, request, lines, query)

    return [
        Route(PREFIX + "/eventstream", eventstream, methods=["GET"]),
        Route(
            PREFIX + "/revisions/{rev}/replicas/{replica}/containers/{container}/logstream",
            logstream,
            methods=["GET"],
        ),
    ]


def _open(state: SandboxState, request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The app the stream is about, once the token is one `getAuthtoken` gave for it."""
    p = request.path_params
    app_id = (
        f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/Microsoft.App/containerApps/{p['app']}"
    )
    caller = bearer_caller(state, request.headers.get("authorization", ""), (STREAM_AUDIENCE,))
    app = state.store.get(app_id)
    if app is None or app.get("type") != APP_TYPE:
        raise DataPlaneError(404, "ContainerAppNotFound", f"Container app '{p['app']}' was not found.")
    if caller.claims.get("xms_app") != app["id"].lower():
        raise DataPlaneError(403, "Forbidden", "The token was not issued for this container app.")
    tail = request.query_params.get("tailLines")
    return app, {
        "follow": request.query_params.get("follow", "false").lower() == "true",
        "output": request.query_params.get("output") or "text",
        "tail": int(tail) if tail and tail.isdigit() else None,
    }


def _console(state: SandboxState, app: dict[str, Any], p: dict[str, str], *, json_output: bool) -> Lines:
    rev = state.store.get(f"{app['id']}/revisions/{p['rev']}")
    replica = next(
        (r for r in events.replicas(state, app, rev) if r["name"] == p["replica"]) if rev else iter(()),
        None,
    )
    containers = {
        c["name"]: c for c in (rev or {}).get("properties", {}).get("template", {}).get("containers", [])
    }
    if rev is None or replica is None or p["container"] not in containers:
        raise DataPlaneError(
            404,
            "NotFound",
            f"No running container '{p['container']}' in replica '{p['replica']}' of '{p['rev']}'.",
        )
    started = (rev.get("sandbox") or {}).get("readyAt") or state.clock.now()
    image = str(containers[p["container"]].get("image"))
    found = events.console_lines(p["replica"], p["rev"], p["container"], image, started)

    def render(at: float, text: str) -> str:
        stamp = events.stamp(at)
        return json.dumps({"TimeStamp": stamp, "Log": text}) if json_output else f"{stamp}  {text}"

    return lambda: [(at, render(at, text)) for at, text in found]


def _stream(state: SandboxState, request: Request, lines: Lines, query: dict[str, Any]) -> Response:
    async def body() -> AsyncIterator[bytes]:
        first = lines()
        if query["tail"] is not None:
            first = first[len(first) - query["tail"] :] if query["tail"] else []
        sent = {line for _, line in lines()}
        for _, line in first:
            yield (line + "\n").encode()
        while query["follow"] and not await request.is_disconnected():
            await asyncio.sleep(POLL_WALL_SECONDS)
            for _, line in lines():
                if line not in sent:
                    sent.add(line)
                    yield (line + "\n").encode()

    return StreamingResponse(body(), media_type="text/plain; charset=utf-8")
