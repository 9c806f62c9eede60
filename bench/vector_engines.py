"""Exact top-k cosine over N 1536-dimension vectors: the engine's numpy matrix against the options.

Run: `python -m bench.vector_engines [--docs 400 5000] [--runs 20]`. Rows: the sandbox engine's
`Engine.vector_ranking` (cached float64 matrix, one product), the same after a write (matrix
rebuilt from the float32 rows), and the pure-Python scan over stored JSON it replaced (the
same-run baseline). With `apsw` and `sqlite-vec` importable (not project dependencies: install them
into a scratch `--target` and put it on PYTHONPATH), also sqlite-vec's `vec0` KNN
(`distance_metric=cosine`) and its `vec_distance_cosine` scan.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

import numpy as np

from bench.common import median_ms

DIMS, K = 1536, 50


def _python_scan(bodies: list[str], query: list[float]) -> list[tuple[str, float]]:
    qn = math.sqrt(sum(x * x for x in query))
    scored = []
    for body in bodies:
        doc = json.loads(body)
        vec = doc["vec"]
        cos = sum(a * b for a, b in zip(vec, query, strict=True)) / (qn * math.sqrt(sum(x * x for x in vec)))
        scored.append((doc["id"], 1.0 / (2.0 - cos)))
    return sorted(scored, key=lambda kv: -kv[1])[:K]


def _sqlite_vec(matrix: np.ndarray, query: np.ndarray, runs: int) -> dict[str, float]:
    try:
        import apsw  # type: ignore[import-not-found]
        import sqlite_vec  # type: ignore[import-not-found]
    except ImportError:
        return {}
    db = apsw.Connection(":memory:")
    db.enable_load_extension(True)
    db.load_extension(sqlite_vec.loadable_path())
    db.execute(f"CREATE VIRTUAL TABLE v USING vec0(embedding float[{DIMS}] distance_metric=cosine)")
    db.execute("CREATE TABLE b (key TEXT PRIMARY KEY, v BLOB)")
    with db:
        for i, row in enumerate(matrix):
            db.execute("INSERT INTO v(rowid, embedding) VALUES (?, ?)", (i, row.tobytes()))
            db.execute("INSERT INTO b VALUES (?, ?)", (str(i), row.tobytes()))
    blob = query.tobytes()
    knn = "SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = ?"
    scan = "SELECT key, vec_distance_cosine(v, ?) d FROM b ORDER BY d LIMIT ?"
    return {
        "sqlite-vec vec0 KNN (apsw)": median_ms(
            lambda: db.execute(knn, (blob, K)).fetchall(), runs, warm_up=True
        ),
        "sqlite-vec vec_distance_cosine": median_ms(
            lambda: db.execute(scan, (blob, K)).fetchall(), runs, warm_up=True
        ),
    }


INDEX = {
    "name": "b",
    "fields": [
        {"name": "id", "type": "Edm.String", "key": True},
        {"name": "vec", "type": "Collection(Edm.Single)", "dimensions": DIMS},
    ],
}


def _measure(n: int, runs: int, rng: np.random.Generator) -> dict[str, float]:
    from sandbox.dataplane.search.engine import Engine

    matrix = rng.uniform(-1, 1, (n, DIMS)).astype(np.float32)
    query = rng.uniform(-1, 1, DIMS).astype(np.float32)
    engine = Engine(Path(tempfile.mkdtemp()) / "search.db")
    engine.put_index("svc", INDEX)
    with engine.batch():
        for i, row in enumerate(matrix):
            engine.put_document("svc", INDEX, {"id": f"d{i:05d}", "vec": row.tolist()})
    q = query.tolist()
    first = {"id": "d00000", "vec": matrix[0].tolist()}

    def after_write() -> None:
        engine.put_document("svc", INDEX, first)  # the index's next write drops the cached matrix
        engine.vector_ranking("svc", INDEX, "vec", q, K)

    def cached() -> None:
        engine.vector_ranking("svc", INDEX, "vec", q, K)

    bodies = [json.dumps(d) for d in engine.documents("svc", "b")]
    return {
        "engine: cached numpy matrix": median_ms(cached, runs),
        "engine: first query after a write": median_ms(after_write, max(3, runs // 4)),
        **_sqlite_vec(matrix, query, runs),
        "baseline: Python scan over JSON (before)": median_ms(
            lambda: _python_scan(bodies, q), 3, warm_up=True
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, nargs="+", default=[400, 5000])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    for n in args.docs:
        print(f"{n} vectors x {DIMS} dims, top {K}:")
        for label, ms in _measure(n, args.runs, rng).items():
            print(f"  {label:<42}{ms:>10.2f} ms")


if __name__ == "__main__":
    main()
