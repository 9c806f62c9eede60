"""The environment's resource group: every other resource is declared inside it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.resources as resources

from infra.components.common import child_options, type_token


@dataclass(frozen=True)
class ResourceGroupArgs:
    name: str
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


class ResourceGroup(pulumi.ComponentResource):
    """A resource group with an explicit name; protected when the stack says so (deleting it deletes all)."""

    def __init__(self, name: str, args: ResourceGroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("ResourceGroup"), name, None, opts)
        self.group = resources.ResourceGroup(
            name,
            resource_group_name=args.name,
            location=args.location,
            tags=dict(args.tags),
            opts=child_options(self, protect=args.protect),
        )
        self.name: pulumi.Output[str] = self.group.name
        self.id: pulumi.Output[str] = self.group.id
        self.register_outputs({"name": self.name, "id": self.id})
