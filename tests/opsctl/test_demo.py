"""`make demo`'s walk-through, as the Makefile writes it, through the CLI against the dev stack in the
sandbox: CI proves the README's quickstart (issue 13: the demo continues into index apply, ingest,
query and smoke)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.demo import demo_commands

ROOT = Path(__file__).resolve().parents[2]
# Run by the `live` fixture already (a sandbox in-process, the dev stack deployed into it).
DONE_BY_FIXTURE = (("sandbox", "start"), ("up",))


def test_the_demo_runs_every_step_in_order() -> None:
    paths = [" ".join(w for w in c if not w.startswith("-"))[:20] for c in demo_commands()]
    order = ["sandbox start", "up", "status", "access grant", "index apply", "ingest", "query", "smoke"]
    assert [next(p for p in order if c.startswith(p)) for c in paths] == order


def test_make_demo_walks_through_end_to_end(live: Any, opsctl: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the demo's paths (samples/corpus) are relative to the repository
    stack_before = live.stack_text()
    for command in demo_commands():
        if any(command[: len(done)] == list(done) for done in DONE_BY_FIXTURE):
            continue
        result = opsctl(*command, "--project-dir", str(live.project))
        assert result.code == 0, f"opsctl {' '.join(command)}: {result.err}"
        if command[0] == "query":
            assert "[1]" in result.out, result.out  # the answer cites a chunk
    report = opsctl("smoke", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert report.code == 0 and json.loads(report.out)["passed"] is True
    # The sandbox-only operator's grant is not recorded: a clone stays clean after `make demo`.
    assert live.stack_text() == stack_before
