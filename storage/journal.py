"""The store's journal: one appended, fsync'd line per transaction; data files rewritten only when compacted.

Every write of the store is a *transaction* (``with guard.transaction():``, or one repository
call): the documents it changed, in every file it touched, are appended to ``journal.jsonl`` as
ONE line and fsync'd once. So a user action (a report, its assignment's status, the message the
office is owed) is durable in one small write whose cost does not grow with the data, and a
crash leaves all of it or none of it.

A line is ``<crc32 of the JSON, 8 hex> <JSON>\\n``; the JSON is ``{"v": 1, "ops": [...]}`` with
ops ``["put", file, table, doc_id, doc]``, ``["del", file, table, doc_id]`` and
``["file", file, data]`` (a whole file: a new one, or a write that did not say what changed);
``file`` is relative to the data folder ("notices/n1.json"). Replaying the ops in order over the
data files gives the current content; replaying them again gives the same (a crash during
compaction is harmless).

Two more ops belong to the same write without being data files (:data:`SIDE_OPS`):
``["ob", entry]`` a message the action owes, for the outbox (``storage/outbox.py``), and
``["ud", [update ids]]`` the Telegram updates the action finished (``storage/updates.py``). So a
progress reply — the report, the assignment, the office request, the acknowledgement and the
office message owed, and "this update is done" — is ONE append and ONE fsync. Those two files
learn of such a line only in memory when it is durable; they are written (and fsynced) before
the journal is emptied — at compaction, at close, and at open (:func:`recover` hands the side
ops of a journal left by a crash to ``adopt``).

*Compaction* writes each changed data file atomically (temp file, fsync, rename) and then
empties the journal: at open, before a backup, at close, and in the writer thread when the
journal passes :data:`COMPACT_BYTES`.

A torn last line (the process killed while appending: that transaction was never acknowledged)
is dropped at open. A bad line followed by good ones is corruption: the store refuses to open.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from . import atomic
from .atomic import FILE_MODE, atomic_write_bytes, dumps
from .errors import StoreCorrupt

if TYPE_CHECKING:
    from tinydb.storages import Storage

JOURNAL_NAME = "journal.jsonl"
COMPACT_BYTES = 4 * 1024 * 1024  # compact when the journal passes this size
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
FULL = ("*", "*")  # a mark meaning "the whole file"
SIDE_OPS = frozenset({"ob", "ud"})  # ops for the outbox and the update journal, not for data files

Op = list[Any]


def encode_line(ops: list[Op]) -> bytes:
    body = _ENCODER.encode({"v": 1, "ops": ops}).encode("utf-8")
    return b"%08x " % zlib.crc32(body) + body + b"\n"


def read_journal(path: Path) -> tuple[list[list[Op]], int, bool]:
    """(transactions, length of the good part, whether a torn tail was dropped).

    Raises :class:`StoreCorrupt` when a bad line is followed by good data.
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return [], 0, False
    txs: list[list[Op]] = []
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        line = raw[pos:] if end < 0 else raw[pos:end]
        ops = _parse_line(line) if end >= 0 else None
        if ops is None:
            rest = raw[end + 1:] if end >= 0 else b""
            if rest.strip():
                raise StoreCorrupt(Path(path), f"journal line at byte {pos} is damaged and more follows")
            return txs, pos, True
        txs.append(ops)
        pos = end + 1
    return txs, pos, False


def _parse_line(line: bytes) -> list[Op] | None:
    if len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    ops = data.get("ops") if isinstance(data, dict) else None
    return ops if isinstance(ops, list) else None


def apply_ops(files: dict[str, dict[str, Any]], ops: list[Op]) -> None:
    """Apply one transaction's ops to ``{file: tinydb data}`` (missing files start empty)."""
    for op in ops:
        kind, name = op[0], op[1]
        if kind in SIDE_OPS:
            continue
        if kind == "file":
            files[name] = op[2]
            continue
        data = files.setdefault(name, {})
        if kind == "put":
            data.setdefault(op[2], {})[op[3]] = op[4]
        elif kind == "del":
            data.get(op[2], {}).pop(op[3], None)


