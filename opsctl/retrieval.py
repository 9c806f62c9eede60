"""`opsctl query`: hybrid search over the stack's index and, with `--answer`, a grounded answer.

Hybrid = the question as full text plus its embedding as a vector query in one request; the service
fuses both rankings with Reciprocal Rank Fusion (learn.microsoft.com azure/search/hybrid-search-
overview). The answer prompt follows azure-search-openai-demo's convention: each source is a line
`name: text`, and the model cites the name in square brackets; opsctl numbers the cited names
[1], [2] ... and lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceNotFoundError

from opsctl.denied import with_role
from opsctl.errors import InvalidInput, OpsError
from opsctl.throttle import model_call

if TYPE_CHECKING:
    from opsctl.dataplane import DataPlane

MAX_TOP = 50
PRESET = "developer"
SYSTEM_PROMPT = (
    "Answer the question using only the sources below. Each source has a name followed by a colon "
    "and its text. Cite the name of every source you use in square brackets, e.g. [handbook.pdf]. "
    "If the sources do not answer the question, say you don't know."
)
ANSWER_MAX_TOKENS = 400
_CITATION = re.compile(r"\[([^\[\]]+)\]")


@dataclass
class Hit:
    source: str
    chunk: int
    title: str
    score: float
    content: str


@dataclass
class QueryResult:
    question: str
    index: str
    hits: list[Hit]
    answer: str | None = None
    citations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "question": self.question,
            "index": self.index,
            "results": [vars(h) for h in self.hits],
        }
        if self.answer is not None:
            doc["answer"] = self.answer
            doc["citations"] = [{"ref": i + 1, "source": s} for i, s in enumerate(self.citations)]
        return doc


def search(plane: DataPlane, index: str, question: str, *, top: int = 5) -> QueryResult:
    from azure.search.documents.models import VectorizedQuery

    if not question.strip():
        raise InvalidInput("query: the question is empty")
    if not 1 <= top <= MAX_TOP:
        raise InvalidInput(f"--top {top}: must be 1-{MAX_TOP}")
    vector = _embed(plane, question)
    client = plane.search_client(index)

    def read() -> list[Hit]:
        results = client.search(
            search_text=question,
            vector_queries=[VectorizedQuery(vector=vector, k_nearest_neighbors=top, fields="embedding")],
            select=["source", "chunk", "title", "content"],
            top=top,
        )
        return [
            Hit(
                str(r["source"]),
                int(r["chunk"]),
                str(r.get("title") or ""),
                float(r["@search.score"]),
                r["content"],
            )
            for r in results
        ]

    try:
        hits = with_role(plane, "search", "Search Index Data Reader", read, preset=PRESET)
    except ResourceNotFoundError:
        raise OpsError(
            f"index '{index}' not found on the search service",
            hint=f"create it: `opsctl index apply --stack {plane.environment.stack}`, then `opsctl ingest`",
        ) from None
    return QueryResult(question, index, hits[:top])


def answer(plane: DataPlane, result: QueryResult) -> QueryResult:
    """Send the question and the hits to the chat deployment; number the sources it cites."""
    if not result.hits:
        result.answer = "No indexed chunk matches the question; nothing to answer from."
        return result
    deployment = plane.chat_deployment()
    sources = "\n".join(f"{h.source}: {' '.join(h.content.split())}" for h in result.hits)
    client = plane.openai_client()
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"{result.question}\n\nSources:\n{sources}"},
    ]
    response, _ = model_call(
        plane,
        lambda: client.chat.completions.create(
            model=deployment.name, messages=messages, max_tokens=ANSWER_MAX_TOKENS
        ),
        what=f"chat deployment '{deployment.name}'",
        preset=PRESET,
    )
    text = response.choices[0].message.content or ""
    result.answer, result.citations = number_citations(text, {h.source for h in result.hits})
    return result


def number_citations(text: str, known: set[str]) -> tuple[str, list[str]]:
    """`[name]` of a known source becomes `[n]`, numbered by first citation; others stay as written."""
    order: list[str] = []

    def swap(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name not in known:
            return match.group(0)
        if name not in order:
            order.append(name)
        return f"[{order.index(name) + 1}]"

    return _CITATION.sub(swap, text), order


def _embed(plane: DataPlane, text: str) -> list[float]:
    deployment = plane.embedding_deployment()
    client = plane.openai_client()
    response, _ = model_call(
        plane,
        lambda: client.embeddings.create(model=deployment.name, input=text),
        what=f"embedding deployment '{deployment.name}'",
        preset=PRESET,
    )
    return list(response.data[0].embedding)


def resolve_index(env: Any, explicit: str | None) -> str:
    """`--index`, else `ragstack:rag.index`, else the first index definition the stack declares."""
    from opsctl.indexes import load_index_definitions

    if explicit is not None:
        if not _INDEX_NAME.fullmatch(explicit):
            raise InvalidInput(
                f"--index {explicit[:80]!r}: index names are up to 128 lowercase letters, digits or '-', "
                "not starting or ending with '-'"
            )
        return explicit
    if env.settings.rag.index:
        return str(env.settings.rag.index)
    definitions = load_index_definitions(env)
    if not definitions:
        raise InvalidInput(
            f"stack {env.stack} names no index: pass --index, or list index files in ragstack:rag.indexes"
        )
    return definitions[0].name


# learn.microsoft.com/rest/api/searchservice/naming-rules: index names are lowercase letters, digits
# or dashes, not starting or ending with a dash, at most 128 characters.
_INDEX_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?")
