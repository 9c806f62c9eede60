"""A resource whose last long-running operation failed is never "unchanged" or "in sync".

Each test makes an operation end `Failed` with the sandbox's `lro` fault, then re-runs the command an
operator would re-run and checks it repairs the resource (re-PUT/PATCH) or refuses in one line naming
the state, without writing the stack file over a failure (issue 9 item 3, issue 11 item 5).
"""

from __future__ import annotations

import contextlib
import json

from azure.core.exceptions import HttpResponseError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.search import SearchManagementClient
from azure.mgmt.search.models import SearchServiceUpdate

from infra.stackfile import StackFile
from tests.opsctl.test_operations import arm_writes, mark


def run(opsctl, live, *args: str):  # type: ignore[no-untyped-def]
    return opsctl(*args, "--stack", "dev", "--project-dir", str(live.project))


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert "Traceback" not in result.err
    return lines[0]


def fail_next(live, path: str, method: str) -> None:
    live.sandbox.faults.fail_lro("InternalServerError", "injected failure", path=path, method=method, times=1)


def fail_deployment_in_place(live) -> None:
    """The chat deployment re-PUT with its own values ends Failed: values match, state does not."""
    env = live.env()
    client = live.target.client(CognitiveServicesManagementClient)
    deployment = client.deployments.get(env.resource_group, env.names.openai, "chat")
    fail_next(live, ".*/deployments/chat$", "PUT")
    with contextlib.suppress(HttpResponseError):  # the poller raises the injected failure
        client.deployments.begin_create_or_update(
            env.resource_group, env.names.openai, "chat", deployment
        ).result()
    assert client.deployments.get(
        env.resource_group, env.names.openai, "chat"
    ).properties.provisioning_state == ("Failed")


def fail_search_in_place(live) -> None:
    """A search scale to 2 replicas (also the stack's value) whose provisioning ends failed/error."""
    stack_file = StackFile.load(live.project / "Pulumi.dev.yaml")
    stack_file.set("ragstack:search", ("replicas",), 2)
    stack_file.save()
    env = live.env()
    client = live.target.client(SearchManagementClient)
    fail_next(live, ".*/searchServices/[^/]+$", "PATCH")
    update = SearchServiceUpdate(
        replica_count=2, partition_count=None, hosting_mode=None, public_network_access=None
    )
    client.services.update(env.resource_group, env.names.search, update)
    service = client.services.get(env.resource_group, env.names.search)
    while str(service.provisioning_state).lower() == "provisioning":
        live.sandbox.advance(5)  # the virtual clock moves only when someone waits
        service = client.services.get(env.resource_group, env.names.search)
    assert str(service.provisioning_state).lower() == "failed"


