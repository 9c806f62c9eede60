"""Search index schemas: validation of a definition and the changes Azure refuses in place.

Rules (REST "Create Index"/"Update Index", api 2025-09-01):
- exactly one key field, of type Edm.String;
- vector fields are `Collection(Edm.Single)` (or the narrow types) with `dimensions` (at most
  `MAX_VECTOR_DIMENSIONS`) and a `vectorSearchProfile` naming a profile whose `algorithm` names
  an HNSW or exhaustiveKnn configuration;
- an update may add fields and change profiles, semantic and scoring configuration, but an
  existing field's type or attributes cannot change: 400 OperationNotAllowed /
  CannotChangeExistingField "Existing field 'x' cannot be changed." (live bodies quoted in
  MicrosoftLearning/mslearn-knowledge-mining#23 and mem0ai/mem0#2431). Removing a field is refused
  as well (feature23/AzureSearchEmulator#32); [unverified] the exact text for a removal, the
  sandbox gives the same error naming the removed field.
"""

from __future__ import annotations

import re
from typing import Any

from infra.catalog.search import (
    FIELD_TYPES,
    KEY_FIELD_TYPE,
    MAX_VECTOR_DIMENSIONS,
    MIN_VECTOR_DIMENSIONS,
    REBUILD_FIELD_ATTRIBUTES,
    VECTOR_ALGORITHM_KINDS,
    VECTOR_FIELD_TYPES,
)
from sandbox.dataplane import DataPlaneError

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,126}[a-z0-9]?$")


def invalid(message: str) -> DataPlaneError:
    # Validation failures come back as 400 with an empty code and the reason (MicrosoftLearning
    # AI-102-AIEngineer#62 shows `{"error":{"code":"","message":...}}` for a bad definition).
    return DataPlaneError(400, "", message)


def is_vector(field: dict[str, Any]) -> bool:
    return field.get("type") in VECTOR_FIELD_TYPES and field.get("dimensions") is not None


def validate_index(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The stored definition of index `name`, or a 400 naming the first problem."""
    if not _NAME.match(name) or "--" in name:
        raise invalid(
            f"Invalid index name '{name}'. Index names must only contain lowercase letters, digits or "
            "dashes, cannot start or end with dashes and are limited to 128 characters."
        )
    fields = doc.get("fields")
    if not isinstance(fields, list) or not fields:
        raise invalid("The request is invalid. Details: index : The index must have at least one field.")
    seen: set[str] = set()
    for f in fields:
        _check_field(f, doc, seen)
    keys = [f["name"] for f in fields if f.get("key")]
    if len(keys) != 1:
        raise invalid("The request is invalid. Details: index : The index must have exactly one key field.")
    key = next(f for f in fields if f.get("key"))
    if key.get("type") != KEY_FIELD_TYPE:
        raise invalid(f"The key field '{key['name']}' must be of type {KEY_FIELD_TYPE}.")
    stored = {k: v for k, v in doc.items() if not k.startswith("@odata")}
    stored["name"] = name
    stored.setdefault("scoringProfiles", [])
    stored.setdefault("semantic", None)
    stored.setdefault("vectorSearch", None)
    return stored


def _check_field(f: Any, doc: dict[str, Any], seen: set[str]) -> None:
    if not isinstance(f, dict) or not f.get("name"):
        raise invalid("The request is invalid. Details: index : Every field must have a name.")
    name, ftype = str(f["name"]), f.get("type")
    if name.lower() in seen:
        raise invalid(f"The request is invalid. Details: index : Field '{name}' is defined more than once.")
    seen.add(name.lower())
    inner = (
        ftype[len("Collection(") : -1]
        if isinstance(ftype, str) and ftype.startswith("Collection(")
        else ftype
    )
    if ftype not in VECTOR_FIELD_TYPES and inner not in FIELD_TYPES:
        raise invalid(
            f"The request is invalid. Details: index : Field '{name}' has an invalid type '{ftype}'."
        )
    if f.get("dimensions") is None and f.get("vectorSearchProfile") is None:
        return
    if ftype not in VECTOR_FIELD_TYPES:
        raise invalid(f"Field '{name}' has dimensions but type '{ftype}' is not a vector type.")
    dims = f.get("dimensions")
    if not isinstance(dims, int) or not MIN_VECTOR_DIMENSIONS <= dims <= MAX_VECTOR_DIMENSIONS:
        raise invalid(
            f"Field '{name}': vector dimensions must be between {MIN_VECTOR_DIMENSIONS} and "
            f"{MAX_VECTOR_DIMENSIONS}, not {dims}."
        )
    _check_profile(name, f.get("vectorSearchProfile"), doc.get("vectorSearch") or {})


def _check_profile(field: str, profile: Any, vector_search: dict[str, Any]) -> None:
    profiles = {p.get("name"): p for p in vector_search.get("profiles") or []}
    if profile not in profiles:
        raise invalid(
            f"Field '{field}' references vector search profile '{profile}' which is not defined in the index."
        )
    algorithms = {a.get("name"): a for a in vector_search.get("algorithms") or []}
    algo = algorithms.get(profiles[profile].get("algorithm"))
    if algo is None or algo.get("kind") not in VECTOR_ALGORITHM_KINDS:
        raise invalid(
            f"Vector search profile '{profile}' references algorithm configuration "
            f"'{profiles[profile].get('algorithm')}' which is not defined "
            f"(kinds: {', '.join(VECTOR_ALGORITHM_KINDS)})."
        )


def check_update(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Refuse what Azure cannot change in place: an existing field's layout, a removed field."""
    new_fields = {f["name"]: f for f in new["fields"]}
    for f in old["fields"]:
        changed = f["name"] not in new_fields or any(
            _norm(f.get(a)) != _norm(new_fields[f["name"]].get(a)) for a in REBUILD_FIELD_ATTRIBUTES
        )
        if changed:
            text = f"Existing field '{f['name']}' cannot be changed."
            raise DataPlaneError(
                400,
                "OperationNotAllowed",
                text,
                details=[{"code": "CannotChangeExistingField", "message": text}],
            )


def _norm(value: Any) -> Any:
    """Unset and false/empty mean the same for an attribute."""
    return value or None


def field_map(index: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in index["fields"]}


def key_field(index: dict[str, Any]) -> str:
    return str(next(f["name"] for f in index["fields"] if f.get("key")))


def searchable_fields(index: dict[str, Any]) -> list[str]:
    return [
        f["name"]
        for f in index["fields"]
        if f.get("searchable", True) and f.get("type") in ("Edm.String", "Collection(Edm.String)")
    ]


def vector_fields(index: dict[str, Any]) -> dict[str, int]:
    return {f["name"]: int(f["dimensions"]) for f in index["fields"] if is_vector(f)}
