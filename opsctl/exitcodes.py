"""opsctl's exit codes: one table read by the commands, the `--help` epilog and the README test."""

from __future__ import annotations

OK = 0
FAILURE = 1
USAGE = 2
DRIFT = 2  # as `terraform plan -detailed-exitcode` and CI gates read it: 2 = changes found
POLICY = 3
INTERRUPTED = 130  # 128 + SIGINT, as shells report it

TABLE: tuple[tuple[int, str], ...] = (
    (OK, "success (or in sync)"),
    (FAILURE, "failure, or bad stack/config input (one line: error: [AzureCode] message (hint: ...))"),
    (USAGE, "usage error (unknown option, value out of range), or drift found by `opsctl drift`"),
    (POLICY, "policy findings that fail `opsctl plan` (high always, medium with --strict)"),
    (INTERRUPTED, "interrupted (Ctrl+C)"),
)


def epilog() -> str:
    """The table as `--help` prints it."""
    return "Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in TABLE) + "."
