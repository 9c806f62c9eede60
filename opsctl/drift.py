"""Drift: live settings, tags and role assignments compared with what the stack config declares.

Covers what operators change by hand and what breaks keyless posture: skus, counts, capacities,
replica bounds, the app's image, cpu, memory, env, target port and ingress, local auth, public access,
the registry admin user, tags on the group and every resource in it, and role assignments (by role
name); and any resource or model deployment not settled healthy (failed or still in progress), since
its values are not what Azure runs (infra.catalog.provisioning). Each item names what restores it: the
stack key to look at (then `pulumi up`), or a command.

Tags an Azure Policy or a person added beyond the declared ones are not reported: policies that
append tags would make every environment drift forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.access import operator_bindings, preset_bindings
from infra.catalog import provisioning, storage
from infra.catalog.network import PUBLIC_ACCESS_OFF
from infra.catalog.provisioning import Verdict, judge
from infra.catalog.roles import INTERNAL_PRESETS as INTERNAL
from infra.catalog.roles import ROLE_NAMES_BY_GUID
from infra.network_rules import private_services
from infra.settings import StackSettings
from infra.tags import environment_tags
from opsctl.environment import Environment
from opsctl.live import LiveEnvironment, read_environment
from opsctl.target import Target

PULUMI_UP = "pulumi up --refresh"


@dataclass(frozen=True)
class DriftItem:
    resource: str
    setting: str
    expected: Any
    actual: Any
    # The stack key that sets it (restored by `pulumi up`), or the command that restores it.
    restore: str = PULUMI_UP


# The stack file section each resource's settings live in; settings keep their stack-file names.
SECTIONS = {
    "search": "ragstack:search",
    "openai": "ragstack:openai",
    "document_intelligence": "ragstack:documentIntelligence",
    "registry": "ragstack:registry",
    "container_app": "ragstack:app",
}
# Settings the program fixes whatever the stack file says (keyless posture), and log retention's key.
FIXED = frozenset({"disableLocalAuth", "adminUserEnabled"})
RETENTION_KEY = "ragstack:logRetentionDays"
# On a private stack every service's public access is off because of this key, whatever its section says.
PUBLIC_ACCESS = "publicNetworkAccess"
PRIVATE_KEY = "ragstack:network.enabled (true: public access stays off; `opsctl up` turns it off again)"
DEPLOYMENTS_KEY = "ragstack:openai.deployments"
ASSIGNMENTS = "providers/Microsoft.Authorization/roleAssignments"


def restore_key(resource: str, setting: str, *, private: bool = False) -> str:
    """The stack key behind `setting` of `resource`, or `pulumi up` for what the program fixes."""
    if private and setting == PUBLIC_ACCESS:
        return PRIVATE_KEY
    if resource == "log_analytics":
        return RETENTION_KEY
    if setting in FIXED or resource not in SECTIONS:
        return PULUMI_UP
    return f"{SECTIONS[resource]}.{setting.split('.')[0]}"


def expected_settings(settings: StackSettings) -> dict[str, dict[str, Any]]:
    """What each resource's live settings should be, by resource key."""
    s = private_services(settings)
    expected: dict[str, dict[str, Any]] = {
        "search": {
            "sku": s.search.sku,
            "replicas": s.search.replicas,
            "partitions": s.search.partitions,
            "semanticRanker": s.search.semantic_ranker,
            "disableLocalAuth": True,
            "publicNetworkAccess": s.search.public_network_access,
        },
        "openai": {
            "sku": s.openai.sku,
            "kind": s.openai.kind,
            "disableLocalAuth": True,
            "publicNetworkAccess": s.openai.public_network_access,
        },
        "document_intelligence": {
            "sku": s.document_intelligence.sku,
            "disableLocalAuth": True,
            "publicNetworkAccess": s.document_intelligence.public_network_access,
        },
        "registry": {"sku": s.registry.sku, "adminUserEnabled": False},
        "container_app": {
            "minReplicas": s.app.min_replicas,
            "maxReplicas": s.app.max_replicas,
            "cpu": s.app.cpu,
            "memory": s.app.memory,
            "targetPort": s.app.target_port,
            "external": s.app.external,
            # Only the declared variables: the program adds its own (endpoints, client id).
            **{f"env.{name}": value for name, value in s.app.env.items()},
            # An unpinned image is CI's to roll out; only a pinned one can drift.
            **({"image": s.app.image} if s.app.image else {}),
        },
        "log_analytics": {"retentionInDays": s.log_retention_days},
        "identity": {},
        "container_apps_environment": {},
        **(_ml_settings(settings) if settings.ml.enabled else {}),
        **({"foundry_project": {}} if settings.has_foundry_project else {}),
    }
    if settings.private_network:
        # The program turns these off too (infra/program.py); their sections have no such key.
        for key in ("registry", "storage", "key_vault"):
            if key in expected:
                expected[key][PUBLIC_ACCESS] = PUBLIC_ACCESS_OFF
    return expected


