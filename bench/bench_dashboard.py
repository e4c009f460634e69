"""The dashboard's API at a year of data: time per request through HTTP (aiohttp, signed initData).

50 notices, 60 agencies, 3,000 assignments, 30,000 reports (bench_digest's seeded generator) written
into a real data folder and opened with the store, then every API view is requested over HTTP on
127.0.0.1 as a leader and as an agency contact, each several times. Printed beside two baselines
measured in the same run on the same store: the text of /status (the province) and the digest's data
view. Target (issue 12): under 200 ms per request.

    .venv/bin/python bench/bench_dashboard.py [--seed N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402

from bench_digest import NOW, year_of_data  # noqa: E402
from bot import cards  # noqa: E402
from bot.app import Services  # noqa: E402
from bot.calendar import WorkingCalendar  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.dashboard.auth import sign_init_data  # noqa: E402
from bot.dashboard.server import DashboardServer  # noqa: E402
from bot.digest import build_data  # noqa: E402
from bot.directory import Directory  # noqa: E402
from bot.followup import published  # noqa: E402
from bot.models import ChatBinding, Contact  # noqa: E402
from storage import DataStore  # noqa: E402
from storage.atomic import atomic_write_bytes, dumps  # noqa: E402
from storage.notices import notice_file_data  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
LEADER, CONTACT = 1002, 5003
TARGET_MS = 200


def write_store(folder: Path, world) -> None:
    notices, tasks, assignments, reports, agencies = world
    (folder / "notices").mkdir(parents=True)
    for n in notices:
        atomic_write_bytes(folder / "notices" / f"{n.id}.json", dumps(notice_file_data(
            n, [t for t in tasks if t.notice_id == n.id], [a for a in assignments if a.notice_id == n.id],
            [r for r in reports if r.notice_id == n.id])).encode())
    with DataStore.open(folder, backups_kept=0) as store:
        for k, agency in enumerate(agencies):
            store.registry.bind_chat(ChatBinding(chat_id=-1000 - k, agency_id=agency.id, title=agency.name))
            store.registry.add_contact(Contact(user_id=5000 + k, agency_id=agency.id, name="Cán bộ đầu mối"))


def ms(fn, *args, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def line(label: str, times: list[float], extra: str = "") -> None:
    verdict = "ok" if max(times) < TARGET_MS else "OVER"
    print(f"  {label:<45} median {statistics.median(times):6.0f} ms   max {max(times):6.0f} ms   {verdict:<4} {extra}")


async def bench(store, directory, cfg, repeat: int) -> None:
    svc = Services(config=cfg, store=store, directory=directory, clock=lambda: NOW)
    cal = WorkingCalendar(cfg.sections["calendar"])
    svc.extra["calendar"] = cal
    cal.is_working_day(NOW.date())  # the holiday table, warm as in a running bot

    notices, tasks, assignments = published(store)
    some = assignments[0]
    busiest = max(directory.agencies, key=lambda a: sum(1 for x in assignments if x.agency_id == a.id))
    task_id = max(tasks, key=lambda tid: len(store.notices.reports(assignment_id=f"{tid}-0")))
    print("baselines (same store, same run):")
    line("/status text (province)", ms(lambda: cards.status_overview(
        "x", [a for a in store.notices.assignments() if not a.closed], tasks, directory, NOW.date(), cal),
        repeat=repeat))
    line("digest data view (all reports)", ms(lambda: build_data(
        NOW, notices, tasks, assignments, store.notices.reports(), directory.agencies, cal), repeat=max(1, repeat // 3)))

    server = DashboardServer(svc, TOKEN, "127.0.0.1", 0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:

            async def timed(label: str, user: int, path: str) -> None:
                init = sign_init_data(TOKEN, user={"id": user, "first_name": "A"}, auth_date=int(NOW.timestamp()))
                headers = {"Authorization": "tma " + init}
                for mode in ("cold", "warm"):
                    times, size = [], 0
                    for _ in range(repeat):
                        if mode == "cold":  # a write just before (a report came in): nothing cached holds
                            await store.run(store.notices.update_assignment, store.notices.assignment(some.id))
                        t0 = time.perf_counter()
                        async with http.get(server.url + path, headers=headers) as r:
                            body = await r.read()
                            assert r.status == 200, (path, r.status, body[:200])
                        times.append((time.perf_counter() - t0) * 1000)
                        size = len(body)
                    line(f"{label} [{mode}]", times, f"{size / 1024:.0f} KiB")

            print(f"dashboard API over HTTP ({repeat} requests each; cold: right after a write to the store, "
                  f"warm: nothing changed since the last request; target < {TARGET_MS} ms):")
            await timed("leader: overview (province)", LEADER, "api/overview")
            await timed("leader: overview, one notice", LEADER, "api/overview?notice=n25")
            await timed("leader: overview, one agency", LEADER, f"api/overview?agency={busiest.id}")
            await timed("leader: tasks (3,000; first 300 sent)", LEADER, "api/tasks")
            await timed("leader: tasks, overdue", LEADER, "api/tasks?category=open_overdue")
            await timed("leader: task history", LEADER, f"api/task/{task_id}")
            contact = 5000 + directory.agencies.index(busiest)
            await timed("agency contact: overview", contact, "api/overview")
            await timed("agency contact: tasks", contact, "api/tasks")
            await timed("page (index.html, no data)", LEADER, "")
    finally:
        await server.stop()

    # The same views in-process: CPU time of this process only, so the machine's other load is left out.
    from bot.dashboard import api

    cache = api.Cache()
    viewer = api.viewer_for(LEADER, "A", cfg, store)
    contact = api.viewer_for(5000 + directory.agencies.index(busiest), "A", cfg, store)
    print("the views in-process, CPU time (cold: after a write to the store; warm: unchanged store):")
    for label, fn in (
        ("overview (province)", lambda: api.overview(store, directory, cal, NOW, viewer, cache=cache)),
        ("tasks (3,000; first 300 sent)", lambda: api.tasks(store, directory, cal, NOW, viewer, cache=cache)),
        ("agency contact: overview", lambda: api.overview(store, directory, cal, NOW, contact, cache=cache)),
    ):
        fn()  # reports decoded once, as in a running bot
        for mode in ("cold", "warm"):
            times = []
            for _ in range(repeat):
                if mode == "cold":
                    store.notices.update_assignment(store.notices.assignment(some.id))
                t0 = time.process_time()
                fn()
                times.append((time.process_time() - t0) * 1000)
            line(f"{label} [{mode}, cpu]", times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    world = year_of_data(args.seed)
    notices, tasks, assignments, reports, agencies = world
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        t0 = time.perf_counter()
        write_store(folder, world)
        print(f"data: {len(notices)} notices, {len(agencies)} agencies, {len(tasks)} tasks, "
              f"{len(assignments)} assignments, {len(reports)} reports (written in {time.perf_counter() - t0:.1f} s)")
        directory = Directory.from_agencies(agencies)
        cfg = parse_config({"people": {"admins": [1001], "leaders": [LEADER]}, "storage": {"path": str(folder)}},
                           token=TOKEN)
        t0 = time.perf_counter()
        with DataStore.open(folder, backups_kept=0) as store:
            print(f"store opened in {time.perf_counter() - t0:.1f} s")
            asyncio.run(bench(store, directory, cfg, args.repeat))


if __name__ == "__main__":
    main()
