"""`opsctl ingest`: files into the stack's search index, one document per chunk.

PDF, DOCX and HTML go through Document Intelligence `prebuilt-layout` with Markdown output; Markdown
and text are read as they are (Document Intelligence's layout model takes PDF, images, Office files
and HTML, not text: learn.microsoft.com azure/ai-services/document-intelligence/prebuilt/layout,
"Input requirements"; azure-search-openai-demo parses .md/.txt locally the same way). Chunks
(opsctl.chunking) are embedded by the stack's embedding deployment and uploaded with the demo index's
fields (indexes/docs.yaml).

Resumable and never half-written: a file's chunks are uploaded only after all its embeddings
succeeded, chunk 0 last; a file counts as present when its chunk 0 carries the file's sha256 and no
chunk of that source carries another hash. So a re-run skips unchanged files, and a file whose upload
failed midway (chunk 0 missing, or old chunks left) is ingested again.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from infra import rag
from infra.catalog.cognitive import EMBEDDING_MAX_INPUTS, TPM_PER_CAPACITY_UNIT
from infra.catalog.search import INDEX_BATCH_MAX_DOCUMENTS
from opsctl.chunking import Chunk, chunk_markdown, estimate_tokens
from opsctl.denied import with_role
from opsctl.errors import InvalidInput, OpsError
from opsctl.throttle import model_call

if TYPE_CHECKING:
    from opsctl.dataplane import DataPlane

ANALYZED = (".pdf", ".docx", ".html", ".htm")
READ_AS_IS = (".md", ".markdown", ".txt")
SUPPORTED = ANALYZED + READ_AS_IS
LAYOUT_MODEL = "prebuilt-layout"
DEFAULT_BATCH_SIZE = 100
PRESET = "ingestion"
WRITER_ROLE = "Search Index Data Contributor"
# Field name -> (EDM type, must be filterable): what ingest writes and filters on (indexes/docs.yaml).
REQUIRED_FIELDS: dict[str, tuple[str, bool]] = {
    "id": ("Edm.String", False),
    "content": ("Edm.String", False),
    "title": ("Edm.String", False),
    "source": ("Edm.String", True),
    "chunk": ("Edm.Int32", True),
    "contentHash": ("Edm.String", True),
    "embedding": ("Collection(Edm.Single)", False),
}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str  # path relative to the root it was found under, POSIX form


@dataclass
class FileResult:
    source: str
    status: str  # ingested | unchanged | failed | pending (dry run)
    chunks: int = 0
    error: str | None = None
    replaced: int = 0  # stale chunks of an earlier version removed


@dataclass
class IngestReport:
    index: str
    dry_run: bool
    files: list[FileResult] = field(default_factory=list)
    removed_sources: list[str] = field(default_factory=list)
    removed_chunks: int = 0
    embedding_tokens: int = 0
    throttled: int = 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> bool:
        return self.count("failed") > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "dryRun": self.dry_run,
            "ingested": self.count("ingested"),
            "unchanged": self.count("unchanged"),
            "failed": self.count("failed"),
            "pending": self.count("pending"),
            "chunks": sum(f.chunks for f in self.files if f.status == "ingested"),
            "embeddingTokens": self.embedding_tokens,
            "throttledRetries": self.throttled,
            "removedSources": self.removed_sources,
            "removedChunks": self.removed_chunks,
            "files": [
                {k: v for k, v in vars(f).items() if v or k in ("source", "status", "chunks")}
                for f in self.files
            ],
        }


class Progress(Protocol):
    def start(self, files: int) -> None: ...
    def file_done(self, result: FileResult) -> None: ...
    def chunks_done(self, count: int) -> None: ...


class NoProgress:
    def start(self, files: int) -> None:
        return None

    def file_done(self, result: FileResult) -> None:
        return None

    def chunks_done(self, count: int) -> None:
        return None


# -- files -----------------------------------------------------------------------------------------
def collect_files(paths: Sequence[Path]) -> list[SourceFile]:
    """Every supported file under `paths` (directories recursively, hidden entries left out); a
    missing or unreadable path, a named file of an unsupported type, or no file at all is one line."""
    if not paths:
        raise InvalidInput("ingest: give at least one file or directory")
    found: dict[str, SourceFile] = {}
    for path in paths:
        for item in _expand(path):
            previous = found.setdefault(item.source, item)
            if previous.path.resolve() != item.path.resolve():
                raise InvalidInput(
                    f"{item.path}: source '{item.source}' is also {previous.path}; ingest them separately "
                    "or from a common parent directory"
                )
    if not found:
        allowed = ", ".join(SUPPORTED)
        raise InvalidInput(f"{', '.join(map(str, paths))}: no files to ingest (supported: {allowed})")
    return sorted(found.values(), key=lambda f: f.source)


def _expand(path: Path) -> list[SourceFile]:
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix.lower() not in SUPPORTED:
            raise InvalidInput(
                f"{path}: unsupported file type '{path.suffix}'; supported: {', '.join(SUPPORTED)}"
            )
        _readable(path)
        return [SourceFile(path, path.name)]
    if not os.access(path, os.R_OK | os.X_OK):
        raise InvalidInput(f"{path}: directory is not readable")
    files = []
    for item in sorted(path.rglob("*")):
        relative = item.relative_to(path)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if item.is_file() and item.suffix.lower() in SUPPORTED:
            _readable(item)
            files.append(SourceFile(item, relative.as_posix()))
    return files


def _readable(path: Path) -> None:
    if not os.access(path, os.R_OK):
        raise InvalidInput(f"{path}: file is not readable")


def document_id(source: str, chunk: int) -> str:
    """Stable key of a chunk: the same source and number always overwrite the same document."""
    return hashlib.sha256(f"{source}\n{chunk}".encode()).hexdigest()


def odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# -- the run ---------------------------------------------------------------------------------------
class Ingestor:
    """One ingest run against one index; the library behind `opsctl ingest`."""

    def __init__(
        self,
        plane: DataPlane,
        index: str,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
    ) -> None:
        if not 1 <= batch_size <= INDEX_BATCH_MAX_DOCUMENTS:
            raise InvalidInput(f"--batch-size {batch_size}: must be 1-{INDEX_BATCH_MAX_DOCUMENTS}")
        self.plane = plane
        self.index = index
        self.batch_size = batch_size
        self.progress = progress or NoProgress()
        self.deployment = plane.embedding_deployment()
        self.search = plane.search_client(index)
        self._openai: Any = None
        self._docint: Any = None

    def run(self, files: Sequence[SourceFile], *, sync: bool = False, dry_run: bool = False) -> IngestReport:
        report = IngestReport(self.index, dry_run)
        check_index(self.plane, self.index, rag.embedding_dimensions(self.deployment))
        self.progress.start(len(files))
        for item in files:
            result = self._one(item, dry_run, report)
            report.files.append(result)
            self.progress.file_done(result)
        if sync:
            self._sync({f.source for f in files}, dry_run, report)
        return report

    def _one(self, item: SourceFile, dry_run: bool, report: IngestReport) -> FileResult:
        try:
            data = item.path.read_bytes()
        except OSError as exc:
            return FileResult(item.source, "failed", error=f"cannot read ({exc.strerror or exc})")
        digest = hashlib.sha256(data).hexdigest()
        existing = self._existing(item.source)
        if _is_current(existing, digest):
            return FileResult(item.source, "unchanged", chunks=len(existing))
        if dry_run:
            return FileResult(item.source, "pending")
        try:
            markdown = self._markdown(item, data)
        except _FileFailed as exc:
            return FileResult(item.source, "failed", error=str(exc))
        chunks = chunk_markdown(markdown, fallback_title=Path(item.source).name)
        vectors = self._embed([c.content for c in chunks], report)
        try:
            failed = self._upload(item.source, digest, chunks, vectors)
        except Exception:
            self._discard(item.source)
            raise
        if failed:
            self._discard(item.source)
            return FileResult(item.source, "failed", chunks=len(chunks), error=failed)
        stale = [doc["id"] for doc in existing if int(doc["chunk"]) >= len(chunks)]
        self._delete(stale)
        self.progress.chunks_done(len(chunks))
        return FileResult(item.source, "ingested", chunks=len(chunks), replaced=len(stale))

    def _discard(self, source: str) -> None:
        """After a failed upload, remove every chunk of `source`: none half-written stays queryable.
        Best effort: if this fails too, the first error stands, and a re-run still re-ingests the
        file (chunk 0, which marks it complete, is uploaded last)."""
        try:
            self._delete(doc["id"] for doc in self._existing(source))
        except Exception:  # the upload's error is the one to report
            return

    def _existing(self, source: str) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            results = self.search.search(
                search_text="*",
                filter=f"source eq {odata_string(source)}",
                select=["id", "chunk", "contentHash"],
            )
            return [dict(r) for r in results]

        return with_role(self.plane, "search", WRITER_ROLE, read, preset=PRESET)

    def _markdown(self, item: SourceFile, data: bytes) -> str:
        if item.path.suffix.lower() in READ_AS_IS:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise _FileFailed("not UTF-8 text") from None
        return self._analyze(data)

    def _analyze(self, data: bytes) -> str:
        from azure.core.exceptions import HttpResponseError

        if self._docint is None:
            self._docint = self.plane.document_intelligence_client()
        client = self._docint

        def analyze() -> str:
            poller = client.begin_analyze_document(
                LAYOUT_MODEL,
                io.BytesIO(data),
                output_content_format="markdown",
                content_type="application/octet-stream",
            )
            return str(poller.result().content or "")

        try:
            return with_role(
                self.plane, "document_intelligence", "Cognitive Services User", analyze, preset=PRESET
            )
        except HttpResponseError as exc:
            if exc.status_code in (400, 415):
                raise _FileFailed(_docint_reason(exc)) from None
            raise

    def _embed(self, texts: list[str], report: IngestReport) -> list[list[float]]:
        if self._openai is None:
            self._openai = self.plane.openai_client()
        vectors: list[list[float]] = []
        for batch in embedding_batches(texts, tpm=self.deployment.capacity * TPM_PER_CAPACITY_UNIT):
            response, waits = model_call(
                self.plane,
                partial(self._openai.embeddings.create, model=self.deployment.name, input=batch),
                what=f"embedding deployment '{self.deployment.name}'",
                preset=PRESET,
            )
            report.throttled += waits
            report.embedding_tokens += int(getattr(response.usage, "prompt_tokens", 0) or 0)
            vectors.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        return vectors

    def _upload(
        self, source: str, digest: str, chunks: list[Chunk], vectors: list[list[float]]
    ) -> str | None:
        """Upload the chunks, chunk 0 last; the first failed key as a reason, or None."""
        docs = [
            {
                "id": document_id(source, c.number),
                "content": c.content,
                "title": c.title,
                "source": source,
                "chunk": c.number,
                "contentHash": digest,
                "embedding": vector,
            }
            for c, vector in zip(chunks, vectors, strict=True)
        ]
        ordered = docs[1:] + docs[:1]
        for start in range(0, len(ordered), self.batch_size):
            batch = ordered[start : start + self.batch_size]
            bad = self._write(self.search.merge_or_upload_documents, batch)
            if bad:
                first = bad[0]
                return (
                    f"{len(bad)} of {len(batch)} chunks refused by the index "
                    f"(key {first.key}: {first.status_code} {first.error_message})"
                )
        return None

    def _write(self, action: Any, batch: list[dict[str, Any]]) -> list[Any]:
        """One batch through `action` (upload or delete); the per-key results that failed."""
        write = partial(action, documents=batch)
        results = with_role(self.plane, "search", WRITER_ROLE, write, preset=PRESET)
        return [r for r in results if not r.succeeded]

    def _delete(self, ids: Iterable[str]) -> int:
        keys = list(ids)
        for start in range(0, len(keys), self.batch_size):
            batch = [{"id": k} for k in keys[start : start + self.batch_size]]
            bad = self._write(self.search.delete_documents, batch)
            if bad:
                raise OpsError(
                    f"index '{self.index}': {len(bad)} chunks could not be deleted "
                    f"(key {bad[0].key}: {bad[0].error_message})",
                    hint="run the same ingest again",
                )
        return len(keys)

    def _sync(self, present: set[str], dry_run: bool, report: IngestReport) -> None:
        """Remove the chunks of sources not found under the given paths in this run."""
        docs = with_role(
            self.plane,
            "search",
            WRITER_ROLE,
            lambda: [dict(r) for r in self.search.search(search_text="*", select=["id", "source"])],
            preset=PRESET,
        )
        gone = [d for d in docs if d.get("source") not in present]
        report.removed_sources = sorted({str(d.get("source")) for d in gone})
        report.removed_chunks = len(gone)
        if not dry_run:
            self._delete(d["id"] for d in gone)


class _FileFailed(Exception):
    """This file cannot be ingested (corrupt, unsupported content); the run goes on."""


def _is_current(existing: list[dict[str, Any]], digest: str) -> bool:
    first = [d for d in existing if int(d.get("chunk", -1)) == 0 and d.get("contentHash") == digest]
    return bool(first) and all(d.get("contentHash") == digest for d in existing)


def _docint_reason(exc: Any) -> str:
    """The service's innermost code and message (`error.innererror`, 2024-11-30 ErrorResponse)."""
    try:
        error = exc.response.json().get("error") or {}
    except (AttributeError, ValueError):
        error = {}
    inner = error.get("innererror") or {}
    code = inner.get("code") or error.get("code")
    message = inner.get("message") or error.get("message") or exc.message
    return f"Document Intelligence refused it: {f'[{code}] ' if code else ''}{message}"


