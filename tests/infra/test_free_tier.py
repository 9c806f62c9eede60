"""The free search tier: no managed identity, so nothing may be granted to it; no semantic ranker."""

from __future__ import annotations

import functools

from infra.catalog.roles import CORE_RESOURCE_KEYS as CORE
from infra.catalog.roles import ROLE_PRESETS
from infra.mockrun import Rendered, render
from tests.infra.conftest import SUBSCRIPTION, settings_for

SEARCH = "azure-native:search:Service"
ROLE = "azure-native:authorization:RoleAssignment"


@functools.cache
def free() -> Rendered:
    settings = settings_for(environment="free", profile="free")
    return render(settings, subscription_id=SUBSCRIPTION)


def test_free_profile_uses_the_free_search_tier_without_semantic_ranker() -> None:
    service = free().one(SEARCH)
    assert service.inputs["sku"] == {"name": "free"}
    assert service.inputs["semanticSearch"] == "disabled"
    assert service.inputs["replicaCount"] == 1 and service.inputs["partitionCount"] == 1


def test_free_search_has_no_identity_and_no_role_assignments() -> None:
    rendered = free()
    assert "identity" not in rendered.one(SEARCH).inputs
    assert rendered.outputs["searchPrincipalId"] is None
    assert not [r for r in rendered.resources if r.name == "roles-search"]
    principals = {r.inputs["principalId"] for r in rendered.of_type(ROLE)}
    assert principals == {rendered.outputs["identityPrincipalId"]}
    assert {row["preset"] for row in rendered.outputs["roleAssignments"]} == {"app"}
    # The classic account of the free profile has no project, so no project grant either.
    assert len(rendered.of_type(ROLE)) == len([g for g in ROLE_PRESETS["app"].grants if g.resource in CORE])


def test_free_profile_keeps_search_keys_off_and_is_unprotected() -> None:
    rendered = free()
    service = rendered.one(SEARCH)
    assert service.inputs["disableLocalAuth"] is True and "authOptions" not in service.inputs
    assert not any(r.protect for r in rendered.resources)


def test_billable_search_gets_an_identity_and_its_grants() -> None:
    rendered = render(
        settings_for(environment="paid", profile="free", search={"sku": "basic"}),
        subscription_id=SUBSCRIPTION,
    )
    principal = rendered.outputs["searchPrincipalId"]
    assert principal and rendered.one(SEARCH).inputs["identity"] == {"type": "SystemAssigned"}
    granted = [r for r in rendered.of_type(ROLE) if r.inputs["principalId"] == principal]
    assert len(granted) == len(ROLE_PRESETS["search"].grants)
    assert all(r.inputs["principalType"] == "ServicePrincipal" for r in granted)
