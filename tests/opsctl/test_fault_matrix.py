"""Every write command through every fault kind (issue 9, item 5 and its fault matrix).

For each (command, fault) the command either completes, or exits non-zero with one clean line and a
re-run completes; whenever it exits 0, the change is really there (live state and stack file).
Transient faults (429 with Retry-After, 500, 503, a dropped connection, a busy parent) must not fail
a command at all. Each case starts from one deployment of the dev stack, copied (the sandbox's state
directory) instead of deployed again, on the sandbox's simulated clock.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.search import SearchManagementClient

from infra.stackfile import StackFile
from tests.conftest import SANDBOX_TIME_SCALE
from tests.opsctl.conftest import ROOT, Live

DEVELOPER = "11111111-2222-4333-8444-555555555555"
NEW_USER = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
BUSY = "Another operation is being performed on the parent resource. Please try again later."


@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    path: str  # the write request the fault hits
    method: str
    done: Callable[[Live], bool]
    prepare: Callable[[Live], None] = lambda live: None


def _app(live: Live) -> Any:
    env = live.env()
    return live.target.client(ContainerAppsAPIClient).container_apps.get(
        env.resource_group, env.names.container_app
    )


def _settings(live: Live) -> Any:
    return live.env().settings


def _search_replicas(live: Live) -> int:
    env = live.env()
    client = live.target.client(SearchManagementClient)
    return int(client.services.get(env.resource_group, env.names.search).replica_count)


def _capacity(live: Live, name: str) -> int:
    env = live.env()
    client = live.target.client(CognitiveServicesManagementClient)
    return int(client.deployments.get(env.resource_group, env.names.openai, name).sku.capacity)


def _principals(live: Live) -> set[tuple[str, str]]:
    from opsctl.access import list_access

    return {(a.principal_id, a.role) for a in list_access(live.env(), live.target)}


def _gone(live: Live) -> bool:
    env = live.env()
    groups = live.target.client(ResourceManagementClient).resource_groups
    deleted = live.target.client(CognitiveServicesManagementClient).deleted_accounts.list()
    return not groups.check_existence(env.resource_group) and not list(deleted)


def _wider_app(live: Live) -> None:
    stack_file = StackFile.load(live.project / "Pulumi.dev.yaml")
    stack_file.set("ragstack:app", ("maxReplicas",), 5)
    stack_file.save()


def _always_on(live: Live) -> None:
    """One replica at least: at 10000x a scale-to-zero revision runs for only 30 ms (its 300 s
    cooldown), and a slow test machine would miss that window."""
    env = live.env()
    client = live.target.client(ContainerAppsAPIClient)
    patch = {"properties": {"template": {"scale": {"minReplicas": 1, "maxReplicas": 3}}}}
    client.container_apps.begin_update(env.resource_group, env.names.container_app, patch).result()


def _known_user(live: Live) -> None:
    live.sandbox.add_principal(NEW_USER, "Group")


COMMANDS: dict[str, Command] = {
    "up": Command(
        ("up", "--sandbox"),
        r"(?i)/containerApps/[^/]+$",
        "PUT",
        lambda live: _app(live).template.scale.max_replicas == 5,
        _wider_app,
    ),
    "scale-search": Command(
        ("scale", "search", "--replicas", "2"),
        r"(?i)/searchServices/[^/]+$",
        "PATCH",
        lambda live: _search_replicas(live) == 2 and _settings(live).search.replicas == 2,
    ),
    "scale-app": Command(
        ("scale", "app", "--min", "1"),
        r"(?i)/containerApps/[^/]+$",
        "PATCH",
        lambda live: _app(live).template.scale.min_replicas == 1 and _settings(live).app.min_replicas == 1,
    ),
    "scale-openai": Command(
        ("scale", "openai", "--deployment", "chat", "--capacity", "12"),
        r"(?i)/deployments/chat$",
        "PUT",
        lambda live: _capacity(live, "chat") == 12 and _settings(live).openai.deployments[0].capacity == 12,
    ),
    "set-image": Command(
        ("app", "set-image", "--image", "cr.azurecr.io/app:2", "--pin"),
        r"(?i)/containerApps/[^/]+$",
        "PATCH",
        lambda live: (
            _app(live).template.containers[0].image == "cr.azurecr.io/app:2"
            and _settings(live).app.image == "cr.azurecr.io/app:2"
        ),
        _always_on,
    ),
    "grant": Command(
        ("access", "grant", "--principal", NEW_USER, "--principal-type", "Group", "--preset", "reader"),
        r"(?i)/roleAssignments/[^/]+$",
        "PUT",
        lambda live: (
            NEW_USER in {p for p, _ in _principals(live)}
            and NEW_USER in {g.principal_id for g in _settings(live).access}
        ),
        _known_user,
    ),
    "revoke": Command(
        ("access", "revoke", "--principal", DEVELOPER, "--principal-type", "User", "--preset", "developer"),
        r"(?i)/roleAssignments/[^/]+$",
        "DELETE",
        lambda live: (
            DEVELOPER not in {p for p, _ in _principals(live)}
            and DEVELOPER not in {g.principal_id for g in _settings(live).access}
        ),
    ),
    "teardown": Command(("teardown", "--yes", "--purge"), r"(?i)/resourceGroups/[^/]+$", "DELETE", _gone),
    "down": Command(("down", "--sandbox"), r"(?i)/resourceGroups/[^/]+$", "DELETE", _gone),
}

TRANSIENT: dict[str, Callable[[Any, Command], Any]] = {
    "429": lambda f, c: f.throttle(c.path, c.method, retry_after=3, times=1),
    "500": lambda f, c: f.error(500, "InternalServerError", "boom", c.path, c.method, times=1),
    "503": lambda f, c: f.error(503, "ServiceUnavailable", "busy", c.path, c.method, times=1),
    "drop": lambda f, c: f.drop(c.path, c.method, times=1),
    "busy-parent": lambda f, c: f.error(409, "RequestConflict", BUSY, c.path, c.method, times=1),
}


# -- a deployed dev stack (`deployed_dev`, once per worker), copied per case ------------------------
class Restartable:
    """An in-process sandbox on a copy of `deployed_dev` that a case can kill and start again."""

    def __init__(self, state_dir: Path, project: Path) -> None:
        self.state_dir, self.project = state_dir, project
        self.sandbox: Any = None
        self.live: Live | None = None

    def start(self) -> Live:
        from opsctl.target import connection_target
        from sandbox import Sandbox

        self.sandbox = Sandbox(self.state_dir, time_scale=SANDBOX_TIME_SCALE, virtual_clock=True)
        self.sandbox.start()  # resumes the simulated time where the copied (or killed) one stopped
        connection = self.sandbox.connection
        connection.save(
            self.state_dir / "sandbox.json",
            pid=os.getpid(),
            time_scale=SANDBOX_TIME_SCALE,
            virtual_clock=True,
        )
        target = connection_target(connection, clock=self.sandbox.state.clock)
        self.live = Live(self.sandbox, self.project, target)
        return self.live

    def kill(self) -> None:
        if self.sandbox.state is None:
            return
        self.sandbox.stop()

    def sleep(self, seconds: float) -> None:
        """The SDK's waits advance whichever sandbox runs now (none while it is down)."""
        sandbox = self.sandbox
        if sandbox is not None and sandbox.state is not None:
            sandbox.sleep(seconds)


