"""HTTP routes of the sandbox AI Search data plane: `/search/<service>/...` (REST 2025-09-01).

Paths as the official SDK sends them (`azure-search-documents` 12: `{endpoint}/indexes`,
`/indexes('{name}')`, `/indexes('{name}')/docs/search.index`, `.../docs/search.post.search`,
`.../docs('{key}')`, `.../docs/$count`, `.../search.stats`, `/servicestats`); the SDK keeps a
path in `endpoint`, so `https://127.0.0.1:PORT/search/<service>` works as given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from infra.catalog.search import data_limits
from sandbox.core.state import SandboxState
from sandbox.dataplane import DataPlaneError, json_response
from sandbox.dataplane.search import auth, models, query
from sandbox.dataplane.search.engine import Engine

SERVICE_TYPE = "Microsoft.Search/searchServices"
Handler = Callable[["Ctx"], Response]


class Ctx:
    """One request: the service, the caller, the path's index/key, the parsed body."""

    def __init__(
        self, state: SandboxState, engine: Engine, service: dict[str, Any], request: Request
    ) -> None:
        self.state = state
        self.engine = engine
        self.service = service
        self.svc = f"{service['id'].lower()}|{service.get('systemData', {}).get('createdAt', '')}"
        self.request = request
        self.index_name = ""
        self.key = ""
        self.body: Any = None
        self.caller = auth.Caller()

    def authorize(self, action: str, index: str | None = None) -> None:
        scope = self.service["id"] + (f"/indexes/{index}" if index else "")
        auth.authorize(self.state, self.caller, self.service, action, scope)

    def index(self) -> dict[str, Any]:
        found = self.engine.get_index(self.svc, self.index_name)
        if found is None:
            raise DataPlaneError(
                404,
                "",
                f"No index with the name '{self.index_name}' was found in the service "
                f"'{self.service['name']}'.",
            )
        return found


def routes(state: SandboxState) -> list[BaseRoute]:
    engine = Engine(state.state_dir / "search.db")
    state.on_reset.append(engine.wipe)

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        try:
            return _dispatch(state, engine, request, body)
        except DataPlaneError as err:
            return err.response()

    methods = ["GET", "PUT", "POST", "DELETE", "PATCH"]
    return [Route("/search/{service}/{rest:path}", endpoint, methods=methods)]


def _dispatch(state: SandboxState, engine: Engine, request: Request, raw: bytes) -> Response:
    service = _find_service(state, request.path_params["service"])
    rest = "/" + request.path_params["rest"].rstrip("/")
    for method, pattern, handler in _ROUTES:
        m = pattern.fullmatch(rest)
        if m is None or method != request.method:
            continue
        ctx = Ctx(state, engine, service, request)
        ctx.index_name = m.groupdict().get("index") or ""
        ctx.key = (m.groupdict().get("key") or "").replace("''", "'")
        ctx.caller = auth.authenticate(state, service, {k.lower(): v for k, v in request.headers.items()})
        ctx.body = _json(raw) if raw else None
        with engine.lock:
            return handler(ctx)
    raise DataPlaneError(404, "", f"Resource '{rest}' was not found on this search service.")


def _find_service(state: SandboxState, name: str) -> dict[str, Any]:
    for doc in state.store.find(type=SERVICE_TYPE):
        if doc["name"].lower() == name.lower():
            return doc
    # On Azure the host name would not resolve; the sandbox says so in one line.
    raise DataPlaneError(404, "", f"No search service named '{name}' exists in this sandbox.")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise DataPlaneError(
            400, "", "The request is invalid. Details: The request body is not valid JSON."
        ) from exc


def _limits(ctx: Ctx) -> tuple[int, int, int]:
    props = ctx.service["properties"]
    return data_limits(ctx.service["sku"]["name"], int(props.get("partitionCount") or 1))


# -- indexes ----------------------------------------------------------------------------------
def list_indexes(ctx: Ctx) -> Response:
    ctx.authorize("Microsoft.Search/searchServices/indexes/read")
    return json_response(200, {"value": ctx.engine.list_indexes(ctx.svc)})


def get_index(ctx: Ctx) -> Response:
    ctx.authorize("Microsoft.Search/searchServices/indexes/read", ctx.index_name)
    return json_response(200, ctx.index())


def create_index(ctx: Ctx) -> Response:
    name = str((ctx.body or {}).get("name") or "")
    ctx.index_name = name
    if ctx.engine.get_index(ctx.svc, name) is not None:
        raise DataPlaneError(409, "", f"Cannot create index '{name}' because it already exists.")
    return _write_index(ctx)


def put_index(ctx: Ctx) -> Response:
    return _write_index(ctx)


def _write_index(ctx: Ctx) -> Response:
    ctx.authorize("Microsoft.Search/searchServices/indexes/write", ctx.index_name)
    if not isinstance(ctx.body, dict):
        raise models.invalid("The request is invalid. Details: index : The index definition is missing.")
    new = models.validate_index(ctx.body, ctx.index_name)
    old = ctx.engine.get_index(ctx.svc, ctx.index_name)
    if old is None:
        _check_index_quota(ctx)
    else:
        models.check_update(old, new)
    new["@odata.etag"] = f'"0x{abs(hash(json.dumps(new, sort_keys=True))):X}"'
    ctx.engine.put_index(ctx.svc, new)
    return json_response(201 if old is None else 200, new)


