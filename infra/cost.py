"""Monthly cost estimate of a planned stack, from the list prices in `infra.catalog.prices`.

Pure Python: reads `PlannedResource` inputs (camelCase, as the program sends them) and prices only
what the inputs fix: search units, registry days, always-on container replicas, provisioned
throughput. Usage-metered charges (tokens, pages, queries, requests, log volume beyond the stated
assumption) are named in each line's basis but not added, so the total is a floor, labelled
"estimate". Container apps are priced at their MIN replicas running 730 h at the active rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from infra.catalog import prices
from infra.planned import PlannedResource

CENT = Decimal("0.01")
SEARCH = "azure-native:search:Service"
COGNITIVE_ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
REGISTRY = "azure-native:containerregistry:Registry"
CONTAINER_APP = "azure-native:app:ContainerApp"
MANAGED_ENVIRONMENT = "azure-native:app:ManagedEnvironment"
WORKSPACE = "azure-native:operationalinsights:Workspace"
STORAGE = "azure-native:storage:StorageAccount"
GRANT_LINE = "container-apps-free-grant"


@dataclass(frozen=True)
class CostLine:
    """One resource's monthly cost and the formula that produced it."""

    resource: str
    type: str
    monthly_usd: Decimal
    basis: str


@dataclass(frozen=True)
class CostEstimate:
    """The stack's monthly floor cost: lines, their total, and which price table they came from."""

    lines: tuple[CostLine, ...]
    total_monthly_usd: Decimal
    as_of: str = prices.PRICES_AS_OF
    currency: str = prices.CURRENCY
    label: str = "estimate"
    region_note: str = prices.REGION_NOTE
    unpriced: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `opsctl plan --output json` (amounts as numbers)."""
        return {
            "label": self.label,
            "as_of": self.as_of,
            "currency": self.currency,
            "region_note": self.region_note,
            "total_monthly_usd": float(self.total_monthly_usd),
            "lines": [
                {
                    "resource": ln.resource,
                    "type": ln.type,
                    "monthly_usd": float(ln.monthly_usd),
                    "basis": ln.basis,
                }
                for ln in self.lines
            ],
            "unpriced": list(self.unpriced),
        }


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _usd(amount: Decimal) -> str:
    return f"${amount:,}"


def _number(value: Any, default: Decimal) -> Decimal:
    """A numeric input as Decimal; the Azure default when absent or not a plain number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return default


def _sku(inputs: Mapping[str, Any]) -> str | None:
    sku = inputs.get("sku")
    name = sku.get("name") if isinstance(sku, Mapping) else None
    return name if isinstance(name, str) else None


def search_line(resource: PlannedResource) -> CostLine | None:
    sku = _sku(resource.inputs)
    if sku not in prices.SEARCH_SU_MONTHLY:
        return None
    replicas = _number(resource.inputs.get("replicaCount"), Decimal(1))
    partitions = _number(resource.inputs.get("partitionCount"), Decimal(1))
    units = replicas * partitions
    rate = prices.SEARCH_SU_MONTHLY[sku]
    basis = f"{units} SU ({replicas} replicas x {partitions} partitions) x {_usd(rate)} ({sku})"
    plan = resource.inputs.get("semanticSearch")
    if plan == "free":
        capped = f"{prices.SEMANTIC_RANKER_FREE_QUERIES:,} queries a month"
        basis += f"; semantic ranker 'free': $0, capped at {capped}"
    elif plan == "standard":
        basis += (
            f"; semantic ranker 'standard': no base fee, {_usd(prices.SEMANTIC_RANKER_PER_1000_QUERIES)}"
            f" per 1,000 queries after {prices.SEMANTIC_RANKER_FREE_QUERIES:,} free (not included)"
        )
    return CostLine(resource.name, resource.type, money(units * rate), basis)


def cognitive_line(resource: PlannedResource) -> CostLine:
    sku = _sku(resource.inputs) or "S0"
    if resource.inputs.get("kind") == "FormRecognizer":
        base = prices.DOCUMENT_INTELLIGENCE_MONTHLY.get(sku, Decimal(0))
        basis = (
            f"Document Intelligence {sku}: no base fee; pay per page (read "
            f"{_usd(prices.DOCUMENT_INTELLIGENCE_READ_PER_1000_PAGES)}, layout "
            f"{_usd(prices.DOCUMENT_INTELLIGENCE_LAYOUT_PER_1000_PAGES)} per 1,000 pages; not included)"
        )
        return CostLine(resource.name, resource.type, money(base), basis)
    basis = f"{resource.inputs.get('kind', 'account')} {sku}: no base fee; billed per deployment"
    return CostLine(resource.name, resource.type, money(prices.COGNITIVE_ACCOUNT_MONTHLY), basis)


