"""Offline plan: the real program under Pulumi mocks, summarised for reviewers and CI.

No credentials, CLI or network: `infra.mockrun.render` yields the complete desired state; this module
turns it into a stable document (resources, role matrix, outputs, policy findings, cost), diffs two
documents, and exports an ARM deployment template for scanners that read ARM.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.armshape import (
    ARM_SHAPES,
    api_version,
    arm_body,
    arm_type,
    azure_name,
    replace_reason,
    replace_triggers,
    template_name,
)
from infra.catalog.roles import ROLE_NAMES_BY_GUID
from infra.planned import PlannedResource, StackContext
from infra.settings import SettingsError, StackSettings
from infra.stackfile import StackFile, stack_file_path
from opsctl.errors import InvalidInput

PLAN_FORMAT_VERSION = 1
KNOWN_AFTER_DEPLOY = "(known after deploy)"
OFFLINE_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def plan_settings(settings: StackSettings, *, for_export: bool = False) -> dict[str, Any]:
    """The plan document of validated settings (see README 'Plan JSON').

    Values Azure assigns at deploy time (principal ids, the environment's domain) read
    KNOWN_AFTER_DEPLOY; `for_export` keeps the mocks' stand-ins, which the ARM export replaces by
    deploy-time expressions.
    """
    from infra import cost, policy
    from infra.mockrun import render

    subscription = settings.resolved_subscription_id() or OFFLINE_SUBSCRIPTION
    rendered = render(settings, subscription_id=subscription, preview=True)
    planned = [
        PlannedResource(
            type=r.type,
            name=r.name,
            inputs=r.inputs,
            urn=r.urn,
            parent=r.parent,
            depends_on=r.dependencies,
            protect=r.protect,
            custom=r.custom,
            outputs={**r.outputs, "id": r.id} if r.id else r.outputs,
            replace_on_changes=r.replace_on_changes,
        )
        for r in rendered.resources
    ]
    findings = policy.evaluate(planned, StackContext(settings.stack, settings.is_production))
    document = {
        "formatVersion": PLAN_FORMAT_VERSION,
        "stack": settings.stack,
        "environment": settings.environment,
        "profile": settings.profile,
        "location": settings.location,
        "subscriptionId": subscription,
        "resources": [_resource_entry(r, _custom_dependencies(r, planned)) for r in planned if r.custom],
        "roleMatrix": _role_matrix(planned),
        "outputs": rendered.outputs,
        "findings": [
            {"rule": f.rule_id, "severity": f.severity, "resource": f.resource, "message": f.message}
            for f in findings
        ],
        "cost": cost.estimate(planned).to_dict(),
    }
    return document if for_export else _known_only(document, rendered.unknowns)


def _known_only(value: Any, unknowns: frozenset[str]) -> Any:
    """`value` with every string that holds a mock's invented value shown as KNOWN_AFTER_DEPLOY."""
    if isinstance(value, str):
        return KNOWN_AFTER_DEPLOY if any(u in value for u in unknowns) else value
    if isinstance(value, Mapping):
        return {k: _known_only(v, unknowns) for k, v in value.items()}
    if isinstance(value, list):
        return [_known_only(v, unknowns) for v in value]
    return value


def load_stack_settings(path: Path) -> StackSettings:
    """Settings from a stack file; any problem is one line naming file, key and value."""
    try:
        return StackFile.load(path).settings()
    except SettingsError as exc:
        raise InvalidInput(exc.one_line()) from None


def plan_stack(stack: str, project_dir: Path, *, for_export: bool = False) -> dict[str, Any]:
    settings = load_stack_settings(stack_file_path(stack, project_dir))
    document = plan_settings(settings, for_export=for_export)
    if not for_export:
        document["indexes"], findings = index_plan(settings, project_dir)
        document["findings"] = [*document["findings"], *findings]
    return document


INDEX_RULE = "index-definition"


def index_plan(
    settings: StackSettings, project_dir: Path
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The declared search indexes (`ragstack:rag.indexes`), validated offline: each problem of a
    definition is a high finding (the service would refuse it); an unreadable file is an error."""
    from opsctl.indexes import embedding_model, index_problems, read_index_files

    model = embedding_model(settings)
    indexes: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for definition in read_index_files(settings, project_dir):
        declared = definition.body.get("fields")
        fields: list[Any] = declared if isinstance(declared, list) else []
        indexes.append(
            {
                "name": definition.name,
                "file": definition.label,
                "fields": len(fields),
                "vectorFields": sum(1 for f in fields if isinstance(f, dict) and f.get("dimensions")),
            }
        )
        findings += [
            {
                "rule": INDEX_RULE,
                "severity": "high",
                "resource": f"index::{definition.name}",
                "message": f"{definition.label}: {problem}",
            }
            for problem in index_problems(definition.body, model)
        ]
    return indexes, findings


def _key(resource: PlannedResource) -> str:
    return f"{resource.type}::{resource.name}"


def _custom_dependencies(resource: PlannedResource, planned: list[PlannedResource]) -> list[str]:
    """Keys of the custom resources `resource` waits for; a component stands for its descendants."""
    by_urn = {r.urn: r for r in planned}
    children: dict[str, list[PlannedResource]] = {}
    for r in planned:
        if r.parent:
            children.setdefault(r.parent, []).append(r)

    def expand(urn: str) -> set[str]:
        found = by_urn.get(urn)
        if found is None:
            return set()
        if found.custom:
            return {_key(found)}
        return set().union(*(expand(child.urn) for child in children.get(urn, [])))

    return sorted(set().union(*(expand(urn) for urn in resource.depends_on)) - {_key(resource)})


def _resource_entry(resource: PlannedResource, depends_on: list[str]) -> dict[str, Any]:
    known = resource.type in ARM_SHAPES
    return {
        "key": _key(resource),
        "dependsOn": depends_on,
        "type": resource.type,
        "name": resource.name,
        "armType": arm_type(resource.type) if known else None,
        "azureName": azure_name(resource.type, resource.inputs) if known else None,
        "protect": resource.protect,
        "replaceOn": replace_triggers(resource.type, resource.replace_on_changes),
        "summary": summarize(resource),
        "inputs": _redacted(resource.inputs),
        "computed": computed_values(resource),
    }


COMPUTED_KEYS = ("id", "principalId", "clientId", "loginServer", "endpoint", "customerId")


def computed_values(resource: PlannedResource) -> dict[str, str]:
    """Values Azure assigns (ids, identities, endpoints): in a plan they are mock placeholders."""
    outputs = resource.outputs
    found = {key: outputs[key] for key in COMPUTED_KEYS if isinstance(outputs.get(key), str)}
    endpoint = (outputs.get("properties") or {}).get("endpoint")
    if isinstance(endpoint, str):
        found["endpoint"] = endpoint
    identity = outputs.get("identity") or {}
    if isinstance(identity.get("principalId"), str):
        found["identity.principalId"] = identity["principalId"]
    return found


def _num(value: Any) -> Any:
    """Pulumi's wire format carries numbers as doubles; show 3, not 3.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def summarize(resource: PlannedResource) -> str:
    """The settings a reviewer looks at first, per type."""
    i = resource.inputs
    props = i.get("properties") or {}
    sku = (i.get("sku") or {}).get("name")
    summaries = {
        "azure-native:search:Service": lambda: (
            f"{sku}, {_num(i.get('replicaCount'))}x{_num(i.get('partitionCount'))}, "
            f"semantic {i.get('semanticSearch')}, localAuth {'off' if i.get('disableLocalAuth') else 'ON'}"
        ),
        "azure-native:cognitiveservices:Account": lambda: (
            f"{i.get('kind')} {sku}, localAuth {'off' if props.get('disableLocalAuth') else 'ON'}"
        ),
        "azure-native:cognitiveservices:Deployment": lambda: (
            f"{props.get('model', {}).get('name')}@"
            f"{props.get('model', {}).get('version')}, {sku} x {(i.get('sku') or {}).get('capacity')}"
        ),
        "azure-native:containerregistry:Registry": lambda: (
            f"{sku}, admin user {'on' if i.get('adminUserEnabled') else 'off'}"
        ),
        "azure-native:app:ContainerApp": lambda: _app_summary(i),
        "azure-native:operationalinsights:Workspace": lambda: (
            f"retention {_num(i.get('retentionInDays'))} days"
        ),
        "azure-native:authorization:RoleAssignment": lambda: (
            f"{_role_name(i)} -> {i.get('principalType')} on {str(i.get('scope', '')).rsplit('/', 1)[-1]}"
        ),
    }
    builder = summaries.get(resource.type)
    return builder() if builder else ""


def _app_summary(inputs: Mapping[str, Any]) -> str:
    template = inputs.get("template") or {}
    container = (template.get("containers") or [{}])[0]
    scale = template.get("scale") or {}
    resources = container.get("resources") or {}
    return (
        f"{container.get('image')}, {resources.get('cpu')} vCPU/{resources.get('memory')}, "
        f"{_num(scale.get('minReplicas'))}-{_num(scale.get('maxReplicas'))} replicas"
    )


def _role_name(inputs: Mapping[str, Any]) -> str:
    guid = str(inputs.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower()
    return ROLE_NAMES_BY_GUID.get(guid, guid)


def _role_matrix(planned: list[PlannedResource]) -> list[dict[str, Any]]:
    """Who gets what; identities the stack creates show as `<name identity>` since their ids are
    only known after deployment (offline they would be mock values)."""
    labels = _identity_labels(planned)
    return [
        {
            "principalId": labels.get(str(r.inputs.get("principalId")), r.inputs.get("principalId")),
            "principalType": r.inputs.get("principalType"),
            "role": _role_name(r.inputs),
            "scope": r.inputs.get("scope"),
            "resource": str(r.inputs.get("scope", "")).rsplit("/", 1)[-1],
        }
        for r in planned
        if r.type == "azure-native:authorization:RoleAssignment"
    ]


def _identity_labels(planned: list[PlannedResource]) -> dict[str, str]:
    labels = {}
    for resource in planned:
        if not resource.custom or resource.type == "azure-native:authorization:RoleAssignment":
            continue
        computed = computed_values(resource)
        name = azure_name(resource.type, resource.inputs) if resource.type in ARM_SHAPES else resource.name
        for key in ("principalId", "identity.principalId"):
            if key in computed:
                labels[computed[key]] = f"<{name} identity>"
    return labels


def _redacted(value: Any) -> Any:
    """Plans are posted on pull requests: never print a key, even a mock one."""
    if isinstance(value, Mapping):
        return {
            k: "<secret>" if k.lower() in {"sharedkey", "password"} else _redacted(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def diff_plans(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Added, removed, replaced and changed resources, with the changed input paths.

    A change to an input the resource cannot change in place (its `replaceOn`, as the current plan
    declares it) is a replacement, listed with its reasons; replacing a stateful resource adds a
    high `replace-stateful` finding.
    """
    old = {r["key"]: r for r in before.get("resources", [])}
    new = {r["key"]: r for r in after.get("resources", [])}
    changed, replaced = [], []
    for key in sorted(old.keys() & new.keys()):
        changes = list(_changes(old[key]["inputs"], new[key]["inputs"], ""))
        if old[key].get("protect") != new[key].get("protect"):
            changes.append(
                {"path": "(protect)", "before": old[key].get("protect"), "after": new[key].get("protect")}
            )
        if not changes:
            continue
        entry = {"key": key, "azureName": new[key].get("azureName"), "changes": changes}
        reasons = _replace_reasons(changes, new[key].get("replaceOn") or [])
        if reasons:
            replaced.append({**entry, "type": new[key]["type"], "reasons": reasons})
        else:
            changed.append(entry)
    before_cost = (before.get("cost") or {}).get("total_monthly_usd")
    after_cost = (after.get("cost") or {}).get("total_monthly_usd")
    added = [new[k] | {"inputs": None} for k in sorted(new.keys() - old.keys())]
    removed = [old[k] | {"inputs": None} for k in sorted(old.keys() - new.keys())]
    return {
        "added": added,
        "removed": removed,
        "replaced": replaced,
        "changed": changed,
        "counts": {
            "add": len(added),
            "change": len(changed),
            "replace": len(replaced),
            "remove": len(removed),
        },
        "findings": _replacement_findings(replaced),
        "cost": {"before": before_cost, "after": after_cost},
    }


def _replace_reasons(changes: list[dict[str, Any]], triggers: list[str]) -> list[str]:
    hit = {t for c in changes for t in triggers if c["path"] == t or c["path"].startswith(f"{t}.")}
    return [replace_reason(t) for t in sorted(hit)]


def _replacement_findings(replaced: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from infra.policy import replacement_finding

    findings = (replacement_finding(r["key"], r["type"], r["reasons"]) for r in replaced)
    return [
        {"rule": f.rule_id, "severity": f.severity, "resource": f.resource, "message": f.message}
        for f in findings
        if f is not None
    ]


def _changes(before: Any, after: Any, path: str) -> Any:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            yield from _changes(before.get(key), after.get(key), f"{path}.{key}" if path else key)
    elif before != after:
        yield {"path": path, "before": before, "after": after}


def load_baseline(reference: str, *, stack: str, project_dir: Path) -> dict[str, Any]:
    """A previous plan: a plan JSON file, another stack file, or a git ref holding this stack's file."""
    path = Path(reference)
    if path.suffix == ".json" and path.exists():
        return _plan_file(path, reference)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return plan_settings(load_stack_settings(path))
    if stack_file_path(reference, project_dir).exists():
        return plan_stack(reference, project_dir)
    return _plan_at_git_ref(reference, stack=stack, project_dir=project_dir)


def _plan_file(path: Path, reference: str) -> dict[str, Any]:
    """A saved `opsctl plan -o json`; anything else (an ARM export, a list) is refused by name."""
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--diff-against {reference}: not JSON ({exc.msg})") from None
    valid = (
        isinstance(document, dict)
        and document.get("formatVersion") == PLAN_FORMAT_VERSION
        and all(isinstance(r, dict) and "key" in r for r in document.get("resources", []))
    )
    if not valid:
        raise InvalidInput(
            f"--diff-against {reference}: not a plan from `opsctl plan -o json` "
            f"(formatVersion {PLAN_FORMAT_VERSION})"
        )
    return dict(document)


def _plan_at_git_ref(ref: str, *, stack: str, project_dir: Path) -> dict[str, Any]:
    name = stack_file_path(stack, ".").name
    try:
        shown = subprocess.run(
            ["git", "show", f"{ref}:./{name}"], cwd=project_dir, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise InvalidInput(f"--diff-against {ref}: git is not available ({exc})") from None
    if shown.returncode != 0:
        raise InvalidInput(
            f"--diff-against {ref}: not a plan .json, a stack .yaml, a stack name or a git ref with {name}"
        )
    if not shown.stdout.strip():
        return {"resources": []}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        baseline = Path(tmp) / name
        baseline.write_text(shown.stdout)
        return plan_settings(load_stack_settings(baseline))


def arm_template(plan: Mapping[str, Any]) -> dict[str, Any]:
    """A subscription-scope ARM template: the resource group, and a nested deployment holding the rest."""
    resources = [r for r in plan["resources"] if r["type"] in ARM_SHAPES]
    group = next(r for r in resources if r["type"] == "azure-native:resources:ResourceGroup")
    names = {r["key"]: r for r in resources}
    references = _references(resources)
    inner = [
        _expressions(_template_resource(r, names, references), references)
        for r in resources
        if r is not group
    ]
    return {
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {"generator": "opsctl plan --format arm", "stack": plan["stack"]},
        "resources": [
            {
                "type": "Microsoft.Resources/resourceGroups",
                "apiVersion": api_version(group["type"]),
                "name": group["azureName"],
                "location": group["inputs"].get("location"),
                "tags": group["inputs"].get("tags", {}),
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": f"ragstack-{plan['environment']}",
                "resourceGroup": group["azureName"],
                "dependsOn": [
                    f"[subscriptionResourceId('Microsoft.Resources/resourceGroups', '{group['azureName']}')]"
                ],
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "template": {
                        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                        "contentVersion": "1.0.0.0",
                        "resources": inner,
                    },
                },
            },
        ],
    }


def _resource_id_expr(resource: Mapping[str, Any]) -> str:
    segments = ", ".join(f"'{s}'" for s in _template_name(resource["type"], resource["inputs"]).split("/"))
    return f"resourceId('{arm_type(resource['type'])}', {segments})"


def _references(resources: list[Mapping[str, Any]]) -> dict[str, str]:
    """Mock placeholder -> the ARM expression that yields the real value at deploy time."""
    from infra.mockrun import MOCK_TENANT_ID

    found: dict[str, str] = {MOCK_TENANT_ID: "subscription().tenantId"}
    for resource in resources:
        if resource["type"] in (
            "azure-native:resources:ResourceGroup",
            "azure-native:authorization:RoleAssignment",
        ):
            continue
        ref = _resource_id_expr(resource)
        version = api_version(resource["type"])
        for key, value in (resource.get("computed") or {}).items():
            if key == "id":
                found[value] = ref
            elif key == "identity.principalId":
                found[value] = f"reference({ref}, '{version}', 'Full').identity.principalId"
            else:
                found[value] = f"reference({ref}, '{version}').{key}"
    return found


def _expressions(node: Any, references: Mapping[str, str]) -> Any:
    """Replace placeholders (in values and in keys, as userAssignedIdentities uses) by expressions."""
    if isinstance(node, Mapping):
        return {_expression(k, references): _expressions(v, references) for k, v in node.items()}
    if isinstance(node, list):
        return [_expressions(v, references) for v in node]
    return _expression(node, references)


def _expression(value: Any, references: Mapping[str, str]) -> Any:
    if isinstance(value, str) and value in references:
        return f"[{references[value]}]"
    return value


def _template_resource(
    resource: Mapping[str, Any], by_key: Mapping[str, Mapping[str, Any]], references: Mapping[str, str]
) -> dict[str, Any]:
    inputs = resource["inputs"]
    body = arm_body(resource["type"], inputs)
    entry: dict[str, Any] = {"type": arm_type(resource["type"]), "apiVersion": api_version(resource["type"])}
    entry["name"] = _template_name(resource["type"], inputs)
    if resource["type"] == "azure-native:authorization:RoleAssignment":
        entry["scope"] = _relative_scope(str(inputs.get("scope", "")))
    entry.update(body)
    entry["dependsOn"] = sorted(_depends_on(resource, by_key, references))
    if resource["type"] == "azure-native:app:ManagedEnvironment":
        _reference_workspace_keys(entry, by_key)
    if resource["type"] == "azure-native:authorization:RoleAssignment":
        role = _role_guid(resource)
        entry["properties"]["roleDefinitionId"] = (
            f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{role}')]"
        )
        if (owned := _assignment_expr(resource, by_key)) is not None:
            entry["name"] = f"[{owned[1]}]"
    return entry


def _role_guid(resource: Mapping[str, Any]) -> str:
    return str(resource["inputs"].get("roleDefinitionId", "")).rsplit("/", 1)[-1]


def _holds_principal(resource: Mapping[str, Any], principal: str) -> bool:
    """Whether `resource` is the identity behind `principal` (a user-assigned or system identity)."""
    if resource["type"] == "azure-native:authorization:RoleAssignment":
        return False
    computed = resource.get("computed") or {}
    return principal in (computed.get("principalId"), computed.get("identity.principalId"))


def _assignment_expr(
    resource: Mapping[str, Any], by_key: Mapping[str, Mapping[str, Any]]
) -> tuple[str, str] | None:
    """(scope resourceId, guid(scope, principal, role)) of a role assignment on a template resource.
    ARM needs names at compile time, so a managed identity stands in by its resource id (the Bicep
    idiom), not by its principal id, which `reference()` would only give at deploy time."""
    scope = resource["inputs"].get("scope")
    owner = next((r for r in by_key.values() if (r.get("computed") or {}).get("id") == scope), None)
    if owner is None:
        return None
    principal = str(resource["inputs"].get("principalId", ""))
    identity = next((r for r in by_key.values() if _holds_principal(r, principal)), None)
    principal_expr = _resource_id_expr(identity) if identity else f"'{principal}'"
    scope_expr = _resource_id_expr(owner)
    return scope_expr, f"guid({scope_expr}, {principal_expr}, '{_role_guid(resource)}')"


def _reference_workspace_keys(entry: dict[str, Any], by_key: Mapping[str, Mapping[str, Any]]) -> None:
    """The workspace key is a secret the plan redacts; in ARM it is fetched at deploy time."""
    workspace = next(
        (r for r in by_key.values() if r["type"] == "azure-native:operationalinsights:Workspace"), None
    )
    logs = entry.get("properties", {}).get("appLogsConfiguration", {}).get("logAnalyticsConfiguration")
    if workspace is None or not isinstance(logs, dict):
        return
    ref = f"resourceId('Microsoft.OperationalInsights/workspaces', '{workspace['azureName']}')"
    version = api_version(workspace["type"])
    logs["customerId"] = f"[reference({ref}, '{version}').customerId]"
    logs["sharedKey"] = f"[listKeys({ref}, '{version}').primarySharedKey]"


def _template_name(type_token: str, inputs: Mapping[str, Any]) -> str:
    return template_name(type_token, inputs)


def _relative_scope(scope: str) -> str:
    """`.../providers/Microsoft.Search/searchServices/x` -> `Microsoft.Search/searchServices/x`."""
    return scope.split("/providers/", 1)[-1]


def _depends_on(
    resource: Mapping[str, Any], by_key: Mapping[str, Mapping[str, Any]], references: Mapping[str, str]
) -> set[str]:
    """`resourceId(...)` of every template resource this one waits for (the group is implied)."""
    found = set()
    for key in resource.get("dependsOn", []):
        other = by_key.get(key)
        if other is None or other["type"] == "azure-native:resources:ResourceGroup":
            continue
        found.add(f"[{_dependency_id(other, by_key, references)}]")
    return found


def _dependency_id(
    resource: Mapping[str, Any], by_key: Mapping[str, Mapping[str, Any]], references: Mapping[str, str]
) -> str:
    """Extension resources (role assignments with `scope`) need extensionResourceId."""
    if resource["type"] != "azure-native:authorization:RoleAssignment":
        return _resource_id_expr(resource)
    owned = _assignment_expr(resource, by_key)
    if owned is None:
        name = resource["inputs"].get("roleAssignmentName")
        return f"resourceId('Microsoft.Authorization/roleAssignments', '{name}')"
    scope_expr, name_expr = owned
    return f"extensionResourceId({scope_expr}, 'Microsoft.Authorization/roleAssignments', {name_expr})"
