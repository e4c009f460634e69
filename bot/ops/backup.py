"""``dondoc backup`` and ``dondoc restore``: the data folder in one file, and back.

A backup is a ``.tar.gz`` holding ``manifest.json`` first, then ``data/<path>`` for every data
file. The manifest says what it is (``format: dondoc-backup``, ``format_version``), which
dondoc made it, when, from where, and each file's size and SHA-256. The copy is consistent even
while the bot runs (:mod:`bot.ops.snapshot`). Backup files are written 0600; the configuration
(and so the token, which is never in it anyway) is not part of a backup.

Restore checks everything before touching the data folder: the file is a dondoc backup of a
format this version reads, every member is where it should be and matches its checksum, and the
store opens the result. It extracts beside the data folder, then swaps the two folders in one
rename (``renameat2(RENAME_EXCHANGE)`` on Linux; two renames elsewhere); the previous data is
kept beside as ``<folder>.before-restore-<time>``. It refuses while a bot holds the folder's lock,
and refuses a folder that holds data unless forced.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot import __version__
from bot.ops import OpsError
from bot.ops.snapshot import DIR_MODE, FILE_MODE, consistent_copy, data_file_list, holds_data

FORMAT = "dondoc-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data"
LOCK_NAME = ".lock"
MAX_MANIFEST = 16 << 20
_NAME_RE = re.compile(r"^dondoc-backup-\d{8}-\d{6}\.tar\.gz$")


class BackupRefused(OpsError):
    """Restore will not proceed (live bot, data present, damaged or foreign file)."""


@dataclass
class BackupInfo:
    path: Path
    files: int
    size: int
    created_at: str


# ---------------------------------------------------------------- backup

def _default_name(now: dt.datetime) -> str:
    return f"dondoc-backup-{now.strftime('%Y%m%d-%H%M%S')}.tar.gz"


def create_backup(data_folder: Path, out: Path, *, now: dt.datetime | None = None,
                  keep: int | None = None) -> BackupInfo:
    """Write a backup of ``data_folder`` to ``out`` (a file, or an existing folder to put it in).

    ``keep``: with a folder, keep only the newest ``keep`` backup files of dondoc's naming there.
    """
    data_folder = Path(data_folder)
    now = now or dt.datetime.now().astimezone()
    out = Path(out)
    folder_out = out.is_dir()
    if keep is not None and not folder_out:
        raise OpsError(f"--keep: {out} is not a folder (--keep rotates the backup files of a folder)")
    if folder_out:
        out = out / _default_name(now)
    if not data_folder.is_dir() or not holds_data(data_folder):
        raise OpsError(f"nothing to back up: {data_folder} holds no dondoc data")
    if out.resolve().is_relative_to(data_folder.resolve()):
        raise OpsError(f"--out: {out} is inside the data folder {data_folder}; put backups elsewhere")
    try:
        out.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise OpsError(f"--out: cannot create {out.parent}: {exc.strerror}") from None
    with tempfile.TemporaryDirectory(prefix="dondoc-backup-") as tmp:
        stage = Path(tmp) / DATA
        try:
            files = consistent_copy(data_folder, stage)
        except OSError as exc:
            raise OpsError(f"cannot read {exc.filename or data_folder}: {exc.strerror or exc}") from None
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "dondoc_version": __version__,
            "created_at": now.isoformat(timespec="seconds"),
            "source": str(data_folder.resolve()),
            "files": {rel: {"size": size, "sha256": sha} for rel, (sha, size) in sorted(files.items())},
        }
        tmp_out = out.with_name(f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            fd = os.open(tmp_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except OSError as exc:
            raise OpsError(f"--out: cannot write {out}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
                    blob = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                    tar.addfile(_member(MANIFEST, len(blob), now), io.BytesIO(blob))
                    for rel, (_sha, size) in sorted(files.items()):
                        with open(stage / rel, "rb") as f:
                            tar.addfile(_member(f"{DATA}/{rel}", size, now), f)
                raw.flush()
                os.fsync(raw.fileno())
            os.chmod(tmp_out, FILE_MODE)
            os.replace(tmp_out, out)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp_out.unlink()
            raise OpsError(f"--out: cannot write {out}: {exc.strerror}") from None
        except BaseException:
            with contextlib.suppress(OSError):
                tmp_out.unlink()
            raise
    _fsync_dir(out.parent)
    if keep is not None:
        ours = sorted(p for p in out.parent.iterdir() if _NAME_RE.match(p.name) and p.is_file())
        for old in ours[: max(0, len(ours) - keep)]:
            old.unlink(missing_ok=True)
    return BackupInfo(out, len(files), sum(s for _h, s in files.values()), manifest["created_at"])


def _member(name: str, size: int, now: dt.datetime) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = FILE_MODE
    info.mtime = int(now.timestamp())
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------- reading a backup

def read_manifest(path: Path) -> dict:
    """The manifest of a backup file, after checking every member; raises :class:`BackupRefused`."""
    return _extract(Path(path), None)


def _extract(path: Path, into: Path | None) -> dict:
    """Check the backup at ``path`` member by member; with ``into``, write the data files there."""
    name = path.name
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise BackupRefused(f"{path}: no such file") from None
    except OSError as exc:
        raise BackupRefused(f"{path}: cannot read: {exc.strerror}") from None
    with raw:
        head = raw.read(2)
        raw.seek(0)
        if head != b"\x1f\x8b":
            raise BackupRefused(f"{name}: not a dondoc backup (not a .tar.gz file); data left untouched")
        try:
            return _read_tar(raw, name, into)
        except BackupRefused:
            raise
        except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EACCES, errno.EDQUOT):
                raise BackupRefused(f"cannot restore: {exc.strerror}; data left untouched") from None
            reason = str(exc) or type(exc).__name__
            raise BackupRefused(f"{name}: damaged backup ({reason}); data left untouched") from None


def _read_tar(raw, name: str, into: Path | None) -> dict:
    with tarfile.open(fileobj=raw, mode="r:gz") as tar:
        first = tar.next()
        if first is None or first.name != MANIFEST or not first.isfile() or first.size > MAX_MANIFEST:
            raise BackupRefused(f"{name}: not a dondoc backup (no {MANIFEST} first); data left untouched")
        try:
            manifest = json.loads(tar.extractfile(first).read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BackupRefused(f"{name}: not a dondoc backup (unreadable {MANIFEST}); data left untouched") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupRefused(f"{name}: not a dondoc backup (its {MANIFEST} is not dondoc's); data left untouched")
        version = manifest.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
            raise BackupRefused(f"{name}: backup format {version!r} is not one this dondoc ({__version__}) reads "
                                "(upgrade dondoc first); data left untouched")
        files = manifest.get("files")
        if not isinstance(files, dict) or not all(
                isinstance(v, dict) and isinstance(v.get("sha256"), str) and isinstance(v.get("size"), int)
                for v in files.values()):
            raise BackupRefused(f"{name}: damaged backup (its file list is malformed); data left untouched")
        seen: set[str] = set()
        while (member := tar.next()) is not None:
            rel = _safe_rel(member, name)
            if rel in seen or rel not in files:
                raise BackupRefused(f"{name}: damaged backup ({member.name} is not in its manifest); "
                                    "data left untouched")
            seen.add(rel)
            expected = files[rel]
            if member.size != expected["size"]:
                raise BackupRefused(f"{name}: damaged backup ({rel}: size differs from the manifest); "
                                    "data left untouched")
            h = hashlib.sha256()
            src = tar.extractfile(member)
            out = None
            if into is not None:
                dst = into / rel
                dst.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
                out = os.fdopen(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")
            try:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    if out is not None:
                        out.write(chunk)
                if out is not None:
                    out.flush()
                    os.fsync(out.fileno())
            finally:
                if out is not None:
                    out.close()
            if h.hexdigest() != expected["sha256"]:
                raise BackupRefused(f"{name}: damaged backup ({rel}: checksum differs from the manifest); "
                                    "data left untouched")
        missing = sorted(set(files) - seen)
        if missing:
            raise BackupRefused(f"{name}: damaged backup ({len(missing)} file(s) missing, e.g. {missing[0]}); "
                                "data left untouched")
        return manifest


def _safe_rel(member: tarfile.TarInfo, name: str) -> str:
    p = PurePosixPath(member.name)
    if (not member.isfile() or p.is_absolute() or ".." in p.parts or len(p.parts) < 2 or p.parts[0] != DATA
            or p.parts[1] in (LOCK_NAME, "backups")):
        raise BackupRefused(f"{name}: not a dondoc backup (unexpected member {member.name!r}); data left untouched")
    return PurePosixPath(*p.parts[1:]).as_posix()


# ---------------------------------------------------------------- restore

@contextlib.contextmanager
def _hold_lock(folder: Path):
    """Hold the data folder's lock (as the bot does) so no bot starts meanwhile; refuse if one runs."""
    if not folder.is_dir():
        yield
        return
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        raise BackupRefused(f"cannot use data folder {folder}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            who = f"pid {text}" if text.isdigit() else "another process"
            raise BackupRefused(f"a dondoc bot is running on {folder} ({who}): stop it first "
                                "(systemctl stop dondoc); data left untouched") from None
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); False if not available."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    res = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if res != 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            return False
        raise OSError(err, os.strerror(err), str(b))
    return True


