"""Search index definitions kept as code: the files `ragstack:rag.indexes` lists, each the body of
AI Search's Create Index REST call in YAML or JSON (the shape the portal exports and the SDK's
`SearchIndex` model reads), validated offline before any call.

Validation reads the facts in `infra.catalog.search` (the types, algorithms and limits the service
accepts, which the sandbox reads too) and the stack's embedding deployment (`infra.rag`): each
problem is one line naming the file, the JSON path and what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from infra import rag
from infra.catalog.search import (
    KEY_FIELD_TYPE,
    MAX_VECTOR_DIMENSIONS,
    MIN_VECTOR_DIMENSIONS,
    VECTOR_ALGORITHM_KINDS,
    VECTOR_FIELD_TYPES,
    all_field_types,
)
from opsctl.errors import InvalidInput

if TYPE_CHECKING:
    from infra.settings import StackSettings
    from opsctl.environment import Environment

MAX_INDEX_FILE_BYTES = 1024 * 1024
SEMANTIC_FIELD_REFS = ("titleField", "prioritizedContentFields", "prioritizedKeywordsFields")


@dataclass(frozen=True)
class IndexDefinition:
    name: str
    path: Path
    body: dict[str, Any]
    where: str = ""

    @property
    def label(self) -> str:
        return self.where or str(self.path)


@dataclass(frozen=True)
class EmbeddingModel:
    """What a vector field's `dimensions` must equal: the stack's embedding deployment's model."""

    deployment: str
    model: str
    dimensions: int


def project_dir(env: Environment) -> Path:
    return env.stack_file.path.parent


def embedding_model(settings: StackSettings) -> EmbeddingModel | None:
    deployment = rag.embedding_deployment(settings)
    if deployment is None:
        return None
    return EmbeddingModel(deployment.name, deployment.model, rag.embedding_dimensions(deployment))


def load_index_definitions(env: Environment) -> list[IndexDefinition]:
    """Every index the stack declares, read, parsed and validated; a bad one is one line."""
    return declared_indexes(env.settings, project_dir(env))


def declared_indexes(settings: StackSettings, root: Path, *, validate: bool = True) -> list[IndexDefinition]:
    definitions = read_index_files(settings, root)
    if validate:
        model = embedding_model(settings)
        for definition in definitions:
            problems = index_problems(definition.body, model)
            if problems:
                raise InvalidInput(f"{definition.label}: {problems[0]}")
    return definitions


def read_index_files(settings: StackSettings, root: Path) -> list[IndexDefinition]:
    """The declared files, read and parsed (not validated); a duplicate name is one line."""
    definitions: list[IndexDefinition] = []
    for entry in settings.rag.indexes:
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
    return IndexDefinition(name, path, body, label)


