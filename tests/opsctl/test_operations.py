"""opsctl end to end: the CLI and library against the sandbox over HTTPS with the real SDK clients.

Each test starts from the dev stack deployed by `opsctl up --sandbox`, then drives one command and
checks the sandbox (live state and its request log), the stack file and the CLI's exit code.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.resource.locks import ManagementLockClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.search import SearchManagementClient
from azure.mgmt.search.models import SearchServiceUpdate

from infra.stackfile import StackFile
from sandbox.constants import OPERATOR_CLIENT_ID, OPERATOR_OBJECT_ID
from tests.conftest import built_state, clone_for
from tests.opsctl.conftest import _attach, copy_stack_files, invoke

WRITES = ("PUT", "PATCH", "DELETE")
DEVELOPER = "11111111-2222-4333-8444-555555555555"
NEW_USER = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def mark(sandbox) -> int:
    """The sequence number of the last request so far."""
    return sandbox.requests.list()[-1]["seq"]


def requests_after(sandbox, seq: int, method: str | None = None) -> list[dict]:
    return [r for r in sandbox.requests.list(method=method) if r["seq"] > seq]


def reader_grant(live) -> list[str]:
    """Arguments that give NEW_USER (a group) the reader preset on the dev stack."""
    principal = ["--principal", NEW_USER, "--principal-type", "Group", "--preset", "reader"]
    return ["--stack", "dev", *principal, "--project-dir", str(live.project)]


def deploy_expired_preview(live, opsctl, stack: str) -> None:
    """`opsctl stack new` + `up --sandbox` for a PR environment whose expiry has passed."""
    created = opsctl("stack", "new", stack, "--from", "dev", "--project-dir", str(live.project))
    assert created.code == 0, created.err
    stack_file = StackFile.load(live.project / f"Pulumi.{stack}.yaml")
    stack_file.set("ragstack:expiresAt", (), "2020-01-01T00:00:00Z")
    stack_file.save()
    up = opsctl("up", "--stack", stack, "--sandbox", "--project-dir", str(live.project))
    assert up.code == 0, up.err


PREVIEWS = ("pr-1", "pr-2", "pr-3")


@pytest.fixture(scope="session")
def expired_previews(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A state dir holding the dev stack and the expired PR environments PREVIEWS, each deployed by
    `deploy_expired_preview`, with the project that deployed them beside it (`../project`). A test
    using it opens its sandbox and project on copies. Three `up` renders were most of these tests'
    time, so one run builds it once: the first worker under a lock, the others copy its result."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's base dir, above each worker's own
    root = shared / "expired-previews"
    with _exclusive(shared / "expired-previews.lock"):
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            project = copy_stack_files(root / "project")

            def deploy_previews(sb) -> None:
                with pytest.MonkeyPatch.context() as monkeypatch:
                    live = _attach(sb, project, monkeypatch)
                    for stack in PREVIEWS:
                        deploy_expired_preview(live, invoke, stack)

            built_state(root / "sandbox", request.getfixturevalue("deployed_dev"), deploy_previews)
            (root / "done").touch()
    return root / "sandbox"


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture
def sandbox_dir(tmp_path: Path, sandbox_keys: Path, request: pytest.FixtureRequest) -> Path:
    """As tests/opsctl/conftest.py's, or a copy of `expired_previews` for a test using it."""
    templates = {"expired_previews": "expired_previews", "live": "deployed_dev"}
    return clone_for(request, tmp_path, sandbox_keys, templates)


@pytest.fixture
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """As tests/opsctl/conftest.py's, or a copy of the project `expired_previews` deployed."""
    if "expired_previews" not in request.fixturenames:
        return copy_stack_files(tmp_path)
    source = request.getfixturevalue("expired_previews").parent / "project"
    return Path(shutil.copytree(source, tmp_path / "project"))


def fail_deletes(live, path_suffix: str) -> None:
    """Every DELETE of the resource ending in `path_suffix` fails with 500 until the faults are
    cleared: an outage that outlasts the client's and the janitor's retries (an interruption)."""
    live.sandbox.faults.error(
        500, "InternalServerError", "boom", path=f"(?i).*{path_suffix}$", method="DELETE", times=None
    )


def arm_writes(sandbox, after: int) -> list[dict]:
    """ARM writes; POSTs here are read actions (sharedKeys, listKeys, usages) and not counted."""
    return [r for r in requests_after(sandbox, after) if r["method"] in WRITES]


