"""ARM authorization in the sandbox: the rules (no HTTP), then real SDK clients signed in as
principals with the roles under test."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from infra.catalog.roles import BUILTIN_ROLES, ROLE_PRESETS, role_definition_id
from sandbox import SANDBOX_SUBSCRIPTION_ID
from sandbox.core import conditions, rbac

SUB = f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}"
RG = f"{SUB}/resourceGroups/rg"
PRESET_ROLE_GUIDS = sorted({BUILTIN_ROLES[g.role].guid for p in ROLE_PRESETS.values() for g in p.grants})
# The README's constrained "Role Based Access Control Administrator" condition (README.md,
# "Roles for the deploying identity"), with $ROLES expanded to the presets' roles.
_ROLES = ", ".join(PRESET_ROLE_GUIDS)
_RA = "Microsoft.Authorization/roleAssignments"
README_CONDITION = f"""
((!(ActionMatches{{'{_RA}/write'}}))
  OR (@Request[{_RA}:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{_ROLES}}}))
AND
((!(ActionMatches{{'{_RA}/delete'}}))
  OR (@Resource[{_RA}:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{_ROLES}}}))
"""


# -- rules --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "action"),
    [
        ("PUT", RG, "Microsoft.Resources/subscriptions/resourceGroups/write"),
        ("DELETE", RG, "Microsoft.Resources/subscriptions/resourceGroups/delete"),
        ("GET", f"{SUB}/resourcegroups", "Microsoft.Resources/subscriptions/resourcegroups/read"),
        ("GET", f"{RG}/resources", "Microsoft.Resources/subscriptions/resourceGroups/resources/read"),
        ("GET", f"{SUB}/providers", "Microsoft.Resources/subscriptions/providers/read"),
        ("POST", f"{SUB}/providers/Microsoft.Search/register", "Microsoft.Search/register/action"),
        (
            "PATCH",
            f"{RG}/providers/Microsoft.Search/searchServices/s",
            "Microsoft.Search/searchServices/write",
        ),
        (
            "POST",
            f"{RG}/providers/Microsoft.Search/searchServices/s/listAdminKeys",
            "Microsoft.Search/searchServices/listAdminKeys/action",
        ),
        (
            "POST",
            f"{RG}/providers/Microsoft.Search/searchServices/s/regenerateAdminKey/primary",
            "Microsoft.Search/searchServices/regenerateAdminKey/action",
        ),
        (
            "PUT",
            f"{RG}/providers/Microsoft.CognitiveServices/accounts/a/deployments/d",
            "Microsoft.CognitiveServices/accounts/deployments/write",
        ),
        # README: purge is checked on the subscription-level path.
        (
            "DELETE",
            f"{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/resourceGroups/rg/deletedAccounts/a",
            "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete",
        ),
        (
            "PUT",
            f"{RG}/providers/Microsoft.ContainerRegistry/registries/r/providers/Microsoft.Authorization/"
            "roleAssignments/x",
            "Microsoft.Authorization/roleAssignments/write",
        ),
    ],
)
def test_action_is_derived_from_the_request_as_arm_does(method, path, action):
    assert rbac.action_for(method, path) == action


def test_wildcards_and_not_actions_match_as_arm_does():
    contributor, reader = BUILTIN_ROLES["Contributor"], BUILTIN_ROLES["Reader"]
    assert rbac.role_grants(contributor, "Microsoft.Search/searchServices/write")
    assert not rbac.role_grants(contributor, "Microsoft.Authorization/roleAssignments/write")
    assert not rbac.role_grants(contributor, "Microsoft.Authorization/locks/delete")
    assert rbac.role_grants(contributor, "Microsoft.Authorization/roleAssignments/read")
    assert rbac.role_grants(reader, "Microsoft.ContainerRegistry/registries/pull/read")
    assert not rbac.role_grants(reader, "Microsoft.Search/searchServices/listAdminKeys/action")
    assert rbac.role_grants(BUILTIN_ROLES["AcrPull"], "microsoft.containerregistry/registries/PULL/read")
    openai = BUILTIN_ROLES["Cognitive Services OpenAI User"]
    chat = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
    assert rbac.role_grants(openai, chat, data=True) and not rbac.role_grants(openai, chat)
    stored = "Microsoft.CognitiveServices/accounts/OpenAI/stored-completions/read"
    assert not rbac.role_grants(openai, stored, data=True)


def test_readme_condition_allows_preset_roles_and_nothing_else():
    write = "Microsoft.Authorization/roleAssignments/write"
    key = "request:microsoft.authorization/roleassignments:roledefinitionid"
    allowed = conditions.Context(write, {key: [BUILTIN_ROLES["AcrPull"].guid]}, rbac.matches)
    owner = conditions.Context(write, {key: [BUILTIN_ROLES["Owner"].guid]}, rbac.matches)
    assert conditions.evaluate(README_CONDITION, allowed)
    assert not conditions.evaluate(README_CONDITION, owner)
    other = conditions.Context("Microsoft.Search/searchServices/read", {}, rbac.matches)
    assert conditions.evaluate(README_CONDITION, other)
    assert not conditions.evaluate("((( not a condition", other)  # fails closed


# -- through the SDK ----------------------------------------------------------------------------
def _client_as(sandbox, client_class, client_id, secret):
    return sandbox.connection.client(
        client_class, credential=sandbox.connection.credential(client_id, secret)
    )


def _principal(sandbox, roles, **kw):
    client_id = str(uuid.uuid4())
    doc = sandbox.register_principal(
        "ServicePrincipal", client_id=client_id, secret="s3cret", roles=roles, **kw
    )
    return doc["objectId"], client_id


def test_reader_gets_azures_403_on_a_write(sandbox, arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    oid, client_id = _principal(sandbox, [{"role": "Reader"}])
    rm = _client_as(sandbox, ResourceManagementClient, client_id, "s3cret")
    assert rm.resource_groups.get("rg").name == "rg"
    with pytest.raises(HttpResponseError) as exc:
        rm.resource_groups.create_or_update("rg2", {"location": "eastus"})
    assert exc.value.status_code == 403 and exc.value.error.code == "AuthorizationFailed"
    scope = f"{SUB}/resourcegroups/rg2"
    assert exc.value.error.message == (
        f"The client '{client_id}' with object id '{oid}' does not have authorization to perform action "
        f"'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '{scope}' or the scope is "
        "invalid. If access was recently granted, please refresh your credentials."
    )
    assert [r["status"] for r in sandbox.requests.list(method="PUT")][-1] == 403
    assert all(g.name != "rg2" for g in arm(ResourceManagementClient).resource_groups.list())


def test_contributor_cannot_assign_roles_and_group_membership_counts(sandbox, arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    oid, client_id = _principal(sandbox, [{"role": "Contributor", "scope": RG}])
    auth = _client_as(sandbox, AuthorizationManagementClient, client_id, "s3cret")
    body = {
        "properties": {
            "roleDefinitionId": role_definition_id(SANDBOX_SUBSCRIPTION_ID, "Reader"),
            "principalId": oid,
        }
    }
    with pytest.raises(HttpResponseError) as exc:
        auth.role_assignments.create(RG, str(uuid.uuid4()), body)
    assert "does not have authorization or an ABAC condition not fulfilled" in exc.value.error.message
    sandbox.register_principal(
        "Group", display_name="admins", members=[oid], roles=[{"role": "User Access Administrator"}]
    )
    assert auth.role_assignments.create(RG, str(uuid.uuid4()), body).principal_id == oid


def test_constrained_rbac_administrator_grants_presets_but_not_owner(sandbox, arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    roles = [{"role": "Role Based Access Control Administrator", "condition": README_CONDITION}]
    _, client_id = _principal(sandbox, roles)
    target = sandbox.register_principal("User", display_name="dev")["objectId"]
    auth = _client_as(sandbox, AuthorizationManagementClient, client_id, "s3cret")

    def body(role):
        return {
            "properties": {
                "roleDefinitionId": role_definition_id(SANDBOX_SUBSCRIPTION_ID, role),
                "principalId": target,
            }
        }

    pull = auth.role_assignments.create(RG, str(uuid.uuid4()), body("AcrPull"))
    with pytest.raises(HttpResponseError) as exc:
        auth.role_assignments.create(RG, str(uuid.uuid4()), body("Owner"))
    assert exc.value.status_code == 403
    assert (
        "or an ABAC condition not fulfilled to perform action 'Microsoft.Authorization/roleAssignments/write'"
        in (exc.value.error.message)
    )
    owner = arm(AuthorizationManagementClient).role_assignments.create(RG, str(uuid.uuid4()), body("Owner"))
    with pytest.raises(HttpResponseError) as exc:
        auth.role_assignments.delete_by_id(owner.id)
    assert exc.value.status_code == 403
    auth.role_assignments.delete_by_id(pull.id)
