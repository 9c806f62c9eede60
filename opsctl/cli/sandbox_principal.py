"""`opsctl sandbox principal ...`: the sandbox directory's users, groups and service principals,
and the roles the sandbox grants them. `--dry-run` asks the sandbox what a write would change
(`?dryRun=true` on its admin API: the real change, rolled back)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, print_json, print_table, structured
from opsctl.cli.sandbox_admin import STATE_DIR, admin_call

app = typer.Typer(
    help="Users, groups and service principals of the sandbox's directory, and their roles.",
    no_args_is_help=True,
)

DRY_RUN = typer.Option(False, "--dry-run", help="Print what would change; change nothing.")
PRINCIPAL_COLUMNS = ["principalType", "objectId", "displayName", "appId"]
ASSIGNMENT_COLUMNS = ["role", "scope", "principalId", "name"]


class PrincipalType(StrEnum):
    user = "User"
    group = "Group"
    service_principal = "ServicePrincipal"


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Display name."),
    principal_type: PrincipalType = typer.Option(PrincipalType.service_principal, "--type"),
    object_id: str | None = typer.Option(None, help="Object id (default: a new GUID)."),
    client_id: str | None = typer.Option(None, help="Service principal: its app (client) id (default: new)."),
    secret: str | None = typer.Option(None, help="Service principal: a client secret it signs in with."),
    member: list[str] = typer.Option([], help="Group: a member's object id (repeatable)."),
    role: list[str] = typer.Option([], help="A built-in role at --scope (repeatable)."),
    scope: str | None = typer.Option(None, help="Scope of --role (default: the subscription)."),
    dry_run: bool = DRY_RUN,
    state_dir: Path | None = STATE_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Register a principal (and grant it roles) so opsctl, SDKs or az can act as it."""
    kind = principal_type.value
    if kind != "ServicePrincipal" and (client_id or secret):
        raise typer.BadParameter("--client-id and --secret apply to --type ServicePrincipal only")
    if kind != "Group" and member:
        raise typer.BadParameter("--member applies to --type Group only")
    spec = {
        "display_name": name,
        "object_id": object_id,
        "client_id": client_id,
        "secret": secret,
        "members": member,
        "roles": [{"role": r, "scope": scope} for r in role],
    }
    doc = admin_call(state_dir, lambda admin: admin.register_principal(kind, dry_run=dry_run, **spec))
    if structured(output):
        print_json(doc)
    elif dry_run:
        _say_preview(doc, new_object_id=object_id is None)
    else:
        _say_added(doc, secret=secret, roles=role, scope=scope)


def _say_added(doc: dict[str, Any], *, secret: str | None, roles: list[str], scope: str | None) -> None:
    typer.echo(f"{doc['principalType']} '{doc['displayName']}' object id {doc['objectId']}")
    if doc.get("appId"):
        typer.echo(f"  export AZURE_CLIENT_ID={doc['appId']}")
        if secret:
            typer.echo(f"  export AZURE_CLIENT_SECRET={secret}")
    for r in roles:
        typer.echo(f"  role '{r}' at {scope or 'the subscription'}")


@app.command("grant")
def grant(
    object_id: str = typer.Argument(..., help="The principal's object id."),
    role: str = typer.Option(..., help="Built-in role name or GUID."),
    scope: str | None = typer.Option(None, help="Scope (default: the subscription)."),
    condition: str | None = typer.Option(None, help="ABAC condition (version 2.0); @FILE reads a file."),
    dry_run: bool = DRY_RUN,
    state_dir: Path | None = STATE_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Assign a role to a registered principal (done by the sandbox, not through ARM)."""
    if condition and condition.startswith("@"):
        condition = Path(condition[1:]).read_text()
    doc = admin_call(
        state_dir,
        lambda admin: admin.grant(object_id, role, scope=scope, condition=condition, dry_run=dry_run),
    )
    if structured(output):
        print_json(doc)
    elif dry_run:
        _say_preview(doc, new_object_id=False)
    else:
        typer.echo(f"role assignment {doc['name']}: '{role}' at {doc['properties']['scope']}")


def _say_preview(doc: dict[str, Any], *, new_object_id: bool) -> None:
    """A dry run in words: what would be added, replaced or dropped (new ids are not final)."""
    say = typer.echo
    for verb, key in (
        ("add", "addedPrincipals"),
        ("replace", "replacedPrincipals"),
        ("drop", "removedPrincipals"),
    ):
        for p in doc.get(key, []):
            oid = "a new object id" if new_object_id and verb == "add" else f"object id {p['objectId']}"
            app_id = f", client id {p['appId']}" if p.get("appId") else ""
            say(f"would {verb} {p['principalType']} '{p['displayName']}' ({oid}{app_id})")
    for a in doc.get("addedRoleAssignments", []):
        say(f"would assign '{a['role']}' at {a['scope']}")
    changes = ("addedPrincipals", "replacedPrincipals", "removedPrincipals", "addedRoleAssignments")
    if not any(doc.get(k) for k in changes):
        say("no change: already in place")
    say("dry run: nothing changed")


@app.command("list")
def list_(state_dir: Path | None = STATE_DIR, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Every principal of the sandbox's directory."""
    principals = admin_call(state_dir, lambda admin: admin.principals())
    if structured(output):
        print_json(principals)
        return
    for p in principals:
        app_id = f" client id {p['appId']}" if p.get("appId") else ""
        typer.echo(f"{p['principalType']:<16} {p['objectId']} {p['displayName']}{app_id}")


@app.command("show")
def show(
    object_id: str = typer.Argument(..., help="Object id or client (app) id."),
    state_dir: Path | None = STATE_DIR,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """One principal of the sandbox's directory (by object id or client id)."""
    from opsctl.errors import OpsError

    wanted = object_id.lower()
    principals = admin_call(state_dir, lambda admin: admin.principals())
    found = next((p for p in principals if wanted in (p["objectId"], p.get("appId"))), None)
    if found is None:
        raise OpsError(f"no principal '{object_id}' in the sandbox", hint="opsctl sandbox principal list")
    if structured(output):
        print_json(found)
        return
    keys = [*PRINCIPAL_COLUMNS, "hasSecret", "members"]
    rows = [
        {"key": k, "value": ", ".join(v) if isinstance(v, list) else v} for k in keys for v in [found.get(k)]
    ]
    print_table(rows, ["key", "value"], title="sandbox principal")
