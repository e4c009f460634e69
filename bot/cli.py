"""The ``dondoc`` command line.

Every subcommand takes ``--config FILE`` (default ``config.toml``). Bad input is
reported as one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot import __version__
from bot.config import ConfigError, load_config

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not a usage block
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _config_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", metavar="FILE", default="config.toml",
                        help="configuration file (default: config.toml)")
    return parent


def fail(message: str) -> int:
    print(f"dondoc: {message}", file=sys.stderr)
    return EXIT_USAGE


def load_or_fail(args: argparse.Namespace, *, require_token: bool = False):
    """The config, or None after printing one line per problem.

    Only commands that talk to Telegram (``run``) ask for the token; the others never need it.
    """
    try:
        return load_config(args.config, require_token=require_token)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"dondoc: {args.config}: {problem}", file=sys.stderr)
        return None


def cmd_check_config(args: argparse.Namespace) -> int:
    """Every check of the file; the token is checked when set, and only warned about when not."""
    import os

    from bot.config import TOKEN_ENV

    has_token = bool(os.environ.get(TOKEN_ENV, "").strip())
    cfg = load_or_fail(args, require_token=has_token)
    if cfg is None:
        return EXIT_USAGE
    if not has_token:
        print(f"{args.config}: warning: {TOKEN_ENV} is not set here; `dondoc run` needs it "
              f"(export {TOKEN_ENV}=123456:ABC..., or EnvironmentFile= in the service)")
    from bot.directory import Directory

    directory = Directory.load(cfg.directory.file)
    for warning in directory.warnings:
        print(f"{args.config}: directory: warning: {warning}")
    import datetime as dt

    from bot.calendar import CalendarSettings, WorkingCalendar

    cal = WorkingCalendar(cfg.sections.get("calendar") or CalendarSettings(timezone=cfg.timezone))
    today = cal.today(dt.datetime.now(dt.timezone.utc))
    missing = cal.coverage_warning(today)
    years = cal.covered_years()
    if missing is not None:
        print(f"{args.config}: calendar: warning: the official days off of {missing} are not in the data yet "
              f"(covered: {', '.join(map(str, years))}); until then {missing} is estimated from the holidays "
              f"package: add the Government's decisions to [calendar] extra_days_off / makeup_days and "
              f"decided_years, or upgrade dondoc")
    else:
        print(f"{args.config}: calendar: official days off of {', '.join(map(str, years))}")
    print(f"{args.config}: OK ({len(directory.agencies)} agencies, data in {cfg.storage.path}, "
          f"{len(cfg.people.admins)} admin(s), {len(cfg.people.leaders)} leader(s))")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    cfg = load_or_fail(args, require_token=True)
    if cfg is None:
        return EXIT_USAGE
    from bot.app import run_bot

    return run_bot(cfg)


def _open_store(cfg, *, snapshot_if_busy: bool = False):
    """The data store; for read-only commands, a snapshot when the running bot holds the folder."""
    from storage import DataStore, StoreError, StoreLocked

    try:
        import datetime as dt

        return DataStore.open(cfg.storage.path, backups_kept=cfg.storage.backups_kept, now=dt.datetime.now(cfg.tz))
    except StoreLocked:
        if not snapshot_if_busy:
            raise
    except StoreError as exc:
        print(f"dondoc: {exc}", file=sys.stderr)
        return None
    # The bot may write meanwhile: a copy of the folder at one moment (bot/ops/snapshot.py).
    import tempfile

    from bot.ops import OpsError
    from bot.ops.snapshot import consistent_copy

    tmp = Path(tempfile.mkdtemp(prefix="dondoc-snapshot-"))
    try:
        consistent_copy(cfg.storage.path, tmp / "data")
    except OpsError as exc:
        print(f"dondoc: {exc.message}", file=sys.stderr)
        return None
    try:
        return DataStore.open(tmp / "data", backups_kept=0)
    except StoreError as exc:
        print(f"dondoc: {exc}", file=sys.stderr)
        return None


def _parse_at(value: str | None, cfg):
    import datetime as dt

    if value is None:
        return dt.datetime.now(cfg.tz)
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=cfg.tz)
    except ValueError:
        return None


def cmd_digest(args: argparse.Namespace) -> int:
    """Write the weekly digest (message + files) to a folder, offline."""
    cfg = load_or_fail(args)
    if cfg is None:
        return EXIT_USAGE
    now = _parse_at(args.at, cfg)
    if now is None:
        return fail(f"--at: {args.at!r} is not \"YYYY-MM-DD HH:MM\"")
    from bot import followup
    from bot.calendar import CalendarSettings, WorkingCalendar
    from bot.digest import DigestSettings
    from bot.directory import Directory

    store = _open_store(cfg, snapshot_if_busy=True)
    if store is None:
        return EXIT_USAGE
    try:
        cal = WorkingCalendar(cfg.sections.get("calendar") or CalendarSettings(timezone=cfg.timezone))
        digest = followup.make_digest(store, Directory.load(cfg.directory.file), now, cal,
                                      cfg.sections.get("digest") or DigestSettings())
    finally:
        store.close()
        if store.folder.parent.name.startswith("dondoc-snapshot-"):
            import shutil

            shutil.rmtree(store.folder.parent, ignore_errors=True)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "digest.html.txt").write_text("\n\n".join(digest.messages), encoding="utf-8")
        for name, data in digest.files().items():
            (out / name).write_bytes(data)
    except OSError as exc:
        return fail(f"--out: cannot write to {out}: {exc.strerror}")
    print(f"digest written to {out}: digest.html.txt, " + ", ".join(digest.files()))
    return 0


def cmd_notice_import(args: argparse.Namespace) -> int:
    """Read a notice file and store it as a draft, as the bot does when an admin sends it."""
    cfg = load_or_fail(args)
    if cfg is None:
        return EXIT_USAGE
    from bot.directory import Directory
    from bot.importing import read_any, store_draft
    from bot.notices import NoticeFileError

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return fail(f"{path}: {exc.strerror}")
    directory = Directory.load(cfg.directory.file)
    try:
        reading, _ = read_any(data, path.name, directory, ocr_settings=cfg.sections.get("ocr"))
    except NoticeFileError as exc:
        return fail(f"{path}: {exc}")
    try:
        store = _open_store(cfg)
    except Exception as exc:  # StoreLocked: the bot is running
        return fail(str(exc))
    if store is None:
        return EXIT_USAGE
    try:
        import datetime as dt

        imported = store_draft(store, reading, source=data, source_name=path.name,
                               now=dt.datetime.now(cfg.tz), by=cfg.people.admins[0])
    finally:
        store.close()
    state = "new draft" if imported.created else f"already imported ({imported.notice.state})"
    print(f"{path.name}: notice {imported.notice.number or '?'}: {len(imported.tasks)} tasks, {state}; "
          f"admins review and publish it in the bot (/preview)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parent = _config_parent()
    parser = _Parser(prog="dondoc", description="dondoc: theo dõi, đôn đốc thực hiện thông báo kết luận")
    parser.add_argument("--version", action="version", version=f"dondoc {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("run", parents=[parent], help="run the bot (polling)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("check-config", parents=[parent], help="validate the configuration and exit")
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("digest", parents=[parent], help="write the weekly digest to a folder (offline)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the message and the files")
    p.add_argument("--at", metavar='"YYYY-MM-DD HH:MM"', help="the moment of the digest (default: now)")
    p.set_defaults(func=cmd_digest)

    notice = sub.add_parser("notice", help="read notices (parse, import)")
    notice_sub = notice.add_subparsers(dest="notice_command", metavar="COMMAND", parser_class=_Parser)
    notice_sub.required = True
    p = notice_sub.add_parser("import", parents=[parent], help="store a notice file as a draft to publish")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_notice_import)
    from bot import demo
    from bot.notices import cli as notices_cli
    from bot.ops import cli as ops_cli

    notices_cli.register(notice_sub, parent)
    ops_cli.register(sub, parent)
    demo.register(sub, parent)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Never log request URLs (they contain the token) at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per 5-minute tick
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
