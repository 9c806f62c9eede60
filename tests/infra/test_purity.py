"""The shared pure modules must load without pulumi or any Azure SDK (opsctl start-up, other tools)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.infra.conftest import ROOT

PURE = [
    "infra.settings",
    "infra.profiles",
    "infra.naming",
    "infra.rules",
    "infra.access",
    "infra.stackfile",
    "infra.catalog",
    "infra.catalog.cognitive",
    "infra.catalog.container_apps",
    "infra.catalog.provisioning",
    "infra.catalog.regions",
    "infra.catalog.roles",
    "infra.catalog.search",
]


def _loaded_after(modules: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(result.stdout)


def _heavy(names: list[str]) -> list[str]:
    return [n for n in names if n.split(".")[0] in {"pulumi", "pulumi_azure_native", "azure", "grpc"}]


def test_pure_modules_import_no_pulumi_or_azure() -> None:
    loaded = _loaded_after(PURE)
    assert "infra.rules" in loaded and "infra.catalog.search" in loaded
    assert _heavy(loaded) == []


def test_the_check_would_notice_pulumi() -> None:
    """Guard against a vacuous check: the program module does pull pulumi in."""
    assert "pulumi" in _heavy(_loaded_after(["infra.program"]))
