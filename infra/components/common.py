"""What every component shares: where resources go, their tags and their resource options.

Tags are applied here, in component code, because Pulumi transforms do not run under mocks and the
tests (and `opsctl plan`) must see exactly what Azure will get.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from infra.settings import PROJECT, StackSettings

TYPE_PREFIX = "ragstack:azure"
MANAGED_BY = "ragstack"


@dataclass(frozen=True)
class Placement:
    """Where a component's resources live and how they are labelled and guarded."""

    resource_group_name: pulumi.Input[str]
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


def environment_tags(settings: StackSettings) -> dict[str, str]:
    """The tags every taggable resource of the environment carries (user tags cannot override them)."""
    tags = dict(settings.tags)
    tags.update({"project": PROJECT, "environment": settings.environment, "managed-by": MANAGED_BY})
    if settings.ephemeral:
        tags["ephemeral"] = "true"
    if settings.expires_at is not None:
        tags["expires-at"] = _utc_text(settings.expires_at)
    return tags


def _utc_text(moment: dt.datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def child_options(
    parent: pulumi.Resource,
    *,
    protect: bool = False,
    depends_on: Sequence[pulumi.Resource] = (),
    replace_on_changes: Sequence[str] = (),
    delete_before_replace: bool | None = None,
) -> pulumi.ResourceOptions:
    """Options of a component's child: always parented, protection only where asked."""
    return pulumi.ResourceOptions(
        parent=parent,
        protect=protect,
        depends_on=list(depends_on) or None,
        replace_on_changes=list(replace_on_changes) or None,
        delete_before_replace=delete_before_replace,
    )


def type_token(name: str) -> str:
    """The component type token, e.g. `ragstack:azure:SearchService`."""
    return f"{TYPE_PREFIX}:{name}"
