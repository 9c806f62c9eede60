"""Two operators on one stack at once: no lost update, no half-written file, no silent revert.

Each command runs the real entry point (`opsctl.cli.main`) in its own thread, like two shells on one
checkout; the in-process sandbox serves both (issue 9, item 4).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from infra.stackfile import StackFile
from opsctl import stacklock
from opsctl.cli import main


class Command(threading.Thread):
    """`opsctl ARGS` in a thread; `code` is its exit code once joined."""

    def __init__(self, *args: str) -> None:
        super().__init__(daemon=True)
        self.args = list(args)
        self.code: int | None = None

    def run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())  # Pulumi's mock runtime (up) needs one
        try:
            main(self.args)
        except SystemExit as exit_:
            self.code = exit_.code if isinstance(exit_.code, int) else 1
        else:
            self.code = 0

    def finish(self, timeout: float = 60.0) -> int | None:
        self.join(timeout)
        assert not self.is_alive(), f"opsctl {' '.join(self.args)} hung"
        return self.code


def scale_openai(live, deployment: str, capacity: int, *extra: str) -> Command:
    return Command(
        "scale",
        "openai",
        "--stack",
        "dev",
        "--deployment",
        deployment,
        "--capacity",
        str(capacity),
        "--project-dir",
        str(live.project),
        *extra,
    )


def capacities(live) -> tuple[dict[str, int], dict[str, int]]:
    """(stack file, live) capacity per deployment."""
    env = live.env()
    declared = {d.name: d.capacity for d in env.settings.openai.deployments}
    client = live.target.client(CognitiveServicesManagementClient)
    running = {d.name: d.sku.capacity for d in client.deployments.list(env.resource_group, env.names.openai)}
    return declared, running


def test_two_scales_on_different_deployments_both_survive(live) -> None:
    # Each PUT is held back 0.2 s (wall), so both commands have read the stack file before either
    # writes it back: without a lock, the second write-back drops the first one's value.
    live.sandbox.faults.delay(2000, path=r".*/deployments/(chat|embedding)$", method="PUT")
    first, second = scale_openai(live, "chat", 12), scale_openai(live, "embedding", 14)
    first.start()
    second.start()
    assert (first.finish(), second.finish()) == (0, 0)
    declared, running = capacities(live)
    assert declared == {"chat": 12, "embedding": 14}
    assert running == {"chat": 12, "embedding": 14}


def test_up_started_during_a_scale_does_not_revert_it(live, monkeypatch: pytest.MonkeyPatch) -> None:
    """`up` reads the stack file and live state only once the scale has written its value back."""
    import opsctl.scale

    applied, up_blocked_or_done = threading.Event(), threading.Event()
    real_write_back = opsctl.scale.write_back

    def slow_write_back(*args, **kwargs):  # type: ignore[no-untyped-def]
        applied.set()  # Azure has the new capacity; the stack file does not yet
        up_blocked_or_done.wait(30)
        return real_write_back(*args, **kwargs)

    def waiting(stack_file: Path, holder: stacklock.Holder | None) -> None:
        up_blocked_or_done.set()

    monkeypatch.setattr(opsctl.scale, "write_back", slow_write_back)
    monkeypatch.setattr(stacklock, "notify_waiting", waiting)
    scale = scale_openai(live, "chat", 20)
    scale.start()
    assert applied.wait(30)
    up = Command("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project))
    up.start()
    up.join(60)
    up_blocked_or_done.set()
    assert (scale.finish(), up.finish()) == (0, 0)
    declared, running = capacities(live)
    assert declared["chat"] == 20 and running["chat"] == 20


def test_a_held_lock_times_out_with_one_line_naming_the_holder(live, opsctl) -> None:
    stack_file = live.project / "Pulumi.dev.yaml"
    before = live.stack_text()
    held, done = threading.Event(), threading.Event()

    def other_operator() -> None:
        with stacklock.stack_lock(stack_file, command="opsctl scale search --stack dev --replicas 3"):
            held.set()
            done.wait(30)

    holder = threading.Thread(target=other_operator, daemon=True)
    holder.start()
    assert held.wait(30)
    try:
        result = opsctl(
            "scale", "app", "--stack", "dev", "--min", "1", "--lock-timeout", "0",
            "--project-dir", str(live.project),
        )  # fmt: skip
    finally:
        done.set()
        holder.join(30)
    assert result.code == 1
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("error: [StackLocked] Pulumi.dev.yaml is locked by pid ")
    assert "(opsctl scale search --stack dev --replicas 3) since " in last and "--lock-timeout" in last
    assert live.stack_text() == before
    after = opsctl("scale", "app", "--stack", "dev", "--min", "1", "--project-dir", str(live.project))
    assert after.code == 0, after.err
    assert StackFile.load(stack_file).settings().app.min_replicas == 1


def test_lock_files_are_ignored_by_git() -> None:
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().splitlines()
    assert {".Pulumi.*.lock", ".Pulumi.*.holder", ".Pulumi.*.tmp"} <= set(ignored)


def _hammer(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guard(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_saves_never_fail_or_expose_half_a_file(tmp_path: Path) -> None:
    """The stress run of issue 9: writers sharing one temp name raced into FileNotFoundError and
    readers saw a truncated file."""
    root = Path(__file__).resolve().parents[2]
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text((root / "Pulumi.dev.yaml").read_text())

    def writer(n: int) -> Callable[[], None]:
        def work() -> None:
            for i in range(12):
                stack_file = StackFile.load(path)
                stack_file.set("ragstack:tags", (f"writer{n}",), str(i))
                stack_file.save()

        return work

    def reader() -> None:
        for _ in range(40):
            assert StackFile.load(path).settings().search.replicas == 1

    errors = _hammer([writer(n) for n in range(3)] + [reader, reader])
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == ["Pulumi.dev.yaml"]


def test_scale_search_wait_busy_reports_and_records_the_service_as_it_ends(
    live, opsctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another update (a portal change) lands between this command's read and its PATCH: the
    result and the write-back are the service's final counts, not the ones read at the start."""
    import json

    from azure.mgmt.search import SearchManagementClient
    from azure.mgmt.search.models import SearchServiceUpdate

    from opsctl import scale as scale_module

    real_patch = scale_module._patch_search
    env = live.env()

    def other_update_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        live.target.client(SearchManagementClient).services.update(
            env.resource_group,
            env.names.search,
            SearchServiceUpdate(
                partition_count=2, replica_count=None, hosting_mode=None, public_network_access=None
            ),
        )
        return real_patch(*args, **kwargs)

    monkeypatch.setattr(scale_module, "_patch_search", other_update_first)
    result = opsctl(
        "scale", "search", "--stack", "dev", "--replicas", "2", "--wait-busy", "--output", "json",
        "--project-dir", str(live.project),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert json.loads(result.out)["after"] == {"replicas": 2, "partitions": 2}
    settings = live.env().settings.search
    assert (settings.replicas, settings.partitions) == (2, 2)
