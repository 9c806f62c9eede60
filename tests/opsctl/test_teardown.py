"""Teardown safety and scale, end to end through `opsctl teardown` against the sandbox (issue 9).

Purge is irreversible, so it only reaches soft-deleted accounts teardown can prove are ours; the
janitor decides per resource group from that group's own tags; a throttled environment is retried
before it is declared failed.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from hypothesis import given
from hypothesis import strategies as st

from infra.tags import MANAGED_BY, PROJECT
from opsctl.errors import OpsError
from opsctl.janitor import DEFAULT_CONCURRENCY, Gate, run_with_retries, transient_reason
from opsctl.teardown import CognitiveAccount, EnvironmentTeardown, merge_groups, purge_refusal

EXPIRED = "2020-01-01T00:00:00Z"


def ours(environment: str, **extra: str) -> dict[str, str]:
    """The ownership tags ragstack puts on every resource of `environment`."""
    return {
        "project": PROJECT,
        "managed-by": MANAGED_BY,
        "environment": environment,
        "profile": "dev",
        **extra,
    }


def ephemeral(environment: str) -> dict[str, str]:
    return ours(environment, ephemeral="true", **{"expires-at": EXPIRED})


def add_group(live, name: str, tags: dict[str, str]) -> None:
    live.target.client(ResourceManagementClient).resource_groups.create_or_update(
        name, {"location": "eastus2", "tags": tags}
    )


def add_account(live, group: str, name: str, tags: dict[str, str], *, deployment: bool = False) -> None:
    cognitive = live.target.client(CognitiveServicesManagementClient)
    body = {
        "location": "eastus2",
        "kind": "OpenAI",
        "sku": {"name": "S0"},
        "tags": tags,
        "properties": {"customSubDomainName": name},
    }
    cognitive.accounts.begin_create(group, name, body).result()
    if deployment:
        model = {"format": "OpenAI", "name": "text-embedding-3-small", "version": "1"}
        cognitive.deployments.begin_create_or_update(
            group,
            name,
            "embedding",
            {"sku": {"name": "Standard", "capacity": 1}, "properties": {"model": model}},
        ).result()


def soft_delete(live, group: str, name: str) -> None:
    live.target.client(CognitiveServicesManagementClient).accounts.begin_delete(group, name).result()


def soft_deleted(live) -> set[str]:
    return {a.name for a in live.target.client(CognitiveServicesManagementClient).deleted_accounts.list()}


def groups(live) -> set[str]:
    return {g.name for g in live.target.client(ResourceManagementClient).resource_groups.list()}


def seed_ephemeral(live, environment: str) -> str:
    """An expired ephemeral environment as the janitor finds it: tagged group, account, deployment."""
    group = f"rg-ragstack-{environment}"
    add_group(live, group, ephemeral(environment))
    add_account(live, group, f"oai-{environment}-seed", ephemeral(environment), deployment=True)
    return group


def test_purge_skips_soft_deleted_accounts_it_cannot_prove_are_ours(live, opsctl) -> None:
    """Issue 9.1: a look-alike group of the stack's name, untagged, holds someone else's accounts."""
    group = "rg-ragstack-pr-7"  # what stack pr-7's group would be called; created by someone else
    add_group(live, group, {})
    add_account(live, group, "oai-untagged-lookalike", {})
    add_account(live, group, "oai-other-team", {"managed-by": "other-team", "environment": "pr-7"})
    soft_delete(live, group, "oai-untagged-lookalike")
    soft_delete(live, group, "oai-other-team")
    created = opsctl("stack", "new", "pr-7", "--from", "dev", "--project-dir", str(live.project))
    assert created.code == 0, created.err

    result = opsctl(
        "teardown", "--stack", "pr-7", "--purge", "--yes", "--project-dir", str(live.project), "-o", "json"
    )

    assert result.code == 0, result.err
    assert {"oai-untagged-lookalike", "oai-other-team"} <= soft_deleted(live), "never purge what is not ours"
    assert not [
        r for r in live.sandbox.requests.list(method="DELETE") if "/deletedaccounts/" in r["path"].lower()
    ]
    skipped = " ".join(s for r in json.loads(result.out) for s in r["skipped"])
    assert "oai-untagged-lookalike" in skipped and "oai-other-team" in skipped
    assert "managed-by=other-team" in skipped and "no ownership tags" in skipped


def test_purge_in_our_own_group_skips_an_account_tagged_for_another_team(live, opsctl) -> None:
    env = live.env()
    add_account(live, env.resource_group, "oai-guest", {"managed-by": "other-team"})
    soft_delete(live, env.resource_group, "oai-guest")

    result = opsctl("teardown", "--stack", "dev", "--purge", "--yes", "--project-dir", str(live.project))

    assert result.code == 0, result.err
    assert soft_deleted(live) == {"oai-guest"}, "ours are purged, the guest stays recoverable"
    assert "skipped purge of oai-guest in rg-ragstack-dev: tagged managed-by=other-team" in result.err


def test_janitor_never_touches_a_long_lived_group_sharing_the_environment_name(live, opsctl) -> None:
    """Issue 9.2: stale ephemeral `rg-old-dev` and long-lived `rg-ragstack-dev` share environment=dev."""
    env = live.env()
    add_group(live, "rg-old-dev", ephemeral("dev"))
    add_account(live, "rg-old-dev", "oai-old-dev", ephemeral("dev"))
    soft_delete(live, env.resource_group, env.names.document_intelligence)  # an operator's, recoverable

    result = opsctl(
        "teardown", "--all-ephemeral", "--older-than", "24h", "--purge", "--yes",
        "--project-dir", str(live.project), "-o", "json",
    )  # fmt: skip

    assert result.code == 0, result.err
    assert env.resource_group in groups(live) and "rg-old-dev" not in groups(live)
    cognitive = live.target.client(CognitiveServicesManagementClient)
    assert env.names.openai in {a.name for a in cognitive.accounts.list_by_resource_group(env.resource_group)}
    assert soft_deleted(live) == {env.names.document_intelligence}
    assert [r["resource_groups"] for r in json.loads(result.out)] == [["rg-old-dev"]]


def test_janitor_retries_an_environment_throttled_past_the_client_retries(live, opsctl) -> None:
    """Issue 9.5: ten environments, one of them throttled on every attempt of its first delete."""
    seeded = [seed_ephemeral(live, f"pr-{n}") for n in range(1, 11)]
    live.sandbox.faults.throttle(path="(?i)/resourcegroups/rg-ragstack-pr-3$", method="DELETE", times=8)

    result = opsctl("teardown", "--all-ephemeral", "--yes", "--project-dir", str(live.project), "-o", "json")

    assert result.code == 0, result.err
    assert [r["error"] for r in json.loads(result.out)] == [None] * 10
    assert not set(seeded) & groups(live)
    throttled = [r for r in live.sandbox.requests.list(method="DELETE") if r["status"] == 429]
    assert len(throttled) == 8


# -- rules, offline ------------------------------------------------------------------------------
def _deleted(tags: dict[str, str], name: str = "oai-x") -> CognitiveAccount:
    return CognitiveAccount(name, "rg-ragstack-pr-1", "eastus2", "OpenAI", tags=tags)


def _plan(*deleted_here: CognitiveAccount) -> EnvironmentTeardown:
    plan = EnvironmentTeardown("pr-1", ["rg-ragstack-pr-1"], ephemeral("pr-1"))
    plan.deleted_accounts = {a.key for a in deleted_here}
    return plan


@pytest.mark.parametrize(
    ("tags", "deleted_here", "refusal"),
    [
        (ours("pr-1"), False, None),
        ({"Project": PROJECT, "Managed-By": MANAGED_BY, "Environment": "pr-1"}, False, None),
        ({}, True, None),
        ({"environment": "pr-1"}, True, None),
        ({}, False, "no ownership tags and not deleted by this teardown"),
        ({"environment": "pr-1"}, False, "no project, managed-by tag and not deleted by this teardown"),
        (ours("pr-1", **{"managed-by": "other-team"}), True, "tagged managed-by=other-team"),
        (ours("pr-10"), True, "tagged environment=pr-10"),
        ({"project": "other"}, False, "tagged project=other"),
    ],
)
def test_purge_refusal(tags: dict[str, str], deleted_here: bool, refusal: str | None) -> None:
    account = _deleted(tags)
    assert purge_refusal(account, _plan(*([account] if deleted_here else []))) == refusal


@given(
    st.dictionaries(st.sampled_from(["project", "managed-by", "environment", "owner"]), st.text(max_size=12))
)
def test_an_account_naming_another_owner_is_never_purged(tags: dict[str, str]) -> None:
    """Whatever else holds, a tag that names someone else wins, even for an account we deleted."""
    account = _deleted(tags)
    names_other = any(tags.get(k, v) != v for k, v in ours("pr-1").items() if k != "profile")
    if names_other:
        assert purge_refusal(account, _plan(account)) is not None


def test_a_stack_of_mixed_groups_is_judged_by_the_strictest_tags() -> None:
    stale = EnvironmentTeardown("qa1", ["rg-old-qa1"], ephemeral("qa1"))
    kept = EnvironmentTeardown("qa1", ["rg-ragstack-qa1"], ours("qa1", profile="prod"))
    merged = merge_groups("qa1", [stale, kept])
    assert merged.resource_groups == ["rg-old-qa1", "rg-ragstack-qa1"]
    assert not merged.ephemeral and merged.protected
    assert merge_groups("qa1", [stale]).ephemeral


def _failure(status: int | None, code: str | None = None, retry_after: str | None = None) -> OpsError:
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    if status is None:
        cause: Exception = ServiceRequestError("connection reset")
    else:
        response = SimpleNamespace(
            status_code=status, reason="x", headers={"Retry-After": retry_after} if retry_after else {}
        )
        cause = HttpResponseError(message="x", response=response)
    error = OpsError("deleting resource group rg", code=code)
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (_failure(429, "SubscriptionRequestsThrottled", "7"), "throttled (429)"),
        (_failure(409, "RequestConflict"), "busy (RequestConflict)"),
        (_failure(503, "ServiceUnavailable"), "server error (503)"),
        (_failure(None), "connection error"),
        (_failure(409, "ScopeLocked"), None),
        (_failure(403, "AuthorizationFailed"), None),
    ],
)
def test_which_failures_the_janitor_retries(failure: OpsError, reason: str | None) -> None:
    assert transient_reason(failure) == reason


def test_the_janitor_waits_the_servers_retry_after_and_gives_up_after_its_attempts() -> None:
    # A target on a virtual clock: its sleeps are recorded and advance its time, and the gate's
    # hold counts in that time (a wall-clock gate here waited 100 real seconds).
    slept: list[float] = []
    target = SimpleNamespace(sleep=slept.append, now=lambda: sum(slept))
    calls: list[int] = []

    def throttled(number: int) -> None:
        calls.append(number)
        raise _failure(429, "SubscriptionRequestsThrottled", "30")

    with pytest.raises(OpsError, match="gave up after 4 attempts") as raised:
        run_with_retries(throttled, target=target, gate=Gate(target), what="pr-1", progress=lambda _: None)
    assert raised.value.code == "SubscriptionRequestsThrottled"
    assert calls == [1, 2, 3, 4] and slept == [30.0, 30.0, 40.0]


def test_default_concurrency_follows_arm_limits() -> None:
    """25 environments poll at most 25 reads/s (the read refill) and start at most 200 deletes (the
    delete burst); the old default of 4 took 2.8x one environment's time for ten (issue 9.7)."""
    assert DEFAULT_CONCURRENCY == 25
