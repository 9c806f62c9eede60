"""An environment addressed by stack name: its settings, its Azure names and its ARM ids."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.access import environment_resources, resource_group_id, resource_scopes
from infra.catalog.roles import ResourceKey
from infra.naming import ENVIRONMENT_RULE, ResourceNames, environment_names
from infra.settings import SettingsError, StackSettings
from infra.stackfile import StackFile, stack_file_path
from opsctl.errors import InvalidInput


@dataclass(frozen=True)
class Environment:
    """What opsctl needs to find every resource of one stack in one subscription."""

    stack_file: StackFile
    settings: StackSettings
    subscription_id: str | None
    names: ResourceNames

    @property
    def stack(self) -> str:
        return self.settings.stack

    @property
    def resource_group(self) -> str:
        return self.names.resource_group

    @property
    def resource_group_id(self) -> str:
        return resource_group_id(self._subscription(), self.names.resource_group)

    def scopes(self) -> dict[ResourceKey, str]:
        """The ARM id of every resource role presets can target in this environment."""
        return resource_scopes(self._subscription(), self.names, environment_resources(self.settings))

    def _subscription(self) -> str:
        if not self.subscription_id:
            raise InvalidInput(f"stack '{self.stack}' has no subscription")
        return self.subscription_id


def load_environment(
    stack: str, *, project_dir: Path | str = ".", subscription_id: str | None = None
) -> Environment:
    """Resolve `stack` through its settings and naming; bad config is one InvalidInput line."""
    if problem := ENVIRONMENT_RULE.problem(stack):
        raise InvalidInput(f"--stack {stack!r}: stack names {problem.removeprefix('must be ')}")
    try:
        stack_file = StackFile.load(stack_file_path(stack, project_dir))
        settings = stack_file.settings()
    except SettingsError as exc:
        raise InvalidInput(exc.one_line()) from None
    configured = settings.resolved_subscription_id()
    subscription = subscription_id or configured
    names = environment_names(settings, configured or subscription)
    return Environment(stack_file, settings, subscription, names)