def test_up_deploys_dev_and_status_and_drift_agree(live, opsctl) -> None:
    status = opsctl("status", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert status.code == 0, status.err
    report = json.loads(status.out)
    assert report["target"] == "sandbox" and report["resourceGroup"]["exists"]
    assert all(r["exists"] for r in report["resources"]), report["resources"]
    assert {d["deployment"] for d in report["deployments"]} == {"chat", "embedding"}
    live.apply_indexes()
    drift = opsctl("drift", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert drift.code == 0, drift.out
    assert json.loads(drift.out)["inSync"] is True


def test_identity_principal_flows_into_role_assignments(live) -> None:
    env = live.env()
    client = live.target.client(ContainerAppsAPIClient)
    app = client.container_apps.get(env.resource_group, env.names.container_app)
    identity_id = next(iter(app.identity.user_assigned_identities))
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.msi import ManagedServiceIdentityClient

    ident = live.target.client(ManagedServiceIdentityClient).user_assigned_identities.get(
        env.resource_group, env.names.identity
    )
    assert identity_id.lower().endswith(env.names.identity.lower())
    registry_scope = env.scopes()["registry"]
    auth = live.target.client(AuthorizationManagementClient)
    on_registry = list(
        auth.role_assignments.list_for_scope(registry_scope, filter=f"principalId eq '{ident.principal_id}'")
    )
    assert [a.role_definition_id.rsplit("/", 1)[-1] for a in on_registry] == [
        "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    ]
    env_vars = {e["name"]: e.get("value") for e in app.properties.template["containers"][0]["env"]}
    assert env_vars["AZURE_CLIENT_ID"] == ident.client_id


def test_up_again_writes_nothing_and_a_change_writes_only_the_difference(live, opsctl) -> None:
    start = mark(live.sandbox)
    again = opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project), "-o", "json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["writes"] == 0
    assert arm_writes(live.sandbox, start) == []

    stack_file = StackFile.load(live.project / "Pulumi.dev.yaml")
    stack_file.set("ragstack:app", ("maxReplicas",), 5)
    stack_file.save()
    start = mark(live.sandbox)
    changed = opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project), "-o", "json")
    assert changed.code == 0, changed.err
    writes = arm_writes(live.sandbox, start)
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in writes] == [("PUT", "ca-dev")]


def test_scale_search_patches_only_replicas_waits_and_writes_back(live, opsctl) -> None:
    before = live.stack_text()
    start = mark(live.sandbox)
    result = opsctl(
        "scale",
        "search",
        "--stack",
        "dev",
        "--replicas",
        "2",
        "--project-dir",
        str(live.project),
        "-o",
        "json",
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["before"]["replicas"] == 1 and report["after"] == {"replicas": 2, "partitions": 1}
    env = live.env()
    service = live.target.client(SearchManagementClient).services.get(env.resource_group, env.names.search)
    assert (service.replica_count, service.partition_count) == (2, 1)
    assert str(service.provisioning_state).lower() == "succeeded"
    assert [w["method"] for w in arm_writes(live.sandbox, start)] == ["PATCH"]
    after = live.stack_text()
    assert after.replace("replicas: 2", "replicas: 1", 1) == before
    assert report["writtenBack"] == ["ragstack:search.replicas"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replicas", "4"], "--replicas 4: sku 'basic' allows replicas 1-3"),
        (["--partitions", "5"], "--partitions 5: sku 'basic' allows partitions 1, 2, 3"),
        ([], "nothing to change"),
    ],
)
def test_scale_search_refuses_bad_input_before_any_write(live, opsctl, args, message) -> None:
    start = mark(live.sandbox)
    result = opsctl("scale", "search", "--stack", "dev", *args, "--project-dir", str(live.project))
    lines = result.err.strip().splitlines()
    assert result.code == 1 and len(lines) == 1
    assert lines[0].startswith("error: ") and message in lines[0]
    assert arm_writes(live.sandbox, start) == []


