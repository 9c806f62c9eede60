"""Document batches and the Search Documents operation over the engine (no HTTP here).

Batch rules (REST "Index Documents"): per-item `statusCode` 201 for a created document, 200 for
an updated or deleted one (deleting a missing key succeeds), 404 for `merge` on a missing key,
400 for a key with characters other than letters, digits, `_`, `-`, `=`; the response is 207
when any item failed. An unknown field fails the whole request with 400.

Semantic ranking is approximated: no language model ranks here, so `queryType=semantic` keeps the
BM25/RRF order, adds `@search.rerankerScore` scaled from it, and says so in every answer's text and
in the `x-ms-sandbox-semantic` response header.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.dataplane import DataPlaneError
from sandbox.dataplane.search import models
from sandbox.dataplane.search.engine import Engine, facet_counts, rrf
from sandbox.dataplane.search.odata import compile_filter

DEFAULT_TOP = 50  # "top ... default is 50" (REST Search Documents)
# MS Learn vector-search-filters.md: preFilter (the default) filters before the vector search,
# postFilter after each shard's top k, strictPostFilter (preview) after the global top k: with
# one exhaustive "shard" here, both post modes filter the global top k.
FILTER_MODES = ("preFilter", "postFilter", "strictPostFilter")
_KEY = re.compile(r"^[A-Za-z0-9_\-=]+$")
APPROXIMATION = (
    "[sandbox approximation] semantic ranking is not modelled: results keep the BM25/RRF order; "
    "the reranker score and this answer are derived from it."
)


def _bad(message: str) -> DataPlaneError:
    return DataPlaneError(400, "", f"The request is invalid. Details: {message}")


def _result(key: str, code: int, error: str | None = None) -> dict[str, Any]:
    return {"key": key, "status": code < 300, "errorMessage": error, "statusCode": code}


def apply_action(
    engine: Engine, svc: str, index: dict[str, Any], item: Any, quota: list[int]
) -> dict[str, Any]:
    """Apply one indexing action; the per-item result Azure reports. `quota` is the batch's
    running `[storage used, vector bytes used, storage quota, vector quota]`."""
    if not isinstance(item, dict):
        raise _bad("actions : Every indexing action must be an object.")
    kind = str(item.get("@search.action", "upload"))
    if kind not in ("upload", "merge", "mergeOrUpload", "delete"):
        raise _bad(f"actions : Unknown indexing action '{kind}'.")
    key_name = models.key_field(index)
    key = item.get(key_name)
    if key is None or str(key) == "":
        raise _bad("actions : Document key cannot be missing or empty.")
    key = str(key)
    if not _KEY.match(key):
        return _result(
            key,
            400,
            f"Invalid document key: '{key}'. Keys can only contain letters, digits, underscore (_), "
            "dash (-), or equal sign (=).",
        )
    doc = {k: v for k, v in item.items() if not k.startswith("@search.")}
    _check_fields(index, doc)
    existing = engine.get_document(svc, index["name"], key)
    if kind == "delete":
        engine.delete_document(svc, index, key)
        return _result(key, 200)
    if kind == "merge" and existing is None:
        return _result(key, 404, "Document not found.")
    merged = {**existing, **doc} if existing is not None and kind != "upload" else doc
    problem = _quota_problem(index, merged, existing, quota)
    if problem:
        return _result(key, 507, problem)
    engine.put_document(svc, index, merged)
    return _result(key, 201 if existing is None else 200)


def _check_fields(index: dict[str, Any], doc: dict[str, Any]) -> None:
    fields = models.field_map(index)
    for name, value in doc.items():
        if name not in fields:
            raise _bad(
                f"parameters : The property '{name}' does not exist on type 'search.documentFields'. "
                "Make sure to only use property names that are defined by the type."
            )
        dims = fields[name].get("dimensions") if models.is_vector(fields[name]) else None
        if dims is not None and value is not None and len(value) != dims:
            raise _bad(
                f"The vector field '{name}', with dimension of '{dims}', expects a length of '{dims}'. "
                f"However, the provided length is '{len(value)}'."
            )


def _quota_problem(
    index: dict[str, Any],
    doc: dict[str, Any],
    existing: dict[str, Any] | None,
    quota: list[int],
) -> str | None:
    """[unverified] texts; the rule (a hard limit, further indexing fails) is search-limits-
    quotas-capacity.md "Vector index size limits"."""

    size, vbytes, storage, vectors = quota
    vfields = models.vector_fields(index)
    new_v = sum(4 * len(doc.get(f) or []) for f in vfields)
    old_v = sum(4 * len(existing.get(f) or []) for f in vfields) if existing else 0
    new_s = len(json.dumps(doc).encode())
    old_s = len(json.dumps(existing).encode()) if existing else 0
    if vbytes - old_v + new_v > vectors:
        return (
            f"Vector index quota has been exceeded for this service ({vectors} bytes). Delete documents "
            "with vectors, add partitions or use a higher tier."
        )
    if size - old_s + new_s > storage:
        return (
            f"Storage quota has been exceeded for this service ({storage} bytes). You must either delete "
            "documents first, add partitions or use a higher tier."
        )
    quota[0], quota[1] = size - old_s + new_s, vbytes - old_v + new_v
    return None


def selected_fields(index: dict[str, Any], select: list[str] | None) -> list[str]:
    """The retrievable fields an answer shows (all, or those `$select`ed)."""
    fields = models.field_map(index)
    visible = [n for n, f in fields.items() if f.get("retrievable", True) and not f.get("hidden", False)]
    wanted = [s.strip() for s in select if s.strip()] if select and select != ["*"] else visible
    for name in wanted:
        if name not in fields:
            raise DataPlaneError(
                400,
                "",
                f"Invalid expression: Could not find a property named '{name}' on type 'search.document'."
                "\r\nParameter name: $select",
            )
    return [n for n in wanted if n in visible]


def project(doc: dict[str, Any], index: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    """The retrievable fields of a document (or those selected)."""
    return {n: doc.get(n) for n in selected_fields(index, select)}


def search(
    engine: Engine, svc: str, index: dict[str, Any], params: dict[str, Any], service: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and extra headers of a Search Documents response.

    Only the documents an answer shows are decoded whole; filters, facets and `$orderby` read
    the documents without their vectors."""
    name = index["name"]
    select = str(params["select"]).split(",") if params.get("select") else None
    shown = selected_fields(index, select)
    light: dict[str, dict[str, Any]] | None = None
    allowed: set[str] | None = None
    if params.get("filter"):
        pred = compile_filter(str(params["filter"]), set(models.field_map(index)))
        light = engine.light_documents(svc, name)
        allowed = {k for k, d in light.items() if pred(d)}
    ranking = _rank(engine, svc, index, params, allowed)
    if allowed is not None:
        ranking = [(k, s) for k, s in ranking if k in allowed]
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    if params.get("facets") or params.get("orderby"):
        docs = light if light is not None else engine.light_documents(svc, name)
        ranking = [(k, s) for k, s in ranking if k in docs]
        if params.get("facets"):
            matched = [docs[k] for k, _ in ranking]
            fields = models.field_map(index)
            body["@search.facets"] = dict(facet_counts(matched, f, fields) for f in params["facets"])
        ranking = _order(ranking, docs, params.get("orderby"))
    if params.get("count"):
        body["@odata.count"] = len(ranking)
    skip, top = int(params.get("skip") or 0), int(params.get("top") or DEFAULT_TOP)
    page = ranking[skip : skip + top]
    whole = any(f in models.vector_fields(index) for f in shown)
    by_key = engine.documents_by_key(svc, name, (k for k, _ in page), vectors=whole)
    page = [(k, s) for k, s in page if k in by_key]
    rows = [{"@search.score": s, **{n: by_key[k].get(n) for n in shown}} for k, s in page]
    if params.get("queryType") == "semantic":
        _semantic(index, service, params, page, by_key, rows, body)
        headers["x-ms-sandbox-semantic"] = "approximated"
    body["value"] = rows
    return body, headers


