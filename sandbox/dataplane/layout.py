"""Document layout from real converters: pypdf (PDF), python-docx (DOCX), the stdlib (HTML, text).

Each converter yields pages of blocks `(role, text)`; `analyze_result` turns them into Document
Intelligence's `analyzeResult` (content, pages with lines/words and spans, paragraphs with roles).
Roles: `title` and `sectionHeading` from headings (DOCX styles, HTML h1-h6, markdown `#`, PDF lines
set larger than the body text). DOCX and HTML have no pages of their own: they come back as one page
(Azure renders them into pages; the sandbox does not).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from html.parser import HTMLParser
from typing import Any

Block = tuple[str, str, int]  # (role: "" | "title" | "sectionHeading", text, heading level)
Page = list[Block]


class UnsupportedContent(ValueError):
    """The bytes are no PDF, DOCX, HTML or text, or are corrupt."""


def sniff(data: bytes, content_type: str) -> str:
    head = data[:512].lstrip().lower()
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK"):
        try:
            if "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist():
                return "docx"
        except zipfile.BadZipFile:
            pass
        raise UnsupportedContent("not a DOCX")
    if head.startswith((b"<!doctype html", b"<html")) or "html" in content_type:
        return "html"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsupportedContent("not text") from exc
    return "text"


def convert(data: bytes, content_type: str = "") -> list[Page]:
    kind = sniff(data, content_type)
    try:
        return {"pdf": _pdf, "docx": _docx, "html": _html, "text": _text}[kind](data)
    except UnsupportedContent:
        raise
    except Exception as exc:  # a converter's own error on corrupt input
        raise UnsupportedContent(str(exc)) from exc


def _pdf(data: bytes) -> list[Page]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    raw = [_pdf_lines(page) for page in reader.pages]
    sizes: Counter[int] = Counter()
    for line, s in (ln for page in raw for ln in page):
        sizes[round(s)] += len(line)  # the body is the size most of the text is set in
    body = sizes.most_common(1)[0][0] if sizes else 0
    largest = max(sizes) if sizes else 0
    pages: list[Page] = []
    for n, page_lines in enumerate(raw):
        blocks: Page = []
        for line, s in page_lines:
            if body and round(s) >= body * 1.3:
                title = n == 0 and round(s) == largest and not any(b[0] == "title" for b in blocks)
                blocks.append(("title", line, 1) if title else ("sectionHeading", line, 2))
            elif blocks and blocks[-1][0] == "" and not blocks[-1][1].endswith((".", ":", "!", "?")):
                blocks[-1] = ("", blocks[-1][1] + " " + line, 0)  # a wrapped line continues its paragraph
            else:
                blocks.append(("", line, 0))
        pages.append(blocks)
    return pages


def _pdf_lines(page: Any) -> list[tuple[str, float]]:
    """A page's text lines with the largest font size each was set in (text matrix scaled)."""
    lines: list[tuple[str, float]] = []
    current: list[str] = []
    size = 0.0

    def visit(txt: str, cm: Any, tm: Any, font: Any, font_size: float) -> None:
        nonlocal size
        scale = abs(tm[3]) if tm and tm[3] else 1.0
        parts = txt.split("\n")
        for j, part in enumerate(parts):
            if part.strip():
                current.append(part)
                size = max(size, font_size * scale)
            if j < len(parts) - 1 and current:
                lines.append(("".join(current).strip(), size))
                current.clear()
                size = 0.0

    page.extract_text(visitor_text=visit)
    if current:
        lines.append(("".join(current).strip(), size))
    return [ln for ln in lines if ln[0]]


def _docx(data: bytes) -> list[Page]:
    import docx

    document = docx.Document(io.BytesIO(data))
    blocks: Page = []
    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        content = para.text.strip()
        if not content:
            continue
        if style == "Title":
            blocks.append(("title", content, 1))
        elif style.startswith("Heading"):
            level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
            blocks.append(
                ("title", content, 1) if level == 1 and not blocks else ("sectionHeading", content, level + 1)
            )
        else:
            blocks.append(("", content, 0))
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        if rows:
            md = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(rows[0])]
            md += ["| " + " | ".join(r) + " |" for r in rows[1:]]
            blocks.append(("", "\n".join(md), 0))
    return [blocks]


