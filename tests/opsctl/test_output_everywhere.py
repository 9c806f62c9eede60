"""Every opsctl command takes `-o table|json|tsv` and prints valid JSON with `-o json` (issue 11
item 10, as the az CLI): each command of the real Click tree is either run here against the dev
stack in the sandbox, or named with the test that checks its JSON. A new command that is in
neither list fails `test_every_command_is_accounted_for`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from opsctl.cli import command
from sandbox.constants import OPERATOR_OBJECT_ID

USER = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
GRANT = ("--principal", USER, "--principal-type", "User", "--preset", "reader")

# Read-only, or writes run with --dry-run: safe to run one after another on one live stack.
RUN_HERE: dict[str, tuple[str, ...]] = {
    "status": ("status", "--stack", "dev"),
    "drift": ("drift", "--stack", "dev"),
    "plan": ("plan", "--stack", "dev"),
    "up": ("up", "--stack", "dev", "--sandbox", "--dry-run"),
    "down": ("down", "--stack", "dev", "--sandbox", "--dry-run"),
    "output": ("output", "--stack", "dev"),
    "teardown": ("teardown", "--stack", "dev", "--dry-run"),
    "access grant": ("access", "grant", "--stack", "dev", *GRANT, "--dry-run"),
    "access revoke": ("access", "revoke", "--stack", "dev", *GRANT, "--dry-run"),
    "access list": ("access", "list", "--stack", "dev"),
    "app revisions": ("app", "revisions", "--stack", "dev"),
    "app set-image": ("app", "set-image", "--stack", "dev", "--image", "cr.azurecr.io/app:2", "--dry-run"),
    "scale search": ("scale", "search", "--stack", "dev", "--replicas", "2", "--dry-run"),
    "scale app": ("scale", "app", "--stack", "dev", "--min", "1", "--dry-run"),
    "scale openai": (
        "scale",
        "openai",
        "--stack",
        "dev",
        "--deployment",
        "chat",
        "--capacity",
        "20",
        "--dry-run",
    ),
    "index apply": ("index", "apply", "--stack", "dev", "--dry-run"),
    "query": ("query", "--stack", "dev", "laptops"),
    "stack select": ("stack", "select", "dev", "--dry-run"),
    "stack new": ("stack", "new", "pr-7", "--from", "dev"),
    "tiers compare": ("tiers", "compare"),
    "sandbox status": ("sandbox", "status"),
    "sandbox env": ("sandbox", "env"),
    "sandbox token": ("sandbox", "token"),
    "sandbox start": ("sandbox", "start"),
    "sandbox reset": ("sandbox", "reset", "--dry-run"),
    "sandbox principal list": ("sandbox", "principal", "list"),
}
# Checked with -o json where their data exists (an index with documents, a second revision, ...).
ELSEWHERE = {
    "ingest": "tests/opsctl/test_ingest.py",
    "smoke": "tests/opsctl/test_smoke.py",
    "app rollback": "tests/opsctl/test_app_ux.py",
    "app logs": "tests/opsctl/test_app_logs.py (JSON lines)",
    "sandbox stop": "tests/opsctl/test_sandbox_cli_output.py",
    "sandbox principal add": "tests/opsctl/test_sandbox_cli_output.py",
    "sandbox principal grant": "tests/opsctl/test_sandbox_cli_output.py",
    "sandbox principal show": "tests/opsctl/test_sandbox_cli_output.py",
}


def leaf_commands(node: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    children = getattr(node, "commands", None)
    if children is None:
        return {" ".join(path): node}
    return {k: v for name, child in children.items() for k, v in leaf_commands(child, (*path, name)).items()}


def test_every_command_is_accounted_for() -> None:
    leaves = leaf_commands(command())
    assert set(leaves) == set(RUN_HERE) | set(ELSEWHERE)
    without = [
        path for path, cmd in leaves.items() if "--output" not in {o for p in cmd.params for o in p.opts}
    ]
    assert without == [], "every command takes -o/--output"


def test_each_command_prints_json_with_dash_o_json(live: Any, opsctl: Any) -> None:
    live.apply_indexes()
    scopes = live.env().scopes()
    for role, key in (("Search Index Data Reader", "search"), ("Cognitive Services OpenAI User", "openai")):
        live.sandbox.grant(OPERATOR_OBJECT_ID, role, scope=scopes[key])
    live.sandbox.advance(600)  # past role propagation
    failures = {}
    for path, args in RUN_HERE.items():
        where = () if path.startswith(("sandbox", "tiers")) else ("--project-dir", str(live.project))
        result = opsctl(*args, *where, "-o", "json")
        try:
            json.loads(result.out)
        except ValueError as exc:
            failures[path] = f"exit {result.code}: {exc}: {result.out[:200]!r} {result.err[:300]!r}"
        else:
            if result.code not in (0, 2) or (result.code == 2 and path != "drift"):
                failures[path] = f"exit {result.code}: {result.err[:300]!r}"
    assert failures == {}


@pytest.mark.parametrize("path", sorted(ELSEWHERE))
def test_the_tests_named_elsewhere_exist(path: str) -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert (root / ELSEWHERE[path].split(" ")[0]).is_file()
