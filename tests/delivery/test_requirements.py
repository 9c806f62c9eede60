"""Pinned requirements stay portable: no paths or index URLs of the machine that compiled them."""

from __future__ import annotations

import re

import pytest

from tests.delivery.workflows import ROOT

LOCAL_SOURCES = re.compile(r"^\s*(--(extra-)?index-url|-i\s|--find-links|-f\s|--trusted-host)|file://", re.M)


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_compiled_requirements_name_no_local_index_or_wheel_folder(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert not LOCAL_SOURCES.search(text), f"{name} carries a package source; recompile with --no-emit-*"
    assert "--no-emit-index-url --no-emit-find-links" in (ROOT / name.replace(".txt", ".in")).read_text()


def _pins(name: str) -> dict[str, str]:
    pin = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)", re.M)
    return {m.group(1).lower(): m.group(2) for m in pin.finditer((ROOT / name).read_text(encoding="utf-8"))}


def test_the_dev_pins_hold_every_runtime_pin_at_the_same_version() -> None:
    """`make` installs requirements-dev.txt alone: a runtime pin missing there is missing in CI."""
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    assert {name: version for name, version in runtime.items() if dev.get(name) != version} == {}
