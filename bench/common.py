"""Timing helpers for the benchmarks: run a command N times, report median and spread."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def time_command(argv: Sequence[str], *, runs: int, cwd: Path = ROOT) -> list[float]:
    """Wall seconds of each of `runs` runs (after one warm-up run)."""
    subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def describe(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"median {statistics.median(ms):7.1f} ms  (min {ms[0]:.1f}, max {ms[-1]:.1f}, n={len(ms)})"


def median_ms(fn: Callable[[], Any], runs: int, *, warm_up: bool = True) -> float:
    """Median milliseconds of `runs` calls of `fn` in this process, after an untimed one (`warm_up`)."""
    if warm_up:
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
