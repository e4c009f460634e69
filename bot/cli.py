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


def load_or_fail(args: argparse.Namespace):
    """The config, or None after printing one line per problem."""
    try:
        return load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"dondoc: {args.config}: {problem}", file=sys.stderr)
        return None


def cmd_check_config(args: argparse.Namespace) -> int:
    cfg = load_or_fail(args)
    if cfg is None:
        return EXIT_USAGE
    from bot.directory import Directory

    directory = Directory.load(cfg.directory.file)
    print(f"{args.config}: OK ({len(directory.agencies)} agencies, data in {cfg.storage.path}, "
          f"{len(cfg.people.admins)} admin(s), {len(cfg.people.leaders)} leader(s))")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    cfg = load_or_fail(args)
    if cfg is None:
        return EXIT_USAGE
    from bot.app import run_bot

    return run_bot(cfg)


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

    for module in ("bot.notices.cli", "bot.digest.cli", "bot.demo"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ImportError:
            continue
        mod.register(sub, parent)
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
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
