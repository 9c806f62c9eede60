"""Search index definitions kept as code: the files `ragstack:rag.indexes` lists, each the body of
AI Search's Create Index REST call in YAML or JSON (the shape the portal exports and the SDK's
`SearchIndex.deserialize` reads)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from opsctl.errors import InvalidInput

if TYPE_CHECKING:
    from opsctl.environment import Environment

MAX_INDEX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    path: Path
    body: dict[str, Any]


def project_dir(env: Environment) -> Path:
    return env.stack_file.path.parent


def load_index_definitions(env: Environment) -> list[IndexDefinition]:
    """Every index the stack declares, read and parsed; a bad file is one line naming it."""
    root = project_dir(env)
    definitions: list[IndexDefinition] = []
    for entry in env.settings.rag.indexes:
        definition = load_index_file(root / entry, where=entry)
        if any(d.name == definition.name for d in definitions):
            raise InvalidInput(
                f"{entry}: index '{definition.name}' is declared twice in ragstack:rag.indexes"
            )
        definitions.append(definition)
    return definitions


def load_index_file(path: Path, *, where: str | None = None) -> IndexDefinition:
    label = where or str(path)
    try:
        if path.stat().st_size > MAX_INDEX_FILE_BYTES:
            raise InvalidInput(
                f"{label}: larger than {MAX_INDEX_FILE_BYTES} bytes; an index definition is small"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{label}: index definition not found (listed in ragstack:rag.indexes)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{label}: cannot read the index definition ({exc.__class__.__name__})") from None
    body = _parse(text, label, json_file=path.suffix.lower() == ".json")
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{label}: 'name' is required (the index name)")
    return IndexDefinition(name, path, body)


def _parse(text: str, label: str, *, json_file: bool) -> dict[str, Any]:
    try:
        body = json.loads(text) if json_file else YAML(typ="safe", pure=True).load(text)
    except (ValueError, YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise InvalidInput(f"{label}: not valid {'JSON' if json_file else 'YAML'} ({first})") from None
    if not isinstance(body, dict):
        raise InvalidInput(f"{label}: must be a mapping (the Create Index request body)")
    return body
