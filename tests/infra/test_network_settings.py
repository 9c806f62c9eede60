"""`ragstack:network`: one-line errors before any resource, and the CIDR rules as properties."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from infra import network_rules
from infra.catalog import network as catalog
from infra.settings import SettingsError
from tests.infra.conftest import settings_for

PREMIUM = {"sku": "Premium"}
VNET = (
    "/subscriptions/00000000-0000-4000-a000-000000000001/resourceGroups/net"
    "/providers/Microsoft.Network/virtualNetworks/hub"
)


def network(**values: Any) -> dict[str, Any]:
    return {"enabled": True, **values}


def subnets(app: str, endpoints: str) -> dict[str, str]:
    return {"appInfrastructure": app, "privateEndpoints": endpoints}


def test_network_is_off_by_default_and_its_cidrs_are_not_checked_when_off() -> None:
    assert not settings_for().network.enabled
    off = settings_for(network={"enabled": False, "addressSpace": "not a cidr"})
    assert not off.private_network


def test_the_defaults_are_valid_when_enabled() -> None:
    settings = settings_for(network=network(), registry=PREMIUM)
    assert settings.private_network and settings.network.existing is None


@pytest.mark.parametrize(
    ("config", "key", "problem"),
    [
        (network(addressSpace="10.60.0.0/33"), "ragstack:network.addressSpace", "prefix length must be 0-32"),
        (network(addressSpace="10.60.0.0"), "ragstack:network.addressSpace", "not an IPv4 CIDR"),
        (
            network(addressSpace="10.60.0.1/16"),
            "ragstack:network.addressSpace",
            "the network is 10.60.0.0/16",
        ),
        (network(addressSpace="169.254.0.0/16"), "ragstack:network.addressSpace", "link-local"),
        (
            network(subnets=subnets("10.61.0.0/23", "10.60.2.0/24")),
            "ragstack:network.subnets.appInfrastructure",
            "not inside ragstack:network.addressSpace 10.60.0.0/16",
        ),
        (
            network(subnets=subnets("10.60.0.0/28", "10.60.2.0/24")),
            "ragstack:network.subnets.appInfrastructure",
            "Container Apps environment needs /27 or larger",
        ),
        (
            network(subnets=subnets("10.60.0.0/23", "10.60.1.0/24")),
            "ragstack:network.subnets.privateEndpoints",
            "overlaps ragstack:network.subnets.appInfrastructure 10.60.0.0/23",
        ),
        (
            network(subnets=subnets("10.60.0.0/23", "10.60.2.0/30")),
            "ragstack:network.subnets.privateEndpoints",
            "/29 or larger",
        ),
        (
            network(subnets=subnets("10.60.0.0/23", "10.60.2.0/29")),
            "ragstack:network.subnets.privateEndpoints",
            "3 usable addresses (Azure keeps 5) for 4 private endpoints",
        ),
        (
            network(
                existing={"vnetId": "hub", "appInfrastructureSubnetId": "a", "privateEndpointsSubnetId": "b"}
            ),
            "ragstack:network.existing.vnetId",
            "not a virtual network id",
        ),
        (
            network(
                existing={
                    "vnetId": VNET,
                    "appInfrastructureSubnetId": f"{VNET}/subnets/apps",
                    "privateEndpointsSubnetId": f"{VNET}-other/subnets/pe",
                }
            ),
            "ragstack:network.existing.privateEndpointsSubnetId",
            "not a subnet id of ragstack:network.existing.vnetId",
        ),
        (
            network(
                existing={
                    "vnetId": VNET,
                    "appInfrastructureSubnetId": f"{VNET}/subnets/apps",
                    "privateEndpointsSubnetId": f"{VNET}/subnets/APPS",
                }
            ),
            "ragstack:network.existing.privateEndpointsSubnetId",
            "must differ from the app subnet",
        ),
        (
            network(
                addressSpace="10.1.0.0/16",
                existing={
                    "vnetId": VNET,
                    "appInfrastructureSubnetId": f"{VNET}/subnets/apps",
                    "privateEndpointsSubnetId": f"{VNET}/subnets/pe",
                },
            ),
            "ragstack:network.existing",
            "set either existing",
        ),
    ],
)
def test_bad_network_settings_fail_with_one_line_naming_the_key(
    config: dict[str, Any], key: str, problem: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_for(network=config, registry=PREMIUM)
    line = caught.value.one_line()
    assert "\n" not in line and caught.value.key == key and problem in line, line


def test_an_existing_network_by_id_is_accepted() -> None:
    existing = {
        "vnetId": VNET,
        "appInfrastructureSubnetId": f"{VNET}/subnets/apps",
        "privateEndpointsSubnetId": f"{VNET}/subnets/pe",
    }
    settings = settings_for(network=network(existing=existing), registry=PREMIUM)
    assert settings.network.existing is not None


def test_private_endpoints_need_a_premium_registry_and_a_billable_search_tier() -> None:
    with pytest.raises(
        SettingsError, match=r"ragstack:registry.sku = 'Standard': private endpoints need 'Premium'"
    ):
        settings_for(network=network(), registry={"sku": "Standard"})
    with pytest.raises(SettingsError, match=r"ragstack:search.sku = 'free': has no private endpoints"):
        settings_for(network=network(), registry=PREMIUM, search={"sku": "free"})


def test_registry_zone_redundancy_needs_premium() -> None:
    with pytest.raises(SettingsError, match=r"ragstack:registry.zoneRedundancy = True: needs .*'Premium'"):
        settings_for(registry={"sku": "Standard", "zoneRedundancy": True})
    assert settings_for(registry={"sku": "Premium", "zoneRedundancy": True}).registry.zone_redundancy


def test_ml_endpoints_count_toward_the_subnet_capacity() -> None:
    small = network(subnets=subnets("10.60.0.0/23", "10.60.2.0/28"))
    assert settings_for(network=small, registry=PREMIUM, ml={"enabled": True}).private_network
    tiny = network(subnets=subnets("10.60.0.0/23", "10.60.2.0/29"))
    with pytest.raises(SettingsError, match="for 8 private endpoints"):
        settings_for(network=tiny, registry=PREMIUM, ml={"enabled": True})


# --- properties of the CIDR rules ---------------------------------------------------------------

prefixes = st.integers(min_value=8, max_value=24)
networks = st.builds(
    lambda address, prefix: ipaddress.IPv4Network((address, prefix), strict=False),
    st.integers(min_value=0, max_value=2**32 - 1),
    prefixes,
)


def _clean(space: ipaddress.IPv4Network) -> bool:
    return network_rules.cidr_problem(str(space)) is None


@given(space=networks, data=st.data())
def test_subnets_carved_apart_inside_the_space_are_accepted(space: ipaddress.IPv4Network, data: Any) -> None:
    assume(_clean(space) and space.prefixlen <= 22)
    app_prefix = data.draw(st.integers(space.prefixlen + 1, catalog.CONTAINER_APPS_SUBNET_MIN_PREFIX))
    halves = list(space.subnets(new_prefix=space.prefixlen + 1))
    app = next(halves[0].subnets(new_prefix=app_prefix))
    pe_prefix = data.draw(st.integers(space.prefixlen + 1, 28))
    endpoints = next(halves[1].subnets(new_prefix=pe_prefix))
    found = list(network_rules.subnet_problems(str(space), subnets(str(app), str(endpoints)), 8))
    assert found == []


@given(space=networks, other=networks)
def test_a_subnet_outside_the_space_is_refused(
    space: ipaddress.IPv4Network, other: ipaddress.IPv4Network
) -> None:
    assume(_clean(space) and not other.subnet_of(space) and other.prefixlen <= 23)
    inside = next(space.subnets(new_prefix=max(space.prefixlen + 1, 25)))
    found = list(network_rules.subnet_problems(str(space), subnets(str(other), str(inside)), 1))
    assert found and found[0][0] == "subnets.appInfrastructure"


@given(space=networks, data=st.data())
def test_overlapping_subnets_are_refused(space: ipaddress.IPv4Network, data: Any) -> None:
    assume(_clean(space) and space.prefixlen <= 22)
    app = next(space.subnets(new_prefix=space.prefixlen + 1))
    pe_prefix = data.draw(st.integers(app.prefixlen, 28))
    inside_app = next(app.subnets(new_prefix=pe_prefix))
    found = list(network_rules.subnet_problems(str(space), subnets(str(app), str(inside_app)), 1))
    assert [(k, "overlaps" in p) for k, _, p in found] == [("subnets.privateEndpoints", True)]


@given(space=networks, prefix=st.integers(catalog.CONTAINER_APPS_SUBNET_MIN_PREFIX + 1, 32))
def test_an_app_subnet_smaller_than_the_minimum_is_refused(space: ipaddress.IPv4Network, prefix: int) -> None:
    assume(_clean(space))
    app = next(space.subnets(new_prefix=prefix))
    endpoints = list(space.subnets(prefixlen_diff=1))[1]
    found = list(network_rules.subnet_problems(str(space), subnets(str(app), str(endpoints)), 1))
    assert found[0][0] == "subnets.appInfrastructure" and "too small" in found[0][2]


@given(address=st.integers(0, 2**32 - 1), prefix=st.integers(0, 32))
def test_a_cidr_with_host_bits_names_the_network_it_meant(address: int, prefix: int) -> None:
    exact = ipaddress.IPv4Network((address, prefix), strict=False)
    text = f"{ipaddress.IPv4Address(address)}/{prefix}"
    parsed = network_rules.parse(text)
    if int(exact.network_address) == address:
        assert parsed == exact
    else:
        assert isinstance(parsed, str) and str(exact) in parsed


@given(space=networks)
def test_a_space_touching_a_reserved_range_is_refused(space: ipaddress.IPv4Network) -> None:
    touches = any(space.overlaps(ipaddress.IPv4Network(r)) for r in catalog.RESERVED_RANGES)
    assert (network_rules.cidr_problem(str(space)) is not None) == touches


@given(prefix=st.integers(catalog.SMALLEST_SUBNET_PREFIX - 6, 32), endpoints=st.integers(1, 40))
def test_endpoint_capacity_is_the_subnet_size_minus_five(prefix: int, endpoints: int) -> None:
    space = ipaddress.IPv4Network("10.0.0.0/16")
    pe = ipaddress.IPv4Network((int(space.broadcast_address) + 1 - 2 ** (32 - prefix), prefix))
    found = list(network_rules.subnet_problems(str(space), subnets("10.0.0.0/23", str(pe)), endpoints))
    usable = 2 ** (32 - prefix) - 5
    if prefix > catalog.SMALLEST_SUBNET_PREFIX:
        assert found and "too small" in found[0][2]
    else:
        assert bool(found) == (usable < endpoints)
