"""Offline validation of index definitions (opsctl.indexes): one line per problem, naming the JSON
path and what is allowed, with the facts the sandbox's search service also reads (infra.catalog)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from infra.catalog.search import MAX_VECTOR_DIMENSIONS, VECTOR_FIELD_TYPES, all_field_types
from opsctl.indexes import EmbeddingModel, index_problems

ROOT = Path(__file__).resolve().parents[2]
MODEL = EmbeddingModel("embedding", "text-embedding-3-small", 1536)


def _docs() -> dict[str, Any]:
    return dict(YAML(typ="safe").load((ROOT / "indexes" / "docs.yaml").read_text()))


def _vector(body: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in body["fields"] if f["type"] in VECTOR_FIELD_TYPES)


def test_the_demo_index_is_valid() -> None:
    assert index_problems(_docs(), MODEL) == []


def _break(change: str) -> dict[str, Any]:
    body = _docs()
    if change == "type":
        body["fields"][2]["type"] = "Edm.Text"
    elif change == "duplicate":
        body["fields"].append({"name": "TITLE", "type": "Edm.String"})
    elif change == "no key":
        body["fields"][0]["key"] = False
    elif change == "two keys":
        body["fields"][2]["key"] = True
    elif change == "key type":
        body["fields"][0]["type"] = "Edm.Int32"
    elif change == "dimensions":
        _vector(body)["dimensions"] = 1024
    elif change == "too many dimensions":
        _vector(body)["dimensions"] = MAX_VECTOR_DIMENSIONS + 1
    elif change == "profile":
        _vector(body)["vectorSearchProfile"] = "fast"
    elif change == "algorithm":
        body["vectorSearch"]["profiles"][0]["algorithm"] = "ivf"
    elif change == "semantic":
        body["semantic"]["configurations"][0]["prioritizedFields"]["prioritizedContentFields"][0] = {
            "fieldName": "body"
        }
    return body


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            "type",
            r"\$\.fields\[2\]\.type: unknown type 'Edm.Text'; allowed: Edm.String, .*Edm.Single",
        ),
        (
            "duplicate",
            r"\$\.fields\[7\]\.name: 'TITLE' duplicates \$\.fields\[2\] \('title'\); .*ignoring case",
        ),
        ("no key", r"\$\.fields: no key field; exactly one field needs key: true \(type Edm.String\)"),
        ("two keys", r"\$\.fields\[0\], \$\.fields\[2\]: several key fields"),
        ("key type", r"\$\.fields\[0\]\.type: the key field is 'Edm.Int32'; allowed: Edm.String"),
        (
            "dimensions",
            r"\$\.fields\[6\]\.dimensions: 1024 does not match the embedding deployment 'embedding' "
            r"\(text-embedding-3-small, 1536 dimensions\); allowed: 1536",
        ),
        ("too many dimensions", r"\$\.fields\[6\]\.dimensions: 4097 is outside 2-4096"),
        (
            "profile",
            r"\$\.fields\[6\]\.vectorSearchProfile: 'fast' names nothing in \$\.vectorSearch\.profiles; "
            "defined: default",
        ),
        (
            "algorithm",
            r"\$\.vectorSearch\.profiles\[0\]\.algorithm: 'ivf' names nothing in "
            r"\$\.vectorSearch\.algorithms; defined: hnsw",
        ),
        (
            "semantic",
            r"\$\.semantic\.configurations\[0\]\.prioritizedFields\.prioritizedContentFields\[0\]"
            r"\.fieldName: 'body' names no field",
        ),
    ],
)
def test_each_problem_is_one_line_with_path_and_what_is_allowed(change: str, expected: str) -> None:
    problems = index_problems(_break(change), MODEL)
    assert len(problems) == 1, problems
    assert "\n" not in problems[0]
    assert re.search(expected, problems[0]), problems[0]


def test_without_a_single_embedding_deployment_dimensions_are_only_bounded() -> None:
    body = _break("dimensions")
    assert index_problems(body, None) == []


# -- properties ---------------------------------------------------------------------------------
NAMES = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,10}", fullmatch=True)
SIMPLE = st.sampled_from(
    [t for t in all_field_types() if "ComplexType" not in t and t not in VECTOR_FIELD_TYPES]
)


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """Valid definitions: unique names (ignoring case), one string key, vector fields with the
    model's dimensions and a defined profile, semantic configs naming existing fields."""
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique_by=str.lower))
    fields: list[dict[str, Any]] = [{"name": "id", "type": "Edm.String", "key": True}]
    fields += [{"name": f"f{n}", "type": draw(SIMPLE)} for n in names]
    vectors = draw(st.integers(min_value=0, max_value=2))
    fields += [
        {
            "name": f"v{i}",
            "type": draw(st.sampled_from(VECTOR_FIELD_TYPES)),
            "dimensions": MODEL.dimensions,
            "vectorSearchProfile": "p",
        }
        for i in range(vectors)
    ]
    body: dict[str, Any] = {"name": "ix", "fields": fields}
    if vectors:
        kind = draw(st.sampled_from(["hnsw", "exhaustiveKnn"]))
        body["vectorSearch"] = {
            "algorithms": [{"name": "a", "kind": kind}],
            "profiles": [{"name": "p", "algorithm": "a"}],
        }
    if draw(st.booleans()):
        title = draw(st.sampled_from([f["name"] for f in fields]))
        body["semantic"] = {
            "configurations": [{"name": "s", "prioritizedFields": {"titleField": {"fieldName": title}}}]
        }
    return body


@given(definitions())
def test_valid_definitions_have_no_problems(body: dict[str, Any]) -> None:
    assert index_problems(body, MODEL) == []


@given(definitions(), st.data())
def test_a_duplicate_name_in_any_case_is_found_at_its_path(body: dict[str, Any], data: st.DataObject) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(body["fields"]) - 1))
    twin = copy.deepcopy(body["fields"][i])
    twin["name"] = data.draw(st.sampled_from([twin["name"].upper(), twin["name"].swapcase()]))
    twin.pop("key", None)
    body["fields"].append(twin)
    problems = index_problems(body, MODEL)
    assert any(p.startswith(f"$.fields[{len(body['fields']) - 1}].name:") for p in problems), problems


@given(definitions(), st.text(min_size=1, max_size=20), st.data())
def test_an_unknown_type_is_found_at_its_path(body: dict[str, Any], ftype: str, data: st.DataObject) -> None:
    if ftype in all_field_types():
        return
    i = data.draw(st.integers(min_value=1, max_value=len(body["fields"]) - 1))
    body["fields"][i]["type"] = ftype
    assert f"$.fields[{i}].type: unknown type" in " | ".join(index_problems(body, MODEL))


@given(definitions(), st.integers(min_value=-10, max_value=10_000))
def test_vector_dimensions_other_than_the_models_are_refused(body: dict[str, Any], dims: int) -> None:
    body["fields"].append(
        {"name": "vx", "type": "Collection(Edm.Single)", "dimensions": dims, "vectorSearchProfile": "p"}
    )
    body["vectorSearch"] = {
        "algorithms": [{"name": "a", "kind": "hnsw"}],
        "profiles": [{"name": "p", "algorithm": "a"}],
    }
    problems = [p for p in index_problems(body, MODEL) if ".dimensions" in p]
    assert (problems == []) == (dims == MODEL.dimensions), problems
