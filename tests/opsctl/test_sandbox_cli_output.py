"""`opsctl sandbox ...` speaks the ecosystem's output conventions (issue 11 item 10): `-o json|tsv`
and `--query` on every command that prints data, `--dry-run` on every write (reset, principal add,
principal grant) that prints what would change and changes nothing, proven through the admin API."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox.constants import OPERATOR_CLIENT_ID, OPERATOR_OBJECT_ID

CI_CLIENT = "11111111-2222-4333-8444-555555555555"
CI_OBJECT = "99999999-2222-4333-8444-555555555555"


@pytest.fixture
def cli_sandbox(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The in-process sandbox, found by the CLI like one `opsctl sandbox start` runs."""
    home = Path(sandbox.state_dir)
    sandbox.connection.save(home / "sandbox.json", pid=os.getpid(), time_scale=sandbox.time_scale)
    monkeypatch.setenv("RAGSTACK_SANDBOX_HOME", str(home))
    return sandbox


def admin_view(sandbox: Any) -> dict[str, Any]:
    """Everything a reset or a principal write could change, read through the admin API."""
    from sandbox.connection import SandboxAdmin

    with SandboxAdmin(sandbox.connection) as admin:
        return {
            "principals": sorted(admin.principals(), key=lambda p: p["objectId"]),
            "resourceCounts": admin.status()["resource_counts"],
            "faults": admin.faults(),
            "requests": len(admin.requests()),
        }


def data(result: Any) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out)


def populate(sandbox: Any, opsctl: Any) -> None:
    """A resource group, a CI principal with a role, a fault: what a reset would drop."""
    rm = sandbox.connection.client(ResourceManagementClient)
    rm.resource_groups.create_or_update("rg-reset-me", {"location": "swedencentral"})
    added = opsctl(
        "sandbox", "principal", "add", "github-ci", "--object-id", CI_OBJECT, "--client-id", CI_CLIENT,
        "--secret", "s3cret", "--role", "Contributor",
    )  # fmt: skip
    assert added.code == 0, added.err
    sandbox.faults.throttle("/never-called")


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (("status",), lambda d: d["pid"] == os.getpid() and "resourceCounts" in d),
        (("start",), lambda d: d["alreadyRunning"] is True and d["env"]["AZURE_CLIENT_ID"]),
        (("env",), lambda d: d["AZURE_CLIENT_ID"] == OPERATOR_CLIENT_ID),
        (("token",), lambda d: d["tokenType"] == "Bearer" and d["accessToken"] and d["expiresOn"]),
        (("principal", "list"), lambda d: OPERATOR_OBJECT_ID in [p["objectId"] for p in d]),
        (("principal", "show", OPERATOR_CLIENT_ID), lambda d: d["objectId"] == OPERATOR_OBJECT_ID),
        (("reset", "--dry-run"), lambda d: d["running"] and d["principals"] == []),
    ],
)
def test_each_sandbox_data_command_prints_json(
    cli_sandbox: Any, opsctl: Any, args: tuple[str, ...], check: Any
) -> None:
    assert check(data(opsctl("sandbox", *args, "-o", "json")))


def test_query_and_tsv_as_the_az_cli(cli_sandbox: Any, opsctl: Any) -> None:
    endpoint = opsctl("sandbox", "status", "--query", "endpoint")
    assert data(endpoint) == cli_sandbox.connection.endpoint
    ids = opsctl("sandbox", "principal", "list", "-o", "tsv", "--query", "[].objectId")
    assert ids.code == 0 and ids.out.split() == [OPERATOR_OBJECT_ID]
    table = opsctl("sandbox", "principal", "list")
    assert "ragstack-sandbox-operator" in table.out and OPERATOR_OBJECT_ID in table.out


def test_stop_of_a_stopped_sandbox_in_json(opsctl: Any, tmp_path: Path) -> None:
    assert data(opsctl("sandbox", "stop", "--state-dir", str(tmp_path), "-o", "json")) == {
        "stopped": False,
        "pid": None,
    }


