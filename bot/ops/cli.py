"""The operations subcommands: backup, restore, export, agencies import.

None talks to Telegram, so none needs ``DONDOC_TOKEN``. Every refusal is one line on stderr
with exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot.ops import OpsError

EXIT_USAGE = 2


def _fail(message: str) -> int:
    print(f"dondoc: {message}", file=sys.stderr)
    return EXIT_USAGE


def _config(args):
    from bot.cli import load_or_fail

    return load_or_fail(args)


def cmd_backup(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if cfg is None:
        return EXIT_USAGE
    from bot.ops.backup import create_backup

    try:
        if args.keep is not None and args.keep < 1:
            raise OpsError(f"--keep: must be at least 1, got {args.keep}")
        info = create_backup(cfg.storage.path, Path(args.out), now=dt.datetime.now(cfg.tz), keep=args.keep)
    except OpsError as exc:
        return _fail(exc.message)
    print(f"backup written to {info.path}: {info.files} files, {info.size} bytes, "
          f"data as of {info.created_at}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if cfg is None:
        return EXIT_USAGE
    from bot.ops.backup import restore_backup

    try:
        res = restore_backup(Path(args.file), cfg.storage.path, force=args.force, now=dt.datetime.now(cfg.tz))
    except OpsError as exc:
        return _fail(exc.message)
    kept = f"; the previous data is kept in {res.previous}" if res.previous else ""
    print(f"restored {res.files} files into {cfg.storage.path} (backup of {res.created_at}){kept}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if cfg is None:
        return EXIT_USAGE
    from bot.calendar import CalendarSettings, WorkingCalendar
    from bot.directory import Directory, DirectoryError
    from bot.ops.export import snapshot_store, write_export
    from bot.ops.snapshot import holds_data

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        return _fail(f"--out: {out} must end in .xlsx")
    if not out.parent.is_dir():
        return _fail(f"--out: folder {out.parent} does not exist")
    if not holds_data(cfg.storage.path):
        return _fail(f"nothing to export: {cfg.storage.path} holds no dondoc data")
    try:
        directory = Directory.load(cfg.directory.file)
    except DirectoryError as exc:
        return _fail(str(exc))
    from bot import texts

    texts.set_language(cfg.language)
    cal = WorkingCalendar(cfg.sections.get("calendar") or CalendarSettings(timezone=cfg.timezone))
    try:
        with snapshot_store(cfg.storage.path) as store:
            res = write_export(store, directory, out, now=dt.datetime.now(cfg.tz), cal=cal)
    except OpsError as exc:
        return _fail(exc.message)
    print(f"exported to {res.path}: {res.assignments} assignments, {res.reports} progress reports")
    return 0


def cmd_agencies_import(args: argparse.Namespace) -> int:
    from bot.ops.agencies_import import import_file

    try:
        res = import_file(Path(args.file), Path(args.out), province=args.province)
    except OpsError as exc:
        return _fail(exc.message)
    for problem in res.problems:
        print(f"{args.file}: {problem}", file=sys.stderr)
    if not res.agencies:
        return _fail(f"{args.file}: no row could be taken; {args.out} not written")
    skipped = f", {len(res.problems)} row(s) not taken (above)" if res.problems else ""
    print(f"{args.out}: {len(res.agencies)} agencies written{skipped}; "
          f"name it in config.toml ([directory] file = \"{Path(args.out).name}\") and run dondoc check-config")
    return 0


def register(sub, parent) -> None:
    """Add the subcommands to the ``dondoc`` parser (``sub``: its subparsers; ``parent``: --config)."""
    from bot.cli import _Parser

    p = sub.add_parser("backup", parents=[parent],
                       help="write a consistent copy of the data folder to one file (works while the bot runs)")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the backup file (.tar.gz), or a folder to write dondoc-backup-<time>.tar.gz in")
    p.add_argument("--keep", type=int, metavar="N",
                   help="with a folder as --out: keep the newest N backup files there, delete older ones")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", parents=[parent], help="restore a backup file into the data folder (bot stopped)")
    p.add_argument("file", metavar="FILE", help="a file written by dondoc backup")
    p.add_argument("--force", action="store_true",
                   help="replace data already in the folder (the previous data is kept beside it)")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("export", parents=[parent],
                       help="write every assignment and progress report to an Excel workbook (archive)")
    p.add_argument("--out", required=True, metavar="FILE.xlsx")
    p.set_defaults(func=cmd_export)

    agencies = sub.add_parser("agencies", help="the agency directory (import)")
    agencies_sub = agencies.add_subparsers(dest="agencies_command", metavar="COMMAND", parser_class=_Parser)
    agencies_sub.required = True
    p = agencies_sub.add_parser("import", help="make a directory file from a spreadsheet (.csv or .xlsx)")
    p.add_argument("file", metavar="FILE", help=".csv or .xlsx; headers tên/name, viết tắt/short, loại/kind, nhóm/groups")
    p.add_argument("--out", required=True, metavar="agencies.toml")
    p.add_argument("--province", metavar="NAME", help='the province\'s name, e.g. "Bình Định"')
    p.set_defaults(func=cmd_agencies_import)
