"""`opsctl app set-image`: roll a new image out to the Container App."""

from __future__ import annotations

from pathlib import Path

import typer

from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured

app = typer.Typer(help="Operate the environment's Container App.", no_args_is_help=True)


@app.command("set-image")
def set_image(
    stack: str = common.STACK,
    image: str = typer.Option(..., "--image", help="Image reference with a tag or digest."),
    dry_run: bool = common.DRY_RUN,
    write_back: bool = common.WRITE_BACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Create a revision with IMAGE, wait until it runs, report revision and URL."""
    from opsctl.rollout import set_image as roll_out
    from opsctl.rollout import validate_image

    validate_image(image)
    where = common.EnvArgs(stack, subscription, sandbox, project_dir)
    with (
        where.locked(None if dry_run else lock_timeout) as (env, target),
        console().status("rolling out") as status,
    ):
        result = roll_out(
            env, target, image=image, dry_run=dry_run, write_config=write_back, progress=status.update
        )
    if structured(output):
        print_json(
            {
                "app": result.app,
                "before": result.before,
                "after": result.after,
                "applied": result.applied,
                "dryRun": dry_run,
                "revision": result.revision,
                "url": result.url,
                "writtenBack": result.written_back,
            }
        )
        return
    verb = "would roll out" if dry_run else ("rolled out" if result.applied else "already running")
    rows = [
        {
            "image (before)": result.before,
            "image (after)": result.after,
            "revision": result.revision,
            "url": result.url,
        }
    ]
    print_table(rows, list(rows[0]), title=f"{result.app}: {verb}")
    for label in result.written_back:
        console().print(f"wrote {label} to the stack file")
