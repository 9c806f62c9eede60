"""Expected failures: one line for the operator, a traceback only with --debug."""

from __future__ import annotations


class OpsError(Exception):
    """A failure the operator can act on.

    `code` is the Azure error code when there is one; `hint` says what to do next.
    `exit_code` follows the CLI contract: 1 error, 2 reserved for drift, other values per command.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        exit_code: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint
        self.exit_code = exit_code

    def one_line(self) -> str:
        """The message as printed: `error: [Code] message (hint: ...)`."""
        code = f"[{self.code}] " if self.code else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"error: {code}{self.message}{hint}"


class InvalidInput(OpsError):
    """Bad input found before any write: what, where, what is allowed."""
