"""Container Apps: the managed environment (logs to Log Analytics) and the RAG app itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.app as app

from infra.components.common import Placement, child_options, type_token
from infra.settings import AppSettings

CONTAINER_NAME = "app"
WORKLOAD_PROFILE = "Consumption"


@dataclass(frozen=True)
class ContainerAppsEnvironmentArgs:
    name: str
    placement: Placement
    log_customer_id: pulumi.Input[str]
    log_shared_key: pulumi.Input[str]
    # The delegated subnet of an internal environment; None: Azure's generated, public network.
    infrastructure_subnet_id: pulumi.Input[str] | None = None


class ContainerAppsEnvironment(pulumi.ComponentResource):
    """A workload-profile environment (Consumption profile) shipping app logs to the stack's workspace.

    With a subnet it is internal: reachable only from the virtual network. The network type cannot
    change after creation ("Once you create an environment with either a generated or existing VNet,
    the network type can't be changed", learn.microsoft.com/azure/container-apps/networking), so a
    change of `vnetConfiguration` replaces the environment.
    """

    def __init__(
        self, name: str, args: ContainerAppsEnvironmentArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(type_token("ContainerAppsEnvironment"), name, None, opts)
        where = args.placement
        self.environment = app.ManagedEnvironment(
            name,
            environment_name=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            app_logs_configuration={
                "destination": "log-analytics",
                "log_analytics_configuration": {
                    "customer_id": args.log_customer_id,
                    "shared_key": args.log_shared_key,
                },
            },
            workload_profiles=[{"name": WORKLOAD_PROFILE, "workload_profile_type": WORKLOAD_PROFILE}],
            vnet_configuration=None
            if args.infrastructure_subnet_id is None
            else {"infrastructure_subnet_id": args.infrastructure_subnet_id, "internal": True},
            zone_redundant=False,
            tags=dict(where.tags),
            opts=child_options(self, replace_on_changes=["vnetConfiguration"]),
        )
        self.id: pulumi.Output[str] = self.environment.id
        self.name: pulumi.Output[str] = self.environment.name
        self.register_outputs({"id": self.id})


@dataclass(frozen=True)
class ContainerAppArgs:
    name: str
    placement: Placement
    settings: AppSettings
    environment_id: pulumi.Input[str]
    identity_id: pulumi.Input[str]
    registry_server: pulumi.Input[str]
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # Grants the app needs before its first revision can pull and start (pitfall C-1).
    depends_on: Sequence[pulumi.Resource] = ()


CI_OWNED_IMAGE = "template.containers[0].image"


class ContainerApp(pulumi.ComponentResource):
    """The app: pulls with the user-assigned identity, single active revision, no secrets."""

    def __init__(self, name: str, args: ContainerAppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("ContainerApp"), name, None, opts)
        cfg, where = args.settings, args.placement
        self.app = app.ContainerApp(
            name,
            container_app_name=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            managed_environment_id=args.environment_id,
            workload_profile_name=WORKLOAD_PROFILE,
            identity={"type": "UserAssigned", "user_assigned_identities": [args.identity_id]},
            configuration={
                "active_revisions_mode": "Single",
                "ingress": {
                    "external": cfg.external,
                    "target_port": cfg.target_port,
                    "transport": "auto",
                    "allow_insecure": False,
                },
                "registries": [{"server": args.registry_server, "identity": args.identity_id}],
            },
            template={
                "containers": [
                    {
                        "name": CONTAINER_NAME,
                        "image": cfg.effective_image,
                        "resources": {"cpu": cfg.cpu, "memory": cfg.memory},
                        "env": [{"name": key, "value": value} for key, value in args.env.items()],
                    }
                ],
                "scale": {"min_replicas": cfg.min_replicas, "max_replicas": cfg.max_replicas},
            },
            tags=dict(where.tags),
            opts=child_options(
                self,
                depends_on=args.depends_on,
                # With no image pinned, CI owns it (opsctl app set-image) and `pulumi up --refresh`
                # must not roll it back to the bootstrap image (ops-pitfalls C-4, P-3).
                ignore_changes=[CI_OWNED_IMAGE] if cfg.image_owned_by_ci else (),
            ),
        )
        self.id: pulumi.Output[str] = self.app.id
        self.name: pulumi.Output[str] = self.app.name
        self.fqdn: pulumi.Output[str | None] = self.app.configuration.apply(
            lambda c: c.ingress.fqdn if c and c.ingress else None
        )
        self.url: pulumi.Output[str | None] = self.fqdn.apply(lambda f: f"https://{f}" if f else None)
        self.register_outputs({"id": self.id, "url": self.url})