def _rank(
    engine: Engine,
    svc: str,
    index: dict[str, Any],
    params: dict[str, Any],
    allowed: set[str] | None,
) -> list[tuple[str, float]]:
    text = str(params.get("search") or "").strip()
    rankings = []
    vector_fields = models.vector_fields(index)
    mode = params.get("vectorFilterMode") or "preFilter"
    if mode not in FILTER_MODES:
        # [unverified] text; the allowed values are REST Search Documents' VectorFilterMode.
        raise _bad(f"vectorFilterMode : '{mode}' is not one of {', '.join(FILTER_MODES)}.")
    among = allowed if mode == "preFilter" else None
    for vq in params.get("vectorQueries") or []:
        if vq.get("kind", "vector") != "vector":
            raise _bad(
                f"vectorQueries : Vector query kind '{vq.get('kind')}' needs a vectorizer; none is set."
            )
        k = int(vq.get("k") or vq.get("kNearestNeighborsCount") or DEFAULT_TOP)
        for field in str(vq.get("fields") or "").split(","):
            if field.strip() not in vector_fields:
                raise _bad(f"vectorQueries : The field '{field.strip()}' is not a vector field of the index.")
            vector = list(vq.get("vector") or [])
            rankings.append(engine.vector_ranking(svc, index, field.strip(), vector, k, among=among))
    if text and text != "*":
        fields = [f.strip() for f in str(params.get("searchFields") or "").split(",") if f.strip()] or None
        rankings.insert(
            0, engine.text_ranking(svc, index, text, fields=fields, mode=params.get("searchMode") or "any")
        )
    if not rankings:
        return [(k, 1.0) for k in engine.keys(svc, index["name"])]
    return rankings[0] if len(rankings) == 1 else rrf(rankings)


