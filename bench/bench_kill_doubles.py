"""Doubled answers after SIGKILL: the kill test's scenario (tests/test_kill_restart.py: `dondoc run`
killed 3 times at random moments during 300 replies and presses, then restarted), run N times;
prints, per run, how many acknowledgements arrived twice and whether the test's checks passed.

    .venv/bin/python bench/bench_kill_doubles.py [runs]

A kill after Telegram (the emulator) took an answer but before its "sent" mark was written leaves
it pending: sent again after the restart, that is a double. Since the sender looks for such a
message above the chat's last marked id before sending it again (bot/sender.py, _find_sent),
"found" counts the answers it found had arrived (each a double avoided). Run it on two commits in
the same conditions to compare."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = str(ROOT)  # the killed `dondoc run` runs this checkout's code

from bot.emulator import BotAPIEmulator  # noqa: E402
from tests import test_kill_restart as kt  # noqa: E402
from tests.test_e2e_tracking import CA_GROUP, SNV_GROUP  # noqa: E402


async def one_run() -> tuple[int, int, int, str]:
    emu = BotAPIEmulator().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            verdict = "ok"
            try:
                await kt.test_sigkill_three_times_during_300_replies_loses_nothing_and_doubles_nothing(emu, Path(tmp))
            except (AssertionError, TimeoutError) as exc:
                verdict = f"FAILED ({type(exc).__name__}): " + (str(exc).splitlines() or [""])[0][:300]
            # Answers to the members' replies (a button press is answered in reply to its card: not counted).
            per_reply = [n for c in (SNV_GROUP, CA_GROUP) for target, n in kt.acks_of(emu, c).items()
                         if target not in {m["message_id"] for m in emu.bot_messages(c)}]
            doubles = sum(n - 1 for n in per_reply if n > 1)
            answered = len(per_reply)
            log = Path(tmp) / "bot.log"
            found = log.read_text(errors="replace").count("had arrived before") if log.exists() else 0
            return doubles, answered, found, verdict
    finally:
        emu.stop()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    total = total_found = 0
    for i in range(runs):
        started = time.monotonic()
        doubles, answered, found, verdict = asyncio.run(one_run())
        total += doubles
        total_found += found
        print(f"run {i + 1}: 3 kills, {answered} replies answered, {doubles} answered twice, {found} found "
              f"already arrived and not sent again ({time.monotonic() - started:.0f} s) {verdict}", flush=True)
    print(f"doubles: {total} in {runs} runs ({3 * runs} kills); found already arrived: {total_found}")


if __name__ == "__main__":
    main()
