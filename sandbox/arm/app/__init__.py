"""Microsoft.App: rules in `models` (no HTTP), the HTTP mapping in `routes`."""

from __future__ import annotations

from sandbox.arm.app.models import merge_patch
from sandbox.arm.app.routes import provider

__all__ = ["merge_patch", "provider"]
