"""The CrossGuard pack runs the same rules as `opsctl plan`, on CrossGuard-shaped arguments.

Props are wrapped with pulumi_policy's own unknown-checking proxy, as the analyzer does, so the
adapter is tested against what the CLI really passes. No Pulumi CLI involved.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from infra import policy as P
from infra.planned import PlannedResource, StackContext
from policy import pack
from tests.planned_stack import DEV_MUTATIONS, MUTATIONS, compliant_stack, mutated

ROOT = Path(__file__).resolve().parents[2]
PROD = StackContext(stack="prod", production=True)
POLICIES = {p.name: p for p in pack.build_policies()}


def opts(resource: PlannedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        resource.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], resource.parent
    )


def resource_args(resource: PlannedResource, config: dict | None = None) -> ResourceValidationArgs:
    props = unknown_checking_proxy(json.loads(json.dumps(resource.inputs)))
    return ResourceValidationArgs(
        resource.type, props, resource.urn, resource.name, opts(resource), None, config
    )


def stack_args(resources: list[PlannedResource], config: dict | None = None) -> StackValidationArgs:
    by_urn = {
        r.urn: PolicyResource(
            r.type,
            unknown_checking_proxy(json.loads(json.dumps(r.inputs))),
            r.urn,
            r.name,
            opts(r),
            None,
            None,
            [],
            {},
        )
        for r in resources
    }
    for r in resources:
        by_urn[r.urn].dependencies.extend(by_urn[d] for d in r.depends_on if d in by_urn)
    return StackValidationArgs(list(by_urn.values()), config)


def run_resource_policy(name: str, resource: PlannedResource, config: dict | None = None) -> list[str]:
    reported: list[str] = []
    policy = POLICIES[name]
    assert isinstance(policy, ResourceValidationPolicy)
    policy.validate(resource_args(resource, config), lambda message, urn=None: reported.append(message))
    return reported


def run_stack_policy(name: str, resources: list[PlannedResource]) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    policy = POLICIES[name]
    assert isinstance(policy, StackValidationPolicy)
    policy.validate(stack_args(resources), lambda message, urn=None: reported.append((message, urn)))
    return reported


def test_one_policy_per_rule_with_enforcement_from_severity() -> None:
    assert list(POLICIES) == [rule.id for rule in P.RULES]
    for rule in P.RULES:
        policy = POLICIES[rule.id]
        expected = EnforcementLevel.MANDATORY if rule.severity == "high" else EnforcementLevel.ADVISORY
        assert policy.enforcement_level == expected and policy.severity is not None
        assert policy.severity.value == rule.severity
        assert isinstance(policy, StackValidationPolicy) == (rule.stack_check is not None)


PER_RESOURCE = [rid for rid in [*MUTATIONS, *DEV_MUTATIONS] if P.RULES_BY_ID[rid].check is not None]


@pytest.mark.parametrize("rule_id", PER_RESOURCE)
def test_pack_reports_what_the_pure_rule_finds(rule_id: str) -> None:
    resources, victim = mutated(rule_id)
    broken = next(r for r in resources if r.name == victim)
    production = rule_id not in DEV_MUTATIONS
    pure = P.evaluate_resource(P.RULES_BY_ID[rule_id], broken, StackContext("s", production))
    via_pack = run_resource_policy(rule_id, broken)
    assert pure and via_pack == [finding.message for finding in pure]


@pytest.mark.parametrize("rule_id", PER_RESOURCE)
def test_pack_is_silent_on_the_compliant_stack(rule_id: str) -> None:
    for resource in compliant_stack("prod"):
        assert run_resource_policy(rule_id, resource) == []


def test_stack_policy_reports_broken_chain_on_the_later_deployment() -> None:
    resources, victim = mutated("deployments-serialized")
    reported = run_stack_policy("deployments-serialized", resources)
    victim_urn = next(r.urn for r in resources if r.name == victim)
    assert len(reported) == 1 and reported[0][1] == victim_urn and "openai-chat" in reported[0][0]
    assert run_stack_policy("deployments-serialized", compliant_stack()) == []


def test_unknown_preview_values_do_not_raise_or_violate() -> None:
    assignment = next(r for r in compliant_stack() if r.name == "app-search-reader")
    unknown = PlannedResource(
        assignment.type, assignment.name, {**assignment.inputs, "scope": UNKNOWN_STRING_VALUE}
    )
    assert run_resource_policy("role-assignment-resource-scope", unknown) == []


def test_plain_unwraps_proxies_and_keeps_unknown_sentinels() -> None:
    proxied = unknown_checking_proxy({"a": [{"b": UNKNOWN_STRING_VALUE}], "c": "x"})
    assert pack.plain(proxied) == {"a": [{"b": UNKNOWN_STRING_VALUE}], "c": "x"}


def test_production_from_config_wins_over_profile_tag() -> None:
    search = next(r for r in compliant_stack("dev") if r.name == "search")
    assert run_resource_policy("production-protect-stateful", search) == []
    assert run_resource_policy("production-protect-stateful", search, {"production": True})
    prod_search = next(r for r in compliant_stack("prod") if r.name == "search")
    unprotected = PlannedResource(prod_search.type, prod_search.name, prod_search.inputs, urn=prod_search.urn)
    assert run_resource_policy("production-protect-stateful", unprotected)
    assert run_resource_policy("production-protect-stateful", unprotected, {"production": False}) == []


def test_adapters_keep_protect_parent_and_dependencies() -> None:
    resources = compliant_stack()
    planned = [pack.from_policy_resource(r) for r in stack_args(resources).resources]
    assert [(p.urn, p.protect, p.depends_on) for p in planned] == [
        (r.urn, r.protect, r.depends_on) for r in resources
    ]
    single = pack.from_resource_args(resource_args(resources[0]))
    assert single.inputs == resources[0].inputs and single.protect is True
    assert pack.stack_name(resources[0].urn) == "prod"


def test_production_config_file_names_every_policy() -> None:
    config = json.loads((ROOT / "policy" / "production.json").read_text())
    assert config == {rule.id: {"production": True} for rule in P.RULES}


def test_main_serves_the_pack_from_the_policy_directory() -> None:
    code = (
        "import runpy, pulumi_policy\n"
        "pulumi_policy.PolicyPack = lambda name, policies, **kw: print(name, len(policies))\n"
        "runpy.run_path('__main__.py', run_name='__main__')\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "policy",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ragstack", str(len(P.RULES))]
