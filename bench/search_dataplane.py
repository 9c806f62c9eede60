"""Query latency of the sandbox's AI Search data plane through the official SDK.

Run: `python -m bench.search_dataplane [--docs 1000] [--runs 30]`. Baseline in the same run: the
service-statistics call (same HTTPS, auth and SDK pipeline, no engine work). Documents are
synthetic (a vocabulary of 500 words, 64-dimension vectors), loaded in batches of 500.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import median_ms

DIMS = 64


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from azure.core.credentials import AzureKeyCredential
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.search import SearchManagementClient
    from azure.mgmt.search.models import SearchService, Sku
    from azure.search.documents import SearchClient
    from azure.search.documents.indexes import SearchIndexClient
    from azure.search.documents.models import VectorizedQuery

    from sandbox import Sandbox
    from sandbox.testing import scaled_sdk_sleeps
    from tests.sandbox.dataplane.test_search_dataplane import _index

    rng = random.Random(7)
    words = [f"w{i}" for i in range(500)]
    with scaled_sdk_sleeps(10_000.0), Sandbox(Path(tempfile.mkdtemp()) / "sb", time_scale=10_000.0) as sb:
        sb.connection.client(ResourceManagementClient).resource_groups.create_or_update(
            "rg", {"location": "eastus"}
        )
        mgmt = sb.connection.client(SearchManagementClient)
        svc = mgmt.services.begin_create_or_update(
            "rg", "bench", SearchService(location="eastus", sku=Sku(name="basic"))
        ).result()
        key = AzureKeyCredential(mgmt.admin_keys.get("rg", "bench").primary_key)
        endpoint = sb.connection.dataplane_endpoint(svc.endpoint)
        ca = sb.connection.ca_path
        index = _index()
        index.fields[-1].vector_search_dimensions = DIMS
        SearchIndexClient(endpoint, key, connection_verify=ca).create_index(index)
        client = SearchClient(endpoint, "docs", key, connection_verify=ca)
        docs = [
            {
                "id": str(i),
                "title": " ".join(rng.choices(words, k=5)),
                "body": " ".join(rng.choices(words, k=80)),
                "category": rng.choice(["a", "b", "c"]),
                "pages": rng.randint(1, 50),
                "vec": [rng.uniform(-1, 1) for _ in range(DIMS)],
            }
            for i in range(args.docs)
        ]
        start = time.perf_counter()
        for i in range(0, len(docs), 500):
            client.upload_documents(docs[i : i + 500])
        load = time.perf_counter() - start
        vq = VectorizedQuery(
            vector=[rng.uniform(-1, 1) for _ in range(DIMS)], k_nearest_neighbors=10, fields="vec"
        )
        index_client = SearchIndexClient(endpoint, key, connection_verify=ca)
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("baseline: service statistics", index_client.get_service_statistics),
            ("full text, top 10", lambda: list(client.search("w1 w2 w3", top=10))),
            (
                "full text + filter + facets",
                lambda: list(client.search("w1", filter="pages gt 10", facets=["category"])),
            ),
            ("vector k=10 (exhaustive)", lambda: list(client.search(None, vector_queries=[vq]))),
            ("hybrid (RRF)", lambda: list(client.search("w1 w2", vector_queries=[vq], top=10))),
        ]
        base = 0.0
        print(f"{args.docs} documents loaded in {load:.2f} s ({args.docs / load:.0f} docs/s)")
        print("| query | median | over baseline |\n|---|---|---|")
        for name, fn in cases:
            med = median_ms(fn, args.runs, warm_up=False)
            base = base or med
            over = "-" if name.startswith("baseline") else f"+{med - base:.1f} ms"
            print(f"| {name} | {med:.1f} ms | {over} |")


if __name__ == "__main__":
    main()
