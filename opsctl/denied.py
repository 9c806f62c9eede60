"""A data plane's "permission denied" as one line: the role missing, its scope and the fix.

Owner and Contributor carry no dataActions: the documents of a search index and the inference APIs
of a model account need data roles (learn.microsoft.com azure/search/search-security-rbac; azure/
ai-foundry/openai/how-to/role-based-access-control). AI Search answers a missing role with 403;
Azure OpenAI and Document Intelligence answer 401 `PermissionDenied` naming the data action
(Azure/azure-sdk-for-python#44842) or 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

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


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of an azure-core or openai error (None for anything else)."""
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def error_message(exc: BaseException) -> str:
    """The service's message of an azure-core or openai error, in one line."""
    message = getattr(exc, "message", None) or str(exc)
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    return one_line(message)


def one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 400 else text[:397] + "..."


def is_permission_denied(exc: BaseException) -> bool:
    """A refusal that a role assignment fixes (not a network rule or disabled keys)."""
    status = http_status(exc)
    text = str(exc).lower()
    if any(word in text for word in _NOT_A_ROLE):
        return False
    return status == 403 or (status == 401 and "permissiondenied" in text.replace(" ", ""))


def denied(plane: DataPlane, key: str, role: str, *, preset: str) -> OpsError:
    env = plane.environment
    scope = env.scopes()[key]  # type: ignore[index]
    caller = plane.caller()
    principal, principal_type = (caller.object_id, caller.principal_type) if caller else ("", "User")
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
