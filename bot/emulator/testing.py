"""pytest helpers: the `emulator` fixture and `running(app)` to run a PTB Application against it.

In tests/conftest.py:  from bot.emulator.testing import emulator  # noqa: F401
"""
from __future__ import annotations

import contextlib
from typing import AsyncIterator

import pytest

from . import BotAPIEmulator


@pytest.fixture
def emulator():
    """A started BotAPIEmulator; at teardown it stops and fails the test on any api.json mismatch."""
    emu = BotAPIEmulator().start()
    try:
        yield emu
    finally:
        emu.stop()
    if emu.spec_errors:
        pytest.fail("requests that break the Bot API spec (api.json):\n  " + "\n  ".join(emu.spec_errors),
                    pytrace=False)
    if emu.unsupported:
        pytest.fail(f"the bot called methods the emulator does not emulate: {sorted(set(emu.unsupported))}",
                    pytrace=False)


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
