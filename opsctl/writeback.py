"""Config write-back: after an imperative change succeeds, record it in `Pulumi.<stack>.yaml`.

Without this, the next `pulumi up` would put the old value back (ops-pitfalls C-4, P-3). The file is
edited in place with ruamel.yaml, so comments and key order survive, and it is re-validated before it
is written so a write-back can never leave an invalid stack file behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infra.settings import SettingsError, StackSettings
from infra.stackfile import StackFile
from opsctl.errors import OpsError


@dataclass(frozen=True)
class ConfigChange:
    """`ragstack:<key>` at `path` becomes `value`."""

    key: str
    path: tuple[str | int, ...]
    value: Any

    @property
    def label(self) -> str:
        tail = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        return f"ragstack:{self.key}{tail}"


def deployment_change(stack_file: StackFile, deployment: str, field: str, value: Any) -> ConfigChange:
    """A change to one model deployment, addressed by its position in the stack file."""
    deployments = (stack_file.config.get("ragstack:openai") or {}).get("deployments") or []
    for index, entry in enumerate(deployments):
        if str(entry.get("name", "")).lower() == deployment.lower():
            return ConfigChange("openai", ("deployments", index, field), value)
    raise OpsError(
        f"deployment '{deployment}' is not declared in {stack_file.path.name}",
        hint="add it under ragstack:openai.deployments first",
    )


def write_back(stack_file: StackFile, changes: Sequence[ConfigChange]) -> list[str]:
    """Apply `changes` to the stack file and save it; returns the labels written."""
    for change in changes:
        stack_file.set(f"ragstack:{change.key}", change.path, change.value)
    try:
        StackSettings.from_config(stack_file.config, stack=stack_file.stack)
    except SettingsError as exc:
        raise OpsError(
            f"write-back would make {stack_file.path.name} invalid: {exc.one_line()}",
            hint="the Azure change succeeded; fix the stack file by hand",
        ) from None
    stack_file.save()
    return [change.label for change in changes]


def record_access(
    stack_file: StackFile, *, principal_id: str, principal_type: str, preset: str, granted: bool
) -> list[str]:
    """Add (grant) or remove (revoke) the `ragstack:access` entry, so drift stays quiet and
    `pulumi up` manages the assignment from now on."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    config = stack_file.document.setdefault("config", CommentedMap())
    entries = config.setdefault("ragstack:access", CommentedSeq())
    matches = [
        i
        for i, entry in enumerate(entries)
        if str(entry.get("principalId", "")).lower() == principal_id.lower() and entry.get("preset") == preset
    ]
    if granted and not matches:
        entries.append(CommentedMap(principalId=principal_id, principalType=principal_type, preset=preset))
    elif not granted and matches:
        for index in reversed(matches):
            del entries[index]
        if not entries:
            del config["ragstack:access"]
    else:
        return []
    write_back(stack_file, [])
    return [f"ragstack:access ({'added' if granted else 'removed'} {preset} for {principal_id})"]
