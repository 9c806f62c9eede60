"""Adapters from CrossGuard arguments to `PlannedResource`s, and one CrossGuard policy per rule.

No rule logic lives here: each policy calls the same `infra.policy` function `opsctl plan` calls.
Severity high -> mandatory (blocks preview/up), medium/low -> advisory.

Production: a policy's config `{"production": true|false}` wins (`--policy-pack-config
policy/production.json` sets it for every policy); otherwise the `profile` tag decides (`prod` ->
production): per-resource policies read the resource's own tag, stack policies any resource's.
Untagged types (role assignments, deployments) have no production-only rules.

Preview caveat: inputs Pulumi cannot know yet (e.g. the id of a resource being created, used as a
role assignment scope) reach the rules as Pulumi's unknown sentinel, and rules skip them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from infra import policy as rules
from infra.planned import PlannedResource, StackContext

PACK_NAME = "ragstack"
DESCRIPTION = "ragstack guardrails: the rules of `opsctl plan`, enforced by pulumi preview/up."
PRODUCTION_PROFILE = "prod"
CONFIG_SCHEMA = PolicyConfigSchema(
    properties={"production": {"type": "boolean", "description": "Apply production-only rules."}}
)
ENFORCEMENT: dict[str, EnforcementLevel] = {
    "high": EnforcementLevel.MANDATORY,
    "medium": EnforcementLevel.ADVISORY,
    "low": EnforcementLevel.ADVISORY,
}
SEVERITY: dict[str, Severity] = {"high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW}


def plain(value: Any) -> Any:
    """Props as plain dicts/lists, unknowns kept as Pulumi's sentinel strings instead of raising.

    pulumi_policy wraps props in proxies that raise UnknownValueError on access; their `"__target"`
    item is the wrapped value without that check.
    """
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in _target(value).items()}
    if isinstance(value, Iterable):
        return [plain(item) for item in _target(value)]
    return value


def _target(value: Any) -> Any:
    try:
        return value["__target"]
    except (KeyError, TypeError, IndexError):
        return value


def stack_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`."""
    head = urn.split("::", 1)[0]
    return head.split(":", 2)[2] if head.count(":") >= 2 else ""


def from_resource_args(args: ResourceValidationArgs) -> PlannedResource:
    """One resource as CrossGuard validates it (inputs, protect, parent), in the neutral shape."""
    opts = args.opts
    return PlannedResource(
        type=args.resource_type,
        name=args.name,
        inputs=plain(args.props),
        urn=args.urn,
        parent=getattr(opts, "parent", None),
        protect=bool(getattr(opts, "protect", False)),
    )


def from_policy_resource(resource: PolicyResource) -> PlannedResource:
    """One stack resource with its dependencies (all of them, explicit and via inputs) as urns."""
    return PlannedResource(
        type=resource.resource_type,
        name=resource.name,
        inputs=plain(resource.props),
        urn=resource.urn,
        parent=resource.parent.urn if resource.parent is not None else None,
        depends_on=tuple(dependency.urn for dependency in resource.dependencies),
        protect=bool(getattr(resource.opts, "protect", False)),
    )


def is_production(config: Mapping[str, Any] | None, resources: Iterable[PlannedResource]) -> bool:
    """Config `production` if set, else whether any resource carries `profile=prod`."""
    explicit = (config or {}).get("production")
    if isinstance(explicit, bool):
        return explicit
    return any(_profile(resource) == PRODUCTION_PROFILE for resource in resources)


def _profile(resource: PlannedResource) -> Any:
    tags = resource.inputs.get("tags")
    return tags.get("profile") if isinstance(tags, Mapping) else None


def context(config: Mapping[str, Any] | None, resources: list[PlannedResource]) -> StackContext:
    stack = stack_name(resources[0].urn) if resources else ""
    return StackContext(stack=stack, production=is_production(config, resources))


def resource_validator(rule: rules.Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """A CrossGuard resource validation that runs `rule`'s check on the adapted resource."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = from_resource_args(args)
        for finding in rules.evaluate_resource(rule, resource, context(args.get_config(), [resource])):
            report_violation(finding.message, None)

    return validate


def stack_validator(rule: rules.Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A CrossGuard stack validation that runs `rule`'s stack check on all adapted resources."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [from_policy_resource(resource) for resource in args.resources]
        for finding in rules.evaluate_stack(rule, resources, context(args.get_config(), resources)):
            report_violation(f"{finding.resource}: {finding.message}", finding.urn or None)

    return validate


def to_policy(rule: rules.Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    """The CrossGuard policy of one rule, named by the rule id."""
    common: dict[str, Any] = {
        "name": rule.id,
        "description": rule.description,
        "enforcement_level": ENFORCEMENT[rule.severity],
        "severity": SEVERITY[rule.severity],
        "config_schema": CONFIG_SCHEMA,
    }
    if rule.stack_check is not None:
        return StackValidationPolicy(validate=stack_validator(rule), **common)
    return ResourceValidationPolicy(validate=resource_validator(rule), **common)


def build_policies() -> list[Policy]:
    """Every rule of `infra.policy.RULES` as a CrossGuard policy."""
    return [to_policy(rule) for rule in rules.RULES]
