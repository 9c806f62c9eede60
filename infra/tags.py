"""The ownership tags every taggable resource carries: one definition for infra, policy and teardown.

Teardown finds environments only through these tags, so they are set in component code (transforms
do not run under mocks) and user tags cannot override them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.settings import StackSettings

PROJECT = "ragstack"
MANAGED_BY = "ragstack"
REQUIRED_TAGS = ("project", "environment", "managed-by", "profile")
RESERVED_TAGS = frozenset({*REQUIRED_TAGS, "ephemeral", "expires-at"})


def environment_tags(settings: StackSettings) -> dict[str, str]:
    """User tags plus the ownership tags (which win)."""
    tags = dict(settings.tags)
    tags.update(
        {
            "project": PROJECT,
            "environment": settings.environment,
            "managed-by": MANAGED_BY,
            "profile": settings.profile,
        }
    )
    if settings.ephemeral:
        tags["ephemeral"] = "true"
    if settings.expires_at is not None:
        tags["expires-at"] = utc_text(settings.expires_at)
    return tags


def utc_text(moment: dt.datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
