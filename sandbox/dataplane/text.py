"""Deterministic stand-ins for model inference (no network, no weights).

Embeddings hash words and character trigrams into the model's dimensions with a sign per feature,
then L2-normalize: texts sharing words and word pieces land near each other (cosine), unrelated texts
near zero. Chat answers are extractive: the context sentences most similar to the question, each
cited with the source it came from. Token counts approximate a BPE tokenizer (words and punctuation);
they are not tiktoken's counts.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import lru_cache

_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_SOURCE = re.compile(r"^\s*\[?([\w\-. /#=]+\.\w+(?:#page=\d+)?)\]?\s*:\s*(.*)$")
STOP = frozenset(
    "a an and are as at be by for from has have how in is it its of on or that the this to was what "
    "when where which who why will with does do did can".split()
)


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


@lru_cache(maxsize=65536)
def _slot(feature: str, dims: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dims, 1.0 if (value >> 63) else -1.0


def _features(text: str) -> dict[str, float]:
    feats: dict[str, float] = {}
    for word in (w.lower() for w in _WORD.findall(text)):
        weight = 0.3 if word in STOP else 1.0
        feats["w:" + word] = feats.get("w:" + word, 0.0) + weight
        padded = f"<{word}>"
        for i in range(len(padded) - 2):
            gram = "g:" + padded[i : i + 3]
            feats[gram] = feats.get(gram, 0.0) + 0.25 * weight
    return feats


def embed(text: str, dims: int) -> list[float]:
    """A unit vector of `dims` floats; the same text always gives the same vector."""
    vec = [0.0] * dims
    for feature, weight in _features(text).items():
        slot, sign = _slot(feature, dims)
        vec[slot] += sign * weight
    return normalized(vec)


def normalized(vec: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vec))
    if norm == 0.0:
        # An empty text still gets a unit vector, as a model returns one for any input.
        return [1.0 / math.sqrt(len(vec))] * len(vec)
    return [x / norm for x in vec]


def shortened(vec: list[float], dims: int) -> list[float]:
    """The `dimensions` parameter: the leading components, renormalized (the -3 models' behaviour,
    platform.openai.com/docs/guides/embeddings "shortening embeddings")."""
    return normalized(vec[:dims])


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _sentences(context: str) -> list[tuple[str, str]]:
    """(sentence, source) pairs; a line `name.ext: text` or `[name.ext]: text` names its source."""
    out: list[tuple[str, str]] = []
    for line in context.splitlines():
        match = _SOURCE.match(line)
        source, body = (match.group(1).strip(), match.group(2)) if match else ("", line)
        for sentence in _SENTENCE.split(body):
            if _WORD.search(sentence):
                out.append((sentence.strip(), source))
    return out


def answer(question: str, context: str, *, limit: int = 3) -> str:
    """The context sentences closest to the question, each followed by its `[source]` when known."""
    dims = 512
    q = embed(" ".join(w for w in _WORD.findall(question) if w.lower() not in STOP), dims)
    q_words = {w.lower() for w in _WORD.findall(question)} - STOP
    scored = []
    for i, (sentence, source) in enumerate(_sentences(context)):
        overlap = q_words & {w.lower() for w in _WORD.findall(sentence)}
        if overlap:
            scored.append((cosine(q, embed(sentence, dims)), i, sentence, source))
    if not scored:
        return "I don't know: the provided sources do not answer the question."
    best = sorted(sorted(scored, reverse=True)[:limit], key=lambda s: s[1])
    return " ".join(f"{s} [{src}]" if src else s for _, _, s, src in best)
