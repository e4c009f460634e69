"""Progress replies end to end through the emulator: dondoc at a year of data, on an empty store,
and a bare python-telegram-bot bot, in one run, side by side.

    .venv/bin/python bench/bench_replies.py [--latency 120] [--burst 300] [--rounds 1] [--skip-year]

* latency: replies sent one at a time (the next after the previous acknowledgement), each timed
  from the emulator receiving the user's message to the bot's acknowledgement arriving; p50/p95.
* throughput: ``--burst`` replies queued at once; replies acknowledged per second.
* "year": the data folder holds 50 notices, 3,000 assignments and 30,000 reports before the bot
  starts (bench/bench_storage.py builds them); the replies go to a notice published in the run.
* "bare PTB": an Application with one MessageHandler answering every reply with a fixed text
  (reply_text), polling the same emulator code with the same settings.

Targets (issue 11): year p95 ≤ 1.25 × empty p95 and ≤ 30 ms; dondoc ≥ 0.8 × bare PTB replies/s.
Flood limits are off in the emulator and dondoc's own pacing is lifted (both bots unpaced):
the figures are each bot's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
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
UNPACED = {"overall_max_rate": 1e6, "group_max_rate": 1e6, "group_time_period": 1.0}
# The replies come from 30 members in turn: one person sending 300 replies in a burst is a flood
# (more than 20 in 10 s), answered by dondoc in one summary, not 300 acknowledgements.
USERS = [USER + k for k in range(30)]
ACK = "Đã ghi nhận"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class _Counter:
    """Bot messages to GROUP since the last look, read cheaply (no copies: the driver shares the
    process, and the GIL, with the bot)."""

    def __init__(self, emu) -> None:
        self.emu, self.pos, self.count = emu, len(emu.bot_sent), 0

    def __call__(self) -> int:
        with self.emu.lock:
            new = self.emu.bot_sent[self.pos:]
        self.pos += len(new)
        self.count += sum(1 for _, cid, _ in new if cid == GROUP)
        return self.count


async def _drive(emu, cards: list[dict], n_latency: int, n_burst: int) -> tuple[list[float], float, float]:
    """(latencies in ms, replies/s of the burst, CPU ms per reply of the burst: the whole process, the
    emulator included, as alike for both bots) for replies to ``cards`` in GROUP (each is answered by
    one message to GROUP: the acknowledgement)."""
    latencies = []
    count = _Counter(emu)
    for i in range(n_latency):
        card = cards[i % len(cards)]
        before = count()
        t0 = time.perf_counter()
        emu.send(USERS[i % len(USERS)], GROUP, f"Báo cáo lần {i}: đang triển khai, đã hoàn thành 60% khối lượng.",
                 reply_to=card["message_id"])
        while count() <= before:
            await asyncio.sleep(0.0005)
        latencies.append((time.perf_counter() - t0) * 1000)
    await emu.wait_idle()
    before = count()
    t0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(n_burst):
        card = cards[i % len(cards)]
        emu.send(USERS[i % len(USERS)], GROUP, f"Đợt {i}: đang triển khai, đã hoàn thành 70% khối lượng.",
                 reply_to=card["message_id"])
    while count() - before < n_burst:
        await asyncio.sleep(0.01)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return latencies, n_burst / wall, 1000 * cpu / n_burst


async def run_dondoc(year: bool, n_latency: int, n_burst: int) -> tuple[list[float], float, float, str]:
    emu = BotAPIEmulator(flood=FloodLimits.off()).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            note = "empty store"
            if year:
                from bench.bench_storage import build

                t = time.perf_counter()
                _, n_reports = build(Path(tmp) / "data", random.Random(7))
                note = f"a year: {n_reports} reports stored before start (built in {time.perf_counter() - t:.0f} s)"
            # The bot's own pacing lifted like the emulator's flood control: the figures are the bot's cost
            # (Telegram's limits would cap both bots alike: 20 a minute in a group).
            async with bot_env(emu, Path(tmp), fast=False, telegram=UNPACED) as env:
                emu.set_flood_limits(FloodLimits.off())
                for uid in USERS:
                    emu.add_user(uid, f"Cán bộ {uid - USER}")
                emu.add_group(GROUP, "Sở Nội vụ", members=USERS)
                emu.add_bot_to_group(GROUP, by_user=USER)
                agency = env.directory.resolve("Sở Nội vụ").agency.id
                env.store.registry.bind_chat(ChatBinding(chat_id=GROUP, agency_id=agency, title="Sở Nội vụ"))
                r = reading()
                r["notice"]["number"] = "7/TB-BENCH"
                for item in r["items"]:
                    item["lead"] = [{"name": "Sở Nội vụ", "agency_id": agency, "group": None,
                                     "as_written": "Sở Nội vụ"}]
                store_draft(env.store, r, source=b"bench-replies", source_name="bench.txt", now=env.clock.now,
                            by=ADMIN)
                await emu.wait_idle()
                emu.send(ADMIN, ADMIN, "/preview")
                preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")), timeout=60)
                emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
                await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True,
                                               timeout=120)
                await emu.wait_idle()
                cards = [m for m in emu.bot_messages(GROUP) if m["text"].startswith("📌")]
                _CARDS[:] = [{k: m[k] for k in ("text", "entities", "reply_markup") if k in m} for m in cards[:10]]
                lat, rate, cpu = await _drive(emu, cards, n_latency, n_burst)
                return lat, rate, cpu, note
    finally:
        emu.stop()


# dondoc's first cards as the emulator holds them (text, entities, buttons): the bare bot sends the same
# cards, so that both answer the same updates (a reply carries the card it answers, parsed by each bot).
_CARDS: list[dict] = []


async def run_bare(n_latency: int, n_burst: int) -> tuple[list[float], float, float, str]:
    from telegram import MessageEntity, Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    from bot.emulator.runner import running

    emu = BotAPIEmulator(flood=FloodLimits.off()).start()
    try:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        text, buttons = _same_ack()
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                       for row in buttons])

        async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await update.effective_message.reply_text(text, parse_mode="HTML", reply_markup=markup)

        app = (Application.builder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url)
               .build())
        app.add_handler(MessageHandler(filters.REPLY, on_reply))
        for uid in USERS:
            emu.add_user(uid, f"Cán bộ {uid - USER}")
        emu.add_group(GROUP, "Sở Nội vụ", members=USERS)
        emu.add_bot_to_group(GROUP, by_user=USER)
        async with running(app):
            sent = []
            for i, card in enumerate(_CARDS or [{"text": f"📌 Nhiệm vụ {i}"} for i in range(10)]):
                entities = [MessageEntity.de_json(e, None) for e in card.get("entities", ())] or None
                card_markup = (InlineKeyboardMarkup.de_json(card["reply_markup"], None)
                               if card.get("reply_markup") else None)
                sent.append(await app.bot.send_message(GROUP, card["text"], entities=entities, reply_markup=card_markup,
                                                       parse_mode=None))
            cards = [{"message_id": m.message_id} for m in sent]
            await emu.wait_idle()
            lat, rate, cpu = await _drive(emu, cards, n_latency, n_burst)
            return lat, rate, cpu, ("one MessageHandler: reply_text of the same acknowledgement and buttons, "
                                    "to replies to the same cards")
    finally:
        emu.stop()


def _same_ack() -> tuple[str, list]:
    """The acknowledgement dondoc sends for these replies (text and buttons), for the bare bot to send
    the same bytes: the emulator shares the process, so the message's size counts for both alike."""
    import datetime as dt

    from bot import cards
    from bot.models import Progress, Report, Task

    report = Report(id="r0123456789ab", assignment_id="a", notice_id="n", agency_id="snv", chat_id=GROUP,
                    message_id=1, author_id=USER, author_name="Minh", at=dt.datetime.now(dt.timezone.utc),
                    text="Báo cáo: đang triển khai, đã hoàn thành 60% khối lượng.", status=Progress.IN_PROGRESS)
    task = Task(id="t", notice_id="n", code="NV512", ref="8", text="")
    return cards.ack(report, task, "Sở Nội vụ")


