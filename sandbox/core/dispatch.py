"""The ARM pipeline for one call: auth, api-version, throttling, routing, RBAC, front door, handler.

Everything after auth runs in one SQLite transaction together with the request-log row, so a
state change is either committed and acknowledged or neither.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.core import frontdoor, rbac, validation
from sandbox.core.errors import ArmError
from sandbox.core.http import ArmRequest, ArmResponse, error_response
from sandbox.core.resource import caller_type
from sandbox.core.state import SandboxState
from sandbox.core.throttle import op_type, throttled_message

log = logging.getLogger("sandbox")


@dataclass
class Call:
    method: str
    path: str
    query_pairs: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    base_url: str

    @property
    def query(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.query_pairs}


class Dispatcher:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def handle(self, call: Call) -> ArmResponse:
        started = time.perf_counter()
        ctx: dict[str, Any] = {"principal": "", "headers": {}}
        self.state.lro.advance()
        try:
            with self.state.store.transaction():
                resp = self._process(call, ctx)
                self._finish(call, resp, ctx, started)
            return resp
        except ArmError as err:
            resp = error_response(err)
        except Exception:
            log.exception("sandbox handler failed for %s %s", call.method, call.path)
            resp = error_response(
                ArmError(500, "InternalServerError", "The sandbox failed to process the request.")
            )
        with self.state.store.transaction():
            self._finish(call, resp, ctx, started)
        return resp

    def log_only(self, call: Call, resp: ArmResponse, started: float) -> None:
        """Log a call answered before the pipeline (injected faults; status 0 = dropped)."""
        with self.state.store.transaction():
            self._finish(call, resp, {"principal": "", "headers": {}}, started)

    def _process(self, call: Call, ctx: dict[str, Any]) -> ArmResponse:
        state = self.state
        authority = f"{call.base_url.rstrip('/')}/{state.config.tenant_id}"
        claims = state.issuer.verify_header(call.headers.get("authorization"), authority=authority)
        ctx["principal"] = claims.get("oid", "")
        ctx["principal_type"] = caller_type(claims)
        if not call.query.get("api-version"):
            # Src: MicrosoftDocs/feedback#2279, cloudquery/cloudquery#6626.
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        self._throttle(call, ctx)
        frontdoor.check_subscription(state, call.path)
        if call.method == "GET" and (op := state.lro.by_monitor(call.path)) is not None:
            return state.lro.monitor_response(self._request(call, {}, ctx), op)
        match, other_method = state.router.resolve(call.method, call.path)
        if match is None:
            raise _no_route(call, other_method, state.router.namespaces())
        rbac.authorize(state, call.method, call.path, claims, call.body)
        frontdoor.check_resource_group(state, call.method, call.path)
        frontdoor.check_locks(state, call.method, call.path)
        frontdoor.check_registration(state, match.route.namespace, call.path)
        req = self._request(call, match.params, ctx)
        req.canonical_path = match.route.canonical(match.params)
        validation.check_request(req)
        result = match.route.handler(req)
        if isinstance(result, ArmResponse):
            return result
        return ArmResponse(200, result)

    def _request(self, call: Call, params: dict[str, str], ctx: dict[str, Any]) -> ArmRequest:
        return ArmRequest(
            method=call.method,
            path=call.path,
            params=params,
            query=call.query,
            query_pairs=call.query_pairs,
            headers=call.headers,
            raw_body=call.body,
            base_url=call.base_url,
            state=self.state,
            principal_id=ctx["principal"],
            principal_type=ctx.get("principal_type", "Application"),
            canonical_path=call.path,
        )

    def _throttle(self, call: Call, ctx: dict[str, Any]) -> None:
        kind = op_type(call.method)
        parts = call.path.split("/")
        scope = parts[2] if len(parts) > 2 and parts[1].lower() == "subscriptions" else "tenant"
        verdict = self.state.throttler.take(scope, ctx["principal"], kind, self.state.clock.now())
        ctx["headers"][f"x-ms-ratelimit-remaining-subscription-{kind}"] = str(verdict.remaining)
        if not verdict.allowed:
            raise ArmError(
                429,
                "SubscriptionRequestsThrottled",
                throttled_message(kind, scope, ctx["principal"], verdict.retry_after),
                headers={"Retry-After": str(verdict.retry_after)},
            )

    def _finish(self, call: Call, resp: ArmResponse, ctx: dict[str, Any], started: float) -> None:
        request_id = str(uuid.uuid4())
        resp.headers.update(ctx["headers"])
        resp.headers.update(arm_headers(call.headers, request_id))
        self.state.store.log_request(
            {
                "time": time.time(),
                "sim_time": self.state.clock.now(),
                "method": call.method,
                "path": call.path,
                "api_version": call.query.get("api-version"),
                "status": resp.status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "client_request_id": call.headers.get("x-ms-client-request-id"),
                "request_id": request_id,
                "principal_id": ctx["principal"],
            }
        )


def arm_headers(request_headers: dict[str, str], request_id: str) -> dict[str, str]:
    """Ids ARM puts on every response; the correlation id echoes the client's when sent."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return {
        "x-ms-request-id": request_id,
        "x-ms-correlation-request-id": request_headers.get("x-ms-correlation-request-id") or request_id,
        "x-ms-routing-request-id": f"SANDBOX:{stamp}:{request_id}",
        "Cache-Control": "no-cache",
        "Pragma": "no-cache",
        "Expires": "-1",
    }


def _no_route(call: Call, other_method: bool, namespaces: set[str]) -> ArmError:
    if other_method:
        # [mem] ARM answers an unsupported verb on a known route with 405.
        return ArmError(
            405,
            "HttpMethodNotAllowed",
            f"The requested resource does not support http method '{call.method}'.",
        )
    parts = call.path.split("/")
    low = [p.lower() for p in parts]
    if "providers" in low:
        i = len(low) - 1 - low[::-1].index("providers")
        ns = parts[i + 1] if i + 1 < len(parts) else ""
        rtype = parts[i + 2] if i + 2 < len(parts) else ""
        if ns.lower() in namespaces and rtype:
            # [mem] the live text for an unknown type in a known namespace.
            return ArmError(
                404,
                "InvalidResourceType",
                f"The resource type '{rtype}' could not be found in the namespace '{ns}' for "
                f"api version '{call.query.get('api-version')}'.",
            )
        if ns:
            return ArmError(
                404,
                "InvalidResourceNamespace",
                f"The resource namespace '{ns}' is invalid.",
            )
    return ArmError(404, "NotFound", f"No route for '{call.method} {call.path}' in the sandbox.")
