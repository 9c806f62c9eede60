"""Microsoft.App: rules in `models` (no HTTP), the HTTP mapping in `routes` (apps, revisions),
`environments` and `replicas` (replicas, auth token for the log stream)."""

from __future__ import annotations

from sandbox.arm.app import environments as _environments  # noqa: F401  (registers its routes)
from sandbox.arm.app import replicas as _replicas  # noqa: F401  (registers its routes)
from sandbox.arm.app.models import merge_patch
from sandbox.arm.app.routes import provider

__all__ = ["merge_patch", "provider"]
