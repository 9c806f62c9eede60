"""Where opsctl sends ARM calls: real Azure or the local sandbox, through the same SDK clients.

Only `base_url`, the CA bundle and the credential differ between the two (issue 3's contract), so
every operation is written once against `Target.client(...)`.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from opsctl.errors import OpsError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

ClientT = TypeVar("ClientT")
TargetKind = Literal["azure", "sandbox"]
SANDBOX_HOME_ENV = "RAGSTACK_SANDBOX_HOME"


class TargetClock(Protocol):
    """The target's time, in its seconds: what waits, deadlines and Retry-After count in."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class ScaledClock:
    """Wall time, `time_scale` times faster (a background sandbox's clock runs at its scale)."""

    time_scale: float = 1.0

    def now(self) -> float:
        return time.monotonic() * self.time_scale

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0) / self.time_scale)


class SandboxVirtualClock:
    """A virtual-clock sandbox's own time, over its admin API: a wait advances it, no wall sleep.

    While the sandbox is unreachable (stopped, restarting) no simulated time can pass there: a
    wait then sleeps its wall equivalent at `time_scale` and counts locally, so deadlines and
    retry budgets still run out instead of the command failing on the clock itself.
    """

    def __init__(self, connection: Any, time_scale: float = 1.0) -> None:
        from sandbox.connection import SandboxAdmin

        self._admin = SandboxAdmin(connection)
        self._time_scale = time_scale
        self._lock = threading.Lock()
        self._last = 0.0

    def now(self) -> float:
        return self._advance(0.0)

    def sleep(self, seconds: float) -> None:
        self._advance(max(seconds, 0.0))

    def _advance(self, seconds: float) -> float:
        import httpx

        try:
            now = self._admin.advance_clock(seconds)
        except httpx.HTTPError:
            time.sleep(seconds / self._time_scale)
            with self._lock:
                self._last += seconds
                return self._last
        with self._lock:
            self._last = max(self._last, now)
            return self._last


WALL_CLOCK = ScaledClock()


@dataclass
class Target:
    """An ARM endpoint plus the credential and TLS settings to reach it."""

    kind: TargetKind
    subscription_id: str
    credential: TokenCredential
    client_kwargs: dict[str, Any] = field(default_factory=dict)
    clock: TargetClock = WALL_CLOCK
    sandbox_connection: Any = None

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of the target's time: a sandbox's clock may run faster than the wall, or
        be virtual (the wait advances it)."""
        self.clock.sleep(seconds)

    def now(self) -> float:
        """The target's time in seconds (for deadlines; only differences are meaningful)."""
        return self.clock.now()

    def client(self, client_class: type[ClientT], **kwargs: Any) -> ClientT:
        """An official azure-mgmt client for this target and subscription, with opsctl's one retry
        policy (transient faults, throttling and ARM's "not yet" codes; see opsctl.retry)."""
        from opsctl.retry import ArmRetryPolicy

        options = {**self.client_kwargs, **kwargs}
        options.setdefault("retry_policy", ArmRetryPolicy())
        if "transport" not in options and (transport := self.sdk_transport()) is not None:
            options["transport"] = transport
        return client_class(self.credential, self.subscription_id, **options)  # type: ignore[call-arg]

    def sdk_transport(self) -> Any:
        """An azure-core transport whose waits follow this target's clock, or None (the default
        transport) when the target's time is the wall's. Data-plane clients take it too."""
        if self.clock == WALL_CLOCK:
            return None
        return _clock_transport(self.clock, self.client_kwargs.get("connection_verify"))

    def managed_identity_credential(self, client_id: str) -> TokenCredential:
        """A user-assigned managed identity's credential, as code inside the environment has it: on
        Azure azure-identity's ManagedIdentityCredential (only where the identity is attached), in
        the sandbox its managed-identity endpoint (the sandbox host stands inside)."""
        if self.is_sandbox and self.sandbox_connection is not None:
            return self.sandbox_connection.managed_identity_credential(client_id)
        from azure.identity import ManagedIdentityCredential

        return ManagedIdentityCredential(client_id=client_id)

    @property
    def is_sandbox(self) -> bool:
        return self.kind == "sandbox"


