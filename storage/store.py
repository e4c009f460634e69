"""The data store: one data folder, one process, crash-safe files.

Layout of the data folder::

    .lock                      exclusive lock (fcntl.flock), holds the owner's pid
    journal.jsonl              every write since the last compaction, one fsync'd line per
                               transaction (see storage.journal); empty after a clean close
    registry.json              chats bound to agencies, contacts, invites
    meta.json                  counters (next task code number, ...)
    notices/<notice_id>.json   one notice: the notice, its tasks, assignments, reports
    sentlog/YYYY-MM.json       reminders sent, one file per month
    updates.log                Telegram updates handled and the getUpdates offset (storage.updates;
                               not backed up: an old offset is harmless, Telegram keeps its own)
    outbox/                    messages owed to someone, an append journal (storage/outbox.py)
    backups/YYYY-MM-DD/        a copy of all the above, one per day, N kept

Use::

    store = DataStore.open(config.storage.path, now=now)   # StoreLocked / StoreCorrupt / SchemaError
    store.registry.bind_chat(...)                          # sync, thread-safe, durable on return
    await store.run(store.notices.add_report, report)     # same, in the writer thread (async code)
    with store.transaction():                              # several calls, ONE durable write
        store.notices.add_report(report); store.notices.update_assignment(a)
    store.close()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import datetime as dt
import fcntl
import functools
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any, Callable, TypeVar

from . import counters as counters_mod
from . import journal as journal_mod
from . import migrations
from . import notices as notices_mod
from . import registry as registry_mod
from . import sentlog as sentlog_mod
from ._base import Guard
from .atomic import DIR_MODE, FILE_MODE, _fsync, clean_temp_files, fsync_dir, is_temp_name, load_json_file
from .counters import Counters
from .errors import StoreClosed, StoreCorrupt, StoreError, StoreLocked
from .notices import NoticesRepo
from .registry import Registry
from .outbox import Outbox
from .sentlog import SentLog
from .updates import UpdateJournal

T = TypeVar("T")

LOCK_NAME = ".lock"
BACKUPS = "backups"
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KIND_OF_TOP = {registry_mod.FILE_NAME: "registry", counters_mod.FILE_NAME: "meta"}
_SUBFOLDERS = {notices_mod.FOLDER_NAME: "notice", sentlog_mod.FOLDER_NAME: "sentlog"}

# Set by whoever wants to know which durable writes a piece of async code made (the bot's runtime
# sets a list per Telegram update, so that its error handler knows whether the action was stored).
WRITES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("dondoc_store_writes", default=None)


def _lock(folder: Path) -> int:
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            pid: int | None = int(text) if text.isdigit() else None
        finally:
            os.close(fd)
        raise StoreLocked(folder, pid) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def data_files(folder: Path) -> dict[Path, str]:
    """Every data file of the folder → its kind (backups and temp files excluded)."""
    out: dict[Path, str] = {}
    for name, kind in _KIND_OF_TOP.items():
        if (folder / name).exists():
            out[folder / name] = kind
    for sub, kind in _SUBFOLDERS.items():
        d = folder / sub
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.suffix == ".json" and not p.name.startswith(".") and p.is_file():
                    out[p] = kind
    return out


def newest_backup(folder: Path) -> Path | None:
    """The most recent ``backups/YYYY-MM-DD`` folder, or None."""
    d = Path(folder) / BACKUPS
    if not d.is_dir():
        return None
    days = sorted(p for p in d.iterdir() if _DAY_RE.match(p.name) and p.is_dir())
    return days[-1] if days else None


class _Writer:
    """The store's single writer thread, with group commit.

    Jobs (store calls from async code, see :meth:`DataStore.run`) queued while one runs are run
    together: their transactions are appended to the journal one after the other and made
    durable by ONE fsync at the end of the batch, before any of them returns. A caller is never
    answered before its write is on disk; callers that arrive together share the disk's cost.
    """

    MAX_BATCH = 64

    def __init__(self, guard: Guard) -> None:
        import queue
        import threading

        self._guard = guard
        self._queue: "queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future] | None]" = \
            queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="dondoc-store", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], T]) -> "concurrent.futures.Future[T]":
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((fn, future))
        return future

    def shutdown(self, wait: bool = True) -> None:
        self._queue.put(None)
        if wait:
            self._thread.join()

    def _loop(self) -> None:
        import queue

        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.MAX_BATCH:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._run(batch)

    def _run(self, batch: list) -> None:
        g = self._guard
        results: list[tuple[concurrent.futures.Future, bool, Any]] = []
        with g.lock:
            g.defer_sync = g.journal is not None
            try:
                for fn, future in batch:
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:
                        results.append((future, True, fn()))
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller
                        results.append((future, False, exc))
            finally:
                g.defer_sync = False
            try:
                g.sync()  # ONE fsync for the batch; then what each job staged (outbox, updates) is live
            except BaseException as exc:  # noqa: BLE001 - nothing of the batch is durable: all fail
                results = [(f, False, exc) for f, _, _ in results]
        for future, ok, value in results:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


def _copy_durable(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        _fsync(fd)
    finally:
        os.close(fd)


class DataStore:
    """The open data folder. Build with :meth:`open`; always :meth:`close` (or use ``with``)."""

    registry: Registry
    notices: NoticesRepo
    sentlog: SentLog
    outbox: Outbox
    counters: Counters
    updates: UpdateJournal  # handled Telegram updates and the getUpdates offset (updates.log)

    def __init__(self, folder: Path, lock_fd: int, backups_kept: int) -> None:
        self.folder = folder
        self.backups_kept = backups_kept
        self._lock_fd: int | None = lock_fd
        self._guard = Guard(folder)
        self._executor: _Writer | None = None
        self._compaction_queued = False
        self.replayed = 0  # transactions of the journal replayed at open (a crash or kill before)

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, folder: str | os.PathLike[str], *, backups_kept: int = 7,
             now: dt.datetime | None = None) -> "DataStore":
        """Lock, clean, check, back up, migrate and load the data folder.

        Raises :class:`StoreLocked` (another process has it), :class:`StoreCorrupt`
        (a file is not valid JSON: left untouched, newest backup named),
        :class:`SchemaError`, or :class:`StoreError` (e.g. permission denied).
        """
        folder = Path(folder).expanduser().absolute()
        try:
            folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            fd = _lock(folder)
        except OSError as exc:
            raise StoreError(f"cannot use data folder {folder}: {exc.strerror or exc}") from None
        store = cls(folder, fd, backups_kept)
        try:
            store._load(now)
        except OSError as exc:
            store._close_side()
            store._release()
            raise StoreError(f"cannot use data folder {folder}: {exc.strerror or exc}"
                             + (f" ({exc.filename})" if exc.filename else "")) from None
        except BaseException:
            store._close_side()
            store._release()
            raise
        return store

    def _close_side(self) -> None:
        for name in ("outbox", "updates"):
            part = getattr(self, name, None)
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()

    def _load(self, now: dt.datetime | None) -> None:
        folder = self.folder
        self.cleaned = self._clean_temp()
        for sub in _SUBFOLDERS:
            (folder / sub).mkdir(mode=DIR_MODE, exist_ok=True)
        # The update journal and the outbox first: the store's journal may hold their side of a write.
        self.updates = UpdateJournal(folder / "updates.log")
        self.outbox = Outbox(self.folder / "outbox")
        # 0. what the journal holds goes into the data files (a kill or crash since the last compaction)
        self.replayed = self._recover()
        # 1. every file must parse, and be of a schema we can read, before anything is written
        parsed: dict[Path, dict[str, Any] | None] = {}
        kinds = data_files(folder)
        for path, kind in kinds.items():
            try:
                parsed[path] = load_json_file(path)
            except StoreCorrupt as exc:
                raise self._corrupt(exc) from None
            migrations.check_supported(kind, parsed[path], path)
            if path.stat().st_mode & 0o077:
                os.chmod(path, FILE_MODE)
        # 2. the daily backup holds the files as they were, before any migration
        if self.backups_kept > 0:
            self.backup(now)
        # 3. repositories (migrate + index)
        self._build(parsed)
        g = self._guard
        journal_path = folder / journal_mod.JOURNAL_NAME
        g.journal = journal_mod.Journal(journal_path)
        if os.stat(journal_path).st_mode & 0o077:
            os.chmod(journal_path, FILE_MODE)
        g.on_abort = self._reload
        g.on_large = self._queue_compaction
        g.before_reset = self._flush_side
        self._executor = _Writer(self._guard)

    def _recover(self) -> int:
        def load(path: Path) -> dict[str, Any] | None:
            try:
                return load_json_file(path)
            except StoreCorrupt as exc:
                raise self._corrupt(exc) from None

        try:
            replayed, _torn = journal_mod.recover(self.folder, load, self._adopt)
        except StoreCorrupt as exc:
            raise self._corrupt(exc) from None
        return replayed

    def _adopt(self, side: list[list[Any]]) -> None:
        """The side ops of a journal a crash left: into the outbox and the update journal, durably."""
        self.outbox.adopt([op[1] for op in side if op[0] == "ob"])
        done = [uid for op in side if op[0] == "ud" for uid in op[1] if isinstance(uid, int)]
        if done:
            self.updates.record(done, sync=True)

    def _flush_side(self) -> None:
        """Before the journal is emptied: what only it held for the outbox and the update journal."""
        self.outbox.flush_deferred()
        self.updates.flush()

    def _build(self, parsed: dict[Path, dict[str, Any] | None]) -> None:
        g = self._guard
        g.storages.clear()
        folder = self.folder
        nd, sd = folder / notices_mod.FOLDER_NAME, folder / sentlog_mod.FOLDER_NAME
        self.counters = Counters(g, folder / counters_mod.FILE_NAME, parsed.get(folder / counters_mod.FILE_NAME))
        self.registry = Registry(g, folder / registry_mod.FILE_NAME, parsed.get(folder / registry_mod.FILE_NAME))
        self.notices = NoticesRepo(g, nd, {p: d for p, d in parsed.items() if p.parent == nd}, self.counters)
        self.sentlog = SentLog(g, sd, {p: d for p, d in parsed.items() if p.parent == sd})
        for prefix, n in self.notices.max_code_numbers().items():
            self.counters.raise_floor(prefix, n)

    def _reload(self) -> None:
        """Memory no longer matches the disk (a write failed, or a transaction raised half-way):
        rebuild every repository from the files and the journal, writing nothing. The same
        objects are kept. If even that fails the store closes itself (StoreClosed from then on)."""
        with self._guard:
            try:
                parsed = {p: load_json_file(p) for p in data_files(self.folder)}
                txs, _, _ = journal_mod.read_journal(self.folder / journal_mod.JOURNAL_NAME)
                by_name = {p.relative_to(self.folder).as_posix(): d for p, d in parsed.items() if d is not None}
                touched = {op[1] for ops in txs for op in ops}
                for ops in txs:
                    journal_mod.apply_ops(by_name, ops)
                for name in touched:
                    parsed[self.folder / name] = by_name.get(name)
                old = (self.counters, self.registry, self.notices, self.sentlog)
                self._build(parsed)
                for storage in self._guard.storages:
                    storage.unsaved = storage.name in touched
                    storage.on_disk = storage.path.exists()
                for mine, new in zip(old, (self.counters, self.registry, self.notices, self.sentlog)):
                    mine.__dict__.clear()
                    mine.__dict__.update(new.__dict__)
                self.counters, self.registry, self.notices, self.sentlog = old
                self.notices._counters = self.counters
            except BaseException:
                self._guard.closed = True
                raise

    # ---------------------------------------------------------------- journal
    def transaction(self):
        """``with store.transaction():`` — every store call inside is ONE durable write at the end
        (or, if the block raises, none: memory is reloaded from the disk)."""
        return self._guard.atomic()

    def owe(self, messages: Any) -> list[Any]:
        """Inside a transaction: the messages the action owes are recorded in the SAME durable
        write (the outbox learns of them, and the sender sends them, once it is on disk). Keys
        dedupe as with ``outbox.enqueue``. Returns their outbox entries."""
        entries, new, records = self.outbox.stage(messages)
        if new:
            outbox = self.outbox
            self._guard.stage([["ob", r] for r in records], durable=lambda: outbox.commit_staged(new),
                              undo=lambda: outbox.unstage(new))
        return entries

    def finish_update(self, update_id: int) -> None:
        """Inside a transaction: the Telegram update is done once this write is on disk (the same
        write as its effects)."""
        updates = self.updates
        self._guard.stage([["ud", [int(update_id)]]], durable=lambda: updates.note_done([int(update_id)]))

    @property
    def commits(self) -> int:
        """Durable writes done since open (one per transaction)."""
        return self._guard.commits

    def compact(self) -> int:
        """Write the data files the journal changed and empty it. Returns the files written."""
        with self._guard:
            self._compaction_queued = False
            if self._guard.depth:
                return 0  # inside a transaction: later
            return self._guard.compact()

    def _queue_compaction(self) -> None:
        if self._compaction_queued:
            return
        self._compaction_queued = True
        if self._executor is not None:
            self._executor.submit(self.compact)
        else:
            self.compact()

    def _corrupt(self, exc: StoreCorrupt) -> StoreCorrupt:
        backup = newest_backup(self.folder)
        if backup is not None:
            copy = backup / exc.path.relative_to(self.folder)
            if copy.exists():
                backup = copy
        return StoreCorrupt(exc.path, exc.reason, backup)

    def _clean_temp(self) -> list[Path]:
        removed: list[Path] = []
        for d in (self.folder, *(self.folder / s for s in _SUBFOLDERS)):
            removed += clean_temp_files(d)
        b = self.folder / BACKUPS
        if b.is_dir():
            for p in b.iterdir():
                if is_temp_name(p.name):
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                    removed.append(p)
        return removed

    # ---------------------------------------------------------------- backups
    def backup(self, now: dt.datetime | None = None) -> Path | None:
        """Copy every data file to ``backups/<date of now>/`` unless that day exists; rotate.

        Returns the day's backup folder (None if backups are off). Call it daily
        (``await store.run(store.backup, now)``); open() calls it too.
        """
        if self.backups_kept <= 0:
            return None
        day = (now or dt.datetime.now().astimezone()).date().isoformat()
        with self._guard:
            root = self.folder / BACKUPS
            target = root / day
            if target.is_dir():
                return target
            if self._guard.journal is not None and not self._guard.depth:
                self._guard.compact()  # the backup is the data files alone
            files = data_files(self.folder)
            if not files:
                return None  # nothing to save yet
            root.mkdir(mode=DIR_MODE, exist_ok=True)
            tmp = root / f".tmp-{day}-{secrets.token_hex(4)}"
            tmp.mkdir(mode=DIR_MODE)
            try:
                for path in files:
                    dst = tmp / path.relative_to(self.folder)
                    dst.parent.mkdir(mode=DIR_MODE, exist_ok=True)
                    _copy_durable(path, dst)
                for sub in _SUBFOLDERS:
                    if (tmp / sub).is_dir():
                        fsync_dir(tmp / sub)
                fsync_dir(tmp)
                os.rename(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            fsync_dir(root)
            days = sorted(p for p in root.iterdir() if _DAY_RE.match(p.name) and p.is_dir())
            for old in days[: max(0, len(days) - self.backups_kept)]:
                shutil.rmtree(old, ignore_errors=True)
            return target

    def newest_backup(self) -> Path | None:
        return newest_backup(self.folder)

    # ---------------------------------------------------------------- running
    async def run(self, fn: Callable[..., T], /, *args: Any, **kw: Any) -> T:
        """Run ``fn(*args, **kw)`` in the store's single writer thread and await it.

        Use it from async code for every store call that writes (or may wait for a
        write): the event loop keeps serving while a slow fsync runs, and the call
        returns only once the write is durable.
        """
        if self._guard.closed or self._executor is None:
            raise StoreClosed()
        result = await asyncio.wrap_future(self._executor.submit(functools.partial(fn, *args, **kw)))
        writes = WRITES.get()
        if writes is not None:
            writes.append(getattr(fn, "__name__", "write"))
        return result

    @property
    def closed(self) -> bool:
        return self._guard.closed

    def close(self) -> None:
        """Finish pending writes, then release the lock. Idempotent."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._guard.lock:
            if not self._guard.closed and self._guard.journal is not None:
                with contextlib.suppress(OSError):  # the journal keeps everything if this fails
                    self._guard.compact()  # (writes what only the journal held into the outbox first)
            if getattr(self, "outbox", None) is not None:
                self.outbox.close()
            self._guard.closed = True
            if self._guard.journal is not None:
                self._guard.journal.close()
                self._guard.journal = None
            if hasattr(self, "updates"):
                self.updates.close()
        self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "DataStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DataStore {self.folder}{' closed' if self.closed else ''}>"
