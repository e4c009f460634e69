"""The bot's HTTP client (bot/transport.py, aiohttp) against PTB's own HTTPXRequest, side by side:
the CPU of this thread and the wall time per sendMessage (an acknowledgement with its buttons) to
the emulator, which runs in its own thread here (its CPU is not counted), through PTB's
``Bot._post`` as the sender sends, and through ``send_message`` as a bare bot does.

    .venv/bin/python bench/bench_transport.py [--calls 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bench.bench_replies import _same_ack  # noqa: E402
from bot.emulator import BotAPIEmulator, FloodLimits  # noqa: E402
from bot.transport import AiohttpRequest  # noqa: E402

USER, GROUP = 7001, -1007001


async def measure(emu, request, calls: int, how: str) -> tuple[float, float]:
    """(CPU ms, wall ms) per call."""
    text, buttons = _same_ack()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                   for row in buttons])
    as_json = markup.to_dict()
    async with Bot(emu.token, base_url=emu.base_url, request=request) as bot:
        if how == "post":
            def call():
                return bot._post("sendMessage", {"chat_id": GROUP, "text": text, "parse_mode": "HTML",
                                                 "reply_markup": as_json})
        else:
            def call():
                return bot.send_message(GROUP, text, parse_mode="HTML", reply_markup=markup)
        for _ in range(20):
            await call()
        cpu, wall = time.thread_time(), time.perf_counter()
        for _ in range(calls):
            await call()
        return (time.thread_time() - cpu) * 1000 / calls, (time.perf_counter() - wall) * 1000 / calls


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    emu = BotAPIEmulator(flood=FloodLimits.off()).start()
    try:
        emu.add_user(USER, "Lan")
        emu.add_group(GROUP, "Sở Thử", members=[USER])
        emu.add_bot_to_group(GROUP, by_user=USER)
        print(f"sendMessage to the emulator, {args.calls} calls a round, CPU of this thread / wall per call:")
        ratios = []
        for r in range(args.rounds):
            figures = {}
            for how in ("post", "send_message"):
                for name, make in (("httpx (PTB)", lambda: HTTPXRequest(connection_pool_size=64)),
                                   ("aiohttp (dondoc)", lambda: AiohttpRequest(connection_pool_size=64))):
                    figures[how, name] = await measure(emu, make(), args.calls, how)
            ratios.append(figures["post", "httpx (PTB)"][0] / figures["post", "aiohttp (dondoc)"][0])
            print(f"round {r + 1}: " + " | ".join(f"{how} {name} {cpu:.2f} / {wall:.2f} ms"
                                                  for (how, name), (cpu, wall) in figures.items()))
        print(f"median of {args.rounds}: httpx / aiohttp CPU per Bot._post {statistics.median(ratios):.2f}")
    finally:
        emu.stop()


if __name__ == "__main__":
    asyncio.run(main())
