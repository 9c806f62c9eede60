"""The Cognitive Services account shape shared by Azure OpenAI and Document Intelligence."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native.cognitiveservices as cognitiveservices

from infra.components.common import Placement, child_options

# Changing either means a new account (subdomains are immutable, pitfall D-2; kinds cannot change).
REPLACE_ON = ["kind", "properties.customSubDomainName"]


def cognitive_account(
    parent: pulumi.Resource,
    logical_name: str,
    *,
    account_name: str,
    kind: str,
    sku: str,
    public_network_access: str,
    placement: Placement,
    allow_project_management: bool = False,
) -> cognitiveservices.Account:
    """An account reachable only with Entra tokens.

    The custom subdomain is what makes token auth work at all (pitfall D-1) and must be lowercase
    or Pulumi sees a perpetual diff (D-2). `allowProjectManagement` makes an AIServices account a
    Microsoft Foundry resource that can hold projects; it is sent only when asked for, so classic and
    Document Intelligence accounts keep their inputs.
    """
    return cognitiveservices.Account(
        logical_name,
        account_name=account_name,
        resource_group_name=placement.resource_group_name,
        location=placement.location,
        kind=kind,
        sku=cognitiveservices.SkuArgs(name=sku),
        identity=cognitiveservices.IdentityArgs(type=cognitiveservices.ResourceIdentityType.SYSTEM_ASSIGNED),
        properties=cognitiveservices.AccountPropertiesArgs(
            custom_sub_domain_name=account_name.lower(),
            disable_local_auth=True,
            public_network_access=public_network_access,
            allow_project_management=True if allow_project_management else None,
        ),
        tags=dict(placement.tags),
        opts=child_options(
            parent, protect=placement.protect, replace_on_changes=REPLACE_ON, delete_before_replace=True
        ),
    )


def account_endpoint(
    account: cognitiveservices.Account, fallback: str, api: str | None = None
) -> pulumi.Output[str]:
    """The endpoint Azure reports (`properties.endpoints[api]` when asked), else `fallback`."""

    def pick(properties: Any) -> str:
        if properties is None:
            return fallback
        if api is not None:
            return (getattr(properties, "endpoints", None) or {}).get(api) or fallback
        return getattr(properties, "endpoint", None) or fallback

    return account.properties.apply(pick)
