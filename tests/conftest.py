from bot.emulator.testing import emulator  # noqa: F401  (the pytest fixture)
