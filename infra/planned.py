"""The desired state as plain data: what `opsctl plan`, the policy rules and the cost estimate read.

Produced by running the Pulumi program under mocks (`infra.mockrun`); shaped like what a CrossGuard
policy sees (type token + camelCase inputs), so one rule set serves `opsctl plan` and
`pulumi preview --policy-pack`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlannedResource:
    """One resource the program declares."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    urn: str = ""
    parent: str | None = None
    depends_on: tuple[str, ...] = ()
    protect: bool = False
    custom: bool = True
    outputs: Mapping[str, Any] = field(default_factory=dict)
    replace_on_changes: tuple[str, ...] = ()

    @property
    def tags(self) -> Mapping[str, str]:
        return self.inputs.get("tags") or {}


@dataclass(frozen=True)
class StackContext:
    """What rules need to know about the stack as a whole."""

    stack: str
    production: bool
