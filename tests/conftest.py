import pytest

from bot.emulator.testing import emulator  # noqa: F401  (the pytest fixture)


@pytest.fixture(autouse=True)
def _away_from_the_checkout(tmp_path_factory, monkeypatch):
    """Tests never read the working folder's config.toml (./run.sh creates one there) nor a real token.

    Each test starts in an empty folder of its own; tests name every file they use by absolute path.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
