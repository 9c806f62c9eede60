"""The sandbox's AI Search data plane through the official `azure-search-documents` SDK.

The client gets only what it gets on Azure: an endpoint (ARM's `properties.endpoint`, mapped by
the sandbox connection), the CA bundle and a credential (token or api-key).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import (
    AddressSpace,
    Delegation,
    PrivateEndpoint,
    PrivateLinkServiceConnection,
    Subnet,
    VirtualNetwork,
)
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.search import SearchManagementClient
from azure.mgmt.search.models import DataPlaneAadOrApiKeyAuthOption, DataPlaneAuthOptions, SearchService, Sku
from azure.search.documents import SearchClient
from azure.search.documents.indexes import SearchIndexClient
from azure.search.documents.indexes.models import (
    HnswAlgorithmConfiguration,
    SearchableField,
    SearchField,
    SearchFieldDataType,
    SearchIndex,
    SemanticConfiguration,
    SemanticField,
    SemanticPrioritizedFields,
    SemanticSearch,
    SimpleField,
    VectorSearch,
    VectorSearchProfile,
)
from azure.search.documents.models import VectorizedQuery

from sandbox.constants import OPERATOR_OBJECT_ID
from tests.conftest import built_state, clone_for

DIMS = 4
APP = "11111111-2222-3333-4444-555555555555"


class Token:
    """A TokenCredential with a fixed sandbox-signed token (any principal, any audience)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def _make_service(sb) -> None:
    """A basic search service with RBAC on (aadOrApiKey)."""
    arm = sb.connection.client
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    auth = DataPlaneAuthOptions(aad_or_api_key=DataPlaneAadOrApiKeyAuthOption())
    spec = SearchService(location="eastus", sku=Sku(name="basic"), auth_options=auth)
    arm(SearchManagementClient).services.begin_create_or_update("rg", "srch1", spec).result()


def _load(sb) -> None:
    """The index created and loaded with an admin key."""
    mgmt = sb.connection.client(SearchManagementClient)
    key = mgmt.admin_keys.get("rg", "srch1").primary_key
    index_client, search_client = _clients(sb, mgmt.services.get("rg", "srch1"), AzureKeyCredential(key))
    index_client.create_index(_index())
    results = search_client.upload_documents(DOCS)
    assert [r.status_code for r in results] == [201, 201, 201]


@pytest.fixture(scope="module")
def service_state(tmp_path_factory, sandbox_keys):
    return built_state(tmp_path_factory.mktemp("search-service") / "sandbox", sandbox_keys, _make_service)


@pytest.fixture(scope="module")
def loaded_state(tmp_path_factory, service_state):
    return built_state(tmp_path_factory.mktemp("search-loaded") / "sandbox", service_state, _load)


@pytest.fixture
def sandbox_dir(tmp_path, sandbox_keys, request):
    """A test using `loaded` or `service` opens its sandbox on a copy of that setup, built once."""
    return clone_for(request, tmp_path, sandbox_keys, {"loaded": "loaded_state", "service": "service_state"})


@pytest.fixture
def service(arm, sandbox):
    """A basic search service with RBAC on (aadOrApiKey), as ARM returns it."""
    mgmt = arm(SearchManagementClient)
    return mgmt.services.get("rg", "srch1"), mgmt


def _clients(sandbox, svc, credential, index="docs"):
    endpoint = sandbox.connection.dataplane_endpoint(svc.endpoint)
    ca = sandbox.connection.ca_path
    return (
        SearchIndexClient(endpoint, credential, connection_verify=ca),
        SearchClient(endpoint, index, credential, connection_verify=ca),
    )


def _token(sandbox, oid: str, aud: str = "https://search.azure.com/") -> Token:
    return Token(sandbox.issue_token(oid, aud=aud))


