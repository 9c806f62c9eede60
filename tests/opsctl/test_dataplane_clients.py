"""The environment's data-plane clients (opsctl.dataplane): endpoints read from ARM, mapped to the
sandbox, called through the official SDKs with the operator's roles."""

from __future__ import annotations

from typing import Any

import pytest

from infra import rag
from infra.settings import SettingsError, StackSettings
from opsctl.dataplane import open_data_plane
from opsctl.errors import InvalidInput, OpsError
from sandbox.constants import OPERATOR_OBJECT_ID


def _developer(live: Any) -> None:
    scopes = live.env().scopes()
    for role, key in (
        ("Search Index Data Contributor", "search"),
        ("Cognitive Services OpenAI User", "openai"),
        ("Cognitive Services User", "document_intelligence"),
    ):
        live.sandbox.grant(OPERATOR_OBJECT_ID, role, scope=scopes[key])
    live.sandbox.advance(600)


def test_data_plane_clients_reach_the_sandbox_services_with_the_operators_roles(live: Any) -> None:
    _developer(live)
    plane = open_data_plane(live.env(), live.target)

    assert plane.endpoints["search"].rstrip("/").endswith(".search.windows.net")
    assert plane.url("search").startswith(live.sandbox.connection.endpoint)
    assert list(plane.search_index_client().list_index_names()) == []
    embedding = plane.embedding_deployment()
    vector = plane.openai_client().embeddings.create(model=embedding.name, input="hello").data[0].embedding
    assert len(vector) == rag.embedding_dimensions(embedding)
    assert plane.chat_deployment().name == "chat"


def test_a_missing_service_is_one_line_naming_the_command_that_deploys_it(live: Any) -> None:
    from azure.mgmt.search import SearchManagementClient

    env = live.env()
    live.target.client(SearchManagementClient).services.delete(env.resource_group, env.names.search)
    with pytest.raises(OpsError, match="not found") as info:
        open_data_plane(env, live.target)
    assert "opsctl up --stack dev" in str(info.value.hint)


def _settings(rag_values: dict[str, Any]) -> StackSettings:
    config = {
        "ragstack:location": "eastus2",
        "ragstack:openai": {
            "deployments": [
                {"name": "chat", "model": "gpt-4o-mini", "version": "2024-07-18"},
                {"name": "embedding", "model": "text-embedding-3-small", "version": "1", "sku": "Standard"},
            ]
        },
        "ragstack:rag": rag_values,
    }
    return StackSettings.from_config(config, stack="dev")


def test_the_only_deployment_of_each_kind_is_chosen_by_default() -> None:
    settings = _settings({})
    assert rag.embedding_deployment(settings).name == "embedding"  # type: ignore[union-attr]
    assert rag.chat_deployment(settings).name == "chat"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"embeddingDeployment": "nope"},
            "ragstack:rag.embeddingDeployment.*names no deployment; deployments: chat, embedding",
        ),
        (
            {"embeddingDeployment": "chat"},
            "must be a deployment of an embedding model; it deploys gpt-4o-mini",
        ),
        ({"chatDeployment": "embedding"}, "must be a deployment of a chat model"),
        ({"indexes": ["/etc/index.yaml"]}, r"ragstack:rag.indexes\[0\].*relative to the project directory"),
        ({"indexes": ["indexes/docs.txt"]}, r"must be a .yaml, .yml, .json file"),
        ({"color": "red"}, "unknown key"),
    ],
)
def test_bad_rag_settings_are_one_line(values: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        _settings(values)


def test_no_embedding_deployment_is_one_line_before_any_call(live: Any) -> None:
    from dataclasses import replace

    plane = open_data_plane(live.env(), live.target)
    settings = plane.environment.settings.model_copy(
        update={"openai": plane.environment.settings.openai.model_copy(update={"deployments": ()})}
    )
    bare = replace(plane, environment=replace(plane.environment, settings=settings))
    with pytest.raises(
        InvalidInput, match=r"ragstack:rag\.embeddingDeployment: the stack has no single embedding deployment"
    ):
        bare.embedding_deployment()


def test_the_dev_stack_declares_the_demo_index_with_the_embedding_models_dimensions(live: Any) -> None:
    from opsctl.indexes import load_index_definitions

    env = live.env()
    (docs,) = load_index_definitions(env)
    vector = next(f for f in docs.body["fields"] if f["name"] == "embedding")
    assert docs.name == "docs"
    assert vector["dimensions"] == rag.embedding_dimensions(rag.embedding_deployment(env.settings))  # type: ignore[arg-type]


def test_a_missing_index_file_is_one_line(live: Any) -> None:
    from opsctl.indexes import load_index_definitions

    (live.project / "indexes" / "docs.yaml").unlink()
    with pytest.raises(InvalidInput, match=r"^indexes/docs.yaml: index definition not found"):
        load_index_definitions(live.env())
