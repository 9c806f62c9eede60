"""The search engine behind the sandbox's AI Search: SQLite FTS5 (BM25) plus exact vector search.

One SQLite file (`search.db`) in the sandbox's state dir holds index definitions, documents
and one FTS5 table per index (a column per searchable field), so BM25 statistics are per index
as in Azure. Each document is stored twice as JSON, whole (for lookups and the vector fields of
an answer) and without its vector fields (`light`, for filters, facets, `$orderby` and answers),
so a query never decodes vectors it does not rank.

Vectors: float32 blobs (Azure's `Collection(Edm.Single)`), one row per document and vector
field, and a per-field numpy matrix cached in memory until the index's next write, so a vector
query is one matrix-vector product plus a sort: exact (exhaustive) KNN, what HNSW approximates.
Chosen by measurement (`python -m bench.vector_engines`, bench/RESULTS.md): `sqlite-vec` does load
through `apsw` (this Python's sqlite3 has no `enable_load_extension`) and its `vec0` KNN is exact
too, but it is no faster here (400 x 1536: 2.0 ms vs 0.3 ms cached; 2,000: 14 ms vs 10 ms), and it
meant swapping the whole engine's SQLite binding, two dependencies (one pre-1.0), `k` capped at
4096 ("k value in knn query too large"), float32 distances, a NULL distance for a zero vector and
unordered ties. Rebuilding the matrix after a write costs ~100 ms
per 400 vectors, once per write burst.

Scores (MS Learn vector-search-ranking.md / hybrid-search-ranking.md): BM25 as FTS5 computes it
(k1=1.2, b=0.75, as Azure's BM25Similarity defaults); cosine similarity as `1 / (1 + (1 - cos))`
in float64 over the stored float32 values; hybrid and multi-vector queries fuse with Reciprocal
Rank Fusion, `1 / (60 + rank)`.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.dataplane.search import models

if TYPE_CHECKING:  # numpy is imported where vectors are used: it is ~40% of a server's start
    import numpy as np

RRF_K = 60  # hybrid-search-ranking.md: "k ... set to 60"
_WORD = re.compile(r"\w+", re.UNICODE)
_FORMAT = 2  # PRAGMA user_version of this layout; older files held vectors only inside `doc`

_SCHEMA = """
CREATE TABLE IF NOT EXISTS indexes (svc TEXT, name TEXT, doc TEXT, PRIMARY KEY (svc, name));
CREATE TABLE IF NOT EXISTS docs (svc TEXT, idx TEXT, key TEXT, doc TEXT, light TEXT, size INTEGER,
    vbytes INTEGER, PRIMARY KEY (svc, idx, key));
CREATE TABLE IF NOT EXISTS vectors (svc TEXT, idx TEXT, field TEXT, key TEXT, v BLOB,
    PRIMARY KEY (svc, idx, field, key));
"""


@dataclass(frozen=True)
class _Matrix:
    """One vector field's stored vectors: keys in key order, rows as float64, norms (0 -> 1)."""

    keys: list[str]
    rows: np.ndarray
    norms: np.ndarray


