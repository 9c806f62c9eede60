"""Drift over every key the stack file sets (issue 11 item 5), end to end: a hand change made with the
official SDK clients shows in `opsctl drift -o json` with the stack key or command that restores it,
and role assignments carry role names, not GUIDs."""

from __future__ import annotations

import json
import uuid

from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from infra.catalog.roles import role_definition_id


def drift(opsctl, live) -> list[dict[str, object]]:
    result = opsctl("drift", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert result.code in (0, 2), result.err
    return list(json.loads(result.out)["drift"])


def by_setting(items: list[dict[str, object]], resource: str) -> dict[object, dict[str, object]]:
    return {i["setting"]: i for i in items if i["resource"] == resource}


def test_in_sync_after_deploy_and_index_apply(live, opsctl) -> None:
    live.apply_indexes()
    assert drift(opsctl, live) == []


def test_a_declared_index_not_yet_applied_is_drift_restored_by_index_apply(live, opsctl) -> None:
    env = live.env()
    (item,) = drift(opsctl, live)
    assert item["resource"] == f"{env.names.search}/indexes/docs"
    assert item["restore"] == "opsctl index apply --stack dev"


def test_app_cpu_memory_port_ingress_and_env_drift_name_their_keys(live, opsctl) -> None:
    env = live.env()
    client = live.target.client(ContainerAppsAPIClient)
    app = client.container_apps.get(env.resource_group, env.names.container_app)
    template = dict(app.properties.template)
    container = dict(template["containers"][0])
    container["resources"] = {"cpu": 1.0, "memory": "2Gi"}
    container["env"] = [e for e in container.get("env") or [] if e["name"] != "LOG_LEVEL"]
    container["env"].append({"name": "LOG_LEVEL", "value": "debug"})
    configuration = dict(app.properties.configuration)
    configuration["ingress"] = {**configuration["ingress"], "targetPort": 8080, "external": False}
    patch = {"properties": {"template": {"containers": [container]}, "configuration": configuration}}
    client.container_apps.begin_update(env.resource_group, env.names.container_app, patch).result()

    items = by_setting(drift(opsctl, live), env.names.container_app)
    assert items["cpu"]["expected"] == 0.5 and items["cpu"]["actual"] == 1.0
    assert items["cpu"]["restore"] == "ragstack:app.cpu"
    assert items["memory"]["restore"] == "ragstack:app.memory"
    assert (
        items["targetPort"]["actual"] == 8080 and items["targetPort"]["restore"] == "ragstack:app.targetPort"
    )
    assert items["external"]["restore"] == "ragstack:app.external"
    assert items["env.LOG_LEVEL"] == {
        "resource": env.names.container_app,
        "setting": "env.LOG_LEVEL",
        "expected": "info",
        "actual": "debug",
        "restore": "ragstack:app.env",
    }


def test_a_changed_tag_on_any_resource_is_drift(live, opsctl) -> None:
    env = live.env()
    resources = live.target.client(ResourceManagementClient)
    group = resources.resource_groups.get(env.resource_group)
    tags = {**group.tags, "owner": "someone-else"}
    resources.resource_groups.create_or_update(env.resource_group, {"location": group.location, "tags": tags})
    items = by_setting(drift(opsctl, live), env.resource_group)
    assert items["tags.owner"]["expected"] == "platform-team"
    assert items["tags.owner"]["actual"] == "someone-else"
    assert items["tags.owner"]["restore"] == "ragstack:tags"


def test_a_hand_made_owner_grant_is_drift_by_role_name(live, opsctl) -> None:
    env = live.env()
    scope = env.scopes()["search"]
    identity = drift_principal(live)
    body = {
        "properties": {
            "roleDefinitionId": role_definition_id(live.target.subscription_id, "Owner"),
            "principalId": identity,
            "principalType": "ServicePrincipal",
        }
    }
    live.target.client(AuthorizationManagementClient).role_assignments.create(scope, str(uuid.uuid4()), body)
    items = [i for i in drift(opsctl, live) if i["resource"] == env.names.search]
    [grant] = [i for i in items if str(i["setting"]).startswith("role ")]
    assert grant["setting"] == f"role Owner for {identity}"
    assert grant["expected"] == "absent" and grant["actual"] == "assigned"
    assert "opsctl access revoke" in str(grant["restore"]) or "az role assignment delete" in str(
        grant["restore"]
    )


def drift_principal(live) -> str:
    from azure.mgmt.msi import ManagedServiceIdentityClient

    env = live.env()
    ident = live.target.client(ManagedServiceIdentityClient).user_assigned_identities.get(
        env.resource_group, env.names.identity
    )
    return str(ident.principal_id)


def grant(live, scope: str, role: str, principal: str, principal_type: str = "ServicePrincipal") -> None:
    body = {
        "properties": {
            "roleDefinitionId": role_definition_id(live.target.subscription_id, role),
            "principalId": principal,
            "principalType": principal_type,
        }
    }
    live.target.client(AuthorizationManagementClient).role_assignments.create(scope, str(uuid.uuid4()), body)


def test_privileged_grants_on_the_group_and_the_stack_identity_anywhere_are_drift(live, opsctl) -> None:
    env = live.env()
    identity = drift_principal(live)
    someone = "11111111-2222-4333-8444-555555555555"  # the dev stack's developer: `up` registered it
    assert live.sandbox.state.directory.get(someone) is not None
    grant(live, env.resource_group_id, "User Access Administrator", someone, "User")
    grant(live, env.resource_group_id, "Reader", someone, "User")  # not privileged: not this stack's business
    grant(live, f"/subscriptions/{live.target.subscription_id}", "Contributor", identity)
    items = drift(opsctl, live)
    settings = {(i["resource"], i["setting"]) for i in items}
    assert (env.resource_group, f"role User Access Administrator for {someone}") in settings
    assert (env.resource_group, f"role Reader for {someone}") not in settings
    assert (live.target.subscription_id, f"role Contributor for {identity}") in settings
