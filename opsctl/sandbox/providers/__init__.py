"""Resource-provider modules, one per ARM namespace (moto-style). Add new ones to PROVIDERS."""

from __future__ import annotations

from opsctl.sandbox.core.routing import Provider
from opsctl.sandbox.providers import (
    app,
    authorization,
    cognitive,
    insights,
    locks,
    managedidentity,
    registry,
    resources,
    search,
    subscriptions,
)

PROVIDERS: list[Provider] = [
    subscriptions.provider,
    resources.provider,
    locks.provider,
    authorization.provider,
    managedidentity.provider,
    search.provider,
    cognitive.provider,
    insights.provider,
    registry.provider,
    app.provider,
]
