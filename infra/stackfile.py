"""Reading and rewriting `Pulumi.<stack>.yaml` with comments and key order preserved (ruamel.yaml).

`opsctl` loads settings through here and writes operational changes back (scale, image) so the next
`pulumi up` keeps them instead of reverting them.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from infra.settings import SettingsError, StackSettings

# Our own bounds, far above a real stack file (a few KB, depth < 10, no or few aliases).
MAX_STACK_FILE_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_ALIAS_EXPANSIONS = 1000


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
        """Parse the file; anything unreadable or malformed is a one-line SettingsError."""
        path = Path(path)
        document = _parse(_read_text(path), str(path))
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

    def text(self) -> str:
        """The document as `save` would write it."""
        buffer = io.StringIO()
        _yaml().dump(self.document, buffer)
        return buffer.getvalue()

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


def _read_text(path: Path) -> str:
    """The file as UTF-8 text, refused unread when larger than any stack file needs to be."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError
        if size > MAX_STACK_FILE_BYTES:
            problem = f"{size} bytes; the limit for a stack file is {MAX_STACK_FILE_BYTES}"
            raise SettingsError("", None, problem, source=str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise _not_found(path) from None
    except IsADirectoryError:
        raise SettingsError("", None, "is a directory, not a stack file", source=str(path)) from None
    except OSError as exc:
        raise SettingsError("", None, f"cannot be read: {exc.strerror}", source=str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        raise SettingsError("", None, problem, source=str(path)) from None


def _not_found(path: Path) -> SettingsError:
    known = sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in path.parent.glob("Pulumi.*.yaml")
    )
    stacks = ", ".join(known) or "none"
    problem = f"stack file not found in {path.parent.resolve()} (stacks there: {stacks})"
    return SettingsError("", None, problem, source=path.name)


def _parse(text: str, source: str) -> Any:
    """A fresh document for `text` (callers edit it for write-back): parsed once per process and
    deep-copied after, a tenth of a round-trip parse (an opsctl command reads its stack file several
    times, and the tests run thousands of commands in one process, on copies of the same files)."""
    try:
        if "<<" in text:  # a deep copy spells merged keys out (ruamel): such files are parsed afresh
            return _parsed.__wrapped__(text)
        return copy.deepcopy(_parsed(text))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "document"
        problem = f"broken YAML: {getattr(exc, 'problem', None) or exc}"
        raise SettingsError(where, "", problem, source=source) from None
    except RecursionError:
        raise SettingsError("", None, "broken YAML: nested too deeply", source=source) from None
    except _TooBig as exc:
        raise SettingsError("", None, f"broken YAML: {exc}", source=source) from None


class _TooBig(Exception):
    """Aliases or nesting beyond what a stack file needs (`_expansion_problem`)."""


@functools.lru_cache(maxsize=32)
def _parsed(text: str) -> Any:
    document = _yaml().load(text) or CommentedMap()
    if too_big := _expansion_problem(document):
        raise _TooBig(too_big)
    return document


def _expansion_problem(document: Any) -> str | None:
    """Refuse documents whose aliases expand far beyond their text (a "billion laughs") or that nest
    deeper than settings can: the settings model would walk every expanded value. go-yaml v3 refuses
    the same with "document contains excessive aliasing" (decode.go allowedAliasRatio, the fix of
    CVE-2019-11253); these limits are ours, far above any real stack file."""
    seen: set[int] = set()
    visits = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        visits += 1
        seen.add(id(node))
        if visits - len(seen) > MAX_ALIAS_EXPANSIONS:
            return f"excessive aliasing (aliases expand to more than {MAX_ALIAS_EXPANSIONS} copies)"
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)
    return None


def load_settings(stack: str, project_dir: Path | str = ".") -> StackSettings:
    """Settings of `stack` from its file in `project_dir`."""
    return StackFile.load(stack_file_path(stack, project_dir)).settings()
