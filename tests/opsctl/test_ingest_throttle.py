"""`opsctl ingest` under a deployment's rate limit: the sandbox's 429s are waited out.

This module runs its sandbox at 60x (the CLI's default) instead of the suite's 10,000x: at 10,000x a
simulated minute passes in 6 ms of wall time, faster than a few embedding requests, so no window
would ever fill.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.opsctl.test_ingest import _grant, _ingest

TIME_SCALE = 60.0


@pytest.fixture
def sdk_sleeps_follow_sandbox() -> Iterator[float]:
    from sandbox.testing import scaled_sdk_sleeps

    with scaled_sdk_sleeps(TIME_SCALE):
        yield TIME_SCALE


def test_throttling_by_a_tiny_deployment_is_waited_out(opsctl: Any, live: Any, tmp_path: Path) -> None:
    """Capacity 1 = 1000 tokens and 6 requests a minute. A file of eight ~400-token chunks needs eight
    requests (each sized to fit the limit alone): the third is refused with retry-after, waited out
    in simulated time, and the file is still ingested whole."""
    stack = live.project / "Pulumi.dev.yaml"
    stack.write_text(
        stack.read_text().replace("sku: Standard\n        capacity: 10", "sku: Standard\n        capacity: 1")
    )
    from opsctl.deploy import deploy

    deploy(live.env(), live.target)
    _grant(live)
    live.apply_indexes()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "long.md").write_text("\n\n".join(f"## Part {i}\n\n" + "meeting " * 200 for i in range(8)))

    result, report = _ingest(opsctl, live, str(docs))

    assert result.code == 0, result.err
    assert report["ingested"] == 1 and report["throttledRetries"] > 0
    assert report["files"][0]["chunks"] == 8
