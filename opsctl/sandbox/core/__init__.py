"""The provider-independent core of the sandbox ARM: storage, clock, routing, LROs, auth, faults.

Provider modules (`opsctl.sandbox.providers.*`) import from here:

    from opsctl.sandbox.core import ArmError, ArmRequest, ArmResponse, Provider
"""

from opsctl.sandbox.core import armid, frontdoor
from opsctl.sandbox.core.errors import ArmError
from opsctl.sandbox.core.http import ArmRequest, ArmResponse
from opsctl.sandbox.core.routing import Provider

__all__ = ["ArmError", "ArmRequest", "ArmResponse", "Provider", "armid", "frontdoor"]
