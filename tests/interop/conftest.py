"""The real Azure CLI against the sandbox: installed once per machine into a cached venv outside
the repo (`~/.cache/ragstack/azure-cli-<version>`, or `$RAGSTACK_INTEROP_CACHE`), installed there
by the first run that finds it missing (a clean CI clone on a fresh machine does), from PyPI.

Run with `make interop` (after `make test` in `.ci/run`): the first install takes minutes,
which `make test`'s budget does not carry; the suite itself takes about a minute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

AZURE_CLI_VERSION = "2.91.0"  # issue 10.7: the az release the interop suite pins
COMPLETE_MARKER = ".complete"


def az_venv() -> Path:
    root = Path(os.environ.get("RAGSTACK_INTEROP_CACHE") or Path.home() / ".cache" / "ragstack")
    return root / f"azure-cli-{AZURE_CLI_VERSION}"


def ensure_az() -> Path:
    """The `az` executable of the cached venv, installing it when missing or half-installed."""
    venv = az_venv()
    if not (venv / COMPLETE_MARKER).exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, f"azure-cli=={AZURE_CLI_VERSION}"], check=True)
        (venv / COMPLETE_MARKER).write_text(AZURE_CLI_VERSION + "\n")
    return venv / "bin" / "az"


@dataclass
class Az:
    """Runs az with only the variables `opsctl sandbox env` prints, in its own config dir."""

    exe: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [str(self.exe), *args], capture_output=True, text=True, env=self.env, timeout=180
        )
        if check and out.returncode != 0:
            raise AssertionError(f"az {' '.join(args)} exited {out.returncode}: {out.stderr[-2000:]}")
        return out

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout or "null")


@pytest.fixture(scope="session")
def az_exe() -> Path:
    return ensure_az()


@pytest.fixture(scope="module")
def az_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox import Sandbox

    # az's LRO polls sleep for the sandbox's Retry-After in wall seconds: a fast clock ends
    # every operation by the first poll.
    with Sandbox(tmp_path_factory.mktemp("az-sandbox"), time_scale=10_000) as sb:
        yield sb


@pytest.fixture(scope="module")
def az(az_exe: Path, az_sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Az:
    env = {
        **az_sandbox.connection.env(),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path_factory.mktemp("az-home")),
        "AZURE_CONFIG_DIR": str(tmp_path_factory.mktemp("az-config")),
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_ONLY_SHOW_ERRORS": "true",
        "AZURE_CORE_NO_COLOR": "true",
    }
    return Az(az_exe, env)
