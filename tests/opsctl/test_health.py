"""The write commands' rules over unsettled resources, as one-line errors naming the state."""

from __future__ import annotations

import pytest

from infra.catalog import provisioning
from infra.catalog.provisioning import judge
from opsctl.errors import OpsError
from opsctl.health import needs_repair, refuse_in_progress, require_healthy


def test_in_progress_is_refused_with_its_state() -> None:
    with pytest.raises(OpsError) as exc:
        refuse_in_progress("deployment 'chat'", judge(provisioning.DEPLOYMENT, "Creating"))
    line = exc.value.one_line()
    assert "\n" not in line and "deployment 'chat' is Creating" in line and "opsctl status" in line
    refuse_in_progress("deployment 'chat'", judge(provisioning.DEPLOYMENT, "Failed"))


def test_only_failed_resources_are_repaired_and_failure_after_a_write_is_an_error() -> None:
    assert needs_repair(judge(provisioning.SEARCH_SERVICE, "succeeded", "error"))
    assert not needs_repair(judge(provisioning.SEARCH_SERVICE, "provisioning", "provisioning"))
    assert not needs_repair(judge(provisioning.SEARCH_SERVICE, "succeeded", "running"))
    with pytest.raises(OpsError, match="is Failed/Running after the update"):
        require_healthy("container app 'ca'", judge(provisioning.CONTAINER_APP, "Failed", "Running"))
    require_healthy("container app 'ca'", judge(provisioning.CONTAINER_APP, "InProgress", "Running"))
