"""Microsoft.Network through the official azure-mgmt-network and azure-mgmt-privatedns clients.

Sources of each rule are in infra/catalog/network.py; the test names say which.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import (
    AddressSpace,
    Delegation,
    PrivateDnsZoneConfig,
    PrivateDnsZoneGroup,
    PrivateEndpoint,
    PrivateLinkServiceConnection,
    Subnet,
    VirtualNetwork,
)
from azure.mgmt.privatedns import PrivateDnsManagementClient
from azure.mgmt.privatedns.models import PrivateZone, SubResource, VirtualNetworkLink
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.search import SearchManagementClient
from azure.mgmt.search.models import SearchService, Sku

SUB = "/subscriptions/{sub}/resourceGroups/rg/providers"


@pytest.fixture
def net(arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    return arm(NetworkManagementClient)


@pytest.fixture
def dns(arm, net):
    return arm(PrivateDnsManagementClient)


def _vnet(net, subnets=None, space="10.0.0.0/16"):
    if subnets is None:
        subnets = [_sn("apps", "10.0.0.0/23", _aca()), _sn("endpoints", "10.0.2.0/24")]
    body = VirtualNetwork(
        location="eastus", address_space=AddressSpace(address_prefixes=[space]), subnets=subnets
    )
    return net.virtual_networks.begin_create_or_update("rg", "vnet", body).result()


def _sn(name, prefix, *delegations):
    return Subnet(name=name, address_prefix=prefix, delegations=list(delegations) or None)


def _link(vnet_id):
    return VirtualNetworkLink(
        location="global", virtual_network=SubResource(id=vnet_id), registration_enabled=False
    )


def _group(name, zone_id):
    return PrivateDnsZoneGroup(
        private_dns_zone_configs=[PrivateDnsZoneConfig(name=name, private_dns_zone_id=zone_id)]
    )


def _aca():
    return Delegation(name="aca", service_name="Microsoft.App/environments")


def _search(arm, name="srch1"):
    mgmt = arm(SearchManagementClient)
    return mgmt.services.begin_create_or_update(
        "rg", name, SearchService(location="eastus", sku=Sku(name="basic"))
    ).result()


def _endpoint(net, target_id, group="searchService", subnet="endpoints", name="pe-search"):
    vnet = net.virtual_networks.get("rg", "vnet")
    subnet_id = f"{vnet.id}/subnets/{subnet}"
    conn = PrivateLinkServiceConnection(
        name="conn", private_link_service_id=target_id, group_ids=[group] if group else None
    )
    body = PrivateEndpoint(
        location="eastus", subnet=Subnet(id=subnet_id), private_link_service_connections=[conn]
    )
    return net.private_endpoints.begin_create_or_update("rg", name, body).result()


def _error(call):
    with pytest.raises(HttpResponseError) as exc:
        call()
    return exc.value


# -- virtual networks and subnets ---------------------------------------------------------------
def test_vnet_with_inline_subnets_and_delegation_round_trips(net):
    vnet = _vnet(net)
    assert vnet.provisioning_state == "Succeeded"
    assert sorted(s.name for s in vnet.subnets) == ["apps", "endpoints"]
    apps = net.subnets.get("rg", "vnet", "apps")
    assert apps.address_prefix == "10.0.0.0/23"
    assert apps.delegations[0].service_name == "Microsoft.App/environments"
    assert [s.name for s in net.subnets.list("rg", "vnet")] == ["apps", "endpoints"]


def test_subnet_outside_the_space_is_NetcfgSubnetRangeOutsideVnet_azure_docs_123869(net):
    err = _error(lambda: _vnet(net, [_sn("far", "10.1.0.0/24")]))
    assert (err.status_code, err.error.code) == (400, "NetcfgSubnetRangeOutsideVnet")
    assert "Subnet 'far' is not valid because its IP address range is outside" in err.message


def test_overlapping_child_subnet_is_NetcfgSubnetRangesOverlap_azure_docs_123869(net):
    _vnet(net)
    err = _error(
        lambda: net.subnets.begin_create_or_update(
            "rg", "vnet", "more", Subnet(address_prefix="10.0.2.128/25")
        )
    )
    assert (err.status_code, err.error.code) == (400, "NetcfgSubnetRangesOverlap")
    assert "overlaps with that of an existing subnet in virtual network 'vnet'" in err.message


def test_prefix_with_host_bits_and_too_small_subnet_are_refused(net):
    bad = _error(lambda: _vnet(net, [_sn("x", "10.0.0.1/24")]))
    assert bad.error.code == "InvalidCIDRNotation" and "should be 10.0.0.0/24" in bad.message
    tiny = _error(lambda: _vnet(net, [_sn("x", "10.0.0.0/30")]))
    assert tiny.error.code == "NetcfgInvalidSubnet"


def test_unknown_delegation_is_InvalidServiceNameOnDelegation_upjet_azure_342(net):
    err = _error(
        lambda: _vnet(
            net,
            [_sn("x", "10.0.0.0/24", Delegation(name="d", service_name="Microsoft.Nope/things"))],
        )
    )
    assert err.error.code == "InvalidServiceNameOnDelegation"


# -- private endpoints --------------------------------------------------------------------------
def test_private_endpoint_is_auto_approved_and_shows_on_the_search_service(net, arm):
    _vnet(net)
    svc = _search(arm)
    pe = _endpoint(net, svc.id)
    conn = pe.private_link_service_connections[0]
    assert conn.private_link_service_connection_state.status == "Approved"
    assert conn.group_ids == ["searchService"]
    assert pe.network_interfaces[0].id.split("/")[-1].startswith("pe-search.nic.")
    assert [(c.fqdn, c.ip_addresses) for c in pe.custom_dns_configs] == [
        ("srch1.search.windows.net", ["10.0.2.4"])
    ]
    shown = arm(SearchManagementClient).services.get("rg", "srch1").private_endpoint_connections
    assert [c.properties.private_endpoint.id for c in shown] == [pe.id]
    assert shown[0].properties.private_link_service_connection_state.status == "Approved"
    subnet = net.subnets.get("rg", "vnet", "endpoints")
    assert [p.id for p in subnet.private_endpoints] == [pe.id]


def test_group_id_must_fit_the_target_type_private_endpoint_overview(net, arm):
    _vnet(net)
    svc = _search(arm)
    err = _error(lambda: _endpoint(net, svc.id, group="blob"))
    assert (err.error.code, err.status_code) == ("InvalidValuesForRequestParameters", 400)
    assert "GroupId: blob" in err.message


def test_missing_target_and_missing_group_are_refused_azure_cli_15136(net):
    _vnet(net)
    missing = _error(
        lambda: _endpoint(
            net, "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Search/searchServices/nope"
        )
    )
    assert missing.error.code == "InvalidResourceReference"
    nogroup = _error(lambda: _endpoint(net, "/x", group=None))
    assert nogroup.error.code == "MissingParameterOnPrivateLinkServiceConnection"


def test_endpoint_in_a_delegated_subnet_is_refused_azure_docs_47048(net, arm):
    _vnet(net)
    svc = _search(arm)
    err = _error(lambda: _endpoint(net, svc.id, subnet="apps"))
    assert err.error.code == "PrivateEndpointCannotBeCreatedInSubnetThatHasDelegations"


def test_used_subnet_cannot_be_deleted_nor_dropped_from_the_vnet_bicep_13267(net, arm):
    _vnet(net)
    pe = _endpoint(net, _search(arm).id)
    err = _error(lambda: net.subnets.begin_delete("rg", "vnet", "endpoints").result())
    assert (err.status_code, err.error.code) == (400, "InUseSubnetCannotBeDeleted")
    assert f"is in use by {pe.network_interfaces[0].id}/ipConfigurations/" in err.message
    dropped = _error(lambda: _vnet(net, [_sn("apps", "10.0.0.0/23")]))
    assert dropped.error.code == "InUseSubnetCannotBeDeleted"
    whole = _error(lambda: net.virtual_networks.begin_delete("rg", "vnet").result())
    assert whole.error.code == "InUseSubnetCannotBeDeleted"
    net.private_endpoints.begin_delete("rg", "pe-search").result()
    net.subnets.begin_delete("rg", "vnet", "endpoints").result()
    assert [s.name for s in net.subnets.list("rg", "vnet")] == ["apps"]


# -- private DNS ---------------------------------------------------------------------------------
def _zone(dns, name="privatelink.search.windows.net"):
    return dns.private_zones.begin_create_or_update("rg", name, PrivateZone(location="global")).result()


def test_zone_is_global_and_a_regional_location_is_refused(dns):
    zone = _zone(dns)
    assert (zone.location, zone.number_of_record_sets, zone.max_number_of_record_sets) == ("global", 1, 25000)
    err = _error(
        lambda: dns.private_zones.begin_create_or_update("rg", "z.example", PrivateZone(location="eastus"))
    )
    assert err.error.code == "LocationNotAvailableForResourceType"


def test_zone_group_writes_a_records_and_removing_the_endpoint_clears_them(net, dns, arm):
    vnet = _vnet(net)
    zone = _zone(dns)
    link = dns.virtual_network_links.begin_create_or_update(
        "rg",
        zone.name,
        "link",
        _link(vnet.id),
    ).result()
    assert (link.virtual_network_link_state, link.provisioning_state) == ("Completed", "Succeeded")
    pe = _endpoint(net, _search(arm).id)
    group = net.private_dns_zone_groups.begin_create_or_update(
        "rg",
        pe.name,
        "default",
        _group("search", zone.id),
    ).result()
    assert group.private_dns_zone_configs[0].record_sets[0].fqdn == "srch1.privatelink.search.windows.net"
    records = list(dns.record_sets.list_by_type("rg", zone.name, "A"))
    assert [(r.name, [a.ipv4_address for a in r.a_records]) for r in records] == [("srch1", ["10.0.2.4"])]
    net.private_endpoints.begin_delete("rg", pe.name).result()
    assert list(dns.record_sets.list_by_type("rg", zone.name, "A")) == []


def test_zone_group_with_a_missing_zone_is_InvalidPrivateDnsZoneIds_missionlz_1029(net, arm):
    _vnet(net)
    pe = _endpoint(net, _search(arm).id)
    missing = (
        "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.nope"
    )
    err = _error(
        lambda: net.private_dns_zone_groups.begin_create_or_update(
            "rg",
            pe.name,
            "default",
            _group("z", missing),
        )
    )
    assert err.error.code == "InvalidPrivateDnsZoneIds"


def test_zone_with_links_cannot_be_deleted_networking_lab_8(net, dns):
    vnet = _vnet(net)
    zone = _zone(dns)
    dns.virtual_network_links.begin_create_or_update("rg", zone.name, "link", _link(vnet.id)).result()
    err = _error(lambda: dns.private_zones.begin_delete("rg", zone.name).result())
    assert (err.status_code, err.error.code) == (409, "CannotDeleteResource")
    assert "virtualNetworkLinks/link" in err.message
    dns.virtual_network_links.begin_delete("rg", zone.name, "link").result()
    dns.private_zones.begin_delete("rg", zone.name).result()
    assert list(dns.private_zones.list_by_resource_group("rg")) == []


def test_link_needs_an_existing_vnet(dns):
    zone = _zone(dns)
    missing = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/nope"
    err = _error(
        lambda: dns.virtual_network_links.begin_create_or_update("rg", zone.name, "l", _link(missing))
    )
    assert err.status_code == 400


def test_group_delete_removes_endpoints_links_and_zones_in_dependency_order(net, dns, arm, sandbox):
    vnet = _vnet(net)
    zone = _zone(dns)
    dns.virtual_network_links.begin_create_or_update("rg", zone.name, "link", _link(vnet.id)).result()
    pe = _endpoint(net, _search(arm).id)
    net.private_dns_zone_groups.begin_create_or_update(
        "rg",
        pe.name,
        "default",
        _group("search", zone.id),
    ).result()
    arm(ResourceManagementClient).resource_groups.begin_delete("rg").result()
    assert sandbox.state.store.find(within=vnet.id.split("/providers/")[0]) == []


# -- Container Apps environments on a subnet -----------------------------------------------------
def _env(arm, subnet_id, *, internal=False, workload_profiles=False, name="env"):
    props = {"vnetConfiguration": {"infrastructureSubnetId": subnet_id, "internal": internal}}
    if workload_profiles:
        props["workloadProfiles"] = [{"name": "Consumption", "workloadProfileType": "Consumption"}]
    body = {"location": "eastus", "properties": props}
    return arm(ContainerAppsAPIClient).managed_environments.begin_create_or_update("rg", name, body).result()


def test_environment_subnet_must_exist_container_apps_786(net, arm):
    vnet = _vnet(net)
    err = _error(lambda: _env(arm, f"{vnet.id}/subnets/nope"))
    assert (err.status_code, err.error.code) == (400, "ManagedEnvironmentInvalidNetworkConfiguration")
    assert err.message.endswith("The subnet and its addressPrefix could not be found.")


def test_consumption_only_environment_needs_a_23_without_delegation_container_apps_425(net, arm):
    vnet = _vnet(net, [_sn("small", "10.0.0.0/24"), _sn("apps", "10.0.2.0/23", _aca())])
    small = _error(lambda: _env(arm, f"{vnet.id}/subnets/small"))
    assert small.error.code == "ManagedEnvironmentInvalidNetworkConfiguration"
    assert "Provided subnet must have a size of at least /23" in small.message
    delegated = _error(lambda: _env(arm, f"{vnet.id}/subnets/apps"))
    assert delegated.error.code == "ManagedEnvironmentSubnetIsDelegated"


def test_workload_profile_environment_needs_a_delegated_27_custom_virtual_networks(net, arm):
    vnet = _vnet(net, [_sn("plain", "10.0.0.0/27"), _sn("apps", "10.0.1.0/27", _aca())])
    err = _error(lambda: _env(arm, f"{vnet.id}/subnets/plain", workload_profiles=True))
    assert err.error.code == "ManagedEnvironmentSubnetDelegationError"
    env = _env(arm, f"{vnet.id}/subnets/apps", workload_profiles=True, internal=True)
    assert env.provisioning_state == "Succeeded"
    assert env.static_ip.startswith("10.0.1.")
    used = _error(lambda: net.subnets.begin_delete("rg", "vnet", "apps").result())
    assert used.error.code == "InUseSubnetCannotBeDeleted" and env.id in used.message
