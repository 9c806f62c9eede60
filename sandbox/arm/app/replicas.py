"""Microsoft.App: a revision's replicas and the auth token for the app's log streams.

`POST .../containerApps/{app}/getAuthtoken` answers 200 with `{id, name, type:
"Microsoft.App/containerApps/accesstoken", location, properties: {token, expires}}`
(ContainerApps_GetAuthToken.json, 2025-07-01 examples). The token is opaque to clients (az sends
it as `Authorization: Bearer` to the stream, azure-cli `stream_containerapp_logs`); the sandbox
signs one for the stream audience bound to the app. Its lifetime is [unverified]: one hour here.
Replicas: `GET .../revisions/{rev}/replicas[/{replica}]` (SDK `container_apps_revision_replicas`).
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.arm.app import events
from sandbox.arm.app.models import APP, REV_TYPE
from sandbox.arm.app.routes import get_app, provider
from sandbox.core import ArmRequest, ArmResponse
from sandbox.core.errors import resource_not_found

STREAM_AUDIENCE = "https://azurecontainerapps.dev"
TOKEN_SECONDS = 3600
ACCESS_TOKEN_TYPE = "Microsoft.App/containerApps/accesstoken"


def stream_token(req: ArmRequest, app: dict[str, Any]) -> tuple[str, int]:
    return req.state.issuer.issue(
        oid=req.principal_id, aud=STREAM_AUDIENCE, ttl=TOKEN_SECONDS, xms_app=app["id"].lower()
    )


@provider.route("POST", APP + "/{app}/getAuthtoken")
def get_auth_token(req: ArmRequest) -> dict[str, Any]:
    app = get_app(req)
    token, expires = stream_token(req, app)
    return {
        "id": app["id"],
        "name": app["name"],
        "type": ACCESS_TOKEN_TYPE,
        "location": app["location"],
        "properties": {"token": token, "expires": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))},
    }


def _revision(req: ArmRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    app = get_app(req)
    rev = req.state.store.get(f"{app['id']}/revisions/{req.params['rev']}")
    if rev is None:
        raise resource_not_found(REV_TYPE, f"{req.params['app']}/{req.params['rev']}", req.params["rg"])
    return app, rev


@provider.route("GET", APP + "/{app}/revisions/{rev}/replicas")
def list_replicas(req: ArmRequest) -> ArmResponse:
    app, rev = _revision(req)
    # The service answers one page `{"value": [...]}` (ContainerAppsRevisionReplicas list).
    return ArmResponse(200, {"value": events.replicas(req.state, app, rev)})


@provider.route("GET", APP + "/{app}/revisions/{rev}/replicas/{replica}")
def get_replica(req: ArmRequest) -> dict[str, Any]:
    app, rev = _revision(req)
    for replica in events.replicas(req.state, app, rev):
        if replica["name"] == req.params["replica"]:
            return replica
    raise resource_not_found(events.REPLICA_TYPE, req.params["replica"], req.params["rg"])
