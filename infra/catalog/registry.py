"""Container Registry facts.

Service tiers: learn.microsoft.com/azure/container-registry/container-registry-skus ("Basic,
Standard, and Premium"); `Classic` is retired (azure-cli#11487, #26116: "Allowed values: Basic,
Standard, Premium").
"""

from __future__ import annotations

REGISTRY_SKUS = ("Basic", "Standard", "Premium")
