"""Microsoft.Network rules (no HTTP): address prefixes, subnets, delegations, private-link
targets, the names and addresses a private endpoint gets, and who uses a subnet.

Codes and sources live in `infra.catalog.network`; texts are quoted from the same sources.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from infra.catalog import network as nc
from sandbox.core import ArmError, armid
from sandbox.core.state import SandboxState

NS = "Microsoft.Network"
VNET_TYPE = "Microsoft.Network/virtualNetworks"
SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
PE_TYPE = "Microsoft.Network/privateEndpoints"
ZONE_GROUP_TYPE = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups"
ZONE_TYPE = "Microsoft.Network/privateDnsZones"
LINK_TYPE = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
ENV_TYPE = "Microsoft.App/managedEnvironments"
Network = ipaddress.IPv4Network


def error(rule: tuple[int, str], message: str) -> ArmError:
    return ArmError(rule[0], rule[1], message)


# -- prefixes -----------------------------------------------------------------------------------
def parse_prefix(prefix: Any, owner: str) -> Network:
    """An IPv4 CIDR; a malformed one or one with host bits set is refused."""
    try:
        net = ipaddress.ip_network(str(prefix), strict=False)
    except ValueError as exc:
        # [unverified] text; the code is Network's for a malformed prefix (InvalidCIDRNotation row).
        raise error(
            nc.INVALID_CIDR, f"The address prefix {prefix} in resource {owner} is not a valid CIDR."
        ) from exc
    if not isinstance(net, ipaddress.IPv4Network):
        raise error(nc.INVALID_CIDR, f"The address prefix {prefix} in resource {owner} is not IPv4.")
    if str(net) != str(prefix):
        raise error(
            nc.INVALID_CIDR,
            f"The address prefix {prefix} in resource {owner} has an invalid CIDR notation. For the "
            f"given prefix length, the address prefix should be {net}.",
        )
    return net


def subnet_prefixes(props: dict[str, Any]) -> list[str]:
    """`addressPrefix` or `addressPrefixes` (the spec allows either)."""
    many = props.get("addressPrefixes") or []
    one = props.get("addressPrefix")
    return [str(p) for p in ([one] if one else []) + list(many)]


def check_subnet_shape(subnet_id: str, vnet: str, props: dict[str, Any]) -> list[Network]:
    name = subnet_id.rsplit("/", 1)[-1]
    given = subnet_prefixes(props)
    nets = [parse_prefix(p, subnet_id) for p in given]
    if not nets or any(
        not nc.LARGEST_SUBNET_PREFIX <= n.prefixlen <= nc.SMALLEST_SUBNET_PREFIX for n in nets
    ):
        # [unverified] text: Network's NetcfgInvalidSubnet wording.
        raise error(nc.INVALID_SUBNET, f"Subnet '{name}' is not valid in virtual network '{vnet}'.")
    check_delegations(subnet_id, props.get("delegations") or [])
    return nets


def check_layout(vnet: str, space: Iterable[Network], subnets: dict[str, list[Network]]) -> None:
    """Every subnet inside the address space; no two subnets overlap (MicrosoftDocs/azure-docs
    #123869 quotes both texts)."""
    space = list(space)
    seen: list[tuple[str, Network]] = []
    for name, nets in subnets.items():
        for net in nets:
            if not any(net.subnet_of(s) for s in space):
                raise error(
                    nc.SUBNET_OUTSIDE_VNET,
                    f"Subnet '{name}' is not valid because its IP address range is outside the IP "
                    f"address range of virtual network '{vnet}'.",
                )
            if any(other != name and net.overlaps(o) for other, o in seen):
                raise error(
                    nc.SUBNETS_OVERLAP,
                    f"Subnet '{name}' is not valid because its IP address range overlaps with that "
                    f"of an existing subnet in virtual network '{vnet}'.",
                )
            seen.append((name, net))


def check_delegations(subnet_id: str, delegations: list[dict[str, Any]]) -> None:
    for d in delegations:
        service = str((d.get("properties") or {}).get("serviceName") or "")
        if service.lower() not in {s.lower() for s in nc.DELEGATION_SERVICES}:
            raise error(
                nc.INVALID_DELEGATION,
                f"The service name {service} specified on delegation {subnet_id}/delegations/"
                f"{d.get('name')} is not valid. Valid value(s) are: {','.join(nc.DELEGATION_SERVICES)}.",
            )


def delegations(props: dict[str, Any]) -> list[str]:
    return sorted(str((d.get("properties") or {}).get("serviceName")) for d in props.get("delegations") or [])


# -- who uses a subnet --------------------------------------------------------------------------
def vnet_of(subnet_id: str) -> str:
    return subnet_id.rsplit("/subnets/", 1)[0]


def same(a: str, b: str) -> bool:
    return armid.key(a) == armid.key(b)


def subnet_users(state: SandboxState, subnet_id: str) -> list[str]:
    """Ids of what sits in the subnet: private endpoints' NIC ip configurations and Container Apps
    environments (their infrastructure subnet)."""
    users = [
        ip_configuration_id(pe)
        for pe in state.store.find(type=PE_TYPE)
        if same(str((pe["properties"].get("subnet") or {}).get("id") or ""), subnet_id)
    ]
    for env in state.store.find(type=ENV_TYPE):
        vnet_cfg = (env.get("properties") or {}).get("vnetConfiguration") or {}
        if same(str(vnet_cfg.get("infrastructureSubnetId") or ""), subnet_id):
            users.append(env["id"])
    return users


def in_use(subnet_id: str, users: list[str]) -> ArmError:
    """Src: Azure/bicep#13267 (text)."""
    name = subnet_id.rsplit("/", 1)[-1]
    return error(
        nc.SUBNET_IN_USE,
        f"Subnet {name} is in use by {users[0]} and cannot be deleted. In order to delete the "
        "subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
    )


def delegation_in_use(subnet_id: str, old: list[str], new: list[str], user: str) -> ArmError:
    """Src: MicrosoftDocs/azure-docs#39112 (text)."""
    return error(
        nc.DELEGATION_IN_USE,
        f"Delegations of subnet {subnet_id} cannot be changed from [{','.join(old)}] to "
        f"[{','.join(new)}] because it is being used by the resource {user}.",
    )


# -- private endpoints --------------------------------------------------------------------------
def nic_id(pe: dict[str, Any]) -> str:
    rid = armid.parse(pe["id"])
    return (
        f"/subscriptions/{rid.subscription}/resourceGroups/{rid.resource_group}/providers/"
        f"Microsoft.Network/networkInterfaces/{pe['name']}.nic.{pe['properties']['resourceGuid']}"
    )


def ip_configuration_id(pe: dict[str, Any]) -> str:
    return f"{nic_id(pe)}/ipConfigurations/privateEndpointIpConfig.{pe['properties']['resourceGuid']}"


def group_problem(pe_id: str, conn: dict[str, Any], target: dict[str, Any] | None) -> ArmError | None:
    """Why a private link service connection cannot be made, or None."""
    props = conn.get("properties") or {}
    conn_id = f"{pe_id}/privateLinkServiceConnections/{conn.get('name')}"
    groups = list(props.get("groupIds") or [])
    target_id = str(props.get("privateLinkServiceId") or "")
    if not groups:
        return error(
            nc.PE_MISSING_GROUP,
            f"Private link service connection {conn_id} is missing required parameter 'group Id'.",
        )
    if len(groups) > 1:
        return error(
            nc.PE_ONE_GROUP,
            f"Private link service connection {conn_id} has the following group Ids: "
            f"{', '.join(groups)}. Only one group Id is permitted when connecting to a first-party "
            f"resource ({target_id}).",
        )
    if target is None:
        # [unverified] text and code (INVALID_REFERENCE row).
        return error(
            nc.INVALID_REFERENCE,
            f"Resource {target_id} referenced by resource {pe_id} was not found. Please make sure "
            "that the referenced resource exists, and that both resources are in the same region.",
        )
    valid = nc.PRIVATE_LINK_GROUP_IDS.get(target["type"], ())
    if groups[0].lower() not in {g.lower() for g in valid}:
        # Src: Azure/azure-cli#16750 (Storage's wording, used for every target [unverified]).
        return error(
            nc.PE_INVALID_GROUP,
            f"Call to {target['type']} failed. Error message: Values for request parameters are "
            f"invalid: GroupId: {groups[0]}.",
        )
    return None


def canonical_group(target_type: str, group: str) -> str:
    return next(
        (g for g in nc.PRIVATE_LINK_GROUP_IDS.get(target_type, ()) if g.lower() == group.lower()), group
    )


def published_names(target: dict[str, Any], group: str) -> list[tuple[str, str]]:
    """(member, fqdn) pairs a private endpoint to `target`'s `group` publishes."""
    props = target.get("properties") or {}
    name = target["name"].lower()
    fields = {
        "name": name,
        "subdomain": str(props.get("customSubDomainName") or name).lower(),
        "region": str(target.get("location") or "").lower(),
        "id": str(props.get("workspaceId") or props.get("internalId") or name).lower(),
    }
    if target["type"] == "Microsoft.Storage/storageAccounts":
        return [(group, f"{name}.{group.replace('_', '-')}.{nc.STORAGE_SUFFIX}")]
    templates = nc.PRIVATE_LINK_FQDNS.get((target["type"], group), ())
    return [(m.format(**fields), f.format(**fields)) for m, f in templates]


def free_addresses(net: Network, used: set[str], count: int) -> list[str]:
    """The next `count` addresses after Azure's reserved head, skipping those in use."""
    out: list[str] = []
    last = net.num_addresses - nc.RESERVED_TAIL
    for i in range(nc.RESERVED_HEAD, last):
        ip = str(net[i])
        if ip not in used:
            out.append(ip)
            if len(out) == count:
                return out
    # [unverified] code and text: Network's answer when a subnet is full.
    raise ArmError(
        400, "SubnetIsFull", f"Subnet {net} does not have enough capacity for {count} IP addresses."
    )


def record_name(zone: str, fqdn: str) -> str | None:
    """The record a name gets in a `privatelink.` zone, or None when the zone is not its."""
    suffix = nc.ZONE_PUBLIC_SUFFIX.get(zone.lower()) or zone.lower().removeprefix("privatelink.")
    fqdn = fqdn.lower().rstrip(".")
    if not zone.lower().startswith("privatelink.") or not fqdn.endswith("." + suffix):
        return None
    return fqdn[: -len(suffix) - 1]


# -- Container Apps environments ----------------------------------------------------------------
def aca_network_invalid(detail: str) -> ArmError:
    """Src: microsoft/azure-container-apps#425, #786 (the "network configuration is invalid" texts)."""
    return error(nc.ACA_NETWORK_INVALID, f"The environment network configuration is invalid: {detail}")


def check_infrastructure_subnet(state: SandboxState, subnet_id: str, *, workload_profiles: bool) -> None:
    """The subnet exists, is big enough and is delegated as the environment's kind requires
    (MS Learn container-apps/custom-virtual-networks)."""
    subnet = state.store.get(subnet_id) if subnet_id else None
    if subnet is None:
        raise aca_network_invalid("The subnet and its addressPrefix could not be found.")
    props = subnet["properties"]
    size = min(ipaddress.ip_network(p).prefixlen for p in subnet_prefixes(props))
    needed = (
        nc.CONTAINER_APPS_SUBNET_MIN_PREFIX
        if workload_profiles
        else nc.CONTAINER_APPS_CONSUMPTION_SUBNET_MIN_PREFIX
    )
    if size > needed:
        # "/23" text quoted in #425; the /27 variant is the same sentence [unverified].
        raise aca_network_invalid(f"Provided subnet must have a size of at least /{needed}")
    delegated = [d.lower() for d in delegations(props)]
    if workload_profiles and nc.APP_SUBNET_DELEGATION.lower() not in delegated:
        # [unverified] text (ACA_SUBNET_NOT_DELEGATED row).
        raise error(
            nc.ACA_SUBNET_NOT_DELEGATED,
            f"The subnet {subnet_id} must be delegated to {nc.APP_SUBNET_DELEGATION} for an environment "
            "with workload profiles.",
        )
    if not workload_profiles and delegated:
        # [unverified] text (ACA_SUBNET_DELEGATED row).
        raise error(
            nc.ACA_SUBNET_DELEGATED,
            f"The subnet {subnet_id} is delegated; a Consumption-only environment needs a subnet "
            "without delegations.",
        )


def private_address(state: SandboxState, subnet_id: str, seed: str) -> str:
    """A stable private address for an internal environment's load balancer in its subnet."""
    subnet = state.store.get(subnet_id)
    if subnet is None:
        return ""
    net = ipaddress.ip_network(subnet_prefixes(subnet["properties"])[0])
    offset = sum(seed.encode()) % max(1, net.num_addresses - nc.RESERVED_HEAD - nc.RESERVED_TAIL)
    return str(net[nc.RESERVED_HEAD + offset])


# -- "inside the network" for the data planes ---------------------------------------------------
APP_TYPE = "Microsoft.App/containerApps"


def _app_subnets(state: SandboxState, mirid: str, oid: str) -> list[str]:
    """Infrastructure subnets of the environments whose apps run as this managed identity."""
    out = []
    for app in state.store.find(type=APP_TYPE):
        identity = app.get("identity") or {}
        uais = {armid.key(k) for k in identity.get("userAssignedIdentities") or {}}
        if armid.key(mirid) not in uais and (not oid or identity.get("principalId") != oid):
            continue
        env = state.store.get(str(app["properties"].get("managedEnvironmentId") or ""))
        subnet = (
            ((env or {}).get("properties") or {}).get("vnetConfiguration", {}).get("infrastructureSubnetId")
        )
        if subnet:
            out.append(str(subnet))
    return out


def privately_reachable(state: SandboxState, target_id: str, claims: dict[str, Any]) -> bool:
    """Whether a caller reaches `target_id` through a private endpoint: its token is a managed
    identity's (from the MSI endpoint, so code running in an app) whose app's environment sits in a
    VNet with an Approved private endpoint to the target (MS Learn private-link
    private-endpoint-overview: traffic from the VNet to the endpoint's IP reaches the resource)."""
    mirid = str(claims.get("xms_mirid") or "")
    if not mirid:
        return False
    vnets = {armid.key(vnet_of(s)) for s in _app_subnets(state, mirid, str(claims.get("oid") or ""))}
    for pe in state.store.find(type=PE_TYPE):
        subnet = str((pe["properties"].get("subnet") or {}).get("id") or "")
        if armid.key(vnet_of(subnet)) not in vnets:
            continue
        for conn in pe["properties"].get("privateLinkServiceConnections") or []:
            cprops = conn["properties"]
            approved = cprops["privateLinkServiceConnectionState"]["status"] == "Approved"
            if approved and same(cprops["privateLinkServiceId"], target_id):
                return True
    return False
