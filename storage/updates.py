"""The update journal: which Telegram updates are handled, and the getUpdates offset.

One small file of its own, ``updates.log``, JSON lines appended and fsynced (a crash leaves at most
a torn last line, which is ignored: that update is simply handled again). Each line is one of::

    {"done": [ids], "offset": n}    these updates were handled, their effects durable
    {"hold": {...update...}}        an update taken in before it was handled (replayed at start)

An update whose whole action was one store transaction (a progress reply: the report, the
messages owed and "done" in one line of the store's journal, ``["ud", [ids]]``) is only noted
here in memory (:meth:`note_done`); its line is written by :meth:`flush` (fsynced), which the store
calls before it empties its journal, or with the next :meth:`record`.

The journal remembers the latest ``KEEP`` handled ids (Telegram keeps an update 24 hours; far fewer
are ever redelivered) and rewrites itself compactly (temp file, fsync, rename) when it grows.
Thread-safe (one lock); each ``record`` is durable when it returns.
"""

from __future__ import annotations

import collections
import json
import os
import threading
from pathlib import Path
from typing import Any

from .atomic import FILE_MODE, _fsync, atomic_write_bytes

FILE_NAME = "updates.log"
KEEP = 5000
COMPACT_AFTER = 2000  # lines


class UpdateJournal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.offset = 0  # the next update id to ask Telegram for (0: whatever it has)
        self._done: collections.OrderedDict[int, None] = collections.OrderedDict()
        self.held: dict[int, dict[str, Any]] = {}
        self._lines = 0
        self._fd: int | None = None
        self.writes = 0
        self._lock = threading.Lock()
        self._dirty = False  # appended lines not fsynced yet
        self._unwritten: list[int] = []  # done, durable in the store's journal, not in this file yet
        self._load()

    # ------------------------------------------------------------------ reading
    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        if raw and not raw.endswith(b"\n"):  # a torn last line: cut it, so the next append starts clean
            keep = raw.rfind(b"\n") + 1
            with open(self.path, "r+b") as f:
                f.truncate(keep)
                os.fsync(f.fileno())
            raw = raw[:keep]
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:  # a torn last line: that write never finished
                continue
            if not isinstance(entry, dict):
                continue
            self._lines += 1
            self._apply(entry)

    def _apply(self, entry: dict[str, Any]) -> None:
        for uid in entry.get("done", ()):
            if isinstance(uid, int):
                self._done[uid] = None
                self._done.move_to_end(uid)
                self.held.pop(uid, None)
        if isinstance(entry.get("offset"), int):
            self.offset = max(self.offset, entry["offset"])
        hold = entry.get("hold")
        if isinstance(hold, dict) and isinstance(hold.get("update_id"), int) and hold["update_id"] not in self._done:
            self.held[hold["update_id"]] = hold
        while len(self._done) > KEEP:
            self._done.popitem(last=False)

    def is_done(self, update_id: int) -> bool:
        return update_id in self._done

    @property
    def done_count(self) -> int:
        return len(self._done)

    # ------------------------------------------------------------------ writing (durable on return)
    def record(self, done: list[int] = (), offset: int | None = None, hold: list[dict[str, Any]] = (),
               *, sync: bool = True) -> None:
        """Append what changed in one write; fsynced unless ``sync=False``.

        ``sync=False`` (marks of handled updates): the line is in the kernel when this returns, so it
        survives the process being killed; it reaches the disk with the next synced record, the next
        :meth:`sync` or :meth:`close`. A mark lost to a power cut only makes that update be handled
        again — its effects are durable on their own and idempotent — so it need not cost an fsync.
        Held updates are always synced: the getUpdates offset moves past them.
        """
        with self._lock:
            self._record(done, offset, hold, sync or bool(hold))

    def note_done(self, done: list[int]) -> None:
        """These updates are done, durably so in the store's journal: remembered, written later."""
        with self._lock:
            for uid in done:
                self._apply({"done": [uid]})
                self._unwritten.append(uid)

    def flush(self) -> None:
        """Every update known as done is in this file, fsynced (before the store empties its journal)."""
        with self._lock:
            if self._unwritten:
                self._record((), None, (), True)
            elif self._fd is not None and self._dirty:
                _fsync(self._fd)
                self._dirty = False

    def sync(self) -> None:
        with self._lock:
            if self._fd is not None and self._dirty:
                _fsync(self._fd)
                self._dirty = False

    def _record(self, done, offset, hold, sync=True) -> None:
        unwritten, self._unwritten = self._unwritten, []
        try:
            self._write(([*unwritten, *done] if unwritten else done), offset, hold, sync)
        except BaseException:
            self._unwritten = unwritten + self._unwritten
            raise

    def _write(self, done, offset, hold, sync) -> None:
        lines = []
        for update in hold:
            lines.append({"hold": update})
        if done or (offset is not None and offset > self.offset):
            entry: dict[str, Any] = {"done": sorted(done)}
            if offset is not None:
                entry["offset"] = max(offset, self.offset)
            lines.append(entry)
        if not lines:
            return
        data = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in lines).encode()
        if self._lines + len(lines) > COMPACT_AFTER:
            for e in lines:
                self._apply(e)
            self._compact()
            return
        fd = self._open()
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if sync:
            _fsync(fd)
            self._dirty = False
        else:
            self._dirty = True
        self.writes += 1
        self._lines += len(lines)
        for e in lines:
            self._apply(e)

    def _open(self) -> int:
        if self._fd is None:
            new = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
            if new:
                from .atomic import fsync_dir

                fsync_dir(self.path.parent)
        return self._fd

    def _compact(self) -> None:
        self._unwritten = []  # every done id is in the compacted file
        self.close()
        entries = [{"hold": u} for u in self.held.values()]
        entries.append({"done": list(self._done), "offset": self.offset})
        data = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in entries).encode()
        atomic_write_bytes(self.path, data)
        self._lines = len(entries)
        self.writes += 1

    def close(self) -> None:
        if self._unwritten:
            self._record((), None, (), True)
        if self._fd is not None:
            if self._dirty:
                _fsync(self._fd)
                self._dirty = False
            os.close(self._fd)
            self._fd = None
