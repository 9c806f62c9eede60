"""Running the real `opsctl` entry point in-process, as an operator would from a shell."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AZURE_ENV, SANDBOX_TIME_SCALE, opsctl_exit_code

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def invoke(*args: str) -> CliResult:
    """`opsctl ARGS...` with its own capture, for session fixtures (no `capsys` there)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = opsctl_exit_code(args)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def opsctl(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Call `opsctl ARGS...`; returns exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = opsctl_exit_code(args)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def copy_stack_files(into: Path) -> Path:
    """The repo's stack files and index definitions, as an operator's checkout holds them."""
    into.mkdir(parents=True, exist_ok=True)
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, into / path.name)
    shutil.copytree(ROOT / "indexes", into / "indexes")
    return into


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repo's stack files that tests may rewrite."""
    return copy_stack_files(tmp_path)


@dataclass
class Live:
    """A sandbox holding the dev stack, deployed from `project` by `opsctl up --sandbox`."""

    sandbox: Any
    project: Path
    target: Any

    def env(self, stack: str = "dev") -> Any:
        from opsctl.environment import load_environment

        return load_environment(stack, project_dir=self.project)

    def stack_text(self, stack: str = "dev") -> str:
        return (self.project / f"Pulumi.{stack}.yaml").read_text()

    def apply_indexes(self, stack: str = "dev") -> None:
        """What `opsctl index apply` does after `up` (the README's flow): the declared indexes exist,
        so drift compares resources and schemas alike."""
        from opsctl.dataplane import open_data_plane
        from opsctl.index_apply import apply_plans, plan_indexes
        from opsctl.indexes import load_index_definitions

        env = self.env(stack)
        plane = open_data_plane(env, self.target)
        definitions = load_index_definitions(env)
        apply_plans(plane, definitions, plan_indexes(plane, definitions))


def _attach(sandbox: Any, project: Path, monkeypatch: pytest.MonkeyPatch) -> Live:
    """Point the CLI at `sandbox` as at one started by `opsctl sandbox start`."""
    from opsctl.target import connection_target

    home = Path(sandbox.state_dir)
    sandbox.connection.save(
        home / "sandbox.json",
        pid=os.getpid(),
        time_scale=sandbox.time_scale,
        virtual_clock=sandbox.virtual_clock,
    )
    monkeypatch.setenv("RAGSTACK_SANDBOX_HOME", str(home))
    return Live(sandbox, project, connection_target(sandbox.connection, clock=sandbox.state.clock))


SETTLE_SECONDS = 900  # beyond the sandbox's role-assignment propagation delay


@pytest.fixture(scope="session")
def deployed_dev(tmp_path_factory: pytest.TempPathFactory, sandbox_keys: Path) -> Path:
    """A sandbox state dir holding the dev stack right after `up` (every operation finished and
    every role assignment propagated as `up` waits for them), deployed once per worker: each
    `live` test opens its own sandbox on a copy (`Sandbox.clone_state`), so it may change
    anything. The deploy runs as `live` ran it: same stack files, clock, scale and environment."""
    from opsctl.deploy import deploy

    root = tmp_path_factory.mktemp("deployed-dev")
    with _building(root, sandbox_keys) as live:
        deploy(live.env(), live.target)
        # An environment at rest, as an operator meets it minutes after `up`: every role assignment
        # propagated whatever simulated time the deploy's own waits happened to take (AcrPull is not
        # waited for by `up` while the app runs the bootstrap image). Tests that need a fresh,
        # unpropagated assignment make one.
        live.sandbox.advance(SETTLE_SECONDS)
    return root / "sandbox"


@contextlib.contextmanager
def _building(root: Path, source: Path) -> Iterator[Live]:
    """A template being built: a sandbox on a copy of `source` in `root/sandbox`, the stack files in
    `root/project`, attached as `live` attaches (same clock, scale and environment)."""
    from sandbox import Sandbox
    from sandbox.testing import sdk_sleeps_follow

    Sandbox.clone_state(source, root / "sandbox")
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        Sandbox(root / "sandbox", time_scale=SANDBOX_TIME_SCALE, virtual_clock=True) as sb,
        sdk_sleeps_follow(sb.sleep),
    ):
        for name in AZURE_ENV:
            monkeypatch.delenv(name, raising=False)
        yield _attach(sb, copy_stack_files(root / "project"), monkeypatch)


SANDBOX_SUBSCRIPTION = "00000000-0000-4000-a000-000000000001"
PROD_SUBSCRIPTION = "6e1c2f0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
PROD_NETWORK_ON = "  ragstack:network:\n    enabled: true\n"


