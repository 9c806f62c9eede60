"""Options every environment command shares, and the one place that opens an environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsctl.stacklock import DEFAULT_LOCK_TIMEOUT

if TYPE_CHECKING:
    from opsctl.environment import Environment
    from opsctl.target import Target, TargetKind

STACK = typer.Option(..., "--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml.")
SUBSCRIPTION = typer.Option(
    None, "--subscription", envvar="AZURE_SUBSCRIPTION_ID", help="Subscription id (default: the stack's)."
)
SANDBOX = typer.Option(
    None,
    "--sandbox/--azure",
    help="Target the local sandbox or real Azure (default: sandbox when the stack uses its subscription).",
)
PROJECT_DIR = typer.Option(Path("."), "--project-dir", help="Directory holding Pulumi.<stack>.yaml.")
DRY_RUN = typer.Option(False, "--dry-run", help="Show exactly what would change; write nothing.")
WRITE_BACK = typer.Option(
    True, "--write-back/--no-write-back", help="Record the new value in Pulumi.<stack>.yaml (default on)."
)

LOCK_TIMEOUT = typer.Option(
    DEFAULT_LOCK_TIMEOUT,
    "--lock-timeout",
    min=0.0,
    help="Seconds to wait while another opsctl changes this stack (it says who holds the lock).",
)
# The command line being run, recorded in the stack's lock so a waiting operator sees who holds it.
COMMAND: ContextVar[str | None] = ContextVar("opsctl_command", default=None)


@dataclass(frozen=True)
class EnvArgs:
    """The options that address an environment, as one value commands can pass on."""

    stack: str
    subscription: str | None
    sandbox: bool | None
    project_dir: Path

    def open(self) -> tuple[Environment, Target]:
        return open_environment(
            self.stack, subscription=self.subscription, sandbox=self.sandbox, project_dir=self.project_dir
        )

    @contextmanager
    def locked(self, lock_timeout: float | None) -> Iterator[tuple[Environment, Target]]:
        """`open()` under the stack's lock, so the stack file and live state are read after any
        other writer finished; `lock_timeout` None (dry runs) takes no lock."""
        with stack_locked(self.stack, self.project_dir, lock_timeout):
            yield self.open()


@contextmanager
def stack_locked(stack: str, project_dir: Path, lock_timeout: float | None) -> Iterator[None]:
    """Hold the stack's lock for a writing command. The stack is validated first, so bad input is
    one line and never leaves a lock file behind."""
    from opsctl.environment import load_environment
    from opsctl.stacklock import stack_lock

    path = load_environment(stack, project_dir=project_dir).stack_file.path
    if lock_timeout is None:
        yield
        return
    with stack_lock(path, timeout=lock_timeout, command=COMMAND.get()):
        yield


def open_environment(
    stack: str, *, subscription: str | None, sandbox: bool | None, project_dir: Path
) -> tuple[Environment, Target]:
    """Load the stack and pick its target; bad config fails here, before any ARM call."""
    from opsctl.environment import load_environment

    validate_subscription(subscription)
    env = load_environment(stack, project_dir=project_dir, subscription_id=subscription)
    return env, open_target(env.subscription_id, sandbox=sandbox)


def validate_subscription(subscription: str | None) -> None:
    """A subscription id is a GUID; refuse anything else before a credential is even built."""
    from infra.rules import GUID
    from opsctl.errors import InvalidInput

    if subscription is not None and not GUID.fullmatch(subscription):
        raise InvalidInput(f"--subscription {subscription}: must be a subscription id (GUID)")


def open_target(subscription: str | None, *, sandbox: bool | None) -> Target:
    """The ARM target for a subscription; `sandbox` None means: decide from the subscription."""
    from opsctl.target import resolve_target

    validate_subscription(subscription)
    kind: TargetKind | None = None if sandbox is None else ("sandbox" if sandbox else "azure")
    return resolve_target(subscription_id=subscription, kind=kind)
