"""ARM resource ids: parsing scopes and canonical keys.

ARM compares ids case-insensitively, so the store keys everything by `key(id)` (lower case,
no trailing slash) and keeps the casing of the first write inside the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SLASHES = re.compile(r"/+")


def normalize(path: str) -> str:
    """One leading slash, no doubled or trailing slashes."""
    path = _SLASHES.sub("/", "/" + path.strip())
    return path.rstrip("/") or "/"


def key(resource_id: str) -> str:
    return normalize(resource_id).lower()


def is_within(resource_id: str, scope: str) -> bool:
    """True when `resource_id` is `scope` itself or lies below it."""
    rid, sc = key(resource_id), key(scope)
    return rid == sc or rid.startswith(sc + "/")


@dataclass(frozen=True)
class ResourceId:
    """The parts of an id that routing and listing need."""

    subscription: str | None
    resource_group: str | None
    namespace: str | None
    type: str | None
    name: str | None
    top_level: bool

    @property
    def rg_id(self) -> str | None:
        if self.subscription and self.resource_group:
            return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
        return None


def parse(resource_id: str) -> ResourceId:
    """Parse an id's last provider segment; `top_level`: ns/type/name directly in a group."""
    parts = [p for p in normalize(resource_id).split("/") if p]
    low = [p.lower() for p in parts]
    sub = parts[1] if len(parts) > 1 and low[0] == "subscriptions" else None
    rg = parts[3] if len(parts) > 3 and sub and low[2] == "resourcegroups" else None
    if "providers" not in low:
        return ResourceId(sub, rg, None, None, None, False)
    p = len(low) - 1 - low[::-1].index("providers")
    rest = parts[p + 1 :]
    ns = rest[0] if rest else None
    pairs = rest[1:]
    types = pairs[0::2]
    names = pairs[1::2]
    full_type = f"{ns}/{'/'.join(types)}" if ns and types else ns
    name = names[-1] if names and len(names) == len(types) else None
    top = bool(rg) and low.count("providers") == 1 and p == 4 and len(pairs) == 2
    return ResourceId(sub, rg, ns, full_type, name, top)
