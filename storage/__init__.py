"""Crash-safe storage on TinyDB; the only package that touches TinyDB.

See :mod:`storage.store` for the data folder layout. Public API::

    from storage import DataStore, StoreError, StoreLocked, StoreCorrupt, InviteError
    store = DataStore.open(path, backups_kept=7, now=now)
    store.registry / store.notices / store.sentlog / store.counters
    await store.run(fn, *args)      # writes from async code
    store.backup(now); store.close()
"""

from __future__ import annotations

import secrets

from .errors import (
    Duplicate,
    InviteError,
    NotFound,
    SchemaError,
    StoreClosed,
    StoreCorrupt,
    StoreError,
    StoreLocked,
)
from .sentlog import SentEntry
from .store import DataStore


def new_id(prefix: str = "") -> str:
    """A short random id, safe as a file name (``new_id("n-")`` → ``"n-3f9a0c1b2d4e"``)."""
    return f"{prefix}{secrets.token_hex(6)}"


__all__ = [
    "DataStore",
    "Duplicate",
    "InviteError",
    "NotFound",
    "SchemaError",
    "SentEntry",
    "StoreClosed",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "new_id",
]
