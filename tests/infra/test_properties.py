"""Property-based: generated valid settings validate, name and render; one broken field is refused
with a SettingsError naming exactly that field."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.catalog.regions import REGIONS
from infra.catalog.search import SEARCH_TIERS
from infra.mockrun import render
from infra.naming import environment_names, name_problem
from infra.settings import SettingsError, StackSettings
from tests.infra.conftest import SUBSCRIPTION

ENVIRONMENTS = st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?[a-z0-9]", fullmatch=True)
DEPLOYMENT_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{1,20}", fullmatch=True)


@st.composite
def search_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A search block that respects the tier rules (an oracle written from the documented limits)."""
    sku = draw(st.sampled_from(sorted(SEARCH_TIERS)))
    tier = SEARCH_TIERS[sku]
    high_density = sku == "standard3" and draw(st.booleans())
    partitions = draw(st.sampled_from([p for p in tier.partitions if not high_density or p <= 3]))
    replicas = draw(st.integers(1, min(tier.max_replicas, tier.max_search_units // partitions)))
    plans = ["disabled", "free", "standard"] if tier.semantic_ranker else ["disabled"]
    return {
        "sku": sku,
        "replicas": replicas,
        "partitions": partitions,
        "semanticRanker": draw(st.sampled_from(plans)),
        "hostingMode": "highDensity" if high_density else "default",
    }


@st.composite
def app_configs(draw: st.DrawFn) -> dict[str, Any]:
    quarters = draw(st.integers(1, 16))
    max_replicas = draw(st.integers(1, 1000))
    return {
        "cpu": quarters / 4,
        "memory": f"{quarters / 2:g}Gi",
        "minReplicas": draw(st.integers(0, max_replicas)),
        "maxReplicas": max_replicas,
        "env": draw(
            st.dictionaries(st.from_regex(r"APP_[A-Z0-9_]{1,10}", fullmatch=True), st.text(max_size=20))
        ),
    }


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(DEPLOYMENT_NAMES, max_size=4, unique_by=str.lower))
    deployments = [
        {"name": n, "model": "gpt-4o-mini", "version": "2024-07-18", "capacity": draw(st.integers(1, 500))}
        for n in names
    ]
    return {
        "ragstack:environment": draw(ENVIRONMENTS),
        "ragstack:location": draw(st.sampled_from(sorted(REGIONS))),
        "ragstack:subscriptionId": SUBSCRIPTION,
        "ragstack:profile": draw(st.sampled_from(["free", "dev", "prod"])),
        "ragstack:search": draw(search_configs()),
        "ragstack:app": draw(app_configs()),
        "ragstack:openai": {"deployments": deployments},
        "ragstack:logRetentionDays": draw(st.integers(30, 730)),
    }


def build(config: dict[str, Any]) -> StackSettings:
    return StackSettings.from_config(config, stack="prop")


@settings(max_examples=100, deadline=None)
@given(configs())
def test_valid_settings_validate_and_every_name_follows_the_rules(config: dict[str, Any]) -> None:
    built = build(config)
    assert built.search.sku == config["ragstack:search"]["sku"]
    for kind, name in environment_names(built, SUBSCRIPTION).as_dict().items():
        assert name_problem(kind, name) is None, (kind, name)


# (mutation, key the error must name); each breaks exactly one rule of an otherwise valid config.
BREAKS = [
    (lambda c: c["ragstack:search"].update(replicas=13), "ragstack:search.replicas"),
    (lambda c: c["ragstack:search"].update(partitions=5), "ragstack:search.partitions"),
    (
        lambda c: c["ragstack:search"].update(
            sku="free", replicas=1, partitions=1, semanticRanker="standard", hostingMode="default"
        ),
        "ragstack:search.semanticRanker",
    ),
    (
        lambda c: c["ragstack:search"].update(sku="basic", hostingMode="highDensity"),
        "ragstack:search.hostingMode",
    ),
    (lambda c: c["ragstack:app"].update(cpu=0.3), "ragstack:app.cpu"),
    (lambda c: c["ragstack:app"].update(memory="64Gi"), "ragstack:app.memory"),
    (
        lambda c: c["ragstack:app"].update(minReplicas=c["ragstack:app"]["maxReplicas"] + 1),
        "ragstack:app.minReplicas",
    ),
    (lambda c: c["ragstack:app"].update(maxReplicas=1001, minReplicas=0), "ragstack:app.maxReplicas"),
    (
        lambda c: c["ragstack:app"]["env"].update(RAGSTACK_ENVIRONMENT="x"),
        "ragstack:app.env.RAGSTACK_ENVIRONMENT",
    ),
    (lambda c: c.update({"ragstack:tags": {"managed-by": "me"}}), "ragstack:tags.managed-by"),
    (lambda c: c.update({"ragstack:logRetentionDays": 731}), "ragstack:logRetentionDays"),
    (lambda c: c.update({"ragstack:location": "moon"}), "ragstack:location"),
    (lambda c: c.update({"ragstack:environment": "Env"}), "ragstack:environment"),
    (lambda c: c.update({"ragstack:replicas": 2}), "ragstack:replicas"),
    (lambda c: c["ragstack:search"].update(replicas="lots"), "ragstack:search.replicas"),
    (
        lambda c: c["ragstack:openai"].update(
            deployments=[
                {"name": "dup", "model": "m", "version": "1"},
                {"name": "DUP", "model": "m", "version": "1"},
            ]
        ),
        "ragstack:openai.deployments[1].name",
    ),
]


@settings(max_examples=100, deadline=None)
@given(configs(), st.sampled_from(BREAKS))
def test_one_broken_field_is_refused_naming_that_field(config: dict[str, Any], broken: Any) -> None:
    mutate, key = broken
    mutate(config)
    try:
        build(config)
    except SettingsError as error:
        assert error.key == key, str(error)
        assert "\n" not in str(error)
    else:
        raise AssertionError(f"accepted a config breaking {key}")


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_valid_settings_render(config: dict[str, Any]) -> None:
    built = build(config)
    rendered = render(built, subscription_id=SUBSCRIPTION)
    service = rendered.one("azure-native:search:Service")
    assert service.inputs["replicaCount"] == built.search.replicas
    assert len(rendered.of_type("azure-native:cognitiveservices:Deployment")) == len(built.openai.deployments)
    assert (rendered.outputs["searchPrincipalId"] is None) == (built.search.sku == "free")
