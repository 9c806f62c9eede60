"""A Microsoft Foundry project: the per-environment workspace on the AIServices account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.cognitiveservices as cognitiveservices

from infra.components.common import Placement, child_options, type_token

# The project endpoint Azure reports under properties.endpoints (azure-search-openai-demo
# infra/core/ai/ai-foundry-project.bicep reads endpoints['AI Foundry API']).
PROJECT_API = "AI Foundry API"


def project_endpoint(account_name: str, project_name: str) -> str:
    """`https://<account>.services.ai.azure.com/api/projects/<project>` (learn.microsoft.com
    azure/foundry/how-to/develop/sdk-overview)."""
    return f"https://{account_name.lower()}.services.ai.azure.com/api/projects/{project_name}"


def openai_v1_endpoint(account_name: str) -> str:
    """The OpenAI v1 API of the account's custom subdomain, on both account kinds."""
    return f"https://{account_name.lower()}.openai.azure.com/openai/v1/"


@dataclass(frozen=True)
class FoundryProjectArgs:
    name: str
    account_name: str
    account: pulumi.Resource
    placement: Placement
    display_name: str
    description: str | None = None
    # The account takes one write at a time (pitfall O-1): the project waits for the deployments.
    depends_on: Sequence[pulumi.Resource] = ()


class FoundryProject(pulumi.ComponentResource):
    """`Microsoft.CognitiveServices/accounts/projects` with its own system identity.

    The identity is what the project uses to reach the account's models and connected resources; it
    gets Azure AI User on the account (infra.catalog.roles preset `project`). A project holds agents,
    files and connections, so it is protected like the account.
    """

    def __init__(self, name: str, args: FoundryProjectArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("FoundryProject"), name, None, opts)
        where = args.placement
        self.project = cognitiveservices.Project(
            name,
            project_name=args.name,
            account_name=args.account_name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            identity=cognitiveservices.IdentityArgs(
                type=cognitiveservices.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            properties=cognitiveservices.ProjectPropertiesArgs(
                display_name=args.display_name, description=args.description
            ),
            tags=dict(where.tags),
            opts=child_options(self, protect=where.protect, depends_on=[args.account, *args.depends_on]),
        )
        self.id: pulumi.Output[str] = self.project.id
        self.name: pulumi.Output[str] = self.project.name
        fallback = project_endpoint(args.account_name, args.name)
        self.endpoint: pulumi.Output[str] = self.project.properties.apply(lambda p: _endpoint(p, fallback))
        self.principal_id: pulumi.Output[str | None] = self.project.identity.apply(
            lambda identity: identity.principal_id if identity else None
        )
        self.register_outputs({"id": self.id, "endpoint": self.endpoint, "principalId": self.principal_id})


def _endpoint(properties: Any, fallback: str) -> str:
    endpoints = getattr(properties, "endpoints", None) or {}
    return str(endpoints.get(PROJECT_API) or fallback)
