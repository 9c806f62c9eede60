"""Image ownership and revisions through the CLI against the sandbox (issue 11 item 9): an unpinned
stack stays CI's (set-image records the rollout, pins only with --pin), `stack new` does not copy
another environment's image, revisions list with state and traffic, rollback goes back."""

from __future__ import annotations

import json

from azure.mgmt.appcontainers import ContainerAppsAPIClient

from infra.stackfile import StackFile


def roll(opsctl, live, image: str, *extra: str):
    return opsctl(
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
        *extra,
    )


def running_image(live) -> str:
    env = live.env()
    app = live.target.client(ContainerAppsAPIClient).container_apps.get(
        env.resource_group, env.names.container_app
    )
    return str(app.properties.template["containers"][0]["image"])


def test_set_image_records_the_rollout_and_pins_only_when_asked(live, opsctl) -> None:
    env = live.env()
    image = f"{env.names.registry}.azurecr.io/rag-app:1.2.3"
    result = roll(opsctl, live, image)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["pinned"] is False and report["writtenBack"] == []
    assert StackFile.load(live.project / "Pulumi.dev.yaml").settings().app.image is None, "CI keeps the image"
    [record] = [json.loads(line) for line in (live.project / ".ragstack" / "rollouts" / "dev.jsonl").open()]
    assert record["image"] == image and record["revision"] == report["revision"] and record["at"]

    pinned = roll(opsctl, live, f"{env.names.registry}.azurecr.io/rag-app:2", "--pin")
    assert pinned.code == 0, pinned.err
    assert json.loads(pinned.out)["pinned"] is True
    settings = StackFile.load(live.project / "Pulumi.dev.yaml").settings()
    assert settings.app.image == f"{env.names.registry}.azurecr.io/rag-app:2"


def test_stack_new_does_not_copy_another_environments_image(live, opsctl) -> None:
    env = live.env()
    assert roll(opsctl, live, f"{env.names.registry}.azurecr.io/rag-app:5", "--pin").code == 0
    made = opsctl("stack", "new", "pr-7", "--from", "dev", "--project-dir", str(live.project))
    assert made.code == 0, made.err
    assert StackFile.load(live.project / "Pulumi.pr-7.yaml").settings().app.image is None


def test_revisions_list_state_and_traffic_and_rollback_goes_back(live, opsctl) -> None:
    env = live.env()
    where = ("--stack", "dev", "--project-dir", str(live.project))
    first = running_image(live)
    assert roll(opsctl, live, f"{env.names.registry}.azurecr.io/rag-app:1").code == 0
    listed = opsctl("app", "revisions", *where, "-o", "json")
    assert listed.code == 0, listed.err
    revisions = json.loads(listed.out)
    assert len(revisions) == 2
    latest, previous = revisions  # newest first
    assert latest["active"] is True and latest["trafficWeight"] == 100
    assert latest["image"].endswith("rag-app:1") and previous["image"] == first
    assert previous["active"] is False and previous["trafficWeight"] == 0
    table = opsctl("app", "revisions", *where)
    assert table.code == 0 and "ca-dev: revisions" in table.out, "the table names the app"

    start = len(live.sandbox.requests.list())
    preview = opsctl("app", "rollback", *where, "--dry-run", "-o", "json")
    assert preview.code == 0, preview.err
    planned = json.loads(preview.out)
    assert planned["dryRun"] is True and planned["from"] == previous["name"] and planned["image"] == first
    writes = [r for r in live.sandbox.requests.list()[start:] if r["method"] in ("PUT", "PATCH", "DELETE")]
    assert writes == [] and running_image(live).endswith("rag-app:1")

    back = opsctl("app", "rollback", *where, "-o", "json")
    assert back.code == 0, back.err
    report = json.loads(back.out)
    assert report["from"] == previous["name"] and running_image(live) == first
    after = json.loads(opsctl("app", "revisions", *where, "-o", "json").out)
    assert after[0]["name"] == report["revision"] and after[0]["trafficWeight"] == 100
    assert after[0]["image"] == first

    explicit = opsctl("app", "rollback", latest["name"], *where, "-o", "json")
    assert explicit.code == 0, explicit.err
    assert running_image(live).endswith("rag-app:1")


def test_rollback_to_an_unknown_revision_is_one_line(live, opsctl) -> None:
    result = opsctl("app", "rollback", "ca-dev--nope", "--stack", "dev", "--project-dir", str(live.project))
    assert result.code == 1
    assert "ca-dev--nope" in result.err and "opsctl app revisions" in result.err
    assert "Traceback" not in result.err


def test_pin_and_no_write_back_contradict(live, opsctl) -> None:
    result = roll(opsctl, live, "mcr.microsoft.com/k8se/quickstart:latest", "--pin", "--no-write-back")
    assert result.code == 2 and "--pin" in result.err and "Traceback" not in result.err
