import pytest

from bot.emulator import BotAPIEmulator


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


@pytest.fixture(autouse=True)
def _away_from_the_checkout(tmp_path_factory, monkeypatch):
    """Tests never read the working folder's config.toml (./run.sh creates one there) nor a real token.

    Each test starts in an empty folder of its own; tests name every file they use by absolute path.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
