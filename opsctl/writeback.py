"""Config write-back: after an imperative change succeeds, record it in `Pulumi.<stack>.yaml`.

Without this, the next `pulumi up` would put the old value back (ops-pitfalls C-4, P-3). Under the
stack's lock, the file is read again (so keys another writer or a hand edit changed meanwhile
survive), edited in place with ruamel.yaml (comments and key order survive), re-validated (a
write-back never leaves an invalid stack file behind) and replaced atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from infra.settings import SettingsError, StackSettings
from infra.stackfile import StackFile
from opsctl.errors import OpsError
from opsctl.stacklock import stack_lock


@dataclass(frozen=True)
class Named:
    """The list entry whose `name` is this (case-insensitive), found when the change is applied."""

    name: str


@dataclass(frozen=True)
class ConfigChange:
    """`ragstack:<key>` at `path` becomes `value`."""

    key: str
    path: tuple[str | int | Named, ...]
    value: Any

    @property
    def label(self) -> str:
        tail = "".join(f".{p}" if isinstance(p, str) else f"[{_index_label(p)}]" for p in self.path)
        return f"ragstack:{self.key}{tail}"

    def resolve(self, stack_file: StackFile) -> ConfigChange:
        """The same change with named list entries turned into their position in `stack_file`."""
        node: Any = stack_file.config.get(f"ragstack:{self.key}")
        path: list[str | int | Named] = []
        for part in self.path:
            if isinstance(part, Named):
                part = _position(node, part, stack_file)
            path.append(part)
            node = _child(node, part)
        return replace(self, path=tuple(path))


def _index_label(part: int | Named) -> str:
    return str(part) if isinstance(part, int) else part.name


def _position(node: Any, part: Named, stack_file: StackFile) -> int:
    for index, entry in enumerate(node if isinstance(node, list) else []):
        if isinstance(entry, dict) and str(entry.get("name", "")).lower() == part.name.lower():
            return index
    raise OpsError(
        f"'{part.name}' is no longer declared in {stack_file.path.name}; nothing written back",
        hint="the Azure change succeeded; record it in the stack file by hand",
    )


def _child(node: Any, part: str | int | Named) -> Any:
    try:
        return node[part]
    except (KeyError, IndexError, TypeError):
        return None


def deployment_change(stack_file: StackFile, deployment: str, field: str, value: Any) -> ConfigChange:
    """A change to one model deployment, addressed by its name (re-found when written back)."""
    deployments = (stack_file.config.get("ragstack:openai") or {}).get("deployments") or []
    if not any(str(entry.get("name", "")).lower() == deployment.lower() for entry in deployments):
        raise OpsError(
            f"deployment '{deployment}' is not declared in {stack_file.path.name}",
            hint="add it under ragstack:openai.deployments first",
        )
    return ConfigChange("openai", ("deployments", Named(deployment), field), value)


def write_back(stack_file: StackFile, changes: Sequence[ConfigChange]) -> list[str]:
    """Apply `changes` to the stack file as it is now and save it; returns the labels written."""

    def apply(fresh: StackFile) -> list[str]:
        labels = []
        for change in changes:
            resolved = change.resolve(fresh)
            fresh.set(f"ragstack:{resolved.key}", resolved.path, resolved.value)  # type: ignore[arg-type]
            labels.append(resolved.label)
        return labels

    return edit_stack_file(stack_file, apply)


def edit_stack_file(stack_file: StackFile, edit: Callable[[StackFile], list[str]]) -> list[str]:
    """Under the stack's lock: re-read the file, `edit` it, validate, replace it atomically.
    `edit` returns what it changed; nothing is written when that is empty."""
    with stack_lock(stack_file.path):
        try:
            fresh = StackFile.load(stack_file.path)
        except SettingsError as exc:
            raise OpsError(
                f"cannot write back: {exc.one_line()}",
                hint="the Azure change succeeded; fix the file by hand",
            ) from None
        labels = edit(fresh)
        if not labels:
            return []
        try:
            StackSettings.from_config(fresh.config, stack=fresh.stack)
        except SettingsError as exc:
            raise OpsError(
                f"write-back would make {fresh.path.name} invalid: {exc.one_line()}",
                hint="the Azure change succeeded; fix the stack file by hand",
            ) from None
        fresh.save()
        stack_file.document = fresh.document
    return labels


def record_access(
    stack_file: StackFile, *, principal_id: str, principal_type: str, preset: str, granted: bool
) -> list[str]:
    """Add (grant) or remove (revoke) the `ragstack:access` entry, so drift stays quiet and
    `pulumi up` manages the assignment from now on."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def edit(fresh: StackFile) -> list[str]:
        config = fresh.document.setdefault("config", CommentedMap())
        entries = config.setdefault("ragstack:access", CommentedSeq())
        matches = [
            i
            for i, entry in enumerate(entries)
            if str(entry.get("principalId", "")).lower() == principal_id.lower()
            and entry.get("preset") == preset
        ]
        if granted and not matches:
            entries.append(
                CommentedMap(principalId=principal_id, principalType=principal_type, preset=preset)
            )
        elif not granted and matches:
            for index in reversed(matches):
                del entries[index]
            if not entries:
                del config["ragstack:access"]
        else:
            return []
        return [f"ragstack:access ({'added' if granted else 'removed'} {preset} for {principal_id})"]

    return edit_stack_file(stack_file, edit)
