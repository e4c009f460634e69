"""/digest end to end through the emulator at a year of data, beside the same on a small store.

    .venv/bin/python bench/bench_digest_e2e.py

The data folder is built first in its own process (50 notices, 60 agencies, 3,000 assignments,
30,000 reports, from bench/bench_digest.py's generator, stored as the store's files). Then, each
in a fresh process: dondoc starts on the folder against the emulator, the admin sends /digest in
the office group, and the time from the command to the last of its three files arriving is
printed with the CPU time spent meanwhile (the bot's and its chart process's; the machine may be
shared: wall time then waits for a core) and the process's peak RSS (ru_maxrss: the bot, the
emulator and the interpreter; the chart's child process, about 90 MB for a moment, apart).
Targets (issue 11): at a year ≤ 3 s and peak RSS ≤ 180 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(folder: Path, small: bool) -> None:
    from bench.bench_digest import year_of_data
    from bot.models import ChatBinding
    from storage import DataStore
    from storage.atomic import atomic_write_bytes, dumps
    from storage.notices import notice_file_data

    kw = dict(n_notices=3, n_reports=300) if small else {}
    notices, tasks, assignments, reports, agencies = year_of_data(1, **kw)
    (folder / "notices").mkdir(parents=True)
    for n in notices:
        atomic_write_bytes(folder / "notices" / f"{n.id}.json", dumps(notice_file_data(
            n, [t for t in tasks if t.notice_id == n.id], [a for a in assignments if a.notice_id == n.id],
            [r for r in reports if r.notice_id == n.id])).encode())
    with DataStore.open(folder, backups_kept=0) as store:
        for i, ag in enumerate(agencies):
            store.registry.bind_chat(ChatBinding(chat_id=-1000 - i, agency_id=ag.id, title=ag.name))
    print(json.dumps({"assignments": len(assignments), "reports": len(reports)}))


# bench/bench_digest.py's NOW (not imported from there: it loads matplotlib, openpyxl and python-docx,
# which a bot loads only for its first digest, and the RSS at start would count them)
NOW = dt.datetime(2024, 12, 27, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _cpu() -> float:
    """CPU seconds of this process and of its children (the chart is drawn by a child process)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


async def run(folder: Path) -> dict:
    from bot.emulator import BotAPIEmulator, FloodLimits
    from tests.harness import ADMIN, OFFICE_CHAT, bot_env

    emu = BotAPIEmulator(flood=FloodLimits.off()).start()
    try:
        async with bot_env(emu, folder.parent, now=NOW, fast=True, digest={"chart_process": True}) as env:
            emu.set_flood_limits(FloodLimits.off())
            await emu.wait_idle()
            rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            t0, cpu0 = time.perf_counter(), _cpu()
            emu.send(ADMIN, OFFICE_CHAT, "/digest")
            docs = 0
            while docs < 3:
                await asyncio.sleep(0.02)
                docs = sum(1 for m in emu.bot_messages(OFFICE_CHAT) if m.get("document"))
            seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
            assert env.store is not None
    finally:
        emu.stop()
    return {"seconds": seconds, "cpu": cpu, "rss_ready": rss_ready,
            "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True, timeout=900)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", metavar="DIR")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--run", metavar="DIR")
    args = ap.parse_args()
    if args.build:
        build(Path(args.build), args.small)
        return
    if args.run:
        print(json.dumps(asyncio.run(run(Path(args.run)))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, small in (("small store", True), ("a year", False)):
            folder = Path(tmp) / name.replace(" ", "-") / "data"
            t = time.perf_counter()
            size = child("--build", str(folder), *(["--small"] if small else []))
            built = time.perf_counter() - t
            result = child("--run", str(folder))
            rows.append((name, size, built, result))
        print("/digest end to end (command → its three files arrived), each in a fresh process:")
        for name, size, built, r in rows:
            print(f"  {name:<12} {size['assignments']:>5} assignments {size['reports']:>6} reports: "
                  f"{r['seconds']:5.2f} s (CPU {r['cpu']:4.2f} s), peak RSS {r['rss_peak']:4.0f} MB "
                  f"(started: {r['rss_ready']:4.0f} MB)"
                  f"   [data built in {built:.0f} s]")
        year = rows[-1][3]
        print(f"targets: a year <= 3 s (got {year['seconds']:.2f} s), peak RSS <= 180 MB "
              f"(got {year['rss_peak']:.0f} MB)")


if __name__ == "__main__":
    main()
