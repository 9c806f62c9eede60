"""Property-based (issue 9): malformed stack files and CLI arguments, run through the real CLI against a
sandbox holding the deployed dev stack, are refused with one bounded line, a non-zero exit (2 for
usage errors), no traceback, and not a single ARM write.

Every generated case is invalid by construction (an oracle per key from the documented rules), so a
command that succeeds is a finding, not noise.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.catalog.cognitive import quota_usage_name
from infra.catalog.regions import REGIONS
from infra.catalog.search import SEARCH_SKUS
from infra.rules import GUID, image_problem
from infra.settings import StackSettings
from infra.stackfile import StackFile
from opsctl.cli import MAX_ERROR_LINE
from opsctl.janitor import MAX_CONCURRENCY
from tests.opsctl.conftest import ROOT

WRITES = ("PUT", "PATCH", "POST", "DELETE")
ORIGINAL = (ROOT / "Pulumi.dev.yaml").read_bytes()
JUNK = st.text(alphabet=string.ascii_letters + string.punctuation + " éß☃", min_size=1, max_size=40)
NOT_NUMBERS = JUNK.filter(
    lambda t: t.strip().lower() not in ("", "inf", "nan") and not t.strip()[:1].isdigit()
)
HUGE = st.integers(10**12, 10**40)
NEGATIVE = st.integers(-(10**12), -1)
WRONG_SHAPES = st.one_of(
    st.lists(st.integers(), max_size=3), st.dictionaries(JUNK, st.integers(), max_size=2)
)


@dataclass(frozen=True)
class Case:
    """One bad input: stack file edits or raw bytes, the command line, and whether it is a usage error."""

    argv: tuple[str, ...]
    edits: tuple[tuple[str, tuple[Any, ...], Any], ...] = ()
    raw: bytes | None = None
    usage: bool = False


# Numeric settings and values no rule accepts for them (quota covers a huge capacity).
NUMERIC = {
    ("ragstack:search", ("replicas",)): st.one_of(st.booleans(), HUGE, NEGATIVE, st.just(0), st.just(1.5)),
    ("ragstack:search", ("partitions",)): st.one_of(st.booleans(), HUGE, NEGATIVE, st.just(5)),
    ("ragstack:openai", ("deployments", 0, "capacity")): st.one_of(st.booleans(), NEGATIVE, st.just(0)),
    ("ragstack:app", ("minReplicas",)): st.one_of(st.booleans(), HUGE, NEGATIVE),
    ("ragstack:app", ("maxReplicas",)): st.one_of(st.booleans(), HUGE, NEGATIVE, st.just(0)),
    ("ragstack:app", ("targetPort",)): st.one_of(st.booleans(), st.integers(65536, 10**20), NEGATIVE),
    ("ragstack:app", ("cpu",)): st.one_of(st.booleans(), HUGE, NEGATIVE, st.just(0.3), st.just(float("nan"))),
    ("ragstack:logRetentionDays", ()): st.one_of(st.booleans(), HUGE, NEGATIVE, st.integers(731, 10**6)),
}
TEXT = {
    ("ragstack:environment", ()): st.one_of(
        st.from_regex(r"[A-Z0-9_!.][a-z]{0,10}", fullmatch=True), st.text("abc", min_size=21, max_size=5000)
    ),
    ("ragstack:location", ()): JUNK.filter(lambda t: t.strip() not in REGIONS),
    ("ragstack:search", ("sku",)): JUNK.filter(lambda t: t.strip() not in SEARCH_SKUS),
    ("ragstack:app", ("image",)): JUNK.filter(lambda t: image_problem(t.strip()) is not None),
    ("ragstack:subscriptionId", ()): JUNK.filter(lambda t: not GUID.fullmatch(t.strip())),
    ("ragstack:profile", ()): JUNK.filter(lambda t: t.strip() not in ("free", "dev", "prod")),
}
FLAGS = ("ragstack:protect", "ragstack:ephemeral")
NOT_FLAGS = st.one_of(
    st.integers(), WRONG_SHAPES, JUNK.filter(lambda t: t.strip().lower() not in ("true", "false"))
)
ALLOWED_TOP = {key.split(":", 1)[1] for key in StackSettings.config_keys()}
UNKNOWN_KEYS = st.from_regex(r"[a-z][A-Za-z0-9_]{0,15}", fullmatch=True).filter(
    lambda k: k not in ALLOWED_TOP
)
BROKEN_YAML = st.sampled_from(
    [
        "config: [unclosed\n",
        "config:\n  ragstack:search: {sku: basic\n",
        "config:\n\tragstack:location: eastus2\n",
        "config:\n  a: *nowhere\n",
        "config:\n  ragstack:location: eastus2\n  ragstack:location: westus\n",
        "- just\n- a list\n",
        "config: 5\n",
        "config:\n  ragstack:tags: &a [*a]\n",
    ]
)
BASE_COMMANDS = [
    ("plan",),
    ("up", "--sandbox"),
    ("down", "--sandbox"),
    ("status",),
    ("drift",),
    ("scale", "search", "--replicas", "2"),
    ("scale", "app", "--min", "1"),
    ("scale", "openai", "--deployment", "chat", "--capacity", "20"),
    ("app", "set-image", "--image", "crdev.azurecr.io/app:2"),
    (
        "access",
        "grant",
        "--principal",
        "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "--principal-type",
        "Group",
        "--preset",
        "reader",
    ),
    ("teardown", "--yes"),
]


def alias_bomb(levels: int) -> str:
    lines = ['    l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"    l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "  ragstack:tags:\n" + "\n".join(lines) + "\n"


@st.composite
def stack_file_cases(draw: st.DrawFn) -> Case:
    argv = (*draw(st.sampled_from(BASE_COMMANDS)), "--stack", "dev")
    kinds = ["number", "text", "flag", "unknown", "shape", "yaml", "bytes", "aliases", "quota"]
    kind = draw(st.sampled_from(kinds))
    if kind == "quota":  # valid by every offline rule; `up` refuses it from the live quota
        capacity = (("ragstack:openai", ("deployments", 0, "capacity"), draw(HUGE)),)
        return Case(("up", "--sandbox", "--stack", "dev"), edits=capacity)
    if kind == "flag":
        return Case(argv, edits=((draw(st.sampled_from(FLAGS)), (), draw(NOT_FLAGS)),))
    if kind == "number":
        (key, path) = draw(st.sampled_from(sorted(NUMERIC, key=str)))
        return Case(argv, edits=((key, path, draw(NUMERIC[key, path])),))
    if kind == "text":
        (key, path) = draw(st.sampled_from(sorted(TEXT, key=str)))
        value = draw(st.one_of(TEXT[key, path], st.booleans(), WRONG_SHAPES))
        return Case(argv, edits=((key, path, value),))
    if kind == "unknown":  # [1] is no valid value of any setting, should the key exist after all
        nested = draw(st.sampled_from([(), ("search",), ("app",), ("openai", "deployments", 0)]))
        junk = draw(UNKNOWN_KEYS)
        if not nested:
            return Case(argv, edits=((f"ragstack:{junk}", (), [1]),))
        return Case(argv, edits=((f"ragstack:{nested[0]}", (*nested[1:], junk), [1]),))
    if kind == "shape":
        key = draw(st.sampled_from(["ragstack:search", "ragstack:app", "ragstack:tags", "ragstack:access"]))
        return Case(argv, edits=((key, (), draw(st.one_of(st.integers(), JUNK, st.booleans()))),))
    if kind == "yaml":
        return Case(argv, raw=draw(BROKEN_YAML).encode())
    if kind == "bytes":
        return Case(argv, raw=b"\xff" if draw(st.booleans()) else b"config:\n  ragstack:location: east\xc3\n")
    return Case(
        argv, raw=("config:\n  ragstack:location: eastus2\n" + alias_bomb(draw(st.integers(5, 9)))).encode()
    )


BAD_ARGS = [
    # (argv, usage error?)
    (st.tuples(st.just("scale"), st.just("search"), st.just("--replicas"), NOT_NUMBERS), True),
    (
        st.tuples(
            st.just("scale"), st.just("search"), st.just("--replicas"), st.integers(4, 10**30).map(str)
        ),
        False,
    ),
    (
        st.tuples(
            st.just("scale"),
            st.just("search"),
            st.just("--partitions"),
            st.sampled_from(["5", "7", "0", "-1"]),
        ),
        None,
    ),
    (st.tuples(st.just("scale"), st.just("app"), st.just("--min"), st.integers(4, 10**30).map(str)), False),
    (
        st.tuples(st.just("scale"), st.just("app"), st.just("--max"), st.integers(1001, 10**30).map(str)),
        False,
    ),
    (st.tuples(st.just("scale"), st.just("app"), st.just("--max"), NOT_NUMBERS), True),
    (
        st.tuples(
            st.just("scale"),
            st.just("openai"),
            st.just("--deployment"),
            st.just("chat"),
            st.just("--capacity"),
            st.integers(-(10**6), 0).map(str),
        ),
        False,
    ),
    (
        st.tuples(
            st.just("scale"),
            st.just("openai"),
            st.just("--deployment"),
            st.just("chat"),
            st.just("--capacity"),
            HUGE.map(str),
        ),
        False,
    ),
    (
        st.tuples(
            st.just("scale"),
            st.just("openai"),
            st.just("--deployment"),
            JUNK.filter(lambda t: t.strip().lower() not in ("chat", "embedding") and not t.startswith("-")),
            st.just("--capacity"),
            st.just("5"),
        ),
        False,
    ),
    (
        st.tuples(
            st.just("app"),
            st.just("set-image"),
            st.just("--image"),
            JUNK.filter(lambda t: image_problem(t) is not None and not t.startswith("-")),
        ),
        False,
    ),
    (
        st.tuples(
            st.just("access"),
            st.just("grant"),
            st.just("--principal"),
            JUNK.filter(lambda t: not GUID.fullmatch(t) and not t.startswith("-")),
            st.just("--principal-type"),
            st.just("User"),
            st.just("--preset"),
            st.just("reader"),
        ),
        False,
    ),
    (
        st.tuples(
            st.just("teardown"),
            st.just("--concurrency"),
            st.sampled_from(["0", str(MAX_CONCURRENCY + 1), "many", "-3"]),
        ),
        True,
    ),
    (
        st.tuples(
            st.just("status"),
            st.just("--subscription"),
            JUNK.filter(lambda t: not GUID.fullmatch(t) and not t.startswith("-")),
        ),
        False,
    ),
    (st.tuples(st.sampled_from(["status", "drift", "plan"]), st.just(f"--{'x' * 3}bogus")), True),
]


@st.composite
def argument_cases(draw: st.DrawFn) -> Case:
    index = draw(st.integers(0, len(BAD_ARGS) - 1))
    strategy, usage = BAD_ARGS[index]
    argv = tuple(draw(strategy))
    if argv[0] == "teardown":
        return Case((*argv, "--stack", "dev", "--yes"), usage=True)
    stack = draw(st.sampled_from(["dev", "dev", "Bad_Stack", "x" * 300, "../dev"]))
    return Case((*argv, "--stack", stack), usage=bool(usage))


def apply(project, case: Case, original: bytes) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_bytes(original if case.raw is None else case.raw)
    if case.edits:
        stack_file = StackFile.load(path)
        for key, sub, value in case.edits:
            stack_file.set(key, sub, value)
        stack_file.save()


def check_refused(sandbox, opsctl, project, case: Case) -> None:
    """Run the case; assert one bounded error line, the exit code, and no ARM write."""
    apply(project, case, ORIGINAL)
    writes_before = sum(1 for r in sandbox.requests.list() if r["method"] in WRITES)
    result = opsctl(*case.argv, "--project-dir", str(project))
    lines = result.err.strip().splitlines()
    assert result.code != 0, (case, result.out, result.err)
    assert "Traceback" not in result.err, (case, result.err)
    assert len(lines) == 1 and lines[0].startswith("error: "), (case, result.err)
    assert len(lines[0]) <= MAX_ERROR_LINE
    if case.usage:
        assert result.code == 2, (case, result.err)
    writes = [r for r in sandbox.requests.list() if r["method"] in WRITES][writes_before:]
    assert writes == [], (case, writes)


@pytest.fixture
def reachable(sandbox, monkeypatch) -> Any:
    """An empty sandbox the CLI finds, with the dev stack's model quota buckets listed (as Azure
    lists every model's bucket), so a capacity beyond quota is refusable before writing."""
    home = Path(sandbox.state_dir)
    sandbox.connection.save(home / "sandbox.json", pid=os.getpid(), time_scale=sandbox.time_scale)
    monkeypatch.setenv("RAGSTACK_SANDBOX_HOME", str(home))
    for sku, model in (("GlobalStandard", "gpt-4o-mini"), ("Standard", "text-embedding-3-small")):
        sandbox.set_quota("Microsoft.CognitiveServices", "eastus2", quota_usage_name(sku, model), 1000)
    return sandbox


FAST = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@settings(FAST, max_examples=60)
@given(case=stack_file_cases())
def test_malformed_stack_files_are_one_line_and_write_nothing(reachable, project, opsctl, case: Case) -> None:
    check_refused(reachable, opsctl, project, case)


@settings(FAST, max_examples=30)
@given(case=argument_cases())
def test_malformed_arguments_are_one_line_and_write_nothing(live, opsctl, case: Case) -> None:
    """Against the deployed dev stack: refusals must come before the first write."""
    check_refused(live.sandbox, opsctl, live.project, case)
