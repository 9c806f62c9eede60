"""opsctl over the Foundry project and the Machine Learning workspace (issue 12 item 4), end to end
through the CLI against the sandbox, checked through the official azure-mgmt clients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.catalog.roles import ROLE_NAMES_BY_GUID
from tests.opsctl.conftest import Deployed, Live


def up(opsctl: Any, live: Live, stack: str) -> dict[str, Any]:
    result = opsctl("up", "--stack", stack, "--sandbox", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 0, result.out + result.err
    live.apply_indexes(stack)
    return json.loads(result.out)


def written(report: dict[str, Any]) -> list[str]:
    return [row["id"].rsplit("/", 1)[-1] for row in report["resources"] if row["action"] != "unchanged"]


def first_up_writes_the_ml_workspace_and_a_rerun_nothing(
    opsctl: Any, live: Live, stack: str, deployed: Deployed
) -> None:
    """`deployed.first_up` is what the first `up` of `stack` printed, into the state `live` copies."""
    env = live.env(stack)
    assert {env.names.ml_workspace, env.names.storage, env.names.key_vault} <= set(written(deployed.first_up))
    assert written(up(opsctl, live, stack)) == []


@pytest.mark.usefixtures("live_mldev")
def test_up_deploys_the_ml_workspace_on_mldev_and_a_rerun_writes_nothing(
    live, opsctl, deployed_mldev
) -> None:
    first_up_writes_the_ml_workspace_and_a_rerun_nothing(opsctl, live, "mldev", deployed_mldev)


@pytest.mark.usefixtures("live_prod")
def test_up_deploys_the_ml_workspace_on_prod_and_a_rerun_writes_nothing(live, opsctl, deployed_prod) -> None:
    first_up_writes_the_ml_workspace_and_a_rerun_nothing(opsctl, live, "prod", deployed_prod)


def run(opsctl: Any, live: Live, *args: str) -> Any:
    return opsctl(*args, "--project-dir", str(live.project))


@pytest.mark.usefixtures("live_mldev")
def test_status_reads_the_project_and_the_ml_resources(live, opsctl) -> None:
    stack = "mldev"  # deployed by `up` into the template `live_mldev` copies
    result = run(opsctl, live, "status", "--stack", stack, "-o", "json")
    assert result.code == 0, result.err
    rows = {row["resource"]: row for row in json.loads(result.out)["resources"]}
    for key in ("foundry_project", "ml_workspace", "storage", "key_vault", "app_insights"):
        assert rows[key]["exists"] and rows[key]["health"] == "ok", rows[key]


@pytest.mark.usefixtures("live_mldev")
def test_drift_counts_the_identities_grants_as_expected_and_sees_hand_changes(live, opsctl) -> None:
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.storage import StorageManagementClient

    stack = "mldev"  # deployed by `up` into the template `live_mldev` copies
    in_sync = run(opsctl, live, "drift", "--stack", stack, "-o", "json")
    assert in_sync.code == 0, in_sync.out

    env = live.env(stack)
    group = env.resource_group
    live.target.client(StorageManagementClient).storage_accounts.update(
        group, env.names.storage, {"properties": {"allowSharedKeyAccess": True}}
    )
    vaults = live.target.client(KeyVaultManagementClient)
    vault = vaults.vaults.get(group, env.names.key_vault)
    vault.properties.enable_rbac_authorization = False
    vaults.vaults.begin_create_or_update(group, env.names.key_vault, vault).result()
    # The workspace identity's grant on its storage account, removed by hand.
    auth = live.target.client(AuthorizationManagementClient)
    scope = env.scopes()["storage"]
    operator = "11111111-2222-4333-8444-555555555555"  # dev's developer; the other holder is the workspace
    removed = [
        a
        for a in auth.role_assignments.list_for_scope(scope)
        if a.scope.lower() == scope.lower() and a.principal_id != operator
    ]
    assert removed
    auth.role_assignments.delete(scope, removed[0].name)

    drifted = run(opsctl, live, "drift", "--stack", stack, "-o", "json")
    assert drifted.code == 2, drifted.out + drifted.err
    found = {(item["resource"], item["setting"]) for item in json.loads(drifted.out)["drift"]}
    assert (env.names.storage, "allowSharedKeyAccess") in found
    assert (env.names.key_vault, "enableRbacAuthorization") in found
    role = ROLE_NAMES_BY_GUID[removed[0].role_definition_id.rsplit("/", 1)[-1].lower()]
    assert (env.names.storage, f"role {role} for {removed[0].principal_id}") in found


def teardown(opsctl: Any, live: Live, stack: str, *extra: str) -> list[dict[str, Any]]:
    result = run(opsctl, live, "teardown", "--stack", stack, "--purge", "--yes", *extra, "-o", "json")
    assert result.code == 0, result.out + result.err
    return json.loads(result.out)


def leftovers(live: Live, env: Any) -> dict[str, set[str]]:
    """What is still soft-deleted, as the official clients list it."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
    from azure.mgmt.keyvault import KeyVaultManagementClient

    cognitive = live.target.client(CognitiveServicesManagementClient)
    vaults = live.target.client(KeyVaultManagementClient)
    return {
        "accounts": {a.name for a in cognitive.deleted_accounts.list()}
        & {env.names.openai, env.names.document_intelligence},
        "vaults": {v.name for v in vaults.vaults.list_deleted()} & {env.names.key_vault},
    }


