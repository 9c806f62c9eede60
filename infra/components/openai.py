"""Azure OpenAI (or AI Services) account and its model deployments, created one after another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.cognitiveservices as cognitiveservices

from infra.components.cognitive import account_endpoint, cognitive_account
from infra.components.common import Placement, child_options, type_token
from infra.components.foundry import openai_v1_endpoint
from infra.settings import ModelDeployment, OpenAISettings

OPENAI_API = "OpenAI Language Model Instance API"
# An AIServices account is a Microsoft Foundry resource: it can hold projects.
FOUNDRY_KIND = "AIServices"
# A different model behind the same deployment name is a new deployment (pitfall P-6).
DEPLOYMENT_REPLACE_ON = ["properties.model.format", "properties.model.name"]


@dataclass(frozen=True)
class OpenAIAccountArgs:
    name: str
    placement: Placement
    settings: OpenAISettings


class OpenAIAccount(pulumi.ComponentResource):
    """The account plus a chain of deployments.

    The resource provider accepts one write per account at a time (409 RequestConflict, pitfall O-1)
    and Pulumi would create siblings in parallel, so each deployment depends on the previous one;
    deletes follow the same chain in reverse.
    """

    def __init__(self, name: str, args: OpenAIAccountArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("OpenAIAccount"), name, None, opts)
        cfg = args.settings
        self.account = cognitive_account(
            self,
            name,
            account_name=args.name,
            kind=cfg.kind,
            sku=cfg.sku,
            public_network_access=cfg.public_network_access,
            placement=args.placement,
            allow_project_management=cfg.kind == FOUNDRY_KIND,
        )
        self.deployments = self._chain(name, cfg.deployments, args.placement)
        self.id: pulumi.Output[str] = self.account.id
        self.name: pulumi.Output[str] = self.account.name
        fallback = f"https://{args.name.lower()}.openai.azure.com/"
        api = OPENAI_API if cfg.kind == FOUNDRY_KIND else None
        self.endpoint: pulumi.Output[str] = account_endpoint(self.account, fallback, api)
        self.v1_endpoint = openai_v1_endpoint(args.name)
        self.principal_id: pulumi.Output[str | None] = self.account.identity.apply(
            lambda identity: identity.principal_id if identity else None
        )
        self.deployment_names: list[str] = [d.name for d in cfg.deployments]
        self.register_outputs(
            {"id": self.id, "endpoint": self.endpoint, "deployments": self.deployment_names}
        )

    def _chain(
        self, name: str, deployments: Sequence[ModelDeployment], placement: Placement
    ) -> list[cognitiveservices.Deployment]:
        created: list[cognitiveservices.Deployment] = []
        for deployment in deployments:
            previous = created[-1:]
            created.append(self._deployment(f"{name}-{deployment.name}", deployment, placement, previous))
        return created

    def _deployment(
        self,
        logical_name: str,
        deployment: ModelDeployment,
        placement: Placement,
        previous: Sequence[pulumi.Resource],
    ) -> cognitiveservices.Deployment:
        return cognitiveservices.Deployment(
            logical_name,
            deployment_name=deployment.name,
            account_name=self.account.name,
            resource_group_name=placement.resource_group_name,
            sku=cognitiveservices.SkuArgs(name=deployment.sku, capacity=deployment.capacity),
            properties=cognitiveservices.DeploymentPropertiesArgs(
                model=cognitiveservices.DeploymentModelArgs(
                    format=deployment.format, name=deployment.model, version=deployment.version
                ),
                version_upgrade_option=deployment.version_upgrade_option,
                rai_policy_name=deployment.rai_policy,
            ),
            tags=dict(placement.tags),
            opts=child_options(
                self,
                depends_on=previous,
                replace_on_changes=DEPLOYMENT_REPLACE_ON,
                delete_before_replace=True,
            ),
        )
