"""Fault injection: rules matched by method and path regex, applied before ARM sees the call.

Kinds:
- `throttle`: 429 with Retry-After and ARM's `SubscriptionRequestsThrottled` body.
- `error`: any status (500, 503, 409 ...) with a given code/message (optional Retry-After).
- `drop`: the connection is closed without any response.
- `delay`: the response is held back for `delay` simulated seconds, then served normally.
- `lro`: the long-running operation the matching request starts ends `Failed` (or `Canceled`).

Rules persist in the state database, so another process can set them through the admin API.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.core.store import Store

KINDS = ("throttle", "error", "drop", "delay", "lro")
_KIND = "fault"


@dataclass
class Fault:
    """One rule; `times=None` applies it forever, otherwise to the next `times` matches."""

    kind: str
    path: str = ".*"
    method: str = "*"
    times: int | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    delay: float = 0.0
    lro_status: str = "Failed"
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    hits: int = 0
    seq: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method.upper()):
            return False
        return re.search(self.path, path, re.IGNORECASE) is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    """The Python API over the persisted rules (the admin HTTP API uses the same object)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, kind: str, path: str = ".*", method: str = "*", **kw: Any) -> Fault:
        existing = self.list()
        fault = Fault(kind=kind, path=path, method=method.upper(), **kw)
        fault.seq = max((f.seq for f in existing), default=0) + 1
        with self._store.transaction():
            self._store.put_record(_KIND, fault.id, fault.to_dict())
        return fault

    def throttle(self, path: str = ".*", method: str = "*", *, retry_after: float = 1, **kw: Any) -> Fault:
        return self.add("throttle", path, method, retry_after=retry_after, **kw)

    def error(
        self, status: int, code: str, message: str, path: str = ".*", method: str = "*", **kw: Any
    ) -> Fault:
        return self.add("error", path, method, status=status, code=code, message=message, **kw)

    def drop(self, path: str = ".*", method: str = "*", **kw: Any) -> Fault:
        return self.add("drop", path, method, **kw)

    def delay(self, seconds: float, path: str = ".*", method: str = "*", **kw: Any) -> Fault:
        return self.add("delay", path, method, delay=seconds, **kw)

    def fail_lro(self, code: str, message: str, path: str = ".*", method: str = "*", **kw: Any) -> Fault:
        return self.add("lro", path, method, code=code, message=message, **kw)

    def list(self) -> list[Fault]:
        faults = [Fault(**d) for d in self._store.records(_KIND)]
        return sorted(faults, key=lambda f: f.seq)

    def remove(self, fault_id: str) -> bool:
        with self._store.transaction():
            return self._store.delete_record(_KIND, fault_id) > 0

    def clear(self) -> None:
        with self._store.transaction():
            self._store.delete_record(_KIND)

    def take(self, method: str, path: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first matching rule of these kinds, counting the hit (and retiring spent rules).

        Reads without a write transaction first: most calls match no rule.
        """
        if self._match(method, path, kinds) is None:
            return None
        with self._store.transaction():
            fault = self._match(method, path, kinds)
            if fault is None:
                return None
            fault.hits += 1
            if fault.times is not None:
                fault.times -= 1
            if fault.times is not None and fault.times <= 0:
                self._store.delete_record(_KIND, fault.id)
            else:
                self._store.put_record(_KIND, fault.id, fault.to_dict())
            return fault

    def _match(self, method: str, path: str, kinds: tuple[str, ...]) -> Fault | None:
        return next((f for f in self.list() if f.kind in kinds and f.matches(method, path)), None)
