"""Cost profiles fill what the stack file leaves unset and never override what it sets."""

from __future__ import annotations

import pytest

from infra.profiles import PROFILE_DEFAULTS
from tests.infra.conftest import settings_for


@pytest.mark.parametrize("profile", sorted(PROFILE_DEFAULTS))
def test_profile_defaults_apply(profile: str) -> None:
    defaults = PROFILE_DEFAULTS[profile]
    settings = settings_for(profile=profile)
    assert settings.search.sku == defaults["search"]["sku"]
    assert settings.search.replicas == defaults["search"]["replicas"]
    assert settings.search.semantic_ranker == defaults["search"]["semantic_ranker"]
    assert settings.document_intelligence.sku == defaults["document_intelligence"]["sku"]
    assert settings.registry.sku == defaults["registry"]["sku"]
    assert (settings.app.cpu, settings.app.memory) == (defaults["app"]["cpu"], defaults["app"]["memory"])
    assert settings.app.min_replicas == defaults["app"]["min_replicas"]
    assert settings.log_retention_days == defaults["log_retention_days"]
    assert settings.protect is defaults["protect"]


def test_explicit_values_beat_profile_defaults_field_by_field() -> None:
    settings = settings_for(profile="prod", search={"replicas": 2}, protect=False, logRetentionDays=60)
    assert settings.search.replicas == 2
    assert settings.search.sku == "standard"  # the rest of `search` still comes from the profile
    assert settings.protect is False and settings.log_retention_days == 60


def test_free_search_sku_turns_the_semantic_ranker_off_unless_set() -> None:
    assert settings_for(profile="dev", search={"sku": "free"}).search.semantic_ranker == "disabled"
    assert settings_for(profile="dev", search={"sku": "basic"}).search.semantic_ranker == "free"


def test_prod_profile_meets_the_read_write_search_sla() -> None:
    from infra.catalog.search import sla_replicas

    assert settings_for(profile="prod").search.replicas >= sla_replicas(read_write=True)
