"""The sandbox's Entra directory: which object ids exist, for PrincipalNotFound.

Managed identities register themselves when created; with `principal_replication_delay`
they stay invisible to ARM for that many simulated seconds, like Entra replication (ops-pitfalls
R-4). Users, groups and service principals are seeded through the Python or admin API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsctl.sandbox.core.store import Store

PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
_KIND = "principal"


class Directory:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        object_id: str,
        principal_type: str = "ServicePrincipal",
        *,
        display_name: str | None = None,
        app_id: str | None = None,
        secret: str | None = None,
        visible_at: float = 0.0,
    ) -> dict[str, Any]:
        if principal_type not in PRINCIPAL_TYPES:
            raise ValueError(f"principal_type must be one of {PRINCIPAL_TYPES}")
        doc = {
            "objectId": object_id.lower(),
            "principalType": principal_type,
            "displayName": display_name or object_id,
            "appId": app_id.lower() if app_id else None,
            "secret": secret,
            "visibleAt": visible_at,
        }
        with self._store.transaction():
            self._store.put_record(_KIND, object_id, doc)
        return doc

    def get(self, object_id: str) -> dict[str, Any] | None:
        return self._store.record(_KIND, object_id)

    def by_app_id(self, app_id: str) -> dict[str, Any] | None:
        app = app_id.lower()
        return next((p for p in self._store.records(_KIND) if p.get("appId") == app), None)

    def status(self, object_id: str, now: float) -> str:
        """`visible`, `replicating` (exists but not yet seen by ARM) or `missing`."""
        doc = self.get(object_id)
        if doc is None:
            return "missing"
        return "visible" if now >= doc["visibleAt"] else "replicating"

    def remove(self, object_id: str) -> None:
        with self._store.transaction():
            self._store.delete_record(_KIND, object_id)

    def list(self) -> list[dict[str, Any]]:
        return self._store.records(_KIND)
