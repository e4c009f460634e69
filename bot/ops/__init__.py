"""Operations from the command line: backup and restore, export, agencies import.

None of these talks to Telegram, so none needs the token. Errors are :class:`OpsError`
with a one-line message for the operator.
"""

from __future__ import annotations


class OpsError(Exception):
    """A one-line message for the operator (printed by the CLI, exit status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
