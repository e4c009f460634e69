"""End-to-end harness: the real dondoc Application, a temp data folder, the Bot API emulator."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from pathlib import Path

from bot.app import build_application
from bot.config import parse_config
from bot.directory import Directory
from bot.emulator.runner import running
from storage import DataStore

ROOT = Path(__file__).resolve().parent.parent
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")

ADMIN = 1001  # office clerk
LEADER = 1002  # Phó Chủ tịch
OFFICE_CHAT = -1009000
STRANGER = 4040


class Clock:
    """A settable clock: handlers and jobs read ``now`` from it."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = dt.datetime(*args, tzinfo=TZ)


def make_config(emu, data: Path, **sections):
    raw = {
        # Private chats paced like the emulator's window (5 in 5 s, Telegram's "short bursts") to keep
        # the suite fast; the default (1 a second in any window) is tested in tests/test_outbox.py.
        "telegram": {"base_url": emu.base_url, "base_file_url": emu.base_file_url, "poll_timeout": 1,
                     "private_max_rate": 5, "private_time_period": 5},
        "storage": {"path": str(data)},
        "people": {"admins": [ADMIN], "leaders": [LEADER]},
        "office": {"chat_id": OFFICE_CHAT},
        "directory": {"file": str(ROOT / "agencies.example.toml")},
        # The digest's chart drawn in the bot's process (a child process costs a second of CPU to load
        # matplotlib); tests/test_e2e_followup.py's weekly digest draws it in a child, as the bot does.
        "digest": {"chart_process": False},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return parse_config(raw, token=emu.token, base_dir=data.parent)


class Env:
    def __init__(self, emu, app, store, clock, cfg):
        self.emu, self.app, self.store, self.clock, self.cfg = emu, app, store, clock, cfg

    @property
    def context(self):
        """What jobs get as ``context`` (application and bot), to run one by hand."""
        from types import SimpleNamespace

        return SimpleNamespace(application=self.app, bot=self.app.bot, job=None)

    async def tick(self) -> None:
        """One run of the follow-up job (reminders, digest) at the clock's time."""
        from handlers.schedule import tick

        await tick(self.context)
        await self.emu.wait_idle()

    @property
    def directory(self) -> Directory:
        return self.app.bot_data["services"].directory


@contextlib.asynccontextmanager
async def bot_env(emu, tmp_path: Path, *, now=None, jobs=False, fast=True, **sections):
    """Start dondoc against the emulator with an admin, a leader and the office group.

    ``fast``: Telegram's per-group (20 a minute) and per-private-chat limits run 60 times faster, on both sides
    (the emulator's flood control and the bot's rate limiter), so a test can send dozens
    of messages to one group without waiting minutes; the behaviour is the same.
    """
    if fast:
        from bot.emulator import FloodLimits

        emu.set_flood_limits(FloodLimits().scaled(60))
        sections.setdefault("telegram", {}).update(group_time_period=1.0, private_time_period=1.0 / 60, overall_max_rate=30.0)
    clock = Clock(now or dt.datetime(2024, 3, 12, 9, 0, tzinfo=TZ))
    cfg = make_config(emu, tmp_path / "data", **sections)
    store = DataStore.open(cfg.storage.path)
    directory = Directory.load(cfg.directory.file)
    if OFFICE_CHAT not in emu.chats:  # a second bot_env on the same emulator is a restart
        emu.add_user(ADMIN, "Hoa", "Trần", username="hoa_vp")
        emu.add_user(LEADER, "Giang", "Lâm")
        emu.add_user(STRANGER, "Khách")
        emu.add_group(OFFICE_CHAT, "Văn phòng UBND tỉnh", members=[ADMIN, LEADER])
        emu.add_bot_to_group(OFFICE_CHAT, by_user=ADMIN)
        emu.press_start(ADMIN)
        emu.press_start(LEADER)
    app = build_application(cfg, store, directory, clock=clock)
    app.bot_data["services"].jobs_enabled = jobs
    try:
        async with running(app):
            sender = app.bot_data["services"].sender
            probe = (lambda: sender.settled()) if sender is not None else None
            if probe is not None:  # "idle" includes the outbox: nothing left that it would send soon
                emu.idle_checks.append(probe)
            try:
                await emu.wait_idle()
                yield Env(emu, app, store, clock, cfg)
            finally:
                if probe is not None:
                    emu.idle_checks.remove(probe)
    finally:
        store.close()
