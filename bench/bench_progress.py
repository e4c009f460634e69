"""CPU time the bot spends per progress report, through the emulator.

The emulator runs in the same process (its own threads), so the bot's share is measured
per thread: the event loop's thread (PTB, handlers, message building) plus the store's
writer thread (atomic writes), each with time.thread_time(). Prints the figures.

    .venv/bin/python bench/bench_progress.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.emulator import BotAPIEmulator, FloodLimits  # noqa: E402
from bot.importing import store_draft  # noqa: E402
from bot.models import ChatBinding  # noqa: E402
from tests.harness import ADMIN, bot_env  # noqa: E402
from tests.test_e2e_publish_load import reading  # noqa: E402

GROUP, USER = -1004001, 4001
# Pacing lifted in the bot as in the emulator: the figures are the bot's own cost per report.
UNPACED = {"overall_max_rate": 1e6, "group_max_rate": 1e6, "group_time_period": 1.0}
# 30 members in turn: one person sending the whole burst is a flood (more than 20 in 10 s), answered
# by one summary, not an acknowledgement each.
USERS = [USER + k for k in range(30)]


async def main(n: int) -> None:
    emu = BotAPIEmulator(flood=FloodLimits.off()).start()
    with tempfile.TemporaryDirectory() as tmp:
        async with bot_env(emu, Path(tmp), fast=False, telegram=UNPACED) as env:
            emu.set_flood_limits(FloodLimits.off())
            for uid in USERS:
                emu.add_user(uid, f"Cán bộ {uid - USER}")
            emu.add_group(GROUP, "Sở Nội vụ", members=USERS)
            emu.add_bot_to_group(GROUP, by_user=USER)
            agency = env.directory.resolve("Sở Nội vụ").agency.id
            env.store.registry.bind_chat(ChatBinding(chat_id=GROUP, agency_id=agency, title="Sở Nội vụ"))
            r = reading()
            for item in r["items"]:
                item["lead"] = [{"name": "Sở Nội vụ", "agency_id": agency, "group": None, "as_written": "Sở Nội vụ"}]
            store_draft(env.store, r, source=b"bench", source_name="bench.txt", now=env.clock.now, by=ADMIN)
            await emu.wait_idle()
            emu.send(ADMIN, ADMIN, "/preview")
            preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")))
            emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
            await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True, timeout=60)
            cards = [m for m in emu.bot_messages(GROUP) if m["text"].startswith("📌")]
            store = env.store
            loop0, store0 = time.thread_time(), await store.run(time.thread_time)
            wall0 = time.perf_counter()
            acks0 = sum("Đã ghi nhận" in m["text"] for m in emu.bot_messages(GROUP))
            for i in range(n):
                card = cards[i % len(cards)]
                emu.send(USERS[i % len(USERS)], GROUP, f"Báo cáo lần {i}: đang triển khai, đã hoàn thành 60% khối lượng.",
                         reply_to=card["message_id"])
            while sum("Đã ghi nhận" in m["text"] for m in emu.bot_messages(GROUP)) - acks0 < n:
                await asyncio.sleep(0.5)  # a lazy check, so the driver costs the loop next to nothing
            wall = time.perf_counter() - wall0
            loop_cpu = time.thread_time() - loop0
            store_cpu = await store.run(time.thread_time) - store0
            print(f"progress reports: {n} (each: a reply with keywords → stored → acknowledged)")
            print(f"bot CPU per report: {1000 * (loop_cpu + store_cpu) / n:.1f} ms "
                  f"(event loop {1000 * loop_cpu / n:.1f} ms, "
                  f"store writer {1000 * store_cpu / n:.1f} ms)")
            print(f"throughput: {n / wall:.0f} reports/s with the replies queued at once")
    emu.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