def _ml_settings(settings: StackSettings) -> dict[str, dict[str, Any]]:
    """The workspace's resources as infra/components declares them (keyless storage, RBAC vault)."""
    return {
        "ml_workspace": {},
        "storage": {
            "sku": storage.SKU,
            "allowSharedKeyAccess": False,
            "allowBlobPublicAccess": False,
            "minimumTlsVersion": storage.MINIMUM_TLS,
            "supportsHttpsTrafficOnly": True,
        },
        "key_vault": {
            "enableRbacAuthorization": True,
            "enableSoftDelete": True,
            "enablePurgeProtection": settings.ml.purge_protection,
        },
        "app_insights": {},
    }


def compare(env: Environment, live: LiveEnvironment) -> list[DriftItem]:
    """Every difference between the stack config and the live environment."""
    if not live.resource_group_exists:
        return [DriftItem(env.resource_group, "exists", True, False)]
    items: list[DriftItem] = []
    for key, expected in expected_settings(env.settings).items():
        resource = live.get(key)
        if not resource.exists:
            items.append(DriftItem(resource.name, "exists", True, False))
            continue
        items += _state_drift(resource.name, resource.verdict)
        actual = {**resource.settings, "sku": resource.sku}
        actual.update({f"env.{k}": v for k, v in (resource.settings.get("env") or {}).items()})
        items += [
            DriftItem(
                resource.name,
                setting,
                want,
                actual.get(setting),
                restore_key(key, setting, private=env.settings.private_network),
            )
            for setting, want in expected.items()
            if not _same(want, actual.get(setting))
        ]
    items += _deployment_drift(env, live)
    items += _assignment_drift(env, live)
    items += _tag_drift(env, live)
    return items


def _tag_drift(env: Environment, live: LiveEnvironment) -> list[DriftItem]:
    """Every declared tag, on the group and on each resource in it (infra.tags)."""
    expected = environment_tags(env.settings)
    user = set(env.settings.tags)
    return [
        DriftItem(name, f"tags.{tag}", want, tags.get(tag), "ragstack:tags" if tag in user else PULUMI_UP)
        for name, tags in live.tags.items()
        for tag, want in expected.items()
        if tags.get(tag) != want
    ]


def _state_drift(resource: str, verdict: Verdict | None) -> list[DriftItem]:
    if verdict is None or verdict.ok:
        return []
    return [DriftItem(resource, "provisioningState", verdict.healthy, verdict.state)]


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.lower() == actual.lower()
    return bool(expected == actual)


