"""Azure AI Search tier limits and the capacity rule every caller (settings, opsctl, sandbox) checks.

Sources: MicrosoftDocs/azure-ai-docs articles/search/search-limits-quotas-capacity.md and
search-capacity-planning.md (see shared/reference/anchors-infra.md section 4, ops-pitfalls A-1..A-8).
Basic uses the post-2024-04-03 limits (up to 3 partitions, 9 search units).
"""

from __future__ import annotations

from dataclasses import dataclass

STANDARD_PARTITIONS = (1, 2, 3, 4, 6, 12)
HIGH_DENSITY_PARTITIONS = (1, 2, 3)
SEMANTIC_RANKER_PLANS = ("disabled", "free", "standard")
HOSTING_MODES = ("default", "highDensity")


@dataclass(frozen=True)
class SearchTier:
    """What one search SKU allows."""

    sku: str
    max_replicas: int
    partitions: tuple[int, ...]
    max_search_units: int
    managed_identity: bool
    semantic_ranker: bool
    services_per_subscription: int
    upgradable_to: tuple[str, ...] = ()


SEARCH_TIERS: dict[str, SearchTier] = {
    tier.sku: tier
    for tier in (
        SearchTier("free", 1, (1,), 1, False, False, 1),
        SearchTier("basic", 3, (1, 2, 3), 9, True, True, 16, ("standard", "standard2", "standard3")),
        SearchTier("standard", 12, STANDARD_PARTITIONS, 36, True, True, 16, ("standard2", "standard3")),
        SearchTier("standard2", 12, STANDARD_PARTITIONS, 36, True, True, 8, ("standard3",)),
        SearchTier("standard3", 12, STANDARD_PARTITIONS, 36, True, True, 6),
        SearchTier("storage_optimized_l1", 12, STANDARD_PARTITIONS, 36, True, True, 6),
        SearchTier("storage_optimized_l2", 12, STANDARD_PARTITIONS, 36, True, True, 6),
    )
}
SEARCH_SKUS: tuple[str, ...] = tuple(SEARCH_TIERS)


def _allowed_partitions(tier: SearchTier, hosting_mode: str) -> tuple[int, ...]:
    return HIGH_DENSITY_PARTITIONS if hosting_mode == "highDensity" else tier.partitions


def replica_problem(sku: str, replicas: int) -> str | None:
    """Why `replicas` is not allowed on `sku`, or None."""
    tier = SEARCH_TIERS[sku]
    if not 1 <= replicas <= tier.max_replicas:
        return f"sku '{sku}' allows replicas 1-{tier.max_replicas}"
    return None


def partition_problem(sku: str, partitions: int, hosting_mode: str = "default") -> str | None:
    """Why `partitions` is not allowed on `sku` in `hosting_mode`, or None."""
    allowed = _allowed_partitions(SEARCH_TIERS[sku], hosting_mode)
    if partitions not in allowed:
        mode = " in highDensity mode" if hosting_mode == "highDensity" else ""
        return f"sku '{sku}'{mode} allows partitions {', '.join(map(str, allowed))}"
    return None


def search_units_problem(sku: str, replicas: int, partitions: int) -> str | None:
    """Why replicas x partitions exceeds the tier's search-unit cap, or None."""
    tier = SEARCH_TIERS[sku]
    if replicas * partitions > tier.max_search_units:
        return (
            f"{replicas} replicas x {partitions} partitions = {replicas * partitions} search units; "
            f"sku '{sku}' allows at most {tier.max_search_units}"
        )
    return None


def hosting_mode_problem(sku: str, hosting_mode: str) -> str | None:
    """High density (S3 HD) exists only on standard3."""
    if hosting_mode == "highDensity" and sku != "standard3":
        return f"hostingMode 'highDensity' needs sku 'standard3', not '{sku}'"
    return None


def semantic_ranker_problem(sku: str, plan: str) -> str | None:
    """The semantic ranker needs a billable tier."""
    if plan != "disabled" and not SEARCH_TIERS[sku].semantic_ranker:
        return f"sku '{sku}' has no semantic ranker; use semanticRanker 'disabled'"
    return None


def sla_replicas(*, read_write: bool) -> int:
    """Replicas needed for the 99.9% SLA: 2 for queries, 3 for queries and indexing."""
    return 3 if read_write else 2


