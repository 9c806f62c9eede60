"""`opsctl status` on a private stack: per service, its private endpoint's connection state and its
DNS (zone group present, each zone linked to the VNet, an A record in it with the endpoint's IP).

A connection that is not Approved carries no traffic (learn.microsoft.com/azure/private-link/
manage-private-endpoint: Pending waits for the resource owner, Rejected is refused), and a name
without its record in a linked zone resolves to the public address, which refuses callers once
public access is off. Each problem says what fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.catalog.network import (
    CORE_PRIVATE_LINK_SERVICES,
    ML_PRIVATE_LINK_SERVICES,
    PRIVATE_LINK,
    resource_of,
)
from infra.naming import network_names
from opsctl.arm_errors import unless_missing
from opsctl.environment import Environment
from opsctl.target import Target

APPROVED = "Approved"


@dataclass(frozen=True)
class PrivateAccess:
    """One service's private path as Azure reports it; `problems` empty means healthy."""

    service: str
    endpoint: str
    connection: str | None
    addresses: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def health(self) -> str:
        return "ok" if not self.problems else "failed"


def services(env: Environment) -> tuple[str, ...]:
    """The services with an endpoint on this stack (none when private networking is off)."""
    if not env.settings.private_network:
        return ()
    return (*CORE_PRIVATE_LINK_SERVICES, *(ML_PRIVATE_LINK_SERVICES if env.settings.ml.enabled else ()))


def connection_problem(status: str | None, endpoint: str, fix: str) -> str | None:
    """Why a connection state carries no traffic, and what to do; None when Approved."""
    if status == APPROVED:
        return None
    if status == "Pending":
        return (
            f"connection of {endpoint} is Pending: the service's owner must approve it "
            "(the service's private endpoint connections)"
        )
    if status == "Rejected":
        return (
            f"connection of {endpoint} was Rejected by the service's owner: approve it there, "
            f"or delete {endpoint} and run `{fix}`"
        )
    return f"connection of {endpoint} is {status or 'unknown'}: run `{fix}`"


def read_private_access(env: Environment, target: Target) -> list[PrivateAccess]:
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.privatedns import PrivateDnsManagementClient

    network: Any = target.client(NetworkManagementClient)
    dns: Any = target.client(PrivateDnsManagementClient)
    return [_service(env, network, dns, service) for service in services(env)]


def _vnet_id(env: Environment) -> str:
    existing = env.settings.network.existing
    if existing is not None:
        return existing.vnet_id
    vnet = network_names(env.settings.environment).vnet
    return f"{env.resource_group_id}/providers/Microsoft.Network/virtualNetworks/{vnet}"


def _service(env: Environment, network: Any, dns: Any, service: str) -> PrivateAccess:
    link = PRIVATE_LINK[service]
    group, fix = env.resource_group, f"opsctl up --stack {env.stack}"
    resource_name = getattr(env.names, resource_of(service))
    name = network_names(env.settings.environment).endpoint(resource_name, link.group_id)
    endpoint = unless_missing(
        f"reading private endpoint {name}", lambda: network.private_endpoints.get(group, name)
    )
    if endpoint is None:
        return PrivateAccess(service, name, None, (), (f"private endpoint {name} is missing: run `{fix}`",))
    connections = [
        *(endpoint.private_link_service_connections or []),
        *(endpoint.manual_private_link_service_connections or []),
    ]
    states = [c.private_link_service_connection_state for c in connections]
    status = states[0].status if states and states[0] else None
    addresses = tuple(ip for cfg in endpoint.custom_dns_configs or [] for ip in cfg.ip_addresses or [])
    problems = [p for p in [connection_problem(status, name, fix)] if p]
    zone_groups = unless_missing(
        f"reading DNS zone groups of {name}", lambda: list(network.private_dns_zone_groups.list(name, group))
    )
    if not zone_groups:
        problems.append(f"{name} has no DNS zone group, so no records are written: run `{fix}`")
    problems += [p for zone in link.zones if (p := _zone_problem(env, dns, zone, addresses, fix))]
    return PrivateAccess(service, name, status, addresses, tuple(problems))


def _zone_problem(env: Environment, dns: Any, zone: str, addresses: tuple[str, ...], fix: str) -> str | None:
    group, vnet = env.resource_group, _vnet_id(env)
    links = unless_missing(
        f"reading links of {zone}", lambda: list(dns.virtual_network_links.list(group, zone))
    )
    if links is None:
        return f"private DNS zone {zone} is missing: run `{fix}`"
    if not any((k.virtual_network.id or "").lower() == vnet.lower() for k in links if k.virtual_network):
        vnet_name = vnet.rsplit("/", 1)[-1]
        return (
            f"zone {zone} is not linked to {vnet_name}, so the network resolves public addresses: run `{fix}`"
        )
    records = unless_missing(
        f"reading A records of {zone}", lambda: list(dns.record_sets.list_by_type(group, zone, "A"))
    )
    found = {r.ipv4_address for rs in records or [] for r in rs.a_records or []}
    if not found & set(addresses):
        ips = ", ".join(addresses) or "the endpoint"
        return f"zone {zone} has no A record for {ips}: run `{fix}` (it re-creates the zone group)"
    return None
