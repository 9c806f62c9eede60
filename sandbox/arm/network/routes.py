"""Microsoft.Network: virtual networks, subnets, private endpoints and their DNS zone groups
(`NetworkManagementClient`, api 2026-03-01). Private DNS zones are in `dns.py`.

Decisions and sources (rules and codes in `models` and `infra.catalog.network`):
- PUT answers 201 (200 on update) with `provisioningState: Updating` and an
  `Azure-AsyncOperation` monitor, then `Succeeded` (Network's specs: VirtualNetworkCreate.json and
  friends answer 200/201 with Azure-AsyncOperation).
- DELETE is refused synchronously while something uses the resource (InUseSubnetCannotBeDeleted
  is a 400 on the DELETE itself, cluster-api-provider-azure#172); otherwise it completes at once
  with 200 (Azure answers 202 and polls; the SDK's `begin_delete` accepts both).
- Subnets are child resources; a VNet PUT's `subnets` is the whole set (a subnet left out is
  deleted, refused when in use: Azure/bicep#13267, hashicorp/terraform#16093).
- A private endpoint's network interface is reported by id only (no NIC resource is stored).
"""

from __future__ import annotations

import copy
import ipaddress
import uuid
from typing import Any

from infra.catalog import network as nc
from sandbox.arm.network import models as m
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.rbac import Access, permits
from sandbox.core.resource import cascade_delete, put_tags, require_location, system_data
from sandbox.core.state import SandboxState

provider = Provider(m.NS)

RG = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
VNETS = RG + "/virtualNetworks"
SUBNETS = VNETS + "/{vnet}/subnets"
PES = RG + "/privateEndpoints"
GROUPS = PES + "/{pe}/privateDnsZoneGroups"
WRITE_SECONDS = 10.0  # simulated
PE_SECONDS = 60.0
RETRY_AFTER = 10


# -- shared -------------------------------------------------------------------------------------
def etag() -> str:
    return f'W/"{uuid.uuid4()}"'


def start_write(
    req: ArmRequest, doc: dict[str, Any], existed: bool, seconds: float = WRITE_SECONDS
) -> ArmResponse:
    """Store `doc` as Updating and answer 200/201 with the Azure-AsyncOperation monitor."""
    doc["properties"]["provisioningState"] = "Updating"
    doc["etag"] = etag()
    req.state.store.put(doc, created=req.now())
    rid = armid.parse(doc["id"])
    op = req.state.lro.start(
        req,
        style="aao",
        completion="network_written",
        duration=seconds,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"/subscriptions/{rid.subscription}/providers/Microsoft.Network/locations/"
        f"{doc.get('location') or 'global'}/operations/{uuid.uuid4()}",
        retry_after=RETRY_AFTER,
        location=doc.get("location"),
    )
    return ArmResponse(200 if existed else 201, view(req.state, doc), req.state.lro.headers(req, op))


@provider.completion("network_written")
def _written(state: SandboxState, op: Operation) -> None:
    for doc in state.store.find(within=op.resource_id):
        if doc["properties"].get("provisioningState") == "Updating":
            doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
            state.store.put(doc)


def view(state: SandboxState, doc: dict[str, Any]) -> dict[str, Any]:
    """A resource as GET shows it: VNets with their subnets, subnets with their users."""
    if doc["type"] == m.VNET_TYPE:
        out = copy.deepcopy(doc)
        out["properties"]["subnets"] = [view(state, s) for s in _subnets(state, doc["id"])]
        return out
    if doc["type"] == m.SUBNET_TYPE:
        out = copy.deepcopy(doc)
        pes = [pe for pe in state.store.find(type=m.PE_TYPE) if m.same(_subnet_of(pe), doc["id"])]
        out["properties"]["privateEndpoints"] = [{"id": pe["id"]} for pe in pes]
        out["properties"]["ipConfigurations"] = [{"id": m.ip_configuration_id(pe)} for pe in pes]
        return out
    return doc


def _subnets(state: SandboxState, vnet_id: str) -> list[dict[str, Any]]:
    return [d for d in state.store.find(within=vnet_id) if d["type"] == m.SUBNET_TYPE]


def _subnet_of(pe: dict[str, Any]) -> str:
    return str((pe["properties"].get("subnet") or {}).get("id") or "")


def _found(req: ArmRequest, rtype: str, rid: str | None = None) -> dict[str, Any]:
    doc = req.state.store.get(rid or req.canonical_path)
    if doc is None:
        parsed = armid.parse(rid or req.canonical_path)
        raise resource_not_found(rtype, parsed.name or "", parsed.resource_group)
    return doc


