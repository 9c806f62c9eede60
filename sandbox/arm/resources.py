"""Microsoft.Resources: resource groups, listing resources, provider registration.

Resource-group DELETE is a Location LRO (arm-facts §3: 202 + Location
`/subscriptions/{sub}/operationresults/{id}`, 202 while running, then 200) that cascades to
every contained resource, role assignments and locks included.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.constants import LOCATIONS
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid, frontdoor
from sandbox.core.errors import being_deleted, resource_group_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page, parse_filter
from sandbox.core.resource import delete_tree, require_location
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.Resources")

RG = "/subscriptions/{sub}/resourceGroups/{rg}"
RG_TYPE = "Microsoft.Resources/resourceGroups"
RG_DELETE_SECONDS = 60.0  # simulated; real deletes take minutes
RG_DELETE_RETRY_AFTER = 15  # [mem] the Retry-After ARM sends on group deletes
PROVIDER_REGISTER_SECONDS = 30.0
_RG_NAME = re.compile(r"^[-\w._()]{1,90}$")


def _rg_id(req: ArmRequest) -> str:
    return f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"


def _get_rg(req: ArmRequest) -> dict[str, Any]:
    doc = req.state.store.get(_rg_id(req))
    if doc is None:
        raise resource_group_not_found(req.params["rg"])
    return doc


def _deleting(doc: dict[str, Any]) -> bool:
    return doc["properties"]["provisioningState"] == "Deleting"


@provider.route("PUT", RG)
def put_group(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    name = req.params["rg"]
    if not _RG_NAME.match(name) or name.endswith("."):
        # [mem] ARM's text for a bad group name.
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters. The name can "
            "only be a letter, digit, '-', '.', '(', ')' or '_'.",
        )
    existing = req.state.store.get(_rg_id(req))
    if existing is not None:
        if _deleting(existing):
            raise being_deleted(existing["name"])
        if existing["location"] != location:
            # Src: arm-facts §3 (Azure/azure-cli#22242, trailofbits/algo#1814).
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already exists "
                f"in location '{existing['location']}'.",
            )
    doc = {
        "id": existing["id"] if existing else _rg_id(req),
        "name": existing["name"] if existing else name,
        "type": RG_TYPE,
        "location": location,
        "tags": body.get("tags") or {},
        "properties": {"provisioningState": "Succeeded"},
    }
    if body.get("managedBy"):
        doc["managedBy"] = body["managedBy"]
    req.state.store.put(doc, created=req.now())
    return ArmResponse(200 if existing else 201, doc)


@provider.route("GET", RG)
def get_group(req: ArmRequest) -> dict[str, Any]:
    return _get_rg(req)


@provider.route("HEAD", RG)
def head_group(req: ArmRequest) -> ArmResponse:
    """204 when it exists, 404 when not; never 200 (arm-facts §3: 200 breaks check_existence)."""
    return ArmResponse(204 if req.state.store.get(_rg_id(req)) else 404)


@provider.route("PATCH", RG)
def patch_group(req: ArmRequest) -> dict[str, Any]:
    doc = _get_rg(req)
    if _deleting(doc):
        raise being_deleted(doc["name"])
    body = req.json()
    if "tags" in body and body["tags"] is not None:
        doc["tags"] = body["tags"]
    if body.get("managedBy"):
        doc["managedBy"] = body["managedBy"]
    req.state.store.put(doc)
    return doc


@provider.route("DELETE", RG)
def delete_group(req: ArmRequest) -> ArmResponse:
    doc = _get_rg(req)
    lro = req.state.lro
    running = [op for op in lro.running_for(doc["id"]) if op.completion.endswith(":delete_group")]
    if running:
        # A second delete joins the one in progress (ops-pitfalls T-2: "already in progress").
        return ArmResponse(202, None, lro.headers(req, running[0]))
    doc["properties"]["provisioningState"] = "Deleting"
    req.state.store.put(doc)
    op = lro.start(
        req,
        style="location",
        completion="delete_group",
        duration=RG_DELETE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        retry_after=RG_DELETE_RETRY_AFTER,
        monitor=f"/subscriptions/{req.params['sub']}/operationresults/{_op_token()}",
    )
    return ArmResponse(202, None, lro.headers(req, op))


def _op_token() -> str:
    import base64
    import uuid

    raw = f'{{"jobId":"RESOURCEGROUPDELETIONJOB-{uuid.uuid4().hex.upper()}"}}'
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@provider.completion("delete_group")
def _finish_delete_group(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is None:
        return
    blockers = [] if op.failing else delete_tree(state, op.resource_id)
    if op.failing or blockers:
        # "The provisioning state of the resource group will be rolled back" (ops-pitfalls T-3).
        doc["properties"]["provisioningState"] = "Succeeded"
        state.store.put(doc)
    if blockers:
        op.error = deletion_blocked(doc["name"], blockers)
        op.error_status = 409


def deletion_blocked(group: str, blockers: list[dict[str, Any]]) -> dict[str, Any]:
    """The poll's error when resources stayed (arm-facts §2.4 status 409; text ops-pitfalls T-3).

    What could be deleted stays deleted, as ARM deletes resource by resource (delete-resource-
    group doc); the group and the blocked resources remain.
    """
    ids = ",".join(b["target"] for b in blockers)
    return {
        "code": "ResourceGroupDeletionBlocked",
        "message": f"Deletion of resource group '{group}' failed as resources with identifiers "
        f"'{ids}' could not be deleted. The provisioning state of the resource group will be "
        "rolled back.",
        "details": blockers,
    }


@provider.route("GET", "/subscriptions/{sub}/resourcegroups")
def list_groups(req: ArmRequest) -> ArmResponse:
    flt = parse_filter(req.q("$filter"))
    groups = [g for g in req.state.store.find(type=RG_TYPE) if _tag_match(g, flt)]
    return page(req, groups)


def _tag_match(doc: dict[str, Any], flt: dict[str, str]) -> bool:
    tags = {k.lower(): v for k, v in (doc.get("tags") or {}).items()}
    if "tagname" in flt and flt["tagname"].lower() not in tags:
        return False
    return "tagvalue" not in flt or tags.get(flt.get("tagname", "").lower()) == flt["tagvalue"]


_GENERIC_KEYS = (
    "id",
    "name",
    "type",
    "location",
    "kind",
    "sku",
    "identity",
    "managedBy",
    "plan",
    "tags",
)


def _generic(doc: dict[str, Any], flt: dict[str, str], expand: str) -> dict[str, Any]:
    """A resource as `resources.list*` shows it: the envelope only, no properties."""
    out = {k: doc[k] for k in _GENERIC_KEYS if k in doc}
    if "tagvalue" in flt:
        out.pop("tags", None)  # SDK docstring: tags are not returned with a tag-value filter
    if "provisioningstate" in expand.lower():
        out["provisioningState"] = doc.get("properties", {}).get("provisioningState")
    return out


def _resource_match(doc: dict[str, Any], flt: dict[str, str]) -> bool:
    rid = armid.parse(doc["id"])
    checks = {
        "resourcetype": doc["type"],
        "name": doc["name"],
        "location": doc.get("location", ""),
        "resourcegroup": rid.resource_group or "",
    }
    for key, actual in checks.items():
        if key in flt and flt[key].lower() != actual.lower():
            return False
    if "substringof(name)" in flt and flt["substringof(name)"].lower() not in doc["name"].lower():
        return False
    return _tag_match(doc, flt)


def _list_resources(req: ArmRequest, rg: str | None) -> ArmResponse:
    flt = parse_filter(req.q("$filter"))
    docs = req.state.store.find(rg=rg, tracked=True)
    expand = req.q("$expand") or ""
    return page(req, [_generic(d, flt, expand) for d in docs if _resource_match(d, flt)])


@provider.route("GET", "/subscriptions/{sub}/resourcegroups/{rg}/resources")
def list_group_resources(req: ArmRequest) -> ArmResponse:
    _get_rg(req)
    return _list_resources(req, _rg_id(req))


@provider.route("GET", "/subscriptions/{sub}/resources")
def list_subscription_resources(req: ArmRequest) -> ArmResponse:
    return _list_resources(req, None)


# -- provider registration ----------------------------------------------------------------------
def _known_namespaces(state: SandboxState) -> dict[str, str]:
    names = {p.namespace.lower(): p.namespace for p in state.router.providers}
    names.setdefault("microsoft.authorization", "Microsoft.Authorization")
    return names


def _resource_types(state: SandboxState, namespace: str) -> list[dict[str, Any]]:
    marker = f"/providers/{namespace.lower()}/"
    types: set[str] = set()
    for route in state.router.routes:
        low = route.template.lower()
        if marker not in low:
            continue
        segs = route.template[low.index(marker) + len(marker) :].split("/")
        literal = [s for s in segs[0::2] if s and not s.startswith("{")]
        if literal:
            types.add("/".join(literal))
    return [{"resourceType": t, "locations": list(LOCATIONS), "apiVersions": []} for t in sorted(types)]


def _provider_doc(req: ArmRequest, namespace: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{req.params['sub']}/providers/{namespace}",
        "namespace": namespace,
        "registrationState": frontdoor.registration_state(req.state, namespace),
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": _resource_types(req.state, namespace),
    }


def _namespace(req: ArmRequest) -> str:
    known = _known_namespaces(req.state)
    ns = req.params["ns"]
    if ns.lower() not in known:
        # [mem] the text `az provider show -n <unknown>` prints.
        raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{ns}' is invalid.")
    return known[ns.lower()]


@provider.route("GET", "/subscriptions/{sub}/providers")
def list_providers(req: ArmRequest) -> ArmResponse:
    names = sorted(_known_namespaces(req.state).values())
    return page(req, [_provider_doc(req, ns) for ns in names])


@provider.route("GET", "/subscriptions/{sub}/providers/{ns}")
def get_provider(req: ArmRequest) -> dict[str, Any]:
    return _provider_doc(req, _namespace(req))


def _set_registration(req: ArmRequest, target: str) -> dict[str, Any]:
    ns = _namespace(req)
    current = frontdoor.registration_state(req.state, ns)
    if ns.lower() not in frontdoor.ALWAYS_REGISTERED and current != target:
        moving = "Registering" if target == "Registered" else "Unregistering"
        until = req.now() + PROVIDER_REGISTER_SECONDS
        req.state.store.put_record("provider_registration", ns, {"state": moving, "until": until})
    return _provider_doc(req, ns)


@provider.route("POST", "/subscriptions/{sub}/providers/{ns}/register")
def register_provider(req: ArmRequest) -> dict[str, Any]:
    return _set_registration(req, "Registered")


@provider.route("POST", "/subscriptions/{sub}/providers/{ns}/unregister")
def unregister_provider(req: ArmRequest) -> dict[str, Any]:
    return _set_registration(req, "NotRegistered")
