"""Teardown as an operator meets it (issue 11 item 8), end to end through the CLI and the sandbox:
the dry-run plan in order as a table and as JSON, the exact command that frees names held by soft
delete, a teardown that finds only soft-deleted accounts, and `down` taking the confirmation it asks."""

from __future__ import annotations

import json


def test_dry_run_prints_the_ordered_plan_as_json(live, opsctl) -> None:
    result = opsctl(
        "teardown", "--stack", "dev", "--dry-run", "-o", "json", "--project-dir", str(live.project)
    )
    assert result.code == 0, result.err
    [plan] = json.loads(result.out)
    env = live.env()
    steps = [(s["order"], s["action"], s["target"]) for s in plan["steps"]]
    assert [s[0] for s in steps] == list(range(1, len(steps) + 1))
    actions = [s[1] for s in steps]
    # projects and deployments before their account, accounts before the group (ops-pitfalls S-4/S-5)
    for n, action, what in steps:
        if action in ("delete deployment", "delete project"):
            account = what.split("/")[0]
            assert any(m > n and a == "delete account" and t.startswith(account) for m, a, t in steps)
    assert actions.index("delete resource group") == len(actions) - 1
    assert ("delete resource group" in actions) and "purge account" not in actions
    assert plan["environment"] == env.settings.environment and plan["purge"] is False
    assert groups_of(live) >= {env.resource_group}, "a dry run deletes nothing"


def test_dry_run_table_lists_the_steps_in_order(live, opsctl) -> None:
    result = opsctl("teardown", "--stack", "dev", "--dry-run", "--purge", "--project-dir", str(live.project))
    assert result.code == 0, result.err
    text = " ".join(result.out.split())
    assert "delete deployment" in text and "delete resource group" in text and "purge account" in text
    assert text.index("delete deployment") < text.index("delete resource group") < text.index("purge account")


def test_a_teardown_without_purge_names_the_command_that_frees_the_names(live, opsctl) -> None:
    where = ("--stack", "dev", "--project-dir", str(live.project))
    done = opsctl("teardown", *where, "--yes")
    assert done.code == 0, done.err
    assert "opsctl teardown --stack dev --purge" in done.err

    leftovers = opsctl("teardown", *where, "--yes")
    assert leftovers.code == 0, leftovers.err
    assert "only soft-deleted accounts remain" in leftovers.err
    assert "opsctl teardown --stack dev --purge" in leftovers.err
    assert soft_deleted_names(live), "without --purge nothing is purged"

    again = opsctl("up", *where, "--sandbox")
    assert again.code == 1
    assert "opsctl teardown --stack dev --purge" in again.err, again.err
    # Both soft-deleted accounts hold their names, and the one line names both refusals.
    env = live.env()
    assert env.names.openai in again.err and env.names.document_intelligence in again.err, again.err
    assert len(again.err.strip().splitlines()) == 1, again.err

    purged = opsctl("teardown", *where, "--purge", "--yes")
    assert purged.code == 0, purged.err
    assert not soft_deleted_names(live)
    assert opsctl("up", *where, "--sandbox").code == 0


def test_down_takes_the_confirmation_it_asks_for(live, opsctl) -> None:
    stack = live.project / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text() + "  ragstack:protect: true\n")
    where = ("--stack", "dev", "--sandbox", "--project-dir", str(live.project))
    refused = opsctl("down", *where)
    assert refused.code == 1
    assert "--yes --confirm dev" in refused.err
    assert live.env().resource_group in groups_of(live)

    wrong = opsctl("down", *where, "--yes", "--confirm", "prod")
    assert wrong.code == 1 and live.env().resource_group in groups_of(live)

    done = opsctl("down", *where, "--yes", "--confirm", "dev")
    assert done.code == 0, done.err
    assert live.env().resource_group not in groups_of(live)


def groups_of(live) -> set[str]:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return {g.name for g in live.target.client(ResourceManagementClient).resource_groups.list()}


def soft_deleted_names(live) -> set[str]:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    return {a.name for a in live.target.client(CognitiveServicesManagementClient).deleted_accounts.list()}
