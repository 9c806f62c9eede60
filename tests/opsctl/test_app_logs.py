"""`opsctl app logs` through the CLI against the sandbox's log streams (issue 11 item 9): the
system event stream and a replica's console, reached with getAuthtoken and the app's
eventStreamEndpoint as `az containerapp logs show` does, `--follow` streaming new events, and
bad input refused in one line before any call."""

from __future__ import annotations

import json
import threading
import time

import pytest
from azure.mgmt.appcontainers import ContainerAppsAPIClient

from sandbox.arm.app.models import DEFAULT_COOLDOWN


def where(live) -> tuple[str, ...]:
    return ("--stack", "dev", "--project-dir", str(live.project))


def system_events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_system_logs_tell_the_revision_story_in_azures_format(live, opsctl) -> None:
    result = opsctl("app", "logs", *where(live), "--type", "system", "--tail", "300")
    assert result.code == 0, result.err
    events = system_events(result.out)
    env = live.env()
    reasons = [e["Reason"] for e in events]
    for reason in (
        "RevisionCreation",
        "AssigningReplica",
        "PulledImage",
        "ContainerStarted",
        "RevisionReady",
    ):
        assert reason in reasons
    assert {e["ContainerAppName"] for e in events} == {env.names.container_app}
    keys = "TimeStamp Type ContainerAppName RevisionName ReplicaName Msg Reason EventSource Count"
    assert set(events[0]) == set(keys.split())
    tail = opsctl("app", "logs", *where(live), "--type", "system", "--tail", "2")
    assert tail.code == 0 and len(system_events(tail.out)) == 2


def test_console_logs_come_from_a_running_replica(live, opsctl) -> None:
    # minReplicas 0: the app scales to zero once idle for its cooldown; on the virtual test clock
    # that time passes only when waited, so wait it
    live.sandbox.advance(DEFAULT_COOLDOWN)
    scaled_to_zero = opsctl("app", "logs", *where(live))
    assert scaled_to_zero.code == 1 and "no running replica" in scaled_to_zero.err
    assert len(scaled_to_zero.err.strip().splitlines()) == 1
    assert opsctl("scale", "app", *where(live), "--min", "1").code == 0
    result = opsctl("app", "logs", *where(live))
    assert result.code == 0, result.err
    assert "Connecting to the container" in result.out and "Successfully Connected to container" in result.out
    as_json = opsctl("app", "logs", *where(live), "--format", "json")
    assert as_json.code == 0 and all("Log" in json.loads(line) for line in as_json.out.splitlines())
    dash_o = opsctl("app", "logs", *where(live), "-o", "json")
    assert dash_o.code == 0 and dash_o.out == as_json.out, (
        "-o json is the ecosystem's spelling of --format json"
    )


def test_follow_streams_events_as_they_happen(live, opsctl) -> None:
    env = live.env()
    before = system_events(opsctl("app", "logs", *where(live), "--type", "system", "--tail", "300").out)
    client = live.target.client(ContainerAppsAPIClient)

    def new_revision() -> None:
        time.sleep(1.0)
        app = client.container_apps.get(env.resource_group, env.names.container_app)
        template = app.properties.template.as_dict()
        template["containers"][0]["image"] = f"{env.names.registry}.azurecr.io/rag-app:follow"
        client.container_apps.begin_update(
            env.resource_group, env.names.container_app, {"properties": {"template": template}}
        ).result()

    thread = threading.Thread(target=new_revision)
    thread.start()
    want = len(before) + 1
    result = opsctl(
        "app", "logs", *where(live), "--type", "system", "--tail", "300", "--follow", "--max-lines", str(want)
    )
    thread.join()
    assert result.code == 0, result.err
    events = system_events(result.out)
    assert len(events) == want
    assert events[-1]["Reason"] == "RevisionCreation" and events[-1]["RevisionName"] not in {
        e["RevisionName"] for e in before
    }


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--tail", "301"), "--tail 301 is out of range: 0-300"),
        (("--type", "system", "--revision", "ca-dev--x"), "--revision applies to --type console only"),
        (("--type", "audit"), "--type 'audit' is not one of console, system"),
        (("--query", "[0]"), "a log stream prints text or JSON lines (-o json)"),
        (("-o", "tsv"), "a log stream prints text or JSON lines (-o json)"),
    ],
)
def test_usage_errors_exit_2_in_one_line(live, opsctl, args, fragment) -> None:
    result = opsctl("app", "logs", *where(live), *args)
    assert result.code == 2 and fragment in result.err


def test_unknown_revision_and_missing_app(live, opsctl) -> None:
    result = opsctl("app", "logs", *where(live), "--revision", "ca-dev--nosuch")
    assert result.code == 2 and "is not a revision of" in result.err
    assert len(result.err.strip().splitlines()) == 1
    env = live.env()
    client = live.target.client(ContainerAppsAPIClient)
    client.container_apps.begin_delete(env.resource_group, env.names.container_app).result()
    gone = opsctl("app", "logs", *where(live), "--type", "system")
    assert gone.code == 1 and "no container app" in gone.err
