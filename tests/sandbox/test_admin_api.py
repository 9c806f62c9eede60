"""The admin API (`/_sandbox/...`) is for whoever owns the state directory: every call but the
health probe needs the key kept there (mode 0600), and bad bodies get one 400, never a 500."""

from __future__ import annotations

import ssl
import stat

import httpx

from sandbox import SandboxAdmin, SandboxConnection
from sandbox.constants import ADMIN_KEY_FILE, ADMIN_KEY_HEADER

ADMIN_CALLS = [
    ("GET", "status", None),
    ("POST", "reset", None),
    ("GET", "faults", None),
    ("POST", "faults", {"kind": "error"}),
    ("DELETE", "faults", None),
    ("GET", "requests", None),
    ("POST", "principals", {"object_id": "11111111-2222-3333-4444-555555555555"}),
    ("POST", "apps", {"client_id": "x", "secret": "y"}),
    ("GET", "quotas", None),
    ("POST", "clock/advance", {"seconds": 10**9}),
    ("POST", "token", {"oid": "11111111-2222-3333-4444-555555555555"}),
]


def _http(sandbox) -> httpx.Client:
    verify = ssl.create_default_context(cafile=sandbox.connection.ca_path)
    return httpx.Client(base_url=sandbox.connection.endpoint, verify=verify, timeout=10)


def test_the_admin_key_lives_in_the_state_dir_readable_by_its_owner_only(sandbox, sandbox_dir):
    key_file = sandbox_dir / ADMIN_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sandbox.connection.admin_key == key_file.read_text().strip()


def test_admin_calls_without_the_key_get_401_and_change_nothing(sandbox):
    before = sandbox.state.clock.now()
    with _http(sandbox) as http:
        for method, path, body in ADMIN_CALLS:
            for headers in ({}, {ADMIN_KEY_HEADER: "wrong"}):
                resp = http.request(method, f"/_sandbox/{path}", json=body, headers=headers)
                assert resp.status_code == 401, (method, path, resp.text)
                assert resp.json()["error"]["code"] == "AdminKeyRequired"
    assert sandbox.state.faults.list() == []
    assert sandbox.state.clock.now() - before < 10**8  # the clock was not advanced
    assert sandbox.state.directory.get("11111111-2222-3333-4444-555555555555") is None


def test_health_stays_open_for_liveness_probes(sandbox):
    with _http(sandbox) as http:
        assert http.get("/_sandbox/health").json() == {"status": "ok"}


def test_sandbox_admin_finds_the_key_beside_the_ca_when_the_connection_lacks_it(sandbox):
    bare = SandboxConnection(endpoint=sandbox.connection.endpoint, ca_path=sandbox.connection.ca_path)
    with SandboxAdmin(bare) as admin:
        assert admin.status()["tenant_id"] == sandbox.connection.tenant_id


BAD_TOKEN_BODIES = [b"no", b"[1, 2]", b'"oid"', b"{}", b'{"oid": 5}', b'{"oid": "x", "aud": []}', b"\xff"]


def test_token_endpoint_answers_bad_bodies_with_one_400(sandbox):
    """Issue 9.6: `POST /_sandbox/token` with an unexpected body answered 500 or dropped the
    connection."""
    headers = {ADMIN_KEY_HEADER: sandbox.connection.admin_key, "content-type": "application/json"}
    with _http(sandbox) as http:
        for content in BAD_TOKEN_BODIES:
            resp = http.post("/_sandbox/token", content=content, headers=headers)
            assert resp.status_code == 400, (content, resp.text)
            error = resp.json()["error"]
            assert error["code"] == "InvalidRequestContent" and "\n" not in error["message"]


def test_every_admin_post_answers_a_non_object_body_with_400(sandbox):
    headers = {ADMIN_KEY_HEADER: sandbox.connection.admin_key}
    with _http(sandbox) as http:
        for path in ("faults", "principals", "apps", "quotas", "clock/advance"):
            for content in (b"nope", b"[]"):
                resp = http.post(f"/_sandbox/{path}", content=content, headers=headers)
                assert resp.status_code == 400, (path, content, resp.text)
