"""The common forms of Azure AI Search's OData `$filter`, compiled to a predicate on a document.

Supported (MS Learn search-query-odata-filter.md and the syntax reference): comparisons
`eq ne gt lt ge le` between a field path and a literal (strings in single quotes with `''`
escapes, numbers, `true`/`false`/`null`, unquoted DateTimeOffset), `and`/`or`/`not` with
parentheses, `search.in(field, 'a,b[,c]'[, 'delimiters'])`, and `any`/`all` on collections with
a lambda (`tags/any(t: t eq 'x')`, `tags/any()`). A field used bare is a boolean test. Anything
else is a 400 naming the position, as Azure's "Invalid expression" errors do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox.dataplane import DataPlaneError

Pred = Callable[[dict[str, Any], dict[str, Any]], Any]
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<dt>\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<id>[A-Za-z_][\w.]*)|(?P<p>[(),:/]))"
)
_OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}
_LITERALS = {"true": True, "false": False, "null": None}


def bad(text: str, message: str) -> DataPlaneError:
    return DataPlaneError(400, "", f"Invalid expression: {message}\r\nParameter name: $filter ({text!r})")


def compile_filter(text: str, fields: set[str]) -> Callable[[dict[str, Any]], bool]:
    parser = _Parser(text, fields)
    pred = parser.expr()
    if parser.peek() is not None:
        raise bad(text, f"Syntax error at position {parser.pos} in '{text}'.")
    return lambda doc: bool(pred(doc, {}))


class _Parser:
    def __init__(self, text: str, fields: set[str]) -> None:
        self.text = text
        self.fields = fields
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise bad(text, f"Syntax error at position {pos} in '{text}'.")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    @property
    def pos(self) -> int:
        return self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def word(self) -> str:
        tok = self.peek()
        return tok[1].lower() if tok and tok[0] in ("id", "p") else ""

    def take(self, value: str) -> None:
        if self.word() != value:
            raise bad(self.text, f"'{value}' expected at position {self.pos} in '{self.text}'.")
        self.i += 1

    def expr(self) -> Pred:
        left = self.conj()
        while self.word() == "or":
            self.i += 1
            left = _or(left, self.conj())
        return left

    def conj(self) -> Pred:
        left = self.unary()
        while self.word() == "and":
            self.i += 1
            left = _and(left, self.unary())
        return left

    def unary(self) -> Pred:
        if self.word() == "not":
            self.i += 1
            inner = self.unary()
            return lambda d, e: not inner(d, e)
        return self.primary()

    def primary(self) -> Pred:
        if self.word() == "(":
            self.i += 1
            inner = self.expr()
            self.take(")")
            return inner
        if self.word() == "search.in":
            return self.search_in()
        left = self.operand()
        op = self.word()
        if op in _OPS:
            self.i += 1
            right = self.operand()
            fn = _OPS[op]
            return lambda d, e: fn(left(d, e), right(d, e))
        return left

    def operand(self) -> Pred:
        tok = self.peek()
        if tok is None:
            raise bad(self.text, f"Expression expected at end of '{self.text}'.")
        kind, value, _ = tok
        self.i += 1
        if kind == "str":
            text = value[1:-1].replace("''", "'")
            return lambda d, e: text
        if kind == "dt":
            return lambda d, e: value
        if kind == "num":
            number = float(value) if any(c in value for c in ".eE") else int(value)
            return lambda d, e: number
        if kind == "id" and value.lower() in _LITERALS:
            lit = _LITERALS[value.lower()]
            return lambda d, e: lit
        if kind != "id":
            raise bad(self.text, f"Syntax error at position {tok[2]} in '{self.text}'.")
        return self.path(value)

    def path(self, head: str) -> Pred:
        parts = [head]
        while self.word() == "/":
            self.i += 1
            nxt = self.peek()
            if nxt is None or nxt[0] != "id":
                raise bad(self.text, f"Field name expected at position {self.pos} in '{self.text}'.")
            self.i += 1
            if nxt[1].lower() in ("any", "all"):
                return self.lambda_(parts, nxt[1].lower())
            parts.append(nxt[1])
        return self.resolve(parts)

    def resolve(self, parts: list[str]) -> Pred:
        head = parts[0]

        def get(d: dict[str, Any], e: dict[str, Any]) -> Any:
            value = e[head] if head in e else d.get(head)
            for p in parts[1:]:
                value = value.get(p) if isinstance(value, dict) else None
            return value

        return get

    def lambda_(self, parts: list[str], kind: str) -> Pred:
        coll = self.resolve(parts)
        self.take("(")
        if self.word() == ")":
            self.i += 1
            return lambda d, e: bool(coll(d, e))
        var = self.peek()
        if var is None or var[0] != "id":
            raise bad(self.text, f"Lambda variable expected at position {self.pos} in '{self.text}'.")
        self.i += 1
        self.take(":")
        body = self.expr()
        self.take(")")
        name = var[1]
        check = any if kind == "any" else all
        return lambda d, e: check(body(d, {**e, name: item}) for item in coll(d, e) or [])

    def search_in(self) -> Pred:
        self.i += 1
        self.take("(")
        target = self.operand()
        self.take(",")
        values = self.operand()({}, {})
        delims = " ,"
        if self.word() == ",":
            self.i += 1
            delims = str(self.operand()({}, {}))
        self.take(")")
        allowed = {v for v in re.split("[" + re.escape(delims) + "]", str(values)) if v}
        return lambda d, e: target(d, e) in allowed


def _or(a: Pred, b: Pred) -> Pred:
    return lambda d, e: a(d, e) or b(d, e)


def _and(a: Pred, b: Pred) -> Pred:
    return lambda d, e: a(d, e) and b(d, e)
