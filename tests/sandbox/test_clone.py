"""`Sandbox.clone_state`: a copy of a state dir opens as the same cloud, on its own server, and the
two never see each other's later writes (tests deploy a stack once and clone it per test)."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path

import pytest
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import Sandbox
from sandbox.constants import ADMIN_KEY_FILE, CONNECTION_FILE


def test_a_clone_of_an_open_sandbox_resumes_its_resources_operations_and_clock(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "src", virtual_clock=True) as src:
        src.connection.save(tmp_path / "src" / CONNECTION_FILE, pid=1)
        rm = src.connection.client(ResourceManagementClient)
        rm.resource_groups.create_or_update("kept", {"location": "eastus", "tags": {"a": "1"}})
        rm.resource_groups.create_or_update("going", {"location": "eastus"})
        rm.resource_groups.begin_delete("going", polling=False)
        src.advance(30)  # half of the group delete's 60 simulated seconds
        now = src.state.clock.now()

        # cloned while the source is open: its last commits may still be in the WAL only
        Sandbox.clone_state(tmp_path / "src", tmp_path / "clone")
        assert not (tmp_path / "clone" / CONNECTION_FILE).exists()  # the source server's, not ours

        with Sandbox(tmp_path / "clone", virtual_clock=True) as clone:
            assert clone.state.clock.now() == now
            assert clone.connection.endpoint != src.connection.endpoint
            assert Path(clone.connection.ca_path).read_bytes() == Path(src.connection.ca_path).read_bytes()
            assert clone.connection.admin_key == src.connection.admin_key
            key = tmp_path / "clone" / ADMIN_KEY_FILE
            assert stat.S_IMODE(key.stat().st_mode) == 0o600

            copy = clone.connection.client(ResourceManagementClient)
            assert copy.resource_groups.get("kept").tags == {"a": "1"}
            assert copy.resource_groups.get("going").properties.provisioning_state == "Deleting"
            clone.advance(30)
            assert copy.resource_groups.check_existence("going") is False  # the delete finished
            copy.resource_groups.create_or_update("clone-only", {"location": "eastus"})

        # the clone's writes and time stay in the clone
        assert src.state.clock.now() == now
        assert rm.resource_groups.check_existence("going") is True
        assert rm.resource_groups.check_existence("clone-only") is False


def test_every_database_is_copied_with_its_uncheckpointed_wal(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    db = sqlite3.connect(str(tmp_path / "src" / "search.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")  # every row below stays in search.db-wal
    db.execute("CREATE TABLE docs (k TEXT)")
    db.execute("INSERT INTO docs VALUES ('in-the-wal')")
    try:
        Sandbox.clone_state(tmp_path / "src", tmp_path / "clone")
    finally:
        db.close()
    assert not (tmp_path / "clone" / "search.db-wal").exists()
    copied = sqlite3.connect(str(tmp_path / "clone" / "search.db"))
    try:
        assert copied.execute("SELECT k FROM docs").fetchall() == [("in-the-wal",)]
    finally:
        copied.close()


def test_a_clone_never_overwrites_an_existing_dir(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "taken").mkdir()
    with pytest.raises(FileExistsError):
        Sandbox.clone_state(tmp_path / "src", tmp_path / "taken")


def test_a_clone_of_made_keys_is_a_fresh_sandbox_with_those_keys(tmp_path: Path) -> None:
    keys = Sandbox.make_keys(tmp_path / "keys")
    assert not (keys / "sandbox.db").exists()  # keys only: no state was opened
    before = time.time()
    with Sandbox(Sandbox.clone_state(keys, tmp_path / "fresh"), virtual_clock=True) as sb:
        assert sb.state.clock.now() >= before  # a fresh clock, from now
        assert sb.connection.admin_key == (keys / ADMIN_KEY_FILE).read_text()
        assert Path(sb.connection.ca_path).read_bytes() == (keys / "ca.pem").read_bytes()
        assert stat.S_IMODE((tmp_path / "fresh" / "signing-key.pem").stat().st_mode) == 0o600
        rm = sb.connection.client(ResourceManagementClient)
        assert list(rm.resource_groups.list()) == []