def _index(name: str = "docs") -> SearchIndex:
    return SearchIndex(
        name=name,
        fields=[
            SimpleField(name="id", type=SearchFieldDataType.String, key=True),
            SearchableField(name="title", type=SearchFieldDataType.String),
            SearchableField(name="body", type=SearchFieldDataType.String),
            SimpleField(name="category", type=SearchFieldDataType.String, filterable=True, facetable=True),
            SimpleField(name="pages", type=SearchFieldDataType.Int32, filterable=True, sortable=True),
            SearchField(
                name="tags",
                type=SearchFieldDataType.Collection(SearchFieldDataType.String),
                filterable=True,
            ),
            SearchField(
                name="vec",
                type=SearchFieldDataType.Collection(SearchFieldDataType.Single),
                searchable=True,
                vector_search_dimensions=DIMS,
                vector_search_profile_name="p1",
            ),
        ],
        vector_search=VectorSearch(
            algorithms=[HnswAlgorithmConfiguration(name="h1")],
            profiles=[VectorSearchProfile(name="p1", algorithm_configuration_name="h1")],
        ),
        semantic_search=SemanticSearch(
            configurations=[
                SemanticConfiguration(
                    name="sem",
                    prioritized_fields=SemanticPrioritizedFields(
                        content_fields=[SemanticField(field_name="body")]
                    ),
                )
            ]
        ),
    )


DOCS = [
    {"id": "1", "title": "Azure AI Search", "body": "search indexes and vector queries", "category": "search",
     "pages": 3, "tags": ["ai", "search"], "vec": [1.0, 0.0, 0.0, 0.0]},
    {"id": "2", "title": "Container Apps", "body": "serverless containers scale to zero",
     "category": "compute", "pages": 5, "tags": ["compute"], "vec": [0.0, 1.0, 0.0, 0.0]},
    {"id": "3", "title": "Key Vault", "body": "secrets keys certificates and search for secrets",
     "category": "security", "pages": 1, "tags": ["security", "ai"], "vec": [0.0, 0.0, 1.0, 0.1]},
]  # fmt: skip


@pytest.fixture
def loaded(sandbox, service):
    """The index created and loaded with an admin key; clients as an admin-key caller."""
    svc, mgmt = service
    key = mgmt.admin_keys.get("rg", "srch1").primary_key
    index_client, search_client = _clients(sandbox, svc, AzureKeyCredential(key))
    return svc, index_client, search_client


def test_arm_keeps_azures_endpoint_and_the_connection_maps_it(service, sandbox):
    svc, _ = service
    assert svc.endpoint == "https://srch1.search.windows.net/"
    assert (
        sandbox.connection.dataplane_endpoint(svc.endpoint) == f"{sandbox.connection.endpoint}/search/srch1"
    )


def test_full_text_search_ranks_with_bm25_and_filters_selects_counts(loaded):
    _, _, client = loaded
    hits = list(client.search("secrets", select=["id", "title"]))
    assert [h["id"] for h in hits] == ["3"]
    assert set(hits[0]) >= {"id", "title", "@search.score"} and "body" not in hits[0]
    results = client.search("search", include_total_count=True)
    assert results.get_count() == 2
    ranked = [h["id"] for h in results]
    assert ranked[0] == "1"  # "search" in title and body outranks one mention in a long body
    assert [h["id"] for h in client.search("*", filter="pages ge 3 and category ne 'compute'")] == ["1"]
    assert {h["id"] for h in client.search("*", filter="tags/any(t: t eq 'ai')")} == {"1", "3"}
    assert {h["id"] for h in client.search("*", filter="search.in(category, 'compute,security')")} == {
        "2",
        "3",
    }
    assert [h["id"] for h in client.search("*", order_by=["pages desc"], top=2, skip=1)] == ["1", "3"]
    facets = client.search("*", facets=["category"]).get_facets()
    assert {f["value"]: f["count"] for f in facets["category"]} == {"search": 1, "compute": 1, "security": 1}


