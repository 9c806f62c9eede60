"""opsctl over the Foundry project and the Machine Learning workspace (issue 12 item 4), end to end
through the CLI against the sandbox, checked through the official azure-mgmt clients."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.opsctl.conftest import Live

SANDBOX_SUBSCRIPTION = "00000000-0000-4000-a000-000000000001"
PROD_SUBSCRIPTION = "6e1c2f0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"


def ml_stack(live: Live, stack: str = "mldev") -> str:
    """A copy of dev with `ragstack:ml.enabled: true` (the dev profile has it off)."""
    text = live.stack_text("dev") + "  ragstack:ml:\n    enabled: true\n"
    (live.project / f"Pulumi.{stack}.yaml").write_text(text)
    return stack


def prod_in_sandbox(live: Live) -> str:
    """prod, pointed at the sandbox's subscription (its file names a real-looking one)."""
    path = live.project / "Pulumi.prod.yaml"
    path.write_text(path.read_text().replace(PROD_SUBSCRIPTION, SANDBOX_SUBSCRIPTION))
    return "prod"


def up(opsctl: Any, live: Live, stack: str) -> dict[str, Any]:
    result = opsctl("up", "--stack", stack, "--sandbox", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 0, result.out + result.err
    return json.loads(result.out)


def written(report: dict[str, Any]) -> list[str]:
    return [row["resource"] for row in report["resources"] if row["action"] != "unchanged"]


@pytest.mark.parametrize("stack", ["mldev", "prod"])
def test_up_deploys_the_ml_workspace_and_a_rerun_writes_nothing(live, opsctl, stack: str) -> None:
    name = ml_stack(live) if stack == "mldev" else prod_in_sandbox(live)
    first = up(opsctl, live, name)
    env = live.env(name)
    assert {env.names.ml_workspace, env.names.storage, env.names.key_vault} <= set(written(first))
    assert written(up(opsctl, live, name)) == []
