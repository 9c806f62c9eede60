"""Document Intelligence (kind FormRecognizer): cracks PDFs and images for ingestion."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.catalog.cognitive import DOCUMENT_INTELLIGENCE_KIND
from infra.components.cognitive import account_endpoint, cognitive_account
from infra.components.common import Placement, type_token
from infra.settings import DocumentIntelligenceSettings


@dataclass(frozen=True)
class DocumentIntelligenceArgs:
    name: str
    placement: Placement
    settings: DocumentIntelligenceSettings


class DocumentIntelligence(pulumi.ComponentResource):
    """A token-auth-only Document Intelligence account with its own subdomain (pitfall D-1)."""

    def __init__(self, name: str, args: DocumentIntelligenceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("DocumentIntelligence"), name, None, opts)
        self.account = cognitive_account(
            self,
            name,
            account_name=args.name,
            kind=DOCUMENT_INTELLIGENCE_KIND,
            sku=args.settings.sku,
            public_network_access=args.settings.public_network_access,
            placement=args.placement,
        )
        self.id: pulumi.Output[str] = self.account.id
        self.name: pulumi.Output[str] = self.account.name
        fallback = f"https://{args.name.lower()}.cognitiveservices.azure.com/"
        self.endpoint: pulumi.Output[str] = account_endpoint(self.account, fallback)
        self.register_outputs({"id": self.id, "endpoint": self.endpoint})
