"""``dondoc notice parse FILE [--json] [--directory FILE]``: read a notice and show its tasks.

Wired into ``bot/cli.py`` through :func:`register`. Errors are one line on stderr, exit 2.
The agency directory: ``--directory FILE``, else ``args.directory_default`` (the config's
``[directory] file``, passed by the main CLI), else the national names only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_USAGE = 2


def register(subparsers, parent: argparse.ArgumentParser | None = None) -> None:
    """Add ``notice parse`` to the ``dondoc`` subcommands (``parent`` carries ``--config``)."""
    parents = [parent] if parent is not None else []
    existing = getattr(subparsers, "choices", {}).get("notice")
    if getattr(subparsers, "_prog_prefix", "").split()[-1:] == ["notice"]:
        sub = subparsers  # the main CLI passes the subcommands of "dondoc notice"
    elif existing is None:
        notice = subparsers.add_parser("notice", parents=parents, help="read conclusion notices")
        sub = notice.add_subparsers(dest="notice_command", metavar="ACTION")
        sub.required = True
    else:  # another module registered "notice" first (e.g. "notice import")
        sub = next(a for a in existing._actions if isinstance(a, argparse._SubParsersAction))
    p = sub.add_parser("parse", parents=parents,
                       help="read a notice file (.pdf, .docx, .txt, a scan or a photo) and show its tasks")
    p.add_argument("file", metavar="FILE",
                   help="the notice: .pdf (with text or scanned), .docx, .txt, or a photo (.jpg, .png)")
    p.add_argument("--json", action="store_true", help="print the reading as JSON")
    p.add_argument("--directory", metavar="FILE", default=None,
                   help="agency directory (TOML); default: the config's, else national names only")
    p.set_defaults(func=cmd_parse)


def _fail(message: str) -> int:
    print(f"dondoc: {message}", file=sys.stderr)
    return EXIT_USAGE


def _ocr_settings(args: argparse.Namespace):
    """The config's ``[ocr]`` settings when a config file is there (the bot's own), else defaults."""
    if getattr(args, "config", None) and Path(args.config).is_file():
        try:
            from bot.config import ConfigError, load_config

            return load_config(args.config).sections.get("ocr")
        except (ImportError, ConfigError):
            return None
    return None


def _directory(args: argparse.Namespace):
    from bot.directory import Directory, DirectoryError

    path = args.directory or getattr(args, "directory_default", None)
    if path is None and getattr(args, "config", None) and Path(args.config).is_file():
        from bot.config import ConfigError, load_config

        try:
            path = load_config(args.config, require_token=False).directory.file
        except ConfigError as exc:
            raise DirectoryError(f"{args.config}: {'; '.join(exc.problems)}") from None
    return Directory.load(Path(path) if path else None)


def cmd_parse(args: argparse.Namespace) -> int:
    from bot.directory import DirectoryError
    from bot.importing import read_any
    from bot.notices.extract import NoticeFileError

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _fail(f"{path}: {exc.strerror or exc}")
    try:
        directory = _directory(args)
    except DirectoryError as exc:
        return _fail(str(exc).splitlines()[0] if str(exc) else "directory error")
    try:
        # the bot's own import path: text layer, else OCR of a scan or photo, then the doubt checks
        reading, _ = read_any(data, path.name, directory, ocr_settings=_ocr_settings(args))
    except NoticeFileError as exc:
        return _fail(exc.message)
    if args.json:
        print(json.dumps(reading, ensure_ascii=False, indent=2))
    else:
        print(render_table(reading))
    return 0


def _agencies(agencies: list[dict]) -> str:
    out = []
    for a in agencies:
        mark = "" if (a.get("agency_id") or a.get("group")) else " (?)"
        out.append(a["name"] + mark)
    return ", ".join(out) or "—"


def render_table(reading: dict) -> str:
    """A plain-text table: ref, lead, coordinating, deadline, warnings (for a terminal)."""
    n = reading["notice"]
    lines = [
        f"{n.get('kind') or 'Văn bản'} {n.get('number') or '?'} ngày {n.get('issued_on') or '?'} — "
        f"{n.get('issuer') or '?'}",
        n.get("title") or "",
        "",
    ]
    rows = [("Mục", "Chủ trì", "Phối hợp", "Hạn", "Cảnh báo")]
    for item in reading["items"]:
        deadline = item["deadline"] or ("—" if not item.get("deadline_text") else f"? ({item['deadline_text']})")
        if item.get("recurring"):
            deadline = f"{deadline} · {item['recurring']}" if item["deadline"] else item["recurring"]
        rows.append((item["ref"], _agencies(item["lead"]), _agencies(item["coordinate"]), deadline,
                     str(len(item["warnings"])) if item["warnings"] else ""))
    limits = (8, 34, 46, 40, 8)
    rows = [tuple(c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(r, limits)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    warnings = [f"[{i['ref']}] {w}" for i in reading["items"] for w in i["warnings"]] + list(reading["warnings"])
    if reading.get("skipped"):
        lines.append("")
        lines.append("Không phải nhiệm vụ: " + ", ".join(s["ref"] for s in reading["skipped"]))
    if warnings:
        lines.append("")
        lines.append("Cảnh báo:")
        lines.extend(f"  {w}" for w in warnings)
    lines.append("")
    lines.append(f"{len(reading['items'])} nhiệm vụ.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m bot.notices.cli parse FILE``) while bot/cli.py is wired."""
    parser = argparse.ArgumentParser(prog="dondoc")
    sub = parser.add_subparsers(dest="command")
    sub.required = True
    register(sub)
    args = parser.parse_args(["notice", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
