"""Bad input through the real CLI: refused with one bounded line, before any ARM write (issue 9, item 6).

Each test reproduces one defect found by the bad-input campaign; the stack file is edited the way an
operator would (a YAML edit), then the command runs in-process against the sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.catalog.cognitive import quota_usage_name
from infra.stackfile import StackFile

WRITES = ("PUT", "PATCH", "POST", "DELETE")
MAX_LINE = 1000
MINI = quota_usage_name("GlobalStandard", "gpt-4o-mini")


def arm_writes(sandbox) -> list[dict]:
    return [r for r in sandbox.requests.list() if r["method"] in WRITES]


def one_line(result) -> str:
    """The single error line of a refused command; fails on tracebacks and multi-line output."""
    assert result.code != 0, result.out
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ") and len(lines[0]) <= MAX_LINE, lines[0]
    return lines[0]


def set_config(project: Path, key: str, path: tuple[str | int, ...], value) -> None:
    stack_file = StackFile.load(project / "Pulumi.dev.yaml")
    stack_file.set(key, path, value)
    stack_file.save()


@pytest.mark.parametrize(
    ("key", "path", "shown"),
    [
        ("ragstack:search", ("replicas",), "ragstack:search.replicas = True"),
        ("ragstack:search", ("partitions",), "ragstack:search.partitions = True"),
        ("ragstack:openai", ("deployments", 0, "capacity"), "ragstack:openai.deployments[0].capacity = True"),
        ("ragstack:app", ("minReplicas",), "ragstack:app.minReplicas = True"),
        ("ragstack:app", ("maxReplicas",), "ragstack:app.maxReplicas = True"),
        ("ragstack:app", ("targetPort",), "ragstack:app.targetPort = True"),
        ("ragstack:app", ("cpu",), "ragstack:app.cpu = True"),
        ("ragstack:logRetentionDays", (), "ragstack:logRetentionDays = True"),
    ],
)
def test_a_bool_is_never_taken_as_a_number(project, opsctl, key, path, shown) -> None:
    set_config(project, key, path, True)
    line = one_line(opsctl("plan", "--stack", "dev", "--project-dir", str(project)))
    assert shown in line and "not a boolean" in line


def test_numbers_pulumi_stores_as_text_are_still_numbers(project, opsctl) -> None:
    """`pulumi config set ragstack:logRetentionDays 60` stores "60": top-level entries are always
    strings (pulumi.com/docs/iac/cli/commands/pulumi_config_set)."""
    set_config(project, "ragstack:logRetentionDays", (), "60")
    result = opsctl("plan", "--stack", "dev", "--project-dir", str(project), "-o", "json")
    assert result.code == 0, result.err


def test_env_keys_are_reported_as_written(project, opsctl) -> None:
    set_config(project, "ragstack:app", ("env", "LOG_LEVEL"), 5)
    line = one_line(opsctl("plan", "--stack", "dev", "--project-dir", str(project)))
    assert "ragstack:app.env.LOG_LEVEL = 5" in line


def test_tag_keys_are_reported_as_written(project, opsctl) -> None:
    set_config(project, "ragstack:tags", ("cost_center",), ["a"])
    line = one_line(opsctl("plan", "--stack", "dev", "--project-dir", str(project)))
    assert "ragstack:tags.cost_center = ['a']" in line


def test_an_image_in_settings_follows_the_set_image_rule(live, opsctl) -> None:
    set_config(live.project, "ragstack:app", ("image",), "NOT A IMAGE")
    start = len(arm_writes(live.sandbox))
    line = one_line(opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project)))
    assert "ragstack:app.image = 'NOT A IMAGE'" in line and "tag or digest" in line
    assert len(arm_writes(live.sandbox)) == start


def test_up_checks_quota_before_the_first_write(sandbox, project, opsctl, monkeypatch) -> None:
    """Found writing 17 resources, then failing on InsufficientQuota at the first deployment."""
    import os

    home = Path(sandbox.state_dir)
    sandbox.connection.save(
        home / "sandbox.json",
        pid=os.getpid(),
        time_scale=sandbox.time_scale,
        virtual_clock=sandbox.virtual_clock,
    )
    monkeypatch.setenv("RAGSTACK_SANDBOX_HOME", str(home))
    # Azure lists every model's bucket in the region; the sandbox lists configured or used ones.
    sandbox.set_quota("Microsoft.CognitiveServices", "eastus2", MINI, 1000)
    set_config(project, "ragstack:openai", ("deployments", 0, "capacity"), 1_000_000_000_000)
    line = one_line(opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(project)))
    assert "[InsufficientQuota]" in line and MINI in line
    assert arm_writes(sandbox) == []


def test_up_counts_live_capacity_when_a_deployment_grows(live, opsctl) -> None:
    set_config(live.project, "ragstack:openai", ("deployments", 1, "capacity"), 1_000_000_000)
    start = len(arm_writes(live.sandbox))
    line = one_line(opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project)))
    assert "[InsufficientQuota]" in line and "OpenAI.Standard.text-embedding-3-small" in line
    assert len(arm_writes(live.sandbox)) == start


def test_a_non_utf8_stack_file_is_one_line(project, opsctl) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_bytes(path.read_bytes() + b"\n# caf\xe9\n")
    line = one_line(opsctl("plan", "--stack", "dev", "--project-dir", str(project)))
    assert "Pulumi.dev.yaml" in line and "not UTF-8" in line


def test_a_stack_file_that_is_a_directory_is_one_line(project, opsctl) -> None:
    path = project / "Pulumi.dev.yaml"
    path.unlink()
    path.mkdir()
    line = one_line(opsctl("plan", "--stack", "dev", "--project-dir", str(project)))
    assert "Pulumi.dev.yaml" in line and "directory" in line


def test_an_oversized_stack_file_is_refused_unread(project, opsctl) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "#" * 2_000_000 + "\n")
    line = one_line(opsctl("plan", "--stack", "dev", "--project-dir", str(project)))
    assert "Pulumi.dev.yaml" in line and "limit" in line


def alias_bomb(levels: int = 9) -> str:
    lines = ['    l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"    l{level}: &l{level} [{refs}]")
    return "\n".join(lines)


def test_a_yaml_alias_bomb_is_refused_in_one_short_line(project, opsctl) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "  ragstack:names:\n" + alias_bomb() + "\n")
    line = one_line(opsctl("plan", "--stack", "dev", "--project-dir", str(project)))
    assert "alias" in line


def test_a_long_bad_value_is_echoed_truncated(project, opsctl) -> None:
    set_config(project, "ragstack:environment", (), "x" * 50_000)
    line = one_line(opsctl("plan", "--stack", "dev", "--project-dir", str(project)))
    assert "ragstack:environment = 'xxx" in line and "..." in line


def test_usage_errors_are_one_line_with_exit_2(project, opsctl) -> None:
    result = opsctl("scale", "search", "--stack", "dev", "--replicas", "two")
    assert result.code == 2
    line = one_line(result)
    assert "--replicas" in line and "'two' is not a valid" in line


def test_teardown_errors_stay_on_one_line_at_any_width(live, opsctl, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    env = live.env()
    live.sandbox.faults.error(
        500,
        "InternalServerError",
        "the resource group could not be deleted because of a transient backend failure",
        path=f"(?i).*/resourcegroups/{env.resource_group}$",
        method="DELETE",
        times=None,
    )
    result = opsctl("teardown", "--stack", "dev", "--yes", "--project-dir", str(live.project))
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if "InternalServerError" in line]
    assert len(errors) == 1, result.err
    assert "transient backend failure" in errors[0]
