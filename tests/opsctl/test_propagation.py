"""A role assigned moments ago has not reached the data plane yet (Azure: up to 10 minutes): data-plane
commands wait for it, on the target's clock and within a bound, and fail at once when no assignment
exists. The sandbox models the delay (`role_propagation_delay`); here it is far longer than the test
takes, and each wait of opsctl's moves the sandbox's clock past it (`Target.sleep` is the seam)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from opsctl.denied import PROPAGATION_WAIT_SECONDS, with_role
from opsctl.errors import OpsError
from sandbox.constants import OPERATOR_OBJECT_ID

ROOT = Path(__file__).resolve().parents[2]
NEVER = 1e9  # simulated seconds: no wall-clock run of this test reaches it


class Refused(Exception):
    """A data plane's 403, as azure-core raises it."""

    status_code = 403


@pytest.fixture
def slow_rbac(live: Any, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """New assignments take NEVER seconds to propagate; each opsctl wait is recorded, and lets them."""
    from opsctl.target import Target

    live.apply_indexes()  # before: the operator's own Owner assignment is then not "new" either
    state = live.sandbox._live()
    monkeypatch.setattr(state.config, "role_propagation_delay", NEVER)
    waits: list[float] = []

    def sleep(self: Any, seconds: float) -> None:
        waits.append(seconds)
        live.sandbox.advance(NEVER)

    monkeypatch.setattr(Target, "sleep", sleep)
    return waits


def test_ingest_right_after_access_grant_waits_for_the_roles_to_apply(
    live: Any, opsctl: Any, slow_rbac: list[float], tmp_path: Path
) -> None:
    project = ("--stack", "dev", "--project-dir", str(live.project))
    grant = opsctl(
        "access", "grant", *project, "--principal", OPERATOR_OBJECT_ID,
        "--principal-type", "ServicePrincipal", "--preset", "developer",
    )  # fmt: skip
    assert grant.code == 0, grant.err
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "samples" / "corpus", corpus)

    result = opsctl("ingest", *project, str(corpus))

    assert result.code == 0, result.err
    assert slow_rbac, "ingest waited for the new assignments"


def _plane(live: Any) -> Any:
    from opsctl.dataplane import open_data_plane

    return open_data_plane(live.env(), live.target)


def test_a_refusal_with_no_assignment_is_one_line_at_once(live: Any, slow_rbac: list[float]) -> None:
    def call() -> None:
        raise Refused("Forbidden")

    with pytest.raises(OpsError) as info:
        with_role(_plane(live), "search", "Search Index Data Reader", call, preset="developer")

    assert "needs role 'Search Index Data Reader'" in str(info.value)
    assert slow_rbac == []


def test_an_assignment_that_never_applies_is_waited_for_within_the_bound(
    live: Any, slow_rbac: list[float]
) -> None:
    live.sandbox.grant(
        OPERATOR_OBJECT_ID, "Search Index Data Contributor", scope=live.env().scopes()["search"]
    )
    calls: list[int] = []

    def call() -> None:
        calls.append(1)
        raise Refused("Forbidden")

    with pytest.raises(OpsError, match="needs role 'Search Index Data Reader'"):
        with_role(_plane(live), "search", "Search Index Data Reader", call, preset="developer")

    assert 0 < sum(slow_rbac) <= PROPAGATION_WAIT_SECONDS
    assert len(calls) == len(slow_rbac) + 1


def test_index_apply_right_after_the_grant_waits_for_it(
    live: Any, opsctl: Any, slow_rbac: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    developer = "0000aaaa-0000-4000-a000-00000000d0d0"
    group = f"/subscriptions/{live.env().subscription_id}/resourceGroups/{live.env().resource_group}"
    live.sandbox.register_principal(
        "ServicePrincipal",
        object_id=developer,
        client_id="dev-app",
        secret="s3cret",
        roles=[{"role": "Reader", "scope": group}],  # ARM reads: not subject to data-plane propagation
    )
    live.sandbox.grant(developer, "Search Service Contributor", scope=live.env().scopes()["search"])
    monkeypatch.setenv("AZURE_CLIENT_ID", "dev-app")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s3cret")

    result = opsctl("index", "apply", "--stack", "dev", "--project-dir", str(live.project))

    assert result.code == 0, result.err
    assert "index docs: up to date" in result.out
    assert slow_rbac, "index apply waited for the new assignment"
