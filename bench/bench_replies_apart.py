"""Progress replies with each bot in its own process, as Telegram sees them: `dondoc run` and a bare
python-telegram-bot bot (bench/bare_ptb_bot.py) poll the same emulator, which runs here; each
answers the same burst of replies to the same cards. Prints replies/s of the burst and the bot
process's CPU per reply, side by side, for each round, and their medians.

    .venv/bin/python bench/bench_replies_apart.py [--burst 300] [--rounds 3] [--groups 1|2]

``--groups 2`` spreads the burst over two groups: a bare PTB bot handles one update at a time,
dondoc handles chats concurrently (one chat's updates in order).

bench/bench_replies.py runs both bots inside this process, with the emulator (its CPU figures
include the emulator's); here a bot's CPU is its own process's (utime + stime). Flood limits are
off in the emulator and dondoc's own pacing is lifted (both bots unpaced).

``BENCH_PYSPY=file`` / ``BENCH_PYSPY_BARE=file`` profile dondoc's / the bare bot's process during a
round, its warm-up included (py-spy in the venv; not a dependency of the project).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = str(ROOT)

from bot.emulator import BotAPIEmulator, FloodLimits  # noqa: E402
from tests import test_kill_restart as kt  # noqa: E402
from tests.harness import bot_env  # noqa: E402
from tests.test_e2e_tracking import CA_GROUP, CA_USER, SNV_GROUP, SNV_USER, cards, published_env  # noqa: E402

# 30 members in turn in each group: none floods
MEMBERS = {SNV_GROUP: [SNV_USER] + [40000 + k for k in range(1, 30)],
           CA_GROUP: [CA_USER] + [41000 + k for k in range(1, 30)]}
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


class Acks:
    """Bot messages to the group since the last look (the emulator's own list, no copies)."""

    def __init__(self, emu, chats) -> None:
        self.emu, self.pos, self.chats = emu, len(emu.bot_sent), set(chats)

    def count(self) -> int:
        with self.emu.lock:
            return sum(1 for _, cid, _ in self.emu.bot_sent[self.pos:] if cid in self.chats)


async def burst(emu, proc: subprocess.Popen, targets: list[tuple[int, int]], n: int, tag: str) -> tuple[float, float]:
    """(replies/s, CPU ms of the bot's process per reply) for ``n`` replies sent at once, to the cards
    ``targets`` ((chat, message id)) in turn."""
    chats = sorted({chat for chat, _ in targets})
    warm = Acks(emu, chats)
    emu.send(MEMBERS[targets[0][0]][0], targets[0][0], f"{tag}: khởi động, đang triển khai", reply_to=targets[0][1])
    await emu.wait_until(lambda: warm.count() >= 1 or proc.poll() is not None, timeout=60, what="warm-up answer")
    assert proc.poll() is None, "the bot died"
    await emu.wait_idle(quiet=0.5)
    # what a start does after it answers (the dashboard's server, its imports) is done before the burst
    for _ in range(100):
        before = cpu_seconds(proc.pid)
        await asyncio.sleep(0.3)
        if cpu_seconds(proc.pid) - before < 0.02:
            break
    acks = Acks(emu, chats)
    cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
    for i in range(n):
        chat, card = targets[i % len(targets)]
        emu.send(MEMBERS[chat][(i // len(targets)) % 30], chat, f"{tag} {i}: đang triển khai, đã hoàn thành 70% khối lượng.",
                 reply_to=card)
    while acks.count() < n:
        if proc.poll() is not None:
            raise RuntimeError("the bot died")
        await asyncio.sleep(0.01)
    wall, cpu = time.perf_counter() - t0, cpu_seconds(proc.pid) - cpu0
    return n / wall, 1000 * cpu / n


def spy(proc: subprocess.Popen, variable: str) -> subprocess.Popen | None:
    """With ``variable`` set to a file: py-spy (in the venv) samples the process where it holds the
    GIL, into that file (raw, one stack per line), until :func:`unspy`."""
    if not os.environ.get(variable):
        return None
    time.sleep(1.0)  # the interpreter up, for py-spy to attach
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--gil", "--nonblocking", "-r", "1000",
                             "-f", "raw", "-o", os.environ[variable], "-p", str(proc.pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def unspy(profiler: subprocess.Popen | None) -> None:
    if profiler is not None:
        profiler.send_signal(signal.SIGINT)  # py-spy writes its file and ends
        profiler.wait(timeout=30)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--burst", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--groups", type=int, default=1, choices=(1, 2),
                    help="replies in one group, or spread over two (a bare bot handles one update at a time)")
    args = ap.parse_args()
    from bench.bench_replies import _same_ack

    emu = BotAPIEmulator(flood=FloodLimits.off()).start()
    tmp = Path(tempfile.mkdtemp(prefix="dondoc-bench-"))
    try:
        async with bot_env(emu, tmp) as env:  # two agencies registered, the sample published
            await published_env(env)
            await emu.wait_idle()
        emu.set_flood_limits(FloodLimits.off())
        groups = [SNV_GROUP, CA_GROUP][:args.groups]
        for chat in groups:
            for uid in MEMBERS[chat][1:]:
                emu.add_user(uid, f"Cán bộ {uid}")
                emu.add_member(chat, uid)
        per_group = [[(chat, m["message_id"]) for m in cards(emu, chat)][:11] for chat in groups]
        targets = [t for row in zip(*per_group) for t in row]  # the groups in turn
        cfg = kt.write_config(tmp, emu)
        text, buttons = _same_ack()
        bare_env = {**os.environ, "DONDOC_TOKEN": emu.token, "BENCH_BASE_URL": emu.base_url,
                    "BENCH_BASE_FILE_URL": emu.base_file_url,
                    "BENCH_ACK": json.dumps({"text": text, "buttons": buttons}, ensure_ascii=False)}
        # A first start catches up on what is due (reminders, the weekly digest) before any round.
        with open(tmp / "bot.log", "a") as log:
            proc = kt.start(cfg, emu, log)
            try:
                await emu.wait_until(lambda: " ready" in (tmp / "bot.log").read_text(errors="replace"), timeout=60,
                                     what="dondoc ready")
                await emu.wait_idle(quiet=3.0, timeout=120)
            finally:
                stop(proc)
        print(f"progress replies, each bot in its own process ({args.burst} at once, to {len(targets)} cards "
              f"of {len(groups)} group(s), 30 members in turn in each):")
        ratios, cpu_ratios = [], []
        for r in range(args.rounds):
            results = {}
            log = open(tmp / "bot.log", "a")
            starts = (tmp / "bot.log").read_text(errors="replace").count("INFO dondoc: starting")
            proc = kt.start(cfg, emu, log)
            try:
                def ready() -> bool:
                    text = (tmp / "bot.log").read_text(errors="replace")
                    return (text.count("INFO dondoc: starting") > starts
                            and " ready" in text.rsplit("INFO dondoc: starting", 1)[-1])

                await emu.wait_until(ready, timeout=60, what="dondoc ready")
                profiler = spy(proc, "BENCH_PYSPY")
                results["dondoc"] = await burst(emu, proc, targets, args.burst, f"Đợt {r}")
                unspy(profiler)
            finally:
                stop(proc)
                log.close()
            bare = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_ptb_bot.py")], env=bare_env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                profiler = spy(bare, "BENCH_PYSPY_BARE")
                results["bare PTB"] = await burst(emu, bare, targets, args.burst, f"Lần {r}")
                unspy(profiler)
            finally:
                stop(bare)
            (d_rate, d_cpu), (b_rate, b_cpu) = results["dondoc"], results["bare PTB"]
            ratios.append(d_rate / b_rate)
            cpu_ratios.append(b_cpu / d_cpu)
            print(f"round {r + 1}: bare PTB {b_rate:6.1f} replies/s, CPU {b_cpu:4.1f} ms/reply | dondoc {d_rate:6.1f} "
                  f"replies/s, CPU {d_cpu:4.1f} ms/reply | dondoc / bare replies/s {ratios[-1]:.2f} (target >= 0.8), "
                  f"CPU bare / dondoc {cpu_ratios[-1]:.2f}", flush=True)
        print(f"median of {args.rounds}: dondoc / bare PTB replies/s {statistics.median(ratios):.2f} "
              f"(each: {', '.join(f'{v:.2f}' for v in ratios)}); CPU per reply bare / dondoc "
              f"{statistics.median(cpu_ratios):.2f}")
    finally:
        emu.stop()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
