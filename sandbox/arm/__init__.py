"""Resource-provider modules, one per ARM namespace (moto-style). Add new ones to PROVIDERS."""

from __future__ import annotations

from sandbox.arm import (
    app,
    appinsights,
    authorization,
    cognitive,
    insights,
    keyvault,
    locks,
    machinelearning,
    managedidentity,
    network,
    registry,
    resources,
    search,
    storage,
    subscriptions,
)
from sandbox.core.routing import Provider

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
    storage.provider,
    keyvault.provider,
    machinelearning.provider,
    appinsights.provider,
    network.provider,
]
