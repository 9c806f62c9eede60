"""Waiting out a new AcrPull assignment: a revision whose image the app identity may not pull yet.

MS Learn, "Troubleshoot Azure RBAC": a new role assignment can take up to 10 minutes to take effect.
Until then a revision pulling from the registry with the app's managed identity fails with "unable
to pull image using Managed identity" (microsoft/azure-container-apps#1061), and re-sending the same
template makes no new revision: each retry needs a fresh `revisionSuffix`. `opsctl up` (an app
created with a registry image) and `opsctl app set-image` share this wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from opsctl.errors import OpsError
from opsctl.retry import to_stderr
from opsctl.target import Target
from opsctl.waiting import Progress, _quiet

T = TypeVar("T")

PULL_DENIED = "unable to pull image using Managed identity"
PULL_RETRY_SECONDS = 60.0
PULL_WAIT_SECONDS = 1200.0  # twice the documented "up to 10 minutes" of role propagation


def fresh_suffix(prefix: str) -> str:
    """A revision suffix no earlier revision of the app has. Re-sending an unchanged template makes
    no new revision, so repairing a failed one needs a new suffix; Azure requires it to be unique."""
    return f"{prefix}{int(time.time() * 1000) % 10**9}"


def until_pulled(
    attempt: Callable[[str | None], T], *, target: Target, app: str, progress: Progress = _quiet
) -> T:
    """`attempt(suffix)` (None first, then a fresh suffix per retry) until its revision pulls, saying
    each wait on stderr; another error, or a refusal after PULL_WAIT_SECONDS, is raised."""
    waited, suffix = 0.0, None
    while True:
        try:
            return attempt(suffix)
        except OpsError as exc:
            if PULL_DENIED not in str(exc) or waited >= PULL_WAIT_SECONDS:
                raise
        note = (
            f"container app '{app}': its identity cannot pull the image yet (a new AcrPull assignment "
            f"takes up to 10 minutes to propagate); retrying in {PULL_RETRY_SECONDS:.0f}s "
            f"(waited {waited:.0f}s of {PULL_WAIT_SECONDS:.0f}s)"
        )
        progress(note)
        to_stderr(note)  # said, not only spun: an operator (and a CI log) sees why it waits
        target.sleep(PULL_RETRY_SECONDS)
        waited += PULL_RETRY_SECONDS
        suffix = fresh_suffix("pull")
