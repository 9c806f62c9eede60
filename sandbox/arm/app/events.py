"""What the Container Apps log stream tells about an app, derived from the revisions the sandbox
keeps (no HTTP): system events, replicas and the console lines the platform writes.

System events have the service's JSON shape (`TimeStamp`, `Type`, `ContainerAppName`,
`RevisionName`, `ReplicaName`, `Msg`, `Reason`, `EventSource`, `Count`: MicrosoftDocs
container-apps scale-app and log-streaming examples). Reasons `AssigningReplica` and the
"scheduled to run on a node" text are from those examples; `PullingImage`, `PulledImage`,
`ContainerStarted`, `RevisionReady`, `RevisionCreation`, `ImagePullFailure`, `ScaledToZero` and
their texts are [unverified], shaped on Kubernetes events that the service relays.
The sandbox runs no process, so
console lines are what the platform itself writes when a stream connects ("Connecting to the
container '...'", "Successfully Connected to container: '...' [Revision: ..., Replica: ...]", quoted
in the Container Apps SDK docs for `logstream`) plus one line per start it knows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from infra.catalog.container_apps import LOG_STREAM_DOMAIN
from sandbox.arm.app.models import DEFAULT_COOLDOWN, REV_TYPE, digest, revision_view
from sandbox.core.state import SandboxState

REPLICA_TYPE = "Microsoft.App/containerApps/revisions/replicas"
SOURCE = "ContainerAppController"


@dataclass(frozen=True)
class Event:
    at: float
    kind: str  # "Normal" | "Warning"
    reason: str
    message: str
    revision: str
    replica: str | None = None

    def system(self, app: str) -> dict[str, Any]:
        return {
            "TimeStamp": stamp(self.at),
            "Type": self.kind,
            "ContainerAppName": app,
            "RevisionName": self.revision,
            "ReplicaName": self.replica,
            "Msg": self.message,
            "Reason": self.reason,
            "EventSource": SOURCE,
            "Count": 1,
        }


def stamp(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def stream_base(location: str) -> str:
    """`https://<region>.azurecontainerapps.dev`: the host of an app's log and event streams."""
    return f"https://{location.lower().replace(' ', '')}.{LOG_STREAM_DOMAIN}"


def event_stream_endpoint(app_id: str, location: str) -> str:
    """`properties.eventStreamEndpoint` of an app: its ARM path without the provider segment."""
    return f"{stream_base(location)}{app_id.replace('/providers/Microsoft.App', '')}/eventstream"


def replica_names(rev: dict[str, Any], count: int) -> list[str]:
    """Stable replica names shaped like the service's (`<revision>-<10 hex>-<5 chars>`)."""
    out = []
    for i in range(count):
        hexed = digest(f"{rev['id']}#{i}").hex()
        out.append(f"{rev['name']}-{hexed[:10]}-{hexed[10:15]}")
    return out


def replicas(state: SandboxState, app: dict[str, Any], rev: dict[str, Any]) -> list[dict[str, Any]]:
    """The revision's replicas as of now, in the shape of `ContainerAppsRevisionReplicas` (SDK
    `Replica`/`ReplicaContainer` of azure-mgmt-appcontainers 5.1.0)."""
    view = revision_view(state, app, rev)
    started = rev.get("sandbox", {}).get("readyAt") or 0.0
    out = []
    for name in replica_names(rev, int(view["properties"]["replicas"])):
        base = f"{stream_base(app['location'])}{app['id'].replace('/providers/Microsoft.App', '')}"
        containers = [
            {
                "name": c.get("name"),
                "containerId": f"containerd://{digest(name + str(c.get('name'))).hex()}",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "runningState": "Running",
                "logStreamEndpoint": (
                    f"{base}/revisions/{rev['name']}/replicas/{name}/containers/{c.get('name')}/logstream"
                ),
            }
            for c in rev["properties"]["template"].get("containers") or []
        ]
        out.append(
            {
                "id": f"{rev['id']}/replicas/{name}",
                "name": name,
                "type": REPLICA_TYPE,
                "properties": {
                    "createdTime": stamp(started),
                    "runningState": "Running",
                    "containers": containers,
                },
            }
        )
    return out


def events(state: SandboxState, app: dict[str, Any]) -> list[Event]:
    """Every system event of the app up to now on the simulated clock, oldest first."""
    now = state.clock.now()
    found: list[Event] = []
    for rev in state.store.find(type=REV_TYPE, within=app["id"]):
        found.extend(_revision_events(rev))
    return sorted((e for e in found if e.at <= now), key=lambda e: (e.at, e.revision))


def _revision_events(rev: dict[str, Any]) -> list[Event]:
    name, marks, props = rev["name"], rev.get("sandbox", {}), rev["properties"]
    created, ready, failed = marks.get("createdAt"), marks.get("readyAt"), marks.get("failedAt")
    template = props["template"]
    images = [str(c.get("image")) for c in template.get("containers") or []]
    out = []
    if created is not None:
        out.append(Event(created, "Normal", "RevisionCreation", f"Creating new revision '{name}'", name))
    if failed is not None:
        detail = props.get("provisioningError") or "provisioning failed"
        out.append(Event(failed, "Warning", "ImagePullFailure", detail, name))
    if ready is None:
        return out
    [first, *_] = replica_names(rev, 1)
    out.append(
        Event(
            ready,
            "Normal",
            "AssigningReplica",
            f"Replica '{first}' has been scheduled to run on a node.",
            name,
            first,
        )
    )
    for image in images:
        out.append(Event(ready, "Normal", "PullingImage", f"Pulling image '{image}'", name, first))
        out.append(Event(ready, "Normal", "PulledImage", f"Successfully pulled image '{image}'", name, first))
    for c in template.get("containers") or []:
        out.append(
            Event(ready, "Normal", "ContainerStarted", f"Started container '{c.get('name')}'", name, first)
        )
    out.append(Event(ready, "Normal", "RevisionReady", f"Revision ready: '{name}'", name))
    scale = template.get("scale") or {}
    if not scale.get("minReplicas"):
        idle = ready + scale.get("cooldownPeriod", DEFAULT_COOLDOWN)
        out.append(
            Event(idle, "Normal", "ScaledToZero", f"Scaled revision '{name}' from 1 to 0 replicas", name)
        )
    return out


def console_lines(
    replica: str, revision: str, container: str, image: str, started: float
) -> list[tuple[float, str]]:
    """What a container's log stream shows for a sandbox replica: the platform's banner, then
    the start the sandbox knows of (no process runs here to write more)."""
    return [
        (started, f"Connecting to the container '{container}'..."),
        (
            started,
            f"Successfully Connected to container: '{container}' "
            f"[Revision: '{revision}', Replica: '{replica}']",
        ),
        (
            started,
            f"sandbox: container '{container}' started from image '{image}' (no process runs in the sandbox)",
        ),
    ]
