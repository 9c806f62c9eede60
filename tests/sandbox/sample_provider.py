"""A test-only provider, `Microsoft.Sample`, that exercises each LRO style of the core.

It is also the smallest complete example of a provider module:
- routes declared with `@provider.route(method, template)`;
- documents stored with `req.state.store.put(doc)` (committed with the request's transaction);
- errors raised as `ArmError` (the dispatcher writes the ARM envelope);
- LROs started with `req.state.lro.start(...)` and finished by a named `@provider.completion`.
"""

from __future__ import annotations

from typing import Any

from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider
from sandbox.core.lro import Operation
from sandbox.core.resource import require, require_location
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.Sample")
TYPE = "Microsoft.Sample/widgets"
WIDGET = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Sample/widgets/{name}"
STYLE_BY_SKU = {"body": "body", "aao": "aao", "location": "location"}
DURATION = 900.0  # simulated seconds (a 15-minute operation)


@provider.route("PUT", WIDGET)
def put_widget(req: ArmRequest) -> ArmResponse:
    body = req.json()
    style = STYLE_BY_SKU.get((body.get("sku") or {}).get("name", ""), "")
    if not style:
        raise ArmError(400, "InvalidSku", "sku.name must be body, aao or location.")
    existing = req.state.store.get(req.canonical_path)
    doc: dict[str, Any] = {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": TYPE,
        "location": require_location(body),
        "sku": body["sku"],
        "properties": {"provisioningState": "Creating"},
    }
    req.state.store.put(doc, created=req.now())
    op = req.state.lro.start(
        req,
        style=style,
        completion="provisioned",
        duration=DURATION,
        resource_id=doc["id"],
        namespace=provider.namespace,
        retry_after=15,
        location=doc["location"],
        args={"result": doc} if style == "location" else {},
    )
    return ArmResponse(200 if existing else 201, doc, req.state.lro.headers(req, op))


@provider.completion("provisioned")
def _provisioned(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is not None:
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)
        op.args["result"] = doc


@provider.route("GET", WIDGET)
def get_widget(req: ArmRequest) -> dict[str, Any]:
    return require(req, TYPE)
