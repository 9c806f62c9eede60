"""`opsctl ingest` and `opsctl query`: load documents into the stack's index and ask it questions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured

if TYPE_CHECKING:
    from opsctl.ingest import FileResult, IngestReport
    from opsctl.retrieval import QueryResult

INDEX = typer.Option(
    None, "--index", help="Index name (default: ragstack:rag.index, else the first declared)."
)
EXIT_SOME_FILES_FAILED = 1
DEFAULT_BATCH_SIZE = 100


def ingest(
    paths: list[Path] = typer.Argument(
        ..., help="Files or directories (recursively): PDF, DOCX, HTML, Markdown, text."
    ),
    stack: str = common.STACK,
    index: str | None = INDEX,
    sync: bool = typer.Option(
        False, "--sync", help="Also remove the chunks of sources no longer found under PATHS."
    ),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", help="Documents per upload request (at most 1000)."
    ),
    dry_run: bool = common.DRY_RUN,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Chunk, embed and upload documents; unchanged files are skipped, changed ones replaced.

    A corrupt or unsupported file is reported and skipped, the others are still ingested; the exit
    code is then 1 (0 when every file is ingested or unchanged).
    """
    from infra.catalog.search import INDEX_BATCH_MAX_DOCUMENTS
    from opsctl.dataplane import open_data_plane
    from opsctl.ingest import Ingestor, collect_files
    from opsctl.retrieval import resolve_index

    if not 1 <= batch_size <= INDEX_BATCH_MAX_DOCUMENTS:
        limit = INDEX_BATCH_MAX_DOCUMENTS
        raise typer.BadParameter(f"{batch_size} is not 1-{limit}", param_hint="'--batch-size'")
    files = collect_files(paths)
    env, target = common.EnvArgs(stack, subscription, sandbox, project_dir).open()
    name = resolve_index(env, index)
    plane = open_data_plane(env, target)
    with _RichProgress(enabled=True) as progress:
        report = Ingestor(plane, name, batch_size=batch_size, progress=progress).run(
            files, sync=sync, dry_run=dry_run
        )
    _show_report(report, output)
    if report.failed:
        raise typer.Exit(EXIT_SOME_FILES_FAILED)


def query(
    question: str = typer.Argument(..., help="The question, in quotes."),
    stack: str = common.STACK,
    index: str | None = INDEX,
    top: int = typer.Option(5, "--top", help="How many chunks to return (1-50)."),
    with_answer: bool = typer.Option(
        False, "--answer", help="Also ask the chat deployment for an answer citing the chunks."
    ),
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Hybrid search (text + vector, fused by the service) over the stack's index."""
    from opsctl.dataplane import open_data_plane
    from opsctl.retrieval import answer, resolve_index, search

    env, target = common.EnvArgs(stack, subscription, sandbox, project_dir).open()
    plane = open_data_plane(env, target)
    result = search(plane, resolve_index(env, index), question, top=top)
    if with_answer:
        answer(plane, result)
    _show_query(result, output)


def _show_report(report: IngestReport, output: OutputFormat) -> None:
    summary = report.as_dict()
    if structured(output):
        print_json(summary)
        return
    rows = [_file_row(f) for f in report.files]
    rows += [
        {"source": s, "status": "removed" if not report.dry_run else "would remove"}
        for s in report.removed_sources
    ]
    print_table(rows, ["source", "status", "chunks", "note"], title=f"ingest into index {report.index}")
    verb = "would ingest" if report.dry_run else "ingested"
    count = summary["pending"] if report.dry_run else summary["ingested"]
    console().print(
        f"{verb} {count} files ({summary['chunks']} chunks, {summary['embeddingTokens']} embedding tokens), "
        f"{summary['unchanged']} unchanged, {summary['failed']} failed"
        + (
            f", {len(report.removed_sources)} sources removed ({report.removed_chunks} chunks)"
            if report.removed_sources
            else ""
        )
        + (f"; waited out {report.throttled} throttled requests" if report.throttled else ""),
        highlight=False,
        markup=False,
    )


def _file_row(result: FileResult) -> dict[str, Any]:
    note = result.error or (f"replaced, {result.replaced} stale chunks removed" if result.replaced else None)
    return {"source": result.source, "status": result.status, "chunks": result.chunks or None, "note": note}


def _show_query(result: QueryResult, output: OutputFormat) -> None:
    if structured(output):
        print_json(result.as_dict())
        return
    rows = [
        {"#": i + 1, "source": h.source, "chunk": h.chunk, "score": f"{h.score:.4f}", "title": h.title}
        for i, h in enumerate(result.hits)
    ]
    print_table(rows, ["#", "source", "chunk", "score", "title"], title=f"index {result.index}")
    if result.answer is not None:
        typer.echo(result.answer)
        for i, source in enumerate(result.citations):
            typer.echo(f"[{i + 1}] {source}")


class _RichProgress:
    """Files and chunks as two rich progress bars on stderr (stdout stays for -o json)."""

    def __init__(self, *, enabled: bool) -> None:
        from rich.progress import Progress

        self._bars = Progress(console=console(), transient=True, disable=not enabled)
        self._files: Any = None
        self._chunks: Any = None

    def __enter__(self) -> _RichProgress:
        self._bars.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.__exit__(None, None, None)

    def start(self, files: int) -> None:
        self._files = self._bars.add_task("files", total=files)
        self._chunks = self._bars.add_task("chunks", total=None)

    def file_done(self, result: FileResult) -> None:
        self._bars.advance(self._files)
        if result.status == "failed":
            self._bars.console.print(
                f"failed: {result.source}: {result.error}", highlight=False, markup=False
            )

    def chunks_done(self, count: int) -> None:
        self._bars.advance(self._chunks, count)
