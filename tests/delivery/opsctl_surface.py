"""The opsctl command surface the workflows may use, and a parser for workflow command lines.

`EXPECTED_COMMANDS` is the one list of subcommands (with their options) that CI may call. Every
workflow command line must name one of them and parse with the real Typer app; a Click stub built
from the list only resolves command paths and is checked for agreement with the real app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

FLAG = "flag"
TEXT = "text"
OUTPUT = ("table", "json", "tsv")


@dataclass(frozen=True)
class Spec:
    """Options (name -> TEXT, FLAG or a tuple of choices) and positional arguments of a command."""

    options: Mapping[str, Any] = field(default_factory=dict)
    arguments: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    open: bool = False
    common: tuple[str, ...] = ("--subscription", "--sandbox", "--output")


# Options every command takes unless its Spec says otherwise; `--debug` belongs to the root.
COMMON: dict[str, Any] = {"--subscription": TEXT, "--sandbox": FLAG, "--output": OUTPUT}
SHORT = {"--output": "-o"}

ENV = {"--stack": TEXT, "--project-dir": TEXT}
WRITE = {"--dry-run": FLAG, "--no-write-back": FLAG}

EXPECTED_COMMANDS: dict[str, Spec] = {
    "plan": Spec(
        {**ENV, "--diff-against": TEXT, "--strict": FLAG, "--format": ("plan", "arm")},
        required=("--stack",),
        common=("--output",),
    ),
    "up": Spec({**ENV, "--sandbox": FLAG}, required=("--stack",), common=("--output",)),
    "down": Spec(
        {**ENV, "--sandbox": FLAG, "--yes": FLAG, "--confirm": TEXT}, required=("--stack",), common=()
    ),
    "status": Spec(ENV, required=("--stack",)),
    "drift": Spec(ENV, required=("--stack",)),
    "tiers compare": Spec({"--stack": TEXT, "--project-dir": TEXT}, common=("--output",)),
    "smoke": Spec({**ENV, "--as-app": FLAG, "--wait": TEXT}, required=("--stack",)),
    "index apply": Spec(
        {**ENV, "--index": TEXT, "--dry-run": FLAG, "--rebuild": FLAG, "--yes": FLAG},
        required=("--stack",),
    ),
    "ingest": Spec(
        {**ENV, "--index": TEXT, "--sync": FLAG, "--batch-size": TEXT, "--dry-run": FLAG},
        arguments=("paths",),
        required=("--stack",),
    ),
    "query": Spec(
        {**ENV, "--index": TEXT, "--top": TEXT, "--answer": FLAG},
        arguments=("question",),
        required=("--stack",),
    ),
    "teardown": Spec(
        {
            **ENV,
            "--all-ephemeral": FLAG,
            "--older-than": TEXT,
            "--purge": FLAG,
            "--yes": FLAG,
            "--confirm": TEXT,
            "--concurrency": TEXT,
            "--dry-run": FLAG,
        },
        one_of=("--stack", "--all-ephemeral"),
    ),
    "app set-image": Spec({**ENV, **WRITE, "--pin": FLAG, "--image": TEXT}, required=("--stack", "--image")),
    "stack new": Spec(
        {"--from": TEXT, "--ttl": TEXT, "--project-dir": TEXT, "--force": FLAG},
        arguments=("name",),
        required=("--from",),
        common=("--output",),
    ),
    "scale search": Spec(
        {**ENV, **WRITE, "--replicas": TEXT, "--partitions": TEXT, "--wait-busy": FLAG}, required=("--stack",)
    ),
    "scale app": Spec({**ENV, **WRITE, "--min": TEXT, "--max": TEXT}, required=("--stack",)),
    "scale openai": Spec(
        {**ENV, **WRITE, "--deployment": TEXT, "--capacity": TEXT},
        required=("--stack", "--deployment", "--capacity"),
    ),
    "access grant": Spec(
        {**ENV, **WRITE, "--principal": TEXT, "--principal-type": TEXT, "--preset": TEXT},
        required=("--stack", "--principal", "--principal-type", "--preset"),
    ),
    "access revoke": Spec(
        {**ENV, **WRITE, "--principal": TEXT, "--principal-type": TEXT, "--preset": TEXT},
        required=("--stack", "--principal", "--principal-type", "--preset"),
    ),
    "access list": Spec(ENV, required=("--stack",)),
}


class UnknownCommand(click.UsageError):
    """A command path that is not in EXPECTED_COMMANDS."""


def _param_name(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


def _stub_command(path: str, spec: Spec) -> click.Command:
    params: list[click.Parameter] = [click.Argument([name]) for name in spec.arguments]
    common = {option: COMMON[option] for option in spec.common}
    for option, kind in {**common, **spec.options}.items():
        names = [option, *([SHORT[option]] if option in SHORT else [])]
        required = option in spec.required
        if kind == FLAG:
            params.append(click.Option(names, is_flag=True))
        elif isinstance(kind, tuple):
            params.append(click.Option(names, type=click.Choice(kind), required=required))
        else:
            params.append(click.Option(names, required=required))

    def check(**values: Any) -> None:
        chosen = [o for o in spec.one_of if values.get(_param_name(o))]
        if spec.one_of and len(chosen) != 1:
            raise click.UsageError(f"opsctl {path}: give exactly one of {', '.join(spec.one_of)}")

    settings = {"ignore_unknown_options": True, "allow_extra_args": True} if spec.open else {}
    return click.Command(path.split()[-1], params=params, callback=check, context_settings=settings)


def stub_app() -> click.Group:
    """A Click group with every expected command, built from EXPECTED_COMMANDS."""
    root = click.Group("opsctl", params=[click.Option(["--debug"], is_flag=True)])
    for path, spec in EXPECTED_COMMANDS.items():
        group = root
        *parents, _ = path.split()
        for part in parents:
            child = group.commands.get(part)
            if not isinstance(child, click.Group):
                child = click.Group(part)
                group.add_command(child)
            group = child
        group.add_command(_stub_command(path, spec))
    return root


def option_names(command: Any) -> set[str]:
    """Every option string of a (Click or Typer-Click) command, without --help."""
    names = {
        n for p in command.params for n in (*p.opts, *getattr(p, "secondary_opts", ())) if n.startswith("-")
    }
    return names - {"--help"}


def find_command(group: Any, path: str) -> Any | None:
    """The command at `path` ("app set-image") in `group`, or None."""
    node = group
    ctx = group.make_context("opsctl", [], resilient_parsing=True)
    for part in path.split():
        if not _is_group(node):
            return None
        node = node.get_command(ctx, part)
        if node is None:
            return None
    return node


def real_app() -> Any:
    """The Typer app as its (vendored) Click sees it, with the options `main` adds (--query)."""
    from opsctl.cli import command

    return command()


def parse_errors() -> tuple[type[Exception], ...]:
    """Usage errors of Click and of the Click copy that Typer vendors (`typer._click`)."""
    errors: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as TyperClickException
    except ImportError:
        pass
    else:
        errors.append(TyperClickException)
    return tuple(errors)


def error_message(exc: Any) -> str:
    """The one-line message of a Click (or Typer-Click) usage error."""
    return str(exc.format_message())


def _is_group(command: Any) -> bool:
    return hasattr(command, "resolve_command") and hasattr(command, "commands")


def _remaining(ctx: Any) -> list[str]:
    """Arguments a group left for its subcommand (Click 8.2+ keeps them in `_protected_args`)."""
    protected = vars(ctx).get("_protected_args")
    if protected is None:
        protected = getattr(ctx, "protected_args", [])
    return [*protected, *ctx.args]


def command_path(group: Any, args: Sequence[str]) -> tuple[str, ...]:
    """The subcommand names at the start of `args` (after root options) that `group` resolves."""
    ctx = group.make_context("opsctl", list(args), resilient_parsing=True)
    rest = _remaining(ctx)
    path: list[str] = []
    node = group
    while _is_group(node) and rest and not rest[0].startswith("-"):
        child = node.get_command(ctx, rest[0])
        if child is None:
            break
        path.append(rest.pop(0))
        node = child
    return tuple(path)


def parse(group: Any, args: Sequence[str]) -> tuple[str, ...]:
    """Parse `opsctl <args>` with `group` down to the leaf command and run stub checks; no execution."""
    ctx = group.make_context("opsctl", list(args))
    path: list[str] = []
    node = group
    rest = _remaining(ctx)
    while _is_group(node):
        if not rest:
            raise click.UsageError(f"opsctl {' '.join(path)}: a subcommand is required")
        name, child, rest = node.resolve_command(ctx, rest)
        assert name is not None and child is not None
        path.append(name)
        ctx = child.make_context(name, rest, parent=ctx)
        rest = _remaining(ctx) if _is_group(child) else []
        node = child
    if getattr(node.callback, "__module__", None) == __name__ and node.callback is not None:
        node.callback(**ctx.params)
    return tuple(path)


def validate_invocation(args: Sequence[str]) -> tuple[str, str]:
    """Check one workflow command line; returns (command path, "real")."""
    stub = stub_app()
    path = " ".join(command_path(stub, args))
    if path not in EXPECTED_COMMANDS:
        raise UnknownCommand(f"`opsctl {' '.join(args)}`: not a command listed in EXPECTED_COMMANDS")
    real = real_app()
    if " ".join(command_path(real, args)) != path:
        raise UnknownCommand(f"`opsctl {path}` is not implemented in opsctl")
    parse(real, args)
    return path, "real"
