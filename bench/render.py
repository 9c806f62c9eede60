"""One mock render of the program (what `opsctl plan` and `opsctl up --sandbox` run) with and
without pulumi-azure-native's per-API-version aliases, in the same process.

Run: `python -m bench.render [--runs N]`. Rows per stack: the render as `infra.mockrun` runs it
(version aliases dropped by a stack transformation, since a mock run has no prior state to match)
and the baseline with the SDK's aliases left in place; the two alternate run by run so machine
load hits both alike. Offline ARM mocks: no sandbox, no HTTP.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import infra.mockrun as mockrun
from bench.common import ROOT
from opsctl.plan import load_stack_settings

SUBSCRIPTION = "00000000-0000-4000-a000-000000000001"


def _render_seconds(settings: Any, *, keep_aliases: bool) -> float:
    drop = mockrun._without_provider_version_aliases
    if keep_aliases:
        mockrun._without_provider_version_aliases = lambda args: None  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        mockrun.render(settings, subscription_id=SUBSCRIPTION)
        return time.perf_counter() - start
    finally:
        mockrun._without_provider_version_aliases = drop  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    for stack in ("dev", "prod"):
        settings = load_stack_settings(Path(ROOT, f"Pulumi.{stack}.yaml"))
        _render_seconds(settings, keep_aliases=True)  # warm-up: imports, first-use caches
        samples: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(runs):
            for keep in (True, False):
                samples[keep].append(_render_seconds(settings, keep_aliases=keep))
        count = len(mockrun.render(settings, subscription_id=SUBSCRIPTION).resources)
        base, now = (statistics.median(samples[k]) * 1000 for k in (True, False))
        print(
            f"{stack:<5} {count:3d} resources  baseline (SDK aliases kept) {base:7.1f} ms  "
            f"render {now:7.1f} ms  ratio {base / now:4.1f}x  (medians of {runs})"
        )


if __name__ == "__main__":
    sys.exit(main())