def test_vector_and_hybrid_queries_fuse_with_rrf(loaded):
    _, _, client = loaded
    near = VectorizedQuery(vector=[0.0, 0.9, 0.1, 0.0], k_nearest_neighbors=2, fields="vec")
    hits = list(client.search(None, vector_queries=[near]))
    assert [h["id"] for h in hits] == ["2", "3"]
    hybrid = list(client.search("secrets", vector_queries=[near]))
    # RRF k=60: doc 3 is 1st in text and 2nd in vectors, doc 2 only 1st in vectors.
    assert [h["id"] for h in hybrid][:2] == ["3", "2"]
    assert hybrid[0]["@search.score"] == pytest.approx(1 / 61 + 1 / 62)


def test_semantic_query_is_approximated_and_says_so(loaded):
    _, _, client = loaded
    results = client.search(
        "secrets", query_type="semantic", semantic_configuration_name="sem", query_answer="extractive"
    )
    answers = results.get_answers()
    assert answers and "[sandbox approximation]" in answers[0].text
    assert next(iter(results))["@search.reranker_score"] == pytest.approx(4.0)


def test_document_batch_reports_per_key_status(loaded):
    _, _, client = loaded
    results = client.index_documents(
        batch=_batch(
            ("merge", {"id": "1", "pages": 9}),
            ("merge", {"id": "404", "pages": 1}),
            ("mergeOrUpload", {"id": "4", "title": "new"}),
            ("delete", {"id": "2"}),
            ("upload", {"id": "bad key!", "title": "x"}),
        )
    )
    assert [(r.key, r.status_code, r.succeeded) for r in results] == [
        ("1", 200, True),
        ("404", 404, False),
        ("4", 201, True),
        ("2", 200, True),
        ("bad key!", 400, False),
    ]
    assert client.get_document("1")["pages"] == 9 and client.get_document("1")["title"] == "Azure AI Search"
    with pytest.raises(ResourceNotFoundError):
        client.get_document("2")
    assert client.get_document_count() == 3


def _batch(*actions):
    from azure.search.documents import IndexDocumentsBatch

    batch = IndexDocumentsBatch()
    for kind, doc in actions:
        {"merge": batch.add_merge_actions, "mergeOrUpload": batch.add_merge_or_upload_actions,
         "delete": batch.add_delete_actions, "upload": batch.add_upload_actions}[kind]([doc])  # fmt: skip
    return batch


def test_index_updates_azure_refuses_in_place(loaded):
    _, index_client, _ = loaded
    changed = _index()
    changed.fields[4] = SimpleField(
        name="pages", type=SearchFieldDataType.Int64, filterable=True, sortable=True
    )
    with pytest.raises(HttpResponseError) as err:
        index_client.create_or_update_index(changed)
    assert err.value.status_code == 400
    assert err.value.error.code == "OperationNotAllowed"
    assert err.value.error.message == "Existing field 'pages' cannot be changed."
    removed = _index()
    del removed.fields[3]
    with pytest.raises(HttpResponseError, match=r"Existing field 'category' cannot be changed\."):
        index_client.create_or_update_index(removed)
    added = _index()
    added.fields.append(SearchableField(name="summary", type=SearchFieldDataType.String))
    assert [f.name for f in index_client.create_or_update_index(added).fields][-1] == "summary"


def test_unknown_field_and_wrong_vector_length_fail_the_batch(loaded):
    _, _, client = loaded
    with pytest.raises(HttpResponseError, match="The property 'nope' does not exist"):
        client.upload_documents([{"id": "9", "nope": 1}])
    with pytest.raises(HttpResponseError, match="expects a length of '4'"):
        client.upload_documents([{"id": "9", "vec": [1.0]}])


