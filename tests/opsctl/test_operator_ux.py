"""Issue 11, items 3, 6, 7 and 10: what an operator used to azd, Pulumi and the az CLI expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PROD_SUBSCRIPTION = "6e1c2f0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
OTHER_SUBSCRIPTION = "11111111-2222-4333-8444-555555555555"


def test_the_stack_files_subscription_wins_over_the_environments_and_says_so(
    opsctl: Any, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulumi's precedence: ragstack:subscriptionId beats AZURE_SUBSCRIPTION_ID; a mismatch is one line."""
    from opsctl.cli.common import open_environment

    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", OTHER_SUBSCRIPTION)
    env, _ = _open(open_environment, "prod", project)
    assert env.subscription_id == PROD_SUBSCRIPTION
    env, _ = _open(open_environment, "prod", project, subscription=OTHER_SUBSCRIPTION)
    assert env.subscription_id == OTHER_SUBSCRIPTION


def _open(open_environment: Any, stack: str, project: Path, subscription: str | None = None) -> Any:
    from unittest import mock

    with mock.patch(
        "opsctl.target.azure_target", lambda sub: mock.Mock(is_sandbox=False, subscription_id=sub)
    ):
        return open_environment(stack, subscription=subscription, sandbox=False, project_dir=project)


def test_a_subscription_mismatch_is_reported_in_one_line(
    opsctl: Any, live: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", OTHER_SUBSCRIPTION)
    result = opsctl("status", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if "AZURE_SUBSCRIPTION_ID" in line]
    assert len(notes) == 1 and "ragstack:subscriptionId" in notes[0], result.err
    assert json.loads(result.out)


def test_up_sandbox_rehearses_a_stack_of_another_subscription(opsctl: Any, live: Any) -> None:
    result = opsctl(
        "up", "--stack", "prod", "--sandbox", "--dry-run", "--project-dir", str(live.project), "-o", "json"
    )
    assert result.code == 0, result.err
    assert f"subscription {PROD_SUBSCRIPTION} mapped to sandbox subscription" in result.err
    document = json.loads(result.out)
    assert document["dryRun"] is True
    assert {r["action"] for r in document["resources"]} >= {"create"}
    assert all(PROD_SUBSCRIPTION not in r["id"] for r in document["resources"])


def test_up_names_type_and_logical_name_and_prints_outputs(opsctl: Any, live: Any) -> None:
    result = opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["writes"] == 0
    kinds = {(r["type"], r["name"]) for r in document["resources"]}
    assert ("azure-native:resources:ResourceGroup", "rg") in kinds
    assert document["outputs"]["appUrl"].startswith("https://")
    table = opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project))
    assert "unchanged" in table.out and "appUrl" in table.out


