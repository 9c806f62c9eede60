"""Safe, ordered, resumable environment teardown.

Environments are found only by their tags (project, managed-by, environment), never by name
patterns. Order (ops-pitfalls S-4/S-5, T-1..T-6): refuse on locks; delete model deployments one at a
time (stops provisioned billing); delete Cognitive Services accounts, noting their locations; delete
the resource group; purge the soft-deleted accounts so names and subdomains are free at once. Every
step checks live state first, so a re-run after an interruption continues where it stopped.

Purge is irreversible, so it only reaches soft-deleted accounts this tool can prove it owns (see
`purge_refusal`); everything else is reported as skipped. The janitor decides per resource group from
that group's own tags: two groups sharing an environment name never lend each other their tags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.armshape import api_version
from infra.tags import MANAGED_BY, PROJECT
from opsctl.arm_errors import arm_errors
from opsctl.environment import Environment
from opsctl.errors import InvalidInput, OpsError
from opsctl.janitor import DEFAULT_CONCURRENCY, Gate, run_with_retries
from opsctl.target import Target
from opsctl.teardown_network import NETWORK_TYPES, NetworkPiece, delete_network, find_network
from opsctl.waiting import Progress, _quiet

COGNITIVE_TYPE = "microsoft.cognitiveservices/accounts"
ML_WORKSPACE_TYPE = "microsoft.machinelearningservices/workspaces"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
VAULT_TYPE = "microsoft.keyvault/vaults"
FOUNDRY_PROJECT = "azure-native:cognitiveservices:Project"
OWNERSHIP_TAGS = ("project", "managed-by", "environment")


@dataclass(frozen=True)
class CognitiveAccount:
    name: str
    resource_group: str
    location: str
    kind: str
    deployments: tuple[str, ...] = ()
    # Foundry projects (ARM ids): an account with projects refuses deletion (CannotDeleteResource).
    projects: tuple[str, ...] = ()
    # As ARM records them; a deleted account keeps its tags (spec example GetDeletedAccount.json).
    tags: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource_group.lower(), self.name.lower())


class Owned(Protocol):
    """What `purge_refusal` judges: the tags ARM recorded and the (group, name) key."""

    @property
    def tags(self) -> Mapping[str, str]: ...

    @property
    def key(self) -> tuple[str, str]: ...


@dataclass(frozen=True)
class SoftDeletable:
    """A Key Vault or Machine Learning workspace: soft-deleted by a delete (also of its group)."""

    name: str
    resource_group: str
    location: str
    tags: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    # Soft-deleted vaults only: purge protection refuses a purge until `purge_at`.
    purge_protected: bool = False
    purge_at: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource_group.lower(), self.name.lower())


@dataclass
class EnvironmentTeardown:
    """What teardown found for one environment, and what it did."""

    environment: str
    resource_groups: list[str]
    tags: dict[str, str]
    accounts: list[CognitiveAccount] = field(default_factory=list)
    soft_deleted: list[CognitiveAccount] = field(default_factory=list)
    locks: list[str] = field(default_factory=list)
    created_at: dt.datetime | None = None
    done: list[str] = field(default_factory=list)
    error: str | None = None
    protect_setting: bool = False
    # Groups gone (or never tagged) whose soft-deleted accounts still wait for a purge; never deleted.
    purge_only_groups: list[str] = field(default_factory=list)
    # Accounts and vaults this teardown deleted itself, by `key`: purgeable even untagged.
    deleted_accounts: set[tuple[str, str]] = field(default_factory=set)
    workspaces: list[SoftDeletable] = field(default_factory=list)
    vaults: list[SoftDeletable] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Private endpoints and VNet links, deleted before anything else (opsctl.teardown_network).
    network: list[NetworkPiece] = field(default_factory=list)

    @property
    def has_work(self) -> bool:
        return bool(self.resource_groups or self.purge_only_groups)

    @property
    def protected(self) -> bool:
        return self.protect_setting or self.tags.get("profile") == "prod"

    @property
    def ephemeral(self) -> bool:
        return self.tags.get("ephemeral") == "true"

    @property
    def expires_at(self) -> dt.datetime | None:
        value = self.tags.get("expires-at")
        return _parse_time(value) if value else None


def _parse_time(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_age(text: str) -> dt.timedelta:
    """`30m`, `24h`, `3d` -> timedelta; anything else is one clear InvalidInput line."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.isdigit() or int(number) <= 0:
        raise InvalidInput(f"--older-than {text}: use a positive number with m, h or d (e.g. 24h)")
    return dt.timedelta(**{units[unit]: int(number)})


