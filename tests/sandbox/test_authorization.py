"""Role definitions and role assignments through AuthorizationManagementClient (2022-04-01)."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.resources import ResourceManagementClient

from infra.catalog.roles import BUILTIN_ROLES, role_definition_id
from sandbox import SANDBOX_SUBSCRIPTION_ID
from sandbox.constants import OPERATOR_OBJECT_ID

SUB = f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}"
RG = f"{SUB}/resourceGroups/rg"
READER = role_definition_id(SANDBOX_SUBSCRIPTION_ID, "Reader")
ACR_PULL = role_definition_id(SANDBOX_SUBSCRIPTION_ID, "AcrPull")


@pytest.fixture
def auth(arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    return arm(AuthorizationManagementClient)


@pytest.fixture
def principal(sandbox):
    oid = str(uuid.uuid4())
    sandbox.add_principal(oid, "User")
    return oid


def _assign(auth, scope, principal, role=READER, name=None, **props):
    body = {"properties": {"roleDefinitionId": role, "principalId": principal, **props}}
    return auth.role_assignments.create(scope, name or str(uuid.uuid4()), body)


def test_role_definitions_come_from_the_catalog(auth):
    reader = BUILTIN_ROLES["Reader"]
    got = auth.role_definitions.get(RG, reader.guid)
    assert got.role_name == "Reader" and got.role_type == "BuiltInRole"
    assert got.id == f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{reader.guid}"
    found = list(auth.role_definitions.list(SUB, filter="roleName eq 'Search Index Data Reader'"))
    assert [d.name for d in found] == [BUILTIN_ROLES["Search Index Data Reader"].guid]
    assert len(list(auth.role_definitions.list(SUB))) == len(BUILTIN_ROLES)
    with pytest.raises(ResourceNotFoundError) as exc:
        auth.role_definitions.get(SUB, str(uuid.uuid4()))
    assert exc.value.error.code == "RoleDefinitionDoesNotExist"


def test_create_is_201_and_identical_reput_is_200(auth, principal, sandbox):
    name = str(uuid.uuid4())
    created = _assign(auth, RG, principal, name=name, principalType="User")
    again = _assign(auth, RG, principal, name=name, principalType="User")
    assert [r["status"] for r in sandbox.requests.list(method="PUT", path="roleAssignments")] == [
        201,
        200,
    ]
    assert created.id == f"{RG}/providers/Microsoft.Authorization/roleAssignments/{name}"
    assert again.scope == RG and again.principal_id == principal and again.principal_type == "User"
    assert again.role_definition_id == READER


def test_same_triple_under_another_name_is_role_assignment_exists(auth, principal):
    _assign(auth, RG, principal)
    with pytest.raises(ResourceExistsError) as exc:
        _assign(auth, RG, principal)
    assert exc.value.error.code == "RoleAssignmentExists"
    assert exc.value.error.message == "The role assignment already exists."
    _assign(auth, SUB, principal)  # same principal and role at another scope is a new assignment


def test_changing_principal_or_scope_of_a_name_is_not_permitted(auth, principal, sandbox):
    name = str(uuid.uuid4())
    _assign(auth, RG, principal, name=name)
    other = str(uuid.uuid4())
    sandbox.add_principal(other, "Group")
    for scope, who in ((RG, other), (SUB, principal)):
        with pytest.raises(HttpResponseError) as exc:
            _assign(auth, scope, who, name=name)
        assert exc.value.status_code == 400
        assert exc.value.error.code == "RoleAssignmentUpdateNotPermitted"
        assert exc.value.error.message == (
            "Tenant ID, application ID, principal ID, and scope are not allowed to be updated."
        )


def test_unknown_principal_is_principal_not_found(auth):
    ghost = str(uuid.uuid4())
    with pytest.raises(HttpResponseError) as exc:
        _assign(auth, RG, ghost, principalType="ServicePrincipal")
    assert exc.value.status_code == 400 and exc.value.error.code == "PrincipalNotFound"
    assert f"does not exist in the directory {'00000000-0000-4000-a000-0000000000aa'}" in str(exc.value)
    assert "set the role assignment principalType property" in exc.value.error.message


def test_name_must_be_a_guid(auth, principal):
    with pytest.raises(HttpResponseError) as exc:
        _assign(auth, RG, principal, name="not-a-guid")
    assert exc.value.error.code == "InvalidRoleAssignmentId"


def test_replication_delay_needs_principal_type(sandbox_dir, sdk_sleeps_follow_sandbox):
    from sandbox import Sandbox

    with Sandbox(sandbox_dir, time_scale=1.0, principal_replication_delay=120) as sb:
        rm = sb.connection.client(ResourceManagementClient)
        rm.resource_groups.create_or_update("rg", {"location": "eastus"})
        msi = sb.connection.client(ManagedServiceIdentityClient)
        auth = sb.connection.client(AuthorizationManagementClient)
        ident = msi.user_assigned_identities.create_or_update("rg", "app", {"location": "eastus"})
        with pytest.raises(HttpResponseError) as exc:
            _assign(auth, RG, ident.principal_id)
        assert exc.value.error.code == "PrincipalNotFound"
        ok = _assign(auth, RG, ident.principal_id, principalType="ServicePrincipal")
        assert ok.principal_type == "ServicePrincipal"
        sb.advance(121)
        assert _assign(auth, SUB, ident.principal_id).principal_type == "ServicePrincipal"


def test_list_filters_at_scope_and_principal(auth, principal, arm, sandbox):
    msi = arm(ManagedServiceIdentityClient)
    ident = msi.user_assigned_identities.create_or_update("rg", "app", {"location": "eastus"})
    at_sub = _assign(auth, SUB, principal)
    at_rg = _assign(auth, RG, principal, role=ACR_PULL)
    at_res = _assign(auth, ident.id, ident.principal_id)
    # The operator's seeded Owner assignment at the subscription is listed like any other.
    owner = [
        a
        for a in auth.role_assignments.list_for_scope(SUB, filter="atScope()")
        if a.principal_id == OPERATOR_OBJECT_ID
    ]
    names = lambda items: sorted(a.name for a in items)  # noqa: E731
    assert names(auth.role_assignments.list_for_scope(RG, filter="atScope()")) == names(
        [*owner, at_sub, at_rg]
    )
    assert names(auth.role_assignments.list_for_scope(RG)) == names([*owner, at_sub, at_rg, at_res])
    mine = auth.role_assignments.list_for_scope(SUB, filter=f"principalId eq '{principal}'")
    assert names(mine) == names([at_sub, at_rg])
    assert names(auth.role_assignments.list_for_resource_group("rg", filter="atScope()")) == names(
        [*owner, at_sub, at_rg]
    )
    on_res = auth.role_assignments.list_for_resource(
        "rg", "Microsoft.ManagedIdentity", "userAssignedIdentities", "app"
    )
    assert names(on_res) == names([*owner, at_sub, at_rg, at_res])
    assert names(auth.role_assignments.list_for_subscription()) == names([*owner, at_sub, at_rg, at_res])


def test_get_and_delete(auth, principal, sandbox):
    created = _assign(auth, RG, principal)
    assert auth.role_assignments.get(RG, created.name).principal_id == principal
    assert auth.role_assignments.get_by_id(created.id).name == created.name
    deleted = auth.role_assignments.delete(RG, created.name)
    assert deleted is not None and deleted.name == created.name
    assert auth.role_assignments.delete(RG, created.name) is None
    assert [r["status"] for r in sandbox.requests.list(method="DELETE")] == [200, 204]
    with pytest.raises(ResourceNotFoundError) as exc:
        auth.role_assignments.get(RG, created.name)
    assert exc.value.error.code == "RoleAssignmentNotFound"


def test_assignments_go_with_their_scope(auth, principal, arm):
    keep = _assign(auth, SUB, principal)
    _assign(auth, RG, principal)
    msi = arm(ManagedServiceIdentityClient)
    ident = msi.user_assigned_identities.create_or_update("rg", "app", {"location": "eastus"})
    _assign(auth, ident.id, principal)
    arm(ResourceManagementClient).resource_groups.begin_delete("rg").result()
    left = [a for a in auth.role_assignments.list_for_subscription() if a.principal_id == principal]
    assert [a.name for a in left] == [keep.name]


def test_assignment_on_missing_resource_is_not_found(auth, principal):
    scope = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope"
    with pytest.raises(ResourceNotFoundError) as exc:
        _assign(auth, scope, principal)
    assert exc.value.error.code == "ResourceNotFound"
