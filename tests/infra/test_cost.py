"""The monthly estimate: arithmetic from the price table, not from constants copied into tests."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra import cost
from infra.catalog import prices
from infra.catalog.search import SEARCH_TIERS
from infra.planned import PlannedResource
from tests.planned_stack import compliant_stack, container_app_inputs, find, tags


def line(estimate: cost.CostEstimate, name: str) -> cost.CostLine:
    return next(ln for ln in estimate.lines if ln.resource == name)


def search(sku: str = "standard", replicas: int = 3, partitions: int = 1) -> PlannedResource:
    inputs = {"sku": {"name": sku}, "replicaCount": replicas, "partitionCount": partitions}
    return PlannedResource("azure-native:search:Service", "search", inputs)


def app(min_replicas: int, cpu: float = 1.0) -> PlannedResource:
    return PlannedResource(
        "azure-native:app:ContainerApp", "app", container_app_inputs(tags("prod"), min_replicas, cpu)
    )


def test_every_search_tier_has_a_price() -> None:
    assert set(SEARCH_TIERS) == set(prices.SEARCH_SU_MONTHLY)
    assert prices.SEARCH_SU_MONTHLY["free"] == 0


def test_search_line_is_units_times_tier_price() -> None:
    result = cost.search_line(search("standard", 3, 2))
    assert result is not None
    assert result.monthly_usd == cost.money(6 * prices.SEARCH_SU_MONTHLY["standard"])
    assert "6 SU" in result.basis and str(prices.SEARCH_SU_MONTHLY["standard"]) in result.basis


def test_search_line_scales_with_replicas() -> None:
    one, three = cost.search_line(search(replicas=1)), cost.search_line(search(replicas=3))
    assert one is not None and three is not None
    assert three.monthly_usd == 3 * one.monthly_usd


@given(
    sku=st.sampled_from(sorted(prices.SEARCH_SU_MONTHLY)),
    a=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    b=st.tuples(st.integers(1, 12), st.integers(1, 12)),
)
def test_search_cost_is_monotonic_in_search_units(sku: str, a: tuple[int, int], b: tuple[int, int]) -> None:
    low, high = sorted((a, b), key=lambda rp: rp[0] * rp[1])
    low_line, high_line = cost.search_line(search(sku, *low)), cost.search_line(search(sku, *high))
    assert low_line is not None and high_line is not None
    assert low_line.monthly_usd <= high_line.monthly_usd


def test_free_search_costs_nothing() -> None:
    result = cost.search_line(search("free", 1, 1))
    assert result is not None and result.monthly_usd == 0


def test_semantic_ranker_is_named_but_not_added() -> None:
    with_ranker = replace(search(), inputs={**search().inputs, "semanticSearch": "standard"})
    plain_line, ranker_line = cost.search_line(search()), cost.search_line(with_ranker)
    assert plain_line is not None and ranker_line is not None
    assert ranker_line.monthly_usd == plain_line.monthly_usd and "semantic ranker" in ranker_line.basis


def test_container_app_priced_at_min_replicas_all_month() -> None:
    result = cost.container_app_line(app(2, cpu=1.0))
    seconds = prices.SECONDS_PER_MONTH
    expected = (
        2 * 1 * seconds * prices.CONTAINER_APPS_VCPU_SECOND
        + 2 * 2 * seconds * prices.CONTAINER_APPS_GIB_SECOND
    )
    assert result.monthly_usd == cost.money(expected)
    assert "min 2 replicas" in result.basis and "730 h" in result.basis


def test_min_replicas_zero_costs_nothing_and_takes_no_grant() -> None:
    estimate = cost.estimate([app(0)])
    assert line(estimate, "app").monthly_usd == 0
    assert cost.GRANT_LINE not in [ln.resource for ln in estimate.lines]
    assert estimate.total_monthly_usd == 0


def test_free_grant_is_capped_by_usage() -> None:
    small = cost.estimate([app(1, cpu=0.25)])
    gross = line(small, "app").monthly_usd
    vcpu_s = Decimal("0.25") * prices.SECONDS_PER_MONTH
    assert vcpu_s > prices.CONTAINER_APPS_FREE_VCPU_SECONDS
    grant = line(small, cost.GRANT_LINE)
    expected = (
        prices.CONTAINER_APPS_FREE_VCPU_SECONDS * prices.CONTAINER_APPS_VCPU_SECOND
        + prices.CONTAINER_APPS_FREE_GIB_SECONDS * prices.CONTAINER_APPS_GIB_SECOND
    )
    assert grant.monthly_usd == -cost.money(expected)
    assert small.total_monthly_usd == gross + grant.monthly_usd >= 0


@pytest.mark.parametrize("sku", sorted(prices.PTU_HOURLY))
def test_provisioned_deployment_is_ptu_hours(sku: str) -> None:
    resource = PlannedResource(
        "azure-native:cognitiveservices:Deployment", "chat", {"sku": {"name": sku, "capacity": 50}}
    )
    result = cost.deployment_line(resource)
    assert result is not None
    assert result.monthly_usd == cost.money(50 * prices.HOURS_PER_MONTH * prices.PTU_HOURLY[sku])


def test_pay_per_token_deployment_has_no_base() -> None:
    chat = find(compliant_stack(), "openai-chat")
    result = cost.deployment_line(chat)
    assert result is not None and result.monthly_usd == 0 and "pay per token" in result.basis


@pytest.mark.parametrize("sku", sorted(prices.REGISTRY_DAILY))
def test_registry_is_daily_rate_times_days(sku: str) -> None:
    resource = PlannedResource("azure-native:containerregistry:Registry", "acr", {"sku": {"name": sku}})
    result = cost.registry_line(resource)
    assert result is not None
    assert result.monthly_usd == cost.money(prices.DAYS_PER_MONTH * prices.REGISTRY_DAILY[sku])


def test_workspace_states_its_volume_assumption() -> None:
    result = cost.workspace_line(find(compliant_stack(), "logs"))
    assert result is not None
    expected = prices.LOG_ANALYTICS_ASSUMED_GB_PER_MONTH * prices.LOG_ANALYTICS_PER_GB["PerGB2018"]
    assert result.monthly_usd == cost.money(expected) and "ASSUMED" in result.basis


def test_document_intelligence_says_pay_per_page() -> None:
    result = cost.cognitive_line(find(compliant_stack(), "docintel"))
    assert result.monthly_usd == 0 and "per page" in result.basis


def test_estimate_totals_add_up_and_carry_the_table_date() -> None:
    estimate = cost.estimate(compliant_stack())
    assert estimate.total_monthly_usd == sum(ln.monthly_usd for ln in estimate.lines)
    assert estimate.as_of == prices.PRICES_AS_OF and dt.date.fromisoformat(estimate.as_of)
    assert (estimate.label, estimate.currency) == ("estimate", "USD")
    assert estimate.unpriced == ()
    search_line = line(estimate, "search")
    assert search_line.monthly_usd == cost.money(3 * prices.SEARCH_SU_MONTHLY["standard"])


def test_every_resource_of_the_stack_gets_a_line() -> None:
    resources = compliant_stack()
    estimate = cost.estimate(resources)
    assert {r.name for r in resources} <= {ln.resource for ln in estimate.lines}


def test_unknown_types_and_skus_are_listed_not_dropped() -> None:
    odd = PlannedResource("azure-native:storage:StorageAccount", "st", {})
    component = PlannedResource("ragstack:azure:SearchService", "search", {}, custom=False)
    estimate = cost.estimate([odd, component, search("serverless")])
    assert estimate.unpriced == (
        "azure-native:storage:StorageAccount::st",
        "azure-native:search:Service::search",
    )
    assert estimate.lines == () and estimate.total_monthly_usd == 0


def test_prod_costs_more_than_dev() -> None:
    dev = [
        replace(r, inputs={**r.inputs, "replicaCount": 1}) if r.name == "search" else r
        for r in compliant_stack("dev")
    ]
    assert cost.estimate(dev).total_monthly_usd < cost.estimate(compliant_stack()).total_monthly_usd


def test_to_dict_is_json_ready() -> None:
    data = json.loads(json.dumps(cost.estimate(compliant_stack()).to_dict()))
    assert data["label"] == "estimate" and data["as_of"] == prices.PRICES_AS_OF
    assert data["total_monthly_usd"] == pytest.approx(sum(ln["monthly_usd"] for ln in data["lines"]))


def test_free_semantic_ranker_plan_costs_nothing_and_quotes_no_price() -> None:
    """The free plan is capped at 1,000 queries a month and never billed (Azure AI Search pricing page)."""
    with_free = replace(search(), inputs={**search().inputs, "semanticSearch": "free"})
    plain_line, free_line = cost.search_line(search()), cost.search_line(with_free)
    assert plain_line is not None and free_line is not None
    assert free_line.monthly_usd == plain_line.monthly_usd
    assert "'free': $0" in free_line.basis and "per 1,000 queries" not in free_line.basis


def test_ml_resources_are_priced_with_their_basis() -> None:
    estimate = cost.estimate(compliant_stack())
    storage = line(estimate, "storage")
    assert storage.monthly_usd == cost.money(
        prices.STORAGE_ASSUMED_GB * prices.STORAGE_GB_MONTH["Standard_LRS"]
    )
    assert storage.basis.startswith("ASSUMED")
    for name in ("project", "ml", "vault", "insights"):
        assert line(estimate, name).monthly_usd == 0
