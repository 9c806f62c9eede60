"""Microsoft.Insights/components: Application Insights (`ApplicationInsightsManagementClient`).

Decisions and their sources (api 2020-02-02, SDK azure-mgmt-applicationinsights 4.1.0):
- PUT and PATCH (tags) are synchronous 200; DELETE is 200, or 204 when absent (the SDK's
  `create_or_update` accepts only 200, `delete` 200/204).
- `kind` and `properties.Application_Type` (`web`|`other`) are required (specs
  applicationInsights components_API.json `ApplicationInsightsComponent`); a workspace-based
  component names its Log Analytics workspace in `WorkspaceResourceId` and gets
  `IngestionMode: LogAnalytics`. Codes and texts of the refusals [unverified].
- The server fills `AppId`, `InstrumentationKey` and `ConnectionString` (shape of
  `ComponentsGet.json`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider
from sandbox.core.clock import iso
from sandbox.core.odata import page
from sandbox.core.resource import (
    put_properties,
    put_tags,
    require,
    require_location,
    scope_exists,
    system_data,
)

provider = Provider("Microsoft.Insights")

TYPE = "Microsoft.Insights/components"
COMPONENTS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Insights/components"
COMPONENT = COMPONENTS + "/{name}"
APPLICATION_TYPES = ("web", "other")
SETTABLE = (
    "Application_Type",
    "Flow_Type",
    "Request_Source",
    "WorkspaceResourceId",
    "RetentionInDays",
    "DisableLocalAuth",
    "publicNetworkAccessForIngestion",
    "publicNetworkAccessForQuery",
)
DEFAULTS = {
    "RetentionInDays": 90,
    "publicNetworkAccessForIngestion": "Enabled",
    "publicNetworkAccessForQuery": "Enabled",
}


def _check(req: ArmRequest, body: dict[str, Any]) -> None:
    props = body.get("properties") or {}
    if not body.get("kind"):
        raise ArmError(400, "BadRequest", "The 'kind' of an Application Insights component is required.")
    if props.get("Application_Type") not in APPLICATION_TYPES:
        raise ArmError(
            400,
            "BadRequest",
            f"The Application_Type '{props.get('Application_Type')}' is invalid; allowed: web, other.",
        )
    ws = props.get("WorkspaceResourceId")
    if ws and not scope_exists(req.state, ws):
        raise ArmError(400, "BadRequest", f"The Log Analytics workspace '{ws}' was not found.")


@provider.route("PUT", COMPONENT)
def put_component(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    _check(req, body)
    existing = req.state.store.get(req.canonical_path)
    before = (existing or {}).get("properties", {})
    key = before.get("InstrumentationKey", str(uuid.uuid4()))
    server = {
        "AppId": before.get("AppId", str(uuid.uuid4())),
        "ApplicationId": req.params["name"],
        "InstrumentationKey": key,
        "ConnectionString": f"InstrumentationKey={key};IngestionEndpoint=https://{location}-0.in.applicationinsights.azure.com/",
        "CreationDate": before.get("CreationDate", iso(req.now())),
        "TenantId": req.params["sub"],
        "provisioningState": "Succeeded",
    }
    props = put_properties(body.get("properties"), settable=SETTABLE, defaults=DEFAULTS, server=server)
    props["IngestionMode"] = "LogAnalytics" if props.get("WorkspaceResourceId") else "ApplicationInsights"
    doc = {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": TYPE,
        "location": location,
        "kind": body["kind"],
        "tags": put_tags(body),
        "properties": props,
        "systemData": system_data(req, existing),
    }
    req.state.store.put(doc, created=req.now())
    return ArmResponse(200, doc)


@provider.route("PATCH", COMPONENT)
def update_tags(req: ArmRequest) -> dict[str, Any]:
    doc = require(req, TYPE)
    doc["tags"] = req.json().get("tags") or {}
    req.state.store.put(doc)
    return doc


@provider.route("GET", COMPONENT)
def get_component(req: ArmRequest) -> dict[str, Any]:
    return require(req, TYPE)


@provider.route("DELETE", COMPONENT)
def delete_component(req: ArmRequest) -> ArmResponse:
    if req.state.store.get(req.canonical_path) is None:
        return ArmResponse(204)
    req.state.store.delete(req.canonical_path)
    return ArmResponse(200)


@provider.route("GET", COMPONENTS)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, req.state.store.find(type=TYPE, rg=rg))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.Insights/components")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=TYPE))
