"""The app's user-assigned identity: it exists before the app, so its grants can too (pitfall C-1)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.managedidentity as managedidentity

from infra.components.common import Placement, child_options, type_token


@dataclass(frozen=True)
class AppIdentityArgs:
    name: str
    placement: Placement


class AppIdentity(pulumi.ComponentResource):
    """A user-assigned managed identity and the ids the app and the role assignments need."""

    def __init__(self, name: str, args: AppIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("AppIdentity"), name, None, opts)
        where = args.placement
        self.identity = managedidentity.UserAssignedIdentity(
            name,
            resource_name_=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            tags=dict(where.tags),
            opts=child_options(self),
        )
        self.id: pulumi.Output[str] = self.identity.id
        self.name: pulumi.Output[str] = self.identity.name
        self.client_id: pulumi.Output[str] = self.identity.client_id
        self.principal_id: pulumi.Output[str] = self.identity.principal_id
        self.register_outputs({"id": self.id, "clientId": self.client_id, "principalId": self.principal_id})