def test_scale_openai_retries_a_failed_deployment_instead_of_calling_it_unchanged(live, opsctl) -> None:
    fail_next(live, ".*/deployments/chat$", "PUT")
    first = run(opsctl, live, "scale", "openai", "--deployment", "chat", "--capacity", "12")
    assert first.code == 1 and "injected failure" in first.err
    assert "capacity: 12" not in live.stack_text()

    again = run(opsctl, live, "scale", "openai", "--deployment", "chat", "--capacity", "12", "-o", "json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["applied"] is True
    env = live.env()
    client = live.target.client(CognitiveServicesManagementClient)
    deployment = client.deployments.get(env.resource_group, env.names.openai, "chat")
    assert (deployment.sku.capacity, deployment.properties.provisioning_state) == (12, "Succeeded")
    assert live.env().settings.openai.deployments[0].capacity == 12


def test_scale_search_retries_a_failed_scale_instead_of_calling_it_unchanged(live, opsctl) -> None:
    fail_next(live, ".*/searchServices/[^/]+$", "PATCH")
    first = run(opsctl, live, "scale", "search", "--replicas", "2")
    assert first.code == 1 and "failed" in one_error_line(first)
    assert live.env().settings.search.replicas == 1

    again = run(opsctl, live, "scale", "search", "--replicas", "2", "-o", "json")
    assert again.code == 0, again.err
    assert json.loads(again.out)["applied"] is True
    env = live.env()
    service = live.target.client(SearchManagementClient).services.get(env.resource_group, env.names.search)
    assert (str(service.provisioning_state).lower(), str(service.status).lower()) == ("succeeded", "running")
    assert env.settings.search.replicas == 2


def _latest_revision(live) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from azure.mgmt.appcontainers import ContainerAppsAPIClient

    client = live.target.client(ContainerAppsAPIClient)
    env = live.env()
    name = client.container_apps.get(env.resource_group, env.names.container_app).latest_revision_name
    revision = client.container_apps_revisions.get_revision(env.resource_group, env.names.container_app, name)
    return name, revision.provisioning_state


def test_scale_app_over_a_failed_revision_rolls_a_new_one_and_writes_back(live, opsctl) -> None:
    """Re-sending an unchanged template makes no new revision; the re-run repairs with a fresh suffix."""
    fail_next(live, ".*/containerApps/[^/]+$", "PATCH")
    first = run(opsctl, live, "scale", "app", "--max", "5")
    assert first.code == 1 and "injected failure" in one_error_line(first)
    failed, _ = _latest_revision(live)
    assert live.env().settings.app.max_replicas == 3
    again = run(opsctl, live, "scale", "app", "--max", "5")
    assert again.code == 0, again.err
    revision, state = _latest_revision(live)
    assert revision != failed and state == "Provisioned", state
    assert live.env().settings.app.max_replicas == 5


def test_set_image_over_a_failed_revision_rolls_a_new_one(live, opsctl) -> None:
    image = f"{live.env().names.registry}.azurecr.io/rag-app:1.2.3"
    fail_next(live, ".*/containerApps/[^/]+$", "PATCH")
    first = run(opsctl, live, "app", "set-image", "--image", image)
    assert first.code == 1
    failed, _ = _latest_revision(live)
    again = run(opsctl, live, "app", "set-image", "--image", image)
    assert again.code == 0, again.err
    revision, state = _latest_revision(live)
    assert revision != failed and state == "Provisioned", state


def test_up_re_puts_failed_resources_whose_values_match(live, opsctl) -> None:
    fail_deployment_in_place(live)
    fail_search_in_place(live)
    start = mark(live.sandbox)
    up = run(opsctl, live, "up", "--sandbox", "-o", "json")
    assert up.code == 0, up.err
    written = {w["path"].rsplit("/", 1)[-1] for w in arm_writes(live.sandbox, start)}
    env = live.env()
    assert {"chat", env.names.search} <= written
    live.apply_indexes()
    drift = run(opsctl, live, "drift")
    assert drift.code == 0, drift.out


def test_drift_reports_failed_resources_and_deployments(live, opsctl, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table's five columns, unfolded
    fail_deployment_in_place(live)
    fail_search_in_place(live)
    env = live.env()
    result = run(opsctl, live, "drift", "-o", "json")
    assert result.code == 2, result.out
    items = json.loads(result.out)["drift"]
    assert {
        "resource": f"{env.names.openai}/chat",
        "setting": "provisioningState",
        "expected": "Succeeded",
        "actual": "Failed",
        "restore": "pulumi up --refresh",
    } in items
    assert {
        "resource": env.names.search,
        "setting": "provisioningState",
        "expected": "succeeded/running",
        "actual": "failed/error",
        "restore": "pulumi up --refresh",
    } in items
    table = run(opsctl, live, "drift")
    assert table.code == 2 and "provisioningState" in table.out


def test_status_shows_failed_resources_and_deployments(live, opsctl) -> None:
    fail_deployment_in_place(live)
    fail_search_in_place(live)
    result = run(opsctl, live, "status", "-o", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    health = {row["resource"]: row["health"] for row in report["resources"]}
    assert health["search"] == "failed" and health["openai"] == "ok"
    deployments = {row["deployment"]: row for row in report["deployments"]}
    assert deployments["chat"]["health"] == "failed" and deployments["chat"]["state"] == "Failed"
    table = run(opsctl, live, "status")
    assert "failed" in table.out.lower()
