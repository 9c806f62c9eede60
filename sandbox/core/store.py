"""SQLite persistence: one database file per state dir, WAL mode, one transaction per request.

Tables:
- `resources`: every ARM resource as a JSON document keyed by the lower-cased id.
- `operations`: long-running operations (deadlines in simulated seconds) and their monitor URLs.
- `records`: small keyed documents by kind (principals, faults, provider registrations, ...).
- `requests`: the ARM request log.
- `meta`: the persisted simulated clock and other scalars.

`synchronous=NORMAL` with WAL keeps every committed transaction across a killed process
(SIGKILL); only a power loss could drop the last commits.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sandbox.core import armid

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, rg TEXT NOT NULL, tracked INTEGER NOT NULL,
    created REAL NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS resources_rg ON resources(rg, type);
CREATE INDEX IF NOT EXISTS resources_type ON resources(type);
CREATE TABLE IF NOT EXISTS operations (
    id TEXT PRIMARY KEY, monitor TEXT UNIQUE, status TEXT NOT NULL, deadline REAL NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS operations_due ON operations(status, deadline);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, time REAL, sim_time REAL, method TEXT, path TEXT,
    api_version TEXT, status INTEGER, duration_ms REAL, client_request_id TEXT,
    request_id TEXT, principal_id TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    """Thread-safe access to the state database; nested `transaction()` calls join the outer one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0
        self.on_commit: list[Any] = []

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """BEGIN IMMEDIATE ... COMMIT; an exception rolls the whole request back."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                for hook in self.on_commit:
                    hook(self)
                self._conn.execute("COMMIT")

    def _q(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, args))

    def _x(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    # -- resources -------------------------------------------------------------------------
    def get(self, resource_id: str) -> dict[str, Any] | None:
        rows = self._q("SELECT doc FROM resources WHERE id=?", (armid.key(resource_id),))
        return json.loads(rows[0][0]) if rows else None

    def put(self, doc: dict[str, Any], *, created: float = 0.0) -> dict[str, Any]:
        """Insert or replace a resource document (its `id` and `type` fields are the keys)."""
        rid = armid.parse(doc["id"])
        tracked = int(rid.top_level and "location" in doc)
        rg = armid.key(rid.rg_id) if rid.rg_id else ""
        self._x(
            "INSERT INTO resources(id, type, rg, tracked, created, doc) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET type=excluded.type, doc=excluded.doc",
            (armid.key(doc["id"]), doc["type"].lower(), rg, tracked, created, json.dumps(doc)),
        )
        return doc

    def delete(self, resource_id: str) -> bool:
        return self._x("DELETE FROM resources WHERE id=?", (armid.key(resource_id),)) > 0

    def find(
        self,
        *,
        type: str | None = None,
        rg: str | None = None,
        within: str | None = None,
        tracked: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Resources filtered by type, resource group id, id prefix (scope) and trackedness."""
        sql, args = "SELECT doc FROM resources WHERE 1=1", list[Any]()
        if type is not None:
            sql += " AND type=?"
            args.append(type.lower())
        if rg is not None:
            sql += " AND rg=?"
            args.append(armid.key(rg))
        if within is not None:
            k = armid.key(within)
            sql += " AND (id=? OR substr(id, 1, ?)=?)"
            args += [k, len(k) + 1, k + "/"]
        if tracked is not None:
            sql += " AND tracked=?"
            args.append(int(tracked))
        sql += " ORDER BY created, id"
        return [json.loads(r[0]) for r in self._q(sql, tuple(args))]

    def counts_by_type(self) -> dict[str, int]:
        rows = self._q("SELECT type, count(*) FROM resources GROUP BY type ORDER BY type")
        return {r[0]: r[1] for r in rows}

    def record_counts(self) -> dict[str, int]:
        rows = self._q("SELECT kind, count(*) FROM records GROUP BY kind ORDER BY kind")
        return {r[0]: r[1] for r in rows}

    def count(self, table: str) -> int:
        """Rows of `operations` or `requests` (what a reset would drop)."""
        if table not in ("operations", "requests"):
            raise ValueError(f"no such table '{table}'")
        return int(self._q(f"SELECT count(*) FROM {table}")[0][0])

    # -- records ---------------------------------------------------------------------------
    def record(self, kind: str, key: str) -> dict[str, Any] | None:
        rows = self._q("SELECT doc FROM records WHERE kind=? AND key=?", (kind, key.lower()))
        return json.loads(rows[0][0]) if rows else None

    def put_record(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        self._x(
            "INSERT OR REPLACE INTO records(kind, key, doc) VALUES (?,?,?)",
            (kind, key.lower(), json.dumps(doc)),
        )

    def delete_record(self, kind: str, key: str | None = None) -> int:
        if key is None:
            return self._x("DELETE FROM records WHERE kind=?", (kind,))
        return self._x("DELETE FROM records WHERE kind=? AND key=?", (kind, key.lower()))

    def records(self, kind: str) -> list[dict[str, Any]]:
        rows = self._q("SELECT doc FROM records WHERE kind=? ORDER BY rowid", (kind,))
        return [json.loads(r[0]) for r in rows]

    # -- operations ------------------------------------------------------------------------
    def put_operation(self, op: dict[str, Any]) -> None:
        self._x(
            "INSERT OR REPLACE INTO operations(id, monitor, status, deadline, doc) VALUES (?,?,?,?,?)",
            (op["id"], op["monitor"].lower(), op["status"], op["deadline"], json.dumps(op)),
        )

    def operation_by_monitor(self, path: str) -> dict[str, Any] | None:
        rows = self._q("SELECT doc FROM operations WHERE monitor=?", (path.lower(),))
        return json.loads(rows[0][0]) if rows else None

    def operation(self, op_id: str) -> dict[str, Any] | None:
        rows = self._q("SELECT doc FROM operations WHERE id=?", (op_id,))
        return json.loads(rows[0][0]) if rows else None

    def due_operations(self, now: float) -> list[dict[str, Any]]:
        rows = self._q(
            "SELECT doc FROM operations WHERE status='InProgress' AND deadline<=? ORDER BY deadline",
            (now,),
        )
        return [json.loads(r[0]) for r in rows]

    def running_operations(self, resource_id: str) -> list[dict[str, Any]]:
        rows = self._q("SELECT doc FROM operations WHERE status='InProgress'")
        ops = [json.loads(r[0]) for r in rows]
        return [o for o in ops if armid.key(o.get("resource_id", "")) == armid.key(resource_id)]

    # -- request log -----------------------------------------------------------------------
    def log_request(self, entry: dict[str, Any]) -> None:
        cols = [
            "time",
            "sim_time",
            "method",
            "path",
            "api_version",
            "status",
            "duration_ms",
            "client_request_id",
            "request_id",
            "principal_id",
        ]
        self._x(
            f"INSERT INTO requests({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            tuple(entry.get(c) for c in cols),
        )

    def requests(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        since: float | None = None,
        since_seq: int | None = None,
    ) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM requests WHERE 1=1", list[Any]()
        if method:
            sql += " AND method=?"
            args.append(method.upper())
        if path:
            sql += " AND instr(lower(path), ?) > 0"
            args.append(path.lower())
        if since is not None:
            sql += " AND time>=?"
            args.append(since)
        if since_seq is not None:
            sql += " AND seq>?"
            args.append(since_seq)
        with self._lock:
            cur = self._conn.execute(sql + " ORDER BY seq", tuple(args))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur]

    def clear_requests(self) -> None:
        self._x("DELETE FROM requests")

    # -- meta ------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        rows = self._q("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._x("INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)", (key, value))

    def wipe(self) -> None:
        """Remove all state except `meta` (keys, clock)."""
        with self.transaction():
            for table in ("resources", "operations", "records", "requests"):
                self._x(f"DELETE FROM {table}")
