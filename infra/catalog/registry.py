"""Container Registry facts.

Service tiers: learn.microsoft.com/azure/container-registry/container-registry-skus ("Basic,
Standard, and Premium"); `Classic` is retired (azure-cli#11487, #26116: "Allowed values: Basic,
Standard, Premium").
"""

from __future__ import annotations

REGISTRY_SKUS = ("Basic", "Standard", "Premium")

# "Zone redundancy is a feature of the Premium container registry service tier" (learn.microsoft.com/
# azure/container-registry/zone-redundancy). Azure now makes registries in zone regions zone-redundant
# by default on every tier, but `zoneRedundancy: Enabled` is still only accepted on Premium.
# [unverified: that a non-Premium PUT with Enabled is refused; the page only documents Premium.]
ZONE_REDUNDANCY_SKU = "Premium"