def _clock_transport(clock: TargetClock, verify: Any) -> Any:
    """A requests transport whose waits (Retry-After, LRO polls, retry backoff) follow the
    sandbox's clock: its Retry-After values are simulated seconds."""
    from azure.core.pipeline.transport import RequestsTransport

    class SandboxClockTransport(RequestsTransport):
        def sleep(self, duration: float) -> None:
            clock.sleep(duration)

    return SandboxClockTransport(connection_verify=verify) if verify else SandboxClockTransport()


def sandbox_home() -> Path:
    """The state directory of the sandbox that `opsctl sandbox start` runs."""
    return Path(os.environ.get(SANDBOX_HOME_ENV, Path.home() / ".ragstack" / "sandbox"))


def sandbox_target(subscription_id: str | None = None, *, home: Path | None = None) -> Target:
    """The running sandbox, as recorded by `opsctl sandbox start`."""
    from sandbox import SandboxConnection
    from sandbox.control import read_info

    state_dir = home or sandbox_home()
    try:
        record = read_info(state_dir)
        connection = SandboxConnection.load_dict(record) if record else None
    except (ValueError, TypeError) as exc:
        raise OpsError(
            f"{state_dir / 'sandbox.json'} is unreadable ({exc})",
            hint="run `opsctl sandbox stop`, then `opsctl sandbox start`",
        ) from None
    if connection is None or record is None:
        raise OpsError(
            f"no sandbox is running (state: {state_dir})", hint="start one with `opsctl sandbox start`"
        )
    target = connection_target(
        connection,
        subscription_id,
        time_scale=float(record.get("time_scale", 1.0)),
        virtual_clock=bool(record.get("virtual_clock", False)),
    )
    client_id, secret = os.environ.get("AZURE_CLIENT_ID"), os.environ.get("AZURE_CLIENT_SECRET")
    if client_id and secret:
        # EnvironmentCredential's variables, as an SDK or az user sets them: act as that sandbox
        # principal (e.g. a CI identity registered with `opsctl sandbox principal add`).
        target.credential = connection.credential(client_id, secret)
    return target


def connection_target(
    connection: Any,
    subscription_id: str | None = None,
    *,
    time_scale: float = 1.0,
    virtual_clock: bool = False,
    clock: TargetClock | None = None,
) -> Target:
    """A Target for a sandbox connection (in-process for tests, or the background one). Its clock
    is `clock` (an in-process sandbox's own), else the sandbox's virtual clock over the admin API,
    else the wall clock at `time_scale`."""
    if clock is None:
        clock = SandboxVirtualClock(connection, time_scale) if virtual_clock else ScaledClock(time_scale)
    from sandbox.constants import ARM_SCOPE

    options = {
        "base_url": connection.endpoint,
        "credential_scopes": [ARM_SCOPE],
        "connection_verify": connection.ca_path,
    }
    subscription = subscription_id or connection.subscription_id
    return Target("sandbox", subscription, connection.credential(), options, clock, connection)


def azure_target(subscription_id: str) -> Target:
    """Real Azure with the operator's usual credentials (az login, env, workload/managed identity)."""
    from azure.identity import DefaultAzureCredential

    return Target("azure", subscription_id, DefaultAzureCredential())


def resolve_target(
    *, subscription_id: str | None, kind: TargetKind | None = None, sandbox_subscription: str | None = None
) -> Target:
    """Pick the target: explicit kind first, else the sandbox when the subscription is the sandbox's."""
    from sandbox import SANDBOX_SUBSCRIPTION_ID

    if kind is None:
        sandbox_sub = sandbox_subscription or SANDBOX_SUBSCRIPTION_ID
        kind = "sandbox" if subscription_id in (None, sandbox_sub) else "azure"
    if kind == "sandbox":
        return sandbox_target(subscription_id)
    if not subscription_id:
        raise OpsError(
            "no subscription given",
            hint="pass --subscription, set AZURE_SUBSCRIPTION_ID, or set ragstack:subscriptionId",
        )
    return azure_target(subscription_id)
