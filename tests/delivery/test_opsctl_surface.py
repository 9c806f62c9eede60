"""The workflow command-line extractor and the opsctl surface used to check workflow commands."""

from __future__ import annotations

import pytest

from tests.delivery import opsctl_surface as surface
from tests.delivery.workflows import opsctl_command_lines


def lines(script: str) -> list[tuple[str, ...]]:
    return list(opsctl_command_lines(script))


def test_extracts_arguments_up_to_shell_operators_and_redirections() -> None:
    script = """
    # opsctl plan --stack commented-out
    opsctl plan --stack "$stack" --diff-against "$RUNNER_TEMP/base.json" > "$RUNNER_TEMP/out.txt" 2>&1
    if [ -f x ] && python -m opsctl plan --stack dev --output json > base.json; then echo ok; fi
    out="$(opsctl status --stack dev --output json)" || true
    .venv/bin/opsctl drift --stack prod 2> err.txt | tee drift.txt
    echo "run opsctl later"
    """
    assert lines(script) == [
        ("plan", "--stack", "$stack", "--diff-against", "$RUNNER_TEMP/base.json"),
        ("plan", "--stack", "dev", "--output", "json"),
        ("status", "--stack", "dev", "--output", "json"),
        ("drift", "--stack", "prod"),
    ]


def test_joins_continuations_and_substitutes_expressions() -> None:
    script = 'opsctl stack new "pr-${{ github.event.number }}" \\\n  --from dev --ttl 72h \\\n  > out.json\n'
    assert lines(script) == [("stack", "new", "pr-123", "--from", "dev", "--ttl", "72h")]
    assert lines("opsctl drift --stack ${{ matrix.stack }}") == [("drift", "--stack", "dev")]
    assert lines("opsctl up --stack ${{ inputs.stack }} --sandbox") == [
        ("up", "--stack", "EXPR", "--sandbox")
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--stack", "dev", "--diff-against", "base.json", "--strict", "--format", "arm"),
        ("plan", "--stack", "dev", "-o", "json"),
        ("--debug", "up", "--stack", "dev", "--sandbox"),
        ("down", "--stack", "dev", "--sandbox"),
        ("status", "--stack", "dev", "--output", "json", "--subscription", "sub"),
        ("teardown", "--stack", "pr-1", "--purge", "--yes"),
        ("teardown", "--all-ephemeral", "--older-than", "24h", "--purge", "--yes"),
        (
            "app",
            "set-image",
            "--stack",
            "dev",
            "--image",
            "cr.azurecr.io/app:1",
            "--dry-run",
            "--no-write-back",
        ),
        ("stack", "new", "pr-1", "--from", "dev", "--ttl", "3d", "--force", "--output", "json"),
        ("scale", "search", "--stack", "dev", "--replicas", "3"),
        ("index", "apply", "--stack", "dev", "--yes"),
        ("ingest", "--stack", "dev", "samples/corpus", "--sync"),
        ("query", "--stack", "dev", "What is ragstack?", "--answer", "-o", "json"),
        ("smoke", "--stack", "dev", "--output", "json"),
        (
            "access",
            "grant",
            "--stack",
            "dev",
            "--principal",
            "x",
            "--principal-type",
            "User",
            "--preset",
            "reader",
        ),
    ],
)
def test_the_command_surface_accepts(args: tuple[str, ...]) -> None:
    path, _ = surface.validate_invocation(args)
    assert path in surface.EXPECTED_COMMANDS


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("deploy", "--stack", "dev"), "not a command listed"),
        (("sandbox", "start"), "not a command listed"),
        (("app",), "not a command listed"),
        (("plan",), "no stack given"),
        (("plan", "--stack", "dev", "--format", "bicep"), "Invalid value for '--format'"),
        (("plan", "--stack", "dev", "--output", "yaml"), "Invalid value for '--output'"),
        (("drift", "--stacks", "dev"), "No such option"),
        (("app", "set-image", "--stack", "dev"), "Missing option '--image'"),
        (("stack", "new", "pr-1"), "Missing option '--from'"),
        (("stack", "new", "pr-1", "--from", "dev", "--sandbox"), "No such option"),
        (("up", "--stack", "dev", "--sandbox", "extra"), "unexpected extra argument"),
        (("access", "grant", "--stack", "dev"), "Missing option"),
    ],
)
def test_the_command_surface_rejects(args: tuple[str, ...], error: str) -> None:
    with pytest.raises(surface.parse_errors()) as info:
        surface.validate_invocation(args)
    assert error in surface.error_message(info.value)


def test_implemented_commands_are_parsed_by_the_real_app() -> None:
    assert surface.validate_invocation(("stack", "new", "pr-1", "--from", "dev")) == ("stack new", "real")


@pytest.mark.parametrize("path", sorted(surface.EXPECTED_COMMANDS))
def test_the_surface_agrees_with_implemented_commands(path: str) -> None:
    real = surface.find_command(surface.real_app(), path)
    assert real is not None, f"opsctl {path} is used by the workflows but not implemented"
    stub = surface.find_command(surface.stub_app(), path)
    assert stub is not None
    if not surface.EXPECTED_COMMANDS[path].open:
        assert surface.option_names(stub) <= surface.option_names(real)
        real_arguments = [p for p in real.params if not p.opts[0].startswith("-")]
        assert len(real_arguments) == len(surface.EXPECTED_COMMANDS[path].arguments)
