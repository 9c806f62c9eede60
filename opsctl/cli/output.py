"""Rendering for every command: rich tables for people, stable JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import typer


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


OUTPUT_OPTION = typer.Option(OutputFormat.table, "--output", "-o", help="table for people, json for scripts.")


def print_json(payload: Any) -> None:
    """Sorted keys and ISO dates so scripts can diff and parse it."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


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
