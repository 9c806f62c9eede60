"""Shared fixtures: an in-process sandbox ARM and SDK sleeps that follow its clock.

    def test_something(sandbox, arm):
        rg = arm(ResourceManagementClient).resource_groups.create_or_update(...)

`sandbox` is a fresh `Sandbox` per test (tmp state dir) on a virtual clock: simulated time
advances only when a client waits, and every azure-core pipeline sleep (Retry-After, LRO poll
interval, retry backoff) advances it instead of sleeping, so a slow (loaded) machine cannot let an
operation finish before the client looks. `arm(ClientClass, **kw)` builds an official client
against it. `sdk_sleeps_follow_sandbox` is for tests that start their own wall-driven sandbox at
SANDBOX_TIME_SCALE: it divides the SDK's sleeps by that scale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

SANDBOX_TIME_SCALE = 10_000.0


@pytest.fixture
def sdk_sleeps_follow_sandbox() -> Iterator[float]:
    from sandbox.testing import scaled_sdk_sleeps

    with scaled_sdk_sleeps(SANDBOX_TIME_SCALE):
        yield SANDBOX_TIME_SCALE


def opsctl_exit_code(args: tuple[str, ...]) -> int:
    """Run `opsctl ARGS` through the console entry point in this process; its exit code as a shell
    would see it (output is the caller's to capture)."""
    from opsctl.cli import main

    try:
        main(list(args))
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


@pytest.fixture(scope="session")
def sandbox_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state dir holding only the keys a first start makes (RSA signing key, TLS CA, admin key),
    made once per worker: generating them is most of a fresh sandbox's start."""
    from sandbox import Sandbox

    return Sandbox.make_keys(tmp_path_factory.mktemp("sandbox-keys") / "sandbox")


@pytest.fixture
def sandbox_dir(tmp_path: Path, sandbox_keys: Path) -> Path:
    """A fresh state dir (no resources, clock from now) with this worker's keys."""
    from sandbox import Sandbox

    return Sandbox.clone_state(sandbox_keys, tmp_path / "sandbox")


def built_state(root: Path, source: Path, build: Callable[[Any], object]) -> Path:
    """The state dir `root`: a copy of `source` after `build(sandbox)` ran in a sandbox opened on
    it as `sandbox` opens one (virtual clock, SDK sleeps following it). A costly setup shared by
    many tests (an environment, a provisioned account) is built once per worker this way, and
    each test opens its own sandbox on a copy (`clone_for`): same resources, request log and
    simulated time as running the setup in the test would leave, nothing shared between tests."""
    from sandbox import Sandbox
    from sandbox.testing import sdk_sleeps_follow

    Sandbox.clone_state(source, root)
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        Sandbox(root, time_scale=SANDBOX_TIME_SCALE, virtual_clock=True) as sb,
        sdk_sleeps_follow(sb.sleep),
    ):
        for name in AZURE_ENV:
            monkeypatch.delenv(name, raising=False)
        build(sb)
    return root


def clone_for(
    request: pytest.FixtureRequest, tmp_path: Path, source: Path, templates: dict[str, str]
) -> Path:
    """This test's state dir (a `sandbox_dir` override): a copy of the template that the first
    of `templates` (fixture the test uses -> fixture giving a `built_state`) names, else of
    `source`."""
    from sandbox import Sandbox

    chosen = next((t for used, t in templates.items() if used in request.fixturenames), None)
    return Sandbox.clone_state(request.getfixturevalue(chosen) if chosen else source, tmp_path / "sandbox")


@pytest.fixture
def sandbox(sandbox_dir: Path) -> Iterator[Any]:
    from sandbox import Sandbox
    from sandbox.testing import sdk_sleeps_follow

    # time_scale only paces `delay` faults (wall seconds a response is held) on a virtual clock
    with (
        Sandbox(sandbox_dir, time_scale=SANDBOX_TIME_SCALE, virtual_clock=True) as sb,
        sdk_sleeps_follow(sb.sleep),
    ):
        yield sb


@pytest.fixture
def arm(sandbox: Any) -> Callable[..., Any]:
    """`arm(ClientClass, **kwargs)`: an official mgmt client bound to the sandbox."""

    def make(client_class: type, **kwargs: Any) -> Any:
        return sandbox.connection.client(client_class, **kwargs)

    return make


AZURE_ENV = (
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
    "ARM_SUBSCRIPTION_ID",
    "ARM_CLIENT_ID",
    "ARM_TENANT_ID",
    "ARM_USE_OIDC",
    "RAGSTACK_SANDBOX_HOME",
    "OPSCTL_DEBUG",
)


@pytest.fixture(autouse=True)
def no_ambient_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator's shell (az login, CI variables) must never steer a test at real Azure."""
    for name in AZURE_ENV:
        monkeypatch.delenv(name, raising=False)
