"""Schema versions of the data files and the migration hook.

Every file carries a ``_meta`` table with one record ``{"schema": N, "kind": K}``.
A file without it is version 0. At open, :func:`upgrade` runs the registered
functions N → N+1 until the file reaches ``CURRENT[kind]``; the store then
rewrites it (after the daily backup, so the backup holds the old version).

To change a file's shape: bump ``CURRENT[kind]`` and register a function::

    @migration("notice", 1)          # from version 1 to 2
    def _notice_1_to_2(data: dict) -> dict:
        for raw in data.get("reports", {}).values():
            raw.setdefault("new_field", None)
        return data

``data`` is the raw TinyDB content: ``{table: {doc_id: record}}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .errors import SchemaError

META_TABLE = "_meta"
KINDS = ("registry", "notice", "sentlog", "meta")

CURRENT: dict[str, int] = {"registry": 1, "notice": 1, "sentlog": 1, "meta": 1}

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[tuple[str, int], Migration] = {}


def migration(kind: str, from_version: int) -> Callable[[Migration], Migration]:
    """Register ``fn`` as the migration of ``kind`` files from ``from_version`` to the next."""
    if kind not in KINDS:
        raise ValueError(f"unknown file kind {kind!r}")

    def register(fn: Migration) -> Migration:
        MIGRATIONS[(kind, from_version)] = fn
        return fn

    return register


def meta_record(kind: str, version: int | None = None) -> dict[str, Any]:
    return {"schema": CURRENT[kind] if version is None else version, "kind": kind}


def fresh(kind: str) -> dict[str, Any]:
    """The content of a new, empty file of ``kind``."""
    return {META_TABLE: {"1": meta_record(kind)}}


def version_of(data: dict[str, Any] | None) -> int:
    if not data:
        return 0
    meta = data.get(META_TABLE) or {}
    for record in meta.values():
        if isinstance(record, dict) and isinstance(record.get("schema"), int):
            return record["schema"]
    return 0


def check_supported(kind: str, data: dict[str, Any] | None, path: Path) -> None:
    """Refuse files written by a newer program, or with no migration path."""
    if data is None:
        return
    version = version_of(data)
    if version > CURRENT[kind]:
        raise SchemaError(
            f"data file {path} has schema {version} but this dondoc knows only up to "
            f"{CURRENT[kind]}: upgrade dondoc"
        )
    for v in range(version, CURRENT[kind]):
        if (kind, v) not in MIGRATIONS:
            raise SchemaError(f"data file {path}: no migration for {kind} files from schema {v} to {v + 1}")


def upgrade(kind: str, data: dict[str, Any] | None, path: Path) -> tuple[dict[str, Any], bool]:
    """Bring ``data`` to the current schema. Returns (data, changed)."""
    if data is None:
        return fresh(kind), False
    check_supported(kind, data, path)
    version = version_of(data)
    changed = False
    while version < CURRENT[kind]:
        try:
            data = MIGRATIONS[(kind, version)](data)
        except Exception as exc:  # one line for the operator, the file is untouched
            raise SchemaError(
                f"data file {path}: migration of {kind} from schema {version} failed: {exc}"
            ) from exc
        version += 1
        data[META_TABLE] = {"1": meta_record(kind, version)}
        changed = True
    return data, changed


def _stamp_only(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 → 1: files written before versioning have the same shape."""
    return data


for _kind in KINDS:
    MIGRATIONS[(_kind, 0)] = _stamp_only
