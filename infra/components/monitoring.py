"""Log Analytics workspace: where the Container Apps environment sends application logs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.operationalinsights as operationalinsights

from infra.components.common import Placement, child_options, type_token

SKU = "PerGB2018"


@dataclass(frozen=True)
class LogAnalyticsArgs:
    name: str
    placement: Placement
    retention_days: int


class LogAnalytics(pulumi.ComponentResource):
    """A pay-per-GB workspace plus its customer id and (secret) shared key for log shipping."""

    def __init__(self, name: str, args: LogAnalyticsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("LogAnalytics"), name, None, opts)
        where = args.placement
        self.workspace = operationalinsights.Workspace(
            name,
            workspace_name=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            sku={"name": SKU},
            retention_in_days=args.retention_days,
            tags=dict(where.tags),
            opts=child_options(self, protect=where.protect),
        )
        self.id: pulumi.Output[str] = self.workspace.id
        self.name: pulumi.Output[str] = self.workspace.name
        self.customer_id: pulumi.Output[str] = self.workspace.customer_id
        # The invoke takes the workspace's name as an Output, so it runs only after the workspace exists.
        keys = operationalinsights.get_shared_keys_output(
            resource_group_name=where.resource_group_name,
            workspace_name=self.workspace.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        # list/get key invokes are not marked secret by the provider (pitfall P-5).
        self.shared_key: pulumi.Output[str] = pulumi.Output.secret(keys.primary_shared_key)
        self.register_outputs({"id": self.id, "name": self.name, "customerId": self.customer_id})
