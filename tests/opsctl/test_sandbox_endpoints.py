"""Sandbox mode: status, output and up show where the sandbox serves each data plane, next to the
endpoint ARM reports in Azure's form (which the resource keeps)."""

from __future__ import annotations

import json
from typing import Any


def test_status_shows_the_sandbox_data_plane_url_beside_azures(
    live: Any, opsctl: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one table line per row
    endpoint = live.sandbox.connection.endpoint
    result = opsctl("status", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 0, result.err
    rows = {r["resource"]: r for r in json.loads(result.out)["resources"]}
    search = rows["search"]
    assert search["endpoint"].rstrip("/").endswith(".search.windows.net")
    assert search["sandboxEndpoint"] == f"{endpoint}/search/{live.env().names.search}"
    assert rows["openai"]["sandboxEndpoint"].startswith(f"{endpoint}/cognitive/")
    assert rows["registry"]["sandboxEndpoint"] is None

    table = opsctl("status", "--stack", "dev", "--project-dir", str(live.project))
    assert f"(sandbox: {endpoint}/search/" in table.out


def test_output_and_up_mark_the_sandbox_endpoints(live: Any, opsctl: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    endpoint = live.sandbox.connection.endpoint
    table = opsctl("output", "searchEndpoint", "--stack", "dev", "--project-dir", str(live.project))
    assert table.code == 0, table.err
    assert "(sandbox:" in table.out and "search.windows.net" in table.out

    plain = opsctl(
        "output", "searchEndpoint", "--stack", "dev", "--project-dir", str(live.project), "-o", "json"
    )
    assert json.loads(plain.out).rstrip("/").endswith(".search.windows.net")

    up = opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project), "-o", "json")
    doc = json.loads(up.out)
    assert doc["sandboxEndpoints"]["searchEndpoint"] == f"{endpoint}/search/{live.env().names.search}"
    assert doc["outputs"]["searchEndpoint"].rstrip("/").endswith(".search.windows.net")