def _check_index_quota(ctx: Ctx) -> None:
    allowed, _, _ = _limits(ctx)
    if len(ctx.engine.list_indexes(ctx.svc)) >= allowed:
        # Text: MS Learn "Azure OpenAI On Your Data" troubleshooting (quota limitation issues);
        # status 429 and the "Maximum number of indexes allowed" tail as a user's log quotes it.
        raise DataPlaneError(
            429,
            "",
            f"An index with the name '{ctx.index_name}' in service '{ctx.service['name']}' could not be "
            "created. Index quota has been exceeded for this service. You must either delete unused "
            "indexes first, add a delay between index creation requests, or upgrade the service for "
            f"higher limits. Maximum number of indexes allowed: {allowed}.",
        )


def delete_index(ctx: Ctx) -> Response:
    ctx.authorize("Microsoft.Search/searchServices/indexes/delete", ctx.index_name)
    ctx.index()
    ctx.engine.delete_index(ctx.svc, ctx.index_name)
    return Response(None, 204)


def index_stats(ctx: Ctx) -> Response:
    ctx.authorize("Microsoft.Search/searchServices/indexes/read", ctx.index_name)
    ctx.index()
    count, size, vbytes = ctx.engine.usage(ctx.svc, ctx.index_name)
    return json_response(200, {"documentCount": count, "storageSize": size, "vectorIndexSize": vbytes})


def service_stats(ctx: Ctx) -> Response:
    ctx.authorize("Microsoft.Search/searchServices/read")
    allowed, storage, vectors = _limits(ctx)
    count, size, vbytes = ctx.engine.usage(ctx.svc)
    counters = {
        "documentCount": {"usage": count},
        "indexesCount": {"usage": len(ctx.engine.list_indexes(ctx.svc)), "quota": allowed},
        "storageSize": {"usage": size, "quota": storage},
        "vectorIndexSize": {"usage": vbytes, "quota": vectors},
        # Not modelled by the sandbox: always empty.
        **{c: {"usage": 0} for c in ("aliasesCount", "indexersCount", "dataSourcesCount")},
        **{c: {"usage": 0} for c in ("synonymMaps", "skillsetCount")},
    }
    return json_response(200, {"counters": counters, "limits": {}})


# -- documents ----------------------------------------------------------------------------------
def index_documents(ctx: Ctx) -> Response:
    index = ctx.index()
    actions = (ctx.body or {}).get("value")
    if not isinstance(actions, list):
        raise models.invalid(
            "The request is invalid. Details: actions : No indexing actions found in the request."
        )
    kinds = {str(a.get("@search.action", "upload")) for a in actions if isinstance(a, dict)}
    for action in (auth.DELETE_DOCS if k == "delete" else auth.WRITE_DOCS for k in kinds):
        ctx.authorize(action, ctx.index_name)
    _, storage, vectors = _limits(ctx)
    _, size, vbytes = ctx.engine.usage(ctx.svc)
    quota = [size, vbytes, storage, vectors]
    with ctx.engine.batch():
        results = [query.apply_action(ctx.engine, ctx.svc, index, a, quota) for a in actions]
    status = 200 if all(r["status"] for r in results) else 207
    return json_response(status, {"value": results})


def get_document(ctx: Ctx) -> Response:
    ctx.authorize(auth.READ_DOCS, ctx.index_name)
    index = ctx.index()
    doc = ctx.engine.get_document(ctx.svc, ctx.index_name, ctx.key)
    if doc is None:
        raise DataPlaneError(404, "", f"Document with key '{ctx.key}' was not found.")
    select = ctx.request.query_params.get("$select")
    return json_response(200, query.project(doc, index, select.split(",") if select else None))


def count_documents(ctx: Ctx) -> Response:
    ctx.authorize(auth.READ_DOCS, ctx.index_name)
    ctx.index()
    count, _, _ = ctx.engine.usage(ctx.svc, ctx.index_name)
    return Response(str(count), 200, media_type="text/plain")


def search_post(ctx: Ctx) -> Response:
    ctx.authorize(auth.READ_DOCS, ctx.index_name)
    body, headers = query.search(ctx.engine, ctx.svc, ctx.index(), ctx.body or {}, ctx.service)
    return json_response(200, body, headers)


def search_get(ctx: Ctx) -> Response:
    ctx.authorize(auth.READ_DOCS, ctx.index_name)
    params = dict(ctx.request.query_params)
    body, headers = query.search(
        ctx.engine, ctx.svc, ctx.index(), query.from_query_string(params), ctx.service
    )
    return json_response(200, body, headers)


_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (m, re.compile(p), h)
    for m, p, h in (
        ("GET", r"/indexes", list_indexes),
        ("POST", r"/indexes", create_index),
        ("GET", r"/servicestats", service_stats),
        ("GET", r"/indexes\('(?P<index>[^']+)'\)", get_index),
        ("PUT", r"/indexes\('(?P<index>[^']+)'\)", put_index),
        ("DELETE", r"/indexes\('(?P<index>[^']+)'\)", delete_index),
        ("GET", r"/indexes\('(?P<index>[^']+)'\)/search\.stats", index_stats),
        ("POST", r"/indexes\('(?P<index>[^']+)'\)/docs/search\.index", index_documents),
        ("POST", r"/indexes\('(?P<index>[^']+)'\)/docs/search\.post\.search", search_post),
        ("GET", r"/indexes\('(?P<index>[^']+)'\)/docs/\$count", count_documents),
        ("GET", r"/indexes\('(?P<index>[^']+)'\)/docs\('(?P<key>(?:[^']|'')+)'\)", get_document),
        ("GET", r"/indexes\('(?P<index>[^']+)'\)/docs", search_get),
    )
]
