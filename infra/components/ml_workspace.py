"""The Azure Machine Learning workspace (kind Default) on its own storage, key vault and insights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.machinelearningservices as ml

from infra.components.common import Placement, child_options, type_token

KIND = "Default"
SKU = "Basic"
# With shared keys off, the workspace's system datastores must authenticate with its identity
# (learn.microsoft.com/azure/machine-learning/how-to-disable-local-auth-storage).
DATASTORES_AUTH = "identity"


@dataclass(frozen=True)
class MlWorkspaceArgs:
    name: str
    placement: Placement
    storage_id: pulumi.Input[str]
    key_vault_id: pulumi.Input[str]
    app_insights_id: pulumi.Input[str]
    depends_on: Sequence[pulumi.Resource] = ()
    public_network_access: str | None = None


class MlWorkspace(pulumi.ComponentResource):
    """A system-identity workspace. Its associated resources cannot change after creation (REST
    WorkspaceProperties: 'cannot be changed once the workspace has been created'), so they replace it."""

    def __init__(self, name: str, args: MlWorkspaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_token("MlWorkspace"), name, None, opts)
        where = args.placement
        self.workspace = ml.Workspace(
            name,
            workspace_name=args.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            kind=KIND,
            sku=ml.SkuArgs(name=SKU, tier=SKU),
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            friendly_name=args.name,
            storage_account=args.storage_id,
            key_vault=args.key_vault_id,
            application_insights=args.app_insights_id,
            system_datastores_auth_mode=DATASTORES_AUTH,
            public_network_access=args.public_network_access,
            tags=dict(where.tags),
            opts=child_options(
                self,
                protect=where.protect,
                depends_on=args.depends_on,
                replace_on_changes=["storageAccount", "keyVault", "applicationInsights"],
                delete_before_replace=True,
            ),
        )
        self.id: pulumi.Output[str] = self.workspace.id
        self.name: pulumi.Output[str] = self.workspace.name
        self.principal_id: pulumi.Output[str | None] = self.workspace.identity.apply(
            lambda identity: identity.principal_id if identity else None
        )
        self.register_outputs({"id": self.id, "principalId": self.principal_id})
