"""Internals shared by the repositories: the store-wide lock and transaction, keyed tables."""

from __future__ import annotations

import contextlib
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator

from tinydb import TinyDB
from tinydb.table import Document, Table

from . import migrations
from .errors import StoreClosed
from .journal import JournalStorage, TxState, make_storage_class

_Storage = make_storage_class()


class _IntKeys(MutableMapping):
    """A table's raw documents (string keys, as stored) seen with TinyDB's integer document ids."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def __getitem__(self, doc_id: int) -> Any:
        return self.raw[str(doc_id)]

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self.raw[str(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        del self.raw[str(doc_id)]

    def __contains__(self, doc_id: object) -> bool:
        return str(doc_id) in self.raw

    def __iter__(self) -> Iterator[int]:
        return (int(k) for k in self.raw)

    def __len__(self) -> int:
        return len(self.raw)


class _Table(Table):
    """TinyDB's table, changed in place: TinyDB's own ``_update_table`` copies the whole table
    twice per operation (to convert its keys), which made each write cost grow with the data."""

    def _update_table(self, updater: Callable[[Any], None]) -> None:
        tables = self._storage.read()
        if tables is None:
            tables = {}
        raw = tables.get(self.name)
        if raw is None:
            raw = tables[self.name] = {}
        updater(_IntKeys(raw))
        self._storage.write(tables)
        self.clear_cache()


class _TinyDB(TinyDB):
    table_class = _Table


class Guard(TxState):
    """One re-entrant lock and one transaction for the whole store; refuses use after close.

    ``with guard:`` holds the lock; ``with guard.transaction():`` (lock held) makes every change
    inside one durable write (see :mod:`storage.journal`).
    """

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__(Path(folder or "/").absolute())

    def __enter__(self) -> "Guard":
        self.lock.acquire()
        if self.closed:
            self.lock.release()
            raise StoreClosed()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Lock + transaction."""
        with self, self.transaction():
            yield


def open_db(path: Path, data: dict[str, Any] | None, kind: str, guard: Guard) -> TinyDB:
    """A TinyDB on the journal storage, data already parsed; migrated and rewritten if old."""
    exists = data is not None
    data, changed = migrations.upgrade(kind, data, path)
    db = _TinyDB(path, storage=_Storage, tx=guard, data=data)
    storage = storage_of(db)
    storage.on_disk = exists
    if changed:
        storage.rewrite()
    return db


def storage_of(db: TinyDB) -> JournalStorage:
    return db.storage  # type: ignore[return-value]


class KeyedTable:
    """A TinyDB table with an in-memory index ``key -> doc_id`` (insertion order).

    Every change is a transaction of the store (joined to the caller's, if any) and marks the
    documents it changed, so that only those are journaled.
    """

    def __init__(self, db: TinyDB, name: str, key: Callable[[dict[str, Any]], Hashable]) -> None:
        self.table: Table = db.table(name)
        self.name = name
        self.storage = storage_of(db)
        self.tx: TxState = self.storage.tx
        self.key = key
        raw = (db.storage.read() or {}).get(name, {})
        self.ids: dict[Hashable, int] = {key(doc): int(doc_id) for doc_id, doc in raw.items()}

    def __contains__(self, key: Hashable) -> bool:
        return key in self.ids

    def __len__(self) -> int:
        return len(self.ids)

    @contextlib.contextmanager
    def _change(self) -> Iterator[None]:
        with self.tx.transaction():
            self.storage.expecting += 1
            try:
                yield
            finally:
                self.storage.expecting -= 1

    def get(self, key: Hashable) -> dict[str, Any] | None:
        doc_id = self.ids.get(key)
        return None if doc_id is None else self.table.get(doc_id=doc_id)  # type: ignore[return-value]

    def values(self) -> Iterator[dict[str, Any]]:
        raw = self.table._read_table()
        for doc_id in list(self.ids.values()):
            doc = raw.get(str(doc_id))
            if doc is not None:
                yield doc

    def insert(self, raw: dict[str, Any]) -> None:
        k = self.key(raw)
        with self._change():
            doc_id = self.table.insert(raw)
            self.tx.mark(self.storage, self.name, doc_id)
        self.ids[k] = doc_id

    def insert_many(self, raws: list[dict[str, Any]]) -> None:
        with self._change():
            doc_ids = self.table.insert_multiple(raws)
            for doc_id in doc_ids:
                self.tx.mark(self.storage, self.name, doc_id)
        for raw, doc_id in zip(raws, doc_ids, strict=True):
            self.ids[self.key(raw)] = doc_id

    def replace(self, key: Hashable, raw: dict[str, Any]) -> None:
        """Overwrite the record stored under ``key`` (its key may change)."""
        doc_id = self.ids[key]
        with self._change():
            self.table.upsert(Document(raw, doc_id=doc_id))
            self.tx.mark(self.storage, self.name, doc_id)
        new_key = self.key(raw)
        if new_key != key:
            del self.ids[key]
            self.ids[new_key] = doc_id

    def replace_all(self, raws: list[dict[str, Any]]) -> None:
        """The table holds exactly ``raws``, in this order (one write inside a batch)."""
        self.table.truncate()
        self.ids = {}
        self.insert_many(raws)

    def remove(self, key: Hashable) -> None:
        doc_id = self.ids[key]
        with self._change():
            self.table.remove(doc_ids=[doc_id])
            self.tx.mark(self.storage, self.name, doc_id)
        del self.ids[key]
