"""What every component shares: where resources go, their tags and their resource options.

Tags are applied here, in component code, because Pulumi transforms do not run under mocks and the
tests (and `opsctl plan`) must see exactly what Azure will get.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

TYPE_PREFIX = "ragstack:azure"


@dataclass(frozen=True)
class Placement:
    """Where a component's resources live and how they are labelled and guarded."""

    resource_group_name: pulumi.Input[str]
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


def child_options(
    parent: pulumi.Resource,
    *,
    protect: bool = False,
    depends_on: Sequence[pulumi.Resource] = (),
    replace_on_changes: Sequence[str] = (),
    delete_before_replace: bool | None = None,
    ignore_changes: Sequence[str] = (),
) -> pulumi.ResourceOptions:
    """Options of a component's child: always parented, protection only where asked."""
    return pulumi.ResourceOptions(
        parent=parent,
        protect=protect,
        depends_on=list(depends_on) or None,
        replace_on_changes=list(replace_on_changes) or None,
        delete_before_replace=delete_before_replace,
        ignore_changes=list(ignore_changes) or None,
    )


def type_token(name: str) -> str:
    """The component type token, e.g. `ragstack:azure:SearchService`."""
    return f"{TYPE_PREFIX}:{name}"
