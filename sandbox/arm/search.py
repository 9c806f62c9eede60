"""Microsoft.Search/searchServices (`SearchManagementClient`), api 2025-05-01.

Decisions and their sources (arm-facts §4, ops-pitfalls A-1..A-8):
- PUT is body-polled: 201/200 with lowercase `provisioningState`/`status` `provisioning`
  (specs `SearchCreateOrUpdateService.json`), then `succeeded`/`running`. A free service comes
  back `succeeded` at once (swagger text of `provisioningState`).
- PATCH is synchronous (200). A replica/partition/sku change then provisions for
  `SCALE_SECONDS` simulated seconds; any write in that window gets the "Service update
  operations aren't allowed ..." text (MicrosoftDocs search-capacity-planning.md). PATCH
  applies exactly the fields sent: the SDK serializes `SearchServiceUpdate` defaults (arm-facts
  §4 gotcha), and the service has no way to tell a default from an intent.
- PUT on an existing service replaces: settable properties left out take the spec's defaults
  and tags are exactly those sent (SR: "all properties will be updated with the given values").
  `identity` left out keeps the current one [unverified: the spec does not say].
- DELETE is synchronous: 200 when it existed, 204 when not (specs `SearchDeleteService.json`).
- Tier limits come from `infra.catalog.search` (the project's one copy of the numbers).
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from infra.catalog.search import (
    SEARCH_TIERS,
    hosting_mode_problem,
    partition_problem,
    replica_problem,
    search_units_problem,
    semantic_ranker_problem,
)
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import (
    delete_now,
    forget_identity,
    managed_identity,
    put_properties,
    put_tags,
    require,
    require_location,
    system_data,
)
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.Search")

TYPE = "Microsoft.Search/searchServices"
SERVICES = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Search/searchServices"
SERVICE = SERVICES + "/{name}"
CREATE_SECONDS = 300.0  # simulated; a billable service takes minutes to provision
SCALE_SECONDS = 900.0  # "as little as 15 minutes" (search-capacity-planning.md)
RETRY_AFTER = 30  # docs: poll every 30-60 s
SKU_UPGRADE_API = "2025-05-01"  # first api-version that allows an in-place tier change
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$")
_CAPACITY_FIELDS = ("replicaCount", "partitionCount", "hostingMode")
_SETTABLE = (
    "replicaCount",
    "partitionCount",
    "hostingMode",
    "computeType",
    "publicNetworkAccess",
    "networkRuleSet",
    "dataExfiltrationProtections",
    "encryptionWithCmk",
    "semanticSearch",
    "disableLocalAuth",
    "authOptions",
)


# -- errors -------------------------------------------------------------------------------------
def _bad_request(message: str) -> ArmError:
    # The Search RP answers validation failures with code BadRequest (A-5, A-7, identity below).
    return ArmError(400, "BadRequest", message)


def _invalid_name(name: str) -> ArmError:
    # Src: arm-facts §4 (microsoft/RHAIL-Claims-Denial-Navigator#2).
    return ArmError(
        400,
        "InvalidServiceName",
        f"Service name '{name}' is invalid: Service name must only contain lowercase letters, "
        "digits or dashes, cannot start or end with or contain consecutive dashes and is "
        "limited to 60 characters.",
    )


def _name_unavailable(name: str) -> ArmError:
    # Text: ops-pitfalls A-2 (Azure-Samples/azure-search-openai-demo#586). Status 400 as a user
    # recorded it next to Storage's 409 for the same global-name clash.
    return ArmError(
        400,
        "ServiceNameUnavailable",
        f"Cannot provision service '{name}' because a service with this name is already in "
        "use, or another request to provision a service with this name is still in progress",
    )


def _quota_exceeded(req: ArmRequest, name: str, sku: str, used: int, allowed: int) -> ArmError:
    if sku == "free":
        # Text: vdesabou/kafka-docker-playground#55; code as a troubleshooting guide quotes it.
        message = (
            f"Creating search service '{name}' would exceed quota of sku 'free' for "
            f"subscription '{req.params['sub']}'."
        )
    else:
        # Src: Azure/azure-sdk-for-net#31546 (409 ServiceQuotaExceeded, full text).
        message = (
            f"Operation would exceed '{sku}' tier service quota. You are using {used} out of "
            f"{allowed} '{sku}' tier service quota. If you need more quota, please submit a "
            "quota increase request with issue type 'Service and subscription limits (quota)' "
            "and quota type 'Search' following https://docs.microsoft.com/en-us/azure/"
            "azure-resource-manager/resource-manager-quota-errors."
        )
    return ArmError(409, "ServiceQuotaExceeded", message)


def _busy() -> ArmError:
    # Text: MicrosoftDocs search-capacity-planning.md "Errors during scaling" (ops-pitfalls A-4).
    # [unverified] status and code: the docs quote only the message; 409 Conflict assumed.
    return ArmError(
        409,
        "Conflict",
        "Service update operations aren't allowed at this time because we're processing a previous request.",
    )


# -- validation ---------------------------------------------------------------------------------
def _check_name(name: str) -> None:
    """2-60 chars, lowercase letters/digits/dashes, no dash in the first two or last place, no
    consecutive dashes (SDK docstring of check_name_availability)."""
    if not _NAME.match(name) or "--" in name or name[1] == "-":
        raise _invalid_name(name)


def _check_tier(sku: str, props: dict[str, Any], identity: dict[str, Any] | None) -> None:
    problems = (
        replica_problem(sku, props["replicaCount"]),
        partition_problem(sku, props["partitionCount"], props["hostingMode"]),
        search_units_problem(sku, props["replicaCount"], props["partitionCount"]),
        hosting_mode_problem(sku, props["hostingMode"]),
        semantic_ranker_problem(sku, props.get("semanticSearch") or "disabled"),
    )
    # [unverified] texts: the rule is the catalog's (search-capacity-planning.md); the live
    # wording of these rejections was not found, so the catalog's reason is sent.
    for problem in problems:
        if problem:
            raise _bad_request(f"Invalid search service configuration: {problem}.")
    wants_identity = identity is not None and str(identity.get("type", "None")) != "None"
    if wants_identity and not SEARCH_TIERS[sku].managed_identity:
        # Src: MicrosoftDocs/azure-docs#116702 (free tier, code BadRequest).
        raise _bad_request("Resource identity is not supported for the selected SKU.")


def _check_sku(name: str) -> str:
    if name not in SEARCH_TIERS:
        # [unverified] text; the SDK enum lists the valid names.
        raise _bad_request(f"The sku '{name}' is not a valid search service sku.")
    return name


def _check_sku_change(req: ArmRequest, current: str, target: str) -> None:
    """In-place tier change only upward among basic..standard3 and only from api 2025-05-01."""
    allowed = target in SEARCH_TIERS[current].upgradable_to
    if not allowed or req.api_version < SKU_UPGRADE_API:
        # Src: Azure-Samples/azure-search-openai-demo#586 (BadRequest); A-5 for the 2025 rule.
        raise _bad_request("Cannot update sku for an existing search service.")


def _auth_options(body_props: dict[str, Any], merged: dict[str, Any]) -> Any:
    """`authOptions` after a write: must be absent (null) when local auth is disabled."""
    sent = body_props.get("authOptions")
    if merged.get("disableLocalAuth"):
        if sent is not None:
            # Src: ops-pitfalls A-7 (Azure/azure-mcp PR #157, bicep-registry-modules#6795); `{}`
            # fails too.
            raise _bad_request("AuthOptions must be null if DisableLocalAuth is true.")
        return None
    return sent if sent is not None else merged.get("authOptions") or {"apiKeyOnly": {}}


def _check_quota(req: ArmRequest, name: str, sku: str) -> None:
    same = [d for d in req.state.store.find(type=TYPE) if d["sku"]["name"] == sku]
    allowed = SEARCH_TIERS[sku].services_per_subscription
    if len(same) >= allowed:
        raise _quota_exceeded(req, name, sku, len(same), allowed)


# -- documents ----------------------------------------------------------------------------------
def _key() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(52))


def _defaults(sku: str) -> dict[str, Any]:
    return {
        "replicaCount": 1,
        "partitionCount": 1,
        "hostingMode": "default",
        "publicNetworkAccess": "enabled",
        "networkRuleSet": {"ipRules": [], "bypass": "None"},
        "dataExfiltrationProtections": [],
        "encryptionWithCmk": {
            "enforcement": "Unspecified",
            "encryptionComplianceStatus": "Compliant",
        },
        # new billable services default to the free semantic plan; free tier has none.
        "semanticSearch": "free" if SEARCH_TIERS[sku].semantic_ranker else None,
        "disableLocalAuth": False,
        "authOptions": {"apiKeyOnly": {}},
    }


def _desired(
    current: dict[str, Any], body_props: dict[str, Any], sku: str, *, replace: bool
) -> dict[str, Any]:
    """The properties after a write: a PUT (`replace`) is the whole desired state, so a settable
    field left out takes its default (SR Services_CreateOrUpdate: "all properties will be
    updated with the given values"); a PATCH applies only the fields sent. Fields the service
    computed (endpoint, status, ...) stay either way."""
    sent = {k: v for k, v in body_props.items() if k != "authOptions"}
    if replace:
        server = {k: v for k, v in current.items() if k not in _SETTABLE}
        out = put_properties(sent, settable=_SETTABLE, defaults=_defaults(sku), server=server)
    else:
        out = {**_defaults(sku), **current}
        out.update({f: sent[f] for f in _SETTABLE if sent.get(f) is not None})
    out["authOptions"] = _auth_options(body_props, out)
    return out


def _envelope(req: ArmRequest, existing: dict[str, Any] | None, location: str) -> dict[str, Any]:
    if existing is not None:
        return existing
    name = req.params["name"]
    return {
        "id": req.canonical_path,
        "name": name,
        "type": TYPE,
        "location": location,
        "properties": {
            "endpoint": f"https://{name}.search.windows.net/",
            "privateEndpointConnections": [],
            "sharedPrivateLinkResources": [],
            "upgradeAvailable": "notAvailable",
            "serviceUpgradedAt": None,
            "statusDetails": "",
        },
        "keys": {"primaryKey": _key(), "secondaryKey": _key(), "query": [_key()]},
    }


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    """The resource as ARM shows it (keys are only served by listAdminKeys/listQueryKeys)."""
    return {k: v for k, v in doc.items() if k != "keys"}


def _provisioning(doc: dict[str, Any]) -> bool:
    return doc["properties"].get("provisioningState") == "provisioning"


def _failed(doc: dict[str, Any]) -> bool:
    """A write to a service whose last provisioning failed provisions it again.

    [unverified] Azure's behaviour is not documented; the ARM contract (a PUT converges the resource
    to its body) and the SDK's `ProvisioningState` text ("after capacity is set up, provisioningState
    changes to either succeeded or failed") suggest a new provisioning operation.
    """
    return doc["properties"].get("provisioningState") == "failed"


def _start_provisioning(req: ArmRequest, doc: dict[str, Any], seconds: float) -> Operation:
    doc["properties"].update(provisioningState="provisioning", status="provisioning")
    return req.state.lro.start(
        req,
        style="body",
        completion="provisioned",
        duration=seconds,
        resource_id=doc["id"],
        namespace=provider.namespace,
        retry_after=RETRY_AFTER,
        location=doc["location"],
    )


@provider.completion("provisioned")
def _provisioned(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is None or not _provisioning(doc):
        return
    failed = op.failing
    doc["properties"].update(
        provisioningState="failed" if failed else "succeeded",
        status="error" if failed else "running",
    )
    state.store.put(doc)


def _apply(req: ArmRequest, doc: dict[str, Any], body: dict[str, Any], sku: str, *, replace: bool) -> bool:
    """Validate and apply a write to `doc`; True when it changes capacity (needs provisioning)."""
    before = {f: doc["properties"].get(f) for f in _CAPACITY_FIELDS}
    props = _desired(doc["properties"], body.get("properties") or {}, sku, replace=replace)
    identity = body.get("identity") if "identity" in body else doc.get("identity")
    _check_tier(sku, props, identity)
    resized = any(props.get(f) != before[f] for f in _CAPACITY_FIELDS)
    resized = resized or doc.get("sku", {}).get("name", sku) != sku
    doc["properties"] = props
    doc["sku"] = {"name": sku}
    if replace:
        doc["tags"] = put_tags(body)
    elif body.get("tags") is not None:
        doc["tags"] = body["tags"]
    doc.setdefault("tags", {})
    ident = managed_identity(req.state, body.get("identity"), doc.get("identity"), doc["name"])
    doc.pop("identity", None)
    if ident is not None:
        doc["identity"] = ident
    doc["systemData"] = system_data(req, doc)
    doc["properties"]["eTag"] = f'W/"{secrets.token_hex(8)}"'
    return resized


# -- routes -------------------------------------------------------------------------------------
@provider.route("PUT", SERVICE)
def put_service(req: ArmRequest) -> ArmResponse:
    name = req.params["name"]
    _check_name(name)
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    if existing is not None and _provisioning(existing):
        raise _busy()
    sku_name = (body.get("sku") or {}).get("name") or (existing or {}).get("sku", {}).get("name")
    if not sku_name:
        # [unverified] text; the SDK docstring: sku "is required when creating a new service".
        raise _bad_request("The sku property is required when creating a new search service.")
    sku = _check_sku(sku_name)
    if existing is None:
        _check_global_name(req, name)
        _check_quota(req, name, sku)
    elif existing["sku"]["name"] != sku:
        _check_sku_change(req, existing["sku"]["name"], sku)
    failed_before = existing is not None and _failed(existing)
    doc = _envelope(req, existing, location)
    resized = _apply(req, doc, body, sku, replace=True)
    _provision_after_write(req, doc, created=existing is None, resized=resized or failed_before)
    req.state.store.put(doc, created=req.now())
    headers = {"Retry-After": str(RETRY_AFTER)} if _provisioning(doc) else {}
    return ArmResponse(201 if existing is None else 200, _public(doc), headers)


def _check_global_name(req: ArmRequest, name: str) -> None:
    if any(d["name"].lower() == name.lower() for d in req.state.store.find(type=TYPE)):
        raise _name_unavailable(name)


def _provision_after_write(req: ArmRequest, doc: dict[str, Any], *, created: bool, resized: bool) -> None:
    if created and doc["sku"]["name"] == "free":
        doc["properties"].update(provisioningState="succeeded", status="running")
    elif created:
        _start_provisioning(req, doc, CREATE_SECONDS)
    elif resized:
        _start_provisioning(req, doc, SCALE_SECONDS)


@provider.route("PATCH", SERVICE)
def patch_service(req: ArmRequest) -> dict[str, Any]:
    doc = require(req, TYPE)
    if _provisioning(doc):
        raise _busy()
    body = req.json()
    sku = (body.get("sku") or {}).get("name") or doc["sku"]["name"]
    if sku != doc["sku"]["name"]:
        _check_sku_change(req, doc["sku"]["name"], _check_sku(sku))
    failed_before = _failed(doc)
    resized = _apply(req, doc, body, sku, replace=False)
    _provision_after_write(req, doc, created=False, resized=resized or failed_before)
    req.state.store.put(doc)
    return _public(doc)


@provider.route("GET", SERVICE)
def get_service(req: ArmRequest) -> dict[str, Any]:
    return _public(require(req, TYPE))


@provider.route("DELETE", SERVICE)
def delete_service(req: ArmRequest) -> ArmResponse:
    return delete_now(req)


provider.on_delete(TYPE)(forget_identity)


@provider.route("GET", SERVICES)
def list_by_group(req: ArmRequest) -> ArmResponse:
    rg = f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"
    return page(req, [_public(d) for d in req.state.store.find(type=TYPE, rg=rg)])


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.Search/searchServices")
def list_by_subscription(req: ArmRequest) -> ArmResponse:
    return page(req, [_public(d) for d in req.state.store.find(type=TYPE)])


@provider.route("POST", "/subscriptions/{sub}/providers/Microsoft.Search/checkNameAvailability")
def check_name_availability(req: ArmRequest) -> dict[str, Any]:
    """Shape from specs `SearchCheckNameAvailability.json`; `message` only for Invalid."""
    body = req.json()
    if body.get("type") != "searchServices":
        # SR CheckNameAvailabilityInput: `type` required, enum ["searchServices"] with
        # modelAsString false. [unverified] status, code and text of the live refusal.
        raise _bad_request(
            f"The resource type '{body.get('type')}' is invalid: type must be 'searchServices'."
        )
    name = str(body.get("name", ""))
    try:
        _check_name(name)
    except ArmError as err:
        return {"nameAvailable": False, "reason": "Invalid", "message": err.message}
    taken = any(d["name"].lower() == name.lower() for d in req.state.store.find(type=TYPE))
    if taken:
        return {"nameAvailable": False, "reason": "AlreadyExists", "message": ""}
    return {"nameAvailable": True, "reason": None, "message": None}


def _keys_of(req: ArmRequest) -> dict[str, Any]:
    p = req.params
    doc = req.state.store.get(
        f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/{TYPE}/{p['name']}"
    )
    if doc is None:
        raise resource_not_found(TYPE, p["name"], p["rg"])
    if doc["properties"].get("disableLocalAuth"):
        # AVM bicep-registry-modules PR #6944: listAdminKeys() fails when local auth is off.
        # [unverified] the live text was not found; BadRequest like the RP's other refusals.
        raise _bad_request(
            "Key-based authentication is disabled for this search service "
            "(disableLocalAuth is true); API keys cannot be listed."
        )
    return dict(doc["keys"])


@provider.route("POST", SERVICE + "/listAdminKeys")
def list_admin_keys(req: ArmRequest) -> dict[str, Any]:
    keys = _keys_of(req)
    return {"primaryKey": keys["primaryKey"], "secondaryKey": keys["secondaryKey"]}


@provider.route("POST", SERVICE + "/listQueryKeys")
def list_query_keys(req: ArmRequest) -> ArmResponse:
    keys = _keys_of(req)
    return page(req, [{"name": None, "key": k} for k in keys["query"]])
