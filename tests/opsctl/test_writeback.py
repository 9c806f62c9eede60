"""Config write-back keeps comments, order and validity of the stack file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.stackfile import StackFile
from opsctl.errors import OpsError
from opsctl.writeback import ConfigChange, deployment_change, record_access, write_back

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev_file(tmp_path: Path) -> StackFile:
    path = tmp_path / "Pulumi.dev.yaml"
    shutil.copy(ROOT / "Pulumi.dev.yaml", path)
    return StackFile.load(path)


def _comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def test_scale_write_back_changes_only_the_value_and_keeps_comments(dev_file: StackFile) -> None:
    before = dev_file.path.read_text()
    written = write_back(dev_file, [ConfigChange("search", ("replicas",), 3)])
    after = dev_file.path.read_text()

    assert written == ["ragstack:search.replicas"]
    assert _comment_lines(after) == _comment_lines(before)
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [("    replicas: 1", "    replicas: 3")]
    assert StackFile.load(dev_file.path).settings().search.replicas == 3


def test_deployment_capacity_is_addressed_by_name(dev_file: StackFile) -> None:
    change = deployment_change(dev_file, "EMBEDDING", "capacity", 25)
    write_back(dev_file, [change])

    settings = StackFile.load(dev_file.path).settings()
    capacities = {d.name: d.capacity for d in settings.openai.deployments}
    assert capacities["embedding"] == 25
    assert capacities["chat"] == 10


def test_unknown_deployment_is_refused(dev_file: StackFile) -> None:
    with pytest.raises(OpsError, match="'nope' is not declared"):
        deployment_change(dev_file, "nope", "capacity", 5)


def test_write_back_never_leaves_an_invalid_file(dev_file: StackFile) -> None:
    before = dev_file.path.read_text()
    with pytest.raises(OpsError, match=r"ragstack:search.replicas = 9"):
        write_back(dev_file, [ConfigChange("search", ("replicas",), 9)])
    assert dev_file.path.read_text() == before


def test_write_back_creates_keys_the_profile_defaulted(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.lean.yaml"
    path.write_text("# lean stack\nconfig:\n  ragstack:location: eastus2  # region\n")
    stack_file = StackFile.load(path)
    write_back(stack_file, [ConfigChange("app", ("maxReplicas",), 7)])

    text = path.read_text()
    assert "# lean stack" in text and "# region" in text
    assert StackFile.load(path).settings().app.max_replicas == 7


def test_access_is_recorded_and_removed(dev_file: StackFile) -> None:
    principal = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    assert record_access(
        dev_file, principal_id=principal, principal_type="Group", preset="reader", granted=True
    )
    grants = StackFile.load(dev_file.path).settings().access
    assert ("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "reader") in {(g.principal_id, g.preset) for g in grants}

    again = StackFile.load(dev_file.path)
    assert (
        record_access(again, principal_id=principal, principal_type="Group", preset="reader", granted=True)
        == []
    )
    record_access(again, principal_id=principal, principal_type="Group", preset="reader", granted=False)
    remaining = StackFile.load(dev_file.path).settings().access
    assert principal not in {g.principal_id for g in remaining}
    assert len(remaining) == 1
