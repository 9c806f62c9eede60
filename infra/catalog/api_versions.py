"""api-versions ARM accepts per resource type: the sandbox refuses the others as Azure does.

Each list is the union of (a) what every client ragstack supports sends and (b) versions seen in
a published source. Azure's real lists are longer (every spec folder of the provider); versions
not listed here are refused by the sandbox although Azure may accept them. Clients:

- pinned SDKs (requirements.txt, site-packages `_configuration.py` defaults): resource 26.0.0
  2025-04-01, subscriptions 1.0.0 2022-12-01, locks 1.0.0 2020-05-01, authorization 4.0.0
  2022-04-01, msi 7.1.0 2024-11-30, search 9.2.0 2025-05-01, cognitiveservices 14.1.0
  2025-09-01, containerregistry 15.0.0 2025-11-01, appcontainers 5.1.0 2026-07-01, loganalytics
  14.0.0 2025-07-01, storage 25.3.0 2026-09-01, keyvault 14.1.0 2026-05-15,
  machinelearningservices 1.0.1 2020-08-01, applicationinsights 4.1.0 components 2020-02-02,
  network 33.1.0 2026-03-01, privatedns 2.0.0 2024-06-01;
  azure-mgmt-core registers providers with 2016-02-01 (arm-facts §2.1).
- az CLI 2.91.0 (its wheel and the SDK versions it pins): profile `latest` resources 2024-11-01,
  subscriptions 2022-12-01, locks 2016-09-01, msi 2024-11-30 (aaz identity 2025-05-31-preview,
  federated credentials 2025-01-31-preview, list 2022-01-31-preview); authorization 5.0.0b2 role
  assignments 2022-04-01, role definitions 2022-05-01-preview; cognitiveservices 15.0.0b4
  2026-05-15-preview; containerregistry 15.1.0b3 2026-09-01-preview; loganalytics 13.0.0b4
  2021-12-01-preview; aaz search 2026-03-01-preview; containerapp `_clients.py` 2025-07-01 and
  appcontainers 2.0.0 2022-10-01.
- pulumi-azure-native 3.29 (infra/armshape.py): 2024-03-01, 2025-05-01, 2025-06-01,
  2023-01-01-preview, 2023-01-31, 2023-09-01, 2025-02-02-preview, 2022-04-01.
"""

from __future__ import annotations

# Src: the InvalidApiVersionParameter text in pulumi/pulumi-azure-native#3637 (2024) lists
# Microsoft.Resources' versions; 2024-11-01 (az 2.91) and 2025-04-01 (SDK 26) are newer.
_RESOURCES = (
    "2025-04-01,2024-11-01,2024-08-01,2024-06-01-preview,2024-03-01,2023-07-01,2023-07-01-preview,"
    "2023-03-01-preview,2022-12-01,2022-11-01-preview,2022-09-01,2022-06-01,2022-05-01,"
    "2022-03-01-preview,2022-01-01,2021-04-01,2021-01-01,2020-10-01,2020-09-01,2020-08-01,"
    "2020-07-01,2020-06-01,2020-05-01,2020-01-01,2019-11-01,2019-10-01,2019-09-01,2019-08-01,"
    "2019-07-01,2019-06-01,2019-05-10,2019-05-01,2019-03-01,2018-11-01,2018-09-01,2018-08-01,"
    "2018-07-01,2018-06-01,2018-05-01,2018-02-01,2018-01-01,2017-12-01,2017-08-01,2017-06-01,"
    "2017-05-10,2017-05-01,2017-03-01,2016-09-01,2016-07-01,2016-06-01,2016-02-01,2015-11-01,"
    "2015-01-01,2014-04-01-preview,2014-04-01,2014-01-01,2013-03-01,2014-02-26,2014-04"
).split(",")

# Src: the NoRegisteredProviderFound text in Azure/bicep#3543 (2021) for roleAssignments, plus
# 2022-04-01 (SDK 4.0.0, az 2.91, pulumi).
_ROLE_ASSIGNMENTS = (
    "2022-04-01,2021-04-01-preview,2020-08-01-preview,2020-04-01-preview,2020-03-01-preview,"
    "2019-04-01-preview,2018-12-01-preview,2018-09-01-preview,2018-07-01,2018-01-01-preview,"
    "2017-10-01-preview,2017-09-01,2017-05-01,2016-07-01,2015-07-01,2015-06-01,2015-05-01-preview,"
    "2014-10-01-preview,2014-07-01-preview,2014-04-01-preview"
).split(",")

_NETWORK = (
    "2026-03-01,2026-01-01,2025-09-01,2025-07-01,2025-05-01,2025-03-01,2025-01-01,2024-10-01,"
    "2024-07-01,2024-05-01,2024-03-01,2024-01-01,2023-11-01,2023-09-01,2023-06-01,2023-05-01,"
    "2023-04-01,2023-02-01,2022-11-01,2022-09-01,2022-07-01,2022-05-01,2022-01-01,2021-08-01,"
    "2021-05-01,2021-03-01,2021-02-01,2020-11-01,2020-08-01,2020-07-01,2020-06-01,2020-05-01,"
    "2020-04-01,2020-03-01,2019-12-01,2019-11-01,2019-09-01,2019-08-01,2019-07-01,2019-06-01,"
    "2019-04-01,2019-02-01,2018-12-01,2018-11-01,2018-10-01,2018-08-01,2018-07-01,2018-06-01"
).split(",")