def test_scale_search_reports_a_busy_service_and_waits_with_wait_busy(live, opsctl) -> None:
    # The virtual test clock stands still until a client waits, so the scale (15 simulated minutes)
    # is still running when the CLI reads the service, however loaded the machine.
    env = live.env()
    client = live.target.client(SearchManagementClient)
    client.services.update(
        env.resource_group,
        env.names.search,
        SearchServiceUpdate(
            replica_count=2, partition_count=None, hosting_mode=None, public_network_access=None
        ),
    )
    busy = opsctl("scale", "search", "--stack", "dev", "--replicas", "3", "--project-dir", str(live.project))
    assert busy.code == 1
    assert "still processing a previous update" in busy.err and "--wait-busy" in busy.err
    waited = opsctl(
        "scale",
        "search",
        "--stack",
        "dev",
        "--replicas",
        "3",
        "--wait-busy",
        "--project-dir",
        str(live.project),
    )
    assert waited.code == 0, waited.err
    assert client.services.get(env.resource_group, env.names.search).replica_count == 3


def test_scale_app_reads_back_and_writes_back(live, opsctl) -> None:
    result = opsctl(
        "scale",
        "app",
        "--stack",
        "dev",
        "--min",
        "1",
        "--max",
        "5",
        "--project-dir",
        str(live.project),
        "-o",
        "json",
    )
    assert result.code == 0, result.err
    env = live.env()
    app = live.target.client(ContainerAppsAPIClient).container_apps.get(
        env.resource_group, env.names.container_app
    )
    assert (
        app.properties.template["scale"]["minReplicas"],
        app.properties.template["scale"]["maxReplicas"],
    ) == (1, 5)
    settings = StackFile.load(live.project / "Pulumi.dev.yaml").settings()
    assert (settings.app.min_replicas, settings.app.max_replicas) == (1, 5)
    bad = opsctl("scale", "app", "--stack", "dev", "--min", "6", "--project-dir", str(live.project))
    assert bad.code == 1 and "minReplicas (6) must not exceed maxReplicas (5)" in bad.err


def test_scale_openai_checks_quota_with_numbers_before_writing(live, opsctl) -> None:
    ok = opsctl(
        "scale",
        "openai",
        "--stack",
        "dev",
        "--deployment",
        "chat",
        "--capacity",
        "20",
        "--project-dir",
        str(live.project),
    )
    assert ok.code == 0, ok.err
    env = live.env()
    client = live.target.client(CognitiveServicesManagementClient)
    assert client.deployments.get(env.resource_group, env.names.openai, "chat").sku.capacity == 20
    assert StackFile.load(live.project / "Pulumi.dev.yaml").settings().openai.deployments[0].capacity == 20

    usage = next(
        u
        for u in client.usages.list(env.settings.location)
        if u.name.value == "OpenAI.GlobalStandard.gpt-4o-mini"
    )
    too_much = int(usage.limit - usage.current_value) + 21
    start = mark(live.sandbox)
    refused = opsctl(
        "scale",
        "openai",
        "--stack",
        "dev",
        "--deployment",
        "chat",
        "--capacity",
        str(too_much),
        "--project-dir",
        str(live.project),
    )
    assert refused.code == 1
    assert "[InsufficientQuota]" in refused.err and f"limit {usage.limit:g}" in refused.err
    assert arm_writes(live.sandbox, start) == []


def test_access_grant_is_idempotent_listed_and_revoked(live, opsctl) -> None:
    args = reader_grant(live)
    live.sandbox.add_principal(NEW_USER, "Group")
    first = opsctl("access", "grant", *args, "-o", "json")
    assert first.code == 0, first.err
    assert {c["action"] for c in json.loads(first.out)} == {"created"}
    start = mark(live.sandbox)
    second = opsctl("access", "grant", *args, "-o", "json")
    assert {c["action"] for c in json.loads(second.out)} == {"exists"}
    assert [w["path"] for w in arm_writes(live.sandbox, start)] == []
    listed = json.loads(
        opsctl("access", "list", "--stack", "dev", "--project-dir", str(live.project), "-o", "json").out
    )
    assert {(r["role"], r["resource"]) for r in listed if r["principal_id"] == NEW_USER} == {
        ("Search Index Data Reader", "search"),
        ("Reader", "search"),
        ("Reader", "openai"),
        ("Reader", "document_intelligence"),
        ("Reader", "registry"),
        ("ContainerApp Reader", "container_app"),
        ("Reader", "foundry_project"),  # dev declares a Foundry project
    }
    assert NEW_USER in live.stack_text()
    revoked = opsctl("access", "revoke", *args, "-o", "json")
    assert {c["action"] for c in json.loads(revoked.out)} == {"deleted"}
    assert NEW_USER not in live.stack_text()


