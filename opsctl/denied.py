"""A data plane's "permission denied" as one line: the role missing, its scope and the fix.

Owner and Contributor carry no dataActions: the documents of a search index and the inference APIs
of a model account need data roles (learn.microsoft.com azure/search/search-security-rbac; azure/
ai-foundry/openai/how-to/role-based-access-control). AI Search answers a missing role with 403;
Azure OpenAI and Document Intelligence answer 401 `PermissionDenied` naming the data action
(Azure/azure-sdk-for-python#44842) or 403.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opsctl.dataplane import SERVICE_LABELS
from opsctl.errors import OpsError

if TYPE_CHECKING:
    from opsctl.dataplane import DataPlane

# Words of a refusal that no role assignment fixes (network rules, keys); those pass through as is.
_NOT_A_ROLE = ("public access", "private endpoint", "key based authentication", "apikeyonly")
PROPAGATION_NOTE = "a new assignment can take up to 10 minutes to apply"


@contextmanager
def needs_role(plane: DataPlane, key: str, role: str, *, preset: str) -> Iterator[None]:
    """Calls to service `key` inside this block need `role`; `preset` (infra.catalog.roles) grants it."""
    try:
        yield
    except Exception as exc:
        if not is_permission_denied(exc):
            raise
        raise denied(plane, key, role, preset=preset) from exc


def is_permission_denied(exc: BaseException) -> bool:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    text = str(exc).lower()
    if any(word in text for word in _NOT_A_ROLE):
        return False
    return status == 403 or (
        status == 401 and "permissiondenied" in f"{text}{_error_code(exc)}".replace(" ", "")
    )


def _error_code(exc: BaseException) -> str:
    """The body's error code: azure-core keeps it on `.error.code`, the openai SDK on `.code` (and
    leaves it out of its message)."""
    code = getattr(exc, "code", None) or getattr(getattr(exc, "error", None), "code", None)
    return str(code or "").lower()


def denied(plane: DataPlane, key: str, role: str, *, preset: str) -> OpsError:
    env = plane.environment
    scope = env.scopes()[key]  # type: ignore[index]
    principal, principal_type = _caller(plane)
    name = scope.rsplit("/", 1)[-1]
    return OpsError(
        f"permission denied by the {SERVICE_LABELS.get(key, key)} {name}: the caller "
        f"{principal or '(unknown principal)'} needs role '{role}' at scope {scope} ({PROPAGATION_NOTE})",
        code="PermissionDenied",
        hint=(
            f"`opsctl access grant --stack {env.stack} --principal {principal or '<object-id>'} "
            f"--principal-type {principal_type} --preset {preset}`"
        ),
    )


def _caller(plane: DataPlane) -> tuple[str, str]:
    """The calling principal's object id and type, read from its own token's claims (unverified: the
    service verified them already)."""
    from infra.catalog.cognitive import DATAPLANE_AUDIENCE

    try:
        token = plane.credential.get_token(f"{DATAPLANE_AUDIENCE}/.default").token
        claims = _claims(token)
    except Exception:
        return "", "User"
    kind = "ServicePrincipal" if claims.get("idtyp") == "app" else "User"
    return str(claims.get("oid") or ""), kind


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return doc if isinstance(doc, dict) else {}