# -- data-plane quotas -------------------------------------------------------------------------
# Source: MicrosoftDocs/azure-ai-docs articles/search/search-limits-quotas-capacity.md (ms.date
# 01/26/2026): "Index limits" (maximum indexes; Basic 15 since December 2017) and "Vector index
# size limits" (GB per partition, services created after May 17, 2024: "the quota is per
# partition"). Partition storage (GB per partition, services created after April 3, 2024) is in
# the same article's "Partition storage (GB)" include; Free is 50 MB per service.
# [unverified] Free has no vector row in that table; the sandbox bounds it by its 50 MB storage.
@dataclass(frozen=True)
class SearchDataLimits:
    """What one search SKU holds per partition (storage, vectors) and per service (indexes)."""

    max_indexes: int
    partition_storage_bytes: int
    partition_vector_bytes: int


_GB = 1024**3
_MB = 1024**2
SEARCH_DATA_LIMITS: dict[str, SearchDataLimits] = {
    "free": SearchDataLimits(3, 50 * _MB, 50 * _MB),
    "basic": SearchDataLimits(15, 15 * _GB, 5 * _GB),
    "standard": SearchDataLimits(50, 160 * _GB, 35 * _GB),
    "standard2": SearchDataLimits(200, 512 * _GB, 150 * _GB),
    "standard3": SearchDataLimits(200, 1024 * _GB, 300 * _GB),
    "storage_optimized_l1": SearchDataLimits(10, 2048 * _GB, 150 * _GB),
    "storage_optimized_l2": SearchDataLimits(10, 4096 * _GB, 300 * _GB),
}
MAX_VECTOR_DIMENSIONS = 4096  # "Maximum dimensions per vector field", every tier
# One Index Documents request holds at most 1000 documents and 16 MB (learn.microsoft.com azure/search/
# search-limits-quotas-capacity, "Document size limits per API call").
INDEX_BATCH_MAX_DOCUMENTS = 1000


def data_limits(sku: str, partitions: int) -> tuple[int, int, int]:
    """(max indexes, storage bytes, vector index bytes) of a service: quotas scale by partition."""
    lim = SEARCH_DATA_LIMITS[sku]
    return lim.max_indexes, lim.partition_storage_bytes * partitions, lim.partition_vector_bytes * partitions


# -- index schemas -----------------------------------------------------------------------------
# Source: learn.microsoft.com/rest/api/searchservice/supported-data-types: the EDM types a field may
# have (each simple type also as `Collection(...)`), and the vector types, only as collections.
FIELD_TYPES = (
    "Edm.String",
    "Edm.Int32",
    "Edm.Int64",
    "Edm.Double",
    "Edm.Boolean",
    "Edm.DateTimeOffset",
    "Edm.GeographyPoint",
    "Edm.ComplexType",
)
VECTOR_FIELD_TYPES = (
    "Collection(Edm.Single)",
    "Collection(Edm.Half)",
    "Collection(Edm.Int16)",
    "Collection(Edm.SByte)",
    "Collection(Edm.Byte)",
)
KEY_FIELD_TYPE = "Edm.String"  # REST Create Index: "the key field must be of type Edm.String"
VECTOR_ALGORITHM_KINDS = ("hnsw", "exhaustiveKnn")
MIN_VECTOR_DIMENSIONS = 2
# Field attributes an update cannot change in place (learn.microsoft.com/azure/search/
# search-howto-reindex, "Modifications requiring a rebuild": a field's name, data type, searchable,
# filterable, sortable, facetable, and assigning an analyzer). `key`, `dimensions` and
# `vectorSearchProfile` are part of the field's physical layout as well: [unverified] for the
# profile, which the sandbox refuses like the service's CannotChangeExistingField.
REBUILD_FIELD_ATTRIBUTES = (
    "type",
    "key",
    "searchable",
    "filterable",
    "sortable",
    "facetable",
    "analyzer",
    "indexAnalyzer",
    "dimensions",
    "vectorSearchProfile",
)


def all_field_types() -> tuple[str, ...]:
    """Every `type` a field may declare: the simple types, their collections, the vector types."""
    return (*FIELD_TYPES, *(f"Collection({t})" for t in FIELD_TYPES), *VECTOR_FIELD_TYPES)
