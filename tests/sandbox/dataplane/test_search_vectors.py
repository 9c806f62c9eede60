"""Exact vector search of the sandbox's AI Search engine (issue 13's real engine, made fast).

The engine ranks from float32 rows and a cached numpy matrix; these tests prove the ranking is
what an exhaustive cosine scan returns (hypothesis, against a brute-force reference), that
`vectorFilterMode` pre/post filters as MS Learn vector-search-filters.md says (preFilter is the
default), that the cache follows writes, that state survives a restart and `sandbox reset`
clears it.
"""

from __future__ import annotations

import math
import sqlite3
import struct
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.search.documents.models import VectorizedQuery
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.dataplane.search.engine import Engine
from sandbox.dataplane.search.query import search
from tests.sandbox.dataplane.test_search_dataplane import (  # noqa: F401 (fixtures)
    DOCS,
    _clients,
    _index,
    loaded,
    loaded_state,
    sandbox_dir,
    service,
    service_state,
)

DIMS = 5
INDEX = {
    "name": "v",
    "fields": [
        {"name": "id", "type": "Edm.String", "key": True},
        {"name": "group", "type": "Edm.Int32", "filterable": True},
        {"name": "vec", "type": "Collection(Edm.Single)", "dimensions": DIMS, "vectorSearchProfile": "p"},
    ],
}


def _f32(values: list[float]) -> list[float]:
    return list(struct.unpack(f"{len(values)}f", struct.pack(f"{len(values)}f", *values)))


def _reference(docs: list[dict[str, Any]], query: list[float], k: int) -> list[tuple[str, float]]:
    """The exhaustive cosine scan the engine replaced (pure Python, float64, key order on ties),
    over the float32 values Azure stores for `Collection(Edm.Single)`."""
    qn = math.sqrt(sum(x * x for x in query)) or 1.0
    scored = []
    for doc in sorted(docs, key=lambda d: d["id"]):
        vec = _f32(doc["vec"])
        dn = math.sqrt(sum(x * x for x in vec)) or 1.0
        cos = sum(a * b for a, b in zip(vec, query, strict=True)) / (qn * dn)
        scored.append((doc["id"], 1.0 / (1.0 + (1.0 - cos))))
    scored.sort(key=lambda kv: -kv[1])
    return scored[:k]


def _same_ranking(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    """Equal scores position by position; keys equal wherever the score is not tied (float
    rounding may order exact ties' neighbours within 1e-9 differently)."""
    assert len(got) == len(want)
    for (gk, gs), (wk, ws) in zip(got, want, strict=True):
        assert gs == pytest.approx(ws, abs=1e-9)
        tied = [k for k, s in want if abs(s - ws) <= 1e-9]
        assert gk == wk or gk in tied


component = st.floats(-100, 100, allow_nan=False, allow_infinity=False, width=32)
vectors = st.lists(component, min_size=DIMS, max_size=DIMS)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(vectors, st.integers(0, 2)), min_size=1, max_size=25),
    query=vectors,
    k=st.integers(1, 30),
    group=st.integers(0, 2),
)
def test_vector_ranking_equals_an_exhaustive_scan(tmp_path_factory, rows, query, k, group):
    engine = Engine(tmp_path_factory.mktemp("engine") / "search.db")
    engine.put_index("svc", INDEX)
    docs = [{"id": f"d{i:02d}", "group": g, "vec": v} for i, (v, g) in enumerate(rows)]
    with engine.batch():
        for doc in docs:
            engine.put_document("svc", INDEX, doc)
    _same_ranking(engine.vector_ranking("svc", INDEX, "vec", query, k), _reference(docs, query, k))
    # Pre-filtering ranks only the candidates: the reference over the filtered documents.
    among = {d["id"] for d in docs if d["group"] == group}
    chosen = [d for d in docs if d["id"] in among]
    got = engine.vector_ranking("svc", INDEX, "vec", query, k, among=among)
    _same_ranking(got, _reference(chosen, query, k) if chosen else [])


