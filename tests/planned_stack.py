"""A representative planned ragstack environment, shaped like the program's inputs (camelCase).

Property names follow pulumi_azure_native 3.x (search/service.py, cognitiveservices/account.py and
deployment.py, containerregistry/registry.py, app/container_app.py, authorization/role_assignment.py).
`compliant_stack()` passes every rule; `MUTATIONS` break exactly one rule each.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from infra import policy as P
from infra.planned import PlannedResource

SUB = "00000000-0000-0000-0000-000000000001"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-ragstack-prod"
ACR_ID = f"{RG_ID}/providers/Microsoft.ContainerRegistry/registries/crragstackprod"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"


def urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::ragstack::{type_}::{name}"


def tags(profile: str) -> dict[str, str]:
    return {"project": "ragstack", "environment": "prod", "managed-by": "ragstack", "profile": profile}


def _res(stack: str, type_: str, name: str, inputs: dict[str, Any], **kw: Any) -> PlannedResource:
    return PlannedResource(type=type_, name=name, inputs=inputs, urn=urn(stack, type_, name), **kw)


def compliant_stack(profile: str = "prod") -> list[PlannedResource]:
    """Every resource of a production environment, configured as the rules want."""
    stack, protect, t = profile, profile == "prod", tags(profile)
    closed = "Disabled"
    account = _res(
        stack,
        P.COGNITIVE_ACCOUNT,
        "openai",
        {
            "accountName": "oai-ragstack-prod",
            "kind": "OpenAI",
            "sku": {"name": "S0"},
            "properties": {
                "disableLocalAuth": True,
                "customSubDomainName": "oai-ragstack-prod",
                "publicNetworkAccess": closed,
            },
            "tags": t,
        },
        protect=protect,
    )
    chat = _deployment(stack, "chat", "gpt-4o", [account.urn])
    embed = _deployment(stack, "embed", "text-embedding-3-large", [account.urn, chat.urn])
    return [
        _res(
            stack,
            P.RESOURCE_GROUP,
            "rg",
            {"resourceGroupName": "rg-ragstack-prod", "tags": t},
            protect=protect,
        ),
        _res(stack, P.IDENTITY, "app-identity", {"resourceName": "id-ragstack-prod", "tags": t}),
        _res(
            stack,
            P.WORKSPACE,
            "logs",
            {"sku": {"name": "PerGB2018"}, "retentionInDays": 90, "tags": t},
            protect=protect,
        ),
        _res(
            stack,
            P.MANAGED_ENVIRONMENT,
            "cae",
            {"workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"}], "tags": t},
        ),
        _res(
            stack,
            P.REGISTRY,
            "acr",
            {
                "registryName": "crragstackprod",
                "sku": {"name": "Premium"},
                "adminUserEnabled": False,
                "publicNetworkAccess": closed,
                "tags": t,
            },
            protect=protect,
        ),
        _res(
            stack,
            P.SEARCH,
            "search",
            {
                "searchServiceName": "srch-ragstack-prod",
                "sku": {"name": "standard"},
                "replicaCount": 3,
                "partitionCount": 1,
                "disableLocalAuth": True,
                "semanticSearch": "standard",
                "publicNetworkAccess": closed,
                "tags": t,
            },
            protect=protect,
        ),
        account,
        _res(
            stack,
            P.COGNITIVE_ACCOUNT,
            "docintel",
            {
                "accountName": "di-ragstack-prod",
                "kind": "FormRecognizer",
                "sku": {"name": "S0"},
                "properties": {
                    "disableLocalAuth": True,
                    "customSubDomainName": "di-ragstack-prod",
                    "publicNetworkAccess": closed,
                },
                "tags": t,
            },
            protect=protect,
        ),
        chat,
        embed,
        *foundry_and_ml(stack, t, protect, closed),
        _res(stack, P.CONTAINER_APP, "app", container_app_inputs(t)),
        _res(
            stack,
            P.ROLE_ASSIGNMENT,
            "app-search-reader",
            {
                "scope": f"{RG_ID}/providers/Microsoft.Search/searchServices/srch-ragstack-prod",
                "principalId": PRINCIPAL,
                "principalType": "ServicePrincipal",
                "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
                "1407120a-92aa-4202-b7e9-c0e197c71c8f",
            },
        ),
    ]


def foundry_and_ml(stack: str, t: dict[str, str], protect: bool, closed: str) -> list[PlannedResource]:
    """A Foundry project and an ML workspace with its storage, vault and insights, as the rules want
    (pulumi_azure_native 3.x cognitiveservices/project.py, storage/storage_account.py, keyvault/vault.py,
    machinelearningservices/workspace.py, applicationinsights/component.py)."""
    production = stack == "prod"
    vault_properties: dict[str, Any] = {
        "tenantId": SUB,
        "sku": {"family": "A", "name": "standard"},
        "enableRbacAuthorization": True,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "publicNetworkAccess": closed,
    }
    if production:
        vault_properties["enablePurgeProtection"] = True
    return [
        _res(
            stack,
            P.PROJECT,
            "project",
            {
                "accountName": "oai-ragstack-prod",
                "projectName": "proj-prod",
                "identity": {"type": "SystemAssigned"},
                "properties": {"displayName": "RAG prod"},
                "tags": t,
            },
            protect=protect,
        ),
        _res(
            stack,
            P.STORAGE,
            "storage",
            {
                "accountName": "stprodtoken",
                "kind": "StorageV2",
                "sku": {"name": "Standard_LRS"},
                "allowSharedKeyAccess": False,
                "allowBlobPublicAccess": False,
                "minimumTlsVersion": "TLS1_2",
                "publicNetworkAccess": closed,
                "tags": t,
            },
            protect=protect,
        ),
        _res(
            stack,
            P.PRIVATE_ENDPOINT,
            "pep-acr",
            {
                "privateEndpointName": "pep-acr",
                "privateLinkServiceConnections": [{"privateLinkServiceId": ACR_ID, "groupIds": ["registry"]}],
                "tags": t,
            },
        ),
        _res(
            stack,
            "azure-native:network:PrivateDnsZoneGroup",
            "pep-acr-zones",
            {"privateEndpointName": "pep-acr", "privateDnsZoneConfigs": []},
        ),
        _res(
            stack,
            P.KEY_VAULT,
            "vault",
            {"vaultName": "kvprodtoken", "properties": vault_properties, "tags": t},
            protect=protect,
        ),
        _res(
            stack,
            P.APP_INSIGHTS,
            "insights",
            {"resourceName": "appi-prod", "kind": "web", "applicationType": "web", "tags": t},
        ),
        _res(
            stack,
            P.ML_WORKSPACE,
            "ml",
            {
                "workspaceName": "mlw-prod",
                "kind": "Default",
                "identity": {"type": "SystemAssigned"},
                "publicNetworkAccess": closed,
                "tags": t,
            },
            protect=protect,
        ),
    ]


def _deployment(stack: str, name: str, model: str, depends_on: list[str]) -> PlannedResource:
    inputs = {
        "accountName": "oai-ragstack-prod",
        "deploymentName": name,
        "sku": {"name": "GlobalStandard", "capacity": 30},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}},
    }
    return _res(stack, P.DEPLOYMENT, f"openai-{name}", inputs, depends_on=tuple(depends_on))


def container_app_inputs(t: dict[str, str], min_replicas: int = 2, cpu: float = 1.0) -> dict[str, Any]:
    return {
        "containerAppName": "ca-ragstack-prod",
        "configuration": {"activeRevisionsMode": "Single", "ingress": {"external": True, "targetPort": 80}},
        "template": {
            "containers": [
                {
                    "name": "app",
                    "image": "acrragstackprod.azurecr.io/app:1.0",
                    "resources": {"cpu": cpu, "memory": f"{cpu * 2:g}Gi"},
                    "env": [
                        {"name": "AZURE_CLIENT_ID", "value": PRINCIPAL},
                        {
                            "name": "AZURE_SEARCH_ENDPOINT",
                            "value": "https://srch-ragstack-prod.search.windows.net",
                        },
                        {"name": "AZURE_KEY_VAULT_ENDPOINT", "value": "https://kv-ragstack.vault.azure.net/"},
                        {"name": "APP_API_KEY", "secretRef": "app-api-key"},
                    ],
                }
            ],
            "scale": {"minReplicas": min_replicas, "maxReplicas": 10},
        },
        "tags": t,
    }


def find(resources: list[PlannedResource], name: str) -> PlannedResource:
    return next(r for r in resources if r.name == name)


def with_inputs(
    resources: list[PlannedResource], name: str, change: Callable[[dict[str, Any]], None], **fields: Any
) -> list[PlannedResource]:
    """A copy of the stack where resource `name` has `change` applied to a deep copy of its inputs."""
    out = []
    for resource in resources:
        if resource.name == name:
            inputs = copy.deepcopy(dict(resource.inputs))
            change(inputs)
            resource = replace(resource, inputs=inputs, **fields)
        out.append(resource)
    return out


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        target = inputs
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value

    return change


def _add_env(entry: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        inputs["template"]["containers"][0]["env"].append(entry)

    return change


DELETE = object()
NOOP = _set(("tags",), tags("prod"))

# rule id -> (resource name, input change, extra PlannedResource fields): breaks exactly that rule.
MUTATIONS: dict[str, tuple[str, Callable[[dict[str, Any]], None], dict[str, Any]]] = {
    "search-local-auth-disabled": ("search", _set(("disableLocalAuth",), False), {}),
    "cognitive-local-auth-disabled": ("openai", _set(("properties", "disableLocalAuth"), DELETE), {}),
    "registry-admin-user-disabled": ("acr", _set(("adminUserEnabled",), True), {}),
    "container-app-no-plaintext-secrets": (
        "app",
        _add_env({"name": "AZURE_OPENAI_API_KEY", "value": "0123456789abcdef0123456789abcdef"}),
        {},
    ),
    "role-assignment-resource-scope": ("app-search-reader", _set(("scope",), RG_ID), {}),
    "role-assignment-principal-type": ("app-search-reader", _set(("principalType",), DELETE), {}),
    "deployments-serialized": ("openai-embed", NOOP, {"depends_on": ()}),
    "production-protect-stateful": ("search", NOOP, {"protect": False}),
    "search-production-sla": ("search", _set(("replicaCount",), 2), {}),
    "required-tags": ("acr", _set(("tags",), {"project": "ragstack"}), {}),
    "production-public-network-disabled": ("search", _set(("publicNetworkAccess",), "Enabled"), {}),
    "storage-shared-key-disabled": ("storage", _set(("allowSharedKeyAccess",), DELETE), {}),
    "storage-minimum-tls": ("storage", _set(("minimumTlsVersion",), "TLS1_0"), {}),
    "key-vault-rbac-authorization": ("vault", _set(("properties", "enableRbacAuthorization"), False), {}),
    "key-vault-purge-protection": ("vault", _set(("properties", "enablePurgeProtection"), DELETE), {}),
    "foundry-project-identity": ("project", _set(("identity",), DELETE), {}),
    "registry-premium-for-private-endpoints": ("acr", _set(("sku",), {"name": "Standard"}), {}),
    "private-endpoint-dns-zone-group": ("pep-acr", _set(("privateEndpointName",), "pep-acr-2"), {}),
}
# Rules broken by leaving resources out: rule -> (victim, names removed).
REMOVALS: dict[str, tuple[str, tuple[str, ...]]] = {
    "production-private-network": ("rg", ("pep-acr", "pep-acr-zones")),
}
DEV_MUTATIONS = {"search-read-sla": ("search", _set(("replicaCount",), 1), {})}


def mutated(rule_id: str) -> tuple[list[PlannedResource], str]:
    """The compliant stack (prod, or dev for dev-only rules) broken for `rule_id`, and its victim."""
    if rule_id in REMOVALS:
        victim, removed = REMOVALS[rule_id]
        return [r for r in compliant_stack("prod") if r.name not in removed], victim
    if rule_id in DEV_MUTATIONS:
        name, change, fields = DEV_MUTATIONS[rule_id]
        return with_inputs(compliant_stack("dev"), name, change, **fields), name
    name, change, fields = MUTATIONS[rule_id]
    return with_inputs(compliant_stack("prod"), name, change, **fields), name