def _resources_client(target: Target) -> Any:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return target.client(ResourceManagementClient)


def _cognitive_client(target: Target) -> Any:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    return target.client(CognitiveServicesManagementClient)


def find_ephemeral(target: Target) -> list[EnvironmentTeardown]:
    """Resource groups whose own tags say ephemeral, inspected (locks, accounts, age); others are not
    read. A long-lived group sharing an environment name with a stale one is never among them."""
    return [inspect_environment(target, e) for e in find_environments(target) if e.ephemeral]


def find_environments(target: Target, *, environment: str | None = None) -> list[EnvironmentTeardown]:
    """One entry per resource group carrying ragstack's ownership tags, with that group's own tags."""
    client = _resources_client(target)
    query = f"tagName eq 'environment' and tagValue eq '{environment}'" if environment else None
    query = query or f"tagName eq 'managed-by' and tagValue eq '{MANAGED_BY}'"
    with arm_errors("listing resource groups"):
        groups = list(client.resource_groups.list(filter=query))
    found = []
    for group in groups:
        tags = dict(group.tags or {})
        if tags.get("project") != PROJECT or tags.get("managed-by") != MANAGED_BY:
            continue
        name = tags.get("environment", "")
        if environment and name != environment:
            continue
        found.append(EnvironmentTeardown(name, [group.name], tags))
    return sorted(found, key=lambda e: (e.environment, e.resource_groups))


def merge_groups(environment: str, parts: Sequence[EnvironmentTeardown]) -> EnvironmentTeardown:
    """One stack's groups as one teardown, judged by the strictest of their tags: protected if any
    group is production, ephemeral (purge by default) only if every group is."""
    tags = dict(parts[0].tags) if parts else {}
    tags.pop("ephemeral", None)
    if parts and all(p.ephemeral for p in parts):
        tags["ephemeral"] = "true"
    if any(p.tags.get("profile") == "prod" for p in parts):
        tags["profile"] = "prod"
    return EnvironmentTeardown(environment, [g for p in parts for g in p.resource_groups], tags)


def inspect_environment(target: Target, env: EnvironmentTeardown) -> EnvironmentTeardown:
    """Fill in locks, Cognitive Services accounts with deployments, soft-deleted leftovers and age."""
    resources = _resources_client(target)
    cognitive = _cognitive_client(target)
    env.locks, env.accounts, env.workspaces, env.vaults, env.network = [], [], [], [], []
    for group in env.resource_groups:
        if not resources.resource_groups.check_existence(group):
            continue
        env.locks += _locks(target, group)
        with arm_errors(f"listing resources of {group}"):
            items = list(resources.resources.list_by_resource_group(group, expand="createdTime"))
        if {(i.type or "").lower() for i in items} & NETWORK_TYPES:
            env.network += find_network(target, group, env.environment)
        created = [i.created_time for i in items if getattr(i, "created_time", None)]
        if created:
            oldest = min(created)
            env.created_at = min(filter(None, [env.created_at, oldest]))
        for item in items:
            kind = (item.type or "").lower()
            if kind == COGNITIVE_TYPE:
                env.accounts.append(_account(cognitive, resources, group, item))
            elif kind in (ML_WORKSPACE_TYPE, VAULT_TYPE):
                found = SoftDeletable(item.name, group, item.location, dict(item.tags or {}))
                (env.workspaces if kind == ML_WORKSPACE_TYPE else env.vaults).append(found)
    env.soft_deleted = _soft_deleted(cognitive, env.resource_groups)
    return env


def _locks(target: Target, group: str) -> list[str]:
    from azure.mgmt.resource.locks import ManagementLockClient

    client: Any = target.client(ManagementLockClient)
    with arm_errors(f"listing locks of {group}"):
        return [
            f"{lock.name} ({lock.level}) on {group}"
            for lock in client.management_locks.list_at_resource_group_level(group)
        ]


def _account(cognitive: Any, resources: Any, group: str, item: Any) -> CognitiveAccount:
    with arm_errors(f"listing deployments of {item.name}"):
        deployments = tuple(d.name for d in cognitive.deployments.list(group, item.name))
    projects = _projects(resources, item) if (item.kind or "").lower() == "aiservices" else ()
    return CognitiveAccount(item.name, group, item.location, item.kind or "", deployments, projects)


