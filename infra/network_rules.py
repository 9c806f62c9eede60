"""Rules of `ragstack:network`: CIDR syntax, containment, overlap, minimum sizes, existing ids, and the
service tiers private endpoints need. Pure Python; the sizes and ranges come from infra.catalog.network.

`cidr_problem`, `subnet_problems` and `endpoint_capacity` are plain functions over text so the
property tests (tests/infra/test_network_settings.py) can drive them directly.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from infra.catalog import network as catalog
from infra.catalog.registry import ZONE_REDUNDANCY_SKU
from infra.settings import SettingsError, StackSettings

KEY = "ragstack:network"
IPv4 = ipaddress.IPv4Network
_SEGMENT = r"[^/]+"
VNET_ID = re.compile(
    rf"/subscriptions/{_SEGMENT}/resourceGroups/{_SEGMENT}/providers/Microsoft\.Network/"
    rf"virtualNetworks/{_SEGMENT}",
    re.IGNORECASE,
)
SUBNET_KEYS = (
    ("app_infrastructure", "appInfrastructure", catalog.CONTAINER_APPS_SUBNET_MIN_PREFIX),
    ("private_endpoints", "privateEndpoints", catalog.SMALLEST_SUBNET_PREFIX),
)
SIZE_REASONS = {
    "appInfrastructure": "a workload-profile Container Apps environment needs",
    "privateEndpoints": "Azure subnets are",
}


def parse(text: str) -> IPv4 | str:
    """The IPv4 network `text` names, or why it is not one (host bits set, not a CIDR)."""
    if not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}", text):
        return "not an IPv4 CIDR (e.g. 10.60.0.0/16)"
    try:
        return ipaddress.IPv4Network(text, strict=True)
    except ipaddress.NetmaskValueError:
        return "not an IPv4 CIDR: the prefix length must be 0-32"
    except ValueError as exc:
        if "host bits set" in str(exc):
            exact = ipaddress.IPv4Network(text, strict=False)
            return f"has host bits set; the network is {exact}"
        return "not an IPv4 CIDR (each address part 0-255)"


def cidr_problem(text: str) -> str | None:
    """Why `text` cannot be a virtual network range: syntax, or a range Azure reserves."""
    network = parse(text)
    if isinstance(network, str):
        return network
    for reserved, what in catalog.RESERVED_RANGES.items():
        if network.overlaps(ipaddress.IPv4Network(reserved)):
            return f"overlaps {reserved} ({what}), which a virtual network cannot use"
    return None


def usable_addresses(network: IPv4) -> int:
    """Addresses left for resources: Azure keeps 5 of every subnet (VNet FAQ)."""
    return max(network.num_addresses - (catalog.RESERVED_HEAD + catalog.RESERVED_TAIL), 0)


def subnet_problems(space: str, subnets: dict[str, str], endpoints: int) -> Iterator[tuple[str, str, str]]:
    """(camelCase key, value, problem) for each broken rule of the address space and the subnets."""
    if problem := cidr_problem(space):
        yield "addressSpace", space, problem
        return
    parent = ipaddress.IPv4Network(space)
    seen: dict[str, IPv4] = {}
    for _, key, min_prefix in SUBNET_KEYS:
        text = subnets[key]
        network = parse(text)
        if isinstance(network, str):
            yield f"subnets.{key}", text, network
            continue
        if not network.subnet_of(parent):
            yield f"subnets.{key}", text, f"not inside {KEY}.addressSpace {parent}"
        elif network.prefixlen > min_prefix:
            yield f"subnets.{key}", text, f"too small: {SIZE_REASONS[key]} /{min_prefix} or larger"
        elif clash := next((k for k, other in seen.items() if network.overlaps(other)), None):
            yield f"subnets.{key}", text, f"overlaps {KEY}.subnets.{clash} {seen[clash]}"
        elif key == "privateEndpoints" and usable_addresses(network) < endpoints:
            yield (
                f"subnets.{key}",
                text,
                f"{usable_addresses(network)} usable addresses (Azure keeps 5) for {endpoints} "
                "private endpoints; use a larger subnet",
            )
        seen[key] = network


def endpoint_count(settings: StackSettings) -> int:
    """Private endpoints the stack declares; each takes at least one subnet address."""
    extra = len(catalog.ML_PRIVATE_LINK_SERVICES) if settings.ml.enabled else 0
    return len(catalog.CORE_PRIVATE_LINK_SERVICES) + extra


def problems(settings: StackSettings) -> Iterator[SettingsError]:
    """Every rule `ragstack:network` (and the tiers it needs) breaks; nothing when it is off."""
    net = settings.network
    if not net.enabled:
        return
    if net.existing is not None:
        yield from _existing(settings)
    else:
        subnets = {"appInfrastructure": net.subnets.app_infrastructure}
        subnets["privateEndpoints"] = net.subnets.private_endpoints
        for key, value, problem in subnet_problems(net.address_space, subnets, endpoint_count(settings)):
            yield SettingsError(f"{KEY}.{key}", value, problem)
    yield from _public_access(settings)
    yield from _tiers(settings)


def _existing(settings: StackSettings) -> Iterator[SettingsError]:
    net = settings.network
    existing = net.existing
    assert existing is not None
    own = {"address_space", "subnets"} & net.model_fields_set
    if own:
        yield SettingsError(
            f"{KEY}.existing",
            existing.vnet_id,
            "set either existing (a network you own elsewhere) or addressSpace/subnets, not both",
        )
    if not VNET_ID.fullmatch(existing.vnet_id):
        yield SettingsError(
            f"{KEY}.existing.vnetId",
            existing.vnet_id,
            "not a virtual network id (/subscriptions/<id>/resourceGroups/<group>/providers/"
            "Microsoft.Network/virtualNetworks/<name>)",
        )
        return
    for key, value in (
        ("appInfrastructureSubnetId", existing.app_infrastructure_subnet_id),
        ("privateEndpointsSubnetId", existing.private_endpoints_subnet_id),
    ):
        parent, _, name = value.rpartition("/subnets/")
        if parent.lower() != existing.vnet_id.lower() or not name or "/" in name:
            yield SettingsError(
                f"{KEY}.existing.{key}",
                value,
                f"not a subnet id of {KEY}.existing.vnetId (<vnetId>/subnets/<name>)",
            )
    if existing.app_infrastructure_subnet_id.lower() == existing.private_endpoints_subnet_id.lower():
        yield SettingsError(
            f"{KEY}.existing.privateEndpointsSubnetId",
            existing.private_endpoints_subnet_id,
            f"must differ from the app subnet: that one is delegated to {catalog.APP_SUBNET_DELEGATION}",
        )


def _public_access(settings: StackSettings) -> Iterator[SettingsError]:
    """An explicit public endpoint contradicts private networking (the program turns them off)."""
    for key, section in (
        ("search", settings.search),
        ("openai", settings.openai),
        ("documentIntelligence", settings.document_intelligence),
    ):
        value = section.public_network_access
        if "public_network_access" in section.model_fields_set and value.lower() == "enabled":
            yield SettingsError(
                f"ragstack:{key}.publicNetworkAccess",
                value,
                f"must be disabled or unset when {KEY}.enabled is true (services are reached privately)",
            )


def _tiers(settings: StackSettings) -> Iterator[SettingsError]:
    """Service tiers without private link support, and the registry tier it needs."""
    if settings.registry.sku != catalog.REGISTRY_PRIVATE_LINK_SKU:
        yield SettingsError(
            "ragstack:registry.sku",
            settings.registry.sku,
            f"private endpoints need '{catalog.REGISTRY_PRIVATE_LINK_SKU}' ({KEY}.enabled is true)",
        )
    if settings.search.sku in catalog.SEARCH_SKUS_WITHOUT_PRIVATE_LINK:
        yield SettingsError(
            "ragstack:search.sku",
            settings.search.sku,
            f"has no private endpoints ({KEY}.enabled is true); use basic or higher",
        )


def registry_problems(settings: StackSettings) -> Iterator[SettingsError]:
    """Zone redundancy is a Premium feature."""
    registry = settings.registry
    if registry.zone_redundancy and registry.sku != ZONE_REDUNDANCY_SKU:
        yield SettingsError(
            "ragstack:registry.zoneRedundancy",
            registry.zone_redundancy,
            f"needs ragstack:registry.sku '{ZONE_REDUNDANCY_SKU}' (sku is '{registry.sku}')",
        )


def private_services(settings: StackSettings) -> StackSettings:
    """With private networking on, search and the accounts turn public access off (the rules refuse
    an explicit `enabled` next to it)."""
    if not settings.private_network:
        return settings
    update = {
        "search": settings.search.model_copy(
            update={"public_network_access": catalog.PUBLIC_ACCESS_OFF.lower()}
        ),
        "openai": settings.openai.model_copy(update={"public_network_access": catalog.PUBLIC_ACCESS_OFF}),
        "document_intelligence": settings.document_intelligence.model_copy(
            update={"public_network_access": catalog.PUBLIC_ACCESS_OFF}
        ),
    }
    return settings.model_copy(update=update)
