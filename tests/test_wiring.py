"""The wiring: one handler table in bot/app.py, typed services, no string keys of bot_data in handlers."""

from __future__ import annotations

import re
from pathlib import Path

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import app, texts

ROOT = Path(__file__).resolve().parent.parent


def test_one_table_builds_every_handler_and_the_menus():
    rows = app.handler_table()
    handlers = [app._as_handler(r) for r in rows]
    names = [c for h in handlers if isinstance(h, CommandHandler) for c in h.commands]
    assert len(names) == len(set(names))  # a command handled in one place
    for menu in (app.PRIVATE, app.GROUPS, app.ADMINS, app.LEADERS):
        listed = app.menu(menu)
        assert listed and set(listed) <= set(names)
        assert all(texts.has(f"commands.{c}") for c in listed), menu
    # the catch-all answer for unknown buttons comes after every button of the table
    buttons = [h for h in handlers if isinstance(h, CallbackQueryHandler)]
    assert buttons[-1].pattern is None and all(h.pattern is not None for h in buttons[:-1])


def test_handlers_register_nothing_themselves_and_use_no_bot_data_keys():
    for path in sorted((ROOT / "handlers").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "bot_data" not in source, path.name
        assert ".extra[" not in source and ".extra.get(" not in source and "extra.setdefault" not in source, path.name
        assert not re.search(r"^def register\(", source, re.M), path.name
        assert "add_handler(" not in source, path.name
