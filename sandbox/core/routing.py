"""Declarative ARM routes: a provider module registers handlers against ARM path templates.

Templates use `{name}` for one path segment and `{name*}` for a whole scope (zero or more
segments, e.g. the `{scope}` of extension resources such as role assignments). Matching is
case-insensitive like ARM; captured values keep the client's casing.

    provider = Provider("Microsoft.ManagedIdentity")

    @provider.route("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/"
                           "Microsoft.ManagedIdentity/userAssignedIdentities/{name}")
    def get_identity(req: ArmRequest) -> ArmResponse: ...
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.core.http import ArmRequest, ArmResponse
    from sandbox.core.lro import Operation
    from sandbox.core.state import SandboxState

Handler = Callable[["ArmRequest"], "ArmResponse | dict[str, Any] | None"]
Completion = Callable[["SandboxState", "Operation"], None]
DeleteHook = Callable[["SandboxState", dict[str, Any]], None]
DeleteCheck = Callable[["SandboxState", dict[str, Any]], "dict[str, str] | None"]

_TOKEN = re.compile(r"(\{[A-Za-z_][A-Za-z0-9_]*\*?\})")


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    namespace: str
    regex: re.Pattern[str] = field(init=False)
    greedy: bool = field(init=False)
    literal_len: int = field(init=False)

    def __post_init__(self) -> None:
        parts = []
        self.greedy = False
        self.literal_len = 0
        for tok in _TOKEN.split(self.template):
            if tok.startswith("{") and tok.endswith("*}"):
                parts.append(f"(?P<{tok[1:-2]}>(?:/[^/]+)*?)")
                self.greedy = True
            elif tok.startswith("{"):
                parts.append(f"(?P<{tok[1:-1]}>[^/]+)")
            else:
                parts.append(re.escape(tok))
                self.literal_len += len(tok)
        self.regex = re.compile("".join(parts), re.IGNORECASE)

    def match(self, path: str) -> dict[str, str] | None:
        m = self.regex.fullmatch(path)
        return None if m is None else {k: v for k, v in m.groupdict().items()}

    def canonical(self, params: dict[str, str]) -> str:
        """The path with the template's casing for fixed segments (how ARM spells ids)."""
        return _TOKEN.sub(lambda m: params[m.group(1).strip("{}*")], self.template)


class Provider:
    """One resource provider module: its routes, LRO completions and cascade-delete hooks."""

    def __init__(self, namespace: str, *, registered_by_default: bool = True) -> None:
        self.namespace = namespace
        self.registered_by_default = registered_by_default
        self.routes: list[Route] = []
        self.completions: dict[str, Completion] = {}
        self.delete_hooks: dict[str, DeleteHook] = {}
        self.delete_checks: dict[str, DeleteCheck] = {}

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes.append(Route(method.upper(), template, fn, self.namespace))
            return fn

        return deco

    def completion(self, name: str) -> Callable[[Completion], Completion]:
        """Register what happens when an LRO of this provider finishes (by name, so it persists)."""

        def deco(fn: Completion) -> Completion:
            self.completions[f"{self.namespace}:{name}".lower()] = fn
            return fn

        return deco

    def on_delete(self, resource_type: str) -> Callable[[DeleteHook], DeleteHook]:
        """Run `fn(state, doc)` when a resource of this type goes with its resource group."""

        def deco(fn: DeleteHook) -> DeleteHook:
            self.delete_hooks[resource_type.lower()] = fn
            return fn

        return deco

    def delete_check(self, resource_type: str) -> Callable[[DeleteCheck], DeleteCheck]:
        """`fn(state, doc)` says why a resource of this type cannot go with its group, else None.

        The answer is the resource's own error (`{"code", "message"}`), as ARM lists it in the
        details of ResourceGroupDeletionBlocked.
        """

        def deco(fn: DeleteCheck) -> DeleteCheck:
            self.delete_checks[resource_type.lower()] = fn
            return fn

        return deco


@dataclass
class Match:
    route: Route
    params: dict[str, str]


class Router:
    """All providers' routes, most specific first; greedy scope routes last."""

    def __init__(self, providers: list[Provider]) -> None:
        self.providers = providers
        routes = [r for p in providers for r in p.routes]
        self.routes = sorted(routes, key=lambda r: (r.greedy, -r.literal_len))
        self.completions: dict[str, Completion] = {}
        self.delete_hooks: dict[str, DeleteHook] = {}
        self.delete_checks: dict[str, DeleteCheck] = {}
        for p in providers:
            self.completions.update(p.completions)
            self.delete_hooks.update(p.delete_hooks)
            self.delete_checks.update(p.delete_checks)

    def resolve(self, method: str, path: str) -> tuple[Match | None, bool]:
        """The matching route, and whether the path matched some route under another method."""
        other_method = False
        for route in self.routes:
            params = route.match(path)
            if params is None:
                continue
            if route.method == method:
                return Match(route, params), False
            other_method = True
        return None, other_method

    def namespaces(self) -> set[str]:
        return {p.namespace.lower() for p in self.providers}
