"""`opsctl index apply` end to end: definitions as code against the sandbox's search service, through
the official SDK (azure-search-documents) the CLI uses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ruamel.yaml import YAML

from sandbox.constants import OPERATOR_OBJECT_ID

WRITES = ("create_index", "create_or_update_index", "delete_index")


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every index write the SDK client makes (name of the call and index)."""
    from azure.search.documents.indexes import SearchIndexClient

    calls: list[str] = []
    for name in WRITES:
        original = getattr(SearchIndexClient, name)

        def counted(
            self: Any, index: Any, *args: Any, _name: str = name, _f: Any = original, **kw: Any
        ) -> Any:
            calls.append(f"{_name} {index if isinstance(index, str) else index['name']}")
            return _f(self, index, *args, **kw)

        monkeypatch.setattr(SearchIndexClient, name, counted)
    return calls


def _edit(live: Any, change: Any) -> None:
    path = live.project / "indexes" / "docs.yaml"
    yaml = YAML(typ="safe")
    body = yaml.load(path.read_text())
    change(body)
    with path.open("w") as out:
        yaml.dump(body, out)


def _live_index(live: Any) -> dict[str, Any]:
    from opsctl.dataplane import open_data_plane

    return dict(open_data_plane(live.env(), live.target).search_index_client().get_index("docs").as_dict())


def test_apply_creates_then_a_rerun_is_up_to_date_and_writes_nothing(
    live: Any, opsctl: Any, writes: list[str]
) -> None:
    first = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project))
    assert first.code == 0, first.err
    assert "index docs: created" in first.out
    assert "+ create" in first.out
    assert writes == ["create_or_update_index docs"]
    assert [f["name"] for f in _live_index(live)["fields"]][-1] == "embedding"

    again = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert again.code == 0, again.err
    (plan,) = json.loads(again.out)["indexes"]
    assert plan["action"] == "up to date" and plan["changes"] == []
    assert writes == ["create_or_update_index docs"]


def test_an_added_field_is_applied_in_place_and_dry_run_writes_nothing(
    live: Any, opsctl: Any, writes: list[str]
) -> None:
    assert opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project)).code == 0
    _edit(live, lambda b: b["fields"].append({"name": "lang", "type": "Edm.String", "filterable": True}))

    dry = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project), "--dry-run")
    assert dry.code == 0, dry.err
    assert "fields.lang" in dry.out and "index docs: would update" in dry.out
    assert len(writes) == 1
    assert "lang" not in [f["name"] for f in _live_index(live)["fields"]]

    applied = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project))
    assert applied.code == 0, applied.err
    assert "index docs: updated" in applied.out
    assert "lang" in [f["name"] for f in _live_index(live)["fields"]]


def _with_documents(live: Any, count: int) -> None:
    from opsctl.dataplane import open_data_plane

    env = live.env()
    live.sandbox.grant(OPERATOR_OBJECT_ID, "Search Index Data Contributor", scope=env.scopes()["search"])
    live.sandbox.advance(600)
    client = open_data_plane(env, live.target).search_client("docs")
    client.upload_documents([{"id": str(i), "content": f"text {i}", "chunk": i} for i in range(count)])


def test_a_type_change_is_refused_then_rebuild_says_what_is_lost(
    live: Any, opsctl: Any, writes: list[str]
) -> None:
    assert opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project)).code == 0
    _with_documents(live, 3)

    def retype(body: dict[str, Any]) -> None:
        next(f for f in body["fields"] if f["name"] == "chunk")["type"] = "Edm.Int64"

    _edit(live, retype)
    refused = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project))
    assert refused.code == 1
    (line,) = refused.err.strip().splitlines()[-1:]
    assert "index 'docs': fields.chunk.type" in line and "search-howto-reindex" in line
    assert "--rebuild" in line and "3 documents" in line
    assert len(writes) == 1

    rebuilt = opsctl(
        "index", "apply", "--stack", "dev", "--project-dir", str(live.project), "--rebuild", "--yes"
    )
    assert rebuilt.code == 0, rebuilt.err
    assert "its 3 documents are lost" in rebuilt.err
    assert "index docs: rebuilt" in rebuilt.out
    assert writes[1:] == ["delete_index docs", "create_or_update_index docs"]
    chunk = next(f for f in _live_index(live)["fields"] if f["name"] == "chunk")
    assert chunk["type"] == "Edm.Int64"