def deployment_line(resource: PlannedResource) -> CostLine | None:
    sku = _sku(resource.inputs)
    if sku in prices.PAY_PER_TOKEN_SKUS:
        return CostLine(resource.name, resource.type, money(Decimal(0)), f"{sku}: pay per token, no base fee")
    if sku not in prices.PTU_HOURLY:
        return None
    sku_input = resource.inputs.get("sku")
    capacity = _number(sku_input.get("capacity") if isinstance(sku_input, Mapping) else None, Decimal(1))
    rate = prices.PTU_HOURLY[sku]
    basis = f"{capacity} PTU x {prices.HOURS_PER_MONTH} h x {_usd(rate)} ({sku}, hourly, no reservation)"
    return CostLine(resource.name, resource.type, money(capacity * prices.HOURS_PER_MONTH * rate), basis)


def registry_line(resource: PlannedResource) -> CostLine | None:
    sku = _sku(resource.inputs)
    if sku not in prices.REGISTRY_DAILY:
        return None
    rate = prices.REGISTRY_DAILY[sku]
    days = prices.DAYS_PER_MONTH
    basis = f"{days:.2f} days x {_usd(rate)} ({sku}; extra storage not included)"
    return CostLine(resource.name, resource.type, money(days * rate), basis)


def _gib(memory: Any) -> Decimal:
    text = str(memory or "").strip()
    return _number(text[:-2], Decimal(0)) if text.endswith("Gi") else Decimal(0)