@dataclass
class RestoreResult:
    files: int
    created_at: str
    previous: Path | None  # where the data that was there is kept


def restore_backup(path: Path, data_folder: Path, *, force: bool = False,
                   now: dt.datetime | None = None) -> RestoreResult:
    """Restore a backup into ``data_folder``; raises :class:`BackupRefused` leaving the data untouched."""
    path, data_folder = Path(path), Path(data_folder).absolute()
    now = now or dt.datetime.now().astimezone()
    manifest = read_manifest(path)  # a damaged or foreign file is refused before anything else
    with _hold_lock(data_folder):
        if holds_data(data_folder) and not force:
            raise BackupRefused(f"{data_folder} already holds data ({len(data_file_list(data_folder))} files); "
                                "restore with --force to replace it (it is kept beside)")
        parent = data_folder.parent
        parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{data_folder.name}.restore-", dir=parent))
        try:
            manifest = _extract(path, tmp)
            _check_opens(tmp)
            if (data_folder / "backups").is_dir():  # the daily backups go on with the restored data
                os.rename(data_folder / "backups", tmp / "backups")
            try:
                previous = _swap(tmp, data_folder, now)
            except OSError as exc:  # e.g. the data folder is a mount point: one line, not a traceback
                raise BackupRefused(f"cannot put the restored folder in place of {data_folder}: "
                                    f"{exc.strerror or exc}; data left untouched") from None
        except BaseException:
            if (tmp / "backups").is_dir() and not (data_folder / "backups").exists() and data_folder.is_dir():
                with contextlib.suppress(OSError):
                    os.rename(tmp / "backups", data_folder / "backups")
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return RestoreResult(len(manifest["files"]), str(manifest.get("created_at", "?")), previous)


