"""`opsctl scale search|app|openai`: thin wrappers over `opsctl.scale`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured

if TYPE_CHECKING:
    from opsctl.scale import ScaleResult

app = typer.Typer(help="Scale search, the app, or model deployment capacity.", no_args_is_help=True)


@app.command("search")
def search(
    stack: str = common.STACK,
    replicas: int | None = typer.Option(None, "--replicas", min=1, help="Target replica count."),
    partitions: int | None = typer.Option(None, "--partitions", min=1, help="Target partition count."),
    wait_busy: bool = typer.Option(
        False, "--wait-busy", help="Wait for a running update instead of failing."
    ),
    dry_run: bool = common.DRY_RUN,
    write_back: bool = common.WRITE_BACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Change search replicas/partitions (validated against the tier first)."""
    from opsctl.scale import scale_search

    _run(
        scale_search,
        common.EnvArgs(stack, subscription, sandbox, project_dir),
        output=output,
        dry_run=dry_run,
        write_config=write_back,
        lock_timeout=lock_timeout,
        replicas=replicas,
        partitions=partitions,
        wait_busy=wait_busy,
    )


@app.command("app")
def app_replicas(
    stack: str = common.STACK,
    min_replicas: int | None = typer.Option(None, "--min", help="Minimum replicas (0 scales to zero)."),
    max_replicas: int | None = typer.Option(None, "--max", help="Maximum replicas (1-1000)."),
    dry_run: bool = common.DRY_RUN,
    write_back: bool = common.WRITE_BACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Change the container app's min/max replicas and confirm them by reading the app back."""
    from opsctl.scale import scale_app

    _run(
        scale_app,
        common.EnvArgs(stack, subscription, sandbox, project_dir),
        output=output,
        dry_run=dry_run,
        write_config=write_back,
        lock_timeout=lock_timeout,
        min_replicas=min_replicas,
        max_replicas=max_replicas,
    )


@app.command("openai")
def openai(
    stack: str = common.STACK,
    deployment: str = typer.Option(..., "--deployment", "-d", help="Model deployment name."),
    capacity: int = typer.Option(..., "--capacity", help="New capacity (thousands of TPM, or PTUs)."),
    dry_run: bool = common.DRY_RUN,
    write_back: bool = common.WRITE_BACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Change a model deployment's capacity after a regional quota check."""
    from opsctl.scale import scale_openai

    _run(
        scale_openai,
        common.EnvArgs(stack, subscription, sandbox, project_dir),
        output=output,
        dry_run=dry_run,
        write_config=write_back,
        lock_timeout=lock_timeout,
        deployment=deployment,
        capacity=capacity,
    )


def _run(
    operation: Callable[..., ScaleResult],
    where: common.EnvArgs,
    *,
    output: OutputFormat,
    dry_run: bool,
    write_config: bool,
    lock_timeout: float,
    **options: Any,
) -> None:
    """Open the environment under its lock, run one scale operation with a progress spinner, print
    the result."""
    with where.locked(None if dry_run else lock_timeout) as (env, target), _progress() as note:
        result = operation(env, target, dry_run=dry_run, write_config=write_config, progress=note, **options)
    _report(result, output, dry_run)


class _progress:
    """A status spinner on stderr whose text follows the operation's progress notes."""

    def __enter__(self) -> Callable[[str], None]:
        self._status = console().status("working")
        self._status.__enter__()
        return lambda text: self._status.update(text)

    def __exit__(self, *exc: object) -> None:
        self._status.__exit__(*exc)


def _report(result: ScaleResult, output: OutputFormat, dry_run: bool) -> None:
    if structured(output):
        print_json(
            {
                "resource": result.resource,
                "before": result.before,
                "after": result.after,
                "changed": result.changed,
                "applied": result.applied,
                "dryRun": dry_run,
                "writtenBack": result.written_back,
                "notes": result.notes,
            }
        )
        return
    rows = [
        {"setting": key, "before": result.before.get(key), "after": value}
        for key, value in result.after.items()
    ]
    verb = "would change" if dry_run else ("changed" if result.applied else "unchanged")
    if result.applied and not result.changed:
        verb = "re-applied"
    print_table(rows, ["setting", "before", "after"], title=f"{result.resource}: {verb}")
    for note in result.notes:
        console().print(note)
    for label in result.written_back:
        console().print(f"wrote {label} to the stack file")
