"""`opsctl tiers compare`: every number equals the catalog's; the stack's tier is marked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.catalog.prices import SEARCH_SU_MONTHLY
from infra.catalog.search import SEARCH_DATA_LIMITS, SEARCH_TIERS


def test_tiers_compare_numbers_equal_the_catalogs(opsctl: Any, project: Path) -> None:
    result = opsctl("tiers", "compare", "--stack", "dev", "--project-dir", str(project), "-o", "json")
    assert result.code == 0, result.err
    rows = {row["sku"]: row for row in json.loads(result.out)["tiers"]}
    assert list(rows) == list(SEARCH_TIERS)
    for sku, row in rows.items():
        tier, data = SEARCH_TIERS[sku], SEARCH_DATA_LIMITS[sku]
        assert row["maxIndexes"] == data.max_indexes
        assert row["storagePerPartitionGB"] * 1024**3 == data.partition_storage_bytes
        assert row["vectorIndexPerPartitionGB"] * 1024**3 == data.partition_vector_bytes
        assert (row["maxReplicas"], row["maxPartitions"]) == (tier.max_replicas, max(tier.partitions))
        assert row["semanticRanker"] is tier.semantic_ranker
        assert row["pricePerUnitMonthly"] == str(SEARCH_SU_MONTHLY[sku])
    marked = [sku for sku, row in rows.items() if row["stack"]]
    assert marked == ["basic"]
    assert rows["basic"]["stack"] == f"1 replicas x 1 partitions = ${SEARCH_SU_MONTHLY['basic']}/month"
