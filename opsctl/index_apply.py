"""`opsctl index apply`: make the live search indexes match their definitions as code.

Each declared index is read back (GET), compared with its definition, and created or updated only
when they differ, so a re-run writes nothing. A definition is the desired state of what it says: an
attribute it leaves out is the service's default and is not compared (Azure returns every default
explicitly), so the same file is "up to date" on Azure and in the sandbox.

Changes Azure cannot make in place (learn.microsoft.com/azure/search/search-howto-reindex,
"Modifications requiring a rebuild": deleting a field, changing a field's type or its searchable,
filterable, sortable, facetable attributes, assigning an analyzer; the catalog's
REBUILD_FIELD_ATTRIBUTES) are refused unless the caller rebuilds: delete, then create, which loses
the index's documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from infra.catalog.search import REBUILD_FIELD_ATTRIBUTES
from opsctl.denied import with_role
from opsctl.errors import OpsError

if TYPE_CHECKING:
    from opsctl.dataplane import DataPlane
    from opsctl.indexes import IndexDefinition

# Creating and updating indexes: Search Service Contributor, or Owner/Contributor, which "on the data
# plane ... has the same access as the Search Service Contributor role" (learn.microsoft.com/azure/
# search/search-security-rbac); the developer preset grants it.
MANAGER_ROLE = "Search Service Contributor"
T = TypeVar("T")
REINDEX_DOC = "learn.microsoft.com/azure/search/search-howto-reindex"
# Top-level sections an index may hold besides its fields: a live one the definition leaves out
# is reported as removed (the definition is the whole desired state of these).
SECTIONS = (
    "vectorSearch",
    "semantic",
    "scoringProfiles",
    "suggesters",
    "corsOptions",
    "defaultScoringProfile",
)
IGNORED_KEYS = ("name", "fields", "@odata.etag", "@odata.context", "eTag")


@dataclass(frozen=True)
class IndexChange:
    """One difference: `path` in the index (`fields.title.type`), and why it needs a rebuild."""

    kind: str  # add | change | remove
    path: str
    before: Any
    after: Any
    rebuild: str | None = None


@dataclass
class IndexPlan:
    """What applying one definition does: create, update, rebuild, or nothing."""

    name: str
    file: str
    exists: bool
    changes: list[IndexChange] = field(default_factory=list)
    documents: int | None = None
    result: str | None = None

    @property
    def needs_rebuild(self) -> bool:
        return any(c.rebuild for c in self.changes)

    @property
    def action(self) -> str:
        if not self.exists:
            return "create"
        if not self.changes:
            return "up to date"
        return "rebuild" if self.needs_rebuild else "update"

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.name,
            "file": self.file,
            "action": self.action,
            "result": self.result,
            "documents": self.documents,
            "changes": [vars(c) for c in self.changes],
        }


# -- diff ------------------------------------------------------------------------------------------
def diff_index(declared: dict[str, Any], live: dict[str, Any]) -> list[IndexChange]:
    """The changes that turn the live index into the declared one."""
    changes = _field_changes(declared.get("fields") or [], live.get("fields") or [])
    for key in [k for k in declared if k not in IGNORED_KEYS]:
        if not _covers(declared[key], live.get(key)):
            changes.append(
                IndexChange("change" if _set(live.get(key)) else "add", key, live.get(key), declared[key])
            )
    changes += [
        IndexChange("remove", key, live[key], None)
        for key in SECTIONS
        if key not in declared and _set(live.get(key))
    ]
    return changes


def _field_changes(declared: list[dict[str, Any]], live: list[dict[str, Any]]) -> list[IndexChange]:
    by_name = {str(f["name"]).lower(): f for f in live}
    wanted = {str(f["name"]).lower() for f in declared}
    changes = []
    for want in declared:
        got = by_name.get(str(want["name"]).lower())
        if got is None:
            changes.append(IndexChange("add", f"fields.{want['name']}", None, want))
            continue
        for attr, value in want.items():
            if attr != "name" and not _covers(value, got.get(attr)):
                rebuild = f"a field's {attr} cannot change in place ({REINDEX_DOC})"
                changes.append(
                    IndexChange(
                        "change",
                        f"fields.{want['name']}.{attr}",
                        got.get(attr),
                        value,
                        rebuild if attr in REBUILD_FIELD_ATTRIBUTES else None,
                    )
                )
    changes += [
        IndexChange(
            "remove", f"fields.{f['name']}", f, None, f"a field is removed only by a rebuild ({REINDEX_DOC})"
        )
        for f in live
        if str(f["name"]).lower() not in wanted
    ]
    return changes


def _set(value: Any) -> bool:
    """Unset, false and empty mean the same: the service's default."""
    return value is not None and value is not False and value != [] and value != {} and value != ""


