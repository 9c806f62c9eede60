"""Azure AI Search service with keys off and, on billable tiers, its own managed identity."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.search as search

from infra.catalog.search import SEARCH_TIERS
from infra.components.common import Placement, child_options, type_token
from infra.settings import SearchSettings

HOSTING_MODES = {"default": search.HostingMode.DEFAULT, "highDensity": search.HostingMode.HIGH_DENSITY}
PUBLIC_NETWORK_ACCESS = {"enabled": "Enabled", "disabled": "Disabled"}


@dataclass(frozen=True)
class SearchServiceArgs:
    name: str
    placement: Placement
    settings: SearchSettings


class SearchService(pulumi.ComponentResource):
    """The search service.

    A sku change is declared as a replacement (pitfall A-5: most tier changes are impossible in place);
    replica and partition counts are not, since they scale in place (A-6). `authOptions` is left out
    entirely because Azure rejects it, even `{}`, when local auth is disabled (A-7). The free tier
    has no managed identity (A-1), so it gets none.
    """

    def __init__(self, name: str, args: SearchServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("SearchService"), name, None, opts)
        cfg, where = args.settings, args.placement
        self.has_identity = SEARCH_TIERS[cfg.sku].managed_identity
        self.service = search.Service(
            name,
            search_service_name=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            sku=search.SkuArgs(name=cfg.sku),
            replica_count=cfg.replicas,
            partition_count=cfg.partitions,
            hosting_mode=HOSTING_MODES[cfg.hosting_mode],
            semantic_search=cfg.semantic_ranker,
            disable_local_auth=True,
            public_network_access=PUBLIC_NETWORK_ACCESS[cfg.public_network_access],
            identity=search.IdentityArgs(type=search.IdentityType.SYSTEM_ASSIGNED)
            if self.has_identity
            else None,
            tags=dict(where.tags),
            opts=child_options(
                self, protect=where.protect, replace_on_changes=["sku"], delete_before_replace=True
            ),
        )
        self.id: pulumi.Output[str] = self.service.id
        self.name: pulumi.Output[str] = self.service.name
        fallback = f"https://{args.name}.search.windows.net"
        self.endpoint: pulumi.Output[str] = self.service.endpoint.apply(lambda e: e or fallback)
        self.principal_id: pulumi.Output[str | None] = self.service.identity.apply(
            lambda identity: identity.principal_id if identity else None
        )
        self.register_outputs({"id": self.id, "endpoint": self.endpoint, "principalId": self.principal_id})
