"""Reading the GitHub Actions workflows: jobs, steps, and the opsctl command lines in `run:` scripts."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# Representative values for `${{ ... }}` in command lines; anything else becomes "EXPR".
EXPRESSION_VALUES = {
    "github.event.number": "123",
    "github.event.pull_request.number": "123",
    "matrix.stack": "dev",
    "env.STACK": "dev",
}
SHELL_OPERATORS = {"|", "||", "&&", ";", "&", "(", ")", ";;", "|&"}
COMMAND_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")


@dataclass(frozen=True)
class Invocation:
    """One opsctl command line found in a workflow step."""

    workflow: str
    job: str
    step: str
    args: tuple[str, ...]

    @property
    def text(self) -> str:
        return shlex.join(["opsctl", *self.args])


def workflow_paths() -> list[Path]:
    return sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])


def load(path: Path) -> dict[str, Any]:
    """A workflow as plain data (note: YAML 1.2 keeps the `on:` key a string)."""
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    return data


def workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load(path) for path in workflow_paths()}


def jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(workflow.get("jobs") or {})


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """Steps of `job` that use `action` (owner/name, any ref), case-insensitive."""
    prefix = action.lower() + "@"
    return [s for s in steps(job) if str(s.get("uses", "")).lower().startswith(prefix)]


def run_scripts(job: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for index, step in enumerate(steps(job)):
        if "run" in step:
            yield str(step.get("name") or f"step {index + 1}"), str(step["run"])


def substitute_expressions(text: str) -> str:
    return EXPRESSION.sub(lambda m: EXPRESSION_VALUES.get(m.group(1), "EXPR"), text)


def opsctl_command_lines(script: str) -> Iterator[tuple[str, ...]]:
    """The arguments after `opsctl` (or `python -m opsctl`) on each logical shell line."""
    joined = re.sub(r"\\\n\s*", " ", substitute_expressions(script))
    logical: list[str] = []
    for line in joined.splitlines():
        logical.append(COMMAND_SUBSTITUTION.sub("SUBST", line))
        logical.extend(COMMAND_SUBSTITUTION.findall(line))
    for line in logical:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        for index, token in enumerate(tokens):
            if token != "opsctl" and not token.endswith("/opsctl"):
                continue
            args: list[str] = []
            for arg in tokens[index + 1 :]:
                if arg in SHELL_OPERATORS or arg[0] in "<>" or arg.startswith("&>"):
                    if args and args[-1].isdigit() and arg[0] in "<>":
                        args.pop()
                    break
                args.append(arg)
            yield tuple(args)


def invocations() -> list[Invocation]:
    """Every opsctl command line in every workflow."""
    found = []
    for name, workflow in workflows().items():
        for job_id, job in jobs(workflow).items():
            for step_name, script in run_scripts(job):
                for args in opsctl_command_lines(script):
                    found.append(Invocation(name, job_id, step_name, args))
    return found
