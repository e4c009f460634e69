"""A 600-card publish to 60 groups with Telegram's limits enforced by the emulator, against its floor.

Telegram's limits (the emulator's sliding windows: 30 messages in any second for the bot, 20 in
any minute per group) put the floor of 600 messages at 600 / 30 = 20 s. Two runs, each on a
fresh emulator, in the same process:

* dondoc: the real application; the clerk presses "Công bố", the cards go through the outbox and
  the sliding-window pacer. Timed from the press to the last card's arrival, and to the report.
* baseline: a bare python-telegram-bot bot sending the same 600 messages through AIORateLimiter
  (30/s overall, 20/min per group, max_retries=5), as dondoc did before the outbox.

    .venv/bin/python bench/bench_publish.py [groups] [tasks]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.emulator import BotAPIEmulator, FloodLimits  # noqa: E402
from bot.importing import store_draft  # noqa: E402
from bot.models import ChatBinding  # noqa: E402
from tests.harness import ADMIN, bot_env  # noqa: E402
from tests.test_e2e_publish_load import directory_file, reading  # noqa: E402
from tests.test_pacer import max_in_window  # noqa: E402


def chat(i: int) -> int:
    return -1003000 - i


def world(emu: BotAPIEmulator, groups: int) -> None:
    for i in range(groups):
        emu.add_user(5000 + i, f"Cán bộ {i}")
        emu.add_group(chat(i), f"Sở {i:02d}", members=[5000 + i])
        emu.add_bot_to_group(chat(i), by_user=5000 + i)


def windows(emu: BotAPIEmulator, since: float) -> tuple[int, int]:
    """(most messages in any 1 s, most in any 60 s of one group) among the bot's messages."""
    sent = [(t, c) for t, c, _ in emu.sent_times if t >= since]
    per_group = max((max_in_window([t for t, c in sent if c == g], 60.0) for g in {c for _, c in sent if c < 0}),
                    default=0)
    return max_in_window([t for t, _ in sent], 1.0), per_group


async def run_dondoc(groups: int, tasks: int) -> dict:
    emu = BotAPIEmulator(flood=FloodLimits()).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = directory_file(Path(tmp), groups)
            async with bot_env(emu, Path(tmp), fast=False, directory={"file": str(path)}) as env:
                world(emu, groups)
                for i in range(groups):
                    env.store.registry.bind_chat(ChatBinding(chat_id=chat(i), agency_id=f"so-{i:02d}",
                                                             title=f"Sở {i:02d}"))
                store_draft(env.store, reading(tasks), source=b"bench", source_name="bench.txt", now=env.clock.now,
                            by=ADMIN)
                await emu.wait_idle()
                emu.send(ADMIN, ADMIN, "/preview")
                preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")))
                refused0 = emu.refused_429
                started = time.monotonic()
                emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
                total = groups * tasks

                def cards() -> int:
                    return sum(1 for _, c, _ in emu.sent_times if c < 0 and c != env.cfg.office.chat_id)
                await emu.wait_until(lambda: cards() >= total, timeout=600, what="every card")
                last_card = time.monotonic() - started
                done = await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"],
                                                      include_edits=True, timeout=120)
                report = time.monotonic() - started
                per_chat = [len([m for m in emu.bot_messages(chat(i)) if m["text"].startswith("📌")])
                            for i in range(groups)]
                overall, group = windows(emu, started)
                return {"cards": last_card, "report": report, "429": emu.refused_429 - refused0,
                        "exact": all(n == tasks for n in per_chat), "overall": overall, "group": group,
                        "report_ok": f"Đã gửi: {total}" in done["text"]}
    finally:
        emu.stop()


async def run_baseline(groups: int, tasks: int) -> dict:
    from telegram.ext import AIORateLimiter, ApplicationBuilder

    emu = BotAPIEmulator(flood=FloodLimits()).start()
    try:
        world(emu, groups)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url)
                   .rate_limiter(AIORateLimiter(overall_max_rate=30, overall_time_period=1, group_max_rate=20,
                                                group_time_period=60, max_retries=5)).build())
        await app.initialize()
        try:
            started = time.monotonic()
            await asyncio.gather(*(app.bot.send_message(chat(g), f"📌 Nhiệm vụ {t} cho nhóm {g}")
                                   for t in range(tasks) for g in range(groups)))
            elapsed = time.monotonic() - started
            overall, group = windows(emu, started)
            per_chat = [len(emu.bot_messages(chat(i))) for i in range(groups)]
            return {"cards": elapsed, "429": emu.refused_429, "exact": all(n == tasks for n in per_chat),
                    "overall": overall, "group": group}
        finally:
            await app.shutdown()
    finally:
        emu.stop()


async def main(groups: int, tasks: int) -> None:
    total = groups * tasks
    floor = (total - 1) // 30  # the last second's batch starts at this many seconds
    floor_s = total / 30
    print(f"publish of {total} cards to {groups} groups, Telegram's limits enforced (floor {floor_s:.0f} s "
          f"at 30 messages/s; the last batch can start at {floor} s)")
    d = await run_dondoc(groups, tasks)
    b = await run_baseline(groups, tasks)
    print(f"  dondoc (outbox + sliding-window pacer): last card {d['cards']:.1f} s = {d['cards'] / floor_s:.2f} x floor; "
          f"report {d['report']:.1f} s; 429 answers {d['429']}; each card once: {d['exact']}; "
          f"most in any 1 s: {d['overall']}, in any 60 s of a group: {d['group']}")
    print(f"  baseline (bare PTB + AIORateLimiter):   last card {b['cards']:.1f} s = {b['cards'] / floor_s:.2f} x floor; "
          f"429 answers {b['429']}; each card once: {b['exact']}; "
          f"most in any 1 s: {b['overall']}, in any 60 s of a group: {b['group']}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(*(args + [60, 10][len(args):])))