def _projects(resources: Any, account: Any) -> tuple[str, ...]:
    """The account's Foundry projects, read through the generic resources API (azure-mgmt-
    cognitiveservices 14.1 has no projects operations)."""
    with arm_errors(f"listing projects of {account.name}"):
        listed = resources.resources.get_by_id(
            f"{account.id}/projects",
            api_version=api_version(FOUNDRY_PROJECT),
            cls=lambda response, _deserialized, _headers: response.http_response.json(),
        )
    return tuple(project["id"] for project in listed.get("value") or [])


def _soft_deleted(cognitive: Any, groups: Sequence[str]) -> list[CognitiveAccount]:
    wanted = {g.lower() for g in groups}
    with arm_errors("listing soft-deleted Cognitive Services accounts"):
        deleted = list(cognitive.deleted_accounts.list())
    leftovers = []
    for account in deleted:
        group = _id_segment(account.id, "resourceGroups")
        if group and group.lower() in wanted:
            tags = dict(account.tags or {})
            leftovers.append(
                CognitiveAccount(account.name, group, account.location, account.kind or "", tags=tags)
            )
    return leftovers


def purge_refusal(account: Owned, env: EnvironmentTeardown) -> str | None:
    """Why `account` must not be purged, or None when teardown can prove it owns it: its recorded
    ownership tags are ours, or this teardown deleted it and no tag names another owner."""
    tags = {k.lower(): v for k, v in account.tags.items()}  # ARM tag names are case-insensitive
    expected = {"project": PROJECT, "managed-by": MANAGED_BY, "environment": env.environment}
    claims = {k: tags[k] for k in OWNERSHIP_TAGS if k in tags}
    foreign = [f"{k}={v}" for k, v in claims.items() if v != expected[k]]
    if foreign:
        return f"tagged {', '.join(foreign)}"
    if len(claims) == len(OWNERSHIP_TAGS) or account.key in env.deleted_accounts:
        return None
    missing = [k for k in OWNERSHIP_TAGS if k not in claims]
    what = "no ownership tags" if not claims else f"no {', '.join(missing)} tag"
    return f"{what} and not deleted by this teardown"


def _id_segment(resource_id: str, key: str) -> str | None:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index(key.lower()) + 1] if key.lower() in lowered else None


def check_allowed(env: EnvironmentTeardown, *, yes: bool, confirm: str | None) -> None:
    """Protected environments need --yes and the environment name typed back; locks stop everything."""
    if env.locks:
        raise OpsError(
            f"environment '{env.environment}' has management locks: {'; '.join(env.locks)}",
            code="ScopeLocked",
            hint="remove the locks deliberately, then re-run; teardown never deletes around them",
        )
    if env.protected and not (yes and confirm == env.environment):
        raise OpsError(
            f"environment '{env.environment}' is protected (production)",
            hint=f"re-run with --yes --confirm {env.environment} (the name, typed back)",
        )


def planned_steps(env: EnvironmentTeardown, *, purge: bool) -> list[tuple[str, str]]:
    """(action, target) in the order `begin_teardown` takes them, for a dry run to show."""
    steps: list[tuple[str, str]] = [(f"delete {piece.kind}", piece.label) for piece in env.network]
    for account in env.accounts:
        steps += [("delete project", f"{account.name}/{p.rsplit('/', 1)[-1]}") for p in account.projects]
        steps += [("delete deployment", f"{account.name}/{d}") for d in account.deployments]
        steps.append(("delete account", f"{account.name} ({account.location})"))
    workspace_action = "delete workspace for good" if purge else "delete workspace (soft delete)"
    steps += [(workspace_action, w.name) for w in env.workspaces]
    steps += [("delete resource group", group) for group in env.resource_groups]
    if purge:
        leftovers = [a for a in env.soft_deleted if purge_refusal(a, env) is None]
        steps += [("purge account", f"{a.name} ({a.location})") for a in [*env.accounts, *leftovers]]
        steps += [("purge key vault", v.name) for v in env.vaults]
    return steps


def purge_command(env: EnvironmentTeardown, stack: str | None) -> str:
    """The command that frees names held by soft-deleted accounts of `env`."""
    return f"opsctl teardown --stack {stack} --purge" if stack else "opsctl teardown --all-ephemeral --purge"


