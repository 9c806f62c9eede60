"""Checks ARM itself makes before a call reaches a resource provider.

- the subscription exists (404 SubscriptionNotFound);
- the resource group of a nested path exists (404 ResourceGroupNotFound) and is not being
  deleted for writes (409 ResourceGroupBeingDeleted, ops-pitfalls T-2);
- management locks (409 ScopeLocked, ops-pitfalls T-1): CanNotDelete blocks deletes at and
  below the lock, ReadOnly blocks every write too; deleting a scope is also blocked by locks
  below it. Lock operations themselves are exempt;
- the provider namespace is registered (409 MissingSubscriptionRegistration, arm-facts §2.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.core import armid
from sandbox.core.errors import (
    ArmError,
    being_deleted,
    resource_group_not_found,
    subscription_not_found,
)

if TYPE_CHECKING:
    from sandbox.core.state import SandboxState

LOCK_TYPE = "Microsoft.Authorization/locks"
ALWAYS_REGISTERED = {"microsoft.resources", "microsoft.authorization"}
WRITES = {"PUT", "PATCH", "POST", "DELETE"}


def check_subscription(state: SandboxState, path: str) -> None:
    parts = path.split("/")
    is_sub = len(parts) > 2 and parts[1].lower() == "subscriptions"
    if is_sub and parts[2].lower() != state.config.subscription_id.lower():
        raise subscription_not_found(parts[2])


def check_resource_group(state: SandboxState, method: str, path: str) -> None:
    """Nested paths need their group; writes into a group being deleted fail."""
    parts = path.split("/")
    if len(parts) <= 5 or parts[3].lower() != "resourcegroups":
        return
    rg_doc = state.store.get("/".join(parts[:5]))
    if rg_doc is None:
        raise resource_group_not_found(parts[4])
    if method in WRITES and _deleting(rg_doc):
        raise being_deleted(rg_doc["name"])


def _deleting(doc: dict[str, Any]) -> bool:
    return doc.get("properties", {}).get("provisioningState") == "Deleting"


def lock_scope(lock_id: str) -> str:
    low = lock_id.lower()
    return lock_id[: low.rindex("/providers/microsoft.authorization/locks/")]


def check_locks(state: SandboxState, method: str, path: str) -> None:
    if method not in WRITES or "/providers/microsoft.authorization/locks" in path.lower():
        return
    blocking = []
    for lock in state.store.find(type=LOCK_TYPE):
        scope = lock_scope(lock["id"])
        level = lock.get("properties", {}).get("level")
        above = armid.is_within(path, scope)
        below = method == "DELETE" and armid.is_within(scope, path)
        if (above or below) and (method == "DELETE" or level == "ReadOnly"):
            blocking.append(scope)
    if blocking:
        raise scope_locked(path, "delete" if method == "DELETE" else "write", blocking)


def scope_locked(target: str, operation: str, scopes: list[str]) -> ArmError:
    # Src: ops-pitfalls T-1 (hashicorp/terraform-provider-azurerm#17478, Azure/azure-cli#20232).
    listed = ",".join(f"'{s}'" for s in sorted(set(scopes)))
    return ArmError(
        409,
        "ScopeLocked",
        f"The scope '{target}' cannot perform {operation} operation because following scope(s) "
        f"are locked: {listed}. Please remove the lock and try again.",
    )


def registration_state(state: SandboxState, namespace: str) -> str:
    """`Registered`, `Registering`, `NotRegistered` or `Unregistering` for this subscription."""
    ns = namespace.lower()
    if ns in ALWAYS_REGISTERED:
        return "Registered"
    rec = state.store.record("provider_registration", ns)
    if rec is None:
        default = next(
            (p.registered_by_default for p in state.router.providers if p.namespace.lower() == ns),
            False,
        )
        return "Registered" if default else "NotRegistered"
    if rec["state"] in ("Registering", "Unregistering") and state.clock.now() >= rec["until"]:
        return "Registered" if rec["state"] == "Registering" else "NotRegistered"
    return str(rec["state"])


def check_registration(state: SandboxState, namespace: str, path: str) -> None:
    ns = namespace.lower()
    if ns in ALWAYS_REGISTERED or f"/providers/{ns}/" not in path.lower() + "/":
        return
    if registration_state(state, namespace) != "Registered":
        # Src: arm-facts §2.1 (microsoft/microsoft-foundry-for-vscode#270): one quoted namespace.
        raise ArmError(
            409,
            "MissingSubscriptionRegistration",
            f"The subscription is not registered to use namespace '{namespace}'. See "
            "https://aka.ms/rps-not-found for how to register subscriptions.",
        )