def embedding_batches(texts: list[str], *, tpm: int) -> list[list[str]]:
    """Requests of at most EMBEDDING_MAX_INPUTS inputs and an estimated `tpm` tokens, so each one
    fits the deployment's per-minute limit on its own."""
    batches: list[list[str]] = []
    current: list[str] = []
    tokens = 0
    for text in texts:
        cost = estimate_tokens(text)
        if current and (len(current) >= EMBEDDING_MAX_INPUTS or tokens + cost > tpm):
            batches.append(current)
            current, tokens = [], 0
        current.append(text)
        tokens += cost
    if current:
        batches.append(current)
    return batches


def check_index(plane: DataPlane, index: str, dimensions: int) -> None:
    """The live index has the fields ingest writes; one line naming `opsctl index apply` if not.
    Reading the definition needs `indexes/read` (Search Service Contributor, not in the ingestion
    preset): without it, a search selecting those fields proves they exist."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    env = plane.environment
    apply = f"`opsctl index apply --stack {env.stack}`"
    try:
        definition = plane.search_index_client().get_index(index)
    except ResourceNotFoundError:
        raise _missing_index(plane, index, apply) from None
    except HttpResponseError as exc:
        if exc.status_code != 403:
            raise
        _probe_fields(plane, index, apply)
        return
    problems = _field_problems({f.name: f for f in definition.fields}, dimensions)
    if problems:
        raise OpsError(f"index '{index}' cannot take ingested chunks: {'; '.join(problems)}", hint=apply)


def _missing_index(plane: DataPlane, index: str, apply: str) -> OpsError:
    service = plane.endpoints["search"].split("//")[-1].split(".")[0]
    return OpsError(f"index '{index}' not found on search service {service}", hint=f"create it: {apply}")


def _field_problems(fields: dict[str, Any], dimensions: int) -> list[str]:
    problems = []
    for name, (kind, filterable) in REQUIRED_FIELDS.items():
        found = fields.get(name)
        if found is None:
            problems.append(f"field '{name}' ({kind}) is missing")
        elif str(getattr(found.type, "value", found.type)) != kind:
            problems.append(f"field '{name}' is {getattr(found.type, 'value', found.type)}, not {kind}")
        elif filterable and not found.filterable:
            problems.append(f"field '{name}' must be filterable")
    vector = fields.get("embedding")
    if vector is not None and vector.vector_search_dimensions not in (None, dimensions):
        problems.append(
            f"field 'embedding' has {vector.vector_search_dimensions} dimensions; "
            f"the embedding deployment gives {dimensions}"
        )
    return problems


def _probe_fields(plane: DataPlane, index: str, apply: str) -> None:
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    names = [n for n in REQUIRED_FIELDS if n != "embedding"]
    try:
        with_role(
            plane,
            "search",
            WRITER_ROLE,
            lambda: list(plane.search_client(index).search(search_text="*", select=names, top=1)),
            preset=PRESET,
        )
    except ResourceNotFoundError:
        raise _missing_index(plane, index, apply) from None
    except HttpResponseError as exc:
        if exc.status_code != 400:
            raise
        raise OpsError(f"index '{index}' lacks a field ingest writes ({exc.message})", hint=apply) from None
