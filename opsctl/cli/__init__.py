"""The `opsctl` command line: a thin layer over the library in `opsctl.*`.

Start-up stays cheap: command modules import only typer here and import pulumi, the Azure SDKs
and the sandbox inside the command bodies.
"""

from __future__ import annotations

import os
import sys

import typer

from opsctl.cli import sandbox as sandbox_cmd
from opsctl.cli import stack as stack_cmd

app = typer.Typer(
    name="opsctl",
    help="Operate ragstack environments: plan, deploy, scale, grant access, detect drift, tear down.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_cmd.app, name="sandbox")
app.add_typer(stack_cmd.app, name="stack")


@app.callback()
def _root(
    debug: bool = typer.Option(
        False, "--debug", help="Show full tracebacks for failures.", envvar="OPSCTL_DEBUG"
    ),
) -> None:
    if debug:
        os.environ["OPSCTL_DEBUG"] = "1"


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the app and turns expected failures into one line."""
    from opsctl.errors import OpsError

    try:
        app(args=argv, standalone_mode=False)
    except OpsError as exc:
        _fail(exc, exc.one_line(), exc.exit_code)
    except _click_exceptions() as exc:
        if getattr(exc, "exit_code", None) == 0:
            sys.exit(0)
        exc.show()
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    sys.exit(0)


def _click_exceptions() -> tuple[type[BaseException], ...]:
    import click

    return (click.ClickException, click.exceptions.Exit, click.exceptions.Abort)


def _fail(exc: BaseException, line: str, exit_code: int) -> None:
    if os.environ.get("OPSCTL_DEBUG") == "1" or "--debug" in sys.argv:
        import traceback

        traceback.print_exception(exc)
    sys.stderr.write(line + "\n")
    sys.exit(exit_code)
