"""Private DNS (`PrivateDnsManagementClient`, api 2024-06-01): zones, virtual network links, record
sets, and private endpoints' DNS zone groups (`NetworkManagementClient`).

Decisions and sources:
- Zones and links are global resources (location `global`, infra.catalog.regions); a new zone holds
  its SOA record set `@` (azure-cli#15010: a fresh zone reports numberOfRecordSets 1).
- Deleting a zone that still has virtual network links is 409 CannotDeleteResource
  (learntocloud/networking-lab#8); its record sets go with it.
- A zone group writes one A record per name the endpoint publishes in each of its zones (MS Learn
  private-endpoint-dns-integration "Private DNS zone group"), removed with the group or endpoint.
"""

from __future__ import annotations

import uuid
from typing import Any

from infra.catalog import network as nc
from sandbox.arm.network import models as m
from sandbox.arm.network.routes import _found, provider, start_write
from sandbox.core import ArmError, ArmRequest, ArmResponse
from sandbox.core.odata import page
from sandbox.core.resource import cascade_delete, put_tags, require_location, system_data
from sandbox.core.state import SandboxState

RG = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network"
ZONES = RG + "/privateDnsZones"
ZONE = ZONES + "/{zone}"
LINKS = ZONE + "/virtualNetworkLinks"
GROUPS = RG + "/privateEndpoints/{pe}/privateDnsZoneGroups"


def _rg(req: ArmRequest) -> str:
    return f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"


def _zone_id(req: ArmRequest) -> str:
    return f"{_rg(req)}/providers/Microsoft.Network/privateDnsZones/{req.params['zone']}"


def _children(state: SandboxState, zone_id: str) -> list[dict[str, Any]]:
    return [d for d in state.store.find(within=zone_id) if not m.same(d["id"], zone_id)]


def _zone_view(state: SandboxState, doc: dict[str, Any]) -> dict[str, Any]:
    """Counts are computed from what the zone holds (azure-cli#15010 output shape)."""
    kids = _children(state, doc["id"])
    links = [k for k in kids if k["type"] == m.LINK_TYPE]
    out = {**doc, "properties": dict(doc["properties"])}
    out["properties"].update(
        numberOfRecordSets=len(kids) - len(links),
        numberOfVirtualNetworkLinks=len(links),
        numberOfVirtualNetworkLinksWithRegistration=sum(
            bool(k["properties"].get("registrationEnabled")) for k in links
        ),
    )
    return out


