"""``dondoc demo``: the whole loop offline, against the built-in Bot API emulator.

No token and no network: a temporary data folder, the sample notice shipped with
dondoc, an office clerk, a leader and two agency groups played by a script. The
conversation is printed as it happens.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import tempfile
from pathlib import Path

SAMPLE = Path(__file__).parent / "data" / "sample-notice-89-TB-UBND-2024.txt"
ADMIN, LEADER, OFFICE = 1001, 1002, -1009000
GROUPS = [("Sở Nội vụ", -1002001, 2001, "Minh"), ("Công an tỉnh", -1002002, 2002, "Tuấn")]


def _show(who: str, text: str) -> None:
    lines = text.strip().splitlines() or [""]
    print(f"\n[{who}] {lines[0]}")
    for line in lines[1:12]:
        print(f"    {line}")
    if len(lines) > 12:
        print(f"    … ({len(lines) - 12} more lines)")


async def _run(pause: float) -> None:
    from bot.app import build_application
    from bot.config import parse_config
    from bot.directory import Directory
    from bot.emulator import BotAPIEmulator
    from bot.emulator.runner import running
    from storage import DataStore

    root = Path(__file__).resolve().parent.parent
    emu = BotAPIEmulator().start()
    with tempfile.TemporaryDirectory(prefix="dondoc-demo-") as tmp:
        directory_file = root / "agencies.example.toml"
        cfg = parse_config({
            "telegram": {"base_url": emu.base_url, "base_file_url": emu.base_file_url, "poll_timeout": 1},
            "storage": {"path": tmp},
            "people": {"admins": [ADMIN], "leaders": [LEADER]},
            "office": {"chat_id": OFFICE},
            "directory": {"file": str(directory_file)} if directory_file.exists() else {},
        }, token=emu.token)
        tz = cfg.tz
        clock_now = [dt.datetime(2024, 3, 12, 9, 0, tzinfo=tz)]
        store = DataStore.open(cfg.storage.path)
        app = build_application(cfg, store, Directory.load(cfg.directory.file), clock=lambda: clock_now[0])
        app.bot_data["jobs_enabled"] = False
        emu.add_user(ADMIN, "Hoa (Văn phòng)")
        emu.add_user(LEADER, "Giang (Phó Chủ tịch)")
        emu.add_group(OFFICE, "Văn phòng UBND tỉnh", members=[ADMIN, LEADER])
        emu.add_bot_to_group(OFFICE, by_user=ADMIN)

        async def say(user: int, chat: int, text: str | None = None, who: str = "", **kw) -> dict:
            _show(who, text or f"📎 {kw.get('document', ('',))[0]}")
            msg = emu.send(user, chat, text, **kw)
            await asyncio.sleep(pause)
            return msg

        async def bot_says(chat: int, predicate=None, timeout: float = 30) -> dict:
            msg = await emu.wait_for_bot_message(chat, predicate, timeout=timeout, include_edits=True)
            _show("bot → " + emu.chats[chat].title if chat < 0 else "bot", msg["text"])
            return msg

        try:
            async with running(app):
                emu.press_start(ADMIN)
                await bot_says(ADMIN)
                for name, chat, user, first in GROUPS:
                    await say(ADMIN, ADMIN, f"/invite {name}", who="Hoa, chat riêng")
                    msg = await bot_says(ADMIN, lambda m: "startgroup=" in m["text"])
                    code = re.search(r"startgroup=([A-Z0-9]{8})", msg["text"]).group(1)
                    emu.add_user(user, first)
                    emu.add_group(chat, name, members=[user])
                    _show(f"{first}, nhóm {name}", f"(thêm bot vào nhóm qua liên kết …?startgroup={code})")
                    emu.add_bot_to_group(chat, by_user=user, start_param=code)
                    await bot_says(chat, lambda m: "đã được gắn" in m["text"])
                await say(ADMIN, ADMIN, who="Hoa, chat riêng",
                          document=(SAMPLE.name, SAMPLE.read_bytes(), "text/plain"))
                preview = await bot_says(ADMIN, lambda m: bool(m.get("reply_markup")))
                _show("Hoa, chat riêng", "(bấm 📢 Công bố)")
                emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
                await bot_says(ADMIN, lambda m: "Đã công bố" in m["text"])
                name, chat, user, first = GROUPS[0]
                card = next(m for m in emu.bot_messages(chat) if "mục 8.1\n" in m["text"])
                _show(f"bot → {name}", card["text"])
                await say(user, chat, "Đã hoàn thành, gửi kèm tờ trình", who=f"{first}, nhóm {name}",
                          reply_to=card["message_id"])
                await bot_says(chat, lambda m: "Đã ghi nhận" in m["text"])
                ask = await bot_says(OFFICE, lambda m: "hoàn thành" in m["text"] and bool(m.get("reply_markup")))
                _show("Hoa, nhóm Văn phòng", "(bấm ✅ Xác nhận hoàn thành)")
                emu.press(ADMIN, OFFICE, ask["message_id"], button="✅ Xác nhận hoàn thành")
                await bot_says(chat, lambda m: "đã xác nhận" in m["text"])
                emu.press_start(LEADER)
                await emu.wait_for_bot_message(LEADER)
                await say(LEADER, LEADER, "/status", who="Giang, chat riêng")
                await bot_says(LEADER)
                print("\nDemo finished: this is what happens in Telegram once DONDOC_TOKEN is set (see README).")
        finally:
            store.close()
            emu.stop()


def cmd_demo(args: argparse.Namespace) -> int:
    import logging

    if not args.verbose:
        logging.getLogger().setLevel(logging.WARNING)  # the transcript is the output
    asyncio.run(_run(args.pause))
    return 0


def register(sub, parent) -> None:
    p = sub.add_parser("demo", help="play the whole loop offline against the built-in emulator (no token)")
    p.add_argument("--pause", type=float, default=0.3, help="seconds between the script's steps")
    p.set_defaults(func=cmd_demo)