def app_allocation(inputs: Mapping[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    """(min replicas, vCPU per replica, GiB per replica) summed over the app's containers."""
    template = inputs.get("template")
    template = template if isinstance(template, Mapping) else {}
    scale = template.get("scale")
    scale = scale if isinstance(scale, Mapping) else {}
    replicas = _number(scale.get("minReplicas"), Decimal(0))
    containers = template.get("containers")
    cpu, gib = Decimal(0), Decimal(0)
    for container in containers if isinstance(containers, Sequence) else ():
        res = container.get("resources") if isinstance(container, Mapping) else None
        if isinstance(res, Mapping):
            cpu += _number(res.get("cpu"), Decimal(0))
            gib += _gib(res.get("memory"))
    return replicas, cpu, gib


def app_seconds(inputs: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """(vCPU-seconds, GiB-seconds) per month of the always-on min replicas."""
    replicas, cpu, gib = app_allocation(inputs)
    seconds = prices.SECONDS_PER_MONTH
    return replicas * cpu * seconds, replicas * gib * seconds


def container_app_line(resource: PlannedResource) -> CostLine:
    replicas, cpu, gib = app_allocation(resource.inputs)
    vcpu_s, gib_s = app_seconds(resource.inputs)
    amount = vcpu_s * prices.CONTAINER_APPS_VCPU_SECOND + gib_s * prices.CONTAINER_APPS_GIB_SECOND
    seconds = f"{prices.SECONDS_PER_MONTH:,} s"
    basis = (
        f"min {replicas} replicas running {prices.HOURS_PER_MONTH} h at the active rate: "
        f"{replicas} x {cpu} vCPU x {seconds} x {_usd(prices.CONTAINER_APPS_VCPU_SECOND)}"
        f" + {replicas} x {gib} GiB x {seconds} x {_usd(prices.CONTAINER_APPS_GIB_SECOND)}"
        "; scale-out and requests not included"
    )
    return CostLine(resource.name, resource.type, money(amount), basis)


def container_apps_grant(apps: Sequence[PlannedResource]) -> CostLine | None:
    """The per-subscription monthly free grant, as a negative line capped at the apps' usage."""
    vcpu_s = sum((app_seconds(app.inputs)[0] for app in apps), Decimal(0))
    gib_s = sum((app_seconds(app.inputs)[1] for app in apps), Decimal(0))
    free_vcpu = min(vcpu_s, prices.CONTAINER_APPS_FREE_VCPU_SECONDS)
    free_gib = min(gib_s, prices.CONTAINER_APPS_FREE_GIB_SECONDS)
    credit = free_vcpu * prices.CONTAINER_APPS_VCPU_SECOND + free_gib * prices.CONTAINER_APPS_GIB_SECOND
    if credit == 0:
        return None
    basis = (
        f"-{free_vcpu:,} vCPU-s and -{free_gib:,} GiB-s monthly free grant "
        "(per subscription; shared with any other apps there)"
    )
    return CostLine(GRANT_LINE, CONTAINER_APP, -money(credit), basis)


def workspace_line(resource: PlannedResource) -> CostLine | None:
    sku = _sku(resource.inputs) or "PerGB2018"
    if sku not in prices.LOG_ANALYTICS_PER_GB:
        return None
    volume = prices.LOG_ANALYTICS_ASSUMED_GB_PER_MONTH
    rate = prices.LOG_ANALYTICS_PER_GB[sku]
    basis = (
        f"ASSUMED {volume} GB/month ingested x {_usd(rate)}/GB ({sku}); retention beyond 31 days adds "
        f"{_usd(prices.LOG_ANALYTICS_RETENTION_PER_GB_MONTH)}/GB-month (not included)"
    )
    return CostLine(resource.name, resource.type, money(volume * rate), basis)


def storage_line(resource: PlannedResource) -> CostLine | None:
    sku = _sku(resource.inputs)
    if sku not in prices.STORAGE_GB_MONTH:
        return None
    volume, rate = prices.STORAGE_ASSUMED_GB, prices.STORAGE_GB_MONTH[sku]
    basis = (
        f"ASSUMED {volume} GB hot blobs x {_usd(rate)}/GB-month ({sku}); operations and egress not included"
    )
    return CostLine(resource.name, resource.type, money(volume * rate), basis)


def environment_line(resource: PlannedResource) -> CostLine:
    basis = "Consumption workload profile: no environment charge (dedicated profiles not modelled)"
    return CostLine(resource.name, resource.type, money(prices.MANAGED_ENVIRONMENT_MONTHLY), basis)


def private_endpoint_line(resource: PlannedResource) -> CostLine:
    rate = prices.PRIVATE_ENDPOINT_HOURLY
    basis = (
        f"{prices.HOURS_PER_MONTH} h x {_usd(rate)}/h; data processed "
        f"{_usd(prices.PRIVATE_ENDPOINT_PER_GB)}/GB in and out (not included)"
    )
    return CostLine(resource.name, resource.type, money(prices.HOURS_PER_MONTH * rate), basis)


def private_dns_zone_line(resource: PlannedResource) -> CostLine:
    basis = (
        f"1 hosted zone x {_usd(prices.PRIVATE_DNS_ZONE_MONTHLY)}/month; queries "
        f"{_usd(prices.PRIVATE_DNS_PER_MILLION_QUERIES)} per million (not included)"
    )
    return CostLine(resource.name, resource.type, money(prices.PRIVATE_DNS_ZONE_MONTHLY), basis)


def free_line(resource: PlannedResource) -> CostLine:
    return CostLine(resource.name, resource.type, money(Decimal(0)), prices.FREE_TYPES[resource.type])


PRICERS: dict[str, Callable[[PlannedResource], CostLine | None]] = {
    SEARCH: search_line,
    COGNITIVE_ACCOUNT: cognitive_line,
    DEPLOYMENT: deployment_line,
    REGISTRY: registry_line,
    CONTAINER_APP: container_app_line,
    MANAGED_ENVIRONMENT: environment_line,
    WORKSPACE: workspace_line,
    STORAGE: storage_line,
    "azure-native:network:PrivateEndpoint": private_endpoint_line,
    "azure-native:privatedns:PrivateZone": private_dns_zone_line,
    **dict.fromkeys(prices.FREE_TYPES, free_line),
}


def estimate(resources: Iterable[PlannedResource]) -> CostEstimate:
    """Price every custom resource; the ones without a price (unknown type or SKU) are listed apart."""
    lines: list[CostLine] = []
    unpriced: list[str] = []
    planned = [r for r in resources if r.custom and not r.type.startswith("pulumi:")]
    for resource in planned:
        pricer = PRICERS.get(resource.type)
        line = pricer(resource) if pricer else None
        if line is None:
            unpriced.append(f"{resource.type}::{resource.name}")
        else:
            lines.append(line)
    grant = container_apps_grant([r for r in planned if r.type == CONTAINER_APP])
    if grant is not None:
        lines.append(grant)
    total = sum((line.monthly_usd for line in lines), Decimal(0))
    return CostEstimate(tuple(lines), total, unpriced=tuple(unpriced))
