"""`Sandbox`: the in-process local ARM (state dir + server thread) and its Python control API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.arm import PROVIDERS
from sandbox.connection import SandboxConnection
from sandbox.core.app import build_app
from sandbox.core.faults import Faults
from sandbox.core.routing import Provider
from sandbox.core.runner import ServerThread, ensure_tls
from sandbox.core.state import SandboxConfig, SandboxState, clone_state_dir, ensure_secrets
from sandbox.core.throttle import ThrottleConfig


class RequestLog:
    """The ARM request log: what the sandbox was asked, for counting calls per operation."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state

    def list(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        since: float | None = None,
        status: int | None = None,
    ) -> list[dict[str, Any]]:
        rows = self._state.store.requests(method=method, path=path, since=since)
        return [r for r in rows if status is None or r["status"] == status]

    def count(self, **filters: Any) -> int:
        return len(self.list(**filters))

    def clear(self) -> None:
        with self._state.store.transaction():
            self._state.store.clear_requests()


class Sandbox:
    """A local HTTPS ARM. `with Sandbox(tmp, time_scale=10000) as sb: sb.connection.client(...)`.

    `virtual_clock=True` stops simulated time unless a client waits (`sleep`); tests use it so
    that a loaded machine cannot let an operation finish before the client looks.
    """

    def __init__(
        self,
        state_dir: str | Path,
        *,
        time_scale: float = 1.0,
        virtual_clock: bool = False,
        throttling: ThrottleConfig | bool = True,
        page_size: int = 100,
        principal_replication_delay: float = 0.0,
        role_propagation_delay: float = 300.0,
        port: int = 0,
        extra_providers: list[Provider] | None = None,
    ) -> None:
        if isinstance(throttling, bool):
            throttling = ThrottleConfig(enabled=throttling)
        self.state_dir = Path(state_dir)
        self.config = SandboxConfig(
            time_scale=time_scale,
            virtual_clock=virtual_clock,
            throttling=throttling,
            page_size=page_size,
            principal_replication_delay=principal_replication_delay,
            role_propagation_delay=role_propagation_delay,
        )
        self.port = port
        self.providers = [*PROVIDERS, *(extra_providers or [])]
        self.state: SandboxState | None = None
        self.connection: SandboxConnection | None = None
        self._server: ServerThread | None = None

    @staticmethod
    def clone_state(source: str | Path, target: str | Path) -> Path:
        """Copy the state dir `source` (open or not) to the new dir `target`; a `Sandbox` opened on
        `target` holds the same resources, identities, search data and simulated time, serves on
        its own port and trusts the same CA. Tests deploy a stack once and clone it per test."""
        clone_state_dir(Path(source), Path(target))
        return Path(target)

    @staticmethod
    def make_keys(state_dir: str | Path) -> Path:
        """Create the keys a first start would (token signing key, admin key, TLS CA and server
        certificate) without opening the state. Cloning such a dir gives a fresh sandbox without
        the RSA key generation (most of a first start's time); tests share one per worker."""
        path = Path(state_dir)
        path.mkdir(parents=True, exist_ok=True)
        ensure_secrets(path)
        ensure_tls(path)
        return path

    def start(self) -> SandboxConnection:
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        self.state = SandboxState(self.state_dir, self.config, self.providers)
        tls = ensure_tls(self.state_dir)
        self._server = ServerThread(build_app(self.state), tls, self.port)
        self._server.start()
        self.connection = SandboxConnection(
            endpoint=f"https://127.0.0.1:{self._server.port}",
            ca_path=str(tls.ca),
            subscription_id=self.config.subscription_id,
            tenant_id=self.config.tenant_id,
            identity_header=self.state.identity_header,
            admin_key=self.state.admin_key,
        )
        return self.connection

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.state is not None:
            self.state.close()
            self.state = None

    def wait(self) -> None:
        """Block until the server thread ends (the foreground server uses this)."""
        if self._server is not None:
            self._server.wait()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _live(self) -> SandboxState:
        if self.state is None:
            raise RuntimeError("sandbox is not running")
        return self.state

    def reset(self) -> None:
        """Forget every resource, operation, fault, principal and logged request."""
        self._live().reset()

    @property
    def faults(self) -> Faults:
        return self._live().faults

    @property
    def requests(self) -> RequestLog:
        return RequestLog(self._live())

    @property
    def time_scale(self) -> float:
        return self.config.time_scale

    @property
    def virtual_clock(self) -> bool:
        return self.config.virtual_clock

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward."""
        self._live().clock.advance(seconds)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of simulated time (advances a virtual clock, sleeps a scaled one)."""
        self._live().clock.sleep(seconds)

    def add_principal(
        self, object_id: str, principal_type: str = "ServicePrincipal", **kw: Any
    ) -> dict[str, Any]:
        return self._live().directory.add(object_id, principal_type, **kw)

    def add_app(
        self,
        client_id: str,
        *,
        secret: str | None = None,
        federated: list[dict[str, Any]] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """Register an app the token endpoint accepts: with `secret` (client_credentials with a
        client secret) and/or `federated` credentials (`{issuer, subject, audiences=
        ["api://AzureADTokenExchange"], name, jwks}`) for a `client_assertion`."""
        return self._live().directory.add_app(client_id, secret=secret, federated=federated, **kw)

    def register_principal(self, principal_type: str = "ServicePrincipal", **spec: Any) -> dict[str, Any]:
        """`SandboxAdmin.register_principal` in process (same fields: `roles`, `members`,
        `client_id`, `secret`, `object_id`, `display_name`, `replication_delay`)."""
        from sandbox.core.admin import add_principal

        return add_principal(self._live(), {"principal_type": principal_type, **spec})

    def grant(
        self, principal_id: str, role: str, *, scope: str | None = None, condition: str | None = None
    ) -> dict[str, Any]:
        """Assign a built-in role directly (default scope: the subscription)."""
        from sandbox.core.rbac import grant_role

        state = self._live()
        with state.store.transaction():
            return grant_role(
                state,
                principal_id,
                role,
                scope or f"/subscriptions/{state.config.subscription_id}",
                condition=condition,
            )

    def set_quota(self, namespace: str, location: str, name: str, limit: float) -> dict[str, Any]:
        """Set a provider quota limit (e.g. an Azure OpenAI TPM quota) so tests can exhaust it."""
        return self._live().quotas.set(namespace, location, name, limit)

    def issue_token(self, oid: str, aud: str = "https://management.azure.com/") -> str:
        return self._live().issuer.issue(oid=oid, aud=aud)[0]