def _order(
    ranking: list[tuple[str, float]], by_key: dict[str, dict[str, Any]], orderby: Any
) -> list[tuple[str, float]]:
    if not orderby:
        return ranking
    out = list(ranking)
    for clause in reversed([c.strip() for c in str(orderby).split(",") if c.strip()]):
        name, _, direction = clause.partition(" ")
        desc = direction.strip().lower() == "desc"
        if name == "search.score()":
            out.sort(key=lambda kv: kv[1], reverse=desc)
        else:
            present = [kv for kv in out if by_key[kv[0]].get(name) is not None]
            missing = [kv for kv in out if by_key[kv[0]].get(name) is None]
            present.sort(key=lambda kv: by_key[kv[0]][name], reverse=desc)
            out = present + missing  # nulls last either way [unverified]
    return out


def _semantic(
    index: dict[str, Any],
    service: dict[str, Any],
    params: dict[str, Any],
    page: list[tuple[str, float]],
    by_key: dict[str, dict[str, Any]],
    rows: list[dict[str, Any]],
    body: dict[str, Any],
) -> None:
    plan = service["properties"].get("semanticSearch") or "disabled"
    if plan == "disabled":
        # [unverified] text; the rule: semantic ranker needs it enabled on a billable tier.
        raise _bad("Semantic search is not enabled for this service (semanticSearch is 'disabled').")
    configs = {c.get("name") for c in ((index.get("semantic") or {}).get("configurations") or [])}
    wanted = params.get("semanticConfiguration") or (index.get("semantic") or {}).get("defaultConfiguration")
    if wanted not in configs:
        raise _bad(
            f"semanticConfiguration : The semantic configuration '{wanted}' is not defined in the index."
        )
    top = max((s for _, s in page), default=1.0) or 1.0
    for row, (_, score) in zip(rows, page, strict=True):
        row["@search.rerankerScore"] = round(4.0 * score / top, 4)
    if params.get("answers") and page:
        text_fields = models.searchable_fields(index)
        first = by_key[page[0][0]]
        snippet = " ".join(str(first.get(f) or "") for f in text_fields)[:200]
        body["@search.answers"] = [
            {"key": page[0][0], "text": f"{APPROXIMATION} {snippet}", "highlights": None, "score": 0.5}
        ]


def from_query_string(q: dict[str, str]) -> dict[str, Any]:
    """GET search parameters in the POST body's names."""
    return {
        "search": q.get("search"),
        "filter": q.get("$filter"),
        "select": q.get("$select"),
        "top": q.get("$top"),
        "skip": q.get("$skip"),
        "count": q.get("$count", "").lower() == "true",
        "orderby": q.get("$orderby"),
        "searchMode": q.get("searchMode"),
        "searchFields": q.get("searchFields"),
        "queryType": q.get("queryType"),
        "facets": [q["facet"]] if q.get("facet") else None,
    }