def line(name: str, lat: list[float], rate: float, cpu: float, note: str) -> str:
    return (f"{name:<16} p50 {statistics.median(lat):6.1f} ms  p95 {pct(lat, 95):6.1f} ms  "
            f"max {max(lat):6.1f} ms  burst {rate:6.1f} replies/s  CPU {cpu:5.1f} ms/reply   ({note})")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=int, default=120, help="replies timed one at a time")
    ap.add_argument("--burst", type=int, default=300, help="replies queued at once")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the three one after the other this many times; ratios of each round, and "
                         "their median (a shared machine's load moves between runs)")
    ap.add_argument("--skip-year", action="store_true")
    args = ap.parse_args()
    print(f"progress replies through the emulator ({args.latency} timed one by one, {args.burst} at once):")
    speed, cpu_ratio, year_ratio, year_p95 = [], [], [], []
    for round_no in range(args.rounds):
        empty = await run_dondoc(False, args.latency, args.burst)  # first: the bare bot sends its cards
        results = {"bare PTB": await run_bare(args.latency, args.burst), "dondoc, empty": empty}
        if not args.skip_year:
            results["dondoc, a year"] = await run_dondoc(True, args.latency, args.burst)
        if args.rounds > 1:
            print(f"round {round_no + 1}:")
        for name, (lat, rate, cpu, note) in results.items():
            print(line(name, lat, rate, cpu, note))
        bare, empty = results["bare PTB"], results["dondoc, empty"]
        speed.append(empty[1] / bare[1])
        cpu_ratio.append(bare[2] / empty[2])
        print(f"dondoc / bare PTB replies/s: {speed[-1]:.2f} (target >= 0.8); "
              f"CPU per reply, bare PTB / dondoc: {cpu_ratio[-1]:.2f} (what the ratio of replies/s tends to "
              f"when the CPU, not the wait for the disk, bounds both)")
        if "dondoc, a year" in results:
            year = results["dondoc, a year"]
            year_ratio.append(pct(year[0], 95) / pct(empty[0], 95))
            year_p95.append(pct(year[0], 95))
            print(f"p95 a year / p95 empty: {year_ratio[-1]:.2f} (target <= 1.25; "
                  f"and p95 at a year {year_p95[-1]:.1f} ms, target <= 30 ms); "
                  f"a year / bare PTB replies/s: {year[1] / bare[1]:.2f}")
        sys.stdout.flush()
    if args.rounds > 1:
        med = statistics.median
        print(f"median of {args.rounds} rounds: dondoc / bare PTB replies/s {med(speed):.2f} "
              f"(each: {', '.join(f'{v:.2f}' for v in speed)}); CPU per reply bare / dondoc {med(cpu_ratio):.2f}"
              + (f"; p95 a year / empty {med(year_ratio):.2f}, p95 at a year {med(year_p95):.1f} ms"
                 if year_ratio else ""))


if __name__ == "__main__":
    asyncio.run(main())
