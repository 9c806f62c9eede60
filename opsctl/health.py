"""What write commands do with a resource that is not settled healthy (infra.catalog.provisioning).

A resource still in an operation is refused in one line (writing over it races Azure, and ARM answers
409 anyway); a failed one is never "unchanged": the command re-applies its value, and refuses if the
resource is still not healthy afterwards.
"""

from __future__ import annotations

from infra.catalog.provisioning import Health, Verdict
from opsctl.errors import OpsError

STATUS_HINT = "see `opsctl status`; re-run when it shows the resource ok"


def refuse_in_progress(what: str, verdict: Verdict) -> None:
    """One line naming the state when another operation still runs on `what`."""
    if verdict.health is Health.IN_PROGRESS:
        raise OpsError(f"{what} is {verdict.state}: another operation is still running", hint=STATUS_HINT)


def needs_repair(verdict: Verdict) -> bool:
    """A failed resource gets its value re-applied even when the value already matches."""
    return verdict.health is Health.FAILED


def require_healthy(what: str, verdict: Verdict, *, hint: str | None = None) -> None:
    """After a write: never report success over a resource that did not end healthy."""
    if verdict.health is Health.FAILED:
        raise OpsError(f"{what} is {verdict.state} after the update", code="ProvisioningFailed", hint=hint)
