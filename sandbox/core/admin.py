"""Admin API under `/_sandbox/`: health, status, reset, faults, request log, principals (users,
groups, service principals with secrets, and their roles), apps, role assignments, quotas, clock.
Reset, principals and role assignments take `?dryRun=true`: the change is previewed, not made.

Not an ARM surface: never logged, throttled or faulted. The sandbox binds 127.0.0.1, but any
local user can reach that, so every route except the health probe needs the key kept in the
state dir (mode 0600; header `X-Sandbox-Admin-Key`): `_guarded` checks it for all routes in
one place, and turns a body that is not a JSON object into one 400 instead of a 500.
"""

from __future__ import annotations

import hmac
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.constants import ADMIN_KEY_HEADER
from sandbox.core.preview import change_preview, reset_preview
from sandbox.core.principals import PrincipalExists
from sandbox.core.rbac import grant_role
from sandbox.core.state import SandboxState

Endpoint = Callable[[Request], Awaitable[Response]]
OPEN_PATHS = ("/_sandbox/health",)  # a liveness probe tells nothing and changes nothing

JSON = "application/json; charset=utf-8"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, media_type=JSON)


def status_doc(state: SandboxState) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "started_at": state.started_at,
        "uptime_seconds": round(time.time() - state.started_at, 3),
        "time_scale": state.clock.time_scale,
        "virtual_clock": state.clock.virtual,
        "sim_time": state.clock.now(),
        "subscription_id": state.config.subscription_id,
        "tenant_id": state.config.tenant_id,
        "resource_counts": state.store.counts_by_type(),
    }


class BadBody(ValueError):
    """The request body is not what the route takes (answered 400 InvalidRequestContent)."""