# -- virtual networks ---------------------------------------------------------------------------
def _subnet_doc(vnet_id: str, name: str, props: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    keep = {
        k: v
        for k, v in props.items()
        if k not in ("privateEndpoints", "ipConfigurations", "provisioningState")
    }
    delegations = [
        {
            **d,
            "id": f"{vnet_id}/subnets/{name}/delegations/{d.get('name')}",
            "type": "Microsoft.Network/virtualNetworks/subnets/delegations",
            "properties": {**(d.get("properties") or {}), "provisioningState": "Succeeded"},
        }
        for d in keep.get("delegations") or []
    ]
    keep.update(
        delegations=delegations,
        privateEndpointNetworkPolicies=keep.get("privateEndpointNetworkPolicies") or "Disabled",
        privateLinkServiceNetworkPolicies=keep.get("privateLinkServiceNetworkPolicies") or "Enabled",
    )
    return {
        "id": f"{vnet_id}/subnets/{name}",
        "name": name,
        "type": m.SUBNET_TYPE,
        "etag": (old or {}).get("etag", etag()),
        "properties": keep,
    }


def _check_subnet_change(state: SandboxState, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """A used subnet may neither go nor change its delegations."""
    if old is None:
        return
    users = m.subnet_users(state, old["id"])
    if not users:
        return
    if new is None:
        raise m.in_use(old["id"], users)
    before, after = m.delegations(old["properties"]), m.delegations(new["properties"])
    if before != after:
        raise m.delegation_in_use(old["id"], before, after, users[0])


@provider.route("PUT", VNETS + "/{name}")
def put_vnet(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    name = req.params["name"]
    props = copy.deepcopy(body.get("properties") or {})
    space = [
        m.parse_prefix(p, req.canonical_path)
        for p in (props.get("addressSpace") or {}).get("addressPrefixes") or []
    ]
    if not space:
        # [unverified] code and text; the spec requires addressSpace for a new network.
        raise ArmError(400, "InvalidAddressSpace", f"Virtual network {name} has no address space.")
    wanted = {str(s.get("name")): s.get("properties") or {} for s in props.pop("subnets", None) or []}
    shapes = {
        sn: m.check_subnet_shape(f"{req.canonical_path}/subnets/{sn}", name, sp) for sn, sp in wanted.items()
    }
    m.check_layout(name, space, shapes)
    existing = req.state.store.get(req.canonical_path)
    old = {s["name"].lower(): s for s in _subnets(req.state, req.canonical_path)}
    new = {
        sn.lower(): _subnet_doc(req.canonical_path, sn, sp, old.get(sn.lower())) for sn, sp in wanted.items()
    }
    for key, doc in old.items():
        _check_subnet_change(req.state, doc, new.get(key))
    for key in old.keys() - new.keys():
        req.state.store.delete(old[key]["id"])
    props.setdefault("enableDdosProtection", False)
    props["resourceGuid"] = ((existing or {}).get("properties") or {}).get("resourceGuid") or str(
        uuid.uuid4()
    )
    doc = {
        "id": req.canonical_path,
        "name": name,
        "type": m.VNET_TYPE,
        "location": location,
        "tags": put_tags(body),
        "properties": props,
        "systemData": system_data(req, existing),
    }
    for sub in new.values():
        sub["properties"]["provisioningState"] = "Updating"
        req.state.store.put(sub, created=req.now())
    return start_write(req, doc, existing is not None)


@provider.route("GET", VNETS + "/{name}")
def get_vnet(req: ArmRequest) -> dict[str, Any]:
    return view(req.state, _found(req, m.VNET_TYPE))


@provider.route("DELETE", VNETS + "/{name}")
def delete_vnet(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    for sub in _subnets(req.state, doc["id"]):
        _check_subnet_change(req.state, sub, None)  # Azure/azure-quickstart-templates#5450
    cascade_delete(req.state, doc["id"])
    return ArmResponse(200)


@provider.route("GET", VNETS)
def list_vnets(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, [view(req.state, d) for d in req.state.store.find(type=m.VNET_TYPE, rg=rg)])


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.Network/virtualNetworks")
def list_all_vnets(req: ArmRequest) -> ArmResponse:
    return page(req, [view(req.state, d) for d in req.state.store.find(type=m.VNET_TYPE)])


# -- subnets ------------------------------------------------------------------------------------
@provider.route("PUT", SUBNETS + "/{name}")
def put_subnet(req: ArmRequest) -> ArmResponse:
    vnet = _found(req, m.VNET_TYPE, req.canonical_path.rsplit("/subnets/", 1)[0])
    name = req.params["name"]
    props = req.json().get("properties") or {}
    nets = m.check_subnet_shape(req.canonical_path, vnet["name"], props)
    space = [ipaddress.IPv4Network(p) for p in vnet["properties"]["addressSpace"]["addressPrefixes"]]
    siblings = {
        s["name"]: [ipaddress.IPv4Network(p) for p in m.subnet_prefixes(s["properties"])]
        for s in _subnets(req.state, vnet["id"])
        if s["name"].lower() != name.lower()
    }
    m.check_layout(vnet["name"], space, {**siblings, name: nets})
    existing = req.state.store.get(req.canonical_path)
    doc = _subnet_doc(vnet["id"], name, props, existing)
    _check_subnet_change(req.state, existing, doc)
    return start_write(req, doc, existing is not None)


@provider.route("GET", SUBNETS + "/{name}")
def get_subnet(req: ArmRequest) -> dict[str, Any]:
    return view(req.state, _found(req, m.SUBNET_TYPE))


@provider.route("DELETE", SUBNETS + "/{name}")
def delete_subnet(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    _check_subnet_change(req.state, doc, None)
    req.state.store.delete(doc["id"])
    return ArmResponse(200)


@provider.route("GET", SUBNETS)
def list_subnets(req: ArmRequest) -> ArmResponse:
    vnet = _found(req, m.VNET_TYPE, req.canonical_path.rsplit("/subnets", 1)[0])
    return page(req, [view(req.state, s) for s in _subnets(req.state, vnet["id"])])


@provider.delete_check(m.SUBNET_TYPE)
def _subnet_blocks(state: SandboxState, doc: dict[str, Any]) -> dict[str, str] | None:
    """A group delete waits for the subnet's users to go first (delete_tree retries)."""
    users = m.subnet_users(state, doc["id"])
    if not users:
        return None
    err = m.in_use(doc["id"], users)
    return {"code": err.code, "message": err.message}


# -- private endpoints --------------------------------------------------------------------------
def _approval(req: ArmRequest, target: dict[str, Any], manual: bool) -> dict[str, str]:
    """Auto-approved when the caller may approve connections on the target (MS Learn
    private-endpoint-overview "Access to a private link resource using approval workflow"),
    otherwise Pending until the owner approves."""
    action = f"{target['type']}/privateEndpointConnectionsApproval/action"
    if not manual and permits(req.state, req.principal_id, Access(action, target["id"])):
        return {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"}
    return {"status": "Pending", "description": "Awaiting approval", "actionsRequired": "None"}


def _connections(
    req: ArmRequest, props: dict[str, Any], manual: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The connections as stored, and their targets (validated first, before any write)."""
    key = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    out, targets = [], []
    for conn in props.get(key) or []:
        cprops = conn.get("properties") or {}
        target = req.state.store.get(str(cprops.get("privateLinkServiceId") or ""))
        problem = m.group_problem(req.canonical_path, conn, target)
        if problem is not None:
            raise problem
        assert target is not None
        group = m.canonical_group(target["type"], cprops["groupIds"][0])
        out.append(
            {
                "id": f"{req.canonical_path}/{key}/{conn.get('name')}",
                "name": conn.get("name"),
                "type": f"Microsoft.Network/privateEndpoints/{key}",
                "etag": etag(),
                "properties": {
                    "privateLinkServiceId": target["id"],
                    "groupIds": [group],
                    "requestMessage": cprops.get("requestMessage"),
                    "privateLinkServiceConnectionState": _approval(req, target, manual),
                    "provisioningState": "Succeeded",
                },
            }
        )
        targets.append(target)
    return out, targets


def _subnet_for_pe(req: ArmRequest, props: dict[str, Any]) -> dict[str, Any]:
    subnet_id = str((props.get("subnet") or {}).get("id") or "")
    subnet = req.state.store.get(subnet_id) if subnet_id else None
    if subnet is None:
        raise m.error(
            nc.INVALID_REFERENCE,
            f"Resource {subnet_id} referenced by resource {req.canonical_path} was not found. Please "
            "make sure that the referenced resource exists, and that both resources are in the same region.",
        )
    if m.delegations(subnet["properties"]):
        raise m.error(
            nc.PE_SUBNET_DELEGATED,
            f"Private endpoint {req.canonical_path} cannot be created in subnet {subnet['id']} since "
            "it has delegations.",
        )
    return subnet


def _addresses(state: SandboxState, subnet: dict[str, Any], pe_id: str, count: int) -> list[str]:
    used = {
        ip
        for pe in state.store.find(type=m.PE_TYPE)
        if m.same(_subnet_of(pe), subnet["id"]) and not m.same(pe["id"], pe_id)
        for cfg in pe["properties"].get("customDnsConfigs") or []
        for ip in cfg.get("ipAddresses") or []
    }
    net = ipaddress.IPv4Network(m.subnet_prefixes(subnet["properties"])[0])
    return m.free_addresses(net, used, count)


def _dns_configs(
    state: SandboxState,
    subnet: dict[str, Any],
    pe_id: str,
    conns: list[dict[str, Any]],
    targets: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    names = [
        pair
        for c, t in zip(conns, targets, strict=True)
        for pair in m.published_names(t, c["properties"]["groupIds"][0])
    ]
    members = list(dict.fromkeys(member for member, _ in names))
    ips = dict(zip(members, _addresses(state, subnet, pe_id, len(members)), strict=True)) if members else {}
    return [{"fqdn": fqdn, "ipAddresses": [ips[member]]} for member, fqdn in names]


def _connection_entry(target: dict[str, Any], pe: dict[str, Any], conn: dict[str, Any]) -> dict[str, Any]:
    name = f"{pe['name']}.{pe['properties']['resourceGuid']}"
    return {
        "id": f"{target['id']}/privateEndpointConnections/{name}",
        "name": name,
        "type": f"{target['type']}/privateEndpointConnections",
        "properties": {
            "privateEndpoint": {"id": pe["id"]},
            "groupIds": conn["properties"]["groupIds"],
            "privateLinkServiceConnectionState": conn["properties"]["privateLinkServiceConnectionState"],
            "provisioningState": "Succeeded",
        },
    }


def _link_targets(state: SandboxState, pe: dict[str, Any], *, remove: bool = False) -> None:
    """The target's `privateEndpointConnections` mirror the endpoint (search, cognitive accounts,
    registries, storage, vaults and workspaces all show them: their GET specs' examples)."""
    for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        for conn in pe["properties"].get(key) or []:
            target = state.store.get(conn["properties"]["privateLinkServiceId"])
            if target is None:
                continue
            listed = [
                c
                for c in target["properties"].get("privateEndpointConnections") or []
                if not m.same(c["properties"]["privateEndpoint"]["id"], pe["id"])
            ]
            if not remove:
                listed.append(_connection_entry(target, pe, conn))
            target["properties"]["privateEndpointConnections"] = listed
            state.store.put(target)


@provider.route("PUT", PES + "/{name}")
def put_private_endpoint(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    props = copy.deepcopy(body.get("properties") or {})
    subnet = _subnet_for_pe(req, props)
    auto, auto_targets = _connections(req, props, manual=False)
    manual, manual_targets = _connections(req, props, manual=True)
    existing = req.state.store.get(req.canonical_path)
    guid = ((existing or {}).get("properties") or {}).get("resourceGuid") or str(uuid.uuid4())
    doc: dict[str, Any] = {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": m.PE_TYPE,
        "location": location,
        "tags": put_tags(body),
        "properties": {
            "resourceGuid": guid,
            "subnet": {"id": subnet["id"]},
            "privateLinkServiceConnections": auto,
            "manualPrivateLinkServiceConnections": manual,
            "customNetworkInterfaceName": props.get("customNetworkInterfaceName") or "",
            "ipConfigurations": props.get("ipConfigurations") or [],
            "applicationSecurityGroups": props.get("applicationSecurityGroups") or [],
            "customDnsConfigs": _dns_configs(
                req.state, subnet, req.canonical_path, auto + manual, auto_targets + manual_targets
            ),
        },
        "systemData": system_data(req, existing),
    }
    doc["properties"]["networkInterfaces"] = [{"id": m.nic_id(doc)}]
    if existing is not None:
        _link_targets(req.state, existing, remove=True)
    _link_targets(req.state, doc)
    return start_write(req, doc, existing is not None, PE_SECONDS)


@provider.route("GET", PES + "/{name}")
def get_private_endpoint(req: ArmRequest) -> dict[str, Any]:
    return _found(req, m.PE_TYPE)


@provider.route("DELETE", PES + "/{name}")
def delete_private_endpoint(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    cascade_delete(req.state, doc["id"])  # zone groups' records and the targets' connections too
    return ArmResponse(200)


@provider.on_delete(m.PE_TYPE)
def _forget_connections(state: SandboxState, doc: dict[str, Any]) -> None:
    _link_targets(state, doc, remove=True)


@provider.route("GET", PES)
def list_private_endpoints(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, req.state.store.find(type=m.PE_TYPE, rg=rg))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.Network/privateEndpoints")
def list_all_private_endpoints(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=m.PE_TYPE))
