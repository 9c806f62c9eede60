"""opsctl over the Foundry project and the Machine Learning workspace (issue 12 item 4), end to end
through the CLI against the sandbox, checked through the official azure-mgmt clients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.catalog.roles import ROLE_NAMES_BY_GUID
from tests.opsctl.conftest import Live

SANDBOX_SUBSCRIPTION = "00000000-0000-4000-a000-000000000001"
PROD_SUBSCRIPTION = "6e1c2f0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"


def ml_stack(live: Live, stack: str = "mldev") -> str:
    """A copy of dev with `ragstack:ml.enabled: true` (the dev profile has it off)."""
    text = live.stack_text("dev") + "  ragstack:ml:\n    enabled: true\n"
    (live.project / f"Pulumi.{stack}.yaml").write_text(text)
    return stack


def prod_in_sandbox(live: Live) -> str:
    """prod, pointed at the sandbox's subscription (its file names a real-looking one)."""
    path = live.project / "Pulumi.prod.yaml"
    path.write_text(path.read_text().replace(PROD_SUBSCRIPTION, SANDBOX_SUBSCRIPTION))
    return "prod"


def up(opsctl: Any, live: Live, stack: str) -> dict[str, Any]:
    result = opsctl("up", "--stack", stack, "--sandbox", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 0, result.out + result.err
    return json.loads(result.out)


def written(report: dict[str, Any]) -> list[str]:
    return [row["resource"] for row in report["resources"] if row["action"] != "unchanged"]


@pytest.mark.parametrize("stack", ["mldev", "prod"])
def test_up_deploys_the_ml_workspace_and_a_rerun_writes_nothing(live, opsctl, stack: str) -> None:
    name = ml_stack(live) if stack == "mldev" else prod_in_sandbox(live)
    first = up(opsctl, live, name)
    env = live.env(name)
    assert {env.names.ml_workspace, env.names.storage, env.names.key_vault} <= set(written(first))
    assert written(up(opsctl, live, name)) == []


def run(opsctl: Any, live: Live, *args: str) -> Any:
    return opsctl(*args, "--project-dir", str(live.project))


def test_status_reads_the_project_and_the_ml_resources(live, opsctl) -> None:
    stack = ml_stack(live)
    up(opsctl, live, stack)
    result = run(opsctl, live, "status", "--stack", stack, "-o", "json")
    assert result.code == 0, result.err
    rows = {row["resource"]: row for row in json.loads(result.out)["resources"]}
    for key in ("foundry_project", "ml_workspace", "storage", "key_vault", "app_insights"):
        assert rows[key]["exists"] and rows[key]["health"] == "ok", rows[key]


def test_drift_counts_the_identities_grants_as_expected_and_sees_hand_changes(live, opsctl) -> None:
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.storage import StorageManagementClient

    stack = ml_stack(live)
    up(opsctl, live, stack)
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
