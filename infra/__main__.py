"""Pulumi entry point (`main: infra/` in Pulumi.yaml). Everything lives in `infra.entrypoint`."""

import sys
from pathlib import Path

# Pulumi may start this with cwd = infra/; make `import infra` mean the package next to this file.
_REPO = str(Path(__file__).resolve().parent.parent)
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from infra.entrypoint import main  # noqa: E402

main()
