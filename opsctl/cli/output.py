"""Rendering for every command: rich tables for people, stable JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

import typer


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    tsv = "tsv"


# Set by the root's `--output`/`--query` plumbing (opsctl.cli.with_output_options), read here.
FORMAT: ContextVar[OutputFormat] = ContextVar("opsctl_output", default=OutputFormat.table)
QUERY: ContextVar[str | None] = ContextVar("opsctl_query", default=None)


def _remember_format(value: OutputFormat) -> OutputFormat:
    FORMAT.set(OutputFormat(value))
    return value


OUTPUT_OPTION = typer.Option(
    OutputFormat.table,
    "--output",
    "-o",
    callback=_remember_format,
    help="table for people; json or tsv for scripts (as the az CLI).",
)


def structured(output: OutputFormat) -> bool:
    """Whether to print data rather than a table: -o json|tsv, or a --query (az prints its result)."""
    return output is not OutputFormat.table or QUERY.get() is not None


def print_json(payload: Any) -> None:
    """The command's data, through --query, as JSON (sorted keys, ISO dates) or az-style TSV."""
    query = QUERY.get()
    if query is not None:
        import jmespath

        payload = jmespath.search(query, json.loads(json.dumps(payload, default=str)))
    if FORMAT.get() is OutputFormat.tsv:
        sys.stdout.write("".join(line + "\n" for line in tsv_lines(payload)))
        return
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


print_data = print_json


def tsv_lines(payload: Any) -> list[str]:
    """Like az's tsv (one line per list item, nested objects left out: query them). Values come in
    sorted key order, which az does not promise (unconfirmed against knack); --query fixes it."""
    items = payload if isinstance(payload, list) else [payload]
    return ["\t".join(_tsv_cells(item)) for item in items if item is not None]


def _tsv_cells(item: Any) -> list[str]:
    if isinstance(item, Mapping):
        return [_tsv_scalar(v) for _, v in sorted(item.items()) if not isinstance(v, (Mapping, list))]
    if isinstance(item, list):
        return [_tsv_scalar(v) for v in item if not isinstance(v, (Mapping, list))]
    return [_tsv_scalar(item)]


def _tsv_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).replace("\t", " ").replace("\n", " ")


def print_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, title: str | None = None
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    Console().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def console() -> Any:
    """A stderr console for progress and notes, so stdout stays clean for --output json. Soft wrap:
    a note or error is one line whatever the terminal width (scripts grep them)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def print_error(prefix: str, error: str) -> None:
    """An error line among notes: red for people, its text never read as rich markup."""
    from rich.markup import escape

    console().print(f"{escape(prefix)}[red]{escape(error)}[/red]")
