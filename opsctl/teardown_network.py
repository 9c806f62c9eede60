"""Teardown's network step: private endpoints (their DNS zone groups first) and the private DNS
zones' virtual network links are deleted before any resource group.

Azure refuses to delete a subnet a private endpoint uses (InUseSubnetCannotBeDeleted) and a zone
that still has virtual network links (CannotDeleteResource; codes and sources in
infra/catalog/network.py). A group delete orders what is inside one group, but a stack's pieces can
span groups (an existing VNet named by `ragstack:network.existing`), and an interrupted teardown
must resume in any order: with endpoints and links gone first, no later delete is blocked.
Only pieces whose own tags prove they are this environment's are deleted here; anything else in an
owned group is left to the group delete, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.tags import MANAGED_BY, PROJECT
from opsctl.arm_errors import arm_errors, unless_missing
from opsctl.target import Target
from opsctl.waiting import Progress

# Resource types (lower case, as a group's listing is compared) that send teardown looking here.
NETWORK_TYPES = frozenset({"microsoft.network/privateendpoints", "microsoft.network/privatednszones"})
ENDPOINT = "private endpoint"
LINK = "virtual network link"


@dataclass(frozen=True)
class NetworkPiece:
    """A private endpoint, or a link of a private DNS zone (`zone` set) to a virtual network."""

    kind: str
    name: str
    resource_group: str
    zone: str = ""
    tags: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return f"{self.zone}/{self.name}" if self.zone else self.name


def owned_by(tags: Mapping[str, str], environment: str) -> bool:
    """The piece's own tags name this project, tool and environment (ARM tag names ignore case)."""
    lowered = {k.lower(): v for k, v in tags.items()}
    expected = {"project": PROJECT, "managed-by": MANAGED_BY, "environment": environment}
    return all(lowered.get(k) == v for k, v in expected.items())


def _clients(target: Target) -> tuple[Any, Any]:
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.privatedns import PrivateDnsManagementClient

    return target.client(NetworkManagementClient), target.client(PrivateDnsManagementClient)


def find_network(target: Target, group: str, environment: str) -> list[NetworkPiece]:
    """This environment's endpoints, then its zones' links, in `group` (tag-proven only)."""
    network, dns = _clients(target)
    with arm_errors(f"listing private endpoints of {group}"):
        endpoints = list(network.private_endpoints.list(group))
    with arm_errors(f"listing private DNS zones of {group}"):
        zones = list(dns.private_zones.list_by_resource_group(group))
    found = [NetworkPiece(ENDPOINT, e.name, group, tags=dict(e.tags or {})) for e in endpoints]
    for zone in zones:
        with arm_errors(f"listing virtual network links of {zone.name}"):
            links = list(dns.virtual_network_links.list(group, zone.name))
        found += [NetworkPiece(LINK, k.name, group, zone.name, dict(k.tags or {})) for k in links]
    return [piece for piece in found if owned_by(piece.tags, environment)]


def delete_network(
    target: Target, pieces: list[NetworkPiece], environment: str, progress: Progress
) -> list[str]:
    """Delete the endpoints (each after its zone groups), then the links; what was done, in order.
    A piece already gone (an interrupted run) counts as done."""
    network, dns = _clients(target)
    done: list[str] = []
    for piece in pieces:
        progress(f"{environment}: deleting {piece.kind} {piece.label}")
        if piece.kind == ENDPOINT:
            _delete_endpoint(network, piece)
        else:
            _delete_link(dns, piece)
        done.append(f"deleted {piece.kind} {piece.label}")
    return done


def _delete_endpoint(network: Any, piece: NetworkPiece) -> None:
    groups = unless_missing(
        f"listing DNS zone groups of {piece.name}",
        lambda: list(network.private_dns_zone_groups.list(piece.name, piece.resource_group)),
    )
    for zone_group in groups or []:
        _delete_zone_group(network, piece, zone_group.name)
    unless_missing(
        f"deleting {ENDPOINT} {piece.name}",
        lambda: network.private_endpoints.begin_delete(piece.resource_group, piece.name).result(),
    )


def _delete_link(dns: Any, piece: NetworkPiece) -> None:
    unless_missing(
        f"deleting {LINK} {piece.label}",
        lambda: dns.virtual_network_links.begin_delete(piece.resource_group, piece.zone, piece.name).result(),
    )


def _delete_zone_group(network: Any, piece: NetworkPiece, name: str) -> None:
    """The endpoint's zone group first: its A records leave the zones with it."""
    unless_missing(
        f"deleting DNS zone group {piece.name}/{name}",
        lambda: network.private_dns_zone_groups.begin_delete(piece.resource_group, piece.name, name).result(),
    )