def test_up_dry_run_previews_what_changed_per_resource_and_writes_nothing(opsctl: Any, live: Any) -> None:
    stack_file = live.project / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  ragstack:logRetentionDays: 60\n")
    args = ("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project), "-o", "json")
    preview = json.loads(opsctl(*args, "--dry-run").out)
    changed = [r for r in preview["resources"] if r["action"] == "update"]
    assert [r["name"] for r in changed] == ["logs"], changed
    assert any("retentionInDays: 30 -> 60" in c for c in changed[0]["changes"]), changed
    assert json.loads(opsctl(*args, "--dry-run").out)["writes"] == 1  # nothing was written
    applied = json.loads(opsctl(*args).out)
    assert [(r["name"], r["action"]) for r in applied["resources"] if r["action"] != "unchanged"] == [
        ("logs", "updated")
    ]


def test_output_prints_live_outputs_as_json_env_and_dotenv(opsctl: Any, live: Any) -> None:
    base = ("output", "--stack", "dev", "--project-dir", str(live.project))
    everything = json.loads(opsctl(*base, "--format", "json").out)
    assert everything["appUrl"].startswith("https://")
    one = opsctl(*base, "appUrl", "-o", "json")
    assert json.loads(one.out) == everything["appUrl"]
    assert f"export APP_URL={everything['appUrl']}" in opsctl(*base, "--format", "env").out.splitlines()
    assert f'APP_URL="{everything["appUrl"]}"' in opsctl(*base, "--format", "dotenv").out.splitlines()
    missing = opsctl(*base, "nope")
    assert missing.code != 0 and "not an output of stack dev" in missing.err


def test_a_selected_stack_and_opsctl_stack_make_stack_optional(
    opsctl: Any, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSCTL_STACK", raising=False)
    where = ("--project-dir", str(project))
    none = opsctl("plan", *where)
    assert none.code == 2 and "opsctl stack select" in none.err and len(none.err.splitlines()) == 1
    assert opsctl("stack", "select", "prod", *where).code == 0
    assert (project / ".opsctl-stack").read_text().strip() == "prod"
    plan = opsctl("plan", *where, "-o", "json")
    assert plan.code == 0 and json.loads(plan.out)["stack"] == "prod"
    assert "stack: prod (selected in .opsctl-stack)" in plan.err
    monkeypatch.setenv("OPSCTL_STACK", "dev")
    assert json.loads(opsctl("plan", *where, "-o", "json").out)["stack"] == "dev"
    assert "stack: dev (OPSCTL_STACK)" in opsctl("plan", *where, "-o", "json").err
    assert "stack:" not in opsctl("plan", *where, "--stack", "dev", "-o", "json").err
    bad = opsctl("stack", "select", "nope", *where)
    assert bad.code != 0 and (project / ".opsctl-stack").read_text().strip() == "prod"


def test_query_and_tsv_follow_the_az_cli(opsctl: Any, project: Path) -> None:
    where = ("--stack", "dev", "--project-dir", str(project))
    assert json.loads(opsctl("plan", *where, "--query", "stack").out) == "dev"
    tsv = opsctl("plan", *where, "-o", "tsv", "--query", "resources[].azureName")
    assert tsv.code == 0 and "rg-ragstack-dev" in tsv.out.splitlines()
    rows = opsctl("plan", *where, "-o", "tsv", "--query", "resources[0].{a: type, b: azureName}").out
    assert rows.splitlines() == ["azure-native:resources:ResourceGroup\trg-ragstack-dev"]
    bad = opsctl("plan", *where, "--query", "[[")
    assert bad.code == 2 and len(bad.err.splitlines()) == 1 and "JMESPath" in bad.err


def test_down_dry_run_lists_what_would_go_and_removes_nothing(opsctl: Any, live: Any) -> None:
    args = ("down", "--stack", "dev", "--sandbox", "--project-dir", str(live.project))
    preview = opsctl(*args, "--dry-run", "-o", "json")
    assert preview.code == 0, preview.err
    document = json.loads(preview.out)
    assert {"kind": "resource group", "name": "rg-ragstack-dev"} in document["remove"]
    status = opsctl("status", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert status.code == 0 and "rg-ragstack-dev" in status.out


def test_stack_new_dry_run_prints_the_file_it_would_write_and_writes_nothing(
    opsctl: Any, project: Path
) -> None:
    args = ("stack", "new", "pr-5", "--from", "dev", "--ttl", "24h", "--project-dir", str(project))
    preview = opsctl(*args, "--dry-run")
    assert preview.code == 0, preview.err
    assert preview.err.startswith(f"would create {project / 'Pulumi.pr-5.yaml'}"), preview.err
    assert "ragstack:environment: pr-5" in preview.out and "ragstack:ephemeral: true" in preview.out
    assert not (project / "Pulumi.pr-5.yaml").exists()

    document = json.loads(opsctl(*args, "--dry-run", "-o", "json").out)
    assert document["dryRun"] is True and document["profile"] == "dev"
    created = opsctl(*args)
    assert created.code == 0, created.err
    written = (project / "Pulumi.pr-5.yaml").read_text()

    # The file written is the one previewed, but for the creation time in its header comment.
    def timeless(text: str) -> list[str]:
        return [line for line in text.splitlines() if "created" not in line and "expires" not in line]

    assert timeless(written) == timeless(document["content"])

    refused = opsctl(*args, "--dry-run")  # a dry run is refused where the write would be
    assert refused.code != 0 and "already exists" in refused.err
