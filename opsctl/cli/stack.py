"""`opsctl stack ...`: create stack files; `stack new` makes a per-pull-request environment."""

from __future__ import annotations

from pathlib import Path

import typer

from opsctl.cli.output import OUTPUT_OPTION, OutputFormat

PROJECT_DIR_OPTION = typer.Option(Path("."), "--project-dir", help="Directory holding Pulumi.yaml.")

app = typer.Typer(help="Create stack files (Pulumi.<stack>.yaml).", no_args_is_help=True)


@app.command("new")
def new(
    name: str = typer.Argument(..., help="New stack and environment name, e.g. pr-123."),
    base: str = typer.Option(..., "--from", help="Existing stack to copy, e.g. dev."),
    ttl: str = typer.Option("72h", "--ttl", help="Lifetime before the janitor may remove it: 30m, 24h, 3d."),
    project_dir: Path = PROJECT_DIR_OPTION,
    force: bool = typer.Option(False, "--force", help="Replace an existing Pulumi.<name>.yaml."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the stack file it would write; write nothing."
    ),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Create an ephemeral stack from BASE: dev profile, not protected, with an expiry."""
    from opsctl.cli.output import console, print_json, structured
    from opsctl.stacks import ephemeral_stack_file

    stack_file = ephemeral_stack_file(name, base=base, ttl=ttl, project_dir=project_dir, force=force)
    if not dry_run:
        stack_file.save()
    settings = stack_file.settings()
    expires = settings.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ") if settings.expires_at else None
    if structured(output):
        document = {
            "stack": name,
            "base": base,
            "file": str(stack_file.path),
            "environment": settings.environment,
            "profile": settings.profile,
            "ephemeral": settings.ephemeral,
            "expiresAt": expires,
        }
        print_json({**document, "dryRun": True, "content": stack_file.text()} if dry_run else document)
        return
    verb = "would create" if dry_run else "created"
    console().print(
        f"{verb} {stack_file.path} from Pulumi.{base}.yaml (profile {settings.profile}, expires {expires})",
        soft_wrap=True,
    )
    if dry_run:
        typer.echo(stack_file.text(), nl=False)  # stdout: the file itself, for a pipe or a review


@app.command("select")
def select(
    name: str = typer.Argument(..., help="Stack to act on when --stack is not given."),
    project_dir: Path = PROJECT_DIR_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be selected; write nothing."),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Make NAME the default stack (like `pulumi stack select`); OPSCTL_STACK and --stack win over it."""
    from opsctl.cli.common import SELECTED_STACK_FILE
    from opsctl.cli.output import console, print_json, structured
    from opsctl.environment import load_environment

    load_environment(name, project_dir=project_dir)
    path = project_dir / SELECTED_STACK_FILE
    if not dry_run:
        path.write_text(name + "\n", encoding="utf-8")
    if structured(output):
        print_json({"stack": name, "file": str(path), "dryRun": dry_run})
        return
    console().print(f"{'would select' if dry_run else 'selected'} stack {name} ({path})", highlight=False)
