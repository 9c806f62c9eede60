"""`opsctl smoke` end to end: the dev stack deployed in the sandbox, checked as the app's identity
(a token from the sandbox's managed-identity endpoint) and as the operator."""

from __future__ import annotations

import json
from typing import Any

from opsctl.indexes import load_index_definitions
from sandbox.constants import OPERATOR_OBJECT_ID

PROPAGATION = 600  # the sandbox's RBAC propagation delay, as Azure's documented worst case
# Longer than the wall-clock run of a command at the test sandbox's time scale, so "not yet" holds.
LONG_PROPAGATION = 10**6


def _create_indexes(live: Any) -> None:
    """The declared indexes, created by the operator (what `opsctl index apply` does)."""
    from azure.search.documents.indexes.models import SearchIndex

    from opsctl.dataplane import open_data_plane

    env = live.env()
    live.sandbox.grant(OPERATOR_OBJECT_ID, "Search Service Contributor", scope=env.scopes()["search"])
    live.sandbox.advance(PROPAGATION)
    client = open_data_plane(env, live.target).search_index_client()
    for definition in load_index_definitions(env):
        client.create_or_update_index(SearchIndex(definition.body))


def _ready(live: Any) -> None:
    _create_indexes(live)
    live.sandbox.advance(PROPAGATION)  # the stack's app assignments (made by `opsctl up`) apply


def _checks(out: str) -> dict[tuple[str, str], dict[str, str]]:
    doc = json.loads(out)
    return {(c["check"], c["target"]): c for c in doc["checks"]}