# -- zones --------------------------------------------------------------------------------------
@provider.route("PUT", ZONE)
def put_zone(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    props = dict((existing or {}).get("properties") or {})
    props.update(nc.ZONE_LIMITS, internalId=props.get("internalId") or uuid.uuid4().hex)
    doc: dict[str, Any] = {
        "id": req.canonical_path,
        "name": req.params["zone"],
        "type": m.ZONE_TYPE,
        "location": location,
        "tags": put_tags(body),
        "properties": props,
        "systemData": system_data(req, existing),
    }
    if existing is None:
        _put_record(req.state, doc["id"], "SOA", "@", {"soaRecord": _soa(doc["name"])}, req.now())
    return start_write(req, doc, existing is not None)


def _soa(zone: str) -> dict[str, Any]:
    """[mem] the SOA Azure writes into a new private zone."""
    return {
        "host": "azureprivatedns.net",
        "email": "azureprivatedns-host.microsoft.com",
        "serialNumber": 1,
        "refreshTime": 3600,
        "retryTime": 300,
        "expireTime": 2419200,
        "minimumTtl": 10,
    }


@provider.route("GET", ZONE)
def get_zone(req: ArmRequest) -> dict[str, Any]:
    return _zone_view(req.state, _found(req, m.ZONE_TYPE))


@provider.route("DELETE", ZONE)
def delete_zone(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    links = [k for k in _children(req.state, doc["id"]) if k["type"] == m.LINK_TYPE]
    if links:
        nested = ", ".join(
            f"'{m.ZONE_TYPE}/{doc['name']}/virtualNetworkLinks/{k['name']}'" for k in links[:3]
        )
        raise m.error(
            nc.ZONE_HAS_LINKS,
            "Cannot delete resource while nested resources exist. Some existing nested resource IDs "
            f"include: {nested}. Please delete all nested resources before deleting this resource.",
        )
    cascade_delete(req.state, doc["id"])
    return ArmResponse(200)


@provider.route("GET", ZONES)
def list_zones(req: ArmRequest) -> ArmResponse:
    return page(req, [_zone_view(req.state, d) for d in req.state.store.find(type=m.ZONE_TYPE, rg=_rg(req))])


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.Network/privateDnsZones")
def list_all_zones(req: ArmRequest) -> ArmResponse:
    return page(req, [_zone_view(req.state, d) for d in req.state.store.find(type=m.ZONE_TYPE)])


# -- virtual network links ----------------------------------------------------------------------
@provider.route("PUT", LINKS + "/{name}")
def put_link(req: ArmRequest) -> ArmResponse:
    _found(req, m.ZONE_TYPE, _zone_id(req))
    body = req.json()
    location = require_location(body)
    props = dict(body.get("properties") or {})
    vnet_id = str((props.get("virtualNetwork") or {}).get("id") or "")
    vnet = req.state.store.get(vnet_id) if vnet_id else None
    if vnet is None or vnet["type"] != m.VNET_TYPE:
        # [unverified] code and text: the private DNS RP's refusal of a missing network.
        raise ArmError(400, "BadRequest", f"Virtual network resource not found for '{vnet_id}'.")
    existing = req.state.store.get(req.canonical_path)
    doc = {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": m.LINK_TYPE,
        "location": location,
        "tags": put_tags(body),
        "properties": {
            "virtualNetwork": {"id": vnet["id"]},
            "registrationEnabled": bool(props.get("registrationEnabled")),
            "resolutionPolicy": props.get("resolutionPolicy") or "Default",
            "virtualNetworkLinkState": "Completed",
        },
        "systemData": system_data(req, existing),
    }
    return start_write(req, doc, existing is not None)


@provider.route("GET", LINKS + "/{name}")
def get_link(req: ArmRequest) -> dict[str, Any]:
    return _found(req, m.LINK_TYPE)


@provider.route("DELETE", LINKS + "/{name}")
def delete_link(req: ArmRequest) -> ArmResponse:
    return ArmResponse(200 if req.state.store.delete(req.canonical_path) else 204)


@provider.route("GET", LINKS)
def list_links(req: ArmRequest) -> ArmResponse:
    zone = _found(req, m.ZONE_TYPE, _zone_id(req))
    return page(req, [k for k in _children(req.state, zone["id"]) if k["type"] == m.LINK_TYPE])


# -- record sets --------------------------------------------------------------------------------
def _record_type(req: ArmRequest) -> str:
    given = req.params["rtype"]
    canonical = next((t for t in nc.RECORD_TYPES if t.lower() == given.lower()), None)
    if canonical is None:
        # [unverified] text; the spec's RecordType enum is the allowed set.
        raise ArmError(400, "BadRequest", f"The record type '{given}' is not valid.")
    return canonical


def _put_record(
    state: SandboxState, zone_id: str, rtype: str, name: str, props: dict[str, Any], now: float
) -> dict[str, Any]:
    zone = zone_id.rsplit("/", 1)[-1]
    doc = {
        "id": f"{zone_id}/{rtype}/{name}",
        "name": name,
        "type": f"{m.ZONE_TYPE}/{rtype}",
        "etag": str(uuid.uuid4()),
        "properties": {
            "metadata": props.get("metadata") or {},
            "ttl": props.get("ttl") or 3600,
            "fqdn": f"{zone}." if name == "@" else f"{name}.{zone}.",
            "isAutoRegistered": False,
            **{k: v for k, v in props.items() if k.endswith("Records") or k in ("soaRecord", "cnameRecord")},
        },
    }
    state.store.put(doc, created=now)
    return doc


@provider.route("PUT", ZONE + "/{rtype}/{name}")
def put_record(req: ArmRequest) -> ArmResponse:
    zone = _found(req, m.ZONE_TYPE, _zone_id(req))
    rtype = _record_type(req)
    existing = req.state.store.get(req.canonical_path)
    doc = _put_record(
        req.state, zone["id"], rtype, req.params["name"], req.json().get("properties") or {}, req.now()
    )
    return ArmResponse(200 if existing else 201, doc)


@provider.route("GET", ZONE + "/{rtype}/{name}")
def get_record(req: ArmRequest) -> dict[str, Any]:
    _record_type(req)
    return _found(req, f"{m.ZONE_TYPE}/{req.params['rtype']}")


@provider.route("DELETE", ZONE + "/{rtype}/{name}")
def delete_record(req: ArmRequest) -> ArmResponse:
    _record_type(req)
    return ArmResponse(200 if req.state.store.delete(req.canonical_path) else 204)


@provider.route("GET", ZONE + "/{rtype}")
def list_records(req: ArmRequest) -> ArmResponse:
    """`.../{type}` lists one type; `.../ALL` lists every record set (RecordSets_List)."""
    zone = _found(req, m.ZONE_TYPE, _zone_id(req))
    records = [k for k in _children(req.state, zone["id"]) if k["type"] != m.LINK_TYPE]
    if req.params["rtype"].upper() != "ALL":
        wanted = f"{m.ZONE_TYPE}/{_record_type(req)}".lower()
        records = [r for r in records if r["type"].lower() == wanted]
    return page(req, records)


# -- private endpoint DNS zone groups -----------------------------------------------------------
def _zone_configs(req: ArmRequest, pe: dict[str, Any], configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each config's zone must exist (Azure/missionlz#1029); its records are the endpoint's names
    that belong in the zone."""
    out = []
    for cfg in configs:
        zone_id = str((cfg.get("properties") or {}).get("privateDnsZoneId") or "")
        zone = req.state.store.get(zone_id) if zone_id else None
        if zone is None or zone["type"] != m.ZONE_TYPE or not cfg.get("name"):
            raise m.error(
                nc.INVALID_ZONE_IDS,
                f"Private Dns Zone group {req.canonical_path} has invalid private dns zone ids {zone_id}.",
            )
        records: dict[str, list[str]] = {}
        for dns in pe["properties"].get("customDnsConfigs") or []:
            name = m.record_name(zone["name"], dns["fqdn"])
            if name is not None:
                records.setdefault(name, []).extend(dns["ipAddresses"])
        out.append(
            {
                "name": cfg["name"],
                "id": f"{req.canonical_path}/privateDnsZoneConfigs/{cfg['name']}",
                "properties": {
                    "privateDnsZoneId": zone["id"],
                    "recordSets": [
                        {
                            "recordType": "A",
                            "recordSetName": name,
                            "fqdn": f"{name}.{zone['name']}",
                            "ttl": nc.ZONE_GROUP_RECORD_TTL,
                            "ipAddresses": sorted(set(ips)),
                            "provisioningState": "Succeeded",
                        }
                        for name, ips in records.items()
                    ],
                },
            }
        )
    return out


def _write_records(state: SandboxState, group: dict[str, Any], now: float, *, remove: bool = False) -> None:
    for cfg in group["properties"]["privateDnsZoneConfigs"]:
        zone_id = cfg["properties"]["privateDnsZoneId"]
        for rs in cfg["properties"]["recordSets"]:
            if remove:
                state.store.delete(f"{zone_id}/A/{rs['recordSetName']}")
            elif state.store.get(zone_id) is not None:
                a = [{"ipv4Address": ip} for ip in rs["ipAddresses"]]
                _put_record(state, zone_id, "A", rs["recordSetName"], {"ttl": rs["ttl"], "aRecords": a}, now)


@provider.route("PUT", GROUPS + "/{name}")
def put_zone_group(req: ArmRequest) -> ArmResponse:
    pe = _found(req, m.PE_TYPE, req.canonical_path.rsplit("/privateDnsZoneGroups/", 1)[0])
    configs = (req.json().get("properties") or {}).get("privateDnsZoneConfigs") or []
    existing = req.state.store.get(req.canonical_path)
    doc = {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": m.ZONE_GROUP_TYPE,
        "properties": {"privateDnsZoneConfigs": _zone_configs(req, pe, configs)},
    }
    if existing is not None:
        _write_records(req.state, existing, req.now(), remove=True)
    _write_records(req.state, doc, req.now())
    return start_write(req, doc, existing is not None)


@provider.route("GET", GROUPS + "/{name}")
def get_zone_group(req: ArmRequest) -> dict[str, Any]:
    return _found(req, m.ZONE_GROUP_TYPE)


@provider.route("DELETE", GROUPS + "/{name}")
def delete_zone_group(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    cascade_delete(req.state, doc["id"])
    return ArmResponse(200)


@provider.on_delete(m.ZONE_GROUP_TYPE)
def _forget_records(state: SandboxState, doc: dict[str, Any]) -> None:
    _write_records(state, doc, 0.0, remove=True)


@provider.route("GET", GROUPS)
def list_zone_groups(req: ArmRequest) -> ArmResponse:
    pe = _found(req, m.PE_TYPE, req.canonical_path.rsplit("/privateDnsZoneGroups", 1)[0])
    return page(req, [d for d in req.state.store.find(within=pe["id"]) if d["type"] == m.ZONE_GROUP_TYPE])
