"""Management locks (`Microsoft.Authorization/locks`) at any scope (`ManagementLockClient`).

Enforcement lives in the core front door (`frontdoor.check_locks`), since ARM applies locks
before any provider sees the call.
"""

from __future__ import annotations

from typing import Any

from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.frontdoor import LOCK_TYPE, lock_scope
from sandbox.core.odata import page
from sandbox.core.resource import scope_exists

provider = Provider("Microsoft.Authorization")

LOCK = "{scope*}/providers/Microsoft.Authorization/locks/{name}"
LEVELS = ("CanNotDelete", "ReadOnly")


def _lock_id(req: ArmRequest) -> str:
    return f"{req.params['scope']}/providers/Microsoft.Authorization/locks/{req.params['name']}"


def _not_found(name: str) -> ArmError:
    # [mem] the text ARM sends for a missing lock.
    return ArmError(404, "LockNotFound", f"The lock '{name}' could not be found.")


@provider.route("PUT", LOCK)
def put_lock(req: ArmRequest) -> ArmResponse:
    props = req.json().get("properties") or {}
    level = next((lv for lv in LEVELS if lv.lower() == str(props.get("level", "")).lower()), None)
    if level is None:
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"The lock level '{props.get('level')}' is invalid. Allowed values: {', '.join(LEVELS)}.",
        )
    scope = req.params["scope"]
    if not scope_exists(req.state, scope):
        rid = armid.parse(scope)
        raise ArmError(
            404,
            "ResourceNotFound",
            f"The Resource '{rid.type}/{rid.name}' under "
            f"resource group '{rid.resource_group}' was not found. For more details "
            "please go to https://aka.ms/ARMResourceNotFoundFix",
        )
    existing = req.state.store.get(_lock_id(req))
    doc = {
        "id": existing["id"] if existing else _lock_id(req),
        "name": existing["name"] if existing else req.params["name"],
        "type": LOCK_TYPE,
        "properties": {
            "level": level,
            "notes": props.get("notes"),
            "owners": props.get("owners") or [],
        },
    }
    req.state.store.put(doc, created=req.now())
    return ArmResponse(200 if existing else 201, doc)


@provider.route("GET", LOCK)
def get_lock(req: ArmRequest) -> dict[str, Any]:
    doc = req.state.store.get(_lock_id(req))
    if doc is None:
        raise _not_found(req.params["name"])
    return doc


@provider.route("DELETE", LOCK)
def delete_lock(req: ArmRequest) -> ArmResponse:
    return ArmResponse(200 if req.state.store.delete(_lock_id(req)) else 204)


@provider.route("GET", "{scope*}/providers/Microsoft.Authorization/locks")
def list_locks(req: ArmRequest) -> ArmResponse:
    """Locks at the scope and below it (`az lock list -g` shows resource-level locks too)."""
    scope = req.params["scope"]
    locks = [d for d in req.state.store.find(type=LOCK_TYPE) if armid.is_within(lock_scope(d["id"]), scope)]
    return page(req, locks)