def _check_opens(folder: Path) -> None:
    """The restored files must open as a store (parse, schema this version reads).

    Opened on a throwaway copy: opening may migrate or compact files, and the restored folder must
    hold the backup's bytes as they were (the bot does its own opening at start).
    """
    from storage import DataStore, StoreError

    trial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.check-", dir=folder.parent))
    try:
        shutil.copytree(folder, trial / "data")
        try:
            DataStore.open(trial / "data", backups_kept=0).close()
        except StoreError as exc:
            raise BackupRefused(f"the backup's data does not open: {exc}; data left untouched") from None
    finally:
        shutil.rmtree(trial, ignore_errors=True)


def _swap(new: Path, data_folder: Path, now: dt.datetime) -> Path | None:
    """Put ``new`` in place of ``data_folder``; the old content is kept beside (None if it held no data)."""
    os.chmod(new, DIR_MODE)
    if not data_folder.exists():
        os.rename(new, data_folder)
        _fsync_dir(data_folder.parent)
        return None
    had_data = holds_data(data_folder)
    keep = data_folder.with_name(f"{data_folder.name}.before-restore-{now.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while keep.exists():
        n += 1
        keep = keep.with_name(f"{data_folder.name}.before-restore-{now.strftime('%Y%m%d-%H%M%S')}-{n}")
    if _exchange(new, data_folder):
        os.rename(new, keep)  # ``new`` now holds the previous data
    else:
        os.rename(data_folder, keep)
        os.rename(new, data_folder)
    _fsync_dir(data_folder.parent)
    if not had_data:
        shutil.rmtree(keep, ignore_errors=True)
        return None
    return keep
