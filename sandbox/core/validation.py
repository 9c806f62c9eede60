"""Checks ARM makes on every routed call before the resource provider sees it (no state change).

- the api-version is well formed and supported for the request's resource type
  (infra/catalog/api_versions.py);
- a PUT's `location` is a region the type is offered in, and does not move an existing resource.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from infra.catalog import api_versions, regions
from sandbox.core import armid
from sandbox.core.errors import ArmError

if TYPE_CHECKING:
    from sandbox.core.http import ArmRequest

# ARM's own lists contain `2014-04` besides dated versions (pulumi-azure-native#3637).
_VERSION = re.compile(r"^\d{4}-\d{2}(-\d{2})?(-(preview|alpha|beta|privatepreview))?$", re.IGNORECASE)
_PROVIDER_ACTIONS = {"register", "unregister"}
RG_TYPE = "Microsoft.Resources/resourceGroups"


def check_request(req: ArmRequest) -> None:
    """Refuse what ARM refuses before routing to the provider; raises ArmError."""
    rtype = resource_type(req.method, req.canonical_path)
    body = _body(req) if req.method == "PUT" else None
    existing = req.state.store.get(req.canonical_path) if body is not None else None
    location = _location_of(body, existing)
    check_api_version(req.api_version, rtype, location)
    if body is not None and isinstance(body.get("location"), str):
        check_location(rtype, req.canonical_path, body["location"], existing)


def resource_type(method: str, path: str) -> str:
    """`Namespace/type[/child]` as ARM derives it from a path (an action's segment dropped)."""
    parts = [p for p in path.split("/") if p]
    low = [p.lower() for p in parts]
    at = max((i for i, p in enumerate(low) if p == "providers" and i + 1 < len(parts)), default=-1)
    if at < 0 or "." not in parts[at + 1]:
        return _front_door_type(low)
    namespace, rest = parts[at + 1], parts[at + 2 :]
    registration = len(rest) == 1 and rest[0].lower() in _PROVIDER_ACTIONS
    if at == 2 and (not rest or (method == "POST" and registration)):
        return "Microsoft.Resources/providers"  # /subscriptions/{s}/providers/{ns}[/register]
    if method == "POST" and len(rest) % 2 == 1:
        rest = rest[:-1]  # an action: checkNameAvailability, listKeys, ...
    return "/".join([namespace, *rest[0::2]])


def _front_door_type(low: list[str]) -> str:
    names = {"resourcegroups": "resourceGroups", "providers": "providers", "locations": "locations"}
    if len(low) >= 3 and low[2] in names:
        return f"Microsoft.Resources/{names[low[2]]}"
    return (
        "Microsoft.Resources/subscriptions" if low[:1] == ["subscriptions"] else "Microsoft.Resources/tenants"
    )


def check_api_version(version: str, rtype: str, location: str) -> None:
    allowed = api_versions.supported(rtype)
    well_formed = bool(_VERSION.match(version))
    if allowed is not None and version.lower() in (v.lower() for v in allowed):
        return
    if allowed is None and well_formed:
        return
    front_door = rtype.split("/")[0].lower() in api_versions.FRONT_DOOR_NAMESPACES
    listed = allowed or ()
    if front_door or not well_formed:
        # Src: ARM's text in pulumi/pulumi-azure-native#3637, Azure/azure-cli#28038. For a
        # malformed version on a provider type the code is assumed the same (not confirmed).
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{','.join(listed)}'.",
        )
    # Src: Azure/bicep#3543, Azure/azure-cli#28368, pulumi/pulumi-azure-nextgen#170.
    child = rtype.split("/", 1)[1]
    where = ", ".join(sorted(regions.available(rtype))) if _tracked(rtype) else ""
    raise ArmError(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location}' and API version "
        f"'{version}' for type '{child}'. The supported api-versions are '{', '.join(listed)}'. "
        f"The supported locations are '{where}'.",
    )


def check_location(rtype: str, path: str, requested: str, existing: dict[str, Any] | None) -> None:
    """Unknown region: 400 LocationNotAvailableFor...; moving a resource: 409 InvalidResourceLocation."""
    location = requested.replace(" ", "").lower()
    offered = regions.available(rtype)
    if location not in offered:
        listed = ",".join(sorted(offered))
        if rtype == RG_TYPE:
            # Src: sandbox-audit "Core" row (terraform / azure-cli reports of the live text).
            raise ArmError(
                400,
                "LocationNotAvailableForResourceGroup",
                f"The provided location '{requested}' is not available for resource group. "
                f"List of available regions is '{listed}'.",
            )
        raise ArmError(
            400,
            "LocationNotAvailableForResourceType",
            f"The provided location '{requested}' is not available for resource type '{rtype}'. "
            f"List of available regions for the resource type is '{listed}'.",
        )
    held = str((existing or {}).get("location") or "").replace(" ", "").lower()
    if held and held != location and rtype != RG_TYPE:
        rid = armid.parse(path)
        # Src: sandbox-audit "Core" row: 409 InvalidResourceLocation (many user reports).
        raise ArmError(
            409,
            "InvalidResourceLocation",
            f"The resource '{rid.name}' already exists in location '{held}' in resource group "
            f"'{rid.resource_group}'. A resource with the same name cannot be created in location "
            f"'{location}'. Please select a new resource name.",
        )


def _tracked(rtype: str) -> bool:
    return rtype.count("/") == 1 and not rtype.lower().startswith("microsoft.authorization/")


def _body(req: ArmRequest) -> dict[str, Any] | None:
    """The PUT body when it is a JSON object; malformed bodies are the provider's 400."""
    try:
        doc = json.loads(req.raw_body or b"null")
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _location_of(body: dict[str, Any] | None, existing: dict[str, Any] | None) -> str:
    for doc in (body, existing):
        loc = (doc or {}).get("location")
        if isinstance(loc, str) and loc:
            return loc.replace(" ", "").lower()
    return "*"  # what ARM prints for calls without a location (Azure/azure-sdk-for-js#4097)
