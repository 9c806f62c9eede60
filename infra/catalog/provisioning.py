"""Provisioning states per resource type, and the one judgement of them: ok, in progress or failed.

ARM's rule (Azure/azure-resource-manager-rpc `async-api-reference.md`, MicrosoftDocs azure-docs
`async-operations.md`, arm-facts section 2): `Succeeded`, `Failed` and `Canceled` are terminal and any
other value means the operation is still running; a resource without `provisioningState` counts as
`Succeeded`. Some providers add a second field that can make a settled resource unusable (search
`status`, container app `runningStatus`, revision `runningState`).

Values are the enums of the pinned SDKs, generated from the REST specs (azure-rest-api-specs):
azure-mgmt-search 9.2.0 `ProvisioningState`/`SearchServiceStatus`, azure-mgmt-cognitiveservices 14.1.0
`ProvisioningState`/`DeploymentProvisioningState`, azure-mgmt-appcontainers 5.1.0
`ContainerAppProvisioningState`/`ContainerAppRunningStatus`/`EnvironmentProvisioningState`/
`RevisionProvisioningState`/`RevisionRunningState`, azure-mgmt-containerregistry 15.0.0
`ProvisioningState`, azure-mgmt-loganalytics 14.0.0 `WorkspaceEntityStatus`.
tests/infra/test_provisioning.py checks every value of those enums is classified here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any


class Health(StrEnum):
    OK = "ok"
    IN_PROGRESS = "in progress"
    FAILED = "failed"


@dataclass(frozen=True)
class StateFacts:
    """Lower-cased values per verdict; an unlisted provisioning state is in progress (ARM's rule)."""

    ok: frozenset[str] = frozenset({"succeeded"})
    failed: frozenset[str] = frozenset({"failed", "canceled"})
    in_progress: frozenset[str] = frozenset()
    status_field: str | None = None
    status_failed: frozenset[str] = frozenset()
    status_in_progress: frozenset[str] = frozenset()
    healthy: str = "Succeeded"


def _set(*values: str) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


GENERIC = StateFacts()
SEARCH_SERVICE = "Microsoft.Search/searchServices"
ACCOUNT = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
CONTAINER_APP = "Microsoft.App/containerApps"
REVISION = "Microsoft.App/containerApps/revisions"
MANAGED_ENVIRONMENT = "Microsoft.App/managedEnvironments"
REGISTRY = "Microsoft.ContainerRegistry/registries"
WORKSPACE = "Microsoft.OperationalInsights/workspaces"

FACTS: dict[str, StateFacts] = {
    # The service is "most likely operational" when degraded, but the search team is investigating it;
    # disabled rejects every request, stopped means a disabled subscription (SearchServiceStatus).
    SEARCH_SERVICE.lower(): StateFacts(
        failed=_set("failed"),
        in_progress=_set("provisioning"),
        status_field="status",
        status_failed=_set("degraded", "disabled", "error", "stopped"),
        status_in_progress=_set("provisioning", "deleting"),
        healthy="succeeded/running",
    ),
    ACCOUNT.lower(): StateFacts(
        in_progress=_set("Accepted", "Creating", "Deleting", "Moving", "ResolvingDNS")
    ),
    # A disabled deployment serves nothing (e.g. its model retired); it will not become usable by waiting.
    DEPLOYMENT.lower(): StateFacts(
        failed=_set("Failed", "Canceled", "Disabled"),
        in_progress=_set("Accepted", "Creating", "Deleting", "Moving"),
    ),
    # Stopped/Suspended apps serve nothing until an operator starts them again.
    CONTAINER_APP.lower(): StateFacts(
        in_progress=_set("InProgress", "Deleting"),
        status_field="runningStatus",
        status_failed=_set("Stopped", "Suspended"),
        status_in_progress=_set("Progressing"),
        healthy="Succeeded/Running",
    ),
    # Revisions settle as `Provisioned`; `ScaledToZero` (runningState of an idle min-0 revision,
    # MicrosoftDocs azure-docs container-apps/scale-app.md) is healthy and not in the SDK enum.
    REVISION.lower(): StateFacts(
        ok=_set("Provisioned"),
        failed=_set("Failed", "Deprovisioned"),
        in_progress=_set("Provisioning", "Deprovisioning"),
        status_field="runningState",
        status_failed=_set("Failed", "Degraded", "Stopped"),
        status_in_progress=_set("Processing", "Unknown"),
        healthy="Provisioned/Running",
    ),
    MANAGED_ENVIRONMENT.lower(): StateFacts(
        failed=_set("Failed", "Canceled", "UpgradeFailed"),
        in_progress=_set(
            "Waiting",
            "InitializationInProgress",
            "InfrastructureSetupInProgress",
            "InfrastructureSetupComplete",
            "ScheduledForDelete",
            "UpgradeRequested",
        ),
    ),
    REGISTRY.lower(): StateFacts(in_progress=_set("Creating", "Updating", "Deleting")),
    WORKSPACE.lower(): StateFacts(
        in_progress=_set("Creating", "Deleting", "ProvisioningAccount", "Updating")
    ),
}


@dataclass(frozen=True)
class Verdict:
    """How a resource stands: `state` is what Azure reports, as an operator would read it."""

    health: Health
    state: str
    healthy: str = "Succeeded"

    @property
    def ok(self) -> bool:
        return self.health is Health.OK


def facts(resource_type: str) -> StateFacts:
    return FACTS.get(resource_type.lower(), GENERIC)


def judge(resource_type: str, provisioning_state: Any, status: Any = None) -> Verdict:
    """The verdict on one resource from its provisioning state and, where the type has one, its status."""
    rules = facts(resource_type)
    prov, second = _text(provisioning_state), _text(status)
    state = "/".join(v for v in (prov or "Succeeded", second) if v)
    if prov is not None and prov.lower() not in rules.ok:
        failed = prov.lower() in rules.failed
        return Verdict(Health.FAILED if failed else Health.IN_PROGRESS, state, rules.healthy)
    if second is not None and second.lower() in rules.status_failed:
        return Verdict(Health.FAILED, state, rules.healthy)
    if second is not None and second.lower() in rules.status_in_progress:
        return Verdict(Health.IN_PROGRESS, state, rules.healthy)
    return Verdict(Health.OK, state, rules.healthy)


def judge_body(resource_type: str, properties: Mapping[str, Any] | None) -> Verdict:
    """`judge` on a resource's wire `properties` (any key case, as ARM compares them)."""
    lowered = {str(k).lower(): v for k, v in (properties or {}).items()}
    field = facts(resource_type).status_field
    return judge(
        resource_type, lowered.get("provisioningstate"), lowered.get(field.lower()) if field else None
    )


def worst(*verdicts: Verdict) -> Verdict:
    """The least healthy verdict (failed before in progress before ok)."""
    order = (Health.FAILED, Health.IN_PROGRESS, Health.OK)
    return min(verdicts, key=lambda v: order.index(v.health))


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value.value if isinstance(value, Enum) else value)
