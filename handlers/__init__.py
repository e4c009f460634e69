"""Telegram handlers, one module per concern. ``register_all`` wires them in order."""

from __future__ import annotations

import importlib

from telegram.ext import Application

# Order matters only between modules whose handlers could match the same update;
# each module registers in its own handler group where it needs to.
MODULES = ("handlers.registration", "handlers.notices", "handlers.tracking", "handlers.status",
           "handlers.schedule", "handlers.ops", "handlers.dashboard")


def register_all(application: Application) -> None:
    for name in MODULES:
        importlib.import_module(name).register(application)
    # Last: every button press no handler took is still answered (no spinning client).
    from telegram.ext import CallbackQueryHandler

    from handlers.common import on_unknown_button

    application.add_handler(CallbackQueryHandler(on_unknown_button))  # group 0, after all the others
