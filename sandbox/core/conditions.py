"""Role-assignment conditions (Azure ABAC, condition version 2.0): parse and evaluate.

The grammar is the subset the README's constrained "Role Based Access Control Administrator"
recipe and MS Learn's delegation examples use (role-based-access-control/
delegate-role-assignments-examples.md):

    expr    := term (OR term)*            term := factor (AND factor)*
    factor  := (! | NOT) factor | '(' expr ')' | ActionMatches{'a'} | SubOperationMatches{'s'}
             | @Source[attribute] [ForAnyOfAnyValues: | ForAllOfAnyValues: | ForAnyOfAllValues: |
               ForAllOfAllValues:] Operator value
    value   := 'text' | GUID | '{' item (',' item)* '}'

Operators: GuidEquals/GuidNotEquals, StringEquals/StringNotEquals (case-sensitive),
StringEqualsIgnoreCase/StringNotEqualsIgnoreCase. An attribute the request does not carry has no
values, so every `ForAny...` comparison over it is false. A condition the sandbox cannot parse
fails closed (grants nothing) [sandbox choice: Azure validates conditions when the assignment is
written, which the sandbox does not].
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'[^']*')|(?P<attr>@\w+\[[^\]]+\])|(?P<punct>[(){},!])"
    r"|(?P<word>[A-Za-z0-9_.:\-/*]+))",
)
_OPS: dict[str, Callable[[str, str], bool]] = {
    "guidequals": lambda a, b: a.lower() == b.lower(),
    "guidnotequals": lambda a, b: a.lower() != b.lower(),
    "stringequals": lambda a, b: a == b,
    "stringnotequals": lambda a, b: a != b,
    "stringequalsignorecase": lambda a, b: a.lower() == b.lower(),
    "stringnotequalsignorecase": lambda a, b: a.lower() != b.lower(),
}


class ConditionError(ValueError):
    """The condition text is outside the supported grammar."""


@dataclass(frozen=True)
class Context:
    """What a condition can see: the action being authorized and the request's attributes,
    keyed `request:<attribute>` / `resource:<attribute>` in lower case."""

    action: str
    attributes: Mapping[str, Sequence[str]]
    matches: Callable[[str, str], bool]


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class ActionMatches:
    pattern: str


@dataclass(frozen=True)
class Compare:
    attribute: str
    quantifier: str  # "" | foranyofanyvalues | ...
    operator: str
    values: tuple[str, ...]


Node = Not | BoolOp | ActionMatches | Compare


def parse(text: str) -> Node:
    tokens = _tokenize(text)
    node, pos = _expr(tokens, 0)
    if pos != len(tokens):
        raise ConditionError(f"unexpected '{tokens[pos]}' in the condition")
    return node


def evaluate(text: str, ctx: Context) -> bool:
    """True when the condition holds; False also when it cannot be parsed (fail closed)."""
    try:
        return _eval(parse(text), ctx)
    except ConditionError:
        return False


def _tokenize(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ConditionError(f"cannot read the condition at '{text[pos : pos + 20]}'")
        out.append(m.group(m.lastgroup or "word"))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _expr(t: list[str], i: int) -> tuple[Node, int]:
    node, i = _term(t, i)
    parts = [node]
    while i < len(t) and t[i].lower() == "or":
        node, i = _term(t, i + 1)
        parts.append(node)
    return (parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))), i


def _term(t: list[str], i: int) -> tuple[Node, int]:
    node, i = _factor(t, i)
    parts = [node]
    while i < len(t) and t[i].lower() == "and":
        node, i = _factor(t, i + 1)
        parts.append(node)
    return (parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))), i


def _factor(t: list[str], i: int) -> tuple[Node, int]:
    if i >= len(t):
        raise ConditionError("the condition ends too early")
    tok = t[i]
    if tok == "!" or tok.lower() == "not":
        inner, i = _factor(t, i + 1)
        return Not(inner), i
    if tok == "(":
        node, i = _expr(t, i + 1)
        _expect(t, i, ")")
        return node, i + 1
    if tok.lower() in ("actionmatches", "suboperationmatches"):
        _expect(t, i + 1, "{")
        _expect(t, i + 3, "}")
        return ActionMatches(_unquote(t[i + 2])), i + 4
    if tok.startswith("@"):
        return _compare(t, i)
    raise ConditionError(f"unexpected '{tok}' in the condition")


def _compare(t: list[str], i: int) -> tuple[Node, int]:
    m = re.fullmatch(r"@(\w+)\[([^\]]+)\]", t[i])
    if m is None or i + 2 >= len(t):
        raise ConditionError(f"cannot read the attribute '{t[i]}'")
    attribute = f"{m.group(1).lower()}:{m.group(2).strip().lower()}"
    quantifier, _, operator = t[i + 1].lower().rpartition(":")
    if operator not in _OPS:
        raise ConditionError(f"unsupported operator '{t[i + 1]}'")
    i += 2
    if t[i] != "{":
        return Compare(attribute, quantifier, operator, (_unquote(t[i]),)), i + 1
    values, i = [], i + 1
    while i < len(t) and t[i] != "}":
        if t[i] != ",":
            values.append(_unquote(t[i]))
        i += 1
    _expect(t, i, "}")
    return Compare(attribute, quantifier, operator, tuple(values)), i + 1


def _expect(t: list[str], i: int, want: str) -> None:
    if i >= len(t) or t[i] != want:
        raise ConditionError(f"expected '{want}' in the condition")


def _unquote(tok: str) -> str:
    return tok[1:-1] if len(tok) >= 2 and tok[0] == tok[-1] == "'" else tok


def _eval(node: Node, ctx: Context) -> bool:
    if isinstance(node, Not):
        return not _eval(node.inner, ctx)
    if isinstance(node, BoolOp):
        results = (_eval(p, ctx) for p in node.parts)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, ActionMatches):
        return ctx.matches(node.pattern, ctx.action)
    return _compare_values(node, list(ctx.attributes.get(node.attribute, ())))


def _compare_values(node: Compare, left: list[str]) -> bool:
    op = _OPS[node.operator]
    if not left:
        return False
    outer_all = node.quantifier.startswith("forall")
    inner_all = node.quantifier.endswith("allvalues")
    if not node.quantifier:
        outer_all, inner_all = False, False

    def one(value: str) -> bool:
        checks = (op(value, v) for v in node.values)
        return all(checks) if inner_all else any(checks)

    return all(one(v) for v in left) if outer_all else any(one(v) for v in left)
