"""Who may call a sandbox search service's data plane, checked before every operation.

Order (MS Learn search-security-rbac.md, search-security-api-keys.md,
search-security-network-security... "public network access"):
1. `publicNetworkAccess: disabled` refuses every caller from outside the network; inside means
   an app's managed identity whose environment is in a VNet with an approved private endpoint to
   the service (`sandbox.arm.network.models.privately_reachable`). [unverified] the 403 text for
   Search (it is the Azure OpenAI one, Azure-Samples/azure-search-openai-demo#1208).
2. `api-key`: refused when `disableLocalAuth` is true; an admin key may do everything, a query
   key only reads documents (search-security-api-keys.md).
3. `Authorization: Bearer`: audience `https://search.azure.com` (the SDK's default scope
   `https://search.azure.com/.default`); refused when the service is `apiKeyOnly` (the default
   authOptions: "roles aren't enabled"); then the data action (documents) or the management
   action (indexes) is checked against role assignments, new ones only after the propagation
   delay (`settled=True`, RBAC troubleshooting "up to 10 minutes").
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from sandbox.arm.network.models import privately_reachable
from sandbox.core import rbac
from sandbox.dataplane import Caller, DataPlaneError, bearer_caller

if TYPE_CHECKING:
    from sandbox.core.state import SandboxState

AUDIENCES = ("https://search.azure.com", "https://search.azure.com/")
READ_DOCS = "Microsoft.Search/searchServices/indexes/documents/read"
WRITE_DOCS = "Microsoft.Search/searchServices/indexes/documents/write"
DELETE_DOCS = "Microsoft.Search/searchServices/indexes/documents/delete"
DATA_ACTIONS = (READ_DOCS, WRITE_DOCS, DELETE_DOCS)


def authenticate(state: SandboxState, service: dict[str, Any], headers: dict[str, str]) -> Caller:
    """The caller, or 401/403 as the service answers it."""
    props = service["properties"]
    api_key = headers.get("api-key")
    if api_key is not None:
        caller = _key_caller(service, api_key)
    else:
        caller = bearer_caller(state, headers.get("authorization", ""), AUDIENCES)
    closed = str(props.get("publicNetworkAccess", "enabled")).lower() == "disabled"
    if closed and not privately_reachable(state, service["id"], caller.claims):
        raise DataPlaneError(
            403, "Forbidden", "Public access is disabled. Please configure private endpoint."
        )
    if caller.key_kind is None and "apiKeyOnly" in (props.get("authOptions") or {}):
        raise DataPlaneError(
            403,
            "Forbidden",
            "Role-based access control is not enabled for this service (authOptions is apiKeyOnly); "
            "use an api-key or set authOptions to aadOrApiKey.",
        )
    return caller


def _key_caller(service: dict[str, Any], api_key: str) -> Caller:
    if service["properties"].get("disableLocalAuth"):
        raise DataPlaneError(
            403,
            "Forbidden",
            "Key based authentication is disabled for this search service (disableLocalAuth is true). "
            "Use a Microsoft Entra ID token.",
        )
    keys = service.get("keys") or {}
    for kind, candidates in (
        ("admin", [keys.get("primaryKey"), keys.get("secondaryKey")]),
        ("query", list(keys.get("query") or [])),
    ):
        if any(c and hmac.compare_digest(str(c), api_key) for c in candidates):
            return Caller(key_kind=kind)
    raise DataPlaneError(403, "Forbidden", "The api-key is not valid for this search service.")


def authorize(state: SandboxState, caller: Caller, service: dict[str, Any], action: str, scope: str) -> None:
    """403 unless the caller may perform `action` at `scope` (an index or the service)."""
    if caller.key_kind == "admin":
        return
    data = action in DATA_ACTIONS
    if caller.key_kind == "query":
        if action == READ_DOCS:
            return
        raise DataPlaneError(403, "Forbidden", "A query key can only read documents; use an admin key.")
    if rbac.permits(state, caller.object_id, rbac.Access(action, scope, data=data), settled=True):
        return
    # [unverified] Azure's own text; this one names what is missing so the fix is obvious.
    raise DataPlaneError(
        403,
        "Forbidden",
        f"Authorization failed: principal '{caller.object_id}' has no role assignment granting "
        f"'{action}' over scope '{scope}' (a new assignment takes effect after propagation).",
    )