def _covers(want: Any, got: Any) -> bool:
    """Whether the live value `got` is what `want` declares (keys `want` leaves out are defaults)."""
    if isinstance(want, dict):
        got = got if isinstance(got, dict) else {}
        return all(_covers(v, got.get(k)) for k, v in want.items())
    if isinstance(want, list):
        got = got if isinstance(got, list) else []
        return len(want) == len(got) and all(_covers(w, g) for w, g in zip(want, got, strict=True))
    if not _set(want) or not _set(got):
        return _set(want) == _set(got)
    return bool(want == got)


# -- live state and writes -------------------------------------------------------------------------
def plan_indexes(plane: DataPlane, definitions: list[IndexDefinition]) -> list[IndexPlan]:
    """Read each declared index and compare; reads only."""
    from azure.core.exceptions import ResourceNotFoundError

    client = plane.search_index_client()

    def read(name: str) -> dict[str, Any] | None:
        try:
            return dict(client.get_index(name).as_dict())
        except ResourceNotFoundError:
            return None

    plans = []
    for definition in definitions:
        live = _as_manager(plane, partial(read, definition.name))
        if live is None:
            plans.append(IndexPlan(definition.name, definition.label, exists=False))
            continue
        plan = IndexPlan(definition.name, definition.label, True, diff_index(definition.body, live))
        if plan.needs_rebuild:
            plan.documents = _as_manager(plane, partial(document_count, client, definition.name))
        plans.append(plan)
    return plans


def document_count(client: Any, name: str) -> int:
    stats = client.get_index_statistics(name)
    return int(stats.get("documentCount") or 0)


def apply_plans(plane: DataPlane, definitions: list[IndexDefinition], plans: list[IndexPlan]) -> None:
    """Create, update or rebuild what differs (the caller checked rebuilds are allowed)."""
    from azure.search.documents.indexes.models import SearchIndex

    client = plane.search_index_client()
    bodies = {d.name: d.body for d in definitions}
    for plan in plans:
        action = plan.action
        if action == "up to date":
            plan.result = action
            continue
        if action == "rebuild":
            _as_manager(plane, partial(client.delete_index, plan.name))
        _as_manager(plane, partial(client.create_or_update_index, SearchIndex(bodies[plan.name])))
        plan.result = {"create": "created", "update": "updated", "rebuild": "rebuilt"}[action]


def _as_manager(plane: DataPlane, call: Callable[[], T]) -> T:
    """An index-management call: waits while a new grant applies, else one line naming the fix."""
    return with_role(plane, "search", MANAGER_ROLE, call, preset="developer")


def refusal(plans: list[IndexPlan], stack: str) -> OpsError | None:
    """Changes Azure cannot make in place, said in one line, when the caller did not ask to rebuild."""
    blocked = [p for p in plans if p.needs_rebuild]
    if not blocked:
        return None
    first = blocked[0]
    change = next(c for c in first.changes if c.rebuild)
    return OpsError(
        f"index '{first.name}': {change.path} {shown(change.before)} -> {shown(change.after)}: "
        f"{change.rebuild}",
        hint=f"re-run with --rebuild to delete and recreate it (its {first.documents} documents are "
        f"lost; re-ingest them): `opsctl index apply --stack {stack} --index {first.name} --rebuild`",
    )


def shown(value: Any) -> str:
    """A value in a line: a field by its type, a section as compact JSON."""
    if isinstance(value, dict) and "type" in value:
        return str(value["type"])
    return json.dumps(value, separators=(",", ":")) if value is not None else "(none)"
