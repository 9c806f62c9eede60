"""Regional model quota, checked before the first write (ops-pitfalls O-4).

Quota is per subscription + region + deployment sku + model (`infra.catalog.cognitive.quota_usage_name`)
and only the increase counts when a deployment grows within its bucket. `scale openai` and `up`
share this check, so neither writes anything that Azure would refuse half-way with InsufficientQuota.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from opsctl.arm_errors import arm_errors
from opsctl.errors import OpsError

QUOTA_HINT = "lower another deployment, pick another sku or region, or request quota"


def increases(desired: Iterable[tuple[str, str, int]], held: Mapping[str, tuple[str, int]]) -> dict[str, int]:
    """Extra capacity per quota bucket: desired (name, bucket, capacity) over what `held` (name ->
    (bucket, capacity)) already draws from the same bucket."""
    extra: defaultdict[str, int] = defaultdict(int)
    for name, bucket, capacity in desired:
        held_bucket, held_capacity = held.get(name.lower(), (None, 0))
        extra[bucket] += capacity - (held_capacity if held_bucket == bucket else 0)
    return {bucket: delta for bucket, delta in extra.items() if delta > 0}


def check_quota(client: Any, location: str, extra: Mapping[str, int]) -> None:
    """Refuse when a bucket's available quota cannot cover its extra capacity. A bucket the usages
    list does not name cannot be checked here; Azure decides at the write."""
    if not extra:
        return
    with arm_errors(f"reading {location} quota usage"):
        usages = {u.name.value: u for u in client.usages.list(location)}
    for bucket, delta in sorted(extra.items()):
        usage = usages.get(bucket)
        if usage is None:
            continue
        available = int(usage.limit - usage.current_value)
        if delta > available:
            raise OpsError(
                f"capacity +{delta} does not fit quota '{bucket}' in {location}: "
                f"limit {usage.limit:g}, used {usage.current_value:g}, available {available}",
                code="InsufficientQuota",
                hint=QUOTA_HINT,
            )