class Engine:
    """Indexes and documents of every sandbox search service, keyed by service instance."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        if self._conn.execute("PRAGMA user_version").fetchone()[0] != _FORMAT:
            self._drop_all()  # no released state format to migrate (issue 13)
        self._conn.executescript(_SCHEMA)
        self.lock = threading.RLock()
        self._matrices: dict[tuple[str, str, str], _Matrix] = {}

    def wipe(self) -> None:
        """Forget every service's indexes and documents (`sandbox reset`)."""
        with self.lock:
            self._drop_all()
            self._conn.executescript(_SCHEMA)
            self._matrices.clear()

    def _drop_all(self) -> None:
        tables = self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        for (name,) in tables:
            if name in ("indexes", "docs", "vectors") or re.fullmatch(r"fts_[0-9a-f]{20}", name):
                self._conn.execute(f"DROP TABLE IF EXISTS {name}")
        self._conn.execute(f"PRAGMA user_version={_FORMAT}")

    def _touch(self, svc: str, idx: str) -> None:
        """A write to an index (even one a rollback undoes): drop its cached vector matrices."""
        for cached in [c for c in self._matrices if c[:2] == (svc, idx)]:
            del self._matrices[cached]

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
            self._touch(svc, index["name"])
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
            self._touch(svc, name)
            self._conn.execute("DELETE FROM indexes WHERE svc=? AND name=?", (svc, name))
            self._conn.execute("DELETE FROM docs WHERE svc=? AND idx=?", (svc, name))
            self._conn.execute("DELETE FROM vectors WHERE svc=? AND idx=?", (svc, name))
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

    def keys(self, svc: str, idx: str) -> list[str]:
        rows = self._conn.execute("SELECT key FROM docs WHERE svc=? AND idx=? ORDER BY key", (svc, idx))
        return [str(r[0]) for r in rows]

    def light_documents(self, svc: str, idx: str) -> dict[str, dict[str, Any]]:
        """Every document without its vector fields, by key (what filters and facets read)."""
        rows = self._conn.execute("SELECT key, light FROM docs WHERE svc=? AND idx=?", (svc, idx))
        return {str(k): json.loads(light) for k, light in rows}

    def documents_by_key(
        self, svc: str, idx: str, keys: Iterable[str], *, vectors: bool
    ) -> dict[str, dict[str, Any]]:
        """Some documents by key, whole (`vectors`) or without their vector fields."""
        column, wanted = ("doc" if vectors else "light"), list(keys)
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT key, {column} FROM docs WHERE svc=? AND idx=? AND key IN ({marks})"
            rows = self._conn.execute(sql, (svc, idx, *chunk))
            found.update((str(k), json.loads(body)) for k, body in rows)
        return found

    def get_document(self, svc: str, idx: str, key: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT doc FROM docs WHERE svc=? AND idx=? AND key=?", (svc, idx, key)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def put_document(self, svc: str, index: dict[str, Any], doc: dict[str, Any]) -> None:
        key = str(doc[models.key_field(index)])
        name = index["name"]
        table = _fts(svc, name)
        vfields = models.vector_fields(index)
        vbytes = sum(4 * len(doc.get(f) or []) for f in vfields)
        body = json.dumps(doc)
        light = json.dumps({k: v for k, v in doc.items() if k not in vfields})
        self._touch(svc, name)
        self._conn.execute(
            "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
            (svc, name, key, body, light, len(body.encode()), vbytes),
        )
        self._conn.execute("DELETE FROM vectors WHERE svc=? AND idx=? AND key=?", (svc, name, key))
        for field in vfields:
            if doc.get(field):
                import numpy as np

                blob = np.asarray(doc[field], dtype=np.float32).tobytes()
                row = (svc, name, field, key, blob)
                self._conn.execute("INSERT INTO vectors VALUES (?, ?, ?, ?, ?)", row)
        self._conn.execute(f"DELETE FROM {table} WHERE key=?", (key,))
        self._index_text(table, index, doc)

    def delete_document(self, svc: str, index: dict[str, Any], key: str) -> None:
        name = index["name"]
        self._touch(svc, name)
        self._conn.execute("DELETE FROM docs WHERE svc=? AND idx=? AND key=?", (svc, name, key))
        self._conn.execute("DELETE FROM vectors WHERE svc=? AND idx=? AND key=?", (svc, name, key))
        self._conn.execute(f"DELETE FROM {_fts(svc, name)} WHERE key=?", (key,))

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

    def vector_ranking(
        self,
        svc: str,
        index: dict[str, Any],
        field: str,
        vector: list[float],
        k: int,
        *,
        among: set[str] | None = None,
    ) -> list[tuple[str, float]]:
        """(key, score) of the `k` nearest documents by cosine, exhaustively; only documents in
        `among` when given (pre-filtering). Ties keep key order."""
        matrix = self._matrix(svc, index["name"], field)
        if not matrix.keys or matrix.rows.shape[1] != len(vector):
            return []
        import numpy as np

        query = np.asarray(vector, dtype=np.float64)
        cos = (matrix.rows @ query) / (matrix.norms * (float(np.linalg.norm(query)) or 1.0))
        scores = 1.0 / (1.0 + (1.0 - cos))
        rows = np.arange(len(matrix.keys))
        if among is not None:  # select from the product: cheaper than copying the matrix's rows
            rows = np.fromiter((i for i, key in enumerate(matrix.keys) if key in among), dtype=np.intp)
            scores = scores[rows]
        return [(matrix.keys[rows[i]], float(scores[i])) for i in _top(scores, k)]

    def _matrix(self, svc: str, idx: str, field: str) -> _Matrix:
        cached = self._matrices.get((svc, idx, field))
        if cached is not None:
            return cached
        import numpy as np

        rows = self._conn.execute(
            "SELECT key, v FROM vectors WHERE svc=? AND idx=? AND field=? ORDER BY key", (svc, idx, field)
        ).fetchall()
        dims = len(rows[0][1]) // 4 if rows else 0
        rows = [r for r in rows if len(r[1]) == 4 * dims]
        flat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        mat = flat.reshape(len(rows), dims).astype(np.float64)
        norms = np.linalg.norm(mat, axis=1)
        norms[norms == 0] = 1.0
        matrix = _Matrix([str(r[0]) for r in rows], mat, norms)
        self._matrices[(svc, idx, field)] = matrix
        return matrix

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


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` best scores, best first, ties in position (key) order; a partial
    partition keeps every score tied with the k-th so the tie order stays exact."""
    import numpy as np

    if k < len(scores):
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(len(scores))
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]


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
