"""Microsoft.CognitiveServices: rules in `models` (no HTTP), the HTTP mapping in `routes`."""

from __future__ import annotations

from sandbox.arm.cognitive import projects as _projects  # noqa: F401  (registers its routes)
from sandbox.arm.cognitive.models import (
    ACCOUNT_SECONDS,
    DEPLOYMENT_SECONDS,
    NAMESPACE,
)
from sandbox.arm.cognitive.routes import provider

__all__ = ["ACCOUNT_SECONDS", "DEPLOYMENT_SECONDS", "NAMESPACE", "provider"]
