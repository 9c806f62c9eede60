"""The request/response objects handlers see: plain data, no Starlette types."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sandbox.core.errors import ArmError, invalid_request_content

if TYPE_CHECKING:
    from sandbox.core.state import SandboxState


@dataclass
class ArmResponse:
    """What a handler returns. `body=None` sends no body; dicts are sent as JSON."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ArmRequest:
    """One ARM call after auth, api-version and throttling have passed."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    query_pairs: list[tuple[str, str]]
    headers: dict[str, str]
    raw_body: bytes
    base_url: str
    state: SandboxState
    principal_id: str = ""
    canonical_path: str = ""
    principal_type: str = "Application"

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    def q(self, name: str, default: str | None = None) -> str | None:
        """A query parameter by case-insensitive name (`$filter`, `$top`, ...)."""
        return self.query.get(name.lower(), default)

    def json(self, *, required: bool = True) -> dict[str, Any]:
        """The JSON body; a missing or malformed body is ARM's 400 InvalidRequestContent."""
        if not self.raw_body.strip():
            if required:
                raise invalid_request_content("request body is empty")
            return {}
        try:
            doc = json.loads(self.raw_body)
        except ValueError as exc:
            raise invalid_request_content(str(exc)) from exc
        if not isinstance(doc, dict):
            raise invalid_request_content("expected a JSON object")
        return doc

    def url(self, path: str, **query: str) -> str:
        """An absolute URL on this sandbox (same scheme, host and port the client used)."""
        qs = urlencode(query) if query else ""
        return f"{self.base_url.rstrip('/')}{path}" + (f"?{qs}" if qs else "")

    def now(self) -> float:
        return self.state.clock.now()


def error_response(err: ArmError) -> ArmResponse:
    return ArmResponse(err.status, err.body(), dict(err.headers))
