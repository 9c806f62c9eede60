"""The policy rules: each rule passes on a compliant stack and fails on a stack broken for it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra import policy as P
from infra.planned import PlannedResource, StackContext
from tests.planned_stack import (
    DEV_MUTATIONS,
    MUTATIONS,
    REMOVALS,
    RG_ID,
    SUB,
    compliant_stack,
    find,
    mutated,
    urn,
    with_inputs,
)

PROD = StackContext(stack="prod", production=True)
DEV = StackContext(stack="dev", production=False)
ALL_RULE_IDS = sorted(MUTATIONS) + sorted(DEV_MUTATIONS) + sorted(REMOVALS)


def ids(findings: list[P.Finding]) -> list[str]:
    return [f.rule_id for f in findings]


def test_every_rule_has_a_failing_case() -> None:
    assert sorted(ALL_RULE_IDS) == sorted(P.RULES_BY_ID)


@pytest.mark.parametrize("profile, ctx", [("prod", PROD), ("dev", DEV)])
def test_compliant_stack_has_no_findings(profile: str, ctx: StackContext) -> None:
    assert P.evaluate(compliant_stack(profile), ctx) == []


@pytest.mark.parametrize("rule_id", ALL_RULE_IDS)
def test_each_rule_fails_only_on_its_own_break(rule_id: str) -> None:
    resources, victim = mutated(rule_id)
    ctx = DEV if rule_id in DEV_MUTATIONS else PROD
    findings = P.evaluate(resources, ctx)
    assert ids(findings) and set(ids(findings)) == {rule_id}
    assert {f.resource.split("::")[1] for f in findings} == {victim}
    assert all(f.severity == P.RULES_BY_ID[rule_id].severity for f in findings)
    assert all(f.urn == find(resources, victim).urn for f in findings)


def test_severities() -> None:
    expected = {
        "search-local-auth-disabled": "high",
        "cognitive-local-auth-disabled": "high",
        "registry-admin-user-disabled": "high",
        "container-app-no-plaintext-secrets": "high",
        "role-assignment-resource-scope": "high",
        "role-assignment-principal-type": "medium",
        "deployments-serialized": "high",
        "production-protect-stateful": "high",
        "search-read-sla": "low",
        "search-production-sla": "medium",
        "required-tags": "medium",
        "production-public-network-disabled": "medium",
        "storage-shared-key-disabled": "high",
        "storage-minimum-tls": "medium",
        "key-vault-rbac-authorization": "high",
        "key-vault-purge-protection": "medium",
        "foundry-project-identity": "medium",
        "production-private-network": "high",
        "registry-premium-for-private-endpoints": "high",
        "private-endpoint-dns-zone-group": "medium",
    }
    assert {rule.id: rule.severity for rule in P.RULES} == expected


def test_rules_are_well_formed() -> None:
    assert len(P.RULES_BY_ID) == len(P.RULES)
    for rule in P.RULES:
        assert (rule.check is None) != (rule.stack_check is None), rule.id
        assert rule.severity in P.SEVERITIES and rule.description and rule.types


def test_blocking_fails_high_always_and_medium_only_when_strict() -> None:
    findings = [P.Finding("a", "high", "t::a", "m"), P.Finding("b", "medium", "t::b", "m")]
    findings.append(P.Finding("c", "low", "t::c", "m"))
    assert ids(P.blocking(findings)) == ["a"]
    assert ids(P.blocking(findings, strict=True)) == ["a", "b"]


def _one(resource: PlannedResource, rule_id: str, ctx: StackContext = PROD) -> list[str]:
    return [f.message for f in P.evaluate_resource(P.RULES_BY_ID[rule_id], resource, ctx)]


def _search(**inputs: object) -> PlannedResource:
    base = find(compliant_stack(), "search")
    return replace(base, inputs={**base.inputs, **inputs})


def test_search_auth_options_must_be_absent_with_local_auth_disabled() -> None:
    messages = _one(_search(authOptions={"apiKeyOnly": {}}), "search-local-auth-disabled")
    assert messages and "authOptions" in messages[0]


def test_search_local_auth_missing_is_a_violation() -> None:
    inputs = {k: v for k, v in find(compliant_stack(), "search").inputs.items() if k != "disableLocalAuth"}
    resource = replace(find(compliant_stack(), "search"), inputs=inputs)
    assert _one(resource, "search-local-auth-disabled")


def test_cognitive_account_without_custom_subdomain() -> None:
    stack = with_inputs(compliant_stack(), "docintel", lambda i: i["properties"].pop("customSubDomainName"))
    messages = _one(find(stack, "docintel"), "cognitive-local-auth-disabled")
    assert len(messages) == 1 and "customSubDomainName" in messages[0]


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "OPENAI_KEY", "value": "short"},
        {"name": "searchApiKey", "value": "x"},
        {"name": "DB_PASSWORD", "value": "hunter2"},
        {"name": "STORAGE_CONNECTION_STRING", "value": "UseDevelopmentStorage=true"},
        {"name": "GITHUB_TOKEN", "value": "abc"},
        {"name": "SETTINGS", "value": "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc=="},
        {
            "name": "BLOB_URL",
            "value": "https://st.blob.core.windows.net/c?sv=2022&sig=AbCdEf0123456789xyz%3D",
        },
        {"name": "UPSTREAM", "value": "q7Yx2LkPz9Vw3Rt8Nm4Bc6Df1Gh5Jk0AzSeAbCdEfGh"},
        {"name": "PEM", "value": "-----BEGIN RSA PRIVATE KEY-----\nMIIE"},
    ],
)
def test_secret_detection_flags(entry: dict[str, str]) -> None:
    assert P.env_var_problem(entry) is not None


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "OPENAI_KEY", "secretRef": "openai-key"},
        {"name": "AZURE_KEY_VAULT_ENDPOINT", "value": "https://kv.vault.azure.net/"},
        {"name": "AZURE_CLIENT_ID", "value": "11111111-2222-3333-4444-555555555555"},
        {"name": "AZURE_SEARCH_ENDPOINT", "value": "https://srch.search.windows.net"},
        {
            "name": "AZURE_OPENAI_DEPLOYMENTS",
            "value": '{"chat": "gpt-4o", "embed": "text-embedding-3-large"}',
        },
        {"name": "AZURE_TOKEN_CREDENTIALS", "value": "prod"},
        {"name": "MONKEY_BUSINESS", "value": "bananas"},
        {"name": "SCOPE", "value": f"{RG_ID}/providers/Microsoft.Search/searchServices/srch"},
    ],
)
def test_secret_detection_passes(entry: dict[str, str]) -> None:
    assert P.env_var_problem(entry) is None


def test_unknown_value_under_a_secret_name_is_still_flagged() -> None:
    unknown = next(iter(P.UNKNOWN_SENTINELS))
    assert P.env_var_problem({"name": "SEARCH_ADMIN_KEY", "value": unknown}) is not None
    assert P.env_var_problem({"name": "ENDPOINT", "value": unknown}) is None


def test_init_container_env_is_checked_too() -> None:
    def add_init(inputs: dict) -> None:
        inputs["template"]["initContainers"] = [{"name": "init", "env": [{"name": "PWD", "value": "x"}]}]

    stack = with_inputs(compliant_stack(), "app", add_init)
    assert _one(find(stack, "app"), "container-app-no-plaintext-secrets")


env_names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz0123456789", min_size=1)


@given(name=env_names, secret=st.text(min_size=1))
def test_secret_ref_entries_are_never_flagged(name: str, secret: str) -> None:
    assert P.env_var_problem({"name": name, "secretRef": secret}) is None


@given(prefix=env_names, word=st.sampled_from(["KEY", "SECRET", "PASSWORD", "TOKEN", "CONNECTION_STRING"]))
def test_secret_names_with_literal_values_are_always_flagged(prefix: str, word: str) -> None:
    assert P.env_var_problem({"name": f"{prefix}_{word}", "value": "v"}) is not None


def _assignment(scope: object, **extra: object) -> PlannedResource:
    base = find(compliant_stack(), "app-search-reader")
    return replace(base, inputs={**base.inputs, "scope": scope, **extra})


@pytest.mark.parametrize(
    "scope",
    [
        f"/subscriptions/{SUB}",
        RG_ID,
        f"{RG_ID}/",
        "/providers/Microsoft.Management/managementGroups/mg",
        None,
    ],
)
def test_broad_scopes_are_flagged(scope: object) -> None:
    assert _one(_assignment(scope), "role-assignment-resource-scope")


def test_resource_and_child_scopes_pass_and_unknown_is_skipped() -> None:
    account = f"{RG_ID}/providers/Microsoft.CognitiveServices/accounts/oai"
    assert _one(_assignment(account), "role-assignment-resource-scope") == []
    assert _one(_assignment(f"{account}/deployments/chat"), "role-assignment-resource-scope") == []
    unknown = next(iter(P.UNKNOWN_SENTINELS))
    assert _one(_assignment(unknown), "role-assignment-resource-scope") == []


def test_invalid_principal_type_is_flagged() -> None:
    resource = _assignment(f"{RG_ID}/providers/Microsoft.Search/searchServices/s", principalType="Robot")
    assert _one(resource, "role-assignment-principal-type")


def _deployments(count: int, chain: dict[int, list[int]], account: str = "oai") -> list[PlannedResource]:
    """`count` deployments on one account; deployment i depends on the deployments chain[i]."""
    names = [f"d{i}" for i in range(count)]
    urns = [urn("prod", P.DEPLOYMENT, n) for n in names]
    return [
        PlannedResource(
            P.DEPLOYMENT,
            name,
            {"accountName": account},
            urn=urns[i],
            depends_on=tuple(urns[j] for j in chain.get(i, [])),
        )
        for i, name in enumerate(names)
    ]


def _serialization(resources: list[PlannedResource]) -> list[P.Finding]:
    return P.evaluate(resources, PROD, rules=[P.RULES_BY_ID["deployments-serialized"]])


def test_chained_deployments_pass_including_transitive_order() -> None:
    assert _serialization(_deployments(4, {1: [0], 2: [1], 3: [2]})) == []


def test_broken_chain_names_the_parallel_pair() -> None:
    findings = _serialization(_deployments(3, {1: [0], 2: [0]}))
    assert len(findings) == 1
    assert findings[0].resource.endswith("::d2") and "'d1'" in findings[0].message


def test_unchained_deployments_all_reported() -> None:
    assert len(_serialization(_deployments(3, {}))) == 3


def test_chain_through_an_intermediate_resource_counts() -> None:
    gate = PlannedResource("azure-native:resources:Resource", "gate", {}, urn="urn:gate", depends_on=())
    deployments = _deployments(2, {})
    first, second = deployments
    gate = replace(gate, depends_on=(first.urn,))
    second = replace(second, depends_on=(gate.urn,))
    assert _serialization([first, gate, second]) == []


def test_deployments_on_different_accounts_may_run_in_parallel() -> None:
    resources = _deployments(1, {}, account="a") + [
        replace(d, urn=d.urn + "b", name="other") for d in _deployments(1, {}, account="b")
    ]
    assert _serialization(resources) == []


def test_unknown_account_name_groups_by_account_dependency_then_parent() -> None:
    unknown = next(iter(P.UNKNOWN_SENTINELS))
    account = PlannedResource(P.COGNITIVE_ACCOUNT, "openai", {}, urn="urn:account")
    by_dep = [
        replace(d, inputs={"accountName": unknown}, depends_on=("urn:account",)) for d in _deployments(2, {})
    ]
    assert len(_serialization([account, *by_dep])) == 1
    by_parent = [
        replace(d, inputs={"accountName": unknown}, parent="urn:component") for d in _deployments(2, {})
    ]
    assert len(_serialization(by_parent)) == 1


def test_account_name_resolves_to_the_account_urn() -> None:
    account = PlannedResource(P.COGNITIVE_ACCOUNT, "openai", {"accountName": "oai"}, urn="urn:account")
    unknown = next(iter(P.UNKNOWN_SENTINELS))
    first, second = _deployments(2, {})
    second = replace(second, inputs={"accountName": unknown}, depends_on=("urn:account",))
    assert len(_serialization([account, first, second])) == 1


def test_protection_only_required_in_production() -> None:
    stack = with_inputs(compliant_stack("dev"), "search", lambda i: None, protect=False)
    assert _one(find(stack, "search"), "production-protect-stateful", DEV) == []
    assert _one(find(stack, "search"), "production-protect-stateful", PROD)


@pytest.mark.parametrize(
    "sku, replicas, ctx, rule_id, flagged",
    [
        ("basic", 1, DEV, "search-read-sla", True),
        ("basic", 2, DEV, "search-read-sla", False),
        ("free", 1, DEV, "search-read-sla", False),
        ("standard", 1, PROD, "search-read-sla", False),
        ("standard", 2, PROD, "search-production-sla", True),
        ("standard", 3, PROD, "search-production-sla", False),
        ("free", 1, PROD, "search-production-sla", True),
        ("basic", 1, DEV, "search-production-sla", False),
    ],
)
def test_search_sla(sku: str, replicas: int, ctx: StackContext, rule_id: str, flagged: bool) -> None:
    resource = _search(sku={"name": sku}, replicaCount=replicas)
    assert bool(_one(resource, rule_id, ctx)) is flagged


def test_missing_replica_count_means_one_replica() -> None:
    inputs = {k: v for k, v in find(compliant_stack(), "search").inputs.items() if k != "replicaCount"}
    resource = replace(find(compliant_stack(), "search"), inputs=inputs)
    assert _one(resource, "search-production-sla")


@pytest.mark.parametrize(
    "bad, expected",
    [
        ({"managed-by": "terraform"}, "managed-by"),
        ({"profile": "staging"}, "profile"),
        ({"environment": ""}, "missing tags: environment"),
    ],
)
def test_tag_values(bad: dict[str, str], expected: str) -> None:
    stack = with_inputs(compliant_stack(), "acr", lambda i: i["tags"].update(bad))
    messages = _one(find(stack, "acr"), "required-tags")
    assert len(messages) == 1 and expected in messages[0]


def test_untaggable_types_are_not_checked_for_tags() -> None:
    assert _one(find(compliant_stack(), "app-search-reader"), "required-tags") == []
    assert _one(find(compliant_stack(), "openai-chat"), "required-tags") == []


@pytest.mark.parametrize(
    "value, ctx, flagged",
    [("Enabled", PROD, True), (None, PROD, True), ("disabled", PROD, False), ("Enabled", DEV, False)],
)
def test_public_network(value: str | None, ctx: StackContext, flagged: bool) -> None:
    stack = with_inputs(
        compliant_stack(), "openai", lambda i: i["properties"].update(publicNetworkAccess=value)
    )
    assert bool(_one(find(stack, "openai"), "production-public-network-disabled", ctx)) is flagged


def test_policy_module_is_pure() -> None:
    code = (
        "import sys, infra.policy, infra.cost, infra.catalog.prices\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'pulumi', 'pulumi_policy', 'pulumi_azure_native', 'azure', 'pydantic'})\n"
        "print(','.join(bad))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == ""


def test_storage_public_blob_access_is_part_of_the_keyless_rule() -> None:
    resources = with_inputs(
        compliant_stack("prod"), "storage", lambda i: i.update(allowBlobPublicAccess=True)
    )
    findings = P.evaluate(resources, PROD)
    assert ids(findings) == ["storage-shared-key-disabled"]
    assert "allowBlobPublicAccess" in findings[0].message


def test_purge_protection_is_required_in_production_only() -> None:
    dev = with_inputs(
        compliant_stack("dev"), "vault", lambda i: i["properties"].pop("enablePurgeProtection", None)
    )
    assert "key-vault-purge-protection" not in ids(P.evaluate(dev, DEV))


def test_vault_soft_delete_off_is_flagged_in_production() -> None:
    resources = with_inputs(
        compliant_stack("prod"), "vault", lambda i: i["properties"].update(enableSoftDelete=False)
    )
    findings = [f for f in P.evaluate(resources, PROD) if f.rule_id == "key-vault-purge-protection"]
    assert findings and "enableSoftDelete" in findings[0].message


def test_new_stateful_types_are_protected_and_replacement_is_a_loss() -> None:
    for type_token in (P.PROJECT, P.STORAGE, P.KEY_VAULT, P.ML_WORKSPACE):
        assert type_token in P.STATEFUL_TYPES
        assert P.replacement_finding("x", type_token, ["a cannot change in place"]) is not None