class Journal:
    """The open journal file: append one transaction durably, or empty it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        existed = path.exists()
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, FILE_MODE)
        self.size = os.fstat(self.fd).st_size
        self.synced = self.size  # the journal is durable up to here
        self.syncs = 0  # fsyncs done (for tests and benchmarks)
        if not existed:
            atomic.fsync_dir(path.parent)

    def append(self, ops: list[Op], *, sync: bool = True) -> None:
        """Append one transaction; durable on return unless ``sync`` is False (then :meth:`sync`
        makes it durable, with every other line appended since: a group commit)."""
        line = encode_line(ops)
        start = self.size
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self.fd, view):]
            self.size = start + len(line)
            if sync:
                self.sync()
        except BaseException:
            with contextlib.suppress(OSError):  # a half line must not stay in front of the next one
                os.ftruncate(self.fd, start if sync is False else self.synced)
            self.size = start if sync is False else self.synced
            raise

    def sync(self) -> None:
        """Make every appended line durable (one fsync); on failure they are cut off again."""
        if self.synced == self.size:
            return
        try:
            atomic._fsync(self.fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.synced)
            self.size = self.synced
            raise
        self.synced = self.size
        self.syncs += 1

    def reset(self) -> None:
        os.ftruncate(self.fd, 0)
        atomic._fsync(self.fd)
        self.size = self.synced = 0

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class TxState:
    """The store-wide transaction: which documents of which files changed since it began."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.RLock()
        self.closed = False
        self.journal: Journal | None = None
        self.depth = 0
        self.pending: dict[int, tuple["JournalStorage", set[tuple[str, str]]]] = {}
        self.storages: list["JournalStorage"] = []
        self.commits = 0  # transactions committed (for tests and benchmarks)
        self.defer_sync = False  # the writer thread is running a batch: it fsyncs once at its end
        self.on_abort: Callable[[], None] | None = None  # memory no longer matches the disk: reload
        self.on_large: Callable[[], None] | None = None  # the journal passed COMPACT_BYTES
        self.before_reset: Callable[[], None] | None = None  # write the side ops' files before emptying
        # side ops of the open transaction, and what to do once its line is durable / if it is not
        self.side: list[Op] = []
        self.durable: list[Callable[[], None]] = []
        self.undo: list[Callable[[], None]] = []
        # lines appended but not fsynced yet (a batch of the writer thread): their callbacks
        self.waiting: list[tuple[list[Callable[[], None]], list[Callable[[], None]]]] = []

    # -- transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside is one durable write when the outermost block ends.

        If the block raises after changing something (or the write fails), memory is reloaded
        from the disk: nothing of the block remains, and the error propagates.
        """
        self.depth += 1
        ok = False
        try:
            yield
            ok = True
        finally:
            self.depth -= 1
            if self.depth == 0:
                if ok:
                    self._commit()
                elif self.pending:
                    self._abort()
                else:
                    self._drop_side()

    def stage(self, ops: list[Op], *, durable: Callable[[], None] | None = None,
              undo: Callable[[], None] | None = None) -> None:
        """Side ops (:data:`SIDE_OPS`) in the open transaction's line. ``durable()`` runs once the
        line is on disk (before the caller of the transaction is answered), ``undo()`` if it never
        will be (the transaction raised, or its write failed)."""
        if self.depth <= 0:
            raise RuntimeError("stage() outside a transaction")
        if self.journal is None:
            raise RuntimeError("stage() needs the store's journal")
        self.side += ops
        if durable is not None:
            self.durable.append(durable)
        if undo is not None:
            self.undo.append(undo)

    def mark(self, storage: "JournalStorage", table: str, doc_id: Any) -> None:
        entry = self.pending.get(id(storage))
        if entry is None:
            entry = self.pending[id(storage)] = (storage, set())
        entry[1].add(FULL if table == "*" else (table, str(doc_id)))

    def _commit(self) -> None:
        side, durable, undo = self.side, self.durable, self.undo
        self.side, self.durable, self.undo = [], [], []
        if not self.pending and not side:
            _run_all(durable)
            return
        pending, self.pending = self.pending, {}
        if self.journal is None:  # a storage used on its own (no store): rewrite its files
            try:
                for storage, _ in pending.values():
                    storage.rewrite()
            except BaseException:
                self._abort()
                raise
            self.commits += 1
            return
        ops: list[Op] = []
        for storage, marks in pending.values():
            ops += storage.ops(marks)
        ops += side
        try:
            self.journal.append(ops, sync=not self.defer_sync)
        except BaseException:
            _run_all(undo)
            self._abort()
            raise
        for storage, _ in pending.values():
            storage.unsaved = True
            storage.on_disk = True
        self.commits += 1
        if self.defer_sync:
            if durable or undo:
                self.waiting.append((durable, undo))
        else:
            _run_all(durable)
        if self.journal.size > COMPACT_BYTES and self.on_large is not None:
            self.on_large()

    def sync(self) -> None:
        """Make the lines appended by a batch durable (ONE fsync), then run their ``durable``
        callbacks. If the fsync fails, their lines are cut off, their ``undo`` callbacks run,
        memory is reloaded, and the error propagates."""
        waiting, self.waiting = self.waiting, []
        try:
            if self.journal is not None:
                self.journal.sync()
        except BaseException:
            for _, undo in waiting:
                _run_all(undo)
            with contextlib.suppress(Exception):
                self._abort()
            raise
        for durable, _ in waiting:
            _run_all(durable)

    def _drop_side(self) -> None:
        undo, self.side, self.durable, self.undo = self.undo, [], [], []
        _run_all(undo)

    def _abort(self) -> None:
        self.pending = {}
        self._drop_side()
        if self.on_abort is not None:
            self.on_abort()
        else:
            for storage in self.storages:
                with contextlib.suppress(Exception):
                    storage.reload()

    # -- compaction
    def compact(self) -> int:
        """Rewrite the files the journal changed, then empty it. Returns the number of files written."""
        if self.waiting:  # lines of a batch still to fsync: durable first, so their side ops are known
            self.sync()
        written = 0
        for storage in self.storages:
            if storage.unsaved:
                storage.rewrite()
                written += 1
        if self.journal is not None and self.journal.size:
            if self.before_reset is not None:
                self.before_reset()  # the outbox and the update journal hold the side ops durably
            self.journal.reset()
        return written


class JournalStorage:  # a TinyDB Storage (duck-typed; see :func:`make_storage_class`)
    """TinyDB storage of one data file: data in memory, changes go to the store's journal.

    The repositories change documents through :class:`storage._base.KeyedTable`, which marks
    each changed document (``tx.mark``); TinyDB's ``write`` then only updates memory. A write
    nobody marked (TinyDB used directly) journals the whole file.
    """

    def __init__(self, path: str | os.PathLike[str], *, tx: TxState, data: dict[str, Any] | None,
                 mode: int = FILE_MODE) -> None:
        self.path = Path(path)
        self.tx = tx
        self.mode = mode
        self.name = self.path.relative_to(tx.folder).as_posix() if self.path.is_relative_to(tx.folder) \
            else self.path.name
        self.on_disk = data is not None and self.path.exists()
        self._data: dict[str, Any] | None = data
        self.unsaved = False
        self.expecting = 0  # > 0 while a KeyedTable operation (which marks what it changes) runs
        tx.storages.append(self)

    def read(self) -> dict[str, Any] | None:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        if not self.expecting:
            with self.tx.transaction():
                self.tx.mark(self, "*", "*")

    def close(self) -> None:
        pass

    def ops(self, marks: set[tuple[str, str]]) -> list[Op]:
        data = self._data or {}
        if FULL in marks or not self.on_disk:
            return [["file", self.name, data]]
        out: list[Op] = []
        for table, doc_id in sorted(marks):
            doc = data.get(table, {}).get(doc_id)
            out.append(["put", self.name, table, doc_id, doc] if doc is not None else ["del", self.name, table, doc_id])
        return out

    def rewrite(self) -> None:
        """Write the whole file atomically (compaction, migration)."""
        atomic_write_bytes(self.path, dumps(self._data or {}).encode("utf-8"), self.mode)
        self.unsaved = False
        self.on_disk = True

    def reload(self) -> None:
        self._data = atomic.load_json_file(self.path)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Several operations, one durable write (the store-wide transaction)."""
        with self.tx.transaction():
            yield


