"""A consistent copy of a data folder, taken while the bot may be writing to it.

The store replaces each file atomically (temp file, fsync, rename), so a copy of any one file
is whole. A copy of the folder file by file can still mix moments: notice A copied before a
write, the registry after the next one. So the copy is verified: after copying, every file is
read again (and the folder listed again); when that pass finds every file as copied, the copy
is the folder as it was at the start of that pass, since each file held its copied content
from its copy until its check, and every copy ended before the pass began. Files that changed
are copied again and the check repeats, up to a limit (the bot writes a few times a second at
most; a pass over a year's data takes well under a second).

What is left out: the lock file, the daily backups (``backups/``) and temp files of writes in
progress (``.name.tmp-…``), which are not data yet.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from bot.ops import OpsError

EXCLUDED_TOP = {".lock", "backups"}
DIR_MODE = 0o700
FILE_MODE = 0o600
_CHUNK = 1 << 20


def _is_temp(name: str) -> bool:
    return name.startswith(".") and ".tmp-" in name


def data_file_list(folder: Path) -> list[str]:
    """Relative POSIX paths of the data files in ``folder`` (sorted); lock, backups, temp excluded."""
    out: list[str] = []
    folder = Path(folder)
    if not folder.is_dir():
        return out
    for root, dirs, files in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        if rel_root == Path("."):
            dirs[:] = [d for d in dirs if d not in EXCLUDED_TOP and not _is_temp(d)]
        else:
            dirs[:] = [d for d in dirs if not _is_temp(d)]
        dirs.sort()
        for name in sorted(files):
            if _is_temp(name) or (rel_root == Path(".") and name in EXCLUDED_TOP):
                continue
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            out.append((rel_root / name).as_posix())
    return sorted(out)


def holds_data(folder: Path) -> bool:
    return bool(data_file_list(folder))


def sha256_of(path: Path) -> tuple[str, int] | None:
    """(hex digest, size) of a file, None if it vanished."""
    h = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        return None
    return h.hexdigest(), size


def _copy(src: Path, dst: Path) -> tuple[str, int] | None:
    """Copy ``src`` to ``dst`` (mode 0600), returning what was copied; None if ``src`` vanished."""
    h = hashlib.sha256()
    size = 0
    try:
        fin = open(src, "rb")
    except FileNotFoundError:
        return None
    with fin:
        dst.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
                fout.write(chunk)
    return h.hexdigest(), size


def consistent_copy(src: Path, dst: Path, *, max_passes: int = 50) -> dict[str, tuple[str, int]]:
    """Copy the data files of ``src`` into the (new or empty) folder ``dst``, consistently.

    Returns ``{relative path: (sha256, size)}`` of what was copied. Raises :class:`OpsError` if
    the folder kept changing for ``max_passes`` passes.
    """
    src, dst = Path(src), Path(dst)
    dst.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    copied: dict[str, tuple[str, int]] = {}
    todo = data_file_list(src)
    for attempt in range(max_passes):
        for rel in todo:
            got = _copy(src / rel, dst / rel)
            if got is None:
                copied.pop(rel, None)
                (dst / rel).unlink(missing_ok=True)
            else:
                copied[rel] = got
        # The check: the folder as listed now, every file as copied.
        now_listed = data_file_list(src)
        changed = [rel for rel in now_listed if rel not in copied or sha256_of(src / rel) != copied[rel]]
        gone = [rel for rel in copied if rel not in set(now_listed)]
        if not changed and not gone:
            return copied
        for rel in gone:
            copied.pop(rel, None)
            (dst / rel).unlink(missing_ok=True)
        todo = changed
        time.sleep(min(0.05 * (attempt + 1), 0.5))  # let a burst of writes pass
    raise OpsError(f"the data in {src} kept changing during {max_passes} passes; try again in a quiet moment")