@pytest.fixture
def env(deployed_dev: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Restartable]:
    from sandbox import Sandbox
    from sandbox.testing import sdk_sleeps_follow

    state = Sandbox.clone_state(deployed_dev, tmp_path / "sandbox")
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Pulumi.dev.yaml", project)
    monkeypatch.setenv("RAGSTACK_SANDBOX_HOME", str(state))
    restartable = Restartable(state, project)
    with sdk_sleeps_follow(restartable.sleep):
        restartable.start()
        yield restartable
        restartable.kill()


def run(opsctl: Callable[..., Any], live: Live, command: Command) -> Any:
    return opsctl(*command.args, "--stack", "dev", "--project-dir", str(live.project))


def assert_one_clean_line(result: Any) -> None:
    """Exit non-zero with one error line (after retry notes and what was done) and no traceback."""
    errors = [line for line in result.err.splitlines() if "error: " in line]
    assert result.code != 0 and "Traceback" not in result.err
    assert len(errors) == 1 and errors[0] == result.err.strip().splitlines()[-1], result.err


# -- the matrix ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", sorted(TRANSIENT))
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_transient_faults_are_retried_to_completion(env, opsctl, name: str, fault: str) -> None:
    live, command = env.live, COMMANDS[name]
    command.prepare(live)
    TRANSIENT[fault](live.sandbox.faults, command)
    result = run(opsctl, live, command)
    assert result.code == 0, result.err
    hit = [
        r for r in live.sandbox.requests.list(method=command.method) if r["status"] in (0, 409, 429, 500, 503)
    ]
    assert hit, "the fault was injected into the command's write"
    assert "retrying " in result.err  # one progress line per retry
    assert command.done(live)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_failed_operation_is_not_reported_done_and_a_rerun_completes(env, opsctl, name: str) -> None:
    live, command = env.live, COMMANDS[name]
    command.prepare(live)
    fault = live.sandbox.faults.fail_lro(
        "InternalError", "the operation failed", command.path, command.method, times=1
    )
    first = run(opsctl, live, command)
    if any(f.id == fault.id for f in live.sandbox.faults.list()):  # no long-running operation to fail
        assert first.code == 0, first.err
    else:
        assert first.code != 0 and "Traceback" not in first.err, first.err
    live.sandbox.faults.clear()
    again = run(opsctl, live, command)
    assert again.code == 0, again.err
    assert command.done(live)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_sandbox_killed_mid_command_fails_cleanly_and_a_rerun_completes(
    env, opsctl, capsys, name: str
) -> None:
    live, command = env.live, COMMANDS[name]
    command.prepare(live)
    # The write is held for 0.3 s (wall); the sandbox dies while the command waits for it.
    held = live.sandbox.faults.delay(3000, command.path, command.method, times=1)
    outcome: dict[str, Any] = {}

    def work() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())  # Pulumi's mock runtime (up) needs one
        outcome["result"] = run(opsctl, live, command)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    deadline = time.monotonic() + 30
    while any(f.id == held.id and f.hits == 0 for f in live.sandbox.faults.list()):
        assert time.monotonic() < deadline and worker.is_alive(), "the command never reached its write"
        time.sleep(0.01)
    env.kill()
    worker.join(60)
    assert not worker.is_alive(), "the command hung on a dead sandbox"
    first = outcome["result"]
    if first.code != 0:
        assert_one_clean_line(first)
    live = env.start()
    if first.code == 0:
        assert command.done(live)
    again = run(opsctl, live, command)
    assert again.code == 0, again.err
    assert command.done(live)
