"""Azure Container Registry for the app's images, pulled with the app's managed identity."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.containerregistry as containerregistry

from infra.components.common import Placement, child_options, type_token
from infra.settings import RegistrySettings


@dataclass(frozen=True)
class ContainerRegistryArgs:
    name: str
    placement: Placement
    settings: RegistrySettings
    # "Disabled" behind private endpoints; None leaves Azure's default (Enabled) and sends nothing.
    public_network_access: str | None = None


class ContainerRegistry(pulumi.ComponentResource):
    """A registry with the admin user off: pulls use AcrPull on a managed identity, never passwords."""

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("ContainerRegistry"), name, None, opts)
        where = args.placement
        self.registry = containerregistry.Registry(
            name,
            registry_name=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            sku={"name": args.settings.sku},
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            public_network_access=args.public_network_access,
            zone_redundancy="Enabled" if args.settings.zone_redundancy else None,
            tags=dict(where.tags),
            opts=child_options(self, protect=where.protect, delete_before_replace=True),
        )
        self.id: pulumi.Output[str] = self.registry.id
        self.name: pulumi.Output[str] = self.registry.name
        fallback = f"{args.name.lower()}.azurecr.io"
        self.login_server: pulumi.Output[str] = self.registry.login_server.apply(lambda s: s or fallback)
        self.register_outputs({"id": self.id, "loginServer": self.login_server})
