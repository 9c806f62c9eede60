"""One mock render of the program (what `opsctl plan` and `opsctl up --sandbox` run) as
`infra.mockrun` runs it against the SDKs' own behaviour, in the same process.

Run: `python -m bench.render [--runs N]`. Rows per stack: the render as `infra.mockrun` runs it
(pulumi-azure-native's per-API-version aliases dropped, no source-position stack walk per resource:
a mock run has no prior state for aliases to match and no engine to read positions) and the
baseline with both left as the SDKs do them; the two alternate run by run so machine load hits
both alike. Offline ARM mocks: no sandbox, no HTTP. The benchmark's own stack is shallow; under a
CLI command or a test the stack walk costs more.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import infra.mockrun as mockrun
from bench.common import ROOT
from opsctl.plan import load_stack_settings

SUBSCRIPTION = "00000000-0000-4000-a000-000000000001"


def _render_seconds(settings: Any, *, as_the_sdks_do: bool) -> float:
    drop, positions = mockrun._without_provider_version_aliases, mockrun._without_source_positions
    if as_the_sdks_do:
        mockrun._without_provider_version_aliases = lambda args: None  # type: ignore[assignment]
        mockrun._without_source_positions = contextlib.nullcontext  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        mockrun.render(settings, subscription_id=SUBSCRIPTION)
        return time.perf_counter() - start
    finally:
        mockrun._without_provider_version_aliases = drop  # type: ignore[assignment]
        mockrun._without_source_positions = positions  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    for stack in ("dev", "prod"):
        settings = load_stack_settings(Path(ROOT, f"Pulumi.{stack}.yaml"))
        _render_seconds(settings, as_the_sdks_do=True)  # warm-up: imports, first-use caches
        samples: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(runs):
            for keep in (True, False):
                samples[keep].append(_render_seconds(settings, as_the_sdks_do=keep))
        count = len(mockrun.render(settings, subscription_id=SUBSCRIPTION).resources)
        base, now = (statistics.median(samples[k]) * 1000 for k in (True, False))
        print(
            f"{stack:<5} {count:3d} resources  baseline (as the SDKs run) {base:7.1f} ms  "
            f"render {now:7.1f} ms  ratio {base / now:4.1f}x  (medians of {runs})"
        )


if __name__ == "__main__":
    sys.exit(main())
