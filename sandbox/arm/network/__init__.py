"""Microsoft.Network: rules in `models` (no HTTP), VNets/subnets/endpoints in `routes`, private DNS
in `dns`."""

from __future__ import annotations

from sandbox.arm.network import dns as _dns  # noqa: F401  (registers its routes)
from sandbox.arm.network.routes import provider

__all__ = ["provider"]
