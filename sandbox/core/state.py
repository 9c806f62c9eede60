"""Everything one running sandbox holds: config, store, clock, router, directory, tokens."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.constants import (
    ADMIN_KEY_FILE,
    CONNECTION_FILE,
    LOG_FILE,
    OPERATOR_CLIENT_ID,
    OPERATOR_OBJECT_ID,
    OPERATOR_SECRET,
    PORT_FILE,
    SANDBOX_SUBSCRIPTION_ID,
    SANDBOX_TENANT_ID,
)
from sandbox.core.auth import TokenIssuer, new_signing_key
from sandbox.core.clock import Clock
from sandbox.core.faults import Faults
from sandbox.core.lro import Lro
from sandbox.core.principals import Directory
from sandbox.core.quotas import Quotas
from sandbox.core.rbac import grant_role
from sandbox.core.routing import Provider, Router
from sandbox.core.store import Store
from sandbox.core.throttle import ThrottleConfig, Throttler


@dataclass
class SandboxConfig:
    """Knobs of one sandbox run (not persisted: pass them again on restart)."""

    time_scale: float = 1.0
    # Simulated time advances only when a client waits (in-process tests); see sandbox.core.clock.
    virtual_clock: bool = False
    throttling: ThrottleConfig = field(default_factory=ThrottleConfig)
    page_size: int = 100
    principal_replication_delay: float = 0.0
    # Simulated seconds before data actions and image pulls see a new role assignment (MS Learn
    # RBAC troubleshooting: "up to 10 minutes"); 0 turns the delay off.
    role_propagation_delay: float = 300.0
    subscription_id: str = SANDBOX_SUBSCRIPTION_ID
    tenant_id: str = SANDBOX_TENANT_ID


@dataclass(frozen=True)
class Secrets:
    """The state dir's keys: token signing key (PEM), managed-identity header, admin key."""

    signing_key: bytes
    identity_header: str
    admin_key: str


def ensure_secrets(state_dir: Path) -> Secrets:
    """The state dir's keys, created (mode 600) on first use and kept across restarts."""
    return Secrets(
        _secret_file(state_dir / "signing-key.pem", new_signing_key),
        _secret_file(state_dir / "identity-header").hex(),
        _secret_file(state_dir / ADMIN_KEY_FILE, _new_admin_key).decode(),
    )


class SandboxState:
    def __init__(self, state_dir: Path, config: SandboxConfig, providers: list[Provider]) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir
        self.config = config
        self.store = Store(state_dir / "sandbox.db")
        saved = self.store.meta("sim_now")
        self.clock = Clock(config.time_scale, float(saved) if saved else None, virtual=config.virtual_clock)
        self.store.on_commit.append(lambda s: s.set_meta("sim_now", repr(self.clock.now())))
        self.clock.on_advance.append(lambda now: self.store.set_meta("sim_now", repr(now)))
        self.router = Router(providers)
        self.faults = Faults(self.store)
        self.directory = Directory(self.store)
        self.quotas = Quotas(self.store)
        self.throttler = Throttler(config.throttling)
        self.lro = Lro(self)
        secrets_ = ensure_secrets(state_dir)
        self.issuer = TokenIssuer(secrets_.signing_key, config.tenant_id)
        self.identity_header = secrets_.identity_header
        self.admin_key = secrets_.admin_key
        self.started_at = time.time()
        # Stores kept beside sandbox.db (e.g. the AI Search engine's search.db) forget on reset too.
        self.on_reset: list[Callable[[], None]] = []
        self.seed()

    def seed(self) -> None:
        """State every fresh (or reset) sandbox has: the operator app, secret `sandbox` (a state
        dir from before app registrations has the operator without a secret: give it one), and
        the operator as Owner of the subscription, once (an operator may later remove it)."""
        operator = self.directory.get(OPERATOR_OBJECT_ID)
        if operator is None or not operator.get("secret"):
            self.directory.add_app(
                OPERATOR_CLIENT_ID,
                secret=OPERATOR_SECRET,
                object_id=OPERATOR_OBJECT_ID,
                display_name="ragstack-sandbox-operator",
            )
        if self.store.meta("operator_owner") != "1":
            with self.store.transaction():
                grant_role(self, OPERATOR_OBJECT_ID, "Owner", f"/subscriptions/{self.config.subscription_id}")
                self.store.set_meta("operator_owner", "1")

    def reset(self) -> None:
        self.reset_store()
        self.throttler.reset()
        for forget in self.on_reset:
            forget()

    def reset_store(self) -> None:
        """Wipe and seed again in one transaction (so a preview can roll it back); the engines kept
        beside the store (on_reset) are cleared by `reset` only."""
        with self.store.transaction():
            self.store.wipe()
            self.store.set_meta("operator_owner", "0")
            self.seed()

    def close(self) -> None:
        """Persist the simulated time reached (a restart resumes from it), then close the store."""
        self.store.set_meta("sim_now", repr(self.clock.now()))
        self.store.close()


# What belongs to the running server, not to the state: its connection document, log and port.
_SERVER_FILES = frozenset({CONNECTION_FILE, LOG_FILE, PORT_FILE})
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def clone_state_dir(source: Path, target: Path) -> None:
    """Copy a state dir so that a new sandbox opened on `target` resumes exactly where `source`
    is (resources, operations, principals, search indexes, simulated time, keys, TLS material).

    Each SQLite database is copied with the backup API: a consistent snapshot even while
    `source` is open (its committed WAL pages included; `-wal`/`-shm` files are never copied
    separately). Other files keep their mode (the admin key stays 0600). The source server's
    connection document, log and port are left out: the clone is a different server.
    """
    target.mkdir(parents=True, exist_ok=False)
    for entry in sorted(source.iterdir()):
        if entry.name in _SERVER_FILES or entry.name.endswith(_SQLITE_SIDE_FILES):
            continue
        dest = target / entry.name
        if entry.is_dir():
            shutil.copytree(entry, dest)
        elif entry.suffix == ".db":
            _backup_sqlite(entry, dest)
        else:
            shutil.copy2(entry, dest)


def _backup_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(str(source))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    target.chmod(source.stat().st_mode & 0o777)


def _new_admin_key() -> bytes:
    return secrets.token_hex(32).encode()


def _secret_file(path: Path, make: Callable[[], bytes] = lambda: secrets.token_bytes(32)) -> bytes:
    """A secret kept in the state dir (mode 600; 32 random bytes unless `make` says otherwise),
    created on first use."""
    if path.exists():
        return path.read_bytes()
    data = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return data
