"""From Pulumi's config bag to a declared environment: what `infra/__main__.py` runs.

The engine hands config over as strings keyed `project:key` (structured values as JSON text), in
`PULUMI_CONFIG` or through `pulumi.runtime.set_all_config`. Expected failures (bad settings, no
subscription) become a `pulumi.RunError`, which Pulumi prints as one line without a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config

from infra.settings import SUBSCRIPTION_ENV_VARS, SettingsError, StackSettings

PROVIDER_SUBSCRIPTION_KEY = "azure-native:subscriptionId"


def config_bag() -> dict[str, Any]:
    """Every config key Pulumi passed to this program, structured values decoded."""
    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {_full_key(key): decode(value) for key, value in raw.items()}


def _full_key(key: str) -> str:
    """Older engines spell keys `project:config:key`; settings expect `project:key`."""
    namespace, _, rest = key.partition(":")
    return f"{namespace}:{rest.removeprefix('config:')}" if rest else key


def decode(value: Any) -> Any:
    """Objects and arrays arrive as JSON text; scalars stay text for pydantic to coerce."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def resolve_subscription(
    settings: StackSettings, config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> str:
    """Settings, else the provider's `azure-native:subscriptionId`, else ARM_/AZURE_SUBSCRIPTION_ID.

    The `getClientConfig` invoke would only yield an Output, too late for deterministic names, so a
    missing subscription is an error that says where to set it.
    """
    env = os.environ if environ is None else environ
    found = settings.subscription_id or config.get(PROVIDER_SUBSCRIPTION_KEY)
    found = found or next((env[name] for name in SUBSCRIPTION_ENV_VARS if env.get(name)), None)
    if not found:
        raise SettingsError(
            "ragstack:subscriptionId",
            None,
            f"not set; set it, {PROVIDER_SUBSCRIPTION_KEY}, or {' / '.join(SUBSCRIPTION_ENV_VARS)}",
        )
    return str(found)


def main() -> None:
    """Build settings from config and declare the environment; settings errors are one line."""
    from infra.program import declare_environment

    config = config_bag()
    try:
        settings = StackSettings.from_config(config, stack=pulumi.get_stack())
        declare_environment(settings, subscription_id=resolve_subscription(settings, config))
    except SettingsError as exc:
        raise pulumi.RunError(exc.one_line()) from None
