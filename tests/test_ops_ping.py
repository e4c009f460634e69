"""/ping through the emulator: an admin in private sees the bot's health; everyone else is refused."""

from __future__ import annotations

import datetime as dt

from handlers.ops import folder_usage, uptime_text
from tests.harness import ADMIN, LEADER, OFFICE_CHAT, STRANGER, TZ, bot_env


async def test_ping_for_an_admin_in_private(emulator, tmp_path):
    start = dt.datetime(2024, 3, 12, 9, 0, tzinfo=TZ)
    async with bot_env(emulator, tmp_path, now=start) as env:
        emu = env.emu
        emu.send(ADMIN, ADMIN, "/invite Sở Nội vụ")  # some data to back up
        await emu.wait_for_bot_message(ADMIN, lambda m: "startgroup=" in m["text"])
        env.clock.now = start + dt.timedelta(hours=2, minutes=5)
        await env.tick()  # the follow-up job ran once (and made the day's backup)
        env.clock.now = start + dt.timedelta(days=1, hours=3, minutes=1)
        emu.send(ADMIN, ADMIN, "/ping")
        msg = await emu.wait_for_bot_message(ADMIN, lambda m: "dondoc đang chạy" in m["text"])
        text = msg["text"]
        assert "Thời gian chạy: 1 ngày 3 giờ (từ 09:00 12/03/2024)" in text
        data, files, _ = folder_usage(env.store.folder)
        assert files > 0 and f"({files} tệp)" in text
        assert "Sao lưu gần nhất: ngày 12/03/2024" in text and "giữ 7 bản" in text
        assert "Tin nhắn chờ gửi:" in text
        assert "Lần kiểm tra nhắc việc gần nhất: 11:05 12/03/2024" in text


async def test_ping_refused_for_others_and_in_groups(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        emu.press_start(STRANGER)
        await emu.wait_for_bot_message(STRANGER)
        for user, chat in ((STRANGER, STRANGER), (LEADER, LEADER), (ADMIN, OFFICE_CHAT)):
            emu.send(user, chat, "/ping")
            msg = await emu.wait_for_bot_message(chat)
            assert msg["text"] == "⛔ Lệnh /ping chỉ dành cho quản trị viên, gửi trong chat riêng với bot.", msg["text"]
            assert "dondoc đang chạy" not in msg["text"]


def test_uptime_text():
    assert uptime_text(59) == "0 phút"
    assert uptime_text(3 * 3600 + 7 * 60) == "3 giờ 7 phút"
    assert uptime_text(2 * 86400 + 5 * 3600) == "2 ngày 5 giờ"
