"""Which deployments the data plane uses: the stack's `ragstack:rag` choices, else the one deployment
of each kind. Pure, so settings rules, opsctl and tests agree on the answer."""

from __future__ import annotations

from pathlib import PurePosixPath

from infra.catalog.cognitive import EMBEDDING_DIMENSIONS
from infra.settings import ModelDeployment, StackSettings

INDEX_FILE_SUFFIXES = (".yaml", ".yml", ".json")


def is_embedding(deployment: ModelDeployment) -> bool:
    return deployment.model in EMBEDDING_DIMENSIONS


def embedding_deployment(settings: StackSettings) -> ModelDeployment | None:
    """`ragstack:rag.embeddingDeployment`, else the only embedding deployment (None if 0 or 2+)."""
    return _chosen(settings, settings.rag.embedding_deployment, embedding=True)


def chat_deployment(settings: StackSettings) -> ModelDeployment | None:
    """`ragstack:rag.chatDeployment`, else the only non-embedding deployment (None if 0 or 2+)."""
    return _chosen(settings, settings.rag.chat_deployment, embedding=False)


def embedding_dimensions(deployment: ModelDeployment) -> int:
    return EMBEDDING_DIMENSIONS[deployment.model]


def _chosen(settings: StackSettings, name: str | None, *, embedding: bool) -> ModelDeployment | None:
    deployments = settings.openai.deployments
    if name is not None:
        return next((d for d in deployments if d.name == name), None)
    candidates = [d for d in deployments if is_embedding(d) == embedding]
    return candidates[0] if len(candidates) == 1 else None


def index_path_problem(path: str) -> str | None:
    """Index definitions are repo files named relative to the project directory."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        return "must be a path relative to the project directory, inside it"
    if pure.suffix.lower() not in INDEX_FILE_SUFFIXES:
        return f"must be a {', '.join(INDEX_FILE_SUFFIXES)} file"
    return None
