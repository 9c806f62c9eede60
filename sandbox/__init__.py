"""The ragstack sandbox: a local HTTPS Azure Resource Manager for the official SDK clients.

Import is cheap: `Sandbox`, `SandboxConnection` and `SandboxAdmin` load their modules
(Starlette, uvicorn) only on first attribute access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.constants import SANDBOX_SUBSCRIPTION_ID, SANDBOX_TENANT_ID

if TYPE_CHECKING:
    from sandbox.connection import SandboxAdmin, SandboxConnection
    from sandbox.sandbox import Sandbox

__all__ = [
    "SANDBOX_SUBSCRIPTION_ID",
    "SANDBOX_TENANT_ID",
    "Sandbox",
    "SandboxAdmin",
    "SandboxConnection",
]

_LAZY = {
    "Sandbox": "sandbox.sandbox",
    "SandboxConnection": "sandbox.connection",
    "SandboxAdmin": "sandbox.connection",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
