"""Input rules opsctl applies before any ARM call (no sandbox needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsctl.errors import InvalidInput
from opsctl.rollout import validate_image
from opsctl.teardown import EnvironmentTeardown, parse_age, select_expired

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", dt.timedelta(minutes=30)), ("24h", dt.timedelta(hours=24)), ("3d", dt.timedelta(days=3))],
)
def test_parse_age(text: str, expected: dt.timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["", "h", "24", "0h", "-1h", "1w", "1.5h", "24 h"])
def test_parse_age_refuses_bad_values(text: str) -> None:
    with pytest.raises(InvalidInput, match="--older-than"):
        parse_age(text)


def _env(
    name: str, *, created_hours_ago: float | None, expires_in_hours: float | None = None, **tags: str
) -> EnvironmentTeardown:
    all_tags = {"ephemeral": "true", **tags}
    if expires_in_hours is not None:
        all_tags["expires-at"] = (NOW + dt.timedelta(hours=expires_in_hours)).isoformat()
    env = EnvironmentTeardown(name, [f"rg-ragstack-{name}"], all_tags)
    if created_hours_ago is not None:
        env.created_at = NOW - dt.timedelta(hours=created_hours_ago)
    return env


def test_select_expired_by_age_and_by_expiry_tag() -> None:
    envs = [
        _env("pr-1", created_hours_ago=30),
        _env("pr-2", created_hours_ago=2),
        _env("pr-3", created_hours_ago=2, expires_in_hours=-1),
        _env("pr-4", created_hours_ago=30, ephemeral="false"),
        _env("pr-5", created_hours_ago=30, profile="prod"),
        _env("pr-6", created_hours_ago=None),
    ]
    envs.append(_env("pr-7", created_hours_ago=30, expires_in_hours=40))
    chosen = select_expired(envs, older_than=dt.timedelta(hours=24), now=NOW)
    assert [e.environment for e in chosen] == ["pr-1", "pr-3"], "a renewed expiry outranks age"


@pytest.mark.parametrize(
    "image",
    [
        "crdevabc.azurecr.io/rag-app:1.4.2",
        "mcr.microsoft.com/k8se/quickstart:latest",
        "localhost:5000/team/app:v1",
        "app@sha256:" + "a" * 64,
    ],
)
def test_valid_image_references(image: str) -> None:
    validate_image(image)


@pytest.mark.parametrize(
    "image", ["", "UPPER/app:1", "app", "app:", "app:tag with space", "app@sha256:short", "-app:1"]
)
def test_invalid_image_references(image: str) -> None:
    with pytest.raises(InvalidInput, match="--image"):
        validate_image(image)


@given(
    st.from_regex(
        r"[a-z][a-z0-9]{0,10}(\.[a-z]{2,5})?/[a-z0-9]{1,12}:[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True
    )
)
def test_generated_references_with_tags_are_accepted(image: str) -> None:
    validate_image(image)


@given(st.text(alphabet=" \t!#$%^&*()", min_size=1, max_size=5))
def test_references_with_illegal_characters_are_refused(junk: str) -> None:
    with pytest.raises(InvalidInput):
        validate_image(f"app{junk}:1")
