"""A TinyDB storage that a crash cannot corrupt.

:class:`AtomicJSONStorage` reads its file once and keeps the data in memory;
every write serialises the whole (small) file to a temp file in the same folder,
flushes and fsyncs it, ``os.replace``-s it over the old one and fsyncs the
folder. After a crash the file holds either the old or the new content, never a
mix. Files are UTF-8 with readable Vietnamese (no ``\\u`` escapes), one record
per line, mode 0600 (owner only).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Any, Iterator

from tinydb.storages import Storage

from .errors import StoreCorrupt

FILE_MODE = 0o600
DIR_MODE = 0o700
TMP_MARK = ".tmp-"

_MISSING: Any = object()
_ENCODER = json.JSONEncoder(ensure_ascii=False)

# Indirections so tests can simulate slow or failing disks without touching ``os``.
_fsync = os.fsync
_replace = os.replace


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of our temp files (``.<file>.tmp-<pid>-<token>``)."""
    return name.startswith(".") and TMP_MARK in name


def clean_temp_files(folder: Path, target: str | None = None) -> list[Path]:
    """Remove leftover temp files in ``folder`` (only those of ``target`` if given)."""
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return removed
    prefix = f".{target}{TMP_MARK}" if target else None
    for name in names:
        if not is_temp_name(name) or (prefix and not name.startswith(prefix)):
            continue
        path = folder / name
        if path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            removed.append(path)
    return removed


def fsync_dir(folder: Path) -> None:
    """Make a rename/creation in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        _fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace ``path`` with ``data``: old or new content after a crash, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            _fsync(fd)
        finally:
            os.close(fd)
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def dumps(data: dict[str, Any]) -> str:
    """TinyDB data as JSON: one table per block, one record per line, no ``\\u`` escapes."""
    out: list[str] = ["{"]
    for t_index, (name, table) in enumerate(data.items()):
        out.append(("\n" if t_index == 0 else ",\n") + _ENCODER.encode(name) + ": ")
        if isinstance(table, dict) and table:
            rows = [f"\n  {_ENCODER.encode(str(k))}: {_ENCODER.encode(v)}" for k, v in table.items()]
            out.append("{" + ",".join(rows) + "\n }")
        else:
            out.append(_ENCODER.encode(table))
    out.append("\n}\n")
    return "".join(out)


def load_json_file(path: Path) -> dict[str, Any] | None:
    """Parse a TinyDB data file; ``None`` if it does not exist.

    Raises :class:`StoreCorrupt` (without a backup hint) when it is empty, not
    JSON, or not shaped like TinyDB data (an object of objects).
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip():
        raise StoreCorrupt(path, "the file is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StoreCorrupt(path, f"not UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise StoreCorrupt(path, f"not valid JSON: {exc.msg}, line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise StoreCorrupt(path, "not a dondoc data file: expected an object of tables")
    return data


class AtomicJSONStorage(Storage):
    """TinyDB storage: read once, keep in memory, rewrite atomically on each write.

    ``TinyDB(path, storage=AtomicJSONStorage)``. Extra keyword arguments:
    ``data`` (already parsed content, so the file is not read again),
    ``clean_temp`` (remove this file's leftover temp files, default True).

    Inside ``with storage.batch():`` writes only update memory and the file is
    written once at the end (several table operations become one atomic write);
    if the block raises, memory is restored from the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, data: Any = _MISSING, clean_temp: bool = True,
                 create_dirs: bool = True, mode: int = FILE_MODE) -> None:
        self.path = Path(path)
        self.mode = mode
        if create_dirs:
            self.path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        if clean_temp:
            clean_temp_files(self.path.parent, self.path.name)
        self._data: dict[str, Any] | None = load_json_file(self.path) if data is _MISSING else data
        self._batch_depth = 0
        self._dirty = False
        self.writes = 0  # number of file writes done (for tests and benchmarks)

    # -- TinyDB interface
    def read(self) -> dict[str, Any] | None:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        if self._batch_depth:
            self._dirty = True
        else:
            self._flush()

    def close(self) -> None:
        pass

    # -- extras
    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        self._batch_depth += 1
        ok = False
        try:
            yield
            ok = True
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._dirty:
                self._dirty = False
                if ok:
                    self._flush()
                else:
                    self.reload()

    def reload(self) -> None:
        """Forget memory and read the file again (after a failed write)."""
        self._data = load_json_file(self.path)

    def _flush(self) -> None:
        payload = dumps(self._data or {}).encode("utf-8")
        try:
            atomic_write_bytes(self.path, payload, self.mode)
        except BaseException:
            # TinyDB changed the cached data in place: put memory back in line with the disk.
            with contextlib.suppress(Exception):
                self.reload()
            raise
        self.writes += 1
