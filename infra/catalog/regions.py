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
