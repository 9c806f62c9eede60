"""Ephemeral stacks: `Pulumi.<name>.yaml` derived from a long-lived stack, for one pull request.

The new file keeps what makes the base stack *work* (location, subscription, model deployments, app
port/env, tags, access grants, comments) and drops what makes it *expensive* or *collide*:
sizing comes from the `dev` profile, `protect` is off, per-resource name overrides are removed so the
names derive from the new environment name, and `ragstack:ephemeral`/`ragstack:expiresAt` tell the
janitor (`opsctl teardown --all-ephemeral`) when it may go.

Why `dev` and not `free`: Azure allows one free search service and one F0 Document Intelligence
account per subscription, so a second pull-request environment on `free` fails to create; the free
search tier also has no managed identity, so its role assignments fail. `dev` (basic search, S0, app
scaled to zero) is the cheapest profile that many environments can share a subscription with.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from infra import naming
from infra.settings import SettingsError
from infra.stackfile import StackFile, stack_file_path
from opsctl.errors import InvalidInput

EPHEMERAL_PROFILE = "dev"
DEFAULT_TTL = "72h"
MAX_TTL = dt.timedelta(days=30)

# Keys an ephemeral stack does not inherit (sizing comes from the profile):
# `ragstack:<section>` -> fields (None: the whole key).
SIZING_KEYS: dict[str, tuple[str, ...] | None] = {
    "ragstack:search": ("sku", "replicas", "partitions", "semanticRanker", "hostingMode"),
    "ragstack:documentIntelligence": ("sku",),
    # Zone redundancy is a Premium feature and goes with the tier.
    "ragstack:registry": ("sku", "zoneRedundancy"),
    # Private networking: an ephemeral stack is smoke-tested by CI runners outside any VNet, and its
    # endpoints and zones would bill per hour; it uses public endpoints with Entra ID auth.
    "ragstack:network": None,
    # `image`: a pinned image names the base environment's registry, which the new environment's
    # identity may not pull from; CI rolls the new environment's own image out (README, image ownership).
    "ragstack:app": ("cpu", "memory", "minReplicas", "maxReplicas", "image"),
    "ragstack:logRetentionDays": None,
    # A purge-protected vault could not be purged by the janitor (infra.rules refuses it).
    "ragstack:ml": ("purgeProtection", "softDeleteRetentionDays"),
}
# Keys that would make the new environment reuse the base environment's Azure names.
COLLIDING_KEYS = ("ragstack:names",)

_TTL_PART = re.compile(r"(\d+)([mhd])")
_TTL_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_ttl(text: str) -> dt.timedelta:
    """`30m`, `24h`, `3d` or combinations such as `1d12h`; one clear InvalidInput otherwise."""
    value = text.strip().lower()
    parts = _TTL_PART.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        raise InvalidInput(
            f"--ttl {text!r}: expected a duration such as 30m, 24h, 3d or 1d12h (m, h, d units)"
        )
    ttl = dt.timedelta()
    for number, unit in parts:
        ttl += dt.timedelta(**{_TTL_UNITS[unit]: int(number)})
    if ttl <= dt.timedelta():
        raise InvalidInput(f"--ttl {text!r}: must be longer than 0")
    if ttl > MAX_TTL:
        raise InvalidInput(f"--ttl {text!r}: at most {MAX_TTL.days}d for an ephemeral stack")
    return ttl


def format_utc(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second: what `ragstack:expiresAt` holds."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_ephemeral_stack(
    name: str,
    *,
    base: str,
    ttl: dt.timedelta | str = DEFAULT_TTL,
    project_dir: Path | str = ".",
    now: dt.datetime | None = None,
    force: bool = False,
) -> Path:
    """Write `Pulumi.<name>.yaml` from `Pulumi.<base>.yaml`; nothing is written on any error."""
    stack_file = ephemeral_stack_file(name, base=base, ttl=ttl, project_dir=project_dir, now=now, force=force)
    stack_file.save()
    return stack_file.path


def ephemeral_stack_file(
    name: str,
    *,
    base: str,
    ttl: dt.timedelta | str = DEFAULT_TTL,
    project_dir: Path | str = ".",
    now: dt.datetime | None = None,
    force: bool = False,
) -> StackFile:
    """The stack file `new_ephemeral_stack` would write, checked as it would be, unwritten (what
    `opsctl stack new --dry-run` shows)."""
    lifetime = parse_ttl(ttl) if isinstance(ttl, str) else ttl
    if problem := naming.ENVIRONMENT_RULE.problem(name):
        raise InvalidInput(f"stack name {name!r}: {problem} (it becomes the environment name)")
    if name == base:
        raise InvalidInput(f"stack name {name!r}: must differ from --from {base!r}")
    target = stack_file_path(name, project_dir)
    if target.exists() and not force:
        raise InvalidInput(f"{target} already exists", hint="pass --force to replace it")
    source = stack_file_path(base, project_dir)
    if not source.exists():
        raise InvalidInput(f"base stack {base!r} not found: no {source}")
    try:
        stack_file = StackFile.load(source)
        stack_file.settings()
    except SettingsError as exc:
        raise InvalidInput(f"base stack {base!r} is invalid: {exc.one_line()}") from None

    created = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    expires_at = format_utc(created + lifetime)
    document = stack_file.document
    config = document["config"]
    for key in COLLIDING_KEYS:
        config.pop(key, None)
    _drop_sizing(config)
    _put_first_ragstack_keys(
        config,
        {
            "ragstack:environment": name,
            "ragstack:profile": EPHEMERAL_PROFILE,
            "ragstack:ephemeral": True,
            "ragstack:expiresAt": expires_at,
        },
    )
    config["ragstack:protect"] = False
    _set_header(document, name=name, base=base, created=format_utc(created), expires_at=expires_at)

    result = StackFile(target, document)
    try:
        result.settings()
    except SettingsError as exc:
        raise InvalidInput(f"the new stack would be invalid: {exc.one_line()}") from None
    return result


def _drop_sizing(config: Any) -> None:
    for key, fields in SIZING_KEYS.items():
        if key not in config:
            continue
        if fields is None:
            del config[key]
            continue
        section = config[key]
        if not isinstance(section, dict):
            continue
        for field in fields:
            section.pop(field, None)
        if not section:
            del config[key]


def _put_first_ragstack_keys(config: Any, values: dict[str, Any]) -> None:
    """Set `values`, new keys placed where the base declares its profile (else at the end)."""
    keys = list(config)
    anchor = keys.index("ragstack:profile") if "ragstack:profile" in keys else len(keys)
    for key, value in values.items():
        if key in config:
            config[key] = value
            continue
        config.insert(anchor, key, value)
        anchor += 1


def _set_header(document: Any, *, name: str, base: str, created: str, expires_at: str) -> None:
    base_header = [
        token.value.strip().removeprefix("#").strip()
        for token in (document.ca.comment or [None, []])[1] or []
        if token.value.strip().startswith("#")
    ]
    lines = [
        f"Generated by `opsctl stack new {name} --from {base}` at {created}: do not edit by hand.",
        f"Ephemeral environment; expires {expires_at}, then `opsctl teardown --all-ephemeral` removes it.",
        f"Sizing comes from the '{EPHEMERAL_PROFILE}' profile; protect is off; names derive from '{name}'.",
    ]
    if base_header:
        lines += ["", f"From Pulumi.{base}.yaml:", *base_header]
    if document.ca.comment is not None:
        document.ca.comment[1] = []
    document.yaml_set_start_comment("\n".join(lines))
