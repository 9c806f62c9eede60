"""The README's CI identity rehearsed end to end: registered in the sandbox with exactly the roles
README.md "Roles for the deploying identity" grants, opsctl signed in as it through
AZURE_CLIENT_ID/AZURE_CLIENT_SECRET. Then a Reader identity, refused on every write."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization import AuthorizationManagementClient

from infra.catalog.roles import role_definition_id
from sandbox import SANDBOX_SUBSCRIPTION_ID

ROOT = Path(__file__).resolve().parents[2]
CI_CLIENT = "11111111-2222-4333-8444-555555555555"
DEV_USER = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def readme_condition() -> str:
    """The constrained RBAC Administrator condition exactly as the README writes it."""
    text = (ROOT / "README.md").read_text()
    roles = re.search(r'^ROLES="([^"]+)"', text, re.MULTILINE)
    condition = re.search(r'--condition "\n(.*?)"\n', text, re.DOTALL)
    assert roles and condition, "README lost its constrained RBAC Administrator recipe"
    return condition.group(1).replace("$ROLES", roles.group(1))


@pytest.fixture
def cli_sandbox(sandbox, monkeypatch):
    """The in-process sandbox, found by the CLI like one `opsctl sandbox start` runs."""
    home = Path(sandbox.state_dir)
    sandbox.connection.save(
        home / "sandbox.json",
        pid=os.getpid(),
        time_scale=sandbox.time_scale,
        virtual_clock=sandbox.virtual_clock,
    )
    monkeypatch.setenv("RAGSTACK_SANDBOX_HOME", str(home))
    return sandbox


def _add_principal(opsctl, name: str, client_id: str, *roles: str) -> str:
    args = [a for r in roles for a in ("--role", r)]
    added = opsctl("sandbox", "principal", "add", name, "--client-id", client_id, "--secret", "s3cret", *args)
    assert added.code == 0, added.err
    assert f"export AZURE_CLIENT_ID={client_id}" in added.out
    return re.search(r"object id (\S+)", added.out).group(1)  # type: ignore[union-attr]


def test_ci_identity_with_the_readme_roles(cli_sandbox, project, opsctl, monkeypatch, tmp_path) -> None:
    oid = _add_principal(opsctl, "github-ci", CI_CLIENT, "Contributor", "AcrPush")
    (tmp_path / "condition").write_text(readme_condition())
    rbac_admin = "Role Based Access Control Administrator"
    granted = opsctl(
        "sandbox",
        "principal",
        "grant",
        oid,
        "--role",
        rbac_admin,
        "--condition",
        f"@{tmp_path / 'condition'}",
    )
    assert granted.code == 0, granted.err
    monkeypatch.setenv("AZURE_CLIENT_ID", CI_CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s3cret")
    project_dir = ["--project-dir", str(project)]

    up = opsctl("up", "--stack", "dev", "--sandbox", *project_dir)
    assert up.code == 0, up.err
    cli_sandbox.register_principal("User", object_id=DEV_USER, display_name="dev")
    preset = ["--principal", DEV_USER, "--principal-type", "User", "--preset", "developer"]
    access = opsctl("access", "grant", "--stack", "dev", *preset, *project_dir)
    assert access.code == 0, access.err

    as_ci = cli_sandbox.connection.credential(CI_CLIENT, "s3cret")
    auth = cli_sandbox.connection.client(AuthorizationManagementClient, credential=as_ci)
    owner = role_definition_id(SANDBOX_SUBSCRIPTION_ID, "Owner")
    body = {"properties": {"roleDefinitionId": owner, "principalId": DEV_USER, "principalType": "User"}}
    with pytest.raises(HttpResponseError) as exc:
        auth.role_assignments.create(f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}", str(uuid.uuid4()), body)
    assert exc.value.status_code == 403 and exc.value.error.code == "AuthorizationFailed"

    teardown = opsctl("teardown", "--stack", "dev", "--yes", "--purge", *project_dir)
    assert teardown.code == 0, teardown.err


WRITES = [
    ("up", "--stack", "dev", "--sandbox"),
    ("down", "--stack", "dev", "--sandbox"),
    ("scale", "search", "--stack", "dev", "--replicas", "2"),
    ("scale", "app", "--stack", "dev", "--min", "1", "--max", "4"),
    ("scale", "openai", "--stack", "dev", "--deployment", "chat", "--capacity", "2"),
    (
        "access",
        "grant",
        "--stack",
        "dev",
        "--principal",
        DEV_USER,
        "--principal-type",
        "User",
        "--preset",
        "developer",
    ),
    (
        "access",
        "revoke",
        "--stack",
        "dev",
        "--principal",
        DEV_USER,
        "--principal-type",
        "User",
        "--preset",
        "reader",
    ),
    ("app", "set-image", "--stack", "dev", "--image", "mcr.microsoft.com/k8se/quickstart:v2"),
    ("teardown", "--stack", "dev", "--yes", "--purge"),
]


def test_reader_is_refused_on_every_write_command(live, opsctl, monkeypatch) -> None:
    reader = live.sandbox.register_principal(
        "ServicePrincipal", client_id=CI_CLIENT, secret="s3cret", roles=[{"role": "Reader"}]
    )["objectId"]
    live.sandbox.register_principal("User", object_id=DEV_USER, display_name="dev")
    existing = ["--principal", DEV_USER, "--principal-type", "User", "--preset", "reader"]
    assert (
        opsctl("access", "grant", "--stack", "dev", *existing, "--project-dir", str(live.project)).code == 0
    )
    monkeypatch.setenv("AZURE_CLIENT_ID", CI_CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s3cret")
    for command in WRITES:
        result = opsctl(*command, "--project-dir", str(live.project))
        assert result.code == 1, (command, result.out, result.err)
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and "[AuthorizationFailed]" in lines[0], (command, result.err)
    mine = [r for r in live.sandbox.requests.list() if r["principal_id"] == reader]
    assert {r["status"] for r in mine if r["method"] in ("PUT", "PATCH", "DELETE")} == {403}
