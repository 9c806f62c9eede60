"""The small `$filter` and paging subset ARM list calls use."""

from __future__ import annotations

import re
from typing import Any

from sandbox.core.errors import ArmError
from sandbox.core.http import ArmRequest, ArmResponse

_EQ = re.compile(r"\s*([\w/.]+)\s+eq\s+'((?:[^']|'')*)'\s*", re.IGNORECASE)
_CALL = re.compile(r"\s*(\w+)\(\s*(?:'((?:[^']|'')*)'\s*(?:,\s*([\w/.]+)\s*)?)?\)\s*", re.IGNORECASE)


def parse_filter(text: str | None) -> dict[str, str]:
    """`tagName eq 'env' and tagValue eq 'dev'` -> {"tagname": "env", "tagvalue": "dev"}.

    Functions come back as `"atscope()": ""`, `"substringof(name)": "x"`,
    `"assignedto()": "<id>"`.
    """
    out: dict[str, str] = {}
    if not text or not text.strip():
        return out
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        if m := _EQ.fullmatch(clause):
            out[m.group(1).lower()] = m.group(2).replace("''", "'")
        elif m := _CALL.fullmatch(clause):
            name = m.group(1).lower()
            arg = f"({m.group(3).lower()})" if m.group(3) else "()"
            out[name + arg] = (m.group(2) or "").replace("''", "'")
        else:
            # [mem] ARM's code for a filter it cannot parse.
            raise ArmError(400, "InvalidFilterInQueryString", f"Invalid $filter '{text}'.")
    return out


def page(req: ArmRequest, items: list[dict[str, Any]]) -> ArmResponse:
    """`{"value": [...], "nextLink": <absolute url>}` with `$skiptoken` offsets and `$top`."""
    top = req.q("$top")
    if top is not None:
        items = items[: max(0, int(top))]
    size = max(1, req.state.config.page_size)
    skip = int(req.q("$skiptoken") or 0)
    body: dict[str, Any] = {"value": items[skip : skip + size]}
    if skip + size < len(items):
        query = {k: v for k, v in req.query_pairs if k.lower() != "$skiptoken"}
        query["$skiptoken"] = str(skip + size)
        body["nextLink"] = req.url(req.path, **query)
    return ArmResponse(200, body)
