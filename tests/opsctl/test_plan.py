"""`opsctl plan`: offline desired state, diff, ARM export and bad-input handling through the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from infra.naming import environment_names
from infra.stackfile import StackFile

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))


@pytest.mark.parametrize("stack", STACKS)
def test_plan_json_describes_every_resource_of_the_stack(opsctl, stack: str) -> None:
    settings = StackFile.load(ROOT / f"Pulumi.{stack}.yaml").settings()
    names = environment_names(settings)
    result = opsctl("plan", "--stack", stack, "--project-dir", str(ROOT), "--output", "json")
    assert result.code in (0, 3), result.err
    plan = json.loads(result.out)

    by_arm_type: dict[str, list[str]] = {}
    for resource in plan["resources"]:
        by_arm_type.setdefault(resource["armType"], []).append(resource["azureName"])
    assert by_arm_type["Microsoft.Search/searchServices"] == [names.search]
    assert sorted(by_arm_type["Microsoft.CognitiveServices/accounts"]) == sorted(
        [names.openai, names.document_intelligence]
    )
    assert sorted(by_arm_type["Microsoft.CognitiveServices/accounts/deployments"]) == sorted(
        d.name for d in settings.openai.deployments
    )
    assert by_arm_type["Microsoft.App/containerApps"] == [names.container_app]
    search = next(r for r in plan["resources"] if r["armType"] == "Microsoft.Search/searchServices")
    assert search["inputs"]["replicaCount"] == settings.search.replicas
    assert search["summary"].startswith(f"{settings.search.sku}, {settings.search.replicas}x")
    assert all(
        row["scope"].startswith(f"/subscriptions/{settings.subscription_id}/resourceGroups/")
        for row in plan["roleMatrix"]
    )
    operators = {
        row["principalId"] for row in plan["roleMatrix"] if row["principalType"] != "ServicePrincipal"
    }
    assert operators == {g.principal_id for g in settings.access}
    assert (
        plan["outputs"]["searchServiceName"] == names.search
        if "searchServiceName" in plan["outputs"]
        else True
    )
    assert plan["cost"]["label"] == "estimate" and plan["cost"]["as_of"]
    assert plan["cost"]["total_monthly_usd"] == pytest.approx(
        sum(line["monthly_usd"] for line in plan["cost"]["lines"]), abs=0.05
    )


def test_plan_table_shows_resources_roles_findings_and_cost(opsctl) -> None:
    result = opsctl("plan", "--stack", "dev", "--project-dir", str(ROOT))
    assert result.code == 0, result.err
    for heading in ("plan: dev", "role matrix", "stack outputs", "estimate:", "USD/month"):
        assert heading in result.out


def test_prod_strict_fails_on_medium_findings_and_not_without_strict(opsctl, project: Path) -> None:
    # Two search replicas: no read/write SLA, a medium finding (the prod example itself has none).
    path = project / "Pulumi.prod.yaml"
    path.write_text(path.read_text().replace("    replicas: 3\n", "    replicas: 2\n"))
    relaxed = opsctl("plan", "--stack", "prod", "--project-dir", str(project), "-o", "json")
    strict = opsctl("plan", "--stack", "prod", "--project-dir", str(project), "-o", "json", "--strict")
    findings = json.loads(relaxed.out)["findings"]
    assert relaxed.code == 0
    assert any(f["severity"] == "medium" for f in findings)
    assert strict.code == 3


def test_arm_export_is_a_template_with_types_and_dependencies(opsctl) -> None:
    result = opsctl("plan", "--stack", "dev", "--project-dir", str(ROOT), "--format", "arm")
    assert result.code == 0, result.err
    template = json.loads(result.out)
    group, deployment = template["resources"]
    assert group["type"] == "Microsoft.Resources/resourceGroups"
    inner = deployment["properties"]["template"]["resources"]
    types = {r["type"] for r in inner}
    assert {
        "Microsoft.Search/searchServices",
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.CognitiveServices/accounts/deployments",
        "Microsoft.App/containerApps",
        "Microsoft.Authorization/roleAssignments",
    } <= types
    assert all(r["apiVersion"] for r in inner)
    deployments = [r for r in inner if r["type"].endswith("/deployments")]
    second = deployments[1]
    account, first = deployments[0]["name"].split("/")
    first_id = f"[resourceId('Microsoft.CognitiveServices/accounts/deployments', '{account}', '{first}')]"
    assert first_id in second["dependsOn"]
    app = next(r for r in inner if r["type"] == "Microsoft.App/containerApps")
    assert any("Microsoft.Authorization/roleAssignments" in d for d in app["dependsOn"])
    search = next(r for r in inner if r["type"] == "Microsoft.Search/searchServices")
    assert search["properties"]["disableLocalAuth"] is True and "authOptions" not in search["properties"]
    environment = next(r for r in inner if r["type"] == "Microsoft.App/managedEnvironments")
    logs = environment["properties"]["appLogsConfiguration"]["logAnalyticsConfiguration"]
    assert logs["sharedKey"].startswith("[listKeys(resourceId('Microsoft.OperationalInsights/workspaces'")
    assert "mock-primary" not in result.out


def test_diff_against_another_stack_file_shows_changes(opsctl, project: Path) -> None:
    changed = StackFile.load(project / "Pulumi.dev.yaml")
    changed.set("ragstack:search", ("replicas",), 3)
    changed.save()
    baseline = ROOT / "Pulumi.dev.yaml"
    result = opsctl(
        "plan", "--stack", "dev", "--project-dir", str(project), "--diff-against", str(baseline), "-o", "json"
    )
    diff = json.loads(result.out)["diff"]
    assert diff["added"] == [] and diff["removed"] == []
    search_changes = [c for c in diff["changed"] if c["key"].startswith("azure-native:search:Service")]
    assert search_changes[0]["changes"] == [{"path": "replicaCount", "before": 1, "after": 3}]
    assert diff["cost"]["after"] > diff["cost"]["before"]


def test_diff_against_a_saved_plan_and_a_git_ref(opsctl, project: Path) -> None:
    saved = opsctl("plan", "--stack", "dev", "--project-dir", str(project), "-o", "json")
    (project / "base.json").write_text(saved.out)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "."], cwd=project, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"], cwd=project, check=True
    )
    edited = StackFile.load(project / "Pulumi.dev.yaml")
    edited.set("ragstack:openai", ("deployments",), [])
    edited.document["config"].pop("ragstack:rag")  # it names the deployments removed here
    edited.save()
    for baseline in (str(project / "base.json"), "HEAD"):
        diff = json.loads(
            opsctl(
                "plan",
                "--stack",
                "dev",
                "--project-dir",
                str(project),
                "--diff-against",
                baseline,
                "-o",
                "json",
            ).out
        )["diff"]
        removed = {r["key"].split("::")[0] for r in diff["removed"]}
        assert removed == {"azure-native:cognitiveservices:Deployment"}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("  ragstack:search:\n    sku: standard\n    partitions: 5\n", "ragstack:search.partitions = 5"),
        ("  ragstack:bogus: 1\n", "ragstack:bogus = 1: unknown key"),
        ("  ragstack:app:\n    maxReplicas: lots\n", "ragstack:app.maxReplicas = 'lots'"),
        ("  ragstack:search: [\n", "broken YAML"),
    ],
)
def test_bad_stack_file_is_one_line_naming_file_and_key(
    opsctl, project: Path, edit: str, expected: str
) -> None:
    path = project / "Pulumi.bad.yaml"
    path.write_text("config:\n  ragstack:location: eastus2\n" + edit)
    result = opsctl("plan", "--stack", "bad", "--project-dir", str(project))
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err
    assert "Pulumi.bad.yaml" in lines[0] and expected in lines[0]


def test_diff_against_something_that_is_not_a_plan_is_one_line(opsctl, project: Path) -> None:
    arm = opsctl("plan", "--stack", "dev", "--project-dir", str(project), "--format", "arm")
    (project / "arm.json").write_text(arm.out)
    (project / "list.json").write_text("[1, 2]")
    for name in ("arm.json", "list.json"):
        result = opsctl(
            "plan", "--stack", "dev", "--project-dir", str(project), "--diff-against", str(project / name)
        )
        assert result.code == 1 and "Traceback" not in result.err
        assert "not a plan from `opsctl plan -o json`" in result.err


def test_stack_names_are_checked_before_any_file_is_read(opsctl, project: Path) -> None:
    result = opsctl("status", "--stack", "../etc/passwd", "--project-dir", str(project))
    assert result.code == 1 and "--stack '../etc/passwd': stack names" in result.err


def test_arm_export_resolves_azure_assigned_values_at_deploy_time(opsctl) -> None:
    plan = json.loads(opsctl("plan", "--stack", "dev", "--project-dir", str(ROOT), "-o", "json").out)
    template_text = opsctl("plan", "--stack", "dev", "--project-dir", str(ROOT), "--format", "arm").out
    template = json.loads(template_text)
    inner = template["resources"][1]["properties"]["template"]["resources"]
    placeholders = {
        value
        for r in plan["resources"]
        if r["armType"] != "Microsoft.Authorization/roleAssignments"
        for key, value in r["computed"].items()
        if key != "endpoint"
    }
    assert placeholders and not any(value in template_text for value in placeholders)
    assert "/subscriptions/" not in template_text
    app = next(r for r in inner if r["type"] == "Microsoft.App/containerApps")
    client_id = next(
        e["value"]
        for e in app["properties"]["template"]["containers"][0]["env"]
        if e["name"] == "AZURE_CLIENT_ID"
    )
    assert client_id.startswith("[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities'")
    assignments = [r for r in inner if r["type"] == "Microsoft.Authorization/roleAssignments"]
    assert all(r["name"].startswith("[guid(") and "reference(" not in r["name"] for r in assignments)
    assert all(
        r["properties"]["roleDefinitionId"].startswith("[subscriptionResourceId(") for r in assignments
    )
    role_deps = [d for d in app["dependsOn"] if "roleAssignments" in d]
    assert role_deps and all(d.startswith("[extensionResourceId(") for d in role_deps)
    identities = {
        row["principalId"] for row in plan["roleMatrix"] if row["principalType"] == "ServicePrincipal"
    }
    assert identities == {
        "<id-dev-app identity>",
        f"<{plan['outputs']['searchName']} identity>",
        f"<{plan['outputs']['foundryProjectName']} identity>",
    }


def _diff(opsctl, project: Path, *extra: str):  # type: ignore[no-untyped-def]
    baseline = str(ROOT / "Pulumi.dev.yaml")
    return opsctl("plan", "--stack", "dev", "--project-dir", str(project), "--diff-against", baseline, *extra)


def test_tier_change_is_a_replacement_with_its_reason_and_a_high_finding(opsctl, project: Path) -> None:
    """Search sku is a replace trigger (no in-place tier change before 2025-05-01: search-openai-demo#586)."""
    changed = StackFile.load(project / "Pulumi.dev.yaml")
    changed.set("ragstack:search", ("sku",), "standard")
    changed.save()
    result = _diff(opsctl, project, "-o", "json")
    assert result.code == 3, result.err
    diff = json.loads(result.out)["diff"]
    (search,) = [r for r in diff["replaced"] if r["key"].startswith("azure-native:search:Service")]
    assert search["reasons"] == ["sku cannot change in place"]
    assert not [c for c in diff["changed"] if c["key"] == search["key"]]
    assert diff["counts"]["replace"] == 1
    (finding,) = [f for f in json.loads(result.out)["findings"] if f["rule"] == "replace-stateful"]
    assert finding["severity"] == "high" and "indexes and documents are lost" in finding["message"]


def test_text_plan_separates_replace_from_change_and_counts_them(opsctl, project: Path) -> None:
    changed = StackFile.load(project / "Pulumi.dev.yaml")
    changed.set("ragstack:search", ("sku",), "standard")
    changed.set("ragstack:app", ("maxReplicas",), 5)
    changed.save()
    result = _diff(opsctl, project)
    text = " ".join(result.out.split())
    assert "1 to change, 1 to replace" in text
    assert "+- replace" in text and "sku cannot change in place" in text
    assert "~ change" in text and "replace-stateful" in text


def test_scaling_replicas_is_an_in_place_change_not_a_replacement(opsctl, project: Path) -> None:
    changed = StackFile.load(project / "Pulumi.dev.yaml")
    changed.set("ragstack:search", ("replicas",), 2)
    changed.save()
    diff = json.loads(_diff(opsctl, project, "-o", "json").out)["diff"]
    assert diff["replaced"] == [] and diff["findings"] == []


def test_values_azure_assigns_read_known_after_deploy_not_mock_guids(opsctl, project: Path) -> None:
    document = json.loads(opsctl("plan", "--stack", "dev", "--project-dir", str(project), "-o", "json").out)
    outputs = document["outputs"]
    for key in ("identityPrincipalId", "identityClientId", "searchPrincipalId", "logAnalyticsCustomerId"):
        assert outputs[key] == "(known after deploy)", key
    assert outputs["appUrl"] == "(known after deploy)"
    assert outputs["searchEndpoint"].startswith("https://srch-dev-")
    app = next(r for r in document["resources"] if r["type"] == "azure-native:app:ContainerApp")
    client_id = next(
        e for e in app["inputs"]["template"]["containers"][0]["env"] if e["name"] == "AZURE_CLIENT_ID"
    )
    assert client_id["value"] == "(known after deploy)"
