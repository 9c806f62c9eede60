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

# Where the default stack is kept (`opsctl stack select`): beside the stack files, ignored by git.
SELECTED_STACK_FILE = ".opsctl-stack"
STACK_ENV = "OPSCTL_STACK"


def _resolve_stack(ctx: typer.Context, value: str | None) -> str:
    """`--stack`, else OPSCTL_STACK, else the selected stack (like `pulumi stack select`: kept with
    the project, not the shell). A stack not typed on the command line is said on stderr; a typed
    one is already in the command line, and its errors stay one line."""
    from typer._click.core import ParameterSource

    source = ctx.get_parameter_source("stack")
    if value and source is not ParameterSource.ENVIRONMENT:
        return value
    origin = STACK_ENV
    if not value:
        project_dir = ctx.params.get("project_dir") or Path(".")
        value = read_selected_stack(Path(project_dir))
        origin = f"selected in {SELECTED_STACK_FILE}"
    if not value:
        raise typer.BadParameter(
            f"no stack given: pass --stack, set {STACK_ENV}, or run `opsctl stack select NAME`",
            param_hint="'--stack'",
        )
    STACK_NOTE.set(f"stack: {value} ({origin})")
    return value


# Said on stderr once the command line parsed (opsctl.cli.command), so a usage error stays one line.
STACK_NOTE: ContextVar[str | None] = ContextVar("opsctl_stack_note", default=None)


def read_selected_stack(project_dir: Path) -> str | None:
    path = project_dir / SELECTED_STACK_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


STACK = typer.Option(
    None,
    "--stack",
    "-s",
    envvar=STACK_ENV,
    callback=_resolve_stack,
    show_default=False,
    help="Stack name: reads Pulumi.<stack>.yaml (default: $OPSCTL_STACK, else `opsctl stack select`).",
)
# No envvar: as in Pulumi, the stack file's ragstack:subscriptionId wins over AZURE_/ARM_SUBSCRIPTION_ID
# (infra.settings.resolved_subscription_id); only this flag overrides it.
SUBSCRIPTION = typer.Option(
    None, "--subscription", help="Subscription id; overrides the stack's ragstack:subscriptionId."
)
SANDBOX = typer.Option(
    None,
    "--sandbox/--azure",
    help="Target the local sandbox or real Azure (default: sandbox when the stack uses its subscription).",
)
# Eager so the default stack is read from this directory whatever the order on the command line.
PROJECT_DIR = typer.Option(
    Path("."), "--project-dir", is_eager=True, help="Directory holding Pulumi.<stack>.yaml."
)
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
    if subscription is None:
        note_subscription_mismatch(env)
    target = open_target(env.subscription_id, sandbox=sandbox)
    return rehearse_in_sandbox(env, target), target


def note_subscription_mismatch(env: Environment) -> None:
    """The stack's subscription wins over the shell's, as in Pulumi; a different one there is
    said in one line, never silently followed."""
    import os

    from infra.settings import SUBSCRIPTION_ENV_VARS
    from opsctl.cli.output import console

    stack_sub = env.settings.subscription_id
    for var in SUBSCRIPTION_ENV_VARS:
        other = os.environ.get(var)
        if stack_sub and other and other.lower() != stack_sub.lower():
            console().print(
                f"note: stack {env.stack} uses subscription {stack_sub} (ragstack:subscriptionId), "
                f"not {var}={other}; pass --subscription to override",
                highlight=False,
                markup=False,
            )
            return


def rehearse_in_sandbox(env: Environment, target: Target) -> Environment:
    """A stack of another subscription, sent to the sandbox by `--sandbox`, is rehearsed in the
    sandbox's subscription (its names unchanged) instead of failing with SubscriptionNotFound."""
    from dataclasses import replace

    from opsctl.cli.output import console

    if not target.is_sandbox or (env.subscription_id or "").lower() == target.subscription_id.lower():
        return env
    if env.subscription_id:
        console().print(
            f"note: rehearsing stack {env.stack} in the sandbox: subscription {env.subscription_id} "
            f"mapped to sandbox subscription {target.subscription_id}",
            highlight=False,
            markup=False,
        )
    return replace(env, subscription_id=target.subscription_id)


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
    if kind == "sandbox":
        # The sandbox serves its own subscription; another one is mapped (rehearse_in_sandbox).
        return resolve_target(subscription_id=None, kind=kind)
    return resolve_target(subscription_id=subscription, kind=kind)
