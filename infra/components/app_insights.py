"""Application Insights for the Machine Learning workspace, on the environment's Log Analytics workspace."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.applicationinsights as applicationinsights

from infra.components.common import Placement, child_options, type_token

KIND = "web"


@dataclass(frozen=True)
class AppInsightsArgs:
    name: str
    placement: Placement
    workspace_id: pulumi.Input[str]


class AppInsights(pulumi.ComponentResource):
    """A workspace-based component (classic components are retired): its data lands in Log Analytics."""

    def __init__(self, name: str, args: AppInsightsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("AppInsights"), name, None, opts)
        where = args.placement
        self.component = applicationinsights.Component(
            name,
            resource_name_=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            kind=KIND,
            application_type=applicationinsights.ApplicationType.WEB,
            workspace_resource_id=args.workspace_id,
            ingestion_mode=applicationinsights.IngestionMode.LOG_ANALYTICS,
            disable_local_auth=True,
            tags=dict(where.tags),
            opts=child_options(self),
        )
        self.id: pulumi.Output[str] = self.component.id
        self.name: pulumi.Output[str] = self.component.name
        self.register_outputs({"id": self.id})
