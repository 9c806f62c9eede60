"""Markdown into search chunks: sections along headings, long sections cut into overlapping windows.

Sizes are characters, so the split is the same whatever the tokenizer. Rationale (learn.microsoft.com
azure/search/vector-search-how-to-chunk-documents): "a fixed size that's sufficient for semantically
meaningful paragraphs ... and allows for some overlap (for example, 10-15% of the content)", with
"about four characters" per token for OpenAI models; Markdown structure may drive the split. 2000
characters are ~500 tokens, far below the embedding models' 8,191-token input limit; 250 characters
of overlap are 12.5%.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHUNK_CHARS = 2000
OVERLAP_CHARS = 250
# Characters per token for budgeting requests against a TPM limit: OpenAI's tokenizers average ~4;
# 3 over-estimates tokens (punctuation-heavy Markdown such as tables counts more), so a request sized
# from it is never refused for being larger than the limit.
CHARS_PER_TOKEN_ESTIMATE = 3
TITLE_SEPARATOR = " > "

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BREAKS = ("\n\n", "\n", ". ", " ")


@dataclass(frozen=True)
class Chunk:
    number: int
    title: str
    content: str


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN_ESTIMATE + 1


def chunk_markdown(
    markdown: str, *, fallback_title: str, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS
) -> list[Chunk]:
    """Chunks numbered from 0; each title is the heading path ("Guide > Health"), or `fallback_title`
    (the file's name) for text before the first heading."""
    chunks: list[Chunk] = []
    for path, body in _sections(markdown):
        title = TITLE_SEPARATOR.join(path) or fallback_title
        for piece in _windows(body, size, overlap):
            chunks.append(Chunk(len(chunks), title, piece))
    return chunks


def _sections(markdown: str) -> list[tuple[list[str], str]]:
    """(heading path, text) per section; the heading line stays in the text it introduces."""
    sections: list[tuple[list[str], str]] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    fenced = False

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(([name for _, name in path], text))
        lines.clear()

    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            path = [(lvl, name) for lvl, name in path if lvl < level]
            path.append((level, heading.group(2)))
        lines.append(line)
    flush()
    return sections


def _windows(text: str, size: int, overlap: int) -> list[str]:
    """`text` in pieces of at most `size` characters, cut at a paragraph, line, sentence or word
    break when one lies in the window's second half; each piece repeats the previous one's tail."""
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            end = _break_before(text, start, end)
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return pieces


def _break_before(text: str, start: int, end: int) -> int:
    floor = start + (end - start) // 2
    for mark in _BREAKS:
        at = text.rfind(mark, floor, end)
        if at != -1:
            return at + len(mark)
    return end