def _run_all(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        callback()


def make_storage_class() -> type:
    """JournalStorage as a subclass of TinyDB's Storage (kept apart so this module imports fast)."""
    from tinydb.storages import Storage

    return type("JournalStorage", (JournalStorage, Storage), {})


def recover(folder: Path, load: Callable[[Path], dict[str, Any] | None],
            adopt: Callable[[list[Op]], None] | None = None) -> tuple[int, bool]:
    """At open: replay the journal into the data files and empty it.

    ``load(path)`` parses a data file (raising StoreCorrupt). ``adopt(side_ops)`` receives the
    journal's side ops (:data:`SIDE_OPS`, in order) once the data files are written and must make
    them durable where they belong before the journal is emptied (replaying twice is harmless).
    Returns (transactions replayed, whether a torn tail was dropped).
    """
    path = folder / JOURNAL_NAME
    txs, _, torn = read_journal(path)
    if txs:
        files: dict[str, dict[str, Any]] = {}
        names = {op[1] for ops in txs for op in ops if op[0] not in SIDE_OPS}
        root = folder.resolve()
        for name in names:
            if not isinstance(name, str) or not (folder / name).resolve().is_relative_to(root) or \
                    not name.endswith(".json"):
                raise StoreCorrupt(path, f"journal names a file outside the data folder: {name!r}")
        for name in sorted(names):
            data = load(folder / name)
            if data is not None:
                files[name] = data
        for ops in txs:
            apply_ops(files, ops)
        for name in sorted(files):
            target = folder / name
            target.parent.mkdir(mode=atomic.DIR_MODE, parents=True, exist_ok=True)
            atomic_write_bytes(target, dumps(files[name]).encode("utf-8"))
        side = [op for ops in txs for op in ops if op[0] in SIDE_OPS]
        if side and adopt is not None:
            adopt(side)
    if txs or torn:
        fd = os.open(path, os.O_RDWR)
        try:
            os.ftruncate(fd, 0)
            atomic._fsync(fd)
        finally:
            os.close(fd)
    return len(txs), torn
