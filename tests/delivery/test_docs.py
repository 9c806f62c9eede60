"""README's "Running it in CI" section stays in step with the workflows and the role catalog."""

from __future__ import annotations

import re

from infra.catalog.roles import BUILTIN_ROLES, ROLE_PRESETS
from tests.delivery.workflows import ROOT, workflows

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOC = README[README.index("## Running it in CI") :]


def test_constrained_rbac_administrator_lists_exactly_the_roles_ragstack_assigns() -> None:
    match = re.search(r'^ROLES="([^"]+)"', DOC, re.MULTILINE)
    assert match
    documented = {guid.strip() for guid in match.group(1).split(",")}
    assigned = {BUILTIN_ROLES[g.role].guid for p in ROLE_PRESETS.values() for g in p.grants}
    assert documented == assigned


def test_federated_subjects_variables_and_purge_permission_are_documented() -> None:
    for text in (
        "repo:OWNER/REPO:ref:refs/heads/main",
        "repo:OWNER/REPO:pull_request",
        "repo:OWNER/REPO:environment:production",
        "az ad app federated-credential create",
        "az role assignment create",
        "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete",
        "azblob://state?storage_account=",
    ):
        assert text in DOC, text


def test_every_variable_and_secret_the_workflows_read_is_documented() -> None:
    text = str(workflows())
    variables = set(re.findall(r"vars\.([A-Z_]+)", text))
    secrets = set(re.findall(r"secrets\.([A-Z_]+)", text))
    assert variables >= {"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "PULUMI_BACKEND_URL"}
    for name in variables | secrets:
        assert f"set {name}" in DOC, name
