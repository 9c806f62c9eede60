"""`opsctl app logs`: the Container App's console and system log streams, as `az containerapp
logs show` reads them (azure-cli src/azure-cli/azure/cli/command_modules/containerapp/custom.py,
`stream_containerapp_logs`): `getAuthtoken` gives a token, the app's `properties.eventStreamEndpoint`
gives the host, and the stream is `.../eventstream` (system) or a replica container's
`.../logstream` (console), read line by line. The same code reads Azure and the sandbox: only the
host differs (`SandboxConnection.dataplane_endpoint`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from infra.catalog.container_apps import LOG_FORMATS, LOG_TAIL_MAX, LOG_TYPES
from opsctl.arm_errors import arm_errors
from opsctl.environment import Environment
from opsctl.errors import InvalidInput, OpsError
from opsctl.target import Target


@dataclass(frozen=True)
class LogRequest:
    kind: str = "console"
    follow: bool = False
    tail: int | None = 20  # az's default for --tail
    revision: str | None = None
    output: str = "text"


def validate(req: LogRequest) -> None:
    """Usage errors, before any call (the limits and exclusions az enforces)."""
    if req.kind not in LOG_TYPES:
        raise InvalidInput(f"--type '{req.kind}' is not one of {', '.join(LOG_TYPES)}", exit_code=2)
    if req.tail is not None and not 0 <= req.tail <= LOG_TAIL_MAX:
        raise InvalidInput(f"--tail {req.tail} is out of range: 0-{LOG_TAIL_MAX}", exit_code=2)
    if req.output not in LOG_FORMATS:
        raise InvalidInput(f"--format '{req.output}' is not one of {', '.join(LOG_FORMATS)}", exit_code=2)
    if req.kind == "system" and req.revision:
        raise InvalidInput(
            "--revision applies to --type console only (system logs are the app's)", exit_code=2
        )


def stream(
    env: Environment, target: Target, req: LogRequest, *, max_lines: int | None = None
) -> Iterator[str]:
    """The log lines, as the service sends them; with `follow`, until the caller stops reading
    (or `max_lines`, for scripts and tests)."""
    import requests

    validate(req)
    client = _client(target)
    rg, name = env.resource_group, env.names.container_app
    app = _app(client, rg, name)
    url = _base(target, app) + _path(client, env, app, req)
    with arm_errors(f"getting a log stream token for container app '{name}'"):
        token = client.container_apps.get_auth_token(rg, name).properties.token
    params: dict[str, Any] = {"follow": str(req.follow).lower(), "tailLines": req.tail}
    if req.kind == "console":
        params["output"] = req.output
    verify = target.client_kwargs.get("connection_verify", True)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with requests.get(
            url, params=params, headers=headers, stream=True, timeout=(30, None), verify=verify
        ) as resp:
            if not resp.ok:
                raise OpsError(f"the log stream of '{name}' answered {resp.status_code}: {resp.text[:200]}")
            yield from _lines(resp, max_lines)
    except requests.RequestException as exc:
        raise OpsError(f"reading the log stream of '{name}': {exc}") from exc


def _lines(resp: Any, max_lines: int | None) -> Iterator[str]:
    count = 0
    for raw in resp.iter_lines():
        if not raw:
            continue
        yield raw.decode("utf-8")
        count += 1
        if max_lines is not None and count >= max_lines:
            return


def _client(target: Target) -> Any:
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    return target.client(ContainerAppsAPIClient)


def _app(client: Any, rg: str, name: str) -> Any:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        with arm_errors(f"reading container app '{name}'"):
            return client.container_apps.get(rg, name)
    except OpsError as exc:
        if isinstance(exc.__cause__, ResourceNotFoundError):
            raise OpsError(
                f"no container app '{name}' in resource group '{rg}'", hint="deploy it with `opsctl up`"
            ) from None
        raise


def _base(target: Target, app: Any) -> str:
    """`https://<region>.azurecontainerapps.dev` from the app, as az cuts it before `/subscriptions/`."""
    endpoint = app.properties.event_stream_endpoint or ""
    if "/subscriptions/" not in endpoint:
        raise OpsError(f"container app '{app.name}' reports no eventStreamEndpoint")
    base = endpoint[: endpoint.index("/subscriptions/")]
    return target.sandbox_connection.dataplane_endpoint(base) if target.is_sandbox else base


def _path(client: Any, env: Environment, app: Any, req: LogRequest) -> str:
    prefix = app.id.replace("/providers/Microsoft.App", "")
    if req.kind == "system":
        return f"{prefix}/eventstream"
    revision = _revision(client, env, app, req.revision)
    replica, container = _replica(client, env, revision)
    return f"{prefix}/revisions/{revision}/replicas/{replica}/containers/{container}/logstream"


def _revision(client: Any, env: Environment, app: Any, given: str | None) -> str:
    """The given revision (which must exist) or the latest ready one, as az defaults it."""
    if not given:
        latest = app.properties.latest_ready_revision_name or app.properties.latest_revision_name
        if not latest:
            raise OpsError(f"container app '{app.name}' has no ready revision yet")
        return str(latest)
    with arm_errors(f"listing revisions of container app '{app.name}'"):
        names = [r.name for r in client.container_apps_revisions.list_revisions(env.resource_group, app.name)]
    if given not in names:
        raise InvalidInput(
            f"--revision '{given}' is not a revision of '{app.name}' "
            f"(revisions: {', '.join(names) or 'none'})",
            exit_code=2,
        )
    return given


def _replica(client: Any, env: Environment, revision: str) -> tuple[str, str]:
    """The revision's first replica and its first container (az's defaults for --replica/--container)."""
    app = env.names.container_app
    with arm_errors(f"listing replicas of revision '{revision}'"):
        listed = client.container_apps_revision_replicas.list_replicas(env.resource_group, app, revision)
    replicas = list(getattr(listed, "value", None) or [])
    for replica in replicas:
        containers = replica.properties.containers or [] if replica.properties else []
        if containers:
            return str(replica.name), str(containers[0].name)
    raise OpsError(
        f"revision '{revision}' has no running replica (scaled to zero?): console logs need one",
        hint=f"use --type system, or keep a replica with `opsctl scale app --min 1 --stack {env.stack}`",
    )
