"""The outbox: every message the bot owes someone, recorded before it is sent.

Layout under the data folder::

    outbox/journal-<n>.jsonl     an append-only journal, one JSON object a line
    outbox/files/<id>-<name>     a document waiting to be sent (deleted once it went out)

Each change is one appended line, fsynced before the call returns (several callers at once share
one write and one fsync: group commit in the outbox's own writer thread, so a send never rewrites a
big file and never waits behind the notices' writes). A "sent" mark is written to the journal at
once, on the caller's thread, the moment Telegram's answer is in (a kill after that ``write`` cannot
lose it: the kernel has it), and fsynced with the others in the writer's next batch: the window in
which a kill makes a delivered message be sent again is the answer's way back plus one small
``write``, never a queue behind other writes. Lines:

    {"op": "add", "id", "at", "msg": {...Outgoing.to_dict()}, "file"?}     recorded, to be sent
    {"op": "sent", "id", "at", "mid", "chat"}                             Telegram answered ok
    {"op": "failed", "id", "at", "error"}                                 given up (permanent error)
    {"op": "hooked", "id"}                                                the after-send hook ran
    {"op": "try", "id", "after"}                                          about to be sent (see below)

A kill (or a lost answer) after Telegram took a message but before its "sent" mark leaves the
entry pending though it arrived. No Bot API call says whether a request was carried out, but a
chat numbers its messages in order, and a chat has one message of ours on its way at a time: every
message of the bot in that chat with an id above the last one marked sent there (``after``,
written in the ``try`` line just before the request) can only be this one. Before sending such an
entry again the sender looks for it there (:meth:`Sender._find_sent`); the last id marked sent in
each chat is kept in the snapshot line (``last``), so it outlives the entries pruned after
``keep_days``.

At open the journal is replayed (a torn last line, from a crash in the middle of a write, was
never confirmed to anyone and is dropped), then compacted into a new file that starts with
``{"op": "snapshot"}`` and holds the pending entries plus the settled ones of the last
``keep_days`` (their keys keep a logical message from being sent twice); older journals are
deleted. The journal is compacted again whenever it grows by ``compact_every`` lines.

Messages a user action owes (a report's acknowledgement, the office's request) are instead
*staged* in the store's transaction (:meth:`Outbox.stage`, ``DataStore.owe``): their entries ride
in the store journal's line, with the report, as ``["ob", entry]`` — one write for the whole
action. Once that line is durable they are live here (:meth:`commit_staged`, handed to the
sender); their line reaches this journal later (:meth:`flush_deferred`, fsynced) before the store
empties its journal, or with this journal's next snapshot; at open the store hands the entries
of a journal a crash left (:meth:`adopt`). Their line is then an ``entry`` record (the entry as
it is when written), so a ``sent`` that went before it is not undone.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import logging
import os
import queue
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from bot.outgoing import Outgoing, coerce

from .atomic import DIR_MODE, FILE_MODE, atomic_write_bytes, fsync_dir
from . import atomic

log = logging.getLogger("dondoc.outbox")

FOLDER_NAME = "outbox"
FILES = "files"
JOURNAL_RE = re.compile(r"^journal-(\d{6,})\.jsonl$")
PENDING, SENT, FAILED = "pending", "sent", "failed"
_ENC = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


@dataclasses.dataclass
class OutboxEntry:
    id: int
    key: str
    chat_id: int  # where it goes (where it went, for a migrated group)
    kind: str
    ref: str
    created: float  # epoch seconds
    message: Outgoing | None  # None once settled (the body is not kept)
    state: str = PENDING
    message_id: int | None = None
    settled: float | None = None
    error: str | None = None
    hooked: bool = False
    file: str | None = None  # name under outbox/files/
    attempts: int = 0  # sending attempts in this run (not persisted)
    # A send was tried and not settled: a bot message in the chat above this id is this entry's.
    after: int | None = None

    @property
    def pending(self) -> bool:
        return self.state == PENDING


class Outbox:
    """Thread-safe. ``await enqueue(messages)`` and the ``mark_*`` calls return once durable."""

    def __init__(self, folder: Path, *, keep_days: float = 7.0, compact_every: int = 5000,
                 clock: Callable[[], float] = time.time) -> None:
        self.folder = Path(folder)
        self.files = self.folder / FILES
        self.keep_seconds = keep_days * 86400
        self.compact_every = compact_every
        self.clock = clock
        self._lock = threading.RLock()
        self._entries: dict[int, OutboxEntry] = {}
        self._by_key: dict[str, int] = {}
        self._next_id = 1
        self._journal_no = 0
        self._lines_since_snapshot = 0
        self._listeners: list[Callable[[list[OutboxEntry]], None]] = []
        self._fd: int | None = None  # the journal, open for appends (under self._lock)
        self._staged: dict[str, OutboxEntry] = {}  # key -> entry staged in an open store transaction
        self._deferred: set[int] = set()  # live entries whose line is only in the store's journal
        # replay: sent/failed/hooked lines of entries whose line is in the store's journal (adopted)
        self._orphans: dict[int, list[dict[str, Any]]] = {}
        self._last_mid: dict[int, int] = {}  # chat -> the highest message id marked sent there
        self.writes = 0  # journal writes (fsyncs) done, for tests and benchmarks
        self.folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        self.files.mkdir(mode=DIR_MODE, exist_ok=True)
        atomic.clean_temp_files(self.folder)
        atomic.clean_temp_files(self.files)
        self._replay()
        self._compact()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._writer, name="dondoc-outbox", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ enqueue
    async def enqueue(self, messages: Iterable[Outgoing] | Outgoing) -> list[OutboxEntry]:
        """Record messages durably (one write for the batch) and hand them to the sender.

        A message whose key is already in the outbox is not added again: its existing entry is
        returned instead. Returns one entry per message, in order."""
        import asyncio

        entries, new, payload = self._reserve(messages)
        if new:
            try:
                await asyncio.wrap_future(self._submit(payload, new))
            except BaseException:
                self._unreserve(new)
                raise
            self._publish(new)
        return entries

    def enqueue_sync(self, messages: Iterable[Outgoing] | Outgoing) -> list[OutboxEntry]:
        """The same from a thread (not from the event loop: it blocks until the write is durable)."""
        entries, new, payload = self._reserve(messages)
        if new:
            try:
                self._submit(payload, new).result()
            except BaseException:
                self._unreserve(new)
                raise
            self._publish(new)
        return entries

    def listen(self, callback: Callable[[list[OutboxEntry]], None]) -> Callable[[], None]:
        """Call ``callback(entries)`` with each batch of newly recorded entries (from the thread
        that enqueued them). Returns a function that stops listening."""
        with self._lock:
            self._listeners.append(callback)

        def stop() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(callback)
        return stop

    def _known(self, msg: Outgoing) -> OutboxEntry | None:
        """The entry already owed under ``msg``'s key (live or staged); the caller holds the lock."""
        if msg.key is None:
            return None
        if msg.key in self._by_key:
            return self._entries[self._by_key[msg.key]]
        return self._staged.get(msg.key)

    def _new_entry(self, msg: Outgoing, now: float) -> OutboxEntry:
        """A new entry for ``msg`` with the next id (its key, or ``#<id>``); the caller holds the lock."""
        eid = self._next_id
        self._next_id += 1
        key = msg.key if msg.key is not None else f"#{eid}"
        return OutboxEntry(id=eid, key=key, chat_id=msg.chat_id, kind=msg.kind, ref=msg.ref, created=now,
                           message=msg)

    def _entries_for(self, messages: list[Outgoing], now: float,
                     register: Callable[[OutboxEntry], None]) -> tuple[list[OutboxEntry], list[OutboxEntry]]:
        """(one entry per message, in order: the one already owed under its key, else a new one
        handed to ``register`` at once, so a key twice in one batch is one entry; the new ones).
        The caller holds the lock."""
        self._check_open()
        entries: list[OutboxEntry] = []
        new: list[OutboxEntry] = []
        for msg in messages:
            entry = self._known(msg)
            if entry is None:
                entry = self._new_entry(msg, now)
                register(entry)
                new.append(entry)
            entries.append(entry)
        return entries, new

    def _reserve(self, messages) -> tuple[list[OutboxEntry], list[OutboxEntry], list[tuple[str, bytes]]]:
        messages = _as_list(messages)
        now = self.clock()
        files: list[tuple[str, bytes]] = []

        def register(entry: OutboxEntry) -> None:
            msg = entry.message
            if msg.file_data is not None:
                entry.file = f"{entry.id}-{_safe_name(msg.file_name or 'file')}"
                files.append((entry.file, msg.file_data))
            self._by_key[entry.key] = entry.id
            self._entries[entry.id] = entry

        with self._lock:
            entries, new = self._entries_for(messages, now, register)
        return entries, new, files

    def _unreserve(self, new: list[OutboxEntry]) -> None:
        with self._lock:
            for e in new:
                self._entries.pop(e.id, None)
                if self._by_key.get(e.key) == e.id:
                    del self._by_key[e.key]

    def _submit(self, files: list[tuple[str, bytes]], new: list[OutboxEntry]) -> concurrent.futures.Future:
        lines = [_line({"op": "add", "id": e.id, "at": round(e.created, 3), "msg": self._msg_dict(e),
                        **({"file": e.file} if e.file else {})}) for e in new]
        return self._write_later(lines, files)

    @staticmethod
    def _msg_dict(e: OutboxEntry) -> dict[str, Any]:
        raw = e.message.to_dict()
        raw["key"] = e.key
        return raw

    def _publish(self, new: list[OutboxEntry]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            try:
                callback(new)
            except Exception:  # a listener's bug must not undo a durable enqueue
                log.exception("outbox listener failed")

    # ------------------------------------------------------------------ staged in the store's write
    def stage(self, messages: Iterable[Outgoing] | Outgoing) -> tuple[list[OutboxEntry], list[OutboxEntry],
                                                                     list[dict[str, Any]]]:
        """Reserve entries for messages a store transaction owes: (entries, the new ones, their
        records for the store journal). Keys dedupe as in :meth:`enqueue`. Not live (not sent, not
        counted) until :meth:`commit_staged`; :meth:`unstage` if the transaction fails. Documents
        cannot be staged (their bytes are a file of their own: use :meth:`enqueue`)."""
        messages = _as_list(messages)
        if any(m.file_data is not None or m.is_document for m in messages):
            raise ValueError("documents cannot be staged in a store transaction")
        now = self.clock()
        with self._lock:
            entries, new = self._entries_for(messages, now, lambda e: self._staged.__setitem__(e.key, e))
            records = [self._entry_record(e) for e in new]
        return entries, new, records

    def commit_staged(self, new: list[OutboxEntry]) -> None:
        """The store's line holding these entries is durable: they are live (sent, counted)."""
        with self._lock:
            for e in new:
                if self._staged.get(e.key) is e:
                    del self._staged[e.key]
                self._entries[e.id] = e
                self._by_key[e.key] = e.id
                self._deferred.add(e.id)
        self._publish(new)

    def unstage(self, new: list[OutboxEntry]) -> None:
        with self._lock:
            for e in new:
                if self._staged.get(e.key) is e:
                    del self._staged[e.key]

    def flush_deferred(self) -> int:
        """Write the entries known only from the store's journal into this journal (durable on
        return): the store calls it before it empties its journal. Returns how many."""
        with self._lock:
            ids = sorted(i for i in self._deferred if i in self._entries)
            if not ids:
                self._deferred.clear()
                return 0
            # written at once under the lock, like a "sent" mark: the entry as it is now, never after
            # a later mark of it
            self._check_open()
            self._write_fd(b"".join(_line(self._entry_record(self._entries[i])) for i in ids))
            future = self._write_later([], [], sync=True)
            self._deferred.difference_update(ids)
        try:
            future.result()
        except BaseException:
            with self._lock:
                self._deferred.update(ids)
            raise
        return len(ids)

    def adopt(self, records: list[dict[str, Any]]) -> int:
        """Entries a store journal left by a crash holds (its ``ob`` ops): those this outbox does
        not know yet are recorded here (durable on return). Entries older than the settled ones
        kept (``keep_days``) are not taken again. Returns how many were new."""
        cutoff = self.clock() - self.keep_seconds
        lines: list[bytes] = []
        with self._lock:
            for rec in records:
                if not isinstance(rec, dict) or not isinstance(rec.get("id"), int):
                    continue
                key = (rec.get("msg") or {}).get("key") or f"#{rec['id']}"
                if key in self._by_key or rec["id"] in self._entries or float(rec.get("at", 0)) < cutoff:
                    continue
                later = self._orphans.pop(rec["id"], [])  # sent (hooked...) before the crash
                self._apply(rec)
                entry = self._entries.get(rec["id"])
                if entry is not None:
                    for settle in later:
                        self._apply(settle)
                    lines.append(_line(self._entry_record(entry)))
            self._orphans.clear()
        if lines:
            self._write_later(lines, []).result()
        return len(lines)

    def _entry_record(self, e: OutboxEntry) -> dict[str, Any]:
        """The entry as it is now, as one journal record (a snapshot's line)."""
        rec: dict[str, Any] = {"op": "entry", "id": e.id, "at": round(e.created, 3), "state": e.state,
                               "chat": e.chat_id}
        if e.message is not None and e.state == PENDING:
            rec["msg"] = self._msg_dict(e)
        else:
            rec["msg"] = {"key": e.key, "kind": e.kind, "ref": e.ref, "chat_id": e.chat_id}
        for name, value in (("mid", e.message_id), ("settled", e.settled), ("error", e.error),
                            ("file", e.file if e.state == PENDING else None),
                            ("after", e.after if e.state == PENDING else None)):
            if value is not None:
                rec[name] = value
        if e.hooked:
            rec["hooked"] = True
        return rec

    # ------------------------------------------------------------------ settling
    async def mark_sent(self, entry: OutboxEntry, message_id: int | None, chat_id: int | None = None, *,
                        hooked: bool = False) -> None:
        """Telegram answered: sent as ``message_id`` (to ``chat_id`` if it moved). ``hooked``: no
        after-send hook to run for it."""
        import asyncio

        await asyncio.wrap_future(self.mark_sent_now(entry, message_id, chat_id, hooked=hooked))

    def mark_sent_now(self, entry: OutboxEntry, message_id: int | None, chat_id: int | None = None, *,
                      hooked: bool = False) -> concurrent.futures.Future:
        """Write the "sent" mark now (a kill cannot lose it once this returns); the returned future
        is done once it is fsynced too (batched with whatever else is being written)."""
        return self._settle(entry, SENT, message_id=message_id, chat_id=chat_id, hooked=hooked, now=True)

    def mark_trying(self, entry: OutboxEntry, reply_to: int | None = None) -> None:
        """About to send ``entry``: write down (at once, no fsync: a kill cannot lose a write the
        kernel has) above which message id of its chat it will be, if it arrives. That is the last
        id marked sent there, or else ``reply_to`` (the message it replies to or answers); neither
        known: nothing written (a lost answer then means sending it again)."""
        with self._lock:
            after = self._last_mid.get(entry.chat_id)
            if after is None and reply_to:
                after = int(reply_to)
            if after is None or entry.state != PENDING:
                return
            if entry.after == after:
                return
            entry.after = after
            self._check_open()
            self._write_fd(_line({"op": "try", "id": entry.id, "after": after}))

    def forget_try(self, entry: OutboxEntry) -> None:
        """Telegram refused the last attempt outright (a 429): it did not arrive (in memory only:
        a look after a restart is harmless)."""
        with self._lock:
            entry.after = None

    def last_message_id(self, chat_id: int) -> int | None:
        with self._lock:
            return self._last_mid.get(chat_id)

    def _note_mid(self, chat_id: int, message_id: Any) -> None:
        if isinstance(message_id, int) and message_id > self._last_mid.get(chat_id, 0):
            self._last_mid[chat_id] = message_id

    async def mark_failed(self, entry: OutboxEntry, error: str) -> None:
        import asyncio

        await asyncio.wrap_future(self._settle(entry, FAILED, error=error))

    async def mark_hooked(self, entry: OutboxEntry) -> None:
        import asyncio

        with self._lock:
            entry.hooked = True
        await asyncio.wrap_future(self._write_later([_line({"op": "hooked", "id": entry.id})], []))

    def _settle(self, entry: OutboxEntry, state: str, *, message_id: int | None = None,
                chat_id: int | None = None, error: str | None = None,
                hooked: bool = False, now: bool = False) -> concurrent.futures.Future:
        at = self.clock()
        with self._lock:
            entry.state, entry.settled = state, at
            if chat_id is not None:
                entry.chat_id = chat_id
            if state == SENT:
                entry.message_id = message_id
                entry.after = None
                self._note_mid(entry.chat_id, message_id)
                line = {"op": "sent", "id": entry.id, "at": round(at, 3), "mid": message_id, "chat": entry.chat_id}
                if hooked:
                    entry.hooked = True
                    line["hooked"] = True
            else:
                entry.error = (error or "")[:300]
                line = {"op": "failed", "id": entry.id, "at": round(at, 3), "error": entry.error}
            entry.message = None
            drop = entry.file
            if now:  # written at once, under the lock that orders every write to the journal
                self._check_open()
                self._write_fd(_line(line))
                return self._write_later([], [], delete=[drop] if drop else [], sync=True)
        return self._write_later([_line(line)], [], delete=[drop] if drop else [])

    # ------------------------------------------------------------------ reading
    def pending(self) -> list[OutboxEntry]:
        """Entries still to send, oldest first."""
        with self._lock:
            return [e for e in self._entries.values() if e.state == PENDING]

    def unhooked(self) -> list[OutboxEntry]:
        """Sent entries whose after-send hook may not have run (a crash in between)."""
        with self._lock:
            return [e for e in self._entries.values() if e.state == SENT and not e.hooked]

    def get(self, key: str) -> OutboxEntry | None:
        with self._lock:
            eid = self._by_key.get(key)
            return None if eid is None else self._entries.get(eid)

    def counts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many of these logical messages were delivered (and their hook ran), are pending,
        failed, or are unknown."""
        out = {"delivered": 0, "pending": 0, "failed": 0, "unknown": 0}
        with self._lock:
            for key in keys:
                eid = self._by_key.get(key)
                e = None if eid is None else self._entries.get(eid)
                if e is None:
                    out["unknown"] += 1
                elif e.state == SENT and not e.hooked:
                    out["pending"] += 1  # arrived, but what it changes (e.g. where a card is) not stored yet
                else:
                    out[{SENT: "delivered", PENDING: "pending", FAILED: "failed"}[e.state]] += 1
        return out

    def errors(self, keys: Iterable[str]) -> list[str]:
        with self._lock:
            return [e.error or "" for k in keys if (eid := self._by_key.get(k)) is not None
                    and (e := self._entries.get(eid)) is not None and e.state == FAILED]

    def file_bytes(self, entry: OutboxEntry) -> bytes | None:
        if entry.file is None:
            return None
        try:
            return (self.files / entry.file).read_bytes()
        except FileNotFoundError:
            return None

    def message_of(self, entry: OutboxEntry) -> Outgoing | None:
        """The message of a pending entry (its document bytes read from the data folder)."""
        with self._lock:
            msg = entry.message
        if msg is None or not msg.is_document or msg.file_data is not None:
            return msg
        data = self.file_bytes(entry)
        return None if data is None else dataclasses.replace(msg, file_data=data)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    # ------------------------------------------------------------------ the writer thread
    def _write_later(self, lines: list[bytes], files: list[tuple[str, bytes]], *,
                     delete: list[str] | None = None, sync: bool = False) -> concurrent.futures.Future:
        """Queue lines for the writer thread; ``sync``: nothing to write, only the fsync of what
        was written at once (the future is done when it is on disk)."""
        fut: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            self._check_open()
            self._queue.put((lines, files, delete or [], fut))
        return fut

    def _write_fd(self, data: bytes) -> None:
        """Append to the journal (caller holds self._lock); no fsync."""
        if self._fd is None:
            self._fd = os.open(self._journal(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        self._lines_since_snapshot += data.count(b"\n")

    def _writer(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while True:  # group commit: everything queued meanwhile goes in the same write
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            try:
                for _, files, _, _ in batch:
                    for name, data in files:
                        atomic_write_bytes(self.files / name, data)
                self._append(b"".join(line for lines, _, _, _ in batch for line in lines))
            except BaseException as exc:  # noqa: BLE001 - handed to the callers
                for _, _, _, fut in batch:
                    fut.set_exception(exc)
                continue
            for _, _, delete, fut in batch:
                for name in delete:
                    with contextlib.suppress(OSError):
                        (self.files / name).unlink()
                fut.set_result(None)
            if self._lines_since_snapshot >= self.compact_every:
                try:
                    self._compact()
                except OSError as exc:
                    log.warning("outbox compaction failed: %s", exc)

    def _journal(self) -> Path:
        return self.folder / f"journal-{self._journal_no:06d}.jsonl"

    def _append(self, data: bytes) -> None:
        """Write ``data`` (may be empty) and fsync the journal: also what was written at once."""
        with self._lock:
            if data:
                self._write_fd(data)
            fd = self._fd
        if fd is None:
            return
        atomic._fsync(fd)  # outside the lock: marks written at once meanwhile do not wait for it
        self.writes += 1

    def close(self) -> None:
        """Finish pending writes, stop the writer thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=30)
        with self._lock:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    atomic._fsync(self._fd)
                os.close(self._fd)
                self._fd = None

    def _check_open(self) -> None:
        if getattr(self, "_closed", False):
            from .errors import StoreClosed

            raise StoreClosed()

    # ------------------------------------------------------------------ replay and compaction
    def _journals(self) -> list[Path]:
        found = []
        for p in self.folder.iterdir():
            m = JOURNAL_RE.match(p.name)
            if m and p.is_file():
                found.append((int(m.group(1)), p))
        return [p for _, p in sorted(found)]

    def _replay(self) -> None:
        journals = self._journals()
        for path in journals:
            self._journal_no = max(self._journal_no, int(JOURNAL_RE.match(path.name).group(1)))
            data = path.read_bytes()
            lines = data.split(b"\n")
            for n, raw in enumerate(lines):
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw)
                except ValueError:
                    if n == len(lines) - 1:  # torn last line: its write never returned
                        log.warning("outbox: dropped a torn line at the end of %s", path.name)
                        continue
                    log.warning("outbox: skipped an unreadable line %d of %s", n + 1, path.name)
                    continue
                self._apply(rec)

    def _apply(self, rec: dict[str, Any]) -> None:
        op = rec.get("op")
        if op == "snapshot":
            self._entries.clear()
            self._by_key.clear()
            self._orphans.clear()  # the snapshot holds what they did
            if isinstance(rec.get("next"), int):
                self._next_id = max(self._next_id, rec["next"])
            for chat, mid in (rec.get("last") or {}).items():
                with contextlib.suppress(ValueError):
                    self._note_mid(int(chat), mid)
            return
        eid = rec.get("id")
        if not isinstance(eid, int):
            return
        self._next_id = max(self._next_id, eid + 1)
        if op in ("add", "entry"):
            msg = rec.get("msg") or {}
            key = msg.get("key") or f"#{eid}"
            state = rec.get("state", PENDING)
            message = None
            if state == PENDING:
                try:
                    message = Outgoing.from_dict(msg)  # a document's bytes are read from its file when sent
                except (KeyError, ValueError, TypeError) as exc:
                    log.warning("outbox: entry %s unreadable (%s), dropped", eid, exc)
                    return
            entry = OutboxEntry(id=eid, key=key, chat_id=int(rec.get("chat", msg.get("chat_id", 0))),
                                kind=msg.get("kind", "message"), ref=msg.get("ref", ""),
                                created=float(rec.get("at", 0)), message=message, state=state,
                                message_id=rec.get("mid"), settled=rec.get("settled"), error=rec.get("error"),
                                hooked=bool(rec.get("hooked")), file=rec.get("file"),
                                after=rec.get("after") if state == PENDING else None)
            if state == SENT:
                self._note_mid(entry.chat_id, entry.message_id)
            self._entries[eid] = entry
            self._by_key[key] = eid
            self._orphans.pop(eid, None)  # the entry as it was when written: newer than those
            return
        entry = self._entries.get(eid)
        if entry is None:
            if op in ("sent", "failed", "hooked", "try"):  # its entry may be in the store's journal (adopt)
                self._orphans.setdefault(eid, []).append(rec)
            return
        if op == "sent":
            entry.state, entry.message_id, entry.settled = SENT, rec.get("mid"), rec.get("at")
            entry.chat_id = int(rec.get("chat", entry.chat_id))
            entry.hooked = bool(rec.get("hooked"))
            entry.message = None
            entry.after = None
            self._note_mid(entry.chat_id, entry.message_id)
        elif op == "try":
            if entry.state == PENDING and isinstance(rec.get("after"), int):
                entry.after = rec["after"]
        elif op == "failed":
            entry.state, entry.error, entry.settled = FAILED, rec.get("error"), rec.get("at")
            entry.message = None
        elif op == "hooked":
            entry.hooked = True

    def _compact(self) -> None:
        """Write the live state to a new journal, then delete the older ones (and stale files)."""
        now = self.clock()
        with self._lock:
            keep = []
            for e in list(self._entries.values()):
                if e.state != PENDING and (e.settled or 0) < now - self.keep_seconds and (e.hooked or e.state == FAILED):
                    del self._entries[e.id]
                    if self._by_key.get(e.key) == e.id:
                        del self._by_key[e.key]
                    continue
                keep.append(e)
            lines = [_line({"op": "snapshot", "next": self._next_id,
                            "last": {str(chat): mid for chat, mid in self._last_mid.items()}})]
            lines += [_line(self._entry_record(e)) for e in keep]
            # settles of entries the store's journal still holds (at open, before adopt): kept
            lines += [_line(r) for recs in self._orphans.values() for r in recs]
            deferred = set(self._deferred)  # in this snapshot (or dropped): no line of their own needed
            live_files = {e.file for e in keep if e.file and e.state == PENDING}
            old = self._journals()
            if self._fd is not None:  # what was written at once is in the snapshot: the old journal goes
                os.close(self._fd)
                self._fd = None
            self._journal_no += 1
            atomic_write_bytes(self._journal(), b"".join(lines))
            self._lines_since_snapshot = 0
            self._deferred.difference_update(deferred)
        for p in old:
            with contextlib.suppress(OSError):
                p.unlink()
        for p in self.files.iterdir():
            if p.name not in live_files and not atomic.is_temp_name(p.name):
                with contextlib.suppress(OSError):
                    p.unlink()
        fsync_dir(self.folder)


def _as_list(messages: Any) -> list[Outgoing]:
    """One message or many, as a list of Outgoing."""
    if isinstance(messages, Outgoing) or hasattr(messages, "chat_id"):
        messages = [messages]
    return [coerce(m) for m in messages]


def _line(rec: dict[str, Any]) -> bytes:
    return (_ENC.encode(rec) + "\n").encode("utf-8")


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._") or "file"
    return cleaned[:80]
