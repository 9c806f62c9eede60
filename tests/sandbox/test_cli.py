"""`opsctl sandbox` commands, and that `opsctl --help` stays light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.control import read_info

ROOT = Path(__file__).resolve().parents[2]


def _opsctl(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAGSTACK_SANDBOX_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "opsctl", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_help_imports_neither_the_server_nor_the_sdk():
    code = (
        "import sys, opsctl.cli\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('azure', 'uvicorn', 'starlette')]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_start_status_reset_stop(tmp_path):
    home = tmp_path / "home"
    started = _opsctl("sandbox", "start", "--time-scale", "1000", home=home)
    assert started.returncode == 0, started.stderr
    info = read_info(home)
    assert info is not None and info["endpoint"] in started.stdout
    assert f"export REQUESTS_CA_BUNDLE={home / 'ca.pem'}" in started.stdout
    try:
        again = _opsctl("sandbox", "start", home=home)
        assert again.returncode == 0, "start is idempotent: the Quickstart may run it twice"
        assert again.stdout.startswith(f"sandbox already running at {info['endpoint']} (pid {info['pid']})")
        assert (read_info(home) or {}).get("pid") == info["pid"]
        status = _opsctl("sandbox", "status", home=home)
        assert status.returncode == 0 and info["endpoint"] in status.stdout
        assert str(info["pid"]) in status.stdout
        assert _opsctl("sandbox", "reset", home=home).returncode == 0
    finally:
        stopped = _opsctl("sandbox", "stop", home=home)
    assert stopped.returncode == 0 and f"pid {info['pid']}" in stopped.stdout
    assert read_info(home) is None
    gone = _opsctl("sandbox", "status", home=home)
    assert gone.returncode == 1 and gone.stderr.strip() == (
        "error: no sandbox is running (hint: opsctl sandbox start)"
    )


@pytest.mark.parametrize("cmd", ["stop", "reset"])
def test_stop_and_reset_without_a_server(tmp_path, cmd):
    out = _opsctl("sandbox", cmd, home=tmp_path)
    assert out.returncode == (1 if cmd == "stop" else 0)