def test_up_of_a_stack_granting_the_operator_keeps_the_operator_signed_in(live, opsctl) -> None:
    """`make demo` grants the sandbox operator the developer preset, recorded in the stack file.
    `up` seeds the directory with the stack's grantees and re-registered the operator over its own
    app registration: the next command failed with AADSTS700016 (the operator's client id 'was not
    found in the directory')."""
    grant = (
        "--principal",
        OPERATOR_OBJECT_ID,
        "--principal-type",
        "ServicePrincipal",
        "--preset",
        "developer",
    )
    granted = opsctl("access", "grant", "--stack", "dev", "--project-dir", str(live.project), *grant)
    assert granted.code == 0, granted.err
    assert OPERATOR_OBJECT_ID in live.stack_text()
    for _ in range(2):
        up = opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project), "-o", "json")
        assert up.code == 0, up.err
    assert live.sandbox.state.directory.get(OPERATOR_OBJECT_ID)["appId"] == OPERATOR_CLIENT_ID
    status = opsctl("status", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert status.code == 0, status.err


def test_access_refuses_bad_input_with_zero_writes(live, opsctl) -> None:
    start = mark(live.sandbox)
    for args, message in (
        (
            ["--principal", "not-a-guid", "--principal-type", "User", "--preset", "reader"],
            "must be an Entra object id",
        ),
        (
            ["--principal", NEW_USER, "--principal-type", "Robot", "--preset", "reader"],
            "allowed: User, Group, ServicePrincipal",
        ),
        (
            ["--principal", NEW_USER, "--principal-type", "User", "--preset", "app"],
            "allowed presets: developer, ingestion, reader",
        ),
    ):
        result = opsctl("access", "grant", "--stack", "dev", *args, "--project-dir", str(live.project))
        assert result.code == 1 and message in result.err
    assert requests_after(live.sandbox, start) == []


def test_drift_reports_manual_changes_with_exit_2(live, opsctl) -> None:
    env = live.env()
    live.target.client(SearchManagementClient).services.update(
        env.resource_group,
        env.names.search,
        SearchServiceUpdate(
            replica_count=2, partition_count=None, hosting_mode=None, public_network_access=None
        ),
    )
    result = opsctl("drift", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 2
    items = json.loads(result.out)["drift"]
    assert {
        "resource": env.names.search,
        "setting": "replicas",
        "expected": 1,
        "actual": 2,
        "restore": "ragstack:search.replicas",
    } in items


def test_set_image_rolls_a_new_revision_and_leaves_the_image_to_ci(live, opsctl) -> None:
    env = live.env()
    client = live.target.client(ContainerAppsAPIClient)
    before = client.container_apps.get(
        env.resource_group, env.names.container_app
    ).properties.latest_revision_name
    image = f"{env.names.registry}.azurecr.io/rag-app:1.2.3"
    dry = opsctl(
        "app",
        "set-image",
        "--stack",
        "dev",
        "--image",
        image,
        "--dry-run",
        "--project-dir",
        str(live.project),
        "-o",
        "json",
    )
    assert dry.code == 0 and json.loads(dry.out)["applied"] is False
    result = opsctl(
        "app",
        "set-image",
        "--stack",
        "dev",
        "--image",
        image,
        "--project-dir",
        str(live.project),
        "-o",
        "json",
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["revision"] != before and report["url"].startswith("https://ca-dev.")
    app = client.container_apps.get(env.resource_group, env.names.container_app)
    assert app.properties.template["containers"][0]["image"] == image
    assert StackFile.load(live.project / "Pulumi.dev.yaml").settings().app.image is None


def test_teardown_deletes_in_order_and_purges(live, opsctl) -> None:
    env = live.env()
    start = mark(live.sandbox)
    result = opsctl(
        "teardown", "--stack", "dev", "--yes", "--purge", "--project-dir", str(live.project), "-o", "json"
    )
    assert result.code == 0, result.err
    deletes = [r["path"] for r in requests_after(live.sandbox, start, "DELETE")]
    first_account = next(
        i for i, p in enumerate(deletes) if p.lower().endswith(f"/accounts/{env.names.openai}".lower())
    )
    deployment_deletes = [i for i, p in enumerate(deletes) if "/deployments/" in p]
    group_delete = next(
        i
        for i, p in enumerate(deletes)
        if p.lower().endswith(f"/resourcegroups/{env.resource_group}".lower())
    )
    purges = [i for i, p in enumerate(deletes) if "/deletedaccounts/" in p.lower()]
    assert len(deployment_deletes) == 2 and max(deployment_deletes) < first_account < group_delete < min(
        purges
    )
    assert len(purges) == 2
    resources = live.target.client(ResourceManagementClient)
    assert not resources.resource_groups.check_existence(env.resource_group)
    assert list(live.target.client(CognitiveServicesManagementClient).deleted_accounts.list()) == []


def test_teardown_refuses_locked_environments_and_deletes_nothing(live, opsctl) -> None:
    env = live.env()
    live.target.client(ManagementLockClient).management_locks.create_or_update_at_resource_group_level(
        env.resource_group, "keep", {"level": "CanNotDelete"}
    )
    start = mark(live.sandbox)
    result = opsctl("teardown", "--stack", "dev", "--yes", "--project-dir", str(live.project))
    assert result.code == 1 and "[ScopeLocked]" in result.err and "keep (CanNotDelete)" in result.err
    assert requests_after(live.sandbox, start, "DELETE") == []


def test_teardown_resumes_after_an_interruption(live, opsctl) -> None:
    env = live.env()
    fail_deletes(live, f"/resourcegroups/{env.resource_group}")
    first = opsctl("teardown", "--stack", "dev", "--yes", "--project-dir", str(live.project))
    assert first.code == 1 and "InternalServerError" in first.err
    cognitive = live.target.client(CognitiveServicesManagementClient)
    assert [a.name for a in cognitive.accounts.list_by_resource_group(env.resource_group)] == []
    live.sandbox.faults.clear()
    second = opsctl("teardown", "--stack", "dev", "--yes", "--purge", "--project-dir", str(live.project))
    assert second.code == 0, second.err
    assert not live.target.client(ResourceManagementClient).resource_groups.check_existence(
        env.resource_group
    )
    assert list(cognitive.deleted_accounts.list()) == []


def test_protected_environments_need_yes_and_the_typed_name(live, opsctl) -> None:
    stack_file = StackFile.load(live.project / "Pulumi.dev.yaml")
    stack_file.set("ragstack:protect", (), True)
    stack_file.save()
    refused = opsctl(
        "teardown", "--stack", "dev", "--yes", "--confirm", "wrong", "--project-dir", str(live.project)
    )
    assert refused.code == 1 and "protected" in refused.err
    assert live.target.client(ResourceManagementClient).resource_groups.check_existence(
        live.env().resource_group
    )


def test_library_calls_survive_injected_faults(live) -> None:
    from opsctl.scale import scale_search

    env = live.env()
    sandbox = live.sandbox
    sandbox.faults.throttle(path=".*searchServices.*", method="GET", retry_after=2, times=2)
    sandbox.faults.error(
        503, "ServiceUnavailable", "try again", path=".*searchServices.*", method="PATCH", times=1
    )
    sandbox.faults.drop(path=".*searchServices.*", method="GET", times=1)
    result = scale_search(env, live.target, replicas=2, write_config=False)
    assert result.applied and result.after["replicas"] == 2
    statuses = [r["status"] for r in sandbox.requests.list(path="searchServices")]
    assert 429 in statuses and 503 in statuses


def test_failed_deployment_update_stops_with_a_clear_message(live, opsctl) -> None:
    live.sandbox.faults.fail_lro(
        "DeploymentFailed",
        "capacity could not be allocated",
        path=".*/deployments/chat.*",
        method="PUT",
        times=1,
    )
    result = opsctl(
        "scale",
        "openai",
        "--stack",
        "dev",
        "--deployment",
        "chat",
        "--capacity",
        "12",
        "--project-dir",
        str(live.project),
    )
    assert result.code == 1
    assert "capacity could not be allocated" in result.err and "Traceback" not in result.err
    assert StackFile.load(live.project / "Pulumi.dev.yaml").settings().openai.deployments[0].capacity == 10


def test_concurrent_teardown_of_expired_ephemeral_environments(live, opsctl, expired_previews) -> None:
    result = opsctl(
        "teardown",
        "--all-ephemeral",
        "--older-than",
        "24h",
        "--yes",
        "--project-dir",
        str(live.project),
        "-o",
        "json",
    )
    assert result.code == 0, result.err
    done = {r["environment"] for r in json.loads(result.out)}
    assert done == {"pr-1", "pr-2", "pr-3"}
    resources = live.target.client(ResourceManagementClient)
    groups = {g.name for g in resources.resource_groups.list()}
    assert groups == {live.env().resource_group}
    assert list(live.target.client(CognitiveServicesManagementClient).deleted_accounts.list()) == []


def test_down_removes_the_sandbox_deployment(live, opsctl) -> None:
    result = opsctl("down", "--stack", "dev", "--sandbox", "--project-dir", str(live.project))
    assert result.code == 0, result.err
    assert not live.target.client(ResourceManagementClient).resource_groups.check_existence(
        live.env().resource_group
    )


def test_unknown_principal_is_retried_for_a_bounded_time_then_explained(live, opsctl) -> None:
    ghost = "99999999-9999-4999-8999-999999999999"
    result = opsctl(
        "access",
        "grant",
        "--stack",
        "dev",
        "--principal",
        ghost,
        "--principal-type",
        "User",
        "--preset",
        "reader",
        "--project-dir",
        str(live.project),
    )
    assert result.code == 1
    assert "[PrincipalNotFound]" in result.err and "check the object id" in result.err
    attempts = [r for r in live.sandbox.requests.list(method="PUT") if "roleAssignments" in r["path"]]
    assert len(attempts) > 3, "replication delays are retried before giving up"


def test_up_with_a_broken_stack_file_sends_nothing(live, opsctl) -> None:
    (live.project / "Pulumi.broken.yaml").write_text(
        "config:\n  ragstack:location: eastus2\n  ragstack:search:\n    sku: basic\n    replicas: 9\n"
    )
    start = mark(live.sandbox)
    result = opsctl("up", "--stack", "broken", "--sandbox", "--project-dir", str(live.project))
    assert result.code == 1
    assert result.err.strip() == (
        "error: Pulumi.broken.yaml: ragstack:search.replicas = 9: sku 'basic' allows replicas 1-3"
    )
    assert requests_after(live.sandbox, start) == []


@pytest.mark.parametrize("args", [["--yes"], ["--stack", "dev", "--all-ephemeral", "--yes"]])
def test_teardown_needs_exactly_one_selector(live, opsctl, args) -> None:
    start = mark(live.sandbox)
    result = opsctl("teardown", *args, "--project-dir", str(live.project))
    assert result.code == 1 and "exactly one of --stack NAME or --all-ephemeral" in result.err
    assert requests_after(live.sandbox, start) == []


def test_up_keeps_an_image_rolled_out_by_ci(live, opsctl) -> None:
    env = live.env()
    image = f"{env.names.registry}.azurecr.io/rag-app:7"
    rolled = opsctl(
        "app",
        "set-image",
        "--stack",
        "dev",
        "--image",
        image,
        "--no-write-back",
        "--project-dir",
        str(live.project),
    )
    assert rolled.code == 0, rolled.err
    start = mark(live.sandbox)
    again = opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project), "-o", "json")
    assert again.code == 0, again.err
    assert arm_writes(live.sandbox, start) == [], "an unpinned image belongs to CI; up must not roll it back"
    app = live.target.client(ContainerAppsAPIClient).container_apps.get(
        env.resource_group, env.names.container_app
    )
    assert app.properties.template["containers"][0]["image"] == image
    live.apply_indexes()
    drift = opsctl("drift", "--stack", "dev", "--project-dir", str(live.project))
    assert drift.code == 0, drift.out


def test_teardown_only_purges_when_the_group_left_is_not_ours(live, opsctl) -> None:
    env = live.env()
    cognitive = live.target.client(CognitiveServicesManagementClient)
    cognitive.accounts.begin_delete(env.resource_group, env.names.document_intelligence).result()
    resources = live.target.client(ResourceManagementClient)
    resources.resource_groups.create_or_update(env.resource_group, {"location": "eastus2", "tags": {}})
    result = opsctl(
        "teardown", "--stack", "dev", "--yes", "--purge", "--project-dir", str(live.project), "-o", "json"
    )
    assert result.code == 0, result.err
    assert resources.resource_groups.check_existence(env.resource_group), "an untagged group is never deleted"
    assert list(cognitive.deleted_accounts.list()) == []


def test_a_locked_ephemeral_environment_does_not_stop_the_others(live, opsctl, expired_previews) -> None:
    locked = live.env("pr-1").resource_group
    live.target.client(ManagementLockClient).management_locks.create_or_update_at_resource_group_level(
        locked, "hold", {"level": "CanNotDelete"}
    )
    result = opsctl("teardown", "--all-ephemeral", "--yes", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 1
    outcome = {r["environment"]: r for r in json.loads(result.out)}
    assert "[ScopeLocked]" in outcome["pr-1"]["error"]
    assert outcome["pr-2"]["error"] is None and outcome["pr-3"]["error"] is None
    groups = {g.name for g in live.target.client(ResourceManagementClient).resource_groups.list()}
    assert locked in groups and live.env("pr-2").resource_group not in groups
    assert live.env("pr-3").resource_group not in groups


def test_protected_environment_goes_with_yes_and_the_typed_name(live, opsctl) -> None:
    stack_file = StackFile.load(live.project / "Pulumi.dev.yaml")
    stack_file.set("ragstack:protect", (), True)
    stack_file.save()
    result = opsctl(
        "teardown", "--stack", "dev", "--yes", "--confirm", "dev", "--project-dir", str(live.project)
    )
    assert result.code == 0, result.err
    assert not live.target.client(ResourceManagementClient).resource_groups.check_existence(
        live.env().resource_group
    )


def test_bad_subscription_and_a_dead_sandbox_are_one_line(live, opsctl) -> None:
    start = mark(live.sandbox)
    bad = opsctl(
        "status", "--stack", "dev", "--subscription", "not-a-guid", "--project-dir", str(live.project)
    )
    assert bad.code == 1 and "--subscription not-a-guid: must be a subscription id (GUID)" in bad.err
    assert requests_after(live.sandbox, start) == []
    record = Path(live.sandbox.state_dir) / "sandbox.json"
    saved = json.loads(record.read_text())
    record.write_text(json.dumps({**saved, "pid": 2**22 + 12345}))
    dead = opsctl("status", "--stack", "dev", "--project-dir", str(live.project))
    assert dead.code == 1 and "no sandbox is running" in dead.err and "Traceback" not in dead.err
    record.write_text("{broken")
    corrupt = opsctl("status", "--stack", "dev", "--project-dir", str(live.project))
    assert corrupt.code == 1 and "is unreadable" in corrupt.err and "Traceback" not in corrupt.err


def test_scale_openai_retries_the_parent_resource_conflict(live, opsctl) -> None:
    live.sandbox.faults.error(
        409,
        "RequestConflict",
        "Another operation is being performed on the parent resource. Please try again later.",
        path=".*/deployments/chat$",
        method="PUT",
        times=2,
    )
    result = opsctl(
        "scale",
        "openai",
        "--stack",
        "dev",
        "--deployment",
        "chat",
        "--capacity",
        "15",
        "--project-dir",
        str(live.project),
    )
    assert result.code == 0, result.err
    puts = [r for r in live.sandbox.requests.list(method="PUT") if r["path"].endswith("/deployments/chat")]
    statuses = [r["status"] for r in puts]
    assert statuses[-3:-1] == [409, 409] and statuses[-1] in (200, 201), statuses


@pytest.mark.parametrize(
    "args",
    [
        ["scale", "search", "--replicas", "2"],
        ["scale", "app", "--min", "1"],
        ["scale", "openai", "--deployment", "chat", "--capacity", "12"],
        ["access", "grant", "--principal", DEVELOPER, "--principal-type", "User", "--preset", "reader"],
        ["access", "revoke", "--principal", DEVELOPER, "--principal-type", "User", "--preset", "developer"],
        ["teardown", "--yes"],
    ],
)
def test_dry_run_writes_nothing_anywhere(live, opsctl, args) -> None:
    before = live.stack_text()
    start = mark(live.sandbox)
    result = opsctl(*args, "--stack", "dev", "--dry-run", "--project-dir", str(live.project))
    assert result.code == 0, result.err
    assert arm_writes(live.sandbox, start) == []
    assert live.stack_text() == before


def test_drift_sees_admin_user_capacity_and_role_assignment_changes(live, opsctl) -> None:
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    env = live.env()
    registry = live.target.client(ContainerRegistryManagementClient)
    from azure.mgmt.containerregistry.models import RegistryUpdateParameters

    update = RegistryUpdateParameters(admin_user_enabled=True)
    registry.registries.begin_update(env.resource_group, env.names.registry, update).result()
    cognitive = live.target.client(CognitiveServicesManagementClient)
    deployment = cognitive.deployments.get(env.resource_group, env.names.openai, "embedding")
    deployment.sku.capacity = 11
    cognitive.deployments.begin_create_or_update(
        env.resource_group, env.names.openai, "embedding", deployment
    ).result()
    auth = live.target.client(AuthorizationManagementClient)
    scope = env.scopes()["search"]
    developer = [
        a
        for a in auth.role_assignments.list_for_scope(scope, filter=f"principalId eq '{DEVELOPER}'")
        if a.scope == scope
    ]
    auth.role_assignments.delete(scope, developer[0].name)

    result = opsctl("drift", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 2
    items = json.loads(result.out)["drift"]
    assert {
        "resource": env.names.registry,
        "setting": "adminUserEnabled",
        "expected": False,
        "actual": True,
        "restore": "pulumi up --refresh",
    } in items
    assert {
        "resource": f"{env.names.openai}/embedding",
        "setting": "capacity",
        "expected": 10,
        "actual": 11,
        "restore": "ragstack:openai.deployments",
    } in items
    missing = [i for i in items if i["actual"] == "missing"]
    assert len(missing) == 1 and DEVELOPER in missing[0]["setting"]
    assert missing[0]["restore"] == "ragstack:access"


def test_operations_complete_through_throttling_errors_and_dropped_connections(live, opsctl) -> None:
    faults = live.sandbox.faults
    faults.throttle(path=".*roleAssignments.*", method="PUT", retry_after=3, times=2)
    faults.drop(path=".*roleAssignments.*", method="GET", times=1)
    live.sandbox.add_principal(NEW_USER, "Group")
    granted = opsctl("access", "grant", *reader_grant(live))
    assert granted.code == 0, granted.err
    faults.error(503, "ServiceUnavailable", "busy", path=".*/revisions/.*", method="GET", times=2)
    rolled = opsctl(
        "app",
        "set-image",
        "--stack",
        "dev",
        "--image",
        "cr.azurecr.io/app:9",
        "--project-dir",
        str(live.project),
    )
    assert rolled.code == 0, rolled.err
    faults.throttle(method="DELETE", retry_after=2, times=3)
    faults.drop(path=".*/deployments/.*", method="GET", times=1)
    gone = opsctl("teardown", "--stack", "dev", "--yes", "--purge", "--project-dir", str(live.project))
    assert gone.code == 0, gone.err
    statuses = {r["status"] for r in live.sandbox.requests.list()}
    assert {429, 503} <= statuses
    assert not live.target.client(ResourceManagementClient).resource_groups.check_existence(
        live.env().resource_group
    )


def test_teardown_resumes_after_failing_between_deployments_and_account(live, opsctl) -> None:
    env = live.env()
    fail_deletes(live, f"/accounts/{env.names.openai}")
    first = opsctl("teardown", "--stack", "dev", "--yes", "--project-dir", str(live.project))
    assert first.code == 1
    cognitive = live.target.client(CognitiveServicesManagementClient)
    assert list(cognitive.deployments.list(env.resource_group, env.names.openai)) == []
    live.sandbox.faults.clear()
    second = opsctl("teardown", "--stack", "dev", "--yes", "--purge", "--project-dir", str(live.project))
    assert second.code == 0, second.err
    assert list(cognitive.deleted_accounts.list()) == []


def test_status_shows_a_dash_not_none_for_the_scale_of_a_missing_service(live, opsctl) -> None:
    env = live.env()
    live.target.client(SearchManagementClient).services.delete(env.resource_group, env.names.search)
    result = opsctl("status", "--stack", "dev", "--project-dir", str(live.project), "-o", "json")
    assert result.code == 0, result.err
    search = next(r for r in json.loads(result.out)["resources"] if r["resource"] == "search")
    assert (search["state"], search["scale"]) == ("missing", None)
    table = opsctl("status", "--stack", "dev", "--project-dir", str(live.project))
    assert "None" not in table.out
