"""opsctl over the private prod stack (issue 14): `up --sandbox` deploys every private piece and a
re-run writes nothing; teardown leaves nothing behind. Checked through the official
azure-mgmt-network and azure-mgmt-privatedns clients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.catalog.network import CORE_PRIVATE_LINK_SERVICES, ML_PRIVATE_LINK_SERVICES, private_dns_zones
from tests.infra.test_program import NETWORK_TYPES
from tests.opsctl.conftest import Deployed, Live
from tests.opsctl.test_foundry_ops import run, teardown, up

SERVICES = (*CORE_PRIVATE_LINK_SERVICES, *ML_PRIVATE_LINK_SERVICES)


def clients(live: Live) -> tuple[Any, Any]:
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.privatedns import PrivateDnsManagementClient

    return live.target.client(NetworkManagementClient), live.target.client(PrivateDnsManagementClient)


@pytest.mark.usefixtures("live_prod")
def test_up_deploys_every_private_piece_of_prod_and_a_rerun_writes_nothing(
    live: Live, opsctl: Any, deployed_prod: Deployed
) -> None:
    stack = "prod"
    # What the first `up` of prod printed, into the state this test's sandbox copies.
    created = {row["type"] for row in deployed_prod.first_up["resources"] if row["action"] == "created"}
    assert created >= NETWORK_TYPES
    assert [r["id"] for r in up(opsctl, live, stack)["resources"] if r["action"] != "unchanged"] == []

    network, dns = clients(live)
    group = live.env(stack).resource_group
    endpoints = list(network.private_endpoints.list(group))
    assert len(endpoints) == len(SERVICES)
    for endpoint in endpoints:
        [connection] = endpoint.private_link_service_connections
        assert connection.private_link_service_connection_state.status == "Approved", endpoint.name
    zones = {z.name for z in dns.private_zones.list_by_resource_group(group)}
    assert zones == set(private_dns_zones(SERVICES))
    for zone in zones:
        [link] = dns.virtual_network_links.list(group, zone)
        assert link.virtual_network.id.lower() == next(iter(network.virtual_networks.list(group))).id.lower()


@pytest.mark.usefixtures("live_prod")
def test_teardown_of_the_private_prod_leaves_no_group_zone_link_or_endpoint(live: Live, opsctl: Any) -> None:
    stack = "prod"  # deployed by `up` into the template `live_prod` copies
    group = live.env(stack).resource_group
    [result] = teardown(opsctl, live, stack, "--confirm", stack)
    done = "\n".join(result["done"])
    assert done.index("deleted private endpoint") < done.index(f"deleted resource group {group}")
    assert done.index("deleted virtual network link") < done.index(f"deleted resource group {group}")

    network, dns = clients(live)
    from azure.mgmt.resource.resources import ResourceManagementClient

    assert not live.target.client(ResourceManagementClient).resource_groups.check_existence(group)
    assert [z.name for z in dns.private_zones.list()] == []
    assert [e.name for e in network.private_endpoints.list_by_subscription()] == []
    assert [v.name for v in network.virtual_networks.list_all()] == []


@pytest.mark.usefixtures("live_prod")
def test_teardown_dry_run_lists_endpoints_and_links_before_the_group(live: Live, opsctl: Any) -> None:
    stack = "prod"  # deployed by `up` into the template `live_prod` copies
    result = run(opsctl, live, "teardown", "--stack", stack, "--dry-run", "-o", "json")
    assert result.code == 0, result.out + result.err
    steps = [step["action"] for env in json.loads(result.out) for step in env["steps"]]
    assert steps.index("delete private endpoint") < steps.index("delete resource group")
    assert steps.index("delete virtual network link") < steps.index("delete resource group")


def test_teardown_deletes_only_the_network_pieces_its_tags_prove_are_the_environments() -> None:
    from opsctl.teardown_network import owned_by

    ours = {"project": "ragstack", "managed-by": "ragstack", "environment": "prod"}
    assert owned_by(ours, "prod")
    assert owned_by({k.upper(): v for k, v in ours.items()}, "prod")  # ARM tag names ignore case
    assert not owned_by({**ours, "environment": "dev"}, "prod")
    assert not owned_by({}, "prod")


@pytest.mark.usefixtures("live_prod")
def test_smoke_on_the_private_prod_says_the_stack_is_private_and_where_to_run(
    live: Live, opsctl: Any
) -> None:
    from tests.opsctl.test_smoke import PROPAGATION, _checks

    stack = "prod"  # deployed by `up` into the template `live_prod` copies
    live.sandbox.advance(PROPAGATION)
    env = live.env(stack)

    outside = run(opsctl, live, "smoke", "--stack", stack, "-o", "json")

    assert outside.code == 1
    detail = _checks(outside.out)[("chat", "deployment chat")]["detail"]
    assert detail.startswith("private access only:") and "Public access is disabled" in detail
    assert f"stack {stack} is private (ragstack:network.enabled: true)" in detail
    assert f"on a runner in vnet-{env.settings.environment}" in detail
    assert f"`opsctl smoke --stack {stack} --as-app` inside the environment" in detail
    inside = run(opsctl, live, "smoke", "--stack", stack, "--as-app")
    assert inside.code == 0, inside.out + inside.err


@pytest.mark.usefixtures("live_prod")
def test_drift_on_the_private_prod_is_in_sync_then_reports_public_access_turned_back_on(
    live: Live, opsctl: Any
) -> None:
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.containerregistry.models import RegistryUpdateParameters
    from azure.mgmt.search import SearchManagementClient

    stack = "prod"  # deployed by `up` into the template `live_prod` copies
    in_sync = run(opsctl, live, "drift", "--stack", stack, "-o", "json")
    assert in_sync.code == 0, in_sync.out

    env = live.env(stack)
    search = live.target.client(SearchManagementClient)
    service = search.services.get(env.resource_group, env.names.search)
    service.public_network_access = "enabled"
    search.services.begin_create_or_update(env.resource_group, env.names.search, service).result()
    registries = live.target.client(ContainerRegistryManagementClient)
    registries.registries.begin_update(
        env.resource_group, env.names.registry, RegistryUpdateParameters(public_network_access="Enabled")
    ).result()

    drifted = run(opsctl, live, "drift", "--stack", stack, "-o", "json")
    assert drifted.code != 0
    items = {(i["resource"], i["setting"]): i for i in json.loads(drifted.out)["drift"]}
    for name in (env.names.search, env.names.registry):
        item = items[(name, "publicNetworkAccess")]
        assert item["expected"].lower() == "disabled" and item["actual"].lower() == "enabled"
        assert "ragstack:network" in item["restore"], item


@pytest.mark.usefixtures("live_prod")
def test_status_shows_each_services_private_connection_and_dns_and_what_fixes_a_missing_piece(
    live: Live, opsctl: Any
) -> None:
    stack = "prod"  # deployed by `up` into the template `live_prod` copies
    env = live.env(stack)
    group = env.resource_group

    def private_access() -> dict[str, dict[str, Any]]:
        result = run(opsctl, live, "status", "--stack", stack, "-o", "json")
        assert result.code == 0, result.err
        return {row["service"]: row for row in json.loads(result.out)["privateAccess"]}

    rows = private_access()
    assert set(rows) == set(SERVICES)
    for row in rows.values():
        assert (row["connection"], row["health"], row["problems"]) == ("Approved", "ok", []), row
        assert row["addresses"]

    network, dns = clients(live)
    search_zone = "privatelink.search.windows.net"
    [link] = dns.virtual_network_links.list(group, search_zone)
    dns.virtual_network_links.begin_delete(group, search_zone, link.name).result()
    registry = rows["registry"]["endpoint"]
    [zone_group] = network.private_dns_zone_groups.list(registry, group)
    network.private_dns_zone_groups.begin_delete(group, registry, zone_group.name).result()

    rows = private_access()
    fix = f"run `opsctl up --stack {stack}`"
    [problem] = rows["search"]["problems"]
    assert rows["search"]["health"] == "failed"
    assert (
        f"zone {search_zone} is not linked to vnet-{env.settings.environment}" in problem and fix in problem
    )
    problems = rows["registry"]["problems"]
    assert any("has no DNS zone group" in p and fix in p for p in problems), problems
    assert any("privatelink.azurecr.io has no A record" in p for p in problems), problems
    assert rows["openai"]["health"] == "ok"


def test_a_connection_that_is_not_approved_is_a_problem_with_its_fix() -> None:
    from opsctl.private_access import connection_problem

    assert connection_problem("Approved", "pep-x", "opsctl up --stack prod") is None
    assert "must approve it" in str(connection_problem("Pending", "pep-x", "opsctl up --stack prod"))
    rejected = str(connection_problem("Rejected", "pep-x", "opsctl up --stack prod"))
    assert "Rejected" in rejected and "delete pep-x and run `opsctl up --stack prod`" in rejected
