"""`opsctl sandbox` commands, and that `opsctl --help` stays light.

A sandbox is started as from a shell (`python -m opsctl sandbox start` in a process of its own, so
the detached server outlives it); the other commands run the same entry point in this process
(`opsctl`), which spares an interpreter start and the CLI's imports per command.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sandbox import Sandbox
from sandbox.control import read_info
from tests.conftest import opsctl_exit_code

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _shell(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`opsctl ARGS` as a shell runs it, in a process of its own."""
    env = {**os.environ, "RAGSTACK_SANDBOX_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "opsctl", *args], capture_output=True, text=True, env=env, timeout=60
    )


Opsctl = Callable[..., Ran]


@pytest.fixture
def opsctl(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Opsctl:
    """`opsctl ARGS` through the console entry point in this process, with `home` as the
    sandbox home: exit code, stdout and stderr as from a shell."""

    def run(*args: str, home: Path) -> Ran:
        monkeypatch.setenv("RAGSTACK_SANDBOX_HOME", str(home))
        capsys.readouterr()
        code = opsctl_exit_code(args)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def _home_with_keys(tmp_path: Path, sandbox_keys: Path) -> Path:
    """A sandbox home holding only this worker's keys (as after a first start): generating them
    is a fresh home's main start-up cost, which `test_start_status_reset_stop` still pays."""
    return Sandbox.clone_state(sandbox_keys, tmp_path / "home")


def test_help_imports_neither_the_server_nor_the_sdk():
    code = (
        "import sys, opsctl.cli\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('azure', 'uvicorn', 'starlette')]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_start_status_reset_stop(tmp_path, opsctl):
    home = tmp_path / "home"
    started = _shell("sandbox", "start", "--time-scale", "1000", home=home)
    assert started.returncode == 0, started.stderr
    info = read_info(home)
    assert info is not None and info["endpoint"] in started.stdout
    assert f"export REQUESTS_CA_BUNDLE={home / 'ca.pem'}" in started.stdout
    try:
        again = opsctl("sandbox", "start", home=home)
        assert again.returncode == 0, "start is idempotent: the Quickstart may run it twice"
        assert again.stdout.startswith(f"sandbox already running at {info['endpoint']} (pid {info['pid']})")
        assert (read_info(home) or {}).get("pid") == info["pid"]
        status = opsctl("sandbox", "status", home=home)
        assert status.returncode == 0 and info["endpoint"] in status.stdout
        assert str(info["pid"]) in status.stdout
        assert opsctl("sandbox", "reset", home=home).returncode == 0
    finally:
        stopped = opsctl("sandbox", "stop", home=home)
    assert stopped.returncode == 0 and f"pid {info['pid']}" in stopped.stdout
    assert read_info(home) is None
    gone = opsctl("sandbox", "status", home=home)
    assert gone.returncode == 1 and gone.stderr.strip() == (
        "error: no sandbox is running (hint: opsctl sandbox start)"
    )


@pytest.mark.parametrize("cmd", ["stop", "reset"])
def test_stop_and_reset_without_a_server(tmp_path, cmd, opsctl):
    out = opsctl("sandbox", cmd, home=tmp_path)
    assert out.returncode == 0, "stopping a stopped sandbox is done, as `docker stop` of a stopped one"


# The printed recipe works as printed (issue 11.1): DefaultAzureCredential, ClientSecretCredential
# and the mgmt clients in a process whose environment holds ONLY what `sandbox env` prints.
RECIPE = """
import os
from azure.identity import ClientSecretCredential, DefaultAzureCredential
from azure.mgmt.resource.resources import ResourceManagementClient

endpoint, sub = os.environ["RAGSTACK_SANDBOX_ENDPOINT"], os.environ["AZURE_SUBSCRIPTION_ID"]
secret = ClientSecretCredential(
    os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"], os.environ["AZURE_CLIENT_SECRET"],
    authority=os.environ["AZURE_AUTHORITY_HOST"], disable_instance_discovery=True,
)
for credential in (DefaultAzureCredential(), secret):
    client = ResourceManagementClient(credential, sub, base_url=endpoint)
    print(sorted(g.name for g in client.resource_groups.list()))
"""


def test_the_printed_environment_is_all_default_azure_credential_needs(tmp_path, sandbox_keys, opsctl):
    home = _home_with_keys(tmp_path, sandbox_keys)
    assert _shell("sandbox", "start", "--time-scale", "1000", home=home).returncode == 0
    try:
        printed = opsctl("sandbox", "env", "--format", "json", home=home)
        assert printed.returncode == 0, printed.stderr
        env = json.loads(printed.stdout)
        assert env["AZURE_TOKEN_CREDENTIALS"] == "ManagedIdentityCredential"
        shell = opsctl("sandbox", "env", home=home).stdout
        evaluated = subprocess.run(
            ["bash", "-c", 'eval "$1"; echo "$IDENTITY_ENDPOINT"', "_", shell],
            capture_output=True,
            text=True,
            env={},
            check=True,
        )
        assert evaluated.stdout.strip() == env["IDENTITY_ENDPOINT"]
        dotenv = opsctl("sandbox", "env", "--format", "dotenv", home=home).stdout.splitlines()
        assert f"AZURE_TENANT_ID={env['AZURE_TENANT_ID']}" in dotenv
        recipe = subprocess.run(
            [sys.executable, "-c", RECIPE], capture_output=True, text=True, env=env, timeout=120
        )
        assert recipe.returncode == 0, recipe.stderr
        assert recipe.stdout.splitlines() == ["[]", "[]"]
        token = opsctl("sandbox", "token", home=home).stdout.strip()
        verify = ssl.create_default_context(cafile=env["REQUESTS_CA_BUNDLE"])
        url = f"{env['RAGSTACK_SANDBOX_ENDPOINT']}/subscriptions?api-version=2022-12-01"
        resp = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=verify)
        assert (
            resp.status_code == 200
            and resp.json()["value"][0]["subscriptionId"] == env["AZURE_SUBSCRIPTION_ID"]
        )
        bad = opsctl("sandbox", "env", "--format", "yaml", home=home)
        assert bad.returncode == 2 and "yaml" in bad.stderr
    finally:
        opsctl("sandbox", "stop", home=home)


def test_port_is_stable_across_restarts_and_options_to_a_running_sandbox_warn(tmp_path, sandbox_keys, opsctl):
    home = _home_with_keys(tmp_path, sandbox_keys)
    assert _shell("sandbox", "start", "--time-scale", "1000", home=home).returncode == 0
    first = (read_info(home) or {})["endpoint"]
    try:
        again = opsctl("sandbox", "start", "--port", "1", "--time-scale", "5", home=home)
        assert again.returncode == 0
        assert again.stderr.strip().startswith("warning: the sandbox is already running")
        assert "--port" in again.stderr and "--time-scale" in again.stderr
        assert "opsctl sandbox stop" in again.stderr
        assert opsctl("sandbox", "stop", home=home).returncode == 0
        assert opsctl("sandbox", "start", "--time-scale", "1000", home=home).returncode == 0
        assert (read_info(home) or {})["endpoint"] == first
    finally:
        opsctl("sandbox", "stop", home=home)
    stopped = opsctl("sandbox", "stop", home=home)
    assert stopped.returncode == 0 and stopped.stdout.strip() == "no sandbox is running (nothing to stop)"


def test_an_exited_sandbox_its_parent_has_not_reaped_is_not_running(tmp_path):
    """A detached sandbox's parent is init, which reaps an exited server when it gets to it (here,
    a microVM's init: ~1.5 s later). Until then kill(pid, 0) still finds the zombie, so `stop`
    waited that long after every exit and `start` refused over a dead server."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, left unreaped
        home = tmp_path / "home"
        home.mkdir()
        info = {"endpoint": "https://127.0.0.1:1", "ca_path": str(home / "ca.pem"), "pid": proc.pid}
        (home / "sandbox.json").write_text(json.dumps(info))
        assert read_info(home) is None
        assert not (home / "sandbox.json").exists()
    finally:
        proc.wait()


@pytest.mark.parametrize("content", ["{not json", "[]", '{"pid": "x"}', "\udcff"], ids=str)
@pytest.mark.parametrize("cmd", ["start", "stop", "status"])
def test_a_corrupt_connection_file_is_one_line_not_a_traceback(tmp_path, cmd, content, opsctl):
    """Issue 9.6: a corrupt sandbox.json made `sandbox start|stop|status` print tracebacks."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "sandbox.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    out = opsctl("sandbox", cmd, home=home)
    assert out.returncode == 1, out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {home / 'sandbox.json'} is unreadable")
    assert "Traceback" not in out.stderr
