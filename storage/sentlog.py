"""Sent-log of reminders: one file per month (``sentlog/YYYY-MM.json``).

The reminder code chooses the keys (e.g. ``"due-3:A12:2024-05-03"``); the log
only remembers that a key was sent, when, and a small ``info`` dict.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from ._base import Guard, KeyedTable, open_db

FOLDER_NAME = "sentlog"
MONTH_FILE_RE = re.compile(r"^\d{4}-\d{2}\.json$")


@dataclasses.dataclass
class SentEntry:
    key: str
    at: dt.datetime
    info: dict[str, Any] = dataclasses.field(default_factory=dict)


class SentLog:
    """Thread-safe; ``mark_sent`` is durable when it returns."""

    def __init__(self, guard: Guard, folder: Path, files: dict[Path, dict[str, Any] | None]) -> None:
        self._g = guard
        self.folder = folder
        self._months: dict[str, KeyedTable] = {}
        self._dbs: dict[str, TinyDB] = {}
        self._month_of: dict[str, str] = {}
        for path in sorted(files):
            if MONTH_FILE_RE.match(path.name):
                self._open_month(path.stem, files[path])

    def _open_month(self, month: str, data: dict[str, Any] | None) -> KeyedTable:
        db = open_db(self.folder / f"{month}.json", data, "sentlog", self._g)
        table = KeyedTable(db, "sent", lambda r: r["key"])
        self._dbs[month] = db
        self._months[month] = table
        for key in table.ids:
            self._month_of.setdefault(key, month)
        return table

    def was_sent(self, key: str) -> bool:
        with self._g:
            return key in self._month_of

    def mark_sent(self, key: str, at: dt.datetime, info: dict[str, Any] | None = None) -> bool:
        """Record ``key`` as sent at ``at``. Returns False if it was already recorded."""
        with self._g:
            if key in self._month_of:
                return False
            month = f"{at:%Y-%m}"
            table = self._months.get(month)
            if table is None:
                table = self._open_month(month, None)
            table.insert({"key": key, "at": at.isoformat(), "info": dict(info or {})})
            self._month_of[key] = month
            return True

    def entry(self, key: str) -> SentEntry | None:
        with self._g:
            month = self._month_of.get(key)
            raw = None if month is None else self._months[month].get(key)
            return None if raw is None else _entry(raw)

    def entries(self, since: dt.datetime | None = None) -> list[SentEntry]:
        """Entries with ``at >= since`` (all if None), oldest first."""
        with self._g:
            months = sorted(self._months)
            if since is not None:
                first = f"{since - dt.timedelta(days=1):%Y-%m}"  # time zones may shift the month
                months = [m for m in months if m >= first]
            raws = [raw for m in months for raw in self._months[m].values()]
        out = [_entry(r) for r in raws]
        if since is not None:
            out = [e for e in out if e.at >= since]
        out.sort(key=lambda e: e.at)
        return out


def _entry(raw: dict[str, Any]) -> SentEntry:
    return SentEntry(key=raw["key"], at=dt.datetime.fromisoformat(raw["at"]), info=dict(raw.get("info") or {}))
