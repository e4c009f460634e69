"""Internals shared by the repositories: the store-wide lock and keyed tables."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator

from tinydb import TinyDB
from tinydb.table import Document, Table

from . import migrations
from .atomic import AtomicJSONStorage
from .errors import StoreClosed


class Guard:
    """One re-entrant lock for the whole store; refuses use after close."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.closed = False

    def __enter__(self) -> "Guard":
        self.lock.acquire()
        if self.closed:
            self.lock.release()
            raise StoreClosed()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def open_db(path: Path, data: dict[str, Any] | None, kind: str) -> TinyDB:
    """A TinyDB on an atomic storage, data already parsed; migrated and rewritten if old."""
    data, changed = migrations.upgrade(kind, data, path)
    db = TinyDB(path, storage=AtomicJSONStorage, data=data, clean_temp=False)
    if changed:
        db.storage.write(data)
    return db


def storage_of(db: TinyDB) -> AtomicJSONStorage:
    return db.storage  # type: ignore[return-value]


class KeyedTable:
    """A TinyDB table with an in-memory index ``key -> doc_id`` (insertion order)."""

    def __init__(self, db: TinyDB, name: str, key: Callable[[dict[str, Any]], Hashable]) -> None:
        self.table: Table = db.table(name)
        self.key = key
        raw = (db.storage.read() or {}).get(name, {})
        self.ids: dict[Hashable, int] = {key(doc): int(doc_id) for doc_id, doc in raw.items()}

    def __contains__(self, key: Hashable) -> bool:
        return key in self.ids

    def __len__(self) -> int:
        return len(self.ids)

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
        doc_id = self.table.insert(raw)
        self.ids[k] = doc_id

    def insert_many(self, raws: list[dict[str, Any]]) -> None:
        doc_ids = self.table.insert_multiple(raws)
        for raw, doc_id in zip(raws, doc_ids, strict=True):
            self.ids[self.key(raw)] = doc_id

    def replace(self, key: Hashable, raw: dict[str, Any]) -> None:
        """Overwrite the record stored under ``key`` (its key may change)."""
        doc_id = self.ids[key]
        self.table.upsert(Document(raw, doc_id=doc_id))
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
        self.table.remove(doc_ids=[doc_id])
        del self.ids[key]
