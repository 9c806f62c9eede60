"""The README's opsctl command lines and flags are the real CLI's (issue 11 item 10)."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest

from tests.delivery import opsctl_surface as surface
from tests.delivery.workflows import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _example_lines() -> list[str]:
    """`opsctl ...` lines of the README's code blocks: concrete commands an operator copies."""
    lines: list[str] = []
    for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", README, re.DOTALL):
        for line in block.splitlines():
            text = line.split("  #", 1)[0].strip()
            if text.startswith("opsctl "):
                lines.append(text)
    return lines


def _documented_spans() -> list[str]:
    """Inline `opsctl ...` spans (tables, prose): a command path plus flags, placeholders allowed."""
    spans = re.findall(r"`(opsctl [^`]+)`", README)
    return [span.replace("\\|", "|") for span in spans]


def _expand(span: str) -> list[list[str]]:
    """`opsctl access grant/revoke --x [--y] / opsctl ...` -> one token list per command meant."""
    commands: list[list[str]] = []
    for part in re.split(r"\s/\s|\s/\s*(?=--)", span):
        words = part.replace("[", " ").replace("]", " ").split()
        if not words or words[0] != "opsctl":
            continue
        path = []
        rest = words[1:]
        while rest and not rest[0].startswith("-") and re.fullmatch(r"[a-z/-]+", rest[0]):
            path.append(rest.pop(0))
        for choice in _alternatives(path):
            commands.append([*choice, *rest])
    return commands


def _alternatives(path: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for word in path:
        out = [[*prefix, alt] for prefix in out for alt in word.split("/")]
    return out


def _leaf(args: list[str]) -> tuple[Any, list[str]]:
    """The real command `args` name and the arguments left for it."""
    node = surface.real_app()
    rest = list(args)
    ctx = node.make_context("opsctl", [], resilient_parsing=True)
    while hasattr(node, "commands") and rest and not rest[0].startswith("-"):
        child = node.get_command(ctx, rest[0])
        if child is None:
            break
        rest.pop(0)
        node = child
    return node, rest


def _flags(tokens: list[str]) -> list[str]:
    return [t.split("=", 1)[0] for t in tokens if re.fullmatch(r"--?[a-zA-Z][\w-]*(=.*)?", t)]


@pytest.mark.parametrize("line", _example_lines())
def test_every_readme_command_line_parses_against_the_real_cli(
    line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_STACK", "dev")  # lines that rely on `opsctl stack select`
    monkeypatch.chdir(ROOT)
    leaf, rest = _leaf(shlex.split(line)[1:])
    assert not hasattr(leaf, "commands"), f"{line}: names no command"
    leaf.make_context(leaf.name, rest)


@pytest.mark.parametrize("span", _documented_spans())
def test_every_documented_flag_exists_on_its_command(span: str) -> None:
    for tokens in _expand(span):
        leaf, rest = _leaf(tokens)
        if hasattr(leaf, "commands") and not rest:
            continue  # a group named in prose (`opsctl sandbox`)
        assert not hasattr(leaf, "commands"), f"{span}: {' '.join(tokens)} names no command"
        known = surface.option_names(leaf) | {"--help"}
        unknown = [flag for flag in _flags(rest) if flag not in known]
        assert not unknown, f"{span}: {leaf.name} has no {unknown}"


def test_the_readme_documents_the_new_commands_and_options() -> None:
    for text in ("opsctl output", "opsctl stack select", "OPSCTL_STACK", "--query", "tsv", "--dry-run"):
        assert text in README, text
