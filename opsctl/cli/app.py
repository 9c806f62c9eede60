"""`opsctl app set-image`: roll a new image out to the Container App."""

from __future__ import annotations

from pathlib import Path

import typer

from opsctl.cli import common
from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, console, print_json, print_table, structured
from opsctl.errors import InvalidInput

app = typer.Typer(help="Operate the environment's Container App.", no_args_is_help=True)


@app.command("set-image")
def set_image(
    stack: str = common.STACK,
    image: str = typer.Option(..., "--image", help="Image reference with a tag or digest."),
    pin: bool = typer.Option(
        False,
        "--pin",
        help="Also pin IMAGE in Pulumi.<stack>.yaml (ragstack:app.image); default: CI owns it.",
    ),
    dry_run: bool = common.DRY_RUN,
    write_back: bool = common.WRITE_BACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Create a revision with IMAGE, wait until it runs, report revision and URL; the rollout is
    recorded in .ragstack/rollouts/<stack>.jsonl, and pinned in the stack file only with --pin (or
    when the stack pins its image already)."""
    from opsctl.rollout import set_image as roll_out
    from opsctl.rollout import validate_image

    validate_image(image)
    if pin and not write_back:
        raise typer.BadParameter(
            "writes the image to the stack file; drop --no-write-back", param_hint="--pin"
        )
    where = common.EnvArgs(stack, subscription, sandbox, project_dir)
    with (
        where.locked(None if dry_run else lock_timeout) as (env, target),
        console().status("rolling out") as status,
    ):
        result = roll_out(
            env,
            target,
            image=image,
            dry_run=dry_run,
            pin=pin,
            write_config=write_back,
            progress=status.update,
        )
    if structured(output):
        print_json(
            {
                "app": result.app,
                "before": result.before,
                "after": result.after,
                "applied": result.applied,
                "dryRun": dry_run,
                "pinned": result.pinned,
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


@app.command("revisions")
def revisions(
    stack: str = common.STACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """List the app's revisions, newest first, with their state and traffic."""
    from opsctl.revisions import list_revisions

    env, target = common.EnvArgs(stack, subscription, sandbox, project_dir).open()
    rows = [
        {
            "name": v.name,
            "active": v.active,
            "provisioningState": v.provisioning_state,
            "runningState": v.running_state,
            "trafficWeight": v.traffic_weight,
            "replicas": v.replicas,
            "image": v.image,
            "createdTime": v.created,
        }
        for v in list_revisions(env, target)
    ]
    if structured(output):
        print_json(rows)
        return
    columns = ["name", "active", "runningState", "trafficWeight", "image", "createdTime"]
    print_table(rows, columns, title=f"{env.names.container_app}: revisions")


@app.command("rollback")
def rollback(
    revision: str | None = typer.Argument(None, help="Revision to go back to (default: the one before)."),
    stack: str = common.STACK,
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say which revision it would copy; change nothing."
    ),
    output: OutputFormat = OUTPUT_OPTION,
    lock_timeout: float = common.LOCK_TIMEOUT,
) -> None:
    """Run an earlier revision again as a new revision (as `az containerapp revision copy` does); in
    single revision mode it takes all traffic once it runs."""
    from opsctl.revisions import begin_rollback

    where = common.EnvArgs(stack, subscription, sandbox, project_dir)
    with where.locked(lock_timeout) as (env, target), console().status("rolling back") as status:
        result, source = begin_rollback(
            env, target, revision=revision, progress=status.update, dry_run=dry_run
        )
    if structured(output):
        document = {
            "app": result.app,
            "from": source,
            "image": result.after,
            "revision": result.revision,
            "url": result.url,
            "writtenBack": result.written_back,
        }
        print_json({**document, "dryRun": True, "imageNow": result.before} if dry_run else document)
        return
    if dry_run:
        now = f"it runs {result.before} now"
        console().print(f"{result.app}: would create a revision from '{source}' ({result.after}); {now}")
        return
    console().print(
        f"{result.app}: revision '{result.revision}' runs the template of '{source}' ({result.after})"
    )
    for label in result.written_back:
        console().print(f"wrote {label} to the stack file")


@app.command("logs")
def logs(
    stack: str = common.STACK,
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep streaming new lines until interrupted."),
    tail: int = typer.Option(20, "--tail", help="Lines of history to show first (0-300, as az)."),
    revision: str | None = typer.Option(
        None, "--revision", help="Console logs of this revision (default: the latest ready one)."
    ),
    kind: str = typer.Option(
        "console", "--type", help="console (a container's output) or system (the app's events)."
    ),
    fmt: str = typer.Option("text", "--format", help="Console lines as text or json (system logs are JSON)."),
    max_lines: int | None = typer.Option(
        None, "--max-lines", hidden=True, help="Stop after N lines (scripts)."
    ),
    subscription: str | None = common.SUBSCRIPTION,
    sandbox: bool | None = common.SANDBOX,
    project_dir: Path = common.PROJECT_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Show the app's console or system log stream, like `az containerapp logs show`; --follow
    streams until Ctrl+C; `-o json` is `--format json` (a JSON object per line). The sandbox serves
    the events it knows (revisions, image pulls, replica starts, scaling) in Azure's format."""
    from opsctl.cli.output import QUERY
    from opsctl.logs import LogRequest, stream, validate

    if output is OutputFormat.tsv or QUERY.get() is not None:
        raise typer.BadParameter("a log stream prints text or JSON lines (-o json): filter them with jq")
    fmt = "json" if output is OutputFormat.json else fmt
    request = LogRequest(kind=kind, follow=follow, tail=tail, revision=revision, output=fmt)
    try:
        validate(request)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message) from None
    env, target = common.EnvArgs(stack, subscription, sandbox, project_dir).open()
    try:
        for line in stream(env, target, request, max_lines=max_lines):
            print(line, flush=True)
    except KeyboardInterrupt:
        return
