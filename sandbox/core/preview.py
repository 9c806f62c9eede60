"""Dry runs of admin writes: the real change, run in a transaction that is rolled back.

The same code validates and computes the result as the write itself, so a preview cannot drift
from what the write would do; nothing is committed (the clock's commit hook does not run either).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sandbox.core.rbac import RA_TYPE, ROLES_BY_GUID, role_guid

if TYPE_CHECKING:
    from sandbox.core.state import SandboxState

T = TypeVar("T")


class _RollBack(Exception):
    """Raised inside the transaction to undo it once the change has run."""


def what_if(state: SandboxState, change: Callable[[], T]) -> T:
    """`change()`'s result without its writes; its errors propagate (also rolled back)."""
    result: list[T] = []
    try:
        with state.store.transaction():
            result.append(change())
            raise _RollBack
    except _RollBack:
        return result[0]


def snapshot(state: SandboxState) -> dict[str, Any]:
    """What a reset can drop: principals, role assignments, other resources, counts of the rest."""
    resources = state.store.find()
    return {
        "principals": {p["objectId"]: p for p in state.directory.list()},
        "roleAssignments": {r["id"].lower(): r for r in resources if r["type"] == RA_TYPE},
        "resources": {r["id"].lower(): r for r in resources if r["type"] != RA_TYPE},
        "records": state.store.record_counts(),
        "operations": state.store.count("operations"),
        "requests": state.store.count("requests"),
    }


def reset_preview(state: SandboxState) -> dict[str, Any]:
    """What `reset` would drop: the difference between now and the state right after a reset
    (which seeds the operator and its Owner grant again: those count as kept)."""
    before = snapshot(state)

    def reset_and_look() -> dict[str, Any]:
        state.reset_store()
        return snapshot(state)

    after = what_if(state, reset_and_look)
    principals = [_principal(p) for k, p in before["principals"].items() if k not in after["principals"]]
    assignments = [
        _assignment(doc) for k, doc in before["roleAssignments"].items() if k not in after["roleAssignments"]
    ]
    resources = [
        {"id": doc["id"], "type": doc["type"]}
        for k, doc in before["resources"].items()
        if k not in after["resources"]
    ]
    records = {k: n - after["records"].get(k, 0) for k, n in before["records"].items()}
    records.pop("principal", None)  # listed above
    return {
        "principals": principals,
        "roleAssignments": assignments,
        "resources": resources,
        "faults": records.pop("fault", 0),
        "otherRecords": {k: n for k, n in records.items() if n > 0},
        "operations": before["operations"] - after["operations"],
        "requests": before["requests"] - after["requests"],
    }


def _principal(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("objectId", "principalType", "displayName", "appId")
    return {k: doc.get(k) for k in keys}


def _assignment(doc: dict[str, Any]) -> dict[str, Any]:
    props = doc.get("properties", {})
    role = ROLES_BY_GUID.get(role_guid(props.get("roleDefinitionId", "")))
    return {
        "name": doc["name"],
        "principalId": props.get("principalId"),
        "role": role.name if role else props.get("roleDefinitionId"),
        "scope": props.get("scope"),
    }


def change_preview(state: SandboxState, change: Callable[[], T]) -> tuple[T, dict[str, Any]]:
    """`change()`'s result and the principals and role assignments it would add, replace or
    drop (a client id registered again replaces its app), with nothing written."""
    before = snapshot(state)
    result, after = what_if(state, lambda: (change(), snapshot(state)))
    was, now = before["principals"], after["principals"]
    return result, {
        "addedPrincipals": [_principal(p) for k, p in now.items() if k not in was],
        "replacedPrincipals": [_principal(p) for k, p in was.items() if k in now and now[k] != p],
        "removedPrincipals": [_principal(p) for k, p in was.items() if k not in now],
        "addedRoleAssignments": [
            _assignment(d) for k, d in after["roleAssignments"].items() if k not in before["roleAssignments"]
        ],
    }