def test_tokens_need_roles_and_the_search_audience(sandbox, service, loaded):
    svc, _ = service
    sandbox.add_principal(APP)
    index_client, client = _clients(sandbox, svc, _token(sandbox, APP))
    with pytest.raises(HttpResponseError) as err:
        list(client.search("search"))
    assert err.value.status_code == 403 and "indexes/documents/read" in err.value.message
    # Data actions see a new assignment only after the propagation delay (rbac.permits settled=True);
    # at this test's time scale that is milliseconds, so the test waits it out rather than racing it.
    sandbox.grant(APP, "Search Index Data Reader", scope=svc.id)
    sandbox.advance(301)
    assert {h["id"] for h in client.search("search")} == {"1", "3"}
    with pytest.raises(HttpResponseError) as err:  # a reader cannot write
        client.upload_documents([{"id": "7"}])
    assert err.value.status_code == 403
    with pytest.raises(HttpResponseError) as err:  # nor manage indexes
        index_client.get_index("docs")
    assert err.value.status_code == 403
    _, arm_aud = _clients(sandbox, svc, _token(sandbox, APP, aud="https://management.azure.com/"))
    with pytest.raises(HttpResponseError) as err:
        list(arm_aud.search("search"))
    assert err.value.status_code == 401


def test_owner_manages_indexes_but_reads_no_documents(sandbox, service, loaded):
    svc, _ = service
    index_client, client = _clients(sandbox, svc, _token(sandbox, OPERATOR_OBJECT_ID))
    assert index_client.get_index("docs").name == "docs"
    with pytest.raises(HttpResponseError) as err:
        list(client.search("search"))
    assert err.value.status_code == 403


def test_disabled_local_auth_refuses_keys(sandbox, service, loaded):
    svc, mgmt = service
    key = mgmt.admin_keys.get("rg", "srch1").primary_key
    mgmt.services.begin_create_or_update(
        "rg", "srch1", SearchService(location="eastus", sku=Sku(name="basic"), disable_local_auth=True)
    ).result()
    _, client = _clients(sandbox, svc, AzureKeyCredential(key))
    with pytest.raises(HttpResponseError) as err:
        list(client.search("search"))
    assert err.value.status_code == 403 and "disableLocalAuth" in err.value.message


def _app_behind_private_endpoint(arm, sandbox, target_id: str) -> dict[str, str]:
    """A VNet with an approved private endpoint to the target and a Container App, running as a
    user-assigned identity, in an environment on that VNet; the identity's token claims."""
    net = arm(NetworkManagementClient)
    vnet = net.virtual_networks.begin_create_or_update(
        "rg",
        "vnet",
        VirtualNetwork(
            location="eastus",
            address_space=AddressSpace(address_prefixes=["10.0.0.0/16"]),
            subnets=[
                Subnet(
                    name="apps",
                    address_prefix="10.0.0.0/27",
                    delegations=[Delegation(name="aca", service_name="Microsoft.App/environments")],
                ),
                Subnet(name="endpoints", address_prefix="10.0.1.0/24"),
            ],
        ),
    ).result()
    conn = PrivateLinkServiceConnection(
        name="c", private_link_service_id=target_id, group_ids=["searchService"]
    )
    net.private_endpoints.begin_create_or_update(
        "rg",
        "pe",
        PrivateEndpoint(
            location="eastus",
            subnet=Subnet(id=f"{vnet.id}/subnets/endpoints"),
            private_link_service_connections=[conn],
        ),
    ).result()
    uai = arm(ManagedServiceIdentityClient).user_assigned_identities.create_or_update(
        "rg", "app-id", {"location": "eastus"}
    )
    aca = arm(ContainerAppsAPIClient)
    env = aca.managed_environments.begin_create_or_update(
        "rg",
        "env",
        {
            "location": "eastus",
            "properties": {
                "vnetConfiguration": {"infrastructureSubnetId": f"{vnet.id}/subnets/apps", "internal": True},
                "workloadProfiles": [{"name": "Consumption", "workloadProfileType": "Consumption"}],
            },
        },
    ).result()
    container = {
        "name": "web",
        "image": "mcr.microsoft.com/k8se/quickstart:latest",
        "resources": {"cpu": 0.5, "memory": "1Gi"},
    }
    aca.container_apps.begin_create_or_update(
        "rg",
        "web",
        {
            "location": "eastus",
            "identity": {"type": "UserAssigned", "userAssignedIdentities": {uai.id: {}}},
            "properties": {"environmentId": env.id, "template": {"containers": [container]}},
        },
    ).result()
    return {"oid": uai.principal_id, "xms_mirid": uai.id}


