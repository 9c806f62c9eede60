"""Configurable quota limits, for resource providers whose quotas tests need to exhaust.

A provider asks `state.quotas.limit(namespace, location, name, default)`; tests and operators
lower or raise a limit through `Sandbox.set_quota(...)` or `POST /_sandbox/quotas`. Limits are
records, so they persist with the state dir and go away on reset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.core.store import Store

_KIND = "quota"


def _key(namespace: str, location: str, name: str) -> str:
    return f"{namespace}/{location.replace(' ', '')}/{name}".lower()


class Quotas:
    def __init__(self, store: Store) -> None:
        self._store = store

    def set(self, namespace: str, location: str, name: str, limit: float) -> dict[str, Any]:
        """Set the limit of quota `name` of `namespace` in `location`."""
        if limit < 0:
            raise ValueError("limit must be >= 0")
        doc = {
            "namespace": namespace,
            "location": location.replace(" ", "").lower(),
            "name": name,
            "limit": limit,
        }
        with self._store.transaction():
            self._store.put_record(_KIND, _key(namespace, location, name), doc)
        return doc

    def limit(self, namespace: str, location: str, name: str, default: float) -> float:
        doc = self._store.record(_KIND, _key(namespace, location, name))
        return float(doc["limit"]) if doc else default

    def configured(self, namespace: str, location: str) -> list[dict[str, Any]]:
        """The limits set explicitly for one namespace and location."""
        loc = location.replace(" ", "").lower()
        return [
            d
            for d in self._store.records(_KIND)
            if d["namespace"].lower() == namespace.lower() and d["location"] == loc
        ]

    def list(self) -> list[dict[str, Any]]:
        return self._store.records(_KIND)
