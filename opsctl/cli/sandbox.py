"""`opsctl sandbox ...`: start, stop, inspect and reset the local ARM sandbox."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run the local HTTPS Azure Resource Manager sandbox.", no_args_is_help=True)
