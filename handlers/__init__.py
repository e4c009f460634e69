"""Telegram handlers, one module per concern, each a thin call into the domain.

They are wired in one place: the handler table in ``bot/app.py`` (handlers, commands, menus and
the hooks that run beside them).
"""
