"""`opsctl plan` over the private prod stack: the ARM export holds every private piece and no public
data plane; the findings and the cost see the network (issue 14 item 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.catalog.network import PRIVATE_LINK, private_dns_zones
from infra.planned import PlannedResource, StackContext
from infra.policy import evaluate

ROOT = Path(__file__).resolve().parents[2]
# Every data-plane service of the stack and where its ARM body keeps the public network switch.
PUBLIC_SWITCHES = {
    "Microsoft.Search/searchServices": ("properties", "publicNetworkAccess"),
    "Microsoft.CognitiveServices/accounts": ("properties", "publicNetworkAccess"),
    "Microsoft.ContainerRegistry/registries": ("properties", "publicNetworkAccess"),
    "Microsoft.Storage/storageAccounts": ("properties", "publicNetworkAccess"),
    "Microsoft.KeyVault/vaults": ("properties", "publicNetworkAccess"),
    "Microsoft.MachineLearningServices/workspaces": ("properties", "publicNetworkAccess"),
}


def inner_resources(opsctl: Any) -> list[dict[str, Any]]:
    result = opsctl("plan", "--stack", "prod", "--project-dir", str(ROOT), "--format", "arm")
    assert result.code == 0, result.err
    return json.loads(result.out)["resources"][1]["properties"]["template"]["resources"]


@pytest.fixture(scope="module")
def template(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    from opsctl.plan import arm_template, plan_stack

    return arm_template(plan_stack("prod", ROOT, for_export=True))["resources"][1]["properties"]["template"][
        "resources"
    ]


def of_type(resources: list[dict[str, Any]], arm_type: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == arm_type]


def test_the_arm_export_contains_every_endpoint_zone_link_and_zone_group(opsctl: Any) -> None:
    resources = inner_resources(opsctl)
    endpoints = of_type(resources, "Microsoft.Network/privateEndpoints")
    # ARM nests each connection's fields under `properties` (azure-native flattens them).
    groups = {
        e["properties"]["privateLinkServiceConnections"][0]["properties"]["groupIds"][0] for e in endpoints
    }
    assert len(endpoints) == len(PRIVATE_LINK) and groups == {s.group_id for s in PRIVATE_LINK.values()}
    zones = {r["name"] for r in of_type(resources, "Microsoft.Network/privateDnsZones")}
    assert zones == set(private_dns_zones(tuple(PRIVATE_LINK)))
    links = of_type(resources, "Microsoft.Network/privateDnsZones/virtualNetworkLinks")
    assert {r["name"].split("/")[0] for r in links} == zones
    zone_groups = of_type(resources, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups")
    assert {r["name"].split("/")[0] for r in zone_groups} == {r["name"] for r in endpoints}
    assert len(of_type(resources, "Microsoft.Network/virtualNetworks/subnets")) == 2
    # Ids Azure assigns are deploy-time expressions, never the mocks' placeholders.
    for endpoint in endpoints:
        assert endpoint["properties"]["subnet"]["id"].startswith("[resourceId('Microsoft.Network/")


def test_policy_no_service_in_the_arm_export_allows_public_network_access(
    template: list[dict[str, Any]],
) -> None:
    services = [r for r in template if r["type"] in PUBLIC_SWITCHES]
    assert {r["type"] for r in services} == set(PUBLIC_SWITCHES)
    for service in services:
        section, key = PUBLIC_SWITCHES[service["type"]]
        assert str(service[section].get(key)).lower() == "disabled", service["name"]
    environment = next(r for r in template if r["type"] == "Microsoft.App/managedEnvironments")
    assert environment["properties"]["vnetConfiguration"]["internal"] is True


def test_the_prod_plan_has_no_network_findings_and_prices_the_endpoints_and_zones(opsctl: Any) -> None:
    result = opsctl("plan", "--stack", "prod", "--project-dir", str(ROOT), "-o", "json")
    plan = json.loads(result.out)
    rules = {f["rule"] for f in plan["findings"]}
    assert not rules & {
        "production-private-network",
        "registry-premium-for-private-endpoints",
        "private-endpoint-dns-zone-group",
        "production-public-network-disabled",
    }
    lines = plan["cost"]["lines"]
    endpoint_lines = [line for line in lines if line["type"] == "azure-native:network:PrivateEndpoint"]
    zone_lines = [line for line in lines if line["type"] == "azure-native:privatedns:PrivateZone"]
    assert len(endpoint_lines) == len(PRIVATE_LINK) and len(zone_lines) == len(
        private_dns_zones(tuple(PRIVATE_LINK))
    )
    assert not [u for u in plan["cost"]["unpriced"] if "network" in u or "privatedns" in u]


def test_a_prod_stack_without_private_networking_is_a_high_finding(opsctl: Any, project: Path) -> None:
    path = project / "Pulumi.prod.yaml"
    on, off = ("  ragstack:network:\n    enabled: true\n", "  ragstack:network:\n    enabled: false\n")
    path.write_text(path.read_text().replace(on, off))
    result = opsctl("plan", "--stack", "prod", "--project-dir", str(project), "-o", "json")
    assert result.code == 3, result.err  # a high finding fails the plan (exit 3)
    findings = [f for f in json.loads(result.out)["findings"] if f["rule"] == "production-private-network"]
    assert [f["severity"] for f in findings] == ["high"]
    assert "ragstack:network.enabled" in findings[0]["message"]


RG = PlannedResource("azure-native:resources:ResourceGroup", "rg", {"resourceGroupName": "rg"})
REGISTRY_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/crx"


def endpoint(name: str, target: str, group: str) -> PlannedResource:
    connection = {"privateLinkServiceId": target, "groupIds": [group]}
    inputs = {"privateEndpointName": name, "privateLinkServiceConnections": [connection]}
    return PlannedResource("azure-native:network:PrivateEndpoint", name, inputs)


def registry(sku: str) -> PlannedResource:
    inputs = {"registryName": "crx", "sku": {"name": sku}}
    return PlannedResource(
        "azure-native:containerregistry:Registry", "registry", inputs, outputs={"id": REGISTRY_ID}
    )


@pytest.mark.parametrize("sku", ["Basic", "Standard"])
def test_a_registry_behind_an_endpoint_must_be_premium(sku: str) -> None:
    planned = [RG, registry(sku), endpoint("pep-cr", REGISTRY_ID, "registry")]
    found = [
        f
        for f in evaluate(planned, StackContext("qa", False))
        if f.rule_id == "registry-premium-for-private-endpoints"
    ]
    assert [(f.severity, f.resource) for f in found] == [
        ("high", "azure-native:containerregistry:Registry::registry")
    ]
    premium = [RG, registry("Premium"), endpoint("pep-cr", REGISTRY_ID, "registry")]
    assert not [
        f for f in evaluate(premium, StackContext("qa", False)) if f.rule_id.startswith("registry-premium")
    ]


def test_an_endpoint_without_a_zone_group_is_flagged() -> None:
    planned = [RG, registry("Premium"), endpoint("pep-cr", REGISTRY_ID, "registry")]
    found = [
        f
        for f in evaluate(planned, StackContext("qa", False))
        if f.rule_id == "private-endpoint-dns-zone-group"
    ]
    assert [f.severity for f in found] == ["medium"] and "public address" in found[0].message
    group = PlannedResource(
        "azure-native:network:PrivateDnsZoneGroup", "g", {"privateEndpointName": "pep-cr"}
    )
    assert not [
        f
        for f in evaluate([*planned, group], StackContext("qa", False))
        if f.rule_id.startswith("private-endpoint")
    ]


def test_the_export_nests_connection_delegation_and_zone_config_fields_as_arm_does(
    template: list[dict[str, Any]],
) -> None:
    app_subnet = next(r for r in template if r["name"].endswith("/snet-apps"))
    assert app_subnet["properties"]["delegations"] == [
        {"name": "containerapps", "properties": {"serviceName": "Microsoft.App/environments"}}
    ]
    groups = [r for r in template if r["type"].endswith("/privateDnsZoneGroups")]
    configs = [c for group in groups for c in group["properties"]["privateDnsZoneConfigs"]]
    assert groups and len(configs) >= len(groups)
    for config in configs:
        assert set(config) == {"name", "properties"} and "privateDnsZoneId" in config["properties"]