def test_disabled_public_access_admits_only_an_app_identity_behind_a_private_endpoint(
    arm, sandbox, service, loaded
):
    """MS Learn search-security-network-security: with public access disabled, only callers that
    reach the service through a private endpoint get in."""
    svc, mgmt = service
    mgmt.services.begin_create_or_update(
        "rg",
        "srch1",
        SearchService(
            location="eastus",
            sku=Sku(name="basic"),
            public_network_access="disabled",
            auth_options=DataPlaneAuthOptions(aad_or_api_key=DataPlaneAadOrApiKeyAuthOption()),
        ),
    ).result()
    sandbox.add_principal(APP)
    sandbox.grant(APP, "Search Index Data Reader", scope=svc.id)
    sandbox.advance(301)
    _, outside = _clients(sandbox, svc, _token(sandbox, APP))
    with pytest.raises(HttpResponseError) as err:
        list(outside.search("search"))
    assert err.value.status_code == 403 and "Public access is disabled" in err.value.message
    bare_mi = Token(
        sandbox._live().issuer.issue(
            oid=APP, aud="https://search.azure.com/", xms_mirid="/subscriptions/x/mi"
        )[0]
    )
    with pytest.raises(HttpResponseError) as err:
        list(_clients(sandbox, svc, bare_mi)[1].search("search"))
    assert err.value.status_code == 403
    claims = _app_behind_private_endpoint(arm, sandbox, svc.id)
    sandbox.grant(claims["oid"], "Search Index Data Reader", scope=svc.id)
    sandbox.advance(301)
    inside = Token(sandbox._live().issuer.issue(aud="https://search.azure.com/", **claims)[0])
    _, client = _clients(sandbox, svc, inside)
    assert {h["id"] for h in client.search("search")} == {"1", "3"}


def test_free_tier_index_count_and_storage_limits(sandbox, arm, service):
    mgmt = arm(SearchManagementClient)
    free = mgmt.services.begin_create_or_update(
        "rg", "free1", SearchService(location="eastus", sku=Sku(name="free"))
    ).result()
    key = mgmt.admin_keys.get("rg", "free1").primary_key
    index_client, client = _clients(sandbox, free, AzureKeyCredential(key), index="i0")
    for i in range(3):
        index_client.create_index(_index(f"i{i}"))
    with pytest.raises(HttpResponseError) as err:
        index_client.create_index(_index("i3"))
    assert err.value.status_code == 429
    assert "Index quota has been exceeded for this service" in err.value.message
    big = "x" * (1024 * 1024)
    results = client.upload_documents([{"id": str(i), "body": big} for i in range(60)])
    failed = [r for r in results if not r.succeeded]
    assert failed and {r.status_code for r in failed} == {507}
    assert "Storage quota has been exceeded" in failed[0].error_message
    assert client.get_document_count() == 60 - len(failed)


def test_quotas_come_from_the_catalog_and_scale_with_partitions(sandbox, arm, service):
    from infra.catalog.search import SEARCH_DATA_LIMITS

    mgmt = arm(SearchManagementClient)
    svc = mgmt.services.begin_create_or_update(
        "rg", "two", SearchService(location="eastus", sku=Sku(name="basic"), partition_count=2)
    ).result()
    key = AzureKeyCredential(mgmt.admin_keys.get("rg", "two").primary_key)
    index_client, _ = _clients(sandbox, svc, key)
    counters = index_client.get_service_statistics()["counters"]
    basic = SEARCH_DATA_LIMITS["basic"]
    assert counters["vectorIndexSize"]["quota"] == 2 * basic.partition_vector_bytes
    assert counters["storageSize"]["quota"] == 2 * basic.partition_storage_bytes
    assert counters["indexesCount"]["quota"] == basic.max_indexes