def workspace_name_is_free(live: Live, env: Any) -> bool:
    """A soft-deleted workspace holds its name in its group (409); a purged one does not."""
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
    from azure.mgmt.machinelearningservices.models import Workspace
    from azure.mgmt.resource.resources import ResourceManagementClient

    live.target.client(ResourceManagementClient).resource_groups.create_or_update(
        env.resource_group, {"location": env.settings.location}
    )
    ml = live.target.client(MachineLearningServicesMgmtClient)
    try:
        ml.workspaces.begin_create_or_update(
            env.resource_group, env.names.ml_workspace, Workspace(location=env.settings.location)
        ).result()
    except HttpResponseError as exc:
        assert exc.status_code == 409, exc
        return False
    return True


@pytest.mark.usefixtures("live_mldev")
def test_teardown_purge_leaves_no_soft_deleted_account_vault_or_workspace(live, opsctl) -> None:
    stack = "mldev"  # deployed by `up` into the template `live_mldev` copies
    env = live.env(stack)
    planned = run(opsctl, live, "teardown", "--stack", stack, "--dry-run", "-o", "json")
    assert planned.code == 0, planned.err
    [row] = json.loads(planned.out)
    steps = [(step["action"], step["target"]) for step in row["steps"]]
    workspace = ("delete workspace (soft delete)", env.names.ml_workspace)
    assert steps.index(workspace) < steps.index(("delete resource group", env.resource_group))
    [result] = teardown(opsctl, live, stack)
    assert result["skipped"] == [], result
    done = result["done"]
    assert done.index(f"deleted project {env.names.openai}/{env.names.foundry_project}") < done.index(
        f"deleted account {env.names.openai} ({env.settings.location})"
    )
    assert leftovers(live, env) == {"accounts": set(), "vaults": set()}
    assert workspace_name_is_free(live, env)


@pytest.mark.usefixtures("live_prod")
def test_teardown_refuses_to_purge_a_purge_protected_vault_and_says_when_its_name_frees(live, opsctl) -> None:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    stack = "prod"  # deployed by `up` into the template `live_prod` copies
    env = live.env(stack)
    [result] = teardown(opsctl, live, stack, "--confirm", stack)
    deleted = live.target.client(KeyVaultManagementClient).vaults.get_deleted(
        env.names.key_vault, env.settings.location
    )
    frees = deleted.properties.scheduled_purge_date
    [note] = result["skipped"]
    assert env.names.key_vault in note and "purge protection" in note
    assert frees.date().isoformat() in note
    assert leftovers(live, env) == {"accounts": set(), "vaults": {env.names.key_vault}}
    assert workspace_name_is_free(live, env)


