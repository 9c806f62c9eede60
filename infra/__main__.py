"""Pulumi entry point (`main: infra/` in Pulumi.yaml). Everything lives in `infra.entrypoint`."""

import sys
from pathlib import Path

try:
    import infra  # noqa: F401  (installed, or run from the repository root)
except ImportError:  # run as `infra/__main__.py` with cwd = infra/ and the repo not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.entrypoint import main

main()
