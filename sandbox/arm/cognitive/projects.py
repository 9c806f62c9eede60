"""Microsoft.CognitiveServices/accounts/projects: Foundry projects (api 2025-06-01).

Decisions and their sources:
- PUT is body-polled: 200/201/202 with the project and no async header, `provisioningState`
  on the body (specs 2025-06-01 `CreateProject.json`). DELETE is 202 + Azure-AsyncOperation or
  204 (`DeleteProject.json`).
- Projects are writes on their account: one at a time with the account's own writes
  (RequestConflict, ops-pitfalls O-1), and the account refuses deletion while projects exist
  (CannotDeleteResource, Azure/terraform-provider-azapi#894). A group delete removes them first.
- `endpoints['AI Foundry API']` is `https://<subdomain>.services.ai.azure.com/api/projects/<name>`
  (foundry-and-dataplane §5; templates read that key).
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.arm.cognitive.models import (
    ACCOUNT,
    PROJECT_TYPE,
    check_project,
    foundry_endpoint,
)
from sandbox.arm.cognitive.routes import _account_of, _ensure_idle, _start, provider
from sandbox.core import ArmRequest, ArmResponse
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    forget_identity,
    managed_identity,
    put_properties,
    put_tags,
    require,
    require_location,
    system_data,
)
from sandbox.core.state import SandboxState

PROJECTS = ACCOUNT + "/projects"
PROJECT_SECONDS = 20.0  # simulated
SETTABLE = ("displayName", "description")


def _endpoints(account: dict[str, Any], name: str) -> dict[str, str]:
    subdomain = account["properties"].get("customSubDomainName") or account["name"]
    return {"AI Foundry API": f"{foundry_endpoint(subdomain)}api/projects/{name}"}


@provider.route("PUT", PROJECTS + "/{project}")
def put_project(req: ArmRequest) -> ArmResponse:
    account = _account_of(req)
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    if existing is None:
        check_project(req.params["project"], account)
    _ensure_idle(req, account["id"])
    doc = existing or {
        "id": req.canonical_path,
        "name": req.params["project"],
        "type": PROJECT_TYPE,
        "location": location,
    }
    doc["properties"] = put_properties(
        body.get("properties"),
        settable=SETTABLE,
        server={
            "endpoints": _endpoints(account, doc["name"]),
            "isDefault": (existing or {}).get("properties", {}).get("isDefault", _first(req, account)),
            "provisioningState": "Accepted" if existing else "Creating",
        },
    )
    doc["tags"] = put_tags(body)
    ident = managed_identity(req.state, body.get("identity"), doc.get("identity"), doc["name"])
    doc.pop("identity", None)
    if ident is not None:
        doc["identity"] = ident
    doc["etag"] = f'"{uuid.uuid4()}"'
    doc["systemData"] = system_data(req, existing)
    req.state.store.put(doc, created=req.now())
    op = _start(req, account, "body", "project_ready", PROJECT_SECONDS, project=doc["id"])
    return ArmResponse(200 if existing else 201, doc, {"Retry-After": str(op.retry_after)})


def _first(req: ArmRequest, account: dict[str, Any]) -> bool:
    """The account's first project is its default one (`isDefault`, CreateProject.json)."""
    return not req.state.store.find(type=PROJECT_TYPE, within=account["id"])


@provider.completion("project_ready")
def _project_ready(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.args["project"])
    if doc is not None and doc["properties"]["provisioningState"] in ("Creating", "Accepted"):
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)


@provider.route("GET", PROJECTS + "/{project}")
def get_project(req: ArmRequest) -> dict[str, Any]:
    _account_of(req)
    return require(req, PROJECT_TYPE)


@provider.route("GET", PROJECTS)
def list_projects(req: ArmRequest) -> ArmResponse:
    account = _account_of(req)
    return page(req, req.state.store.find(type=PROJECT_TYPE, within=account["id"]))


@provider.route("DELETE", PROJECTS + "/{project}")
def delete_project(req: ArmRequest) -> ArmResponse:
    account = _account_of(req)
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    _ensure_idle(req, account["id"])
    doc["properties"]["provisioningState"] = "Deleting"
    req.state.store.put(doc)
    op = _start(req, account, "aao", "project_deleted", PROJECT_SECONDS, project=doc["id"])
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("project_deleted")
def _project_deleted(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.args["project"])
    if doc is not None and not op.failing:
        forget_identity(state, doc)
        state.store.delete(doc["id"])


provider.on_delete(PROJECT_TYPE)(forget_identity)
