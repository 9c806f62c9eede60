"""`make demo`'s walk-through, command by command, on a fresh sandbox (issue 13: "well under a
minute"), against the start-up of one opsctl process measured in the same run.

Run: `python -m bench.demo [--runs N]`. Each run starts a new sandbox in a scratch state dir
(`RAGSTACK_SANDBOX_HOME`), runs the `opsctl` lines of the Makefile's `demo` target in order (the
same parsing as tests/opsctl/test_demo.py) and stops it; `--no-write-back` in the recipe keeps the
stack file untouched. The baseline is `opsctl sandbox --help` (interpreter plus CLI start-up),
which every step pays once.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

from bench.common import PYTHON, ROOT, describe, time_command


def demo_commands() -> list[list[str]]:
    """The `opsctl` lines of the Makefile's `demo` target, its variables expanded, without the
    `$(VENV)/bin/opsctl` itself (tests/opsctl/test_demo.py runs the same lines)."""
    makefile = (ROOT / "Makefile").read_text()
    variables = dict(re.findall(r"^(\w+) :?= (.*)$", makefile, re.MULTILINE))
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    if recipe is None:
        raise ValueError("Makefile has no demo target")
    commands = []
    for line in recipe.group(1).splitlines():
        line = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), line.strip())
        words = shlex.split(line)
        if not words[0].endswith("/opsctl"):
            raise ValueError(f"demo runs something other than opsctl: {line}")
        commands.append(words[1:])
    return commands


def one_run() -> list[tuple[str, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as home:
        env = {**os.environ, "RAGSTACK_SANDBOX_HOME": home}
        steps = []
        try:
            for command in demo_commands():
                start = time.perf_counter()
                subprocess.run(
                    [PYTHON, "-m", "opsctl", *command], cwd=ROOT, env=env, check=True, capture_output=True
                )
                steps.append((" ".join(command[:2]), time.perf_counter() - start))
        finally:
            subprocess.run(
                [PYTHON, "-m", "opsctl", "sandbox", "stop"], cwd=ROOT, env=env, capture_output=True
            )
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    baseline = time_command([PYTHON, "-m", "opsctl", "sandbox", "--help"], runs=5)
    print(f"baseline  opsctl sandbox --help (one process start-up)  {describe(baseline)}")
    results = [one_run() for _ in range(runs)]
    for index, (name, _) in enumerate(results[0]):
        samples = [run[index][1] for run in results]
        print(f"{name:<22}{describe(samples)}")
    totals = [sum(seconds for _, seconds in run) for run in results]
    per_step = statistics.median(baseline) * len(results[0])
    print(f"{'whole demo':<22}{describe(totals)}  ({per_step:.1f} s of it is {len(results[0])} start-ups)")


if __name__ == "__main__":
    sys.exit(main())
