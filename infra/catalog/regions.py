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

# Azure Machine Learning workspaces. [unverified: no per-region table was found in the sources we can
# read (MS Learn's "products by region" page is not in the index)]. Conservative allow-list: every
# public region in REGIONS except those opened since 2024 (austriaeast, belgiumcentral, chilecentral,
# indonesiacentral, malaysiawest, newzealandnorth, mexicocentral, spaincentral) whose ML offer could
# not be confirmed; widen it when a source confirms one. ragstack refuses `ml.enabled` elsewhere.
ML_REGIONS: frozenset[str] = REGIONS - frozenset(
    """austriaeast belgiumcentral chilecentral indonesiacentral malaysiawest newzealandnorth
    mexicocentral spaincentral""".split()
)

# Regions per resource type where the offer is narrower than REGIONS. A type not listed is offered in
# every public region (a known difference, see sandbox/README.md).
AVAILABILITY: dict[str, frozenset[str]] = {
    "Microsoft.MachineLearningServices/workspaces": ML_REGIONS,
    # Private DNS zones and their virtual network links are global resources: location "global"
    # (specs privatedns PrivateZonePut.json / VirtualNetworkLinkPut.json; azure-cli#15010 output).
    "Microsoft.Network/privateDnsZones": frozenset({"global"}),
}


def available(resource_type: str) -> frozenset[str]:
    """Regions `Namespace/type` can be created in (its parent type's for child types)."""
    top = "/".join(resource_type.split("/")[:2]).lower()
    return next((v for k, v in AVAILABILITY.items() if k.lower() == top), REGIONS)
