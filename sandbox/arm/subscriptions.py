"""Subscriptions and tenants (`SubscriptionClient`): the one sandbox subscription."""

from __future__ import annotations

from typing import Any

from sandbox.constants import LOCATIONS, SANDBOX_SUBSCRIPTION_NAME
from sandbox.core import ArmRequest, ArmResponse, Provider
from sandbox.core.odata import page

provider = Provider("Microsoft.Resources")


def subscription_doc(req: ArmRequest) -> dict[str, Any]:
    sub, tenant = req.state.config.subscription_id, req.state.config.tenant_id
    return {
        "id": f"/subscriptions/{sub}",
        "subscriptionId": sub,
        "tenantId": tenant,
        "displayName": SANDBOX_SUBSCRIPTION_NAME,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": {},
    }


@provider.route("GET", "/subscriptions")
def list_subscriptions(req: ArmRequest) -> ArmResponse:
    return page(req, [subscription_doc(req)])


@provider.route("GET", "/subscriptions/{sub}")
def get_subscription(req: ArmRequest) -> dict[str, Any]:
    return subscription_doc(req)


@provider.route("GET", "/tenants")
def list_tenants(req: ArmRequest) -> ArmResponse:
    tid = req.state.config.tenant_id
    doc = {
        "id": f"/tenants/{tid}",
        "tenantId": tid,
        "tenantCategory": "Home",
        "displayName": "ragstack sandbox",
    }
    return page(req, [doc])


@provider.route("GET", "/subscriptions/{sub}/locations")
def list_locations(req: ArmRequest) -> ArmResponse:
    sub = req.params["sub"]
    docs = [
        {
            "id": f"/subscriptions/{sub}/locations/{loc}",
            "name": loc,
            "displayName": loc,
            "type": "Region",
        }
        for loc in LOCATIONS
    ]
    return page(req, docs)
