"""The exit-code table (opsctl.exitcodes) is what README and `--help` say and what the CLI returns:
one representative case per documented code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from azure.mgmt.resource.resources import ResourceManagementClient

from opsctl import exitcodes

ROOT = Path(__file__).resolve().parents[2]


def test_readme_and_help_carry_the_same_table(opsctl) -> None:
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(\d+)` \| (.+) \|$", readme, re.MULTILINE))
    assert {int(k): v for k, v in rows.items()} == dict(exitcodes.TABLE)
    shown = " ".join(opsctl("--help").out.split())
    assert " ".join(exitcodes.epilog().split()) in shown


def test_failure_usage_and_policy_codes(opsctl, project) -> None:
    assert opsctl("plan", "--stack", "dev", "--project-dir", str(ROOT)).code == exitcodes.OK
    missing = opsctl("plan", "--stack", "nosuch", "--project-dir", str(ROOT))
    assert missing.code == exitcodes.FAILURE and missing.err.startswith("error: ")
    assert opsctl("plan", "--stack", "dev", "--no-such-flag").code == exitcodes.USAGE
    # Two search replicas: no read/write SLA, a medium finding that --strict fails on.
    prod = project / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("    replicas: 3\n", "    replicas: 2\n"))
    strict = opsctl("plan", "--stack", "prod", "--project-dir", str(project), "--strict")
    assert strict.code == exitcodes.POLICY


def test_interrupted(opsctl, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("opsctl.plan.plan_stack", interrupt)
    result = opsctl("plan", "--stack", "dev", "--project-dir", str(ROOT))
    assert result.code == exitcodes.INTERRUPTED and "interrupted" in result.err


def test_drift_found(live, opsctl) -> None:
    env = live.env()
    where = ("--stack", "dev", "--project-dir", str(live.project))
    live.apply_indexes()
    assert opsctl("drift", *where).code == exitcodes.OK
    resources = live.target.client(ResourceManagementClient)
    group = resources.resource_groups.get(env.resource_group)
    tags = {**group.tags, "owner": "someone-else"}
    resources.resource_groups.create_or_update(env.resource_group, {"location": group.location, "tags": tags})
    assert opsctl("drift", *where).code == exitcodes.DRIFT
