"""Private networking: the virtual network and its two subnets, private DNS zones linked to it, and
one private endpoint (with its DNS zone group) per service.

Group ids and zone names come from infra.catalog.network. Every endpoint depends on its service, so
it is created after it and deleted before it; zone groups wait for their zones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.network as network
import pulumi_azure_native.privatedns as privatedns

from infra.catalog.network import APP_SUBNET_DELEGATION, PRIVATE_LINK, private_dns_zones
from infra.components.common import Placement, child_options, type_token
from infra.naming import NetworkNames
from infra.settings import NetworkSettings

# Private DNS zones and their virtual network links are global resources (Microsoft.Network/
# privateDnsZones, location "global" in the spec examples).
GLOBAL = "global"
ZONE_GROUP_NAME = "default"


@dataclass(frozen=True)
class VirtualNetworkArgs:
    names: NetworkNames
    placement: Placement
    settings: NetworkSettings


class VirtualNetwork(pulumi.ComponentResource):
    """The stack's own VNet and subnets, or the ids of an existing one (then nothing is created).

    Subnets of one VNet are written one at a time (Azure answers AnotherOperationInProgress to
    parallel subnet writes), so the endpoint subnet waits for the app subnet.
    """

    def __init__(self, name: str, args: VirtualNetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("VirtualNetwork"), name, None, opts)
        cfg, where, names = args.settings, args.placement, args.names
        self.vnet: network.VirtualNetwork | None = None
        if cfg.existing is not None:
            self.id: pulumi.Output[str] = pulumi.Output.from_input(cfg.existing.vnet_id)
            self.app_subnet_id: pulumi.Output[str] = pulumi.Output.from_input(
                cfg.existing.app_infrastructure_subnet_id
            )
            self.endpoint_subnet_id: pulumi.Output[str] = pulumi.Output.from_input(
                cfg.existing.private_endpoints_subnet_id
            )
        else:
            self.vnet = network.VirtualNetwork(
                name,
                virtual_network_name=names.vnet,
                resource_group_name=where.resource_group_name,
                location=where.location,
                address_space={"address_prefixes": [cfg.address_space]},
                tags=dict(where.tags),
                opts=child_options(self, ignore_changes=["subnets"]),
            )
            app = network.Subnet(
                f"{name}-apps",
                subnet_name=names.app_subnet,
                virtual_network_name=self.vnet.name,
                resource_group_name=where.resource_group_name,
                address_prefix=cfg.subnets.app_infrastructure,
                delegations=[{"name": "containerapps", "service_name": APP_SUBNET_DELEGATION}],
                opts=child_options(self),
            )
            endpoints = network.Subnet(
                f"{name}-pep",
                subnet_name=names.endpoint_subnet,
                virtual_network_name=self.vnet.name,
                resource_group_name=where.resource_group_name,
                address_prefix=cfg.subnets.private_endpoints,
                opts=child_options(self, depends_on=[app]),
            )
            self.id = self.vnet.id
            self.app_subnet_id = app.id.apply(_present)
            self.endpoint_subnet_id = endpoints.id.apply(_present)
        self.register_outputs(
            {"id": self.id, "appSubnetId": self.app_subnet_id, "endpointSubnetId": self.endpoint_subnet_id}
        )


def _present(value: str | None) -> str:
    if not value:
        raise ValueError("subnet returned no id")
    return value


@dataclass(frozen=True)
class EndpointTarget:
    """One service to reach privately: its catalog key, Azure name and resource (id, dependency)."""

    service: str
    resource_name: str
    resource_id: pulumi.Input[str]
    after: Sequence[pulumi.Resource]


@dataclass(frozen=True)
class PrivateEndpointsArgs:
    names: NetworkNames
    placement: Placement
    vnet_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    targets: Sequence[EndpointTarget]


class PrivateEndpoints(pulumi.ComponentResource):
    """Zones (each once, linked to the VNet), then per service an endpoint and its zone group."""

    def __init__(self, name: str, args: PrivateEndpointsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("PrivateEndpoints"), name, None, opts)
        where = args.placement
        services = tuple(t.service for t in args.targets)
        self.zones: dict[str, privatedns.PrivateZone] = {}
        self.links: dict[str, privatedns.VirtualNetworkLink] = {}
        for zone in private_dns_zones(services):
            self.zones[zone], self.links[zone] = self._zone(zone, args)
        self.endpoints: dict[str, network.PrivateEndpoint] = {}
        self.zone_groups: dict[str, network.PrivateDnsZoneGroup] = {}
        for target in args.targets:
            endpoint = self._endpoint(target, args)
            self.endpoints[target.service] = endpoint
            self.zone_groups[target.service] = self._zone_group(target, endpoint, where)
        self.register_outputs(
            {
                "endpoints": {k: e.id for k, e in self.endpoints.items()},
                "zones": {k: z.id for k, z in self.zones.items()},
            }
        )

    def _zone(
        self, zone: str, args: PrivateEndpointsArgs
    ) -> tuple[privatedns.PrivateZone, privatedns.VirtualNetworkLink]:
        where = args.placement
        created = privatedns.PrivateZone(
            f"zone-{zone}",
            private_zone_name=zone,
            resource_group_name=where.resource_group_name,
            location=GLOBAL,
            tags=dict(where.tags),
            opts=child_options(self),
        )
        link = privatedns.VirtualNetworkLink(
            f"link-{zone}",
            virtual_network_link_name=args.names.zone_link,
            private_zone_name=created.name,
            resource_group_name=where.resource_group_name,
            location=GLOBAL,
            virtual_network={"id": args.vnet_id},
            registration_enabled=False,
            tags=dict(where.tags),
            opts=child_options(self),
        )
        return created, link

    def _endpoint(self, target: EndpointTarget, args: PrivateEndpointsArgs) -> network.PrivateEndpoint:
        where = args.placement
        link = PRIVATE_LINK[target.service]
        name = args.names.endpoint(target.resource_name, link.group_id)
        return network.PrivateEndpoint(
            f"pep-{target.service}",
            private_endpoint_name=name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            subnet={"id": args.subnet_id},
            private_link_service_connections=[
                {"name": name, "private_link_service_id": target.resource_id, "group_ids": [link.group_id]}
            ],
            tags=dict(where.tags),
            opts=child_options(self, depends_on=target.after),
        )

    def _zone_group(
        self, target: EndpointTarget, endpoint: network.PrivateEndpoint, where: Placement
    ) -> network.PrivateDnsZoneGroup:
        zones = PRIVATE_LINK[target.service].zones
        return network.PrivateDnsZoneGroup(
            f"pep-{target.service}-zones",
            private_dns_zone_group_name=ZONE_GROUP_NAME,
            private_endpoint_name=endpoint.name,
            resource_group_name=where.resource_group_name,
            private_dns_zone_configs=[
                {"name": zone.replace(".", "-"), "private_dns_zone_id": self.zones[zone].id} for zone in zones
            ],
            opts=child_options(self, depends_on=[self.links[z] for z in zones]),
        )


def endpoint_targets(
    services: Mapping[str, tuple[str, pulumi.Input[str], Sequence[pulumi.Resource]]],
) -> list[EndpointTarget]:
    """Targets from {service key: (Azure name, id, what to wait for)}, in catalog order."""
    return [
        EndpointTarget(key, name, resource_id, list(after))
        for key in PRIVATE_LINK
        if key in services
        for name, resource_id, after in [services[key]]
    ]