def begin_teardown(
    target: Target, env: EnvironmentTeardown, *, purge: bool, progress: Progress = _quiet
) -> EnvironmentTeardown:
    """Delete one environment in the safe order; safe to call again after an interruption."""
    cognitive = _cognitive_client(target)
    resources = _resources_client(target)
    env.done += delete_network(target, env.network, env.environment, progress)
    for account in env.accounts:
        for project_id in account.projects:
            project = project_id.rsplit("/", 1)[-1]
            progress(f"{env.environment}: deleting project {account.name}/{project}")
            with arm_errors(f"deleting project {account.name}/{project}"):
                resources.resources.begin_delete_by_id(
                    project_id, api_version=api_version(FOUNDRY_PROJECT)
                ).result()
            env.done.append(f"deleted project {account.name}/{project}")
        for deployment in account.deployments:
            progress(f"{env.environment}: deleting deployment {account.name}/{deployment}")
            with arm_errors(f"deleting deployment {account.name}/{deployment}"):
                cognitive.deployments.begin_delete(account.resource_group, account.name, deployment).result()
            env.done.append(f"deleted deployment {account.name}/{deployment}")
        progress(f"{env.environment}: deleting account {account.name}")
        with arm_errors(f"deleting account {account.name}"):
            cognitive.accounts.begin_delete(account.resource_group, account.name).result()
        env.deleted_accounts.add(account.key)
        env.done.append(f"deleted account {account.name} ({account.location})")
    for workspace in env.workspaces:
        _delete_workspace(target, env, workspace, purge=purge, progress=progress)
    _delete_groups(target, env, progress)
    # Deleting the group soft-deleted its vaults: this teardown deleted them.
    env.deleted_accounts.update(vault.key for vault in env.vaults)
    if purge:
        _purge(cognitive, env, progress)
        _purge_vaults(target, env, progress)
    return env


def _delete_workspace(
    target: Target, env: EnvironmentTeardown, workspace: SoftDeletable, *, purge: bool, progress: Progress
) -> None:
    """Delete an ML workspace before its group. With --purge, `forceToPurge=true` deletes it for good
    at once (learn.microsoft.com/azure/machine-learning/concept-soft-delete: "permanently delete"),
    but only when its own tags prove it is ours; a soft-deleted workspace has no list operation to
    find it again later [unverified: none in the stable spec]."""
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

    client: Any = target.client(MachineLearningServicesMgmtClient, api_version=api_version(ML_WORKSPACE))
    refusal = purge_refusal(workspace, env) if purge else None
    force = purge and refusal is None
    progress(f"{env.environment}: deleting workspace {workspace.name}")
    with arm_errors(f"deleting workspace {workspace.name}"):
        params = {"forceToPurge": "true"} if force else {}
        client.workspaces.begin_delete(workspace.resource_group, workspace.name, params=params).result()
    env.done.append(f"deleted workspace {workspace.name}" + (" for good (forceToPurge)" if force else ""))
    if refusal:
        env.skipped.append(
            f"skipped purge of workspace {workspace.name} in {workspace.resource_group}: {refusal}"
        )


def _delete_groups(target: Target, env: EnvironmentTeardown, progress: Progress) -> None:
    resources = _resources_client(target)
    for group in env.resource_groups:
        with arm_errors(f"checking resource group {group}"):
            exists = resources.resource_groups.check_existence(group)
        if not exists:
            continue
        progress(f"{env.environment}: deleting resource group {group}")
        with arm_errors(f"deleting resource group {group}"):
            resources.resource_groups.begin_delete(group).result()
        env.done.append(f"deleted resource group {group}")


def _purge(cognitive: Any, env: EnvironmentTeardown, progress: Progress) -> None:
    for account in _soft_deleted(cognitive, [*env.resource_groups, *env.purge_only_groups]):
        refusal = purge_refusal(account, env)
        if refusal:
            note = f"skipped purge of {account.name} in {account.resource_group}: {refusal}"
            if note not in env.skipped:
                env.skipped.append(note)
            continue
        progress(f"{env.environment}: purging {account.name} in {account.location}")
        with arm_errors(f"purging soft-deleted account {account.name}"):
            cognitive.deleted_accounts.begin_purge(
                account.location, account.resource_group, account.name
            ).result()
        env.done.append(f"purged account {account.name} ({account.location})")


