"""The Machine Learning workspace's key vault: RBAC authorization, soft delete, purge protection on prod."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.keyvault as keyvault

from infra.components.common import Placement, child_options, type_token
from infra.settings import MlSettings


@dataclass(frozen=True)
class KeyVaultArgs:
    name: str
    placement: Placement
    settings: MlSettings
    public_network_access: str | None = None


class KeyVault(pulumi.ComponentResource):
    """A standard vault whose data plane is governed by Azure RBAC, never access policies.

    `enablePurgeProtection` is sent only when on: Azure refuses to turn it off once set, so sending
    `false` to a protected vault fails (learn.microsoft.com/azure/key-vault/general/soft-delete-overview).
    """

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("KeyVault"), name, None, opts)
        where, cfg = args.placement, args.settings
        tenant = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.vault = keyvault.Vault(
            name,
            vault_name=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=tenant.tenant_id,
                sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=cfg.soft_delete_retention_days,
                enable_purge_protection=True if cfg.purge_protection else None,
                public_network_access=args.public_network_access,
            ),
            tags=dict(where.tags),
            opts=child_options(self, protect=where.protect, delete_before_replace=True),
        )
        self.id: pulumi.Output[str] = self.vault.id
        self.name: pulumi.Output[str] = self.vault.name
        self.register_outputs({"id": self.id})
