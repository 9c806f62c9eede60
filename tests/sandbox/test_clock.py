"""The sandbox's simulated clock: virtual mode (tests), wall-driven mode, persistence across restarts."""

from __future__ import annotations

import threading
import time

from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import Sandbox
from sandbox.core.clock import Clock
from sandbox.testing import sdk_sleeps_follow


def test_virtual_clock_stands_still_while_a_thread_is_slow():
    clock = Clock(virtual=True, start=1000.0)
    time.sleep(0.05)
    assert clock.now() == 1000.0
    clock.sleep(900)  # a client waiting 15 simulated minutes returns at once
    assert clock.now() == 1900.0


def test_concurrent_virtual_sleeps_only_move_time_forward():
    clock = Clock(virtual=True, start=0.0)
    seen: list[float] = []

    def worker() -> None:
        for _ in range(20):
            before = clock.now()
            clock.sleep(10)
            seen.append(clock.now() - before)

    threads = [threading.Thread(target=worker) for _ in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() == 25 * 20 * 10  # every wait is accounted for, none lost to a race
    assert min(seen) >= 10  # each sleeper saw at least the time it waited


def test_an_operation_in_flight_stays_in_flight_until_a_client_waits(sandbox_dir):
    with Sandbox(sandbox_dir, virtual_clock=True) as sb, sdk_sleeps_follow(sb.sleep):
        rm = sb.connection.client(ResourceManagementClient)
        rm.resource_groups.create_or_update("rg", {"location": "eastus"})
        rm.resource_groups.begin_delete("rg", polling=False)
        time.sleep(0.2)  # a loaded machine: wall time passes, simulated time does not
        assert rm.resource_groups.get("rg").properties.provisioning_state == "Deleting"
        started = sb.state.clock.now()
        rm.resource_groups.begin_delete("rg").result()  # joins; its Retry-After sleeps advance the clock
        assert sb.state.clock.now() - started >= 59  # the deletion takes 60 simulated seconds
        assert rm.resource_groups.check_existence("rg") is False


def test_the_clock_resumes_where_it_stopped_after_a_restart(sandbox_dir):
    """A wall-driven sandbox moved on by `advance` (no commit since) restarts from there, not
    from the wall clock (which is an hour behind)."""
    with Sandbox(sandbox_dir, time_scale=1.0) as sb:
        sb.advance(3600)
        stopped_at = sb.state.clock.now()
    with Sandbox(sandbox_dir, time_scale=1.0) as sb:
        assert sb.state.clock.now() >= stopped_at


def test_a_virtual_clock_resumes_exactly_after_a_restart(sandbox_dir):
    with Sandbox(sandbox_dir, virtual_clock=True) as sb:
        sb.sleep(1234.5)
        stopped_at = sb.state.clock.now()
    with Sandbox(sandbox_dir, virtual_clock=True) as sb:
        assert sb.state.clock.now() == stopped_at
