"""The `opsctl` command line: a thin layer over the library in `opsctl.*`.

Start-up stays cheap: command modules import only typer here and import pulumi, the Azure SDKs
and the sandbox inside the command bodies.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

# Plain Click help keeps every `--help` near 80 ms; TYPER_USE_RICH=1 brings back rich help (+70 ms).
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer

from opsctl import exitcodes
from opsctl.cli import access as access_cmd
from opsctl.cli import app as app_cmd
from opsctl.cli import common, output
from opsctl.cli import index as index_cmd
from opsctl.cli import inspect as inspect_cmd
from opsctl.cli import plan as plan_cmd
from opsctl.cli import rag as rag_cmd
from opsctl.cli import sandbox as sandbox_cmd
from opsctl.cli import scale as scale_cmd
from opsctl.cli import smoke as smoke_cmd
from opsctl.cli import stack as stack_cmd
from opsctl.cli import teardown as teardown_cmd
from opsctl.cli import tiers as tiers_cmd

# An error line never exceeds this; echoed values are bounded well below it (infra.settings.shown).
MAX_ERROR_LINE = 1000

app = typer.Typer(
    name="opsctl",
    help="Operate ragstack environments: plan, deploy, scale, grant access, detect drift, tear down.",
    no_args_is_help=True,
    epilog=exitcodes.epilog(),
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_cmd.app, name="sandbox")
app.add_typer(access_cmd.app, name="access")
app.add_typer(app_cmd.app, name="app")
app.command("teardown")(teardown_cmd.teardown)
app.command("status")(inspect_cmd.status)
app.command("drift")(inspect_cmd.drift)
app.command("plan")(plan_cmd.plan)
app.command("up")(plan_cmd.up)
app.command("down")(plan_cmd.down)
app.command("output")(plan_cmd.outputs)
app.add_typer(scale_cmd.app, name="scale")
app.add_typer(stack_cmd.app, name="stack")
# Data plane (issue 13): indexes as code, ingest, query, smoke, tiers.
app.add_typer(index_cmd.app, name="index")
app.command("ingest")(rag_cmd.ingest)
app.command("query")(rag_cmd.query)
app.command("smoke")(smoke_cmd.smoke)
app.add_typer(tiers_cmd.app, name="tiers")


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

    args = sys.argv[1:] if argv is None else argv
    _quiet_sdk_logs(argv)
    common.COMMAND.set(" ".join(["opsctl", *args]))
    output.FORMAT.set(output.OutputFormat.table)
    output.QUERY.set(None)
    common.STACK_NOTE.set(None)
    try:
        exit_code = command().main(args=argv, standalone_mode=False, prog_name="opsctl")
    except OpsError as exc:
        _fail(exc, exc.one_line(), exc.exit_code)
    except _click_exceptions() as exc:
        _click_failure(exc)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(exitcodes.INTERRUPTED)
    except Exception as exc:
        if not _is_azure_error(exc):
            raise
        from opsctl.arm_errors import error_code, error_message

        code = error_code(exc)
        _fail(exc, f"error: {f'[{code}] ' if code else ''}{error_message(exc)} (--debug shows the trace)", 1)
    if exit_code == exitcodes.INTERRUPTED:
        # Typer turns Ctrl+C into a silent Exit(130) (typer/core.py `_main`); say it, as above.
        sys.stderr.write("interrupted\n")
    sys.exit(exit_code if isinstance(exit_code, int) else 0)


@functools.cache
def command() -> Any:
    """The Click command tree `main` runs: the Typer app, with `--query` on every command (as the
    az CLI has it), so the option is declared once rather than on each function. Built once per
    process: Click creates a fresh context per invocation, and the tree holds no per-run state."""
    import typer.main

    root = typer.main.get_command(app)
    _add_query(root)
    return root


def _add_query(node: Any) -> None:
    from typer.core import TyperOption

    for child in getattr(node, "commands", {}).values():
        _add_query(child)
    if not hasattr(node, "commands"):
        node.callback = _saying_stack(node.callback)
        node.params.append(
            TyperOption(
                param_decls=["--query"],
                expose_value=False,
                callback=_remember_query,
                help="JMESPath query over the JSON result (prints data, like -o json).",
            )
        )


def _saying_stack(callback: Any) -> Any:
    """Every command says which stack it acts on (stderr), once its arguments are valid."""
    import functools

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        note = common.STACK_NOTE.get()
        if note:
            output.console().print(note, highlight=False, markup=False)
        return callback(*args, **kwargs)

    return run


def _remember_query(ctx: Any, param: Any, value: str | None) -> None:
    """A query that does not compile is a usage error (exit 2), before the command runs."""
    if value is None:
        return
    import jmespath
    from jmespath.exceptions import ParseError
    from typer import BadParameter

    try:
        jmespath.compile(value)
    except ParseError as exc:
        raise BadParameter(f"{value!r} is not a JMESPath expression ({exc})") from None
    output.QUERY.set(value)


def _quiet_sdk_logs(argv: list[str] | None) -> None:
    """azure-identity logs multi-line warnings before raising; the error line says it all.
    `--debug` keeps them."""
    import logging

    args = sys.argv[1:] if argv is None else argv
    if "--debug" not in args and os.environ.get("OPSCTL_DEBUG") != "1":
        logging.getLogger("azure").setLevel(logging.CRITICAL)


def _is_azure_error(exc: BaseException) -> bool:
    """Azure SDK failures (network, TLS, HTTP) are expected in operations: one line, not a trace."""
    return type(exc).__module__.startswith(("azure.core", "azure.identity"))


def _click_failure(exc: BaseException) -> None:
    """Exits and aborts as Click means them; a usage error is one line and exit 2, like every error."""
    code = getattr(exc, "exit_code", 2)
    format_message = getattr(exc, "format_message", None)
    if code == 0 or format_message is None or type(exc).__name__ == "NoArgsIsHelpError":
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        sys.exit(code)
    ctx = getattr(exc, "ctx", None)
    see = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    _fail(exc, f"error: {format_message()}{see}", code)


def _click_exceptions() -> tuple[type[BaseException], ...]:
    """Usage errors, exits and aborts, from Typer's bundled Click (0.29+) and plain Click."""
    from typer import Abort, Exit
    from typer._click.exceptions import ClickException

    found: list[type[BaseException]] = [ClickException, Exit, Abort]
    try:
        import click
    except ImportError:
        return tuple(found)
    return (*found, click.ClickException, click.exceptions.Exit, click.exceptions.Abort)


def _fail(exc: BaseException, line: str, exit_code: int) -> None:
    if os.environ.get("OPSCTL_DEBUG") == "1" or "--debug" in sys.argv:
        import traceback

        traceback.print_exception(exc)
    sys.stderr.write(single_line(line) + "\n")
    sys.exit(exit_code)


def single_line(text: str, limit: int = MAX_ERROR_LINE) -> str:
    """The one-line contract, whatever a message holds: no line breaks, bounded length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