class _Html(HTMLParser):
    BLOCKS = {"p", "li", "td", "th", "div", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__()
        self.blocks: Page = []
        self.tag: str | None = None
        self.buf: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self._flush()
            self.tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.buf.append(data)

    def _flush(self) -> None:
        content = re.sub(r"\s+", " ", "".join(self.buf)).strip()
        self.buf.clear()
        if content:
            tag = self.tag or "p"
            if tag == "h1":
                self.blocks.append(("title", content, 1))
            elif re.fullmatch(r"h[2-6]", tag):
                self.blocks.append(("sectionHeading", content, int(tag[1])))
            else:
                self.blocks.append(("", content, 0))
        self.tag = None


def _html(data: bytes) -> list[Page]:
    parser = _Html()
    parser.feed(data.decode("utf-8", errors="replace"))
    parser.close()
    parser._flush()
    return [parser.blocks]


def _text(data: bytes) -> list[Page]:
    blocks: Page = []
    for chunk in re.split(r"\n\s*\n", data.decode("utf-8")):
        for piece in _heading_split(chunk.strip()):
            blocks.append(piece)
    return [[b for b in blocks if b[1]]]


def _heading_split(chunk: str) -> list[Block]:
    out: list[Block] = []
    para: list[str] = []
    for line in chunk.splitlines():
        match = re.match(r"^(#{1,6})\s+(.*)$", line)
        if match:
            if para:
                out.append(("", " ".join(para), 0))
                para = []
            level = len(match.group(1))
            out.append(("title" if level == 1 else "sectionHeading", match.group(2).strip(), level))
        else:
            para.append(line.strip())
    if para:
        out.append(("", " ".join(para), 0))
    return out


def analyze_result(pages: list[Page], *, model_id: str, api_version: str, markdown: bool) -> dict[str, Any]:
    content = ""
    out_pages: list[dict[str, Any]] = []
    paragraphs: list[dict[str, Any]] = []
    for number, blocks in enumerate(pages, start=1):
        if number > 1:
            content += "<!-- PageBreak -->\n\n" if markdown else ""
        page_start = len(content)
        lines, words = [], []
        for role, body, level in blocks:
            prefix = ("#" * max(1, level) + " ") if markdown and role else ""
            start = len(content)
            content += prefix + body
            para: dict[str, Any] = {
                "spans": [{"offset": start, "length": len(prefix + body)}],
                "boundingRegions": [{"pageNumber": number, "polygon": []}],
                "content": body,
            }
            if role:
                para["role"] = role
            paragraphs.append(para)
            offset = start + len(prefix)
            for line in body.split("\n"):
                lines.append(
                    {"content": line, "polygon": [], "spans": [{"offset": offset, "length": len(line)}]}
                )
                for match in re.finditer(r"\S+", line):
                    words.append(
                        {
                            "content": match.group(),
                            "polygon": [],
                            "confidence": 1.0,
                            "span": {"offset": offset + match.start(), "length": len(match.group())},
                        }
                    )
                offset += len(line) + 1
            content += "\n\n" if markdown else "\n"
        out_pages.append(
            {
                "pageNumber": number,
                "angle": 0.0,
                "width": 8.5,
                "height": 11.0,
                "unit": "inch",
                "spans": [{"offset": page_start, "length": len(content) - page_start}],
                "lines": lines,
                "words": words,
            }
        )
    content = content.rstrip("\n") + ("\n" if content else "")
    for page in out_pages:  # the last page's span ends where the trimmed content does
        span = page["spans"][0]
        span["length"] = min(span["length"], len(content) - span["offset"])
    return {
        "apiVersion": api_version,
        "modelId": model_id,
        "stringIndexType": "textElements",
        "content": content,
        "contentFormat": "markdown" if markdown else "text",
        "pages": out_pages,
        "paragraphs": paragraphs,
    }