async def body(request: Request) -> dict[str, Any]:
    """The request's JSON object body, else BadBody."""
    try:
        doc = json.loads((await request.body()).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadBody(f"the body is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(doc, dict):
        raise BadBody(f"the body must be a JSON object, not {type(doc).__name__}")
    return doc


def _text(spec: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = spec.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BadBody(f"'{name}' must be a non-empty string")
    return value


def _guarded(state: SandboxState, path: str, endpoint: Endpoint) -> Endpoint:
    async def guarded(request: Request) -> Response:
        if path not in OPEN_PATHS:
            sent = request.headers.get(ADMIN_KEY_HEADER, "")
            if not hmac.compare_digest(sent.encode(), state.admin_key.encode()):
                message = (
                    f"The sandbox admin API needs the {ADMIN_KEY_HEADER} header with the key in "
                    "the state directory's admin-key file (SandboxAdmin and opsctl send it)."
                )
                return _json({"error": {"code": "AdminKeyRequired", "message": message}}, 401)
        try:
            return await endpoint(request)
        except BadBody as exc:
            return _json({"error": {"code": "InvalidRequestContent", "message": str(exc)}}, 400)

    return guarded


def routes(state: SandboxState) -> list[Route]:
    return [
        Route(r.path, _guarded(state, r.path, r.endpoint), methods=sorted(r.methods or ()))
        for r in _routes(state)
    ]


def _routes(state: SandboxState) -> list[Route]:
    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    async def status(request: Request) -> Response:
        return _json(status_doc(state))

    async def reset(request: Request) -> Response:
        if _dry_run(request):
            return _json({"dryRun": True, **reset_preview(state)})
        state.reset()
        return _json({"status": "reset"})

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            spec = await body(request)
            try:
                fault = state.faults.add(**spec)
            except (TypeError, ValueError) as exc:
                return _json({"error": {"code": "InvalidFault", "message": str(exc)}}, 400)
            return _json(fault.to_dict(), 201)
        if request.method == "DELETE":
            state.faults.clear()
            return Response(None, 204)
        return _json({"value": [f.to_dict() for f in state.faults.list()]})

    async def fault_item(request: Request) -> Response:
        found = state.faults.remove(request.path_params["fault_id"])
        return Response(None, 204 if found else 404)

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            with state.store.transaction():
                state.store.clear_requests()
            return Response(None, 204)
        q = request.query_params
        rows = state.store.requests(
            method=q.get("method"),
            path=q.get("path"),
            since=float(q["since"]) if "since" in q else None,
            since_seq=int(q["since_seq"]) if "since_seq" in q else None,
        )
        return _json({"value": rows})

    async def principals(request: Request) -> Response:
        if request.method == "POST":
            spec = await body(request)
            try:
                if _dry_run(request):
                    doc, changes = change_preview(state, lambda: add_principal(state, spec))
                    return _json({"dryRun": True, "principal": _redacted(doc), **changes})
                doc = add_principal(state, spec)
            except PrincipalExists as exc:
                return _json({"error": {"code": "PrincipalExists", "message": str(exc)}}, 409)
            except (KeyError, TypeError, ValueError) as exc:
                return _json({"error": {"code": "InvalidPrincipal", "message": _reason(exc)}}, 400)
            return _json(_redacted(doc), 201)
        return _json({"value": [_redacted(p) for p in state.directory.list()]})

    async def role_assignments(request: Request) -> Response:
        spec = await body(request)
        try:
            if _dry_run(request):
                doc, changes = change_preview(state, lambda: _grant(state, str(spec["principal_id"]), spec))
                return _json({"dryRun": True, "roleAssignment": doc, **changes})
            with state.store.transaction():
                doc = _grant(state, str(spec["principal_id"]), spec)
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": {"code": "InvalidRoleAssignment", "message": _reason(exc)}}, 400)
        return _json(doc, 201)

    async def apps(request: Request) -> Response:
        if request.method == "POST":
            spec = await body(request)
            try:
                doc = state.directory.add_app(
                    spec["client_id"],
                    secret=spec.get("secret"),
                    federated=spec.get("federated"),
                    object_id=spec.get("object_id"),
                    display_name=spec.get("display_name"),
                    visible_at=state.clock.now() + float(spec.get("replication_delay", 0)),
                )
            except (KeyError, TypeError, ValueError) as exc:
                return _json({"error": {"code": "InvalidApp", "message": str(exc)}}, 400)
            return _json(_redacted(doc), 201)
        return _json({"value": [_redacted(p) for p in state.directory.list() if p.get("appId")]})

    async def quotas(request: Request) -> Response:
        if request.method == "POST":
            spec = await body(request)
            try:
                doc = state.quotas.set(
                    spec["namespace"], spec["location"], spec["name"], float(spec["limit"])
                )
            except (KeyError, TypeError, ValueError) as exc:
                return _json({"error": {"code": "InvalidQuota", "message": str(exc)}}, 400)
            return _json(doc, 201)
        return _json({"value": state.quotas.list()})

    async def advance(request: Request) -> Response:
        spec = await body(request)
        try:
            seconds = float(spec["seconds"])
        except (KeyError, TypeError, ValueError):
            raise BadBody("'seconds' must be a number") from None
        return _json({"sim_time": state.clock.advance(seconds)})

    async def token(request: Request) -> Response:
        spec = await body(request)
        oid = _text(spec, "oid")
        aud = _text(spec, "aud", required=False) or "https://management.azure.com/"
        access, exp = state.issuer.issue(oid=str(oid), aud=aud)
        return _json({"access_token": access, "expires_on": exp})

    return [
        Route("/_sandbox/health", health, methods=["GET"]),
        Route("/_sandbox/status", status, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/faults/{fault_id}", fault_item, methods=["DELETE"]),
        Route("/_sandbox/requests", requests, methods=["GET", "DELETE"]),
        Route("/_sandbox/principals", principals, methods=["GET", "POST"]),
        Route("/_sandbox/apps", apps, methods=["GET", "POST"]),
        Route("/_sandbox/roleAssignments", role_assignments, methods=["POST"]),
        Route("/_sandbox/quotas", quotas, methods=["GET", "POST"]),
        Route("/_sandbox/clock/advance", advance, methods=["POST"]),
        Route("/_sandbox/token", token, methods=["POST"]),
    ]


def add_principal(state: SandboxState, spec: dict[str, Any]) -> dict[str, Any]:
    """Register a user, a group (with `members`) or a service principal (with `client_id` and
    `secret` it can sign in; `client_id` defaults to a new GUID), then grant its `roles`
    (`[{role, scope, condition}]`, scope defaulting to the subscription)."""
    kind = str(spec.get("principal_type") or "ServicePrincipal")
    oid = str(spec.get("object_id") or uuid.uuid4()).lower()
    visible_at = state.clock.now() + float(spec.get("replication_delay", 0))
    name = spec.get("display_name")
    with state.store.transaction():
        if kind == "ServicePrincipal" and (spec.get("secret") or spec.get("client_id")):
            client_id = str(spec.get("client_id") or uuid.uuid4())
            doc = state.directory.add_app(
                client_id, secret=spec.get("secret"), object_id=oid, display_name=name, visible_at=visible_at
            )
        else:
            doc = state.directory.add(
                oid,
                kind,
                display_name=name,
                app_id=spec.get("app_id"),
                visible_at=visible_at,
                members=spec.get("members"),
            )
        for grant in spec.get("roles") or []:
            _grant(state, oid, grant)
    return doc


def _grant(state: SandboxState, principal_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    scope = spec.get("scope") or f"/subscriptions/{state.config.subscription_id}"
    if state.directory.get(principal_id) is None:
        raise ValueError(f"principal '{principal_id}' is not registered in the sandbox")
    return grant_role(state, principal_id, str(spec["role"]), str(scope), condition=spec.get("condition"))


def _dry_run(request: Request) -> bool:
    """`?dryRun=true`: answer what the write would change, change nothing (sandbox.core.preview)."""
    return request.query_params.get("dryRun", "").lower() == "true"


def _reason(exc: BaseException) -> str:
    return f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)


def _redacted(app: dict[str, Any]) -> dict[str, Any]:
    """An app as the admin API shows it: whether it has a secret, never the secret."""
    return {**{k: v for k, v in app.items() if k != "secret"}, "hasSecret": bool(app.get("secret"))}
