"""Janitor teardown at scale: 1 vs 10 vs 30 expired ephemeral environments (issue 9, item 7).

Each environment is what the janitor meets: a tagged resource group with an Azure OpenAI account and
one model deployment. Every round seeds N environments in an in-process sandbox, then times
`teardown_many` (deployment, account, group, purge; the CLI's path minus printing) at a given
concurrency. Figures are ratios to the 1-environment round of the same run. The sandbox clock runs at
TIME_SCALE, so waits on long-running operations dominate as they do in Azure.

Run: `python -m bench.teardown [--runs 1] [--time-scale 60]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from infra.tags import MANAGED_BY, PROJECT

SIZES = (1, 10, 30)
OLD_DEFAULT = 4  # the default concurrency before issue 9


def _tags(environment: str) -> dict[str, str]:
    return {
        "project": PROJECT,
        "managed-by": MANAGED_BY,
        "environment": environment,
        "profile": "dev",
        "ephemeral": "true",
        "expires-at": "2020-01-01T00:00:00Z",
    }


def _seed_one(target: Any, environment: str) -> None:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    group, account, tags = f"rg-ragstack-{environment}", f"oai-{environment}", _tags(environment)
    target.client(ResourceManagementClient).resource_groups.create_or_update(
        group, {"location": "eastus2", "tags": tags}
    )
    cognitive = target.client(CognitiveServicesManagementClient)
    body = {"location": "eastus2", "kind": "OpenAI", "sku": {"name": "S0"}, "tags": tags}
    cognitive.accounts.begin_create(
        group, account, {**body, "properties": {"customSubDomainName": account}}
    ).result()
    model = {"format": "OpenAI", "name": "text-embedding-3-small", "version": "1"}
    deployment = {"sku": {"name": "Standard", "capacity": 1}, "properties": {"model": model}}
    cognitive.deployments.begin_create_or_update(group, account, "embedding", deployment).result()


def _seed(target: Any, count: int, round_id: str) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: _seed_one(target, f"b{round_id}-{n}"), range(count)))


def _round(target: Any, count: int, concurrency: int, round_id: str) -> float:
    from opsctl import teardown

    _seed(target, count, round_id)
    plans = teardown.select_expired(teardown.find_ephemeral(target), older_than=dt.timedelta(hours=24))
    assert len(plans) == count, f"seeded {count}, found {len(plans)}"
    start = time.perf_counter()
    results = teardown.teardown_many(target, plans, purge=True, concurrency=concurrency)
    elapsed = time.perf_counter() - start
    failed = [r.error for r in results if r.error]
    assert not failed, failed
    return elapsed


def main() -> None:
    from opsctl.janitor import DEFAULT_CONCURRENCY
    from opsctl.target import connection_target
    from sandbox import Sandbox
    from sandbox.testing import scaled_sdk_sleeps

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--time-scale", type=float, default=60.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ragstack-bench-teardown-"))
    rows: list[tuple[int, int, float]] = []
    with scaled_sdk_sleeps(args.time_scale), Sandbox(work / "sandbox", time_scale=args.time_scale) as sandbox:
        target = connection_target(sandbox.connection, time_scale=args.time_scale)
        counter = 0
        for concurrency in (OLD_DEFAULT, DEFAULT_CONCURRENCY):
            for count in SIZES:
                samples = []
                for _ in range(args.runs):
                    counter += 1
                    samples.append(_round(target, count, concurrency, str(counter)))
                rows.append((concurrency, count, statistics.median(samples)))
    print(
        f"time scale {args.time_scale:g}x, runs {args.runs}; ratio = time / 1 environment at that concurrency"
    )
    print(f"{'concurrency':>11} {'environments':>12} {'seconds':>8} {'ratio':>6}")
    for concurrency, count, seconds in rows:
        base = next(s for c, n, s in rows if c == concurrency and n == 1)
        print(f"{concurrency:>11} {count:>12} {seconds:>8.2f} {seconds / base:>5.2f}x")


if __name__ == "__main__":
    main()
