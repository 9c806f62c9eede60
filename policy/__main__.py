"""What CrossGuard runs: the ragstack policy pack, serving the rules of `infra.policy`.

The CLI starts this file from `policy/`; the rules import `infra` from the repository root, so the
root goes on sys.path first. Everything testable lives in `policy.pack`; this file only serves it
(PolicyPack blocks, running the analyzer server).
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pulumi_policy import PolicyPack  # noqa: E402

from policy.pack import DESCRIPTION, PACK_NAME, build_policies  # noqa: E402

PolicyPack(PACK_NAME, build_policies(), description=DESCRIPTION)