def test_a_rebuild_without_yes_asks_and_a_no_keeps_the_index(
    live: Any, opsctl: Any, writes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    assert opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project)).code == 0
    _edit(live, lambda b: b["fields"].pop(2))
    monkeypatch.setattr(typer, "confirm", lambda *a, **k: False)
    answered = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project), "--rebuild")
    assert answered.code == 1
    assert writes == ["create_or_update_index docs"]
    assert "title" in [f["name"] for f in _live_index(live)["fields"]]


def test_a_bad_definition_is_one_line_before_any_call(live: Any, opsctl: Any, writes: list[str]) -> None:
    _edit(live, lambda b: b["fields"][6].update(dimensions=3072))
    result = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project))
    assert result.code == 1
    assert (
        result.err.strip()
        .splitlines()[-1]
        .startswith(
            "error: indexes/docs.yaml: $.fields[6].dimensions: 3072 does not match the embedding deployment"
        )
    )
    assert writes == []


def test_an_unknown_index_name_is_one_line(live: Any, opsctl: Any) -> None:
    result = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project), "--index", "nope")
    assert result.code == 1
    assert "--index: 'nope' is not declared in ragstack:rag.indexes; declared: docs" in result.err


def test_without_a_role_on_search_the_403_names_the_access_command(
    live: Any, opsctl: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = live.env()
    live.sandbox.register_principal(
        "ServicePrincipal",
        object_id="0000aaaa-0000-4000-a000-00000000beef",
        client_id="reader-app",
        secret="s3cret",
        roles=[
            {
                "role": "Reader",
                "scope": f"/subscriptions/{env.subscription_id}/resourceGroups/{env.resource_group}",
            }
        ],
    )
    principal_id = "0000aaaa-0000-4000-a000-00000000beef"
    live.sandbox.advance(600)
    monkeypatch.setenv("AZURE_CLIENT_ID", "reader-app")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s3cret")
    result = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project))
    assert result.code == 1
    line = result.err.strip().splitlines()[-1]
    assert "[PermissionDenied] permission denied by the AI Search service" in line
    assert f"the caller {principal_id} needs role 'Search Service Contributor'" in line
    assert (
        f"opsctl access grant --stack dev --principal {principal_id} --principal-type ServicePrincipal "
        "--preset developer" in line
    )


def test_plan_lists_declared_indexes_and_a_bad_definition_is_a_blocking_finding(
    project: Any, opsctl: Any
) -> None:
    args = ("plan", "--stack", "dev", "--project-dir", str(project), "-o", "json")
    good = opsctl(*args)
    assert good.code == 0, good.err
    document = json.loads(good.out)
    assert document["indexes"] == [
        {"name": "docs", "file": "indexes/docs.yaml", "fields": 7, "vectorFields": 1}
    ]
    assert not [f for f in document["findings"] if f["rule"] == "index-definition"]

    path = project / "indexes" / "docs.yaml"
    path.write_text(path.read_text().replace("type: Edm.Int32", "type: Edm.Integer"))
    bad = opsctl(*args)
    assert bad.code == 3
    (finding,) = [f for f in json.loads(bad.out)["findings"] if f["rule"] == "index-definition"]
    assert finding["severity"] == "high" and finding["resource"] == "index::docs"
    assert finding["message"].startswith("indexes/docs.yaml: $.fields[4].type: unknown type 'Edm.Integer'")
