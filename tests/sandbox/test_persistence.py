"""State survives a clean restart, a half-done LRO survives a restart, and a SIGKILLed server
loses nothing it acknowledged."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from pathlib import Path

from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import SANDBOX_SUBSCRIPTION_ID, Sandbox, SandboxConnection
from sandbox.control import read_info, start_background
from sandbox.testing import sdk_sleeps_follow

READER = (
    f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/"
    "roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
)


def _populate(conn: SandboxConnection) -> tuple[str, str]:
    rm = conn.client(ResourceManagementClient)
    rm.resource_groups.create_or_update("rg", {"location": "eastus", "tags": {"keep": "me"}})
    ident = conn.client(ManagedServiceIdentityClient).user_assigned_identities.create_or_update(
        "rg", "app", {"location": "eastus"}
    )
    name = str(uuid.uuid4())
    conn.client(AuthorizationManagementClient).role_assignments.create(
        ident.id,
        name,
        {"properties": {"roleDefinitionId": READER, "principalId": ident.principal_id}},
    )
    return ident.principal_id, name


def _check(conn: SandboxConnection, principal_id: str, assignment: str) -> None:
    rm = conn.client(ResourceManagementClient)
    assert rm.resource_groups.get("rg").tags == {"keep": "me"}
    msi = conn.client(ManagedServiceIdentityClient)
    ident = msi.user_assigned_identities.get("rg", "app")
    assert ident.principal_id == principal_id
    got = conn.client(AuthorizationManagementClient).role_assignments.get(ident.id, assignment)
    assert got.principal_id == principal_id


def test_clean_restart_keeps_state_and_ca(tmp_path, sdk_sleeps_follow_sandbox):
    with Sandbox(tmp_path / "s", time_scale=sdk_sleeps_follow_sandbox) as sb:
        principal, name = _populate(sb.connection)
        ca = Path(sb.connection.ca_path).read_text()
    with Sandbox(tmp_path / "s", time_scale=sdk_sleeps_follow_sandbox) as sb:
        _check(sb.connection, principal, name)
        assert Path(sb.connection.ca_path).read_text() == ca
        assert sb.state.directory.get(principal) is not None


def test_half_done_lro_resumes_after_restart(tmp_path):
    """Virtual clock: nothing elapses unless advanced, so "half done" is exact however slow the
    machine, and the simulated time reached survives each restart."""
    with Sandbox(tmp_path / "s", virtual_clock=True) as sb:
        rm = sb.connection.client(ResourceManagementClient)
        rm.resource_groups.create_or_update("rg", {"location": "eastus"})
        rm.resource_groups.begin_delete("rg", polling=False)
        sb.advance(30)  # half of the 60 simulated seconds
        first_monitor = sb.state.lro.running_for(rm.resource_groups.get("rg").id)[0].monitor
        stopped_at = sb.state.clock.now()
    with Sandbox(tmp_path / "s", virtual_clock=True) as sb:
        assert sb.state.clock.now() == stopped_at
        rm = sb.connection.client(ResourceManagementClient)
        assert rm.resource_groups.get("rg").properties.provisioning_state == "Deleting"
        sb.advance(25)
        assert rm.resource_groups.check_existence("rg") is True  # 55 of 60 s: still running
    with Sandbox(tmp_path / "s", virtual_clock=True) as sb, sdk_sleeps_follow(sb.sleep):
        rm = sb.connection.client(ResourceManagementClient)
        seen = []
        hook = lambda r: seen.append(r.http_response.headers.get("Location"))  # noqa: E731
        rm.resource_groups.begin_delete("rg", raw_response_hook=hook).result()
        assert first_monitor in seen[0]  # the second DELETE joined the persisted operation
        assert rm.resource_groups.check_existence("rg") is False


def test_sigkill_loses_nothing_acknowledged(tmp_path, sdk_sleeps_follow_sandbox):
    state = tmp_path / "killed"
    info = start_background(state, time_scale=sdk_sleeps_follow_sandbox)
    try:
        conn = SandboxConnection.load_dict(info)
        principal, name = _populate(conn)
        rm = conn.client(ResourceManagementClient)
        rm.resource_groups.update("rg", {"tags": {"keep": "me"}})  # the last acknowledged write
    finally:
        os.kill(info["pid"], signal.SIGKILL)
        _reap(info["pid"])
    assert read_info(state) is None  # the dead server's sandbox.json is recognised as stale
    with Sandbox(state, time_scale=sdk_sleeps_follow_sandbox) as sb:
        _check(sb.connection, principal, name)
        assert sb.requests.count(method="PATCH", status=200) == 1


def _reap(pid: int) -> None:
    """The server was spawned by this process: collect its exit so it is not a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
