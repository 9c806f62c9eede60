"""ARM requests per opsctl operation, counted in the sandbox's request log, and `up --sandbox` time.

Issue 4 asks for minimal calls (no redundant GETs; polls at the server's Retry-After) and issue 5
for `up --sandbox` time and request count. Run: `python -m bench.arm_calls`. The baseline for
`up` is the re-run on an unchanged stack in the same process (reads only).
"""

from __future__ import annotations

import collections
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT

TIME_SCALE = 10_000.0
# Long-running-operation monitor URLs (Azure-AsyncOperation and Location styles).
MONITORS = ("operationstatuses", "operationresults", "/operations/", "asyncoperations")


def _count(sandbox: Any, action: Callable[[], Any]) -> tuple[float, collections.Counter[str], int]:
    before = sandbox.requests.list()[-1]["seq"] if sandbox.requests.list() else 0
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    rows = [r for r in sandbox.requests.list() if r["seq"] > before]
    polls = sum(1 for r in rows if any(m in r["path"].lower() for m in MONITORS))
    return elapsed, collections.Counter(r["method"] for r in rows), polls


def main() -> None:
    from opsctl import access, drift, live, rollout, scale, teardown
    from opsctl.deploy import deploy
    from opsctl.environment import load_environment
    from opsctl.target import connection_target
    from sandbox import Sandbox
    from sandbox.testing import scaled_sdk_sleeps

    work = Path(tempfile.mkdtemp(prefix="ragstack-bench-"))
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, work / path.name)
    with scaled_sdk_sleeps(TIME_SCALE), Sandbox(work / "sandbox", time_scale=TIME_SCALE) as sandbox:
        target = connection_target(sandbox.connection, time_scale=TIME_SCALE)

        def env() -> Any:
            return load_environment("dev", project_dir=work)

        sandbox.add_principal("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "Group")
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("up --sandbox (first deploy)", lambda: deploy(env(), target)),
            ("up --sandbox (re-run, no change)", lambda: deploy(env(), target)),
            ("status", lambda: live.read_environment(env(), target)),
            ("drift", lambda: drift.detect_drift(env(), target)),
            ("scale search --replicas 2", lambda: scale.scale_search(env(), target, replicas=2)),
            (
                "scale app --min 1 --max 4",
                lambda: scale.scale_app(env(), target, min_replicas=1, max_replicas=4),
            ),
            (
                "scale openai --deployment chat --capacity 20",
                lambda: scale.scale_openai(env(), target, deployment="chat", capacity=20),
            ),
            (
                "access grant --preset reader",
                lambda: access.grant(
                    env(),
                    target,
                    principal_id="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
                    principal_type="Group",
                    preset="reader",
                ),
            ),
            ("access list", lambda: access.list_access(env(), target)),
            ("app set-image", lambda: rollout.set_image(env(), target, image="crdev.azurecr.io/app:2")),
            (
                "teardown --stack dev --purge",
                lambda: teardown.begin_teardown(
                    target, teardown.plan_stack_teardown(target, env()), purge=True
                ),
            ),
        ]
        header = ("GET", "PUT", "PATCH", "DELETE", "POST", "polls")
        print(f"{'operation':<46}{'wall':>9}  " + " ".join(f"{h:>6}" for h in header))
        for label, action in steps:
            elapsed, methods, polls = _count(sandbox, action)
            counts = [methods[m] for m in header[:-1]] + [polls]
            print(f"{label:<46}{elapsed * 1000:7.0f}ms  " + " ".join(f"{c:>6}" for c in counts))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
