"""The storage account of the Machine Learning workspace: keyless, private blobs, TLS 1.2."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.storage as storage

from infra.catalog.storage import KIND, MINIMUM_TLS, SKU
from infra.components.common import Placement, child_options, type_token


@dataclass(frozen=True)
class StorageAccountArgs:
    name: str
    placement: Placement
    public_network_access: str | None = None


class StorageAccount(pulumi.ComponentResource):
    """Shared keys off (Entra ID only; the workspace then uses identity-based datastores, learn.microsoft
    .com/azure/machine-learning/how-to-disable-local-auth-storage), no anonymous blob access, TLS 1.2."""

    def __init__(self, name: str, args: StorageAccountArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("StorageAccount"), name, None, opts)
        where = args.placement
        self.account = storage.StorageAccount(
            name,
            account_name=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            kind=KIND,
            sku=storage.SkuArgs(name=SKU),
            allow_shared_key_access=False,
            allow_blob_public_access=False,
            minimum_tls_version=MINIMUM_TLS,
            enable_https_traffic_only=True,
            public_network_access=args.public_network_access,
            tags=dict(where.tags),
            # The name is global and the account holds data: a new name is a new account.
            opts=child_options(self, protect=where.protect, delete_before_replace=True),
        )
        self.id: pulumi.Output[str] = self.account.id
        self.name: pulumi.Output[str] = self.account.name
        self.register_outputs({"id": self.id})