GRANTEE = "7d3c9a2e-4b1f-4e6a-9c8d-2f5e1a7b3c90"


@pytest.mark.usefixtures("live_mldev")
def test_access_presets_cover_the_project_and_the_workspace(live, opsctl) -> None:
    from sandbox import SandboxAdmin

    stack = "mldev"  # deployed by `up` into the template `live_mldev` copies
    with SandboxAdmin(live.sandbox.connection) as admin:
        admin.add_principal(GRANTEE, "User")
    args = ("--stack", stack, "--principal", GRANTEE, "--principal-type", "User")
    granted = run(opsctl, live, "access", "grant", *args, "--preset", "developer", "-o", "json")
    assert granted.code == 0, granted.out + granted.err
    listed = run(opsctl, live, "access", "list", "--stack", stack, "-o", "json")
    mine = {row["resource"] for row in json.loads(listed.out) if row["principal_id"] == GRANTEE}
    assert {"foundry_project", "ml_workspace", "storage"} <= mine, mine
    # Written back to the stack file, so the grant is declared, not drift.
    assert run(opsctl, live, "drift", "--stack", stack).code == 0

    revoked = run(opsctl, live, "access", "revoke", *args, "--preset", "developer", "-o", "json")
    assert revoked.code == 0, revoked.err
    listed = run(opsctl, live, "access", "list", "--stack", stack, "-o", "json")
    assert [row for row in json.loads(listed.out) if row["principal_id"] == GRANTEE] == []


def openai_kind_stack(live: Live, stack: str = "oaidev") -> str:
    """dev on the 2024 shape: `kind: OpenAI`, which has no Foundry project."""
    import yaml

    data = yaml.safe_load(live.stack_text("dev"))
    data["config"]["ragstack:openai"]["kind"] = "OpenAI"
    del data["config"]["ragstack:foundry"]
    (live.project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(data))
    return stack


@pytest.mark.parametrize("kind", ["AIServices", "OpenAI"])
def test_scale_openai_changes_a_deployment_on_both_kinds(live, opsctl, kind: str) -> None:
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    stack = "dev" if kind == "AIServices" else openai_kind_stack(live)
    if stack != "dev":
        up(opsctl, live, stack)
    else:
        live.apply_indexes()
    env = live.env(stack)
    cognitive = live.target.client(CognitiveServicesManagementClient)
    assert cognitive.accounts.get(env.resource_group, env.names.openai).kind == kind
    scaled = run(
        opsctl, live, "scale", "openai", "--stack", stack, "--deployment", "chat", "--capacity", "12"
    )
    assert scaled.code == 0, scaled.out + scaled.err
    assert cognitive.deployments.get(env.resource_group, env.names.openai, "chat").sku.capacity == 12
    assert "capacity: 12" in live.stack_text(stack)
    assert run(opsctl, live, "drift", "--stack", stack).code == 0


def test_purge_skips_a_vault_in_our_group_tagged_for_another_team(live, opsctl) -> None:
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.keyvault.models import Sku, VaultCreateOrUpdateParameters, VaultProperties

    from sandbox import SANDBOX_TENANT_ID

    env = live.env()
    vaults = live.target.client(KeyVaultManagementClient)
    body = VaultCreateOrUpdateParameters(
        location=env.settings.location,
        tags={"project": "billing", "managed-by": "terraform", "environment": "dev"},
        properties=VaultProperties(tenant_id=SANDBOX_TENANT_ID, sku=Sku(family="A", name="standard")),
    )
    vaults.vaults.begin_create_or_update(env.resource_group, "kv-billing-dev", body).result()

    [result] = teardown(opsctl, live, "dev")
    [note] = result["skipped"]
    assert note.startswith("skipped purge of vault kv-billing-dev") and "project=billing" in note
    assert [v.name for v in vaults.vaults.list_deleted()] == ["kv-billing-dev"]
