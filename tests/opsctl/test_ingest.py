"""`opsctl ingest` and `opsctl query` end to end: the CLI against the dev stack in the sandbox, with
the sample corpus (samples/corpus) and the demo index (indexes/docs.yaml)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from opsctl.chunking import chunk_markdown
from opsctl.ingest import document_id, embedding_batches
from opsctl.retrieval import number_citations
from sandbox.constants import OPERATOR_OBJECT_ID

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "samples" / "corpus"
DEVELOPER = (
    ("Search Service Contributor", "search"),
    ("Search Index Data Contributor", "search"),
    ("Cognitive Services OpenAI User", "openai"),
    ("Cognitive Services User", "document_intelligence"),
)


def _grant(live: Any, roles: tuple[tuple[str, str], ...] = DEVELOPER) -> None:
    scopes = live.env().scopes()
    for role, key in roles:
        live.sandbox.grant(OPERATOR_OBJECT_ID, role, scope=scopes[key])
    live.sandbox.advance(600)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    (target / "make.py").unlink()
    return target


@pytest.fixture
def ready(live: Any) -> Any:
    _grant(live)
    live.apply_indexes()
    return live


def _ingest(opsctl: Any, live: Any, *args: str) -> tuple[Any, dict[str, Any]]:
    result = opsctl("ingest", "--stack", "dev", "--project-dir", str(live.project), "-o", "json", *args)
    return result, json.loads(result.out) if result.out.strip() else {}


def _sources(live: Any) -> dict[str, list[int]]:
    from opsctl.dataplane import open_data_plane

    client = open_data_plane(live.env(), live.target).search_client("docs")
    found: dict[str, list[int]] = {}
    for doc in client.search(search_text="*", select=["source", "chunk"]):
        found.setdefault(doc["source"], []).append(doc["chunk"])
    return {k: sorted(v) for k, v in found.items()}


def test_ingest_loads_the_corpus_and_a_rerun_skips_every_file(opsctl: Any, ready: Any, corpus: Path) -> None:
    first, report = _ingest(opsctl, ready, str(corpus))

    assert first.code == 0, first.err
    assert report["ingested"] == 4 and report["failed"] == 0
    assert report["embeddingTokens"] > 0
    assert set(_sources(ready)) == {"benefits.docx", "handbook.pdf", "onboarding.html", "security-policy.md"}
    again, report = _ingest(opsctl, ready, str(corpus))
    assert again.code == 0
    assert (report["ingested"], report["unchanged"], report["embeddingTokens"]) == (0, 4, 0)


def test_a_changed_file_alone_is_reingested_and_its_stale_chunks_go(
    opsctl: Any, ready: Any, corpus: Path
) -> None:
    policy = corpus / "security-policy.md"
    policy.write_text(
        "# Security Policy\n\n" + "\n\n".join(f"## Rule {i}\n\n" + "word " * 450 for i in range(4))
    )
    _ingest(opsctl, ready, str(corpus))
    assert len(_sources(ready)["security-policy.md"]) > 4

    policy.write_text("# Security Policy\n\nBadges are worn visibly at all times.\n")
    result, report = _ingest(opsctl, ready, str(corpus))

    assert result.code == 0
    assert (report["ingested"], report["unchanged"]) == (1, 3)
    (changed,) = [f for f in report["files"] if f["status"] == "ingested"]
    assert changed["source"] == "security-policy.md" and changed["replaced"] > 0
    assert _sources(ready)["security-policy.md"] == [0]


def test_sync_removes_the_chunks_of_a_deleted_file(opsctl: Any, ready: Any, corpus: Path) -> None:
    _ingest(opsctl, ready, str(corpus))
    (corpus / "onboarding.html").unlink()

    dry, plan = _ingest(opsctl, ready, str(corpus), "--sync", "--dry-run")
    assert dry.code == 0
    assert plan["removedSources"] == ["onboarding.html"] and "onboarding.html" in _sources(ready)
    result, report = _ingest(opsctl, ready, str(corpus), "--sync")

    assert result.code == 0 and report["removedSources"] == ["onboarding.html"]
    assert "onboarding.html" not in _sources(ready)


def test_a_corrupt_file_is_reported_and_the_rest_still_ingested(
    opsctl: Any, ready: Any, corpus: Path
) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not really a pdf")

    result, report = _ingest(opsctl, ready, str(corpus))

    assert result.code == 1
    assert (report["ingested"], report["failed"]) == (4, 1)
    (failed,) = [f for f in report["files"] if f["status"] == "failed"]
    assert failed["source"] == "broken.pdf" and "corrupted or format is unsupported" in failed["error"]
    assert "broken.pdf" not in _sources(ready)


def test_a_missing_role_is_one_line_naming_the_role_and_the_fix(opsctl: Any, live: Any, corpus: Path) -> None:
    _grant(live, (("Search Service Contributor", "search"), ("Search Index Data Contributor", "search")))
    live.apply_indexes()

    result, _ = _ingest(opsctl, live, str(corpus))

    assert result.code == 1
    (line,) = result.err.strip().splitlines()[-1:]
    assert "needs role 'Cognitive Services User'" in line
    assert live.env().scopes()["document_intelligence"] in line
    assert "opsctl access grant --stack dev" in line and "--preset ingestion" in line
    assert "Traceback" not in result.err


def test_query_without_the_openai_role_is_one_line_naming_it(opsctl: Any, live: Any) -> None:
    """The openai SDK's error text leaves out the body's `PermissionDenied` code (it is on `.code`):
    a missing role must still be one line naming it, not a traceback."""
    _grant(live, (("Search Index Data Reader", "search"),))
    live.apply_indexes()

    asked = opsctl("query", "--stack", "dev", "--project-dir", str(live.project), "laptops")

    assert asked.code == 1 and "Traceback" not in asked.err
    (line,) = asked.err.strip().splitlines()[-1:]
    assert "needs role 'Cognitive Services OpenAI User'" in line and live.env().scopes()["openai"] in line


def test_a_missing_index_is_one_line_naming_index_apply(opsctl: Any, live: Any, corpus: Path) -> None:
    _grant(live)

    result, _ = _ingest(opsctl, live, str(corpus))
    asked = opsctl("query", "--stack", "dev", "--project-dir", str(live.project), "laptops")

    for outcome in (result, asked):
        assert outcome.code == 1
        assert "index 'docs' not found" in outcome.err and "opsctl index apply --stack dev" in outcome.err


def test_a_file_whose_upload_fails_midway_leaves_none_of_its_chunks(
    opsctl: Any, ready: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.core.exceptions import HttpResponseError
    from azure.search.documents import SearchClient

    corpus = tmp_path / "one"
    corpus.mkdir()
    sections = "\n\n".join(f"## Part {n}\n\n" + f"Paragraph {n} about laptops. " * 40 for n in range(4))
    (corpus / "guide.md").write_text(f"# Guide\n\n{sections}\n")
    upload = SearchClient.merge_or_upload_documents
    calls: list[int] = []

    def fails_on_the_second_batch(self: Any, documents: Any, **kw: Any) -> Any:
        calls.append(len(documents))
        if len(calls) == 2:
            raise HttpResponseError(message="Service Unavailable (the connection dropped)")
        return upload(self, documents=documents, **kw)

    monkeypatch.setattr(SearchClient, "merge_or_upload_documents", fails_on_the_second_batch)
    failed, _ = _ingest(opsctl, ready, str(corpus), "--batch-size", "1")

    assert failed.code == 1 and len(calls) == 2
    assert "guide.md" not in _sources(ready), "no partial chunk set is left behind"
    monkeypatch.setattr(SearchClient, "merge_or_upload_documents", upload)
    again, report = _ingest(opsctl, ready, str(corpus))
    assert again.code == 0 and report["ingested"] == 1
    assert _sources(ready)["guide.md"][0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/dir"], "/nonexistent/dir: no such file or directory"),
        (["{corpus}/make.txt.bin"], "no such file"),
        (["{empty}"], "no files to ingest"),
        (["{tmp}/notes.rtf"], "notes.rtf: unsupported file type '.rtf'; supported: "),
        (
            ["{corpus}/../corpus/benefits.docx", "--batch-size", "0"],
            "Invalid value for '--batch-size': 0 is not 1-1000",
        ),
    ],
)
def test_bad_paths_are_one_line_before_any_call(
    opsctl: Any, project: Path, tmp_path: Path, corpus: Path, args: list[str], message: str
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "notes.rtf").write_text("{\\rtf1 notes}")
    argv = [a.format(corpus=corpus, empty=empty, tmp=tmp_path) for a in args]
    result = opsctl("ingest", "--stack", "dev", "--project-dir", str(project), *argv)
    assert result.code in (1, 2)
    assert message in result.err and len(result.err.strip().splitlines()) <= 2


def test_query_finds_the_document_and_the_answer_cites_it(opsctl: Any, ready: Any, corpus: Path) -> None:
    _ingest(opsctl, ready, str(corpus))

    result = opsctl(
        "query",
        "--stack",
        "dev",
        "--project-dir",
        str(ready.project),
        "How many vacation days per year?",
        "--answer",
        "-o",
        "json",
    )

    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["results"][0]["source"] == "handbook.pdf"
    assert "25 vacation days" in doc["answer"] and "[1]" in doc["answer"]
    assert doc["citations"][0] == {"ref": 1, "source": "handbook.pdf"}


def test_chunks_follow_headings_with_their_path_and_overlap() -> None:
    text = "intro line\n\n# Guide\n\n## Health\n\n" + "alpha beta. " * 300 + "\n\n## Dental\n\nTwo cleanings."
    chunks = chunk_markdown(text, fallback_title="guide.md", size=1000, overlap=100)

    assert chunks[0].title == "guide.md" and chunks[0].content == "intro line"
    health = [c for c in chunks if c.title == "Guide > Health"]
    assert len(health) >= 3 and all(len(c.content) <= 1000 for c in health)
    assert health[0].content[-50:].split()[-1] in health[1].content[:150]
    assert chunks[-1].title == "Guide > Dental" and [c.number for c in chunks] == list(range(len(chunks)))


def test_embedding_batches_respect_the_input_count_and_the_token_budget() -> None:
    texts = ["word " * 300] * 10
    batches = embedding_batches(texts, tpm=1000)
    assert sum(len(b) for b in batches) == 10 and all(len(b) == 1 for b in batches)
    assert len(embedding_batches(["x"] * 5000, tpm=10**9)) == 3


def test_ids_are_stable_and_citations_are_numbered_by_first_use() -> None:
    assert document_id("a.md", 0) == document_id("a.md", 0) != document_id("a.md", 1)
    text, order = number_citations("X [b.md]. Y [a.pdf] and [b.md] [other]", {"a.pdf", "b.md"})
    assert text == "X [1]. Y [2] and [1] [other]" and order == ["b.md", "a.pdf"]