def prod_in_sandbox(live: Live) -> str:
    """prod as its file says (private networking on), pointed at the sandbox's subscription (its
    file names a real-looking one)."""
    path = live.project / "Pulumi.prod.yaml"
    text = path.read_text().replace(PROD_SUBSCRIPTION, SANDBOX_SUBSCRIPTION)
    assert PROD_NETWORK_ON in text
    path.write_text(text)
    return "prod"


def ml_stack(live: Live, stack: str = "mldev") -> str:
    """A copy of dev with `ragstack:ml.enabled: true` (the dev profile has it off)."""
    text = live.stack_text("dev") + "  ragstack:ml:\n    enabled: true\n"
    (live.project / f"Pulumi.{stack}.yaml").write_text(text)
    return stack


@dataclass(frozen=True)
class Deployed:
    """A sandbox state dir holding the dev stack plus one more stack, and what the `up` that
    deployed that stack printed (`-o json`): tests whose subject is that first deploy read it."""

    state: Path
    first_up: dict[str, Any]


def _deploy_on_dev(root: Path, dev: Path, prepare: Callable[[Live], str]) -> Deployed:
    """On a copy of `dev`: write the stack file `prepare` makes, `opsctl up` it and apply its
    indexes, as a test did with `up` on `live` before its own steps. The clock is left where `up`
    left it (no settling): those tests met the stack right after `up`, and still do."""
    with _building(root, dev) as live:
        stack = prepare(live)
        result = invoke("up", "--stack", stack, "--sandbox", "--project-dir", str(live.project), "-o", "json")
        assert result.code == 0, result.out + result.err
        live.apply_indexes(stack)
    return Deployed(root / "sandbox", json.loads(result.out))


@pytest.fixture(scope="session")
def deployed_prod(tmp_path_factory: pytest.TempPathFactory, deployed_dev: Path) -> Deployed:
    """`deployed_dev` plus prod as `prod_in_sandbox` prepares it (97 resources, private
    networking), deployed once per worker that runs a `live_prod` test."""
    return _deploy_on_dev(tmp_path_factory.mktemp("deployed-prod"), deployed_dev, prod_in_sandbox)


@pytest.fixture(scope="session")
def deployed_mldev(tmp_path_factory: pytest.TempPathFactory, deployed_dev: Path) -> Deployed:
    """`deployed_dev` plus `ml_stack`'s mldev (dev with the ML workspace), deployed once per
    worker that runs a `live_mldev` test."""
    return _deploy_on_dev(tmp_path_factory.mktemp("deployed-mldev"), deployed_dev, ml_stack)


# The fixture a test asks for -> the per-worker template its sandbox opens a copy of; first match
# wins (every one of them uses `live`).
TEMPLATES = (("live_prod", "deployed_prod"), ("live_mldev", "deployed_mldev"), ("live", "deployed_dev"))


@pytest.fixture
def sandbox_dir(tmp_path: Path, sandbox_keys: Path, request: pytest.FixtureRequest) -> Path:
    """The `sandbox` of a test that uses `live` (or `live_prod`, `live_mldev`) opens on a fresh copy
    of its deployed template (one sandbox per test: `sandbox`, `arm` and `live` are the same
    cloud); any other test's on a fresh state dir with this worker's keys. Templates are built
    lazily: a worker deploys prod or mldev only when it runs a test that asks for it."""
    from sandbox import Sandbox

    source = sandbox_keys
    for fixture, template in TEMPLATES:
        if fixture in request.fixturenames:
            deployed = request.getfixturevalue(template)
            source = deployed.state if isinstance(deployed, Deployed) else deployed
            break
    return Sandbox.clone_state(source, tmp_path / "sandbox")


@pytest.fixture
def live(sandbox: Any, project: Path, monkeypatch: pytest.MonkeyPatch) -> Live:
    """The dev stack deployed by `up` from `project` into this test's own in-process sandbox
    (a copy of `deployed_dev`, or of the template `live_prod`/`live_mldev` asks for); the CLI
    finds the sandbox like one from `opsctl sandbox start`."""
    return _attach(sandbox, project, monkeypatch)


@pytest.fixture
def live_prod(live: Live) -> Live:
    """`live` whose sandbox (a copy of `deployed_prod`) also holds prod, deployed by `up` with its
    indexes applied; `project`'s prod file says what `prod_in_sandbox` makes it say."""
    prod_in_sandbox(live)
    return live


@pytest.fixture
def live_mldev(live: Live) -> Live:
    """`live` whose sandbox (a copy of `deployed_mldev`) also holds `ml_stack`'s mldev, deployed by
    `up` with its indexes applied; `project` has its stack file."""
    ml_stack(live)
    return live
