"""Azure public-cloud region names accepted as `location` (ARM's lowercase, no-space form)."""

from __future__ import annotations

REGIONS: frozenset[str] = frozenset(
    """
    australiacentral australiaeast australiasoutheast austriaeast belgiumcentral brazilsouth
    canadacentral canadaeast centralindia centralus chilecentral eastasia eastus eastus2
    francecentral germanywestcentral indonesiacentral israelcentral italynorth japaneast
    japanwest koreacentral koreasouth malaysiawest mexicocentral newzealandnorth northcentralus
    northeurope norwayeast polandcentral qatarcentral southafricanorth southcentralus
    southeastasia southindia spaincentral swedencentral switzerlandnorth uaenorth uksouth
    ukwest westcentralus westeurope westindia westus westus2 westus3
    """.split()
)

# Regions per resource type where the offer is narrower than REGIONS. Empty: no per-type list is
# sourced yet, so every type is offered in every public region (a known difference, see
# sandbox/README.md).
AVAILABILITY: dict[str, frozenset[str]] = {}


def available(resource_type: str) -> frozenset[str]:
    """Regions `Namespace/type` can be created in (its parent type's for child types)."""
    top = "/".join(resource_type.split("/")[:2]).lower()
    return next((v for k, v in AVAILABILITY.items() if k.lower() == top), REGIONS)