def _parse(text: str, label: str, *, json_file: bool) -> dict[str, Any]:
    try:
        body = json.loads(text) if json_file else YAML(typ="safe", pure=True).load(text)
    except (ValueError, YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise InvalidInput(f"{label}: not valid {'JSON' if json_file else 'YAML'} ({first})") from None
    if not isinstance(body, dict):
        raise InvalidInput(f"{label}: must be a mapping (the Create Index request body)")
    return body


# -- validation ------------------------------------------------------------------------------------
def index_problems(body: dict[str, Any], model: EmbeddingModel | None) -> list[str]:
    """Every problem of one definition, each `<JSON path>: <what>; <what is allowed>`, in file order.
    `model` None (no single embedding deployment) skips the dimensions-match rule."""
    fields = body.get("fields")
    if not isinstance(fields, list) or not fields:
        return ["$.fields: required, a non-empty list of fields"]
    problems = list(_field_problems(fields, "$.fields", model))
    problems += _key_problems(fields)
    problems += _vector_search_problems(body.get("vectorSearch"), fields)
    problems += _semantic_problems(body.get("semantic"), fields)
    return problems


def _field_problems(fields: list[Any], path: str, model: EmbeddingModel | None) -> Iterator[str]:
    seen: dict[str, int] = {}
    for i, field in enumerate(fields):
        at = f"{path}[{i}]"
        if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not field["name"]:
            yield f"{at}: a field needs a name (a mapping with name and type)"
            continue
        name = field["name"]
        if name.lower() in seen:
            first = seen[name.lower()]
            yield (
                f"{at}.name: '{name}' duplicates {path}[{first}] ('{fields[first]['name']}'); "
                "field names are unique, ignoring case"
            )
        seen.setdefault(name.lower(), i)
        yield from _type_problems(field, at, model)


def _type_problems(field: dict[str, Any], at: str, model: EmbeddingModel | None) -> Iterator[str]:
    ftype = field.get("type")
    if ftype not in all_field_types():
        yield (
            f"{at}.type: unknown type {ftype!r}; allowed: {', '.join(all_field_types())} "
            "(learn.microsoft.com/rest/api/searchservice/supported-data-types)"
        )
        return
    if ftype in ("Edm.ComplexType", "Collection(Edm.ComplexType)"):
        sub = field.get("fields")
        if not isinstance(sub, list) or not sub:
            yield f"{at}.fields: a {ftype} field needs its sub-fields"
        else:
            yield from _field_problems(sub, f"{at}.fields", model)
        return
    if ftype in VECTOR_FIELD_TYPES:
        yield from _dimension_problems(field.get("dimensions"), at, model)
    elif field.get("dimensions") is not None:
        yield f"{at}.dimensions: only vector fields ({', '.join(VECTOR_FIELD_TYPES)}) have dimensions"


def _dimension_problems(dims: Any, at: str, model: EmbeddingModel | None) -> Iterator[str]:
    span = f"{MIN_VECTOR_DIMENSIONS}-{MAX_VECTOR_DIMENSIONS}"
    if isinstance(dims, bool) or not isinstance(dims, int):
        yield f"{at}.dimensions: required for a vector field, an integer {span}; got {dims!r}"
    elif not MIN_VECTOR_DIMENSIONS <= dims <= MAX_VECTOR_DIMENSIONS:
        yield f"{at}.dimensions: {dims} is outside {span} (the service's limit per vector field)"
    elif model is not None and dims != model.dimensions:
        yield (
            f"{at}.dimensions: {dims} does not match the embedding deployment '{model.deployment}' "
            f"({model.model}, {model.dimensions} dimensions); allowed: {model.dimensions}"
        )


def _key_problems(fields: list[Any]) -> list[str]:
    keys = [(i, f) for i, f in enumerate(fields) if isinstance(f, dict) and f.get("key") is True]
    if not keys:
        return [f"$.fields: no key field; exactly one field needs key: true (type {KEY_FIELD_TYPE})"]
    if len(keys) > 1:
        at = ", ".join(f"$.fields[{i}]" for i, _ in keys)
        return [f"{at}: several key fields; exactly one field may have key: true"]
    i, key = keys[0]
    if key.get("type") != KEY_FIELD_TYPE:
        return [f"$.fields[{i}].type: the key field is {key.get('type')!r}; allowed: {KEY_FIELD_TYPE}"]
    return []


def _named(items: Any) -> dict[str, int]:
    if not isinstance(items, list):
        return {}
    return {str(x["name"]): i for i, x in enumerate(items) if isinstance(x, dict) and "name" in x}


def _dangling(
    items: list[tuple[int, Any]], path: str, key: str, names: dict[str, int], section: str
) -> list[str]:
    """Each item's `key` that names nothing in `$.vectorSearch.<section>`."""
    problems = []
    for i, item in items:
        ref = item.get(key) if isinstance(item, dict) else None
        if ref not in names:
            problems.append(
                f"{path}[{i}].{key}: {ref!r} names nothing in $.vectorSearch.{section}; "
                f"defined: {', '.join(names) or 'none'}"
            )
    return problems


def _vector_search_problems(vector_search: Any, fields: list[Any]) -> list[str]:
    vs = vector_search if isinstance(vector_search, dict) else {}
    profiles, algorithms = vs.get("profiles") or [], vs.get("algorithms") or []
    profile_names, algorithm_names = _named(profiles), _named(algorithms)
    vector_fields = [
        (i, f) for i, f in enumerate(fields) if isinstance(f, dict) and f.get("type") in VECTOR_FIELD_TYPES
    ]
    problems = _dangling(vector_fields, "$.fields", "vectorSearchProfile", profile_names, "profiles")
    problems += _dangling(
        list(enumerate(profiles)), "$.vectorSearch.profiles", "algorithm", algorithm_names, "algorithms"
    )
    for i, algorithm in enumerate(algorithms):
        kind = algorithm.get("kind") if isinstance(algorithm, dict) else None
        if kind not in VECTOR_ALGORITHM_KINDS:
            problems.append(
                f"$.vectorSearch.algorithms[{i}].kind: {kind!r}; allowed: {', '.join(VECTOR_ALGORITHM_KINDS)}"
            )
    return problems


def _semantic_problems(semantic: Any, fields: list[Any]) -> list[str]:
    configurations = semantic.get("configurations") if isinstance(semantic, dict) else None
    names = [str(f["name"]) for f in fields if isinstance(f, dict) and "name" in f]
    problems = []
    for i, config in enumerate(configurations or []):
        prioritized = config.get("prioritizedFields") if isinstance(config, dict) else None
        for at, name in _semantic_refs(
            prioritized or {}, f"$.semantic.configurations[{i}].prioritizedFields"
        ):
            if name not in names:
                problems.append(f"{at}: {name!r} names no field; fields: {', '.join(names)}")
    return problems


def _semantic_refs(prioritized: dict[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    for key in SEMANTIC_FIELD_REFS:
        value = prioritized.get(key)
        refs = [(f"{path}.{key}", value)] if isinstance(value, dict) else []
        if isinstance(value, list):
            refs = [(f"{path}.{key}[{j}]", v) for j, v in enumerate(value) if isinstance(v, dict)]
        for at, ref in refs:
            yield f"{at}.fieldName", ref.get("fieldName")
