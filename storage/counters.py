"""Counters in ``meta.json``: the next task code number and other sequences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._base import Guard, KeyedTable, open_db

FILE_NAME = "meta.json"


class Counters:
    """Monotonic counters, durable before a value is handed out. Thread-safe."""

    def __init__(self, guard: Guard, path: Path, data: dict[str, Any] | None) -> None:
        self._g = guard
        self.path = path
        self._db = open_db(path, data, "meta", guard)
        self._table = KeyedTable(self._db, "counters", lambda r: r["name"])
        self._floor: dict[str, int] = {}

    def raise_floor(self, name: str, value: int) -> None:
        """Never hand out a value <= ``value`` (e.g. codes already used by stored tasks)."""
        with self._g:
            self._floor[name] = max(self._floor.get(name, 0), value)

    def current(self, name: str) -> int:
        """The last value handed out (0 if none)."""
        with self._g:
            raw = self._table.get(name)
            return max(raw["value"] if raw else 0, self._floor.get(name, 0))

    def next_value(self, name: str) -> int:
        with self._g:
            value = self.current(name) + 1
            raw = {"name": name, "value": value}
            if name in self._table:
                self._table.replace(name, raw)
            else:
                self._table.insert(raw)
            return value

    def next_code(self, prefix: str = "NV") -> str:
        """The next task code: "NV1", "NV2", ... (never reused, even after a crash)."""
        return f"{prefix}{self.next_value(prefix)}"
