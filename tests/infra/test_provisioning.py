"""The provisioning-state facts cover every value the pinned SDKs (generated from the REST specs) know."""

from __future__ import annotations

from enum import Enum

import pytest
from azure.mgmt.appcontainers import models as apps
from azure.mgmt.cognitiveservices import models as cognitive
from azure.mgmt.containerregistry import models as registry
from azure.mgmt.loganalytics import models as loganalytics
from azure.mgmt.search import models as search

from infra.catalog import provisioning as p
from infra.catalog.provisioning import Health, judge, judge_body, worst

PROVISIONING_ENUMS: list[tuple[str, type[Enum]]] = [
    (p.SEARCH_SERVICE, search.ProvisioningState),
    (p.ACCOUNT, cognitive.ProvisioningState),
    (p.DEPLOYMENT, cognitive.DeploymentProvisioningState),
    (p.CONTAINER_APP, apps.ContainerAppProvisioningState),
    (p.REVISION, apps.RevisionProvisioningState),
    (p.MANAGED_ENVIRONMENT, apps.EnvironmentProvisioningState),
    (p.REGISTRY, registry.ProvisioningState),
    (p.WORKSPACE, loganalytics.WorkspaceEntityStatus),
]
STATUS_ENUMS: list[tuple[str, type[Enum]]] = [
    (p.SEARCH_SERVICE, search.SearchServiceStatus),
    (p.CONTAINER_APP, apps.ContainerAppRunningStatus),
    (p.REVISION, apps.RevisionRunningState),
]


@pytest.mark.parametrize(("resource_type", "enum"), PROVISIONING_ENUMS)
def test_every_provisioning_state_has_exactly_one_verdict(resource_type: str, enum: type[Enum]) -> None:
    rules = p.facts(resource_type)
    for member in enum:
        value = str(member.value).lower()
        assert [value in s for s in (rules.ok, rules.failed, rules.in_progress)].count(True) == 1, value


@pytest.mark.parametrize(("resource_type", "enum"), STATUS_ENUMS)
def test_every_status_value_is_classified_or_healthy(resource_type: str, enum: type[Enum]) -> None:
    rules = p.facts(resource_type)
    listed = rules.status_failed | rules.status_in_progress
    healthy = {str(m.value).lower() for m in enum} - listed
    assert healthy and healthy <= {"running", "ready"}


def test_search_needs_both_fields_settled() -> None:
    assert judge(p.SEARCH_SERVICE, search.ProvisioningState.SUCCEEDED, search.SearchServiceStatus.RUNNING).ok
    degraded = judge(p.SEARCH_SERVICE, "succeeded", "degraded")
    assert (degraded.health, degraded.state, degraded.healthy) == (
        Health.FAILED,
        "succeeded/degraded",
        "succeeded/running",
    )
    assert judge(p.SEARCH_SERVICE, "provisioning", "provisioning").health is Health.IN_PROGRESS
    assert judge(p.SEARCH_SERVICE, "failed", "error").state == "failed/error"


def test_arm_rules_for_unknown_values_types_and_absent_states() -> None:
    # Any value but Succeeded/Failed/Canceled means still running (ARM RPC async-api-reference).
    assert judge("Microsoft.Foo/bars", "Migrating").health is Health.IN_PROGRESS
    assert judge("Microsoft.Foo/bars", "Canceled").health is Health.FAILED
    # No provisioningState: treated as Succeeded (ARM RPC, arm-facts section 2).
    assert judge("Microsoft.ManagedIdentity/userAssignedIdentities", None).ok
    assert judge_body(
        p.CONTAINER_APP, {"ProvisioningState": "Succeeded", "runningStatus": "Stopped"}
    ).health is (Health.FAILED)


def test_worst_prefers_failed_then_in_progress() -> None:
    ok, busy, failed = (
        judge(p.REGISTRY, "Succeeded"),
        judge(p.REGISTRY, "Updating"),
        judge(p.REGISTRY, "Failed"),
    )
    assert worst(ok, busy) is busy and worst(busy, failed, ok) is failed and worst(ok) is ok
