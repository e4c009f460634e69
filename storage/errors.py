"""Errors of the storage layer.

Every error carries a one-line ``message`` meant for the operator (CLI, log):
print it, never a traceback.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class: a one-line message in ``.message`` (also ``str(err)``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreLocked(StoreError):
    """Another process holds the data folder."""

    def __init__(self, folder: Path, pid: int | None) -> None:
        who = f"pid {pid}" if pid else "unknown pid"
        super().__init__(
            f"data folder {folder} is in use by another dondoc process ({who}); "
            "stop it before starting a second one"
        )
        self.folder = folder
        self.pid = pid


class StoreCorrupt(StoreError):
    """A data file is not valid JSON (or not a dondoc file): never overwritten."""

    def __init__(self, path: Path, reason: str, backup: Path | None = None) -> None:
        if backup is not None:
            hint = f"newest backup: {backup} (copy the file back from there)"
        else:
            hint = "no backup exists"
        super().__init__(
            f"data file {path} is unreadable ({reason}); it was left untouched and the bot will not "
            f"start; {hint}"
        )
        self.path = path
        self.reason = reason
        self.backup = backup


class SchemaError(StoreError):
    """A file has a schema version this program cannot handle."""


class StoreClosed(StoreError):
    def __init__(self) -> None:
        super().__init__("the data store is closed")


class NotFound(StoreError, LookupError):
    """An update named a record that does not exist."""


class Duplicate(StoreError):
    """An insert reused the id of an existing record."""


class InviteError(StoreError):
    """An invite code cannot be used. ``reason`` is "unknown", "used" or "expired"."""

    REASONS = ("unknown", "used", "expired")

    def __init__(self, code: str, reason: str) -> None:
        assert reason in self.REASONS, reason
        super().__init__(f"invite {code!r} cannot be used: {reason}")
        self.code = code
        self.reason = reason