API_VERSIONS: dict[str, tuple[str, ...]] = {
    # Every Microsoft.Resources type (groups, resources, providers, subscriptions, tenants,
    # locations, operation results) shares ARM's own list.
    "Microsoft.Resources": tuple(_RESOURCES),
    "Microsoft.Authorization/roleAssignments": tuple(_ROLE_ASSIGNMENTS),
    # azure-mgmt-authorization 4.0.0 ships role-definition clients for these versions.
    "Microsoft.Authorization/roleDefinitions": (
        "2022-05-01-preview",
        "2022-04-01",
        "2018-01-01-preview",
        "2015-07-01",
    ),
    # azure-mgmt-resource-locks 1.0.0 (2020-05-01), az 2.91 (2016-09-01), 2015-01-01 [mem].
    "Microsoft.Authorization/locks": ("2020-05-01", "2016-09-01", "2015-01-01"),
    # azure-mgmt-msi 7.1.0 ships clients for these four; az adds the two aaz previews.
    "Microsoft.ManagedIdentity": (
        "2025-05-31-preview",
        "2025-01-31-preview",
        "2024-11-30",
        "2023-01-31",
        "2022-01-31-preview",
        "2021-09-30-preview",
        "2018-11-30",
    ),
    # Src: spec folders Azure/azure-rest-api-specs specification/search/resource-manager/
    # Microsoft.Search/Search/{stable,examples}/<version>.
    "Microsoft.Search": (
        "2026-09-01-preview",
        "2026-03-01-preview",
        "2025-05-01",
        "2023-11-01",
        "2022-09-01",
        "2020-08-01",
        "2020-03-13",
        "2015-08-19",
    ),
    # 2023-10-01-preview: the first version with deployment tags (sandbox/arm/cognitive.py).
    "Microsoft.CognitiveServices": (
        "2026-05-15-preview",
        "2025-09-01",
        "2025-06-01",
        "2023-10-01-preview",
    ),
    "Microsoft.ContainerRegistry": ("2026-09-01-preview", "2025-11-01", "2023-01-01-preview"),
    "Microsoft.App": ("2026-07-01", "2025-07-01", "2025-02-02-preview", "2022-10-01"),
    "Microsoft.OperationalInsights": ("2025-07-01", "2023-09-01", "2021-12-01-preview"),
    # azure-mgmt-storage 25.3.0 sends 2026-09-01; pulumi-azure-native 3.29 StorageAccount
    # 2024-01-01; 2025-06-01 and 2023-05-01 are stable spec folders [unverified: from memory].
    "Microsoft.Storage": ("2026-09-01", "2025-06-01", "2024-01-01", "2023-05-01"),
    # azure-mgmt-keyvault 14.1.0 sends 2026-05-15 [sic, its _configuration.py]; pulumi 3.29
    # Vault 2024-11-01; 2023-07-01 and 2022-07-01 are stable spec folders [unverified].
    "Microsoft.KeyVault": ("2026-05-15", "2024-11-01", "2023-07-01", "2022-07-01"),
    # azure-mgmt-machinelearningservices 1.0.1 sends 2020-08-01; pulumi 3.29 Workspace
    # 2025-12-01; 2025-06-01 (spec folder), 2024-04-01 and 2023-06-01-preview (used with
    # forceToPurge in Azure/ResourceModules and terraform scripts).
    "Microsoft.MachineLearningServices": (
        "2025-12-01",
        "2025-06-01",
        "2024-04-01",
        "2023-06-01-preview",
        "2020-08-01",
    ),
    # Private DNS: azure-mgmt-privatedns 2.0.0 sends 2024-06-01; pulumi-azure-native 3.29
    # privatedns.PrivateZone docstring: "Uses Azure REST API version 2024-06-01 ... Other available
    # API versions: 2018-09-01, 2020-01-01, 2020-06-01".
    "Microsoft.Network/privateDnsZones": ("2024-06-01", "2020-06-01", "2020-01-01", "2018-09-01"),
    # azure-mgmt-network 33.1.0 sends 2026-03-01 (its api_versions_list also names 2025-09-01 and
    # 2026-01-01); pulumi-azure-native 3.29 network.VirtualNetwork docstring: "Uses Azure REST API
    # version 2024-05-01 ... Other available API versions:" the list below.
    "Microsoft.Network": tuple(_NETWORK),
    # azure-mgmt-applicationinsights 4.1.0 and pulumi 3.29 Component: 2020-02-02.
    "Microsoft.Insights/components": ("2020-02-02", "2015-05-01"),
}

# Types ARM itself serves answer InvalidApiVersionParameter; resource providers answer
# NoRegisteredProviderFound (compare pulumi-azure-native#3637 with Azure/bicep#3543).
FRONT_DOOR_NAMESPACES: frozenset[str] = frozenset({"microsoft.resources"})


def supported(resource_type: str) -> tuple[str, ...] | None:
    """The versions for `Namespace/type[/child...]`: the most specific entry, else the namespace's.

    None when the namespace is not in the catalog (the sandbox then does not check).
    """
    parts = resource_type.split("/")
    index = {k.lower(): v for k, v in API_VERSIONS.items()}
    for n in range(len(parts), 0, -1):
        found = index.get("/".join(parts[:n]).lower())
        if found is not None:
            return found
    return None
