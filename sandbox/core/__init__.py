"""The provider-independent core of the sandbox ARM: storage, clock, routing, LROs, auth, faults.

Provider modules (`sandbox.arm.*`) import from here:

    from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider
"""

from sandbox.core import armid, frontdoor
from sandbox.core.errors import ArmError
from sandbox.core.http import ArmRequest, ArmResponse
from sandbox.core.routing import Provider

__all__ = ["ArmError", "ArmRequest", "ArmResponse", "Provider", "armid", "frontdoor"]
