"""`opsctl tiers compare`: every AI Search tier's limits and price side by side, all read from
infra/catalog (search.py limits and data quotas, prices.py per-search-unit prices)."""

from __future__ import annotations

from typing import Any

from infra.catalog.prices import SEARCH_SU_MONTHLY
from infra.catalog.search import SEARCH_DATA_LIMITS, SEARCH_TIERS

_GB = 1024**3


def compare_tiers(position: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per tier; `position` ({sku, replicas, partitions}) marks the stack's row and its cost."""
    rows = []
    for sku, tier in SEARCH_TIERS.items():
        data = SEARCH_DATA_LIMITS[sku]
        row: dict[str, Any] = {
            "sku": sku,
            "maxIndexes": data.max_indexes,
            "storagePerPartitionGB": data.partition_storage_bytes / _GB,
            "vectorIndexPerPartitionGB": data.partition_vector_bytes / _GB,
            "maxReplicas": tier.max_replicas,
            "maxPartitions": max(tier.partitions),
            "semanticRanker": tier.semantic_ranker,
            "pricePerUnitMonthly": str(SEARCH_SU_MONTHLY[sku]),
            "stack": None,
        }
        if position and position.get("sku") == sku:
            replicas, partitions = int(position["replicas"]), int(position["partitions"])
            monthly = SEARCH_SU_MONTHLY[sku] * replicas * partitions
            row["stack"] = f"{replicas} replicas x {partitions} partitions = ${monthly}/month"
        rows.append(row)
    return rows
