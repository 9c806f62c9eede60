"""Stack files: load, one-line errors naming the file, and comment-preserving write-back."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings import SettingsError
from infra.stackfile import StackFile, load_settings, stack_file_path
from tests.infra.conftest import ROOT, STACKS


def test_every_repository_stack_file_loads(stack: str) -> None:
    settings = load_settings(stack, ROOT)
    assert settings.stack == stack and settings.environment == stack


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(
        SettingsError, match=r"Pulumi.nope.yaml: stack file not found in .* \(stacks there: none\)"
    ):
        StackFile.load(stack_file_path("nope", tmp_path))


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text("config:\n  ragstack:location: eastus2\n  ragstack:tags: [a\n")
    with pytest.raises(SettingsError) as failure:
        StackFile.load(path)
    assert failure.value.source == str(path) and failure.value.key.startswith("line ")
    assert "broken YAML" in failure.value.problem and "\n" not in str(failure.value)


def test_config_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.list.yaml"
    path.write_text("config:\n  - a\n")
    with pytest.raises(SettingsError, match="config = '': must be a mapping of keys"):
        StackFile.load(path)


def test_settings_errors_carry_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.qa.yaml"
    path.write_text("config:\n  ragstack:location: eastus2\n  ragstack:search:\n    replicas: 13\n")
    with pytest.raises(SettingsError, match=r"^Pulumi.qa.yaml: ragstack:search.replicas = 13: sku 'basic'"):
        StackFile.load(path).settings()


def test_set_and_save_keep_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text((ROOT / "Pulumi.dev.yaml").read_text())
    stack_file = StackFile.load(path)
    stack_file.set("ragstack:search", ("replicas",), 2)
    stack_file.set("ragstack:app", ("image",), "example.azurecr.io/app:2")
    stack_file.set("ragstack:ephemeral", (), True)
    stack_file.save()
    text = path.read_text()
    assert "# opsctl writes scale changes back here" in text
    settings = StackFile.load(path).settings()
    assert settings.search.replicas == 2 and settings.app.image == "example.azurecr.io/app:2"
    assert settings.ephemeral and stack_file.stack == "dev"
    assert list(StackFile.load(path).config)[:3] == list(StackFile.load(ROOT / "Pulumi.dev.yaml").config)[:3]


def test_stack_names_come_from_file_names() -> None:
    assert sorted(STACKS) == sorted(StackFile.load(p).stack for p in ROOT.glob("Pulumi.*.yaml"))


def test_each_load_of_the_same_text_is_its_own_document(tmp_path: Path) -> None:
    """Parses are shared per text within a process; an edit (not saved) must not leak into the
    next load of the same file, nor a save be lost by one."""
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text((ROOT / "Pulumi.dev.yaml").read_text())
    first = StackFile.load(path)
    first.set("ragstack:search", ("replicas",), 3)
    assert StackFile.load(path).config["ragstack:search"].get("replicas") != 3
    first.save()
    assert StackFile.load(path).config["ragstack:search"]["replicas"] == 3


def test_a_save_keeps_merge_keys_and_anchors_as_written(tmp_path: Path) -> None:
    """A deep copy of ruamel's document writes merged keys out and inlines aliases, so a file with
    `<<:` would come back rewritten after an unrelated write-back (seen in review)."""
    path = tmp_path / "Pulumi.dev.yaml"
    extra = "  shared:base: &common\n    owner: team\n  shared:labels:\n    <<: *common\n    env: dev\n"
    path.write_text((ROOT / "Pulumi.dev.yaml").read_text() + extra)
    for _ in range(2):  # the second load is the one a cache would answer
        stack_file = StackFile.load(path)
        stack_file.set("ragstack:location", (), "eastus2")
        stack_file.save()
        assert extra in path.read_text()
