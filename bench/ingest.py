"""Ingestion and query throughput of opsctl's pipeline on the sandbox (in-process, 10,000x clock).

Run: `python -m bench.ingest [--synthetic 100] [--runs 20]`. Measures documents/s and chunks/s of
`Ingestor.run` (Document Intelligence layout, chunking, embeddings, per-key-checked uploads) on
samples/corpus and on a synthetic Markdown set, and `retrieval.search` latency (p50/p95). Baselines in
the same run: the same chunks uploaded with one raw `upload_documents` call (no DI, no embeddings),
and the sandbox's `/_sandbox/health` round trip for queries.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))]


def _synthetic(root: Path, count: int) -> Path:
    words = "policy travel badge laptop expense remote leave health pension onboarding".split()
    folder = root / "synthetic"
    folder.mkdir()
    for i in range(count):
        body = "\n\n".join(
            f"## Section {s}\n\n" + " ".join(words[(i + s + k) % len(words)] for k in range(300))
            for s in range(3)
        )
        (folder / f"doc-{i:04d}.md").write_text(f"# Document {i}\n\n{body}\n")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from azure.search.documents.indexes.models import SearchIndex

    from opsctl.dataplane import open_data_plane
    from opsctl.deploy import deploy
    from opsctl.environment import load_environment
    from opsctl.indexes import load_index_definitions
    from opsctl.ingest import Ingestor, collect_files
    from opsctl.retrieval import search
    from opsctl.target import connection_target
    from sandbox import Sandbox
    from sandbox.constants import OPERATOR_OBJECT_ID
    from sandbox.testing import scaled_sdk_sleeps

    scale = 10_000.0
    work = Path(tempfile.mkdtemp())
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, work / path.name)
    shutil.copytree(ROOT / "indexes", work / "indexes")
    corpus = work / "corpus"
    shutil.copytree(ROOT / "samples" / "corpus", corpus)
    (corpus / "make.py").unlink()
    synthetic = _synthetic(work, args.synthetic)
    with scaled_sdk_sleeps(scale), Sandbox(work / "sb", time_scale=scale) as sb:
        target = connection_target(sb.connection, time_scale=scale)
        env = load_environment("dev", project_dir=work)
        deploy(env, target)
        scopes = env.scopes()
        for role, key in (
            ("Search Service Contributor", "search"),
            ("Search Index Data Contributor", "search"),
            ("Cognitive Services OpenAI User", "openai"),
            ("Cognitive Services User", "document_intelligence"),
        ):
            sb.grant(OPERATOR_OBJECT_ID, role, scope=scopes[key])
        sb.advance(600)
        plane = open_data_plane(env, target)
        (docs,) = load_index_definitions(env)
        plane.search_index_client().create_index(SearchIndex(docs.body))
        print(f"{'set':<28}{'files':>6}{'chunks':>8}{'wall':>9}{'docs/s':>9}{'chunks/s':>10}{'429s':>6}")
        for label, folder in (("samples/corpus", corpus), (f"synthetic ({args.synthetic} md)", synthetic)):
            files = collect_files([folder])
            start = time.perf_counter()
            report = Ingestor(plane, "docs").run(files)
            wall = time.perf_counter() - start
            chunks = sum(f.chunks for f in report.files)
            print(
                f"{label:<28}{len(files):>6}{chunks:>8}{wall:>8.2f}s{len(files) / wall:>9.1f}"
                f"{chunks / wall:>10.1f}{report.throttled:>6}"
            )
        _baseline_upload(plane, synthetic, report)
        _queries(plane, sb, args.runs, search)


def _baseline_upload(plane: Any, folder: Path, report: Any) -> None:
    """The same number of documents, random vectors, one raw SDK call per 100: the upload floor."""
    import random

    rng = random.Random(1)
    chunks = sum(f.chunks for f in report.files)
    docs = [
        {
            "id": f"baseline-{i}",
            "content": "x " * 300,
            "title": "t",
            "source": f"baseline/{i}",
            "chunk": 0,
            "contentHash": "h",
            "embedding": [rng.uniform(-1, 1) for _ in range(1536)],
        }
        for i in range(chunks)
    ]
    client = plane.search_client("docs")
    start = time.perf_counter()
    for i in range(0, len(docs), 100):
        client.upload_documents(documents=docs[i : i + 100])
    wall = time.perf_counter() - start
    print(
        f"{'baseline: raw upload':<28}{'-':>6}{chunks:>8}{wall:>8.2f}s{'-':>9}{chunks / wall:>10.1f}{'-':>6}"
    )
    client.delete_documents(documents=[{"id": d["id"]} for d in docs])


def _queries(plane: Any, sb: Any, runs: int, search: Any) -> None:
    import requests

    questions = ["How many vacation days per year?", "laptop disk encryption", "dental cleanings"]
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        search(plane, "docs", questions[i % len(questions)], top=5)
        samples.append(time.perf_counter() - start)
    health = []
    url = sb.connection.endpoint.rstrip("/") + "/_sandbox/health"
    for _ in range(runs):
        start = time.perf_counter()
        requests.get(url, verify=sb.connection.ca_path, timeout=10)
        health.append(time.perf_counter() - start)
    p50, p95 = _percentiles(samples)
    h50, h95 = _percentiles(health)
    print(f"query (embed + hybrid search, top 5): p50 {p50:.1f} ms  p95 {p95:.1f} ms  (n={runs})")
    print(f"baseline /_sandbox/health round trip: p50 {h50:.1f} ms  p95 {h95:.1f} ms")


if __name__ == "__main__":
    main()
