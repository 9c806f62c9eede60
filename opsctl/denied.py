"""A data plane's "permission denied" as one line: the role missing, its scope and the fix.

Owner and Contributor carry no dataActions: the documents of a search index and the inference APIs
of a model account need data roles (learn.microsoft.com azure/search/search-security-rbac; azure/
ai-foundry/openai/how-to/role-based-access-control). AI Search answers a missing role with 403;
Azure OpenAI and Document Intelligence answer 401 `PermissionDenied` naming the data action
(Azure/azure-sdk-for-python#44842) or 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from opsctl.dataplane import SERVICE_LABELS
from opsctl.errors import OpsError

if TYPE_CHECKING:
    from infra.catalog.roles import ResourceKey
    from opsctl.dataplane import DataPlane

T = TypeVar("T")

# Words of a refusal that no role assignment fixes (network rules, keys); those pass through as is.
_NOT_A_ROLE = ("public access", "private endpoint", "key based authentication", "apikeyonly")
PROPAGATION_NOTE = "a new assignment can take up to 10 minutes to apply"
# Azure RBAC applies a new assignment within 10 minutes (learn.microsoft.com azure/role-based-access-
# control/troubleshooting, "Role assignment changes are not being detected"): the bound of a wait.
PROPAGATION_WAIT_SECONDS = 600.0
FIRST_POLL_SECONDS = 30.0  # then doubled, at most MAX_POLL_SECONDS a wait
MAX_POLL_SECONDS = 120.0


@contextmanager
def needs_role(plane: DataPlane, key: ResourceKey, role: str, *, preset: str) -> Iterator[None]:
    """Calls to service `key` inside this block need `role`; `preset` (infra.catalog.roles) grants it."""
    try:
        yield
    except Exception as exc:
        if not is_permission_denied(exc):
            raise
        raise denied(plane, key, role, preset=preset) from exc


def with_role(plane: DataPlane, key: ResourceKey, role: str, call: Callable[[], T], *, preset: str) -> T:
    """`call()`, which needs `role` on service `key`. Refused while the caller holds an assignment
    covering `role` that has not propagated yet, it is retried (target time, at most
    PROPAGATION_WAIT_SECONDS), as an operator must right after `opsctl access grant`; refused with no
    such assignment, or still after the wait, it is one line naming the role, the scope and the fix."""
    waited, step = 0.0, FIRST_POLL_SECONDS
    with needs_role(plane, key, role, preset=preset):
        while True:
            try:
                return call()
            except Exception as exc:
                pending = is_permission_denied(exc) and waited < PROPAGATION_WAIT_SECONDS
                if not pending or not assigned_roles(plane, key, lambda name: _covers(name, role)):
                    raise
            step = min(step, MAX_POLL_SECONDS, PROPAGATION_WAIT_SECONDS - waited)
            plane.target.sleep(step)
            waited, step = waited + step, step * 2


def _covers(assigned: str, needed: str) -> bool:
    """Whether role `assigned` allows what `needed` is asked for: the same role, or one whose data
    actions include all of `needed`'s (Search Index Data Contributor covers the Reader)."""
    from infra.catalog.roles import BUILTIN_ROLES, grants_data_action

    wanted = BUILTIN_ROLES[needed].data_actions if needed in BUILTIN_ROLES else ()
    return assigned == needed or (bool(wanted) and all(grants_data_action(assigned, a) for a in wanted))


def assigned_roles(
    plane: DataPlane, key: ResourceKey, accept: Callable[[str], bool], *, principal_id: str | None = None
) -> list[str]:
    """Roles `accept`ed that are assigned to the caller (or `principal_id`) at service `key`'s scope or
    above, read from ARM: what tells "not propagated yet" apart from "missing"."""
    from azure.mgmt.authorization import AuthorizationManagementClient

    from infra.catalog.roles import ROLE_NAMES_BY_GUID
    from opsctl.arm_errors import unless_missing

    if principal_id is None:
        caller = plane.caller()
        if caller is None:
            return []
        principal_id = caller.object_id
    scope = plane.environment.scopes()[key]
    client: Any = plane.target.client(AuthorizationManagementClient)
    items = unless_missing(
        f"listing role assignments on {scope}",
        lambda: list(
            client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal_id}'")
        ),
    )
    roles = set()
    for item in items or []:
        name = ROLE_NAMES_BY_GUID.get(item.role_definition_id.rsplit("/", 1)[-1].lower(), "")
        at_or_above = scope.lower().startswith((item.scope or "").lower().rstrip("/"))
        if at_or_above and item.principal_id == principal_id and accept(name):
            roles.add(name)
    return sorted(roles)


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
    return status == 403 or (
        status == 401 and "permissiondenied" in f"{text}{_error_code(exc)}".replace(" ", "")
    )


def _error_code(exc: BaseException) -> str:
    """The body's error code: azure-core keeps it on `.error.code`, the openai SDK on `.code` (and
    leaves it out of its message)."""
    code = getattr(exc, "code", None) or getattr(getattr(exc, "error", None), "code", None)
    return str(code or "").lower()


def denied(plane: DataPlane, key: ResourceKey, role: str, *, preset: str) -> OpsError:
    env = plane.environment
    scope = env.scopes()[key]
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
