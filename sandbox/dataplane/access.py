"""Who may call a Cognitive Services data plane: keys, Entra tokens, data-action RBAC, network.

Shared by every data plane under `/cognitive/{account}/`; errors are raised as `DataPlaneError`
carrying the service's own body (`{"error": {"code", "message"}}`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from infra.catalog.cognitive import DATAPLANE_AUDIENCE
from sandbox.arm.network.models import privately_reachable
from sandbox.core.errors import ArmError
from sandbox.core.rbac import Access, permits
from sandbox.core.state import SandboxState

ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
AUDIENCES = (DATAPLANE_AUDIENCE, DATAPLANE_AUDIENCE + "/")


@dataclass
class DataPlaneError(Exception):
    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    inner: dict[str, str] | None = None

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.inner:
            err["innererror"] = self.inner
        return {"error": err}


@dataclass(frozen=True)
class Caller:
    principal_id: str  # "" for a key caller
    claims: dict[str, Any]

    @property
    def by_key(self) -> bool:
        return not self.principal_id


def find_account(state: SandboxState, name: str) -> dict[str, Any]:
    """The account whose custom subdomain (or, without one, whose name) is `name`."""
    low = name.lower()
    for doc in state.store.find(type=ACCOUNT_TYPE):
        props = doc.get("properties") or {}
        if (props.get("customSubDomainName") or doc["name"]).lower() == low:
            return doc
    # [mem] an unknown host does not resolve on Azure; the sandbox answers 404 instead.
    raise DataPlaneError(
        404, "404", f"Resource not found: no Cognitive Services account '{name}' in the sandbox."
    )


def authenticate(state: SandboxState, account: dict[str, Any], headers: dict[str, str]) -> Caller:
    """A key (`api-key` / `Ocp-Apim-Subscription-Key`) or a bearer token for the data-plane audience."""
    key = headers.get("api-key") or headers.get("ocp-apim-subscription-key")
    props = account.get("properties") or {}
    if key is not None and not headers.get("authorization"):
        if props.get("disableLocalAuth"):
            # Src: Azure-Samples/azure-search-openai-demo#1837 family; learn.microsoft.com
            # ai-services/disable-local-auth ("Key based authentication is disabled").
            raise DataPlaneError(
                403, "AuthenticationTypeDisabled", "Key based authentication is disabled for this resource."
            )
        keys = (account.get("keys") or {}).values()
        if not any(hmac.compare_digest(key, k) for k in keys):
            # [mem] the text Azure AI services send for a wrong key.
            raise DataPlaneError(
                401,
                "401",
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
                "provide a valid key for an active subscription and use a correct regional API "
                "endpoint for your resource.",
            )
        return Caller("", {})
    try:
        claims = state.issuer.verify_header(headers.get("authorization"), audiences=AUDIENCES)
    except ArmError as exc:
        # [mem] Azure OpenAI's 401 for a missing, expired or wrong-audience token.
        raise DataPlaneError(
            401,
            "401",
            "Unauthorized. Access token is missing, invalid, audience is incorrect "
            f"({DATAPLANE_AUDIENCE}), or have expired.",
        ) from exc
    return Caller(str(claims.get("oid", "")), claims)


def check_network(state: SandboxState, account: dict[str, Any], caller: Caller) -> None:
    """`publicNetworkAccess: Disabled` refuses callers from outside: only an app's managed identity
    whose environment is in a VNet with an approved private endpoint to the account gets in
    (`sandbox.arm.network.models.privately_reachable`)."""
    props = account.get("properties") or {}
    if str(props.get("publicNetworkAccess") or "Enabled").lower() != "disabled":
        return
    if privately_reachable(state, account["id"], caller.claims):
        return
    # Src: Azure-Samples/azure-search-openai-demo#1208/#2742 ("Public access is disabled").
    raise DataPlaneError(403, "403", "Public access is disabled. Please configure private endpoint.")


def authorize(
    state: SandboxState, account: dict[str, Any], caller: Caller, action: str, operation: str
) -> None:
    """Data actions through the RBAC engine; new assignments count only once propagated."""
    if caller.by_key:
        return
    if permits(state, caller.principal_id, Access(action, account["id"], data=True), settled=True):
        return
    # Src: the PermissionDenied text of Foundry/OpenAI data planes (Azure/azure-sdk-for-python#44842,
    # microsoft/ai-agent-evals#43): 401 with the data action and the operation's route.
    raise DataPlaneError(
        401,
        "PermissionDenied",
        f"The principal `{caller.principal_id}` lacks the required data action `{action}` to perform "
        f"`{operation}` operation.",
    )


def admit(
    state: SandboxState, account: dict[str, Any], headers: dict[str, str], action: str, operation: str
) -> Caller:
    """Authentication, network, then RBAC: the order Azure's front end checks them in."""
    caller = authenticate(state, account, headers)
    check_network(state, account, caller)
    authorize(state, account, caller, action, operation)
    return caller
