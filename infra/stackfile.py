"""Reading and rewriting `Pulumi.<stack>.yaml` with comments and key order preserved (ruamel.yaml).

`opsctl` loads settings through here and writes operational changes back (scale, image) so the next
`pulumi up` keeps them instead of reverting them.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from infra.settings import SettingsError, StackSettings


def stack_file_path(stack: str, project_dir: Path | str = ".") -> Path:
    """Where Pulumi keeps the stack's config."""
    return Path(project_dir) / f"Pulumi.{stack}.yaml"


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


class StackFile:
    """One stack file as a round-trippable document."""

    def __init__(self, path: Path, document: CommentedMap) -> None:
        self.path = path
        self.document = document

    @property
    def stack(self) -> str:
        return self.path.name.removeprefix("Pulumi.").removesuffix(".yaml")

    @classmethod
    def load(cls, path: Path | str) -> StackFile:
        """Parse the file; a missing file or broken YAML is a one-line SettingsError."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            known = sorted(
                p.name.removeprefix("Pulumi.").removesuffix(".yaml")
                for p in path.parent.glob("Pulumi.*.yaml")
            )
            stacks = ", ".join(known) or "none"
            problem = f"stack file not found in {path.parent.resolve()} (stacks there: {stacks})"
            raise SettingsError("", None, problem, source=path.name) from None
        try:
            document = _yaml().load(text) or CommentedMap()
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "document"
            problem = f"broken YAML: {getattr(exc, 'problem', None) or exc}"
            raise SettingsError(where, "", problem, source=str(path)) from None
        if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
            raise SettingsError("config", "", "must be a mapping of keys", source=str(path))
        return cls(path, document)  # type: ignore[arg-type]

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.document.get("config") or {})

    def settings(self) -> StackSettings:
        """Typed, validated settings; errors name this file."""
        try:
            return StackSettings.from_config(self.config, stack=self.stack)
        except SettingsError as exc:
            raise exc.with_source(self.path.name) from None

    def set(self, key: str, path: tuple[str | int, ...], value: Any) -> None:
        """Set `config[key][path...] = value`, creating mappings on the way, keeping comments."""
        config = self.document.setdefault("config", CommentedMap())
        if not path:
            config[key] = value
            return
        node = config.setdefault(key, CommentedMap())
        for part in path[:-1]:
            node = node[part] if isinstance(part, int) else node.setdefault(part, CommentedMap())
        node[path[-1]] = value

    def save(self) -> None:
        """Write back atomically: a temp file of this writer's own (two writers never share one),
        then `os.replace`, so a reader sees the old file or the new one, never half of either."""
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                _yaml().dump(self.document, handle)
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IMODE(self.path.stat().st_mode))
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def load_settings(stack: str, project_dir: Path | str = ".") -> StackSettings:
    """Settings of `stack` from its file in `project_dir`."""
    return StackFile.load(stack_file_path(stack, project_dir)).settings()
