"""`opsctl up --sandbox`: the real Pulumi program, with every registration applied to an ARM endpoint.

The program runs under Pulumi's mock runtime (no CLI, no plugins), but the mocks turn each resource
into a real ARM PUT through the official SDK pipeline, in Pulumi's dependency order (a resource is
registered only once its inputs are known), and hand the server's values (ids, principal ids,
endpoints) back to the program. Before writing, each resource is read: if the live resource already
has every desired value and is settled healthy, nothing is sent, so a re-run is idempotent, a config
change re-applies only what changed, and a resource whose last operation failed is re-PUT (repaired).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from infra.armshape import api_version, arm_body
from infra.catalog.cognitive import quota_usage_name
from infra.catalog.provisioning import Health, Verdict, judge_body
from infra.mockrun import ArmMocks, Rendered, render
from opsctl.arm_errors import arm_errors, unless_missing
from opsctl.environment import Environment
from opsctl.errors import OpsError
from opsctl.pulls import until_pulled
from opsctl.quota import check_quota, increases
from opsctl.target import Target
from opsctl.waiting import Progress, _quiet

# Values ARM accepts but never returns (secrets, one-shot flags): not compared when diffing.
WRITE_ONLY = frozenset({"sharedKey", "restore", "value"})


@dataclass(frozen=True)
class ResourceChange:
    """One resource as `up` saw it: Pulumi type and logical name, what it did and which values."""

    type: str
    name: str
    id: str
    action: str
    changes: tuple[str, ...] = ()


@dataclass
class DeployReport:
    """What `up` did (or, in a dry run, would do) per resource: created, updated or unchanged."""

    actions: dict[str, str] = field(default_factory=dict)
    resources: list[ResourceChange] = field(default_factory=list)
    rendered: Rendered | None = None
    dry_run: bool = False

    @property
    def writes(self) -> int:
        return sum(1 for a in self.actions.values() if a != "unchanged")


class SandboxMocks(ArmMocks):
    """Mocks whose registrations are ARM PUTs; reads and answers come from the live endpoint."""

    def __init__(
        self, target: Target, location: str, progress: Progress = _quiet, *, dry_run: bool = False
    ) -> None:
        super().__init__(target.subscription_id, location)
        self.target = target
        self.progress = progress
        self.dry_run = dry_run
        self.report = DeployReport(dry_run=dry_run)
        self.failure: OpsError | None = None
        # Every refused resource (name, error), in order: registrations run side by side, so one
        # failure rarely comes alone.
        self.failures: list[tuple[str, OpsError]] = []
        # Filled by infra.mockrun's monitor: (type, name) -> the resource's ignoreChanges paths.
        self.ignore_changes: dict[tuple[str, str], tuple[str, ...]] = {}
        self._lock = threading.Lock()
        from azure.mgmt.resource.resources import ResourceManagementClient

        self.resources: Any = target.client(ResourceManagementClient)

    def new_resource(self, args: Any) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:
            return "", {}
        inputs = dict(args.inputs)
        resource_id = self.arm_id(args.typ, inputs)
        body = arm_body(args.typ, inputs)
        ignored = self.ignore_changes.get((args.typ, args.name), ())
        try:
            live = self._apply(args.typ, args.name, resource_id, api_version(args.typ), body, ignored)
        except OpsError as exc:
            with self._lock:
                self.failure = self.failure or exc
                self.failures.append((resource_id.rsplit("/", 1)[-1], exc))
            raise
        if live is None:  # a dry run of a resource not yet created: Azure's values are invented
            return super().new_resource(args)
        return resource_id, outputs_from(args.typ, inputs, live)

    def call(self, args: Any) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "azure-native:operationalinsights:getSharedKeys":
            from azure.mgmt.loganalytics import LogAnalyticsManagementClient

            client: Any = self.target.client(LogAnalyticsManagementClient)
            keys = unless_missing(
                "reading the workspace's shared keys",
                lambda: client.shared_keys.get_shared_keys(
                    args.args["resourceGroupName"], args.args["workspaceName"]
                ),
            )
            if keys is None and self.dry_run:
                return super().call(args)
            if keys is None:
                raise OpsError(f"workspace '{args.args['workspaceName']}' not found", code="ResourceNotFound")
            return {
                "primarySharedKey": keys.primary_shared_key,
                "secondarySharedKey": keys.secondary_shared_key,
            }
        return super().call(args)

    def _apply(
        self,
        typ: str,
        name: str,
        resource_id: str,
        version: str,
        body: dict[str, Any],
        ignored: tuple[str, ...] = (),
    ) -> dict[str, Any] | None:
        """PUT what differs; in a dry run only record it (None: nothing live to answer with)."""
        live = self._get(resource_id, version)
        settled = live is None or _verdict(live).ok
        if live is not None:
            keep_live_values(body, live, ignored)
        record = ResourceChange(typ, name, resource_id, "unchanged")
        if live is not None and settled and contains(live, body):
            self._record(record)
            return live
        action = "created" if live is None else ("updated" if settled else "repaired")
        changed = tuple(differences(live or {}, body)) if live is not None else ()
        if self.dry_run:
            self._record(replace(record, action=action.removesuffix("d"), changes=changed))
            return live
        verb = "creating" if live is None else ("updating" if settled else "repairing")
        self.progress(f"{verb} {resource_id.rsplit('/', 1)[-1]}")
        # A busy parent (O-1), a new identity not yet replicated or an app still provisioning
        # its previous write are retried by the client's retry policy (opsctl/retry.py).
        fresh = self._put(resource_id, version, body)
        verdict = _verdict(fresh)
        if verdict.health is Health.FAILED:
            raise OpsError(f"{resource_id} is {verdict.state} after the write", code="ProvisioningFailed")
        self._record(replace(record, action=action, changes=changed))
        return fresh

    def _record(self, change: ResourceChange) -> None:
        with self._lock:
            self.report.actions[change.id] = change.action
            self.report.resources.append(change)

    def _get(self, resource_id: str, version: str) -> dict[str, Any] | None:
        found = unless_missing(
            f"reading {resource_id}",
            lambda: self.resources.resources.get_by_id(resource_id, api_version=version),
        )
        return None if found is None else dict(found.as_dict())

    def _put(self, resource_id: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT and wait; the poller's final GET is the fresh resource, so no extra read. A container
        app pulling from the registry with a new AcrPull assignment waits for it (opsctl.pulls)."""

        def attempt(suffix: str | None) -> dict[str, Any]:
            sent = body if suffix is None else _with_revision_suffix(body, suffix)
            with arm_errors(f"writing {resource_id}"):
                poller = self.resources.resources.begin_create_or_update_by_id(
                    resource_id, sent, api_version=version
                )
                return dict(poller.result().as_dict())

        if not resource_id.lower().split("/providers/")[-1].startswith("microsoft.app/containerapps/"):
            return attempt(None)
        app = resource_id.rsplit("/", 1)[-1]
        return until_pulled(attempt, target=self.target, app=app, progress=self.progress)


