"""Long-running operations in ARM's three styles, on the simulated clock.

- `aao`: the first response carries `Azure-AsyncOperation`; the status URL answers
  `{"status": "InProgress|Succeeded|Failed|Canceled", "error": {...}}` (200 every time).
- `location`: the first response carries `Location`; the monitor answers 202 while running,
  then `result_status` (200/204), or the error status and body when the operation failed.
- `body`: no monitor; the client GETs the resource and reads `properties.provisioningState`,
  which the provider's completion moves to a terminal value.

Each operation stores its deadline in simulated seconds and the *name* of the completion that
finishes it (registered with `@provider.completion`), so operations resume after a restart.
Every response of an operation in progress carries `Retry-After >= 1` (arm-facts §2.4: the SDK
treats 0 as absent and would wait 30 s).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sandbox.constants import DEFAULT_LOCATION
from sandbox.core.clock import iso
from sandbox.core.http import ArmRequest, ArmResponse

if TYPE_CHECKING:
    from sandbox.core.state import SandboxState

TERMINAL = ("Succeeded", "Failed", "Canceled")


@dataclass
class Operation:
    id: str
    style: str
    completion: str
    resource_id: str
    monitor: str
    start: float
    deadline: float
    retry_after: int
    api_version: str
    status: str = "InProgress"
    args: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    error_status: int = 400
    fail_as: str = "Failed"
    result_status: int = 200
    end: float | None = None

    @property
    def failing(self) -> bool:
        """True when a fault made this operation end Failed/Canceled."""
        return self.error is not None


class Lro:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def start(
        self,
        req: ArmRequest,
        *,
        style: str,
        completion: str,
        duration: float,
        resource_id: str,
        namespace: str,
        args: dict[str, Any] | None = None,
        monitor: str | None = None,
        retry_after: int = 10,
        location: str | None = None,
        result_status: int = 200,
    ) -> Operation:
        """Record an operation; a matching `lro` fault makes it end Failed/Canceled."""
        if style not in ("aao", "location", "body"):
            raise ValueError(f"unknown LRO style {style!r}")
        op_id = str(uuid.uuid4())
        sub = self.state.config.subscription_id
        loc = (location or DEFAULT_LOCATION).replace(" ", "").lower()
        kind = "operationStatuses" if style == "aao" else "operationResults"
        now = req.now()
        op = Operation(
            id=op_id,
            style=style,
            completion=f"{namespace}:{completion}".lower(),
            resource_id=resource_id,
            monitor=monitor or f"/subscriptions/{sub}/providers/{namespace}/locations/{loc}/{kind}/{op_id}",
            start=now,
            deadline=now + max(0.0, duration),
            retry_after=max(1, int(retry_after)),
            api_version=req.api_version,
            args=args or {},
            result_status=result_status,
        )
        fault = self.state.faults.take(req.method, req.path, ("lro",))
        if fault is not None:
            op.error = {
                "code": fault.code or "InternalServerError",
                "message": fault.message or "The operation failed.",
            }
            op.error_status = fault.status or 400
            op.fail_as = fault.lro_status if fault.lro_status in TERMINAL[1:] else "Failed"
        self.state.store.put_operation(asdict(op))
        return op

    def monitor_url(self, req: ArmRequest, op: Operation) -> str:
        return req.url(op.monitor, **{"api-version": op.api_version or req.api_version})

    def headers(self, req: ArmRequest, op: Operation, *, with_location: bool = False) -> dict[str, str]:
        """`Azure-AsyncOperation` or `Location`, plus `Retry-After`, for the initial response.
        `with_location`: an `aao` operation also sends a `Location` (its `operationResults`
        sibling URL), as RPs do whose clients poll it (az containerapp delete reads only
        `Location`: azure-cli command_modules/containerapp/_clients.py `poll_results`)."""
        headers = {"Retry-After": str(op.retry_after)}
        if op.style == "aao":
            headers["Azure-AsyncOperation"] = self.monitor_url(req, op)
            if with_location:
                results = replace(op, monitor=_results_path(op.monitor))
                headers["Location"] = self.monitor_url(req, results)
        elif op.style == "location":
            headers["Location"] = self.monitor_url(req, op)
        return headers

    def get(self, op_id: str) -> Operation | None:
        doc = self.state.store.operation(op_id)
        return Operation(**doc) if doc else None

    def by_monitor(self, path: str) -> Operation | None:
        doc = self.state.store.operation_by_monitor(path)
        if doc is not None:
            return Operation(**doc)
        statuses = _statuses_path(path)  # the Location sibling of an aao operation
        doc = self.state.store.operation_by_monitor(statuses) if statuses != path else None
        if doc is None or doc["style"] != "aao":
            return None
        return replace(Operation(**doc), style="location", monitor=path)

    def running_for(self, resource_id: str) -> list[Operation]:
        return [Operation(**d) for d in self.state.store.running_operations(resource_id)]

    def advance(self) -> int:
        """Finish every operation whose deadline has passed on the simulated clock."""
        store = self.state.store
        done = 0
        if not store.due_operations(self.state.clock.now()):
            return 0
        with store.transaction():
            for doc in store.due_operations(self.state.clock.now()):
                op = Operation(**doc)
                fn = self.state.router.completions.get(op.completion)
                if fn is not None:
                    fn(self.state, op)
                op.status = op.fail_as if op.failing else "Succeeded"
                op.end = op.deadline
                store.put_operation(asdict(op))
                done += 1
        return done

    def monitor_response(self, req: ArmRequest, op: Operation) -> ArmResponse:
        """What a GET on the operation's status/monitor URL answers."""
        retry = {"Retry-After": str(op.retry_after)}
        if op.style == "aao":
            body: dict[str, Any] = {
                "id": op.monitor,
                "name": op.id,
                "status": op.status,
                "startTime": iso(op.start),
            }
            if op.end is not None:
                body["endTime"] = iso(op.end)
            if op.status in ("Failed", "Canceled") and op.error:
                body["error"] = op.error
            return ArmResponse(200, body, retry if op.status == "InProgress" else {})
        if op.status == "InProgress":
            return ArmResponse(202, None, {**retry, "Location": self.monitor_url(req, op)})
        if op.status != "Succeeded" and op.error:
            return ArmResponse(op.error_status, {"error": op.error})
        if op.result_status == 204:
            return ArmResponse(204)
        return ArmResponse(op.result_status, op.args.get("result"))


def remaining(op: Operation, now: float) -> int:
    return max(0, math.ceil(op.deadline - now))


def _results_path(monitor: str) -> str:
    return monitor.replace("/operationStatuses/", "/operationResults/")


def _statuses_path(path: str) -> str:
    head, sep, tail = path.lower().rpartition("/operationresults/")
    return f"{head}/operationstatuses/{tail}" if sep else path
