"""Start-up cost of `opsctl --help` against a bare interpreter (`python -c pass`).

Target (issue 4): under 150 ms on the CI machine, and no pulumi or Azure SDK import on the help
path. Run: `python -m bench.startup [--runs N]`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench.common import PYTHON, ROOT, describe, time_command

HELP_PATHS = (["--help"], ["scale", "search", "--help"], ["plan", "--help"], ["sandbox", "--help"])
HEAVY = ("pulumi", "azure", "uvicorn", "starlette", "pydantic", "ruamel")


def heavy_imports(args: list[str]) -> list[str]:
    """Top-level heavy packages imported while printing help."""
    code = (
        "import sys\nfrom opsctl.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "import json\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        f"print(json.dumps(sorted(loaded & set({HEAVY!r}))), file=sys.stderr)"
    )
    run = subprocess.run([PYTHON, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return list(json.loads(run.stderr.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    baseline = time_command([PYTHON, "-c", "pass"], runs=runs)
    print(f"baseline  python -c pass               {describe(baseline)}")
    for args in HELP_PATHS:
        samples = time_command([PYTHON, "-m", "opsctl", *args], runs=runs)
        label = "opsctl " + " ".join(args)
        extra = sorted(samples)[len(samples) // 2] - sorted(baseline)[len(baseline) // 2]
        print(f"{label:<38}{describe(samples)}  (+{extra * 1000:.1f} ms over baseline)")
        print(f"{'':<38}heavy imports: {heavy_imports(list(args)) or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