def test_smoke_passes_as_the_app_on_a_deployed_dev_stack(live: Any, opsctl: Any) -> None:
    _ready(live)
    result = opsctl("smoke", "--stack", "dev", "--as-app", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 0, result.out + result.err
    doc = json.loads(result.out)
    assert doc["passed"] is True
    assert doc["caller"]["is_app"] is True
    checks = _checks(result.out)
    assert {c["result"] for c in checks.values()} == {"pass"}
    assert {key[0] for key in checks} == {"token", "search query", "embedding", "chat", "layout"}
    assert ("search query", "index docs") in checks
    assert checks[("embedding", "deployment embedding")]["detail"] == "1536 dimensions"


def test_a_deleted_app_assignment_fails_at_once_naming_role_scope_and_opsctl_up(
    live: Any, opsctl: Any
) -> None:
    from azure.mgmt.authorization import AuthorizationManagementClient

    _ready(live)
    env = live.env()
    scope = env.scopes()["openai"]
    client = live.target.client(AuthorizationManagementClient)
    for item in client.role_assignments.list_for_scope(scope):
        if item.scope.lower() == scope.lower() and item.principal_type == "ServicePrincipal":
            client.role_assignments.delete(scope, item.name)

    result = opsctl("smoke", "--stack", "dev", "--as-app", "--project-dir", str(live.project), "-o", "json")

    assert result.code == 1
    failed = _checks(result.out)[("embedding", "deployment embedding")]
    assert failed["result"] == "fail"
    assert "missing role Cognitive Services OpenAI User for the app's identity" in failed["detail"]
    assert scope in failed["detail"]
    assert "`opsctl up --stack dev`" in failed["detail"]
    assert "not propagated" not in result.err
    assert _checks(result.out)[("layout", "prebuilt-layout")]["result"] == "pass"


def _fresh_app_search_assignment(live: Any, monkeypatch: Any) -> None:
    """Replace the app's search assignment with one made just now, which takes a (long) propagation
    delay to apply; smoke's waits (Target.sleep) move the sandbox clock, as a virtual clock would."""
    from azure.mgmt.authorization import AuthorizationManagementClient

    _ready(live)
    live.sandbox.state.config.role_propagation_delay = LONG_PROPAGATION
    monkeypatch.setattr("opsctl.target.Target.sleep", lambda _, seconds: live.sandbox.advance(seconds))
    env = live.env()
    scope = env.scopes()["search"]
    client = live.target.client(AuthorizationManagementClient)
    app = live.target.client(_msi()).user_assigned_identities.get(env.resource_group, env.names.identity)
    for item in client.role_assignments.list_for_scope(scope, filter=f"principalId eq '{app.principal_id}'"):
        client.role_assignments.delete(scope, item.name)
    live.sandbox.grant(app.principal_id, "Search Index Data Reader", scope=scope)


def _msi() -> Any:
    from azure.mgmt.msi import ManagedServiceIdentityClient

    return ManagedServiceIdentityClient


def test_a_fresh_assignment_is_reported_not_propagated_then_passes_within_wait(
    live: Any, opsctl: Any, monkeypatch: Any
) -> None:
    _fresh_app_search_assignment(live, monkeypatch)
    wait = str(2 * LONG_PROPAGATION)

    args = ("smoke", "--stack", "dev", "--as-app", "--wait", wait, "--project-dir", str(live.project))

    result = opsctl(*args, "-o", "json")

    assert result.code == 0, result.out + result.err
    assert "Search Index Data Reader assigned but not propagated yet; waiting" in result.err
    assert "(after waiting" in _checks(result.out)[("search query", "index docs")]["detail"]


def test_a_fresh_assignment_fails_when_wait_runs_out(live: Any, opsctl: Any, monkeypatch: Any) -> None:
    _fresh_app_search_assignment(live, monkeypatch)
    args = ("smoke", "--stack", "dev", "--as-app", "--wait", "0", "--project-dir", str(live.project))

    result = opsctl(*args, "-o", "json")

    assert result.code == 1
    detail = _checks(result.out)[("search query", "index docs")]["detail"]
    assert "Search Index Data Reader assigned on" in detail
    assert "not in effect after --wait 0s" in detail


def test_the_operator_without_data_roles_is_told_the_access_grant(live: Any, opsctl: Any) -> None:
    _ready(live)
    result = opsctl("smoke", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")

    assert result.code == 1
    doc = json.loads(result.out)
    assert doc["caller"]["is_app"] is False
    detail = _checks(result.out)[("chat", "deployment chat")]["detail"]
    assert f"opsctl access grant --stack dev --principal {OPERATOR_OBJECT_ID}" in detail
    assert "--preset developer" in detail


def test_private_access_403_on_a_public_stack_is_explained_as_a_hand_change_and_where_to_run(
    live: Any, opsctl: Any
) -> None:
    from azure.mgmt.search import SearchManagementClient

    _ready(live)
    env = live.env()
    for role, key in (
        ("Search Index Data Reader", "search"),
        ("Cognitive Services OpenAI User", "openai"),
        ("Cognitive Services User", "document_intelligence"),
    ):
        live.sandbox.grant(OPERATOR_OBJECT_ID, role, scope=env.scopes()[key])
    live.sandbox.advance(PROPAGATION)
    search = live.target.client(SearchManagementClient)
    service = search.services.get(env.resource_group, env.names.search)
    service.public_network_access = "disabled"
    search.services.begin_create_or_update(env.resource_group, env.names.search, service).result()

    result = opsctl("smoke", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")

    assert result.code == 1
    detail = _checks(result.out)[("search query", "index docs")]["detail"]
    assert detail.startswith("private access only:")
    assert "Public access is disabled" in detail
    assert "stack dev is not private (ragstack:network is off)" in detail
    assert "--as-app` inside the environment" in detail
    # dev has no virtual network, so nothing is inside: the app is refused too until `opsctl up`
    # restores public access. The private prod passes as the app (test_private_network_ops).
    as_app = opsctl("smoke", "--stack", "dev", "--as-app", "--project-dir", str(live.project), "-o", "json")
    assert as_app.code == 1
    assert _checks(as_app.out)[("search query", "index docs")]["detail"].startswith("private access only:")
