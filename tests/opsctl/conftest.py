"""Running the real `opsctl` entry point in-process, as an operator would from a shell."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from opsctl.cli import main

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def opsctl(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Call `opsctl ARGS...`; returns exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        else:
            code = 0
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repo's stack files that tests may rewrite."""
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(ROOT / "indexes", tmp_path / "indexes")
    return tmp_path


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


@pytest.fixture
def live(sandbox: Any, project: Path, monkeypatch: pytest.MonkeyPatch) -> Live:
    """The CLI finds this in-process sandbox like one started by `opsctl sandbox start`."""
    from opsctl.deploy import deploy
    from opsctl.target import connection_target

    home = Path(sandbox.state_dir)
    sandbox.connection.save(
        home / "sandbox.json",
        pid=os.getpid(),
        time_scale=sandbox.time_scale,
        virtual_clock=sandbox.virtual_clock,
    )
    monkeypatch.setenv("RAGSTACK_SANDBOX_HOME", str(home))
    target = connection_target(sandbox.connection, clock=sandbox.state.clock)
    state = Live(sandbox, project, target)
    deploy(state.env(), target)
    return state