def _with_revision_suffix(body: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The app body with a new revision suffix: re-sending an unchanged template makes no revision."""
    properties = dict(body.get("properties") or {})
    properties["template"] = {**(properties.get("template") or {}), "revisionSuffix": suffix}
    return {**body, "properties": properties}


def _verdict(resource: Mapping[str, Any]) -> Verdict:
    return judge_body(str(resource.get("type") or ""), resource.get("properties"))


def outputs_from(typ: str, inputs: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """azure-native's output shape: inputs, then the server's envelope, then its properties flattened
    (or kept nested for types whose inputs nest them, like Cognitive Services)."""
    outputs = dict(inputs)
    outputs.update({k: v for k, v in live.items() if k != "properties"})
    properties = live.get("properties") or {}
    if "properties" in inputs:
        outputs["properties"] = {**(inputs.get("properties") or {}), **properties}
    else:
        outputs.update(properties)
    identity = live.get("identity")
    if isinstance(identity, dict):
        outputs["identity"] = identity
    return outputs


def keep_live_values(body: dict[str, Any], live: Mapping[str, Any], paths: tuple[str, ...]) -> None:
    """Like Pulumi's ignoreChanges: for each input path, send what the resource already has."""
    for path in paths:
        steps = _steps(path)
        for root in (("properties",), ()):
            value = _dig(live, (*root, *steps))
            if value is not _MISSING:
                _place(body, (*root, *steps), value)
                break


_MISSING = object()


def _steps(path: str) -> tuple[str | int, ...]:
    """`template.containers[0].image` -> ("template", "containers", 0, "image")."""
    out: list[str | int] = []
    for part in path.replace("]", "").split("."):
        name, *indexes = part.split("[")
        out += [name, *(int(i) for i in indexes)]
    return tuple(out)


def _dig(node: Any, steps: tuple[str | int, ...]) -> Any:
    for step in steps:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return node


def _place(node: Any, steps: tuple[str | int, ...], value: Any) -> None:
    parent = _dig(node, steps[:-1])
    if parent is not _MISSING:
        parent[steps[-1]] = value


def differences(live: Any, desired: Any, path: str = "") -> list[str]:
    """The desired values `live` lacks, as `path: live -> desired` (what `contains` compares)."""
    if isinstance(desired, Mapping) and isinstance(live, Mapping):
        lowered = {str(k).lower(): v for k, v in live.items()}
        found: list[str] = []
        for key, value in desired.items():
            if key not in WRITE_ONLY:
                found += differences(lowered.get(str(key).lower()), value, f"{path}.{key}" if path else key)
        return found
    if contains(live, desired):
        return []
    return [f"{path}: {_shown(live)} -> {_shown(desired)}"]


def _shown(value: Any, limit: int = 80) -> str:
    text = "(none)" if value is None else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def contains(live: Any, desired: Any) -> bool:
    """Whether `live` already has every desired value (write-only values are not compared)."""
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return False
        lowered = {str(k).lower(): v for k, v in live.items()}
        return all(
            key in WRITE_ONLY or contains(lowered.get(str(key).lower()), value)
            for key, value in desired.items()
        )
    if isinstance(desired, list):
        return isinstance(live, list) and len(live) == len(desired) and all(map(contains, live, desired))
    if isinstance(desired, str) and isinstance(live, str):
        return desired.lower() == live.lower()
    return bool(desired == live)


def _seed_directory(env: Environment, target: Target) -> None:
    """The sandbox's directory stands in for Entra ID: the principals the stack grants access to
    exist there, as they would in the real tenant (unknown ones still fail with PrincipalNotFound)."""
    from sandbox import SandboxAdmin

    if target.sandbox_connection is None or not env.settings.access:
        return
    with SandboxAdmin(target.sandbox_connection) as admin:
        known = {p["objectId"] for p in admin.principals()}
        for grant in env.settings.access:
            if grant.principal_id.lower() not in known:
                admin.add_principal(grant.principal_id, grant.principal_type)
                known.add(grant.principal_id.lower())


def check_before_writing(env: Environment, target: Target) -> None:
    """What `up` can refuse before its first write. The settings rules ran when the stack loaded;
    quota needs the live numbers: the regional model quota, counted against the account's live
    deployments (the check `scale openai` makes), so a too-large capacity writes nothing."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    declared = env.settings.openai.deployments
    if not declared:
        return
    client: Any = target.client(CognitiveServicesManagementClient)
    account = env.names.openai
    live = unless_missing(
        f"reading the deployments of '{account}'",
        lambda: list(client.deployments.list(env.resource_group, account)),
    )
    held = {
        d.name.lower(): (quota_usage_name(d.sku.name, d.properties.model.name), d.sku.capacity or 0)
        for d in live or []
    }
    desired = [(d.name, d.quota_name, d.capacity) for d in declared]
    check_quota(client, env.settings.location, increases(desired, held))


def deploy(
    env: Environment, target: Target, *, progress: Progress = _quiet, dry_run: bool = False
) -> DeployReport:
    """Deploy the stack's program into `target` (the sandbox); returns what it wrote. A dry run
    only reads: it reports what would change and the outputs the live resources give."""
    if not target.is_sandbox and not dry_run:
        raise OpsError("opsctl up deploys only into the sandbox", hint="use `pulumi up` for real Azure")
    check_before_writing(env, target)
    if not dry_run:
        _seed_directory(env, target)
    mocks = SandboxMocks(target, env.settings.location, progress, dry_run=dry_run)
    subscription = env.subscription_id or target.subscription_id
    try:
        mocks.report.rendered = render(env.settings, subscription_id=subscription, mocks=mocks)
    except Exception:
        if mocks.failure is not None:
            raise _with_others(_with_purge_hint(mocks.failure, env), mocks.failures) from None
        raise
    return mocks.report


# ARM's answers when a soft-deleted Cognitive Services account holds the name or subdomain
# (learn.microsoft.com/azure/ai-services/recover-purge-resources).
NAME_HELD = frozenset({"FlagMustBeSetForRestore", "CustomDomainInUse"})


def _with_others(failure: OpsError, failures: list[tuple[str, OpsError]]) -> OpsError:
    """The first refusal, naming the other resources refused in the same run (still one line, the
    hint kept): the next `up` meets each of them too."""
    others = [f"{name} [{exc.code}]" if exc.code else name for name, exc in failures if exc is not failure]
    if others:
        failure.message = f"{failure.message} (also refused: {', '.join(others)})"
    return failure


def _with_purge_hint(failure: OpsError, env: Environment) -> OpsError:
    """A name held by the stack's own soft-deleted account: the exact command that frees it."""
    if failure.code in NAME_HELD:
        failure.hint = (
            "a soft-deleted account of this stack holds the name; run: "
            f"opsctl teardown --stack {env.stack} --purge"
        )
    return failure