def _deployment_drift(env: Environment, live: LiveEnvironment) -> list[DriftItem]:
    if not live.get("openai").exists:
        return []
    account = env.names.openai
    items = []
    declared = {d.name: d for d in env.settings.openai.deployments}
    for name, want in declared.items():
        got = live.deployments.get(name)
        if got is None:
            items.append(DriftItem(f"{account}/{name}", "exists", True, False, DEPLOYMENTS_KEY))
            continue
        items += _state_drift(f"{account}/{name}", judge(provisioning.DEPLOYMENT, got.get("state")))
        for setting, value in (("sku", want.sku), ("capacity", want.capacity), ("version", want.version)):
            if not _same(value, got.get(setting)):
                items.append(
                    DriftItem(f"{account}/{name}", setting, value, got.get(setting), DEPLOYMENTS_KEY)
                )
    items += [
        DriftItem(f"{account}/{n}", "exists", False, True, _delete_deployment(env, n))
        for n in live.deployments
        if n not in declared
    ]
    return items


# (internal preset, the live resource whose identity holds it): the environment's own principals.
IDENTITY_HOLDERS = (
    ("app", "identity"),
    ("search", "search"),
    ("project", "foundry_project"),
    ("ml", "ml_workspace"),
)


def _delete_deployment(env: Environment, name: str) -> str:
    """Pulumi does not know a deployment made by hand, so `pulumi up` would not remove it."""
    return (
        f"az cognitiveservices account deployment delete -g {env.resource_group} "
        f"-n {env.names.openai} --deployment-name {name}"
    )


def _assignment_drift(env: Environment, live: LiveEnvironment) -> list[DriftItem]:
    scopes = env.scopes()
    read = frozenset(scopes).intersection(live.resources)
    bindings = operator_bindings(env.settings.access, read)
    for preset, holder in IDENTITY_HOLDERS:
        principal = live.resources[holder].settings.get("principalId") if holder in live.resources else None
        if principal:
            bindings += preset_bindings(preset, principal, "ServicePrincipal", read)
    expected = {
        (b.scope(scopes).lower(), b.principal_id.lower(), b.role_guid): b
        for b in bindings
        if live.get(b.resource).exists
    }
    actual = {(a.scope.lower(), a.principal_id.lower(), a.role_guid): a for a in live.assignments}
    items = [
        DriftItem(
            b.scope(scopes).rsplit("/", 1)[-1],
            f"role {b.role} for {b.principal_id}",
            "assigned",
            "missing",
            PULUMI_UP if b.preset in INTERNAL else "ragstack:access",
        )
        for key, b in expected.items()
        if key not in actual
    ]
    items += [
        DriftItem(
            a.scope.rsplit("/", 1)[-1],
            f"role {ROLE_NAMES_BY_GUID.get(a.role_guid, a.role_guid)} for {a.principal_id}",
            "absent",
            "assigned",
            f"az role assignment delete --ids {a.scope}/{ASSIGNMENTS}/{a.name}",
        )
        for key, a in actual.items()
        if key not in expected
    ]
    return items


def detect_drift(env: Environment, target: Target) -> list[DriftItem]:
    """Read the environment and compare it with its stack config and its index definitions."""
    live = read_environment(env, target)
    return compare(env, live) + index_drift(env, target, live)


def index_drift(env: Environment, target: Target, live: LiveEnvironment) -> list[DriftItem]:
    """Each declared index against the live one (missing, fields, sections), restored by `opsctl
    index apply`. Skipped when the search service is missing or unhealthy: that is reported above."""
    from infra.catalog.provisioning import Health
    from opsctl.dataplane import DataPlane
    from opsctl.index_apply import plan_indexes, shown
    from opsctl.indexes import load_index_definitions

    search = live.get("search")
    if not env.settings.rag.indexes or not search.exists or search.health != Health.OK or not search.endpoint:
        return []
    definitions = load_index_definitions(env)
    plane = DataPlane(env, target, {"search": search.endpoint}, target.credential)
    restore = f"opsctl index apply --stack {env.stack}"
    items = []
    for plan in plan_indexes(plane, definitions):
        resource = f"{search.name}/indexes/{plan.name}"
        if not plan.exists:
            items.append(DriftItem(resource, "exists", True, False, restore))
        items += [
            DriftItem(
                resource,
                c.path,
                shown(c.after),
                shown(c.before),
                f"{restore} --rebuild" if c.rebuild else restore,
            )
            for c in plan.changes
        ]
    return items
