"""Azure's cross-field rules, each refusing with the key, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from infra import rules
from infra.catalog.container_apps import CPU_MEMORY_PAIRS
from infra.catalog.search import SEARCH_TIERS
from infra.settings import SettingsError
from tests.infra.conftest import settings_for

GUID = "11111111-2222-4333-8444-555555555555"


def refused(**config: Any) -> SettingsError:
    with pytest.raises(SettingsError) as failure:
        settings_for(**config)
    return failure.value


def semantic_for(sku: str) -> str:
    return "free" if SEARCH_TIERS[sku].semantic_ranker else "disabled"


@pytest.mark.parametrize("sku", sorted(SEARCH_TIERS))
def test_every_tier_accepts_its_limits_and_refuses_one_more_replica(sku: str) -> None:
    tier = SEARCH_TIERS[sku]
    top = {"sku": sku, "replicas": tier.max_replicas, "partitions": 1, "semanticRanker": semantic_for(sku)}
    assert settings_for(search=top).search.replicas == tier.max_replicas
    error = refused(search={**top, "replicas": tier.max_replicas + 1})
    assert (error.key, error.value) == ("ragstack:search.replicas", tier.max_replicas + 1)
    assert error.problem == f"sku '{sku}' allows replicas 1-{tier.max_replicas}"
    assert refused(search={**top, "replicas": 0}).key == "ragstack:search.replicas"


@pytest.mark.parametrize("sku", sorted(SEARCH_TIERS))
def test_every_tier_accepts_only_its_partition_counts(sku: str) -> None:
    tier = SEARCH_TIERS[sku]
    semantic = semantic_for(sku)
    for partitions in tier.partitions:
        settings_for(search={"sku": sku, "partitions": partitions, "semanticRanker": semantic})
    for partitions in sorted(set(range(0, 14)) - set(tier.partitions)):
        error = refused(search={"sku": sku, "partitions": partitions, "semanticRanker": semantic})
        assert (error.key, error.value) == ("ragstack:search.partitions", partitions)


@pytest.mark.parametrize("sku", [s for s, t in SEARCH_TIERS.items() if t.max_search_units > 1])
def test_search_units_cap(sku: str) -> None:
    tier = SEARCH_TIERS[sku]
    partitions = max(tier.partitions)
    replicas = tier.max_search_units // partitions
    settings_for(search={"sku": sku, "replicas": replicas, "partitions": partitions})
    if replicas + 1 <= tier.max_replicas:
        error = refused(search={"sku": sku, "replicas": replicas + 1, "partitions": partitions})
        assert error.key == "ragstack:search.replicas"
        assert error.problem.endswith(f"sku '{sku}' allows at most {tier.max_search_units}")


def test_high_density_only_on_standard3_with_three_partitions() -> None:
    settings_for(search={"sku": "standard3", "hostingMode": "highDensity", "partitions": 3})
    assert (
        refused(search={"sku": "standard2", "hostingMode": "highDensity"}).key
        == "ragstack:search.hostingMode"
    )
    error = refused(search={"sku": "standard3", "hostingMode": "highDensity", "partitions": 4})
    assert error.problem == "sku 'standard3' in highDensity mode allows partitions 1, 2, 3"


@pytest.mark.parametrize("plan", ["free", "standard"])
def test_free_search_has_no_semantic_ranker(plan: str) -> None:
    error = refused(search={"sku": "free", "semanticRanker": plan})
    assert (error.key, error.value) == ("ragstack:search.semanticRanker", plan)


@pytest.mark.parametrize(("cpu", "memory"), [(float(c), m) for c, m in CPU_MEMORY_PAIRS.items()])
def test_every_consumption_cpu_memory_pair_is_accepted(cpu: float, memory: str) -> None:
    assert settings_for(app={"cpu": cpu, "memory": memory}).app.memory == memory


@pytest.mark.parametrize(
    ("app", "key", "problem"),
    [
        ({"cpu": 0.3, "memory": "0.5Gi"}, "ragstack:app.cpu", "cpu must be 0.25 to 4.0 in steps of 0.25"),
        ({"cpu": 4.25, "memory": "8.5Gi"}, "ragstack:app.cpu", "cpu must be 0.25 to 4.0 in steps of 0.25"),
        ({"cpu": 1.0, "memory": "1Gi"}, "ragstack:app.memory", "cpu 1 needs memory '2Gi' (2 GiB per vCPU)"),
        (
            {"cpu": 1.0, "memory": "2048Mi"},
            "ragstack:app.memory",
            "cpu 1 needs memory '2Gi' (2 GiB per vCPU)",
        ),
        ({"minReplicas": -1}, "ragstack:app.minReplicas", "minReplicas must be >= 0"),
        ({"maxReplicas": 0}, "ragstack:app.maxReplicas", "maxReplicas must be 1-1000"),
        ({"maxReplicas": 1001}, "ragstack:app.maxReplicas", "maxReplicas must be 1-1000"),
        ({"minReplicas": 4, "maxReplicas": 3}, "ragstack:app.minReplicas", "minReplicas (4) must not exceed"),
        ({"env": {"AZURE_CLIENT_ID": "x"}}, "ragstack:app.env.AZURE_CLIENT_ID", "is set by the stack"),
        (
            {"env": {"azure_openai_endpoint": "x"}},
            "ragstack:app.env.azure_openai_endpoint",
            "is set by the stack",
        ),
        ({"env": {"BAD-NAME": "x"}}, "ragstack:app.env.BAD-NAME", "names are letters, digits and '_'"),
    ],
)
def test_app_rules(app: dict, key: str, problem: str) -> None:
    error = refused(app=app)
    assert error.key == key and error.problem.startswith(problem)


def test_replica_bounds_accept_the_edges() -> None:
    assert settings_for(app={"minReplicas": 0, "maxReplicas": 1000}).app.max_replicas == 1000


@pytest.mark.parametrize("reserved", sorted(rules.RESERVED_TAGS))
def test_reserved_tags_are_refused(reserved: str) -> None:
    error = refused(tags={reserved.upper(): "x"})
    assert error.key == f"ragstack:tags.{reserved.upper()}"


def test_tag_name_and_value_limits() -> None:
    assert refused(tags={"a/b": "x"}).problem.startswith("tag names are 1-512 characters")
    assert refused(tags={"ok": "v" * 257}).problem == "tag values are at most 256 characters"
    assert settings_for(tags={"ok": "v" * 256}).tags["ok"] == "v" * 256


def deployment(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "model": "gpt-4o-mini", "version": "2024-07-18", **extra}


@pytest.mark.parametrize(
    ("deployments", "key", "problem"),
    [
        (
            [deployment("chat"), deployment("CHAT")],
            "ragstack:openai.deployments[1].name",
            "duplicate deployment name",
        ),
        ([deployment("-x")], "ragstack:openai.deployments[0].name", "must be 2-64 letters"),
        ([deployment("c")], "ragstack:openai.deployments[0].name", "must be 2-64 letters"),
        (
            [deployment("chat", capacity=0)],
            "ragstack:openai.deployments[0].capacity",
            "must be greater than 0",
        ),
        ([deployment("chat", model="")], "ragstack:openai.deployments[0].model", "is required"),
    ],
)
def test_deployment_rules(deployments: list, key: str, problem: str) -> None:
    error = refused(openai={"deployments": deployments})
    assert error.key == key and error.problem.startswith(problem)


@pytest.mark.parametrize(
    ("grant", "key", "problem"),
    [
        (
            {"principalId": "me", "principalType": "User", "preset": "reader"},
            "principalId",
            "must be an Entra",
        ),
        (
            {"principalId": GUID, "principalType": "User", "preset": "app"},
            "preset",
            "allowed presets: developer,",
        ),
        ({"principalId": GUID, "principalType": "User", "preset": "owner"}, "preset", "allowed presets:"),
    ],
)
def test_access_rules(grant: dict, key: str, problem: str) -> None:
    error = refused(access=[grant])
    assert error.key == f"ragstack:access[0].{key}" and error.problem.startswith(problem)


def test_the_same_preset_twice_for_one_principal_is_refused() -> None:
    grant = {"principalId": GUID, "principalType": "User", "preset": "reader"}
    error = refused(access=[grant, {**grant, "principalId": GUID.upper()}])
    assert (error.key, error.problem) == ("ragstack:access[1].preset", "granted twice to this principal")


@pytest.mark.parametrize(("days", "ok"), [(29, False), (30, True), (730, True), (731, False)])
def test_log_retention_bounds(days: int, ok: bool) -> None:
    if ok:
        assert settings_for(logRetentionDays=days).log_retention_days == days
    else:
        assert refused(logRetentionDays=days).key == "ragstack:logRetentionDays"


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"environment": "Dev"}, "ragstack:environment"),
        ({"environment": "a--b"}, "ragstack:environment"),
        ({"environment": "x" * 21}, "ragstack:environment"),
        ({"location": "East US 2"}, "ragstack:location"),
        ({"subscriptionId": "not-a-guid"}, "ragstack:subscriptionId"),
        ({"names": {"registry": "has-dash"}}, "ragstack:names.registry"),
        ({"names": {"containerApp": "9starts-with-digit"}}, "ragstack:names.containerApp"),
    ],
)
def test_environment_and_name_rules(config: dict, key: str) -> None:
    assert refused(**config).key == key


def test_problems_lists_every_broken_rule_in_order() -> None:
    from infra.settings import AppSettings, SearchSettings, StackSettings

    settings = StackSettings(
        stack="s",
        environment="s1",
        location="eastus2",
        search=SearchSettings(sku="basic", replicas=4),
        app=AppSettings(cpu=1.0, memory="1Gi"),
        log_retention_days=1,
    )
    keys = [p.key for p in rules.problems(settings)]
    assert keys == ["ragstack:search.replicas", "ragstack:app.memory", "ragstack:logRetentionDays"]


def test_search_capacity_problem_is_shared_with_opsctl() -> None:
    assert rules.search_capacity_problem("standard", 3, 1) is None
    assert rules.search_capacity_problem("standard", 4, 12) == (
        "replicas",
        4,
        "4 replicas x 12 partitions = 48 search units; sku 'standard' allows at most 36",
    )
