"""Cost profiles: bundles of defaults for settings the stack file leaves unset.

`free` costs nothing where Azure has a free tier; `dev` is a small paid environment; `prod` is sized
for the search SLA (3 replicas for read/write), always-on app replicas and protected resources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.settings import StackSettings

# New stacks get a Microsoft Foundry resource (AIServices account with one project), the shape the
# reference RAG template moved to (Azure-Samples/azure-search-openai-demo release 2026-07-10) and
# the AVM ai-foundry pattern defaults to. `free` keeps the classic account.
FOUNDRY_DEFAULTS: dict[str, Any] = {"openai": {"kind": "AIServices"}, "foundry": {"project": {}}}

PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "free": {
        "search": {"sku": "free", "replicas": 1, "partitions": 1, "semantic_ranker": "disabled"},
        "document_intelligence": {"sku": "F0"},
        "registry": {"sku": "Basic"},
        "app": {"cpu": 0.25, "memory": "0.5Gi", "min_replicas": 0, "max_replicas": 1},
        "log_retention_days": 30,
        "protect": False,
    },
    "dev": {
        "search": {"sku": "basic", "replicas": 1, "partitions": 1, "semantic_ranker": "free"},
        **FOUNDRY_DEFAULTS,
        "ml": {"purge_protection": False, "soft_delete_retention_days": 7},
        "document_intelligence": {"sku": "S0"},
        "registry": {"sku": "Basic"},
        "app": {"cpu": 0.5, "memory": "1Gi", "min_replicas": 0, "max_replicas": 3},
        "log_retention_days": 30,
        "protect": False,
    },
    "prod": {
        "search": {"sku": "standard", "replicas": 3, "partitions": 1, "semantic_ranker": "standard"},
        **FOUNDRY_DEFAULTS,
        "ml": {"purge_protection": True, "soft_delete_retention_days": 90},
        "document_intelligence": {"sku": "S0"},
        "registry": {"sku": "Standard"},
        "app": {"cpu": 1.0, "memory": "2Gi", "min_replicas": 2, "max_replicas": 10},
        "log_retention_days": 90,
        "protect": True,
    },
}


def apply_profile(explicit: StackSettings) -> StackSettings:
    """Fill every field the stack file did not set from the profile's defaults."""
    set_values = explicit.model_dump(exclude_unset=True)
    merged = _deep_merge(PROFILE_DEFAULTS[explicit.profile], set_values)
    search = merged.setdefault("search", {})
    if search.get("sku") == "free" and "semantic_ranker" not in set_values.get("search", {}):
        search["semantic_ranker"] = "disabled"
    if merged.get("openai", {}).get("kind") == "OpenAI" and "project" not in set_values.get("foundry", {}):
        # An existing `kind: OpenAI` stack keeps working: no default project on a classic account.
        merged.setdefault("foundry", {})["project"] = None
    return type(explicit).model_validate(merged)


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in base.items()}
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
