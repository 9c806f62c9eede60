"""Private networking under the Pulumi mocks: the prod example renders every private piece, each
with the properties Azure needs (issue 14 items 2-3)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.catalog.network import APP_SUBNET_DELEGATION, PRIVATE_LINK, private_dns_zones
from infra.mockrun import Rendered, RenderedResource, render
from tests.infra.conftest import SUBSCRIPTION, rendered_stack, settings_for, stack_settings

VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
NETWORK_TYPES = {VNET, SUBNET, ENDPOINT, ZONE_GROUP, ZONE, LINK}
# Where each service type keeps its public network switch (the ARM property, as azure-native names it).
PUBLIC_SWITCHES = {
    "azure-native:search:Service": ("publicNetworkAccess",),
    "azure-native:cognitiveservices:Account": ("properties", "publicNetworkAccess"),
    "azure-native:containerregistry:Registry": ("publicNetworkAccess",),
    "azure-native:storage:StorageAccount": ("publicNetworkAccess",),
    "azure-native:keyvault:Vault": ("properties", "publicNetworkAccess"),
    "azure-native:machinelearningservices:Workspace": ("publicNetworkAccess",),
}


def dig(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def depends(rendered: Rendered, resource: RenderedResource) -> set[str]:
    """URNs `resource` waits for, with components standing for all their descendants."""
    found: set[str] = set()
    pending = list(resource.dependencies)
    while pending:
        urn = pending.pop()
        if urn in found:
            continue
        found.add(urn)
        pending.extend(r.urn for r in rendered.resources if r.parent == urn)
    return found


@pytest.fixture(scope="module")
def prod() -> Rendered:
    return rendered_stack("prod")


def test_prod_declares_the_vnet_and_the_delegated_app_subnet(prod: Rendered) -> None:
    network = stack_settings("prod").network
    vnet = prod.one(VNET)
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": [network.address_space]}
    app, endpoints = prod.one(SUBNET, "vnet-apps"), prod.one(SUBNET, "vnet-pep")
    assert app.inputs["addressPrefix"] == network.subnets.app_infrastructure
    assert app.inputs["delegations"] == [{"name": "containerapps", "serviceName": APP_SUBNET_DELEGATION}]
    assert endpoints.inputs["addressPrefix"] == network.subnets.private_endpoints
    assert "delegations" not in endpoints.inputs
    # Azure refuses parallel writes to subnets of one VNet: the second waits for the first.
    assert app.urn in endpoints.dependencies


def test_every_service_has_an_endpoint_with_its_catalog_group_on_the_endpoint_subnet(prod: Rendered) -> None:
    subnet_id = prod.one(SUBNET, "vnet-pep").id
    endpoints = {r.name.removeprefix("pep-"): r for r in prod.of_type(ENDPOINT)}
    assert set(endpoints) == set(PRIVATE_LINK)  # prod has the ML workspace: every service
    by_id = {r.id: r for r in prod.custom_resources}
    for service, endpoint in endpoints.items():
        [connection] = endpoint.inputs["privateLinkServiceConnections"]
        assert connection["groupIds"] == [PRIVATE_LINK[service].group_id]
        assert endpoint.inputs["subnet"] == {"id": subnet_id}
        target = by_id[connection["privateLinkServiceId"]]
        # The endpoint is created after its service (and deleted before it).
        assert target.urn in depends(prod, endpoint), service


def test_each_zone_exists_once_linked_to_the_vnet_and_every_endpoint_registers_in_its_zones(
    prod: Rendered,
) -> None:
    zones = {r.inputs["privateZoneName"]: r for r in prod.of_type(ZONE)}
    assert sorted(zones) == sorted(private_dns_zones(tuple(PRIVATE_LINK)))
    assert all(z.inputs["location"] == "global" for z in zones.values())
    vnet_id = prod.one(VNET).id
    links = {r.inputs["privateZoneName"]: r for r in prod.of_type(LINK)}
    assert set(links) == set(zones)
    for link in links.values():
        assert link.inputs["virtualNetwork"] == {"id": vnet_id}
        assert link.inputs["registrationEnabled"] is False and link.inputs["location"] == "global"
    zone_ids = {z.id: name for name, z in zones.items()}
    endpoints = {r.inputs["privateEndpointName"]: r for r in prod.of_type(ENDPOINT)}
    groups = prod.of_type(ZONE_GROUP)
    assert {g.inputs["privateEndpointName"] for g in groups} == set(endpoints)
    for group in groups:
        service = endpoints[group.inputs["privateEndpointName"]].name.removeprefix("pep-")
        configured = [zone_ids[c["privateDnsZoneId"]] for c in group.inputs["privateDnsZoneConfigs"]]
        assert configured == list(PRIVATE_LINK[service].zones)


def test_every_service_turns_public_network_access_off(prod: Rendered) -> None:
    services = [r for r in prod.custom_resources if r.type in PUBLIC_SWITCHES]
    assert {r.type for r in services} == set(PUBLIC_SWITCHES)
    for service in services:
        assert str(dig(service.inputs, *PUBLIC_SWITCHES[service.type])).lower() == "disabled", service.name


def test_the_environment_is_internal_on_the_app_subnet_and_the_registry_zone_redundant(
    prod: Rendered,
) -> None:
    environment = prod.one("azure-native:app:ManagedEnvironment")
    subnet_id = prod.one(SUBNET, "vnet-apps").id
    assert environment.inputs["vnetConfiguration"] == {"infrastructureSubnetId": subnet_id, "internal": True}
    assert "vnetConfiguration" in environment.replace_on_changes
    registry = prod.one("azure-native:containerregistry:Registry")
    assert registry.inputs["sku"] == {"name": "Premium"} and registry.inputs["zoneRedundancy"] == "Enabled"


def test_the_prod_outputs_name_the_vnet_and_every_endpoint(prod: Rendered) -> None:
    assert prod.outputs["virtualNetworkId"] == prod.one(VNET).id
    assert set(prod.outputs["privateEndpoints"]) == set(PRIVATE_LINK)


def test_without_network_nothing_private_is_declared_and_services_keep_their_inputs() -> None:
    rendered = rendered_stack("dev")
    assert not {r.type for r in rendered.custom_resources} & NETWORK_TYPES
    assert "vnetConfiguration" not in rendered.one("azure-native:app:ManagedEnvironment").inputs
    registry = rendered.one("azure-native:containerregistry:Registry").inputs
    # azure-native's own defaults for a registry, unchanged by the network code.
    assert (registry["publicNetworkAccess"], registry["zoneRedundancy"]) == ("Enabled", "Disabled")
    assert rendered.one("azure-native:search:Service").inputs["publicNetworkAccess"] == "Enabled"


def test_an_existing_network_gets_endpoints_and_the_environment_but_no_vnet_or_subnets() -> None:
    vnet = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub"
    existing = {
        "vnetId": vnet,
        "appInfrastructureSubnetId": f"{vnet}/subnets/apps",
        "privateEndpointsSubnetId": f"{vnet}/subnets/pep",
    }
    settings = settings_for(
        environment="hub1", network={"enabled": True, "existing": existing}, registry={"sku": "Premium"}
    )
    rendered = render(settings, subscription_id=SUBSCRIPTION)
    kinds = {r.type for r in rendered.custom_resources}
    assert VNET not in kinds and SUBNET not in kinds
    assert {e.inputs["subnet"]["id"] for e in rendered.of_type(ENDPOINT)} == {f"{vnet}/subnets/pep"}
    assert {link.inputs["virtualNetwork"]["id"] for link in rendered.of_type(LINK)} == {vnet}
    environment = rendered.one("azure-native:app:ManagedEnvironment")
    assert environment.inputs["vnetConfiguration"]["infrastructureSubnetId"] == f"{vnet}/subnets/apps"
