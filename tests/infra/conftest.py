"""Shared fixtures: every stack file in the repository, rendered once per test session under mocks."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from infra.settings import StackSettings
from infra.stackfile import StackFile

ROOT = Path(__file__).resolve().parents[2]
STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
STACKS = [path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in STACK_FILES]
SUBSCRIPTION = "00000000-0000-4000-a000-000000000001"


def stack_file(stack: str) -> StackFile:
    return StackFile.load(ROOT / f"Pulumi.{stack}.yaml")


@functools.cache
def stack_settings(stack: str) -> StackSettings:
    return stack_file(stack).settings()


@functools.cache
def rendered_stack(stack: str) -> Any:
    """One render per stack for the whole session (rendering is the slow part)."""
    from infra.mockrun import render

    settings = stack_settings(stack)
    return render(settings, subscription_id=settings.subscription_id or SUBSCRIPTION)


@functools.cache
def rendered_via_main(stack: str) -> Any:
    """The same stack rendered a second way: through `infra/__main__.py` with engine-style config."""
    from infra.mockrun import render_config

    return render_config(stack_file(stack).config, stack=stack)


def settings_for(**config: Any) -> StackSettings:
    """Validated settings from `ragstack:` keys given in snake-free camelCase, e.g. search={...}."""
    mapping = {"ragstack:location": "eastus2", "ragstack:subscriptionId": SUBSCRIPTION}
    mapping.update({f"ragstack:{key}": value for key, value in config.items()})
    return StackSettings.from_config(mapping, stack=str(config.get("environment", "test")))


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)