def test_reset_dry_run_lists_what_would_go_and_changes_nothing(cli_sandbox: Any, opsctl: Any) -> None:
    populate(cli_sandbox, opsctl)
    before = admin_view(cli_sandbox)

    preview = data(opsctl("sandbox", "reset", "--dry-run", "-o", "json"))
    assert admin_view(cli_sandbox) == before
    assert [p["objectId"] for p in preview["principals"]] == [CI_OBJECT], "the operator is seeded again"
    assert [(a["principalId"], a["role"]) for a in preview["roleAssignments"]] == [(CI_OBJECT, "Contributor")]
    assert any(r["id"].endswith("/resourceGroups/rg-reset-me") for r in preview["resources"])
    assert preview["faults"] == 1 and preview["requests"] == before["requests"] > 0

    text = opsctl("sandbox", "reset", "--dry-run")
    assert text.code == 0, text.err
    assert "github-ci" in text.out and "rg-reset-me" in text.out
    assert "1 principals, 1 role assignments" in text.out and "1 faults" in text.out
    assert text.out.rstrip().endswith("dry run: nothing changed")
    assert admin_view(cli_sandbox) == before

    assert opsctl("sandbox", "reset").code == 0
    after = admin_view(cli_sandbox)
    assert [p["objectId"] for p in after["principals"]] == [OPERATOR_OBJECT_ID]
    assert after["faults"] == [] and "resourcegroups" not in json.dumps(after["resourceCounts"]).lower()


def test_reset_dry_run_of_a_stopped_sandbox_names_the_files(opsctl: Any, tmp_path: Path) -> None:
    (tmp_path / "sandbox.db").write_text("")
    out = data(opsctl("sandbox", "reset", "--dry-run", "--state-dir", str(tmp_path), "-o", "json"))
    assert out == {"running": False, "files": [str(tmp_path / "sandbox.db")]}
    assert (tmp_path / "sandbox.db").exists()


def test_principal_add_dry_run_previews_principal_and_roles(cli_sandbox: Any, opsctl: Any) -> None:
    before = admin_view(cli_sandbox)
    args = ("sandbox", "principal", "add", "github-ci", "--object-id", CI_OBJECT, "--client-id", CI_CLIENT)
    preview = data(opsctl(*args, "--secret", "s3cret", "--role", "AcrPush", "--dry-run", "-o", "json"))
    assert preview["dryRun"] is True and preview["principal"]["appId"] == CI_CLIENT
    assert "secret" not in preview["principal"], "a dry run never echoes the secret"
    assert [p["objectId"] for p in preview["addedPrincipals"]] == [CI_OBJECT]
    assert [a["role"] for a in preview["addedRoleAssignments"]] == ["AcrPush"]
    text = opsctl(*args, "--role", "AcrPush", "--dry-run")
    assert (
        f"would add ServicePrincipal 'github-ci' (object id {CI_OBJECT}, client id {CI_CLIENT})" in text.out
    )
    assert "would assign 'AcrPush' at /subscriptions/" in text.out
    assert admin_view(cli_sandbox) == before


def test_principal_add_dry_run_refuses_what_the_write_would_refuse(cli_sandbox: Any, opsctl: Any) -> None:
    before = admin_view(cli_sandbox)
    bad = opsctl("sandbox", "principal", "add", "x", "--role", "Overlord", "--dry-run")
    assert bad.code == 2 and bad.err.count("\n") == 1 and "unknown role 'Overlord'" in bad.err
    assert admin_view(cli_sandbox) == before


def test_principal_grant_dry_run_says_new_or_already_in_place(cli_sandbox: Any, opsctl: Any) -> None:
    populate(cli_sandbox, opsctl)
    before = admin_view(cli_sandbox)
    grant = ("sandbox", "principal", "grant", CI_OBJECT, "--dry-run")
    new = data(opsctl(*grant, "--role", "Reader", "-o", "json"))
    assert [a["role"] for a in new["addedRoleAssignments"]] == ["Reader"]
    assert new["roleAssignment"]["properties"]["principalId"] == CI_OBJECT
    same = opsctl(*grant, "--role", "Contributor")
    assert same.code == 0 and "no change: already in place" in same.out
    unknown = opsctl("sandbox", "principal", "grant", "0" * 8, "--role", "Reader", "--dry-run")
    assert unknown.code == 2 and "is not registered in the sandbox" in unknown.err
    assert admin_view(cli_sandbox) == before
