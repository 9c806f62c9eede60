"""The search engine behind the sandbox's AI Search: SQLite FTS5 (BM25) plus exact vector search.

One SQLite file (`search.db`) in the sandbox's state dir holds index definitions, documents
and one FTS5 table per index (a column per searchable field), so BM25 statistics are per index
as in Azure. Vectors: `sqlite-vec` cannot load here (this Python's sqlite3 has no
`enable_load_extension`), so vector queries run an exhaustive cosine scan in Python over the
stored float vectors. HNSW configurations are accepted and stored; exact results are what
an exhaustive KNN would return, a superset of HNSW's recall.

Scores (MS Learn vector-search-ranking.md / hybrid-search-ranking.md): BM25 as FTS5 computes it
(k1=1.2, b=0.75, as Azure's BM25Similarity defaults); cosine similarity as `1 / (1 + (1 - cos))`;
hybrid and multi-vector queries fuse with Reciprocal Rank Fusion, `1 / (60 + rank)`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.dataplane.search import models

RRF_K = 60  # hybrid-search-ranking.md: "k ... set to 60"
_WORD = re.compile(r"\w+", re.UNICODE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS indexes (svc TEXT, name TEXT, doc TEXT, PRIMARY KEY (svc, name));
CREATE TABLE IF NOT EXISTS docs (svc TEXT, idx TEXT, key TEXT, doc TEXT, size INTEGER,
    vbytes INTEGER, PRIMARY KEY (svc, idx, key));
"""


class Engine:
    """Indexes and documents of every sandbox search service, keyed by service instance."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self.lock = threading.RLock()

    # -- indexes ------------------------------------------------------------------------------
    def get_index(self, svc: str, name: str) -> dict[str, Any] | None:
        row = self._conn.execute("SELECT doc FROM indexes WHERE svc=? AND name=?", (svc, name)).fetchone()
        return None if row is None else json.loads(row[0])

    def list_indexes(self, svc: str) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT doc FROM indexes WHERE svc=? ORDER BY name", (svc,))
        return [json.loads(r[0]) for r in rows]

    def put_index(self, svc: str, index: dict[str, Any]) -> None:
        table = _fts(svc, index["name"])
        cols = ", ".join(f"c{i}" for i in range(len(models.searchable_fields(index))))
        with self._tx():
            self._conn.execute(
                "INSERT OR REPLACE INTO indexes VALUES (?, ?, ?)", (svc, index["name"], json.dumps(index))
            )
            # New searchable fields change the FTS columns: rebuild the table from the documents.
            self._conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._conn.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5(key UNINDEXED{', ' if cols else ''}{cols})"
            )
            for doc in self.documents(svc, index["name"]):
                self._index_text(table, index, doc)

    def delete_index(self, svc: str, name: str) -> None:
        with self._tx():
            self._conn.execute("DELETE FROM indexes WHERE svc=? AND name=?", (svc, name))
            self._conn.execute("DELETE FROM docs WHERE svc=? AND idx=?", (svc, name))
            self._conn.execute(f"DROP TABLE IF EXISTS {_fts(svc, name)}")

    def usage(self, svc: str, name: str | None = None) -> tuple[int, int, int]:
        """(documents, storage bytes, vector bytes) of one index or the whole service."""
        sql = "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(vbytes), 0) FROM docs WHERE svc=?"
        args: tuple[str, ...] = (svc,)
        if name is not None:
            sql, args = sql + " AND idx=?", (svc, name)
        count, size, vbytes = self._conn.execute(sql, args).fetchone()
        return int(count), int(size), int(vbytes)

    # -- documents ----------------------------------------------------------------------------
    def documents(self, svc: str, idx: str) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT doc FROM docs WHERE svc=? AND idx=? ORDER BY key", (svc, idx))
        return [json.loads(r[0]) for r in rows]

    def get_document(self, svc: str, idx: str, key: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT doc FROM docs WHERE svc=? AND idx=? AND key=?", (svc, idx, key)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def put_document(self, svc: str, index: dict[str, Any], doc: dict[str, Any]) -> None:
        key = str(doc[models.key_field(index)])
        table = _fts(svc, index["name"])
        vbytes = sum(4 * len(doc.get(f) or []) for f in models.vector_fields(index))
        body = json.dumps(doc)
        self._conn.execute(
            "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?)",
            (svc, index["name"], key, body, len(body.encode()), vbytes),
        )
        self._conn.execute(f"DELETE FROM {table} WHERE key=?", (key,))
        self._index_text(table, index, doc)

    def delete_document(self, svc: str, index: dict[str, Any], key: str) -> None:
        self._conn.execute("DELETE FROM docs WHERE svc=? AND idx=? AND key=?", (svc, index["name"], key))
        self._conn.execute(f"DELETE FROM {_fts(svc, index['name'])} WHERE key=?", (key,))

    def _index_text(self, table: str, index: dict[str, Any], doc: dict[str, Any]) -> None:
        fields = models.searchable_fields(index)
        if not fields:
            return
        values = [_text(doc.get(f)) for f in fields]
        marks = ", ".join("?" * (len(fields) + 1))
        self._conn.execute(
            f"INSERT INTO {table} VALUES ({marks})", (str(doc[models.key_field(index)]), *values)
        )

    def batch(self) -> Any:
        return self._tx()

    # -- queries ------------------------------------------------------------------------------
    def text_ranking(
        self, svc: str, index: dict[str, Any], search: str, *, fields: list[str] | None, mode: str
    ) -> list[tuple[str, float]]:
        """(key, BM25 score) best first for a simple-syntax query (`searchMode` any/all)."""
        words = _WORD.findall(search)
        searchable = models.searchable_fields(index)
        if not words or not searchable:
            return []
        cols = [f"c{searchable.index(f)}" for f in fields or searchable if f in searchable]
        joiner = " AND " if mode == "all" else " OR "
        match = joiner.join('"' + w.replace('"', "") + '"' for w in words)
        if len(cols) < len(searchable):
            match = "{" + " ".join(cols) + "}: (" + match + ")"
        table = _fts(svc, index["name"])
        rows = self._conn.execute(
            f"SELECT key, -bm25({table}) FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table})", (match,)
        )
        return [(str(k), float(s)) for k, s in rows]

    def _tx(self) -> Any:
        return _Tx(self._conn, self.lock)


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT under the engine's lock; nested uses join the outer one."""

    _depth: dict[int, int] = {}

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self.conn = conn
        self.lock = lock

    def __enter__(self) -> None:
        self.lock.acquire()
        depth = self._depth.get(id(self.conn), 0)
        if depth == 0:
            self.conn.execute("BEGIN IMMEDIATE")
        self._depth[id(self.conn)] = depth + 1

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        depth = self._depth[id(self.conn)] - 1
        self._depth[id(self.conn)] = depth
        try:
            if depth == 0:
                self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()