def test_the_cached_matrix_follows_every_write(tmp_path):
    engine = Engine(tmp_path / "search.db")
    engine.put_index("svc", INDEX)
    near, far = [1.0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0]
    engine.put_document("svc", INDEX, {"id": "a", "group": 0, "vec": far})
    assert [k for k, _ in engine.vector_ranking("svc", INDEX, "vec", near, 5)] == ["a"]
    engine.put_document("svc", INDEX, {"id": "b", "group": 0, "vec": near})
    assert [k for k, _ in engine.vector_ranking("svc", INDEX, "vec", near, 5)] == ["b", "a"]
    engine.put_document("svc", INDEX, {"id": "a", "group": 0, "vec": near})  # replaced
    assert [s for _, s in engine.vector_ranking("svc", INDEX, "vec", near, 5)] == [1.0, 1.0]
    engine.delete_document("svc", INDEX, "b")
    assert [k for k, _ in engine.vector_ranking("svc", INDEX, "vec", near, 5)] == ["a"]


def test_answers_decode_vectors_only_when_they_are_shown(tmp_path):
    engine = Engine(tmp_path / "search.db")
    engine.put_index("svc", INDEX)
    engine.put_document("svc", INDEX, {"id": "a", "group": 1, "vec": [0.5, 0, 0, 0, 0]})
    vq = [{"kind": "vector", "vector": [1, 0, 0, 0, 0], "fields": "vec", "k": 1}]
    light, _ = search(engine, "svc", INDEX, {"vectorQueries": vq, "select": "id,group"}, {})
    whole, _ = search(engine, "svc", INDEX, {"vectorQueries": vq}, {})
    assert light["value"] == [{"@search.score": 1.0, "id": "a", "group": 1}]
    assert whole["value"] == [{"@search.score": 1.0, "id": "a", "group": 1, "vec": [0.5, 0, 0, 0, 0]}]


def test_vector_filter_modes_filter_before_or_after_the_top_k(loaded):  # noqa: F811
    _, _, client = loaded
    near = VectorizedQuery(vector=[0.0, 0.9, 0.1, 0.0], k_nearest_neighbors=2, fields="vec")
    flt = "category ne 'compute'"
    # vector-search-filters.md: preFilter (the default) searches only the filtered documents ...
    assert [h["id"] for h in client.search(None, vector_queries=[near], filter=flt)] == ["3", "1"]
    pre = client.search(None, vector_queries=[near], filter=flt, vector_filter_mode="preFilter")
    assert [h["id"] for h in pre] == ["3", "1"]
    # ... postFilter filters the k nearest, "which can result in fewer results than k".
    for mode in ("postFilter", "strictPostFilter"):
        post = client.search(None, vector_queries=[near], filter=flt, vector_filter_mode=mode)
        assert [h["id"] for h in post] == ["3"]


def test_search_state_survives_a_restart(sandbox, service):  # noqa: F811
    svc, mgmt = service
    key = mgmt.admin_keys.get("rg", "srch1").primary_key
    index_client, client = _clients(sandbox, svc, AzureKeyCredential(key))
    index_client.create_index(_index())
    client.upload_documents(DOCS)
    near = VectorizedQuery(vector=[0.0, 0.9, 0.1, 0.0], k_nearest_neighbors=3, fields="vec")
    before = [(h["id"], h["@search.score"]) for h in client.search("secrets", vector_queries=[near])]
    sandbox.stop()
    sandbox.start()
    _, client = _clients(sandbox, svc, AzureKeyCredential(key))
    assert [(h["id"], h["@search.score"]) for h in client.search("secrets", vector_queries=[near])] == before


def test_sandbox_reset_clears_the_search_engine(loaded, sandbox, sandbox_dir):  # noqa: F811
    sandbox.reset()
    with sqlite3.connect(sandbox_dir / "search.db") as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert db.execute("SELECT COUNT(*) FROM docs").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM indexes").fetchone() == (0,)
    assert not {t for t in tables if t.startswith("fts_")}
