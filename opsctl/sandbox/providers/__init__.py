"""Resource-provider modules, one per ARM namespace (moto-style). Add new ones to PROVIDERS."""

from __future__ import annotations

from opsctl.sandbox.core.routing import Provider
from opsctl.sandbox.providers import (
    app,
    authorization,
    insights,
    locks,
    managedidentity,
    registry,
    resources,
    subscriptions,
)

PROVIDERS: list[Provider] = [
    subscriptions.provider,
    resources.provider,
    locks.provider,
    authorization.provider,
    managedidentity.provider,
    insights.provider,
    registry.provider,
    app.provider,
]