def _vault_client(target: Target) -> Any:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    return target.client(KeyVaultManagementClient)


def _soft_deleted_vaults(target: Target, groups: Sequence[str]) -> list[SoftDeletable]:
    """Soft-deleted vaults that lived in `groups`; they keep their tags (DeletedVaultProperties)."""
    wanted = {g.lower() for g in groups}
    with arm_errors("listing soft-deleted key vaults"):
        deleted = list(_vault_client(target).vaults.list_deleted())
    found = []
    for vault in deleted:
        props = vault.properties
        group = _id_segment(props.vault_id or "", "resourceGroups")
        if group and group.lower() in wanted:
            found.append(
                SoftDeletable(
                    vault.name,
                    group,
                    props.location,
                    dict(props.tags or {}),
                    bool(props.purge_protection_enabled),
                    props.scheduled_purge_date,
                )
            )
    return found


def _purge_vaults(target: Target, env: EnvironmentTeardown, progress: Progress) -> None:
    """Purge the environment's soft-deleted vaults. Purge protection makes Azure refuse a purge until
    the retention ends (learn.microsoft.com/azure/key-vault/general/soft-delete-overview), so such a
    vault is reported with the time its name frees instead."""
    for vault in _soft_deleted_vaults(target, [*env.resource_groups, *env.purge_only_groups]):
        refusal = purge_refusal(vault, env)
        if refusal is None and vault.purge_protected:
            frees = (
                f"{vault.purge_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
                if vault.purge_at
                else "the end of its retention"
            )
            refusal = f"purge protection is on; the name frees at {frees}"
        if refusal:
            note = f"skipped purge of vault {vault.name} in {vault.resource_group}: {refusal}"
            if note not in env.skipped:
                env.skipped.append(note)
            continue
        progress(f"{env.environment}: purging vault {vault.name} in {vault.location}")
        with arm_errors(f"purging soft-deleted vault {vault.name}"):
            _vault_client(target).vaults.begin_purge_deleted(vault.name, vault.location).result()
        env.done.append(f"purged vault {vault.name} ({vault.location})")


def select_expired(
    envs: Sequence[EnvironmentTeardown], *, older_than: dt.timedelta, now: dt.datetime | None = None
) -> list[EnvironmentTeardown]:
    """Ephemeral environments that are due: past their `expires-at` tag when they carry one (a
    renewed expiry keeps a busy PR environment alive), otherwise older than `older_than`."""
    now = now or dt.datetime.now(dt.UTC)
    chosen = []
    for env in envs:
        if not env.ephemeral or env.protected:
            continue
        if env.expires_at is not None:
            due = env.expires_at <= now
        else:
            due = env.created_at is not None and now - env.created_at >= older_than
        if due:
            chosen.append(env)
    return chosen


def teardown_many(
    target: Target,
    envs: Sequence[EnvironmentTeardown],
    *,
    purge: bool,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = _quiet,
) -> list[EnvironmentTeardown]:
    """Tear several environments down at once with a bounded pool; a throttled or busy environment
    is retried (re-reading live state) before it counts as failed, and one failure doesn't stop the
    rest."""
    gate = Gate(target)

    def attempt(env: EnvironmentTeardown, number: int) -> EnvironmentTeardown:
        if number > 1:
            inspect_environment(target, env)
        return begin_teardown(target, env, purge=purge, progress=progress)

    def run(env: EnvironmentTeardown) -> EnvironmentTeardown:
        try:
            return run_with_retries(
                lambda n: attempt(env, n), target=target, gate=gate, what=env.environment, progress=progress
            )
        except OpsError as exc:
            env.error = exc.one_line()
            return env

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(run, envs))


def plan_stack_teardown(target: Target, env: Environment) -> EnvironmentTeardown:
    """The teardown of one stack: its tagged groups, or just leftovers to purge after an interruption."""
    found = find_environments(target, environment=env.settings.environment)
    plan = merge_groups(env.settings.environment, found)
    group = [env.resource_group]
    if not found:
        plan.soft_deleted = _soft_deleted(_cognitive_client(target), group)
        if plan.soft_deleted or _soft_deleted_vaults(target, group):
            plan.purge_only_groups = group
    plan.protect_setting = env.settings.protect or env.settings.is_production
    if plan.resource_groups:
        inspect_environment(target, plan)
    return plan
