"""Run a PTB Application against the emulator (used by `dondoc demo` and the tests; no test dependency)."""
from __future__ import annotations

import contextlib
from typing import AsyncIterator

from . import BotAPIEmulator


def application_builder(emu: BotAPIEmulator):
    """An ApplicationBuilder already pointed at the emulator (token, base_url, base_file_url)."""
    from telegram.ext import ApplicationBuilder

    return ApplicationBuilder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url)


@contextlib.asynccontextmanager
async def running(app, *, poll_timeout: int = 1) -> AsyncIterator:
    """Initialize, start and poll a PTB Application; stop and shut it down cleanly afterwards."""
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        if app.updater is not None:
            await app.updater.start_polling(poll_interval=0, timeout=poll_timeout)
        try:
            yield app
        finally:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
