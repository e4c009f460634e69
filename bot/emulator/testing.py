"""pytest helpers: the `emulator` fixture (and, re-exported from runner.py, `running(app)`).

In tests/conftest.py:  from bot.emulator.testing import emulator  # noqa: F401
"""
from __future__ import annotations

import pytest

from . import BotAPIEmulator
from .runner import application_builder, running  # noqa: F401  (re-exported for tests)


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
