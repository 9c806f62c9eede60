"""`opsctl plan` on Foundry and Azure ML stacks: replacement on a kind switch, findings, ARM export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.catalog.roles import role_guid
from infra.stackfile import StackFile

ROOT = Path(__file__).resolve().parents[2]


def _inner(template: dict[str, Any]) -> list[dict[str, Any]]:
    nested = next(r for r in template["resources"] if r["type"] == "Microsoft.Resources/deployments")
    return nested["properties"]["template"]["resources"]


def test_switching_the_account_kind_is_a_replacement_with_a_high_finding(opsctl, project: Path) -> None:
    """`kind` is in the account's replace_on_changes: Azure cannot change an account's kind in place."""
    changed = StackFile.load(project / "Pulumi.dev.yaml")
    changed.set("ragstack:openai", ("kind",), "OpenAI")
    changed.set("ragstack:foundry", ("project",), None)
    changed.save()
    baseline = str(ROOT / "Pulumi.dev.yaml")
    result = opsctl(
        "plan", "--stack", "dev", "--project-dir", str(project), "--diff-against", baseline, "-o", "json"
    )
    assert result.code == 3, result.err
    plan = json.loads(result.out)
    diff = plan["diff"]
    (account,) = [r for r in diff["replaced"] if r["key"] == "azure-native:cognitiveservices:Account::openai"]
    assert "kind cannot change in place" in account["reasons"]
    assert any(r["key"].startswith("azure-native:cognitiveservices:Project") for r in diff["removed"])
    findings = [f for f in plan["findings"] if f["rule"] == "replace-stateful"]
    assert any(f["severity"] == "high" and "48 h" in f["message"] for f in findings)


def test_a_project_on_an_openai_account_is_one_line_before_any_resource(opsctl, project: Path) -> None:
    changed = StackFile.load(project / "Pulumi.dev.yaml")
    changed.set("ragstack:openai", ("kind",), "OpenAI")
    changed.save()
    result = opsctl("plan", "--stack", "dev", "--project-dir", str(project))
    assert result.code == 1 and not result.out  # a bad stack file exits 1, as every settings error does
    line = result.err.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "ragstack:foundry.project = 'proj-dev'" in line and "AIServices" in line


def test_ml_on_a_region_without_it_is_one_line(opsctl, project: Path) -> None:
    changed = StackFile.load(project / "Pulumi.dev.yaml")
    changed.set("ragstack:ml", ("enabled",), True)
    changed.set("ragstack:location", (), "malaysiawest")
    changed.save()
    result = opsctl("plan", "--stack", "dev", "--project-dir", str(project))
    assert (
        result.code == 1
        and len(result.err.strip().splitlines()) == 1
        and "ragstack:ml.enabled = True" in result.err
        and "not offered" in result.err
    )


def test_prod_plan_lists_the_new_services_with_cost_and_role_matrix(opsctl) -> None:
    result = opsctl("plan", "--stack", "prod", "--project-dir", str(ROOT), "-o", "json")
    assert result.code in (0, 3), result.err
    plan = json.loads(result.out)
    types = {r["armType"] for r in plan["resources"]}
    assert {
        "Microsoft.CognitiveServices/accounts/projects",
        "Microsoft.MachineLearningServices/workspaces",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.KeyVault/vaults",
        "Microsoft.Insights/components",
    } <= types
    assert {row["role"] for row in plan["roleMatrix"]} >= {"Azure AI User", "Key Vault Administrator"}
    priced = {line["type"] for line in plan["cost"]["lines"]}
    assert "azure-native:storage:StorageAccount" in priced and not plan["cost"]["unpriced"]
    assert plan["outputs"]["foundryProjectEndpoint"].endswith("/api/projects/proj-prod")
    rules = {f["rule"] for f in plan["findings"]}
    assert not rules & {
        "storage-shared-key-disabled",
        "key-vault-rbac-authorization",
        "foundry-project-identity",
    }


def test_arm_export_contains_the_project_and_the_ml_services(opsctl) -> None:
    result = opsctl("plan", "--stack", "prod", "--project-dir", str(ROOT), "--format", "arm")
    assert result.code in (0, 3), result.err
    inner = {r["type"]: r for r in _inner(json.loads(result.out))}
    project = inner["Microsoft.CognitiveServices/accounts/projects"]
    assert project["apiVersion"] == "2025-06-01" and project["name"].endswith("/proj-prod")
    assert project["identity"] == {"type": "SystemAssigned"}
    workspace = inner["Microsoft.MachineLearningServices/workspaces"]
    assert workspace["kind"] == "Default" and workspace["apiVersion"] == "2025-12-01"
    assert workspace["properties"]["keyVault"].startswith("[resourceId('Microsoft.KeyVault/vaults'")
    vault = inner["Microsoft.KeyVault/vaults"]["properties"]
    assert vault["tenantId"] == "[subscription().tenantId]" and vault["enableRbacAuthorization"] is True
    insights = inner["Microsoft.Insights/components"]["properties"]
    assert insights["Application_Type"] == "web" and insights["WorkspaceResourceId"].startswith(
        "[resourceId("
    )
    storage = inner["Microsoft.Storage/storageAccounts"]
    assert storage["properties"]["allowSharedKeyAccess"] is False and storage["sku"] == {
        "name": "Standard_LRS"
    }
    grants = [
        r for r in _inner(json.loads(result.out)) if r["type"] == "Microsoft.Authorization/roleAssignments"
    ]
    ai_user = role_guid("Azure AI User")
    assert any(ai_user in g["properties"]["roleDefinitionId"] and "projects" in g["scope"] for g in grants)


def test_stack_new_from_prod_gets_a_foundry_project_and_no_purge_protection(project: Path) -> None:
    """An ephemeral stack must be purgeable: the prod profile's purge protection does not carry over."""
    from opsctl.stacks import new_ephemeral_stack

    base = StackFile.load(project / "Pulumi.prod.yaml")
    base.set("ragstack:ml", ("purgeProtection",), True)
    base.save()
    path = new_ephemeral_stack("pr-7", base="prod", project_dir=project)
    settings = StackFile.load(path).settings()
    assert settings.openai.kind == "AIServices" and settings.has_foundry_project
    assert settings.ml.enabled and not settings.ml.purge_protection and settings.ephemeral