def vector_ranking(
    docs: list[dict[str, Any]], key: str, field: str, vector: list[float], k: int
) -> list[tuple[str, float]]:
    """(key, score) of the `k` nearest documents by cosine, exhaustively."""
    qn = math.sqrt(sum(x * x for x in vector)) or 1.0
    scored = []
    for doc in docs:
        vec = doc.get(field)
        if not vec or len(vec) != len(vector):
            continue
        dn = math.sqrt(sum(x * x for x in vec)) or 1.0
        cos = sum(a * b for a, b in zip(vec, vector, strict=True)) / (qn * dn)
        scored.append((str(doc[key]), 1.0 / (1.0 + (1.0 - cos))))
    scored.sort(key=lambda kv: -kv[1])
    return scored[:k]


def rrf(rankings: list[list[tuple[str, float]]]) -> list[tuple[str, float]]:
    """Reciprocal Rank Fusion of several rankings (best first)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, (key, _) in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused.items(), key=lambda kv: -kv[1])


def facet_counts(
    docs: list[dict[str, Any]], spec: str, fields: dict[str, dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """`field[,count:N][,sort:count|value]` -> (field, [{"value", "count"}]) for a simple field."""
    name, *opts = [p.strip() for p in spec.split(",")]
    options = dict(o.split(":", 1) for o in opts if ":" in o)
    counts: dict[Any, int] = {}
    for doc in docs:
        value = doc.get(name)
        for v in value if isinstance(value, list) else [value]:
            if v is not None:
                counts[v] = counts.get(v, 0) + 1
    order: Callable[[tuple[Any, int]], Any] = (
        (lambda kv: kv[0]) if options.get("sort") == "value" else (lambda kv: (-kv[1], str(kv[0])))
    )
    top = sorted(counts.items(), key=order)[: int(options.get("count", 10))]
    return name, [{"value": v, "count": c} for v, c in top]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v is not None)
    return "" if value is None else str(value)


def _fts(svc: str, idx: str) -> str:
    return "fts_" + hashlib.sha1(f"{svc}|{idx}".encode()).hexdigest()[:20]
