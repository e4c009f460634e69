"""The dashboard's API at a year of data: time per request through HTTP (aiohttp, signed initData).

50 notices, 60 agencies, 3,000 assignments, 30,000 reports (bench_digest's seeded generator) written
into a real data folder and opened with the store; every API view is requested over HTTP on
127.0.0.1 as a leader and as an agency contact, in three conditions, each --repeat times:

* cold: the first request of that view after the server started (a new server each round; the server
  reads the store once at its start, the warm-up, printed apart; also printed: the first request of a
  server that did no warm-up);
* after a write: right after a new report was stored (record_report, a different notice each time);
* warm: nothing changed since the previous request.

Printed beside baselines measured in the same run on the same store: the same views rebuilt from
scratch on each request (the implementation before views were kept: tests/dashboard_reference.py),
the text of /status and the digest's data view. Target (issue 12): under 200 ms per request, every
request.

    .venv/bin/python bench/bench_dashboard.py [--seed N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import random
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
from bot.dashboard import api  # noqa: E402
from bot.dashboard.auth import sign_init_data  # noqa: E402
from bot.dashboard.server import DashboardServer  # noqa: E402
from bot.digest import build_data  # noqa: E402
from bot.directory import Directory  # noqa: E402
from bot.followup import published  # noqa: E402
from bot.models import ChatBinding, Contact, Progress, Report  # noqa: E402
from storage import DataStore  # noqa: E402
from storage.atomic import atomic_write_bytes, dumps  # noqa: E402
from storage.notices import notice_file_data  # noqa: E402
from tests import dashboard_reference as reference  # noqa: E402

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


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def line(label: str, times: list[float], extra: str = "") -> None:
    verdict = "ok" if max(times) < TARGET_MS else "OVER"
    print(f"  {label:<44} p50 {statistics.median(times):6.0f}  p95 {pct(times, 95):6.0f}  max {max(times):6.0f} ms"
          f"  {verdict:<4} {extra}")


class Writer:
    """A new report on a random live assignment of a different notice each time (as replies come in)."""

    def __init__(self, store, seed: int):
        self.store = store
        self.rng = random.Random(seed)
        by_notice: dict[str, list] = {}
        for a in store.notices.assignments():
            if not a.closed:
                by_notice.setdefault(a.notice_id, []).append(a.id)
        self.notices = sorted(by_notice.items())
        self.serial = itertools.count(1)

    def write(self) -> None:
        _, aids = self.notices[next(self.serial) % len(self.notices)]
        a = self.store.notices.assignment(self.rng.choice(aids))
        n = next(self.serial)
        at = NOW - dt_minutes(self.rng.randrange(1, 600))
        r = Report(id=f"bench-{n}", assignment_id=a.id, notice_id=a.notice_id, agency_id=a.agency_id,
                   chat_id=-999, message_id=10_000_000 + n, author_id=CONTACT, author_name="Cán bộ đầu mối",
                   at=at, text="Đang triển khai", status=Progress.IN_PROGRESS, source_key=f"bench:{n}")
        self.store.notices.record_report(r, dataclasses.replace(a, last_report_at=at))


def dt_minutes(n: int):
    import datetime as dt

    return dt.timedelta(minutes=n)


async def bench(store, directory, cfg, repeat: int, seed: int) -> None:
    svc = Services(config=cfg, store=store, directory=directory, clock=lambda: NOW)
    cal = WorkingCalendar(cfg.sections["calendar"])
    svc.extra["calendar"] = cal
    cal.is_working_day(NOW.date())  # the holiday table, warm as in a running bot
    writer = Writer(store, seed)

    notices, tasks, assignments = published(store)
    busiest = max(directory.agencies, key=lambda a: sum(1 for x in assignments if x.agency_id == a.id))
    task_id = max(tasks, key=lambda tid: len(store.notices.reports(assignment_id=f"{tid}-0")))
    contact = 5000 + directory.agencies.index(busiest)
    endpoints = [
        ("leader: overview (province)", LEADER, "api/overview"),
        ("leader: overview, one notice", LEADER, "api/overview?notice=n25"),
        ("leader: overview, one agency", LEADER, f"api/overview?agency={busiest.id}"),
        ("leader: tasks (3,000; first 300 sent)", LEADER, "api/tasks"),
        ("leader: tasks, overdue", LEADER, "api/tasks?category=open_overdue"),
        ("leader: task history", LEADER, f"api/task/{task_id}"),
        ("agency contact: overview", contact, "api/overview"),
        ("agency contact: tasks", contact, "api/tasks"),
        ("page (index.html, no data)", LEADER, ""),
    ]

    def headers(user: int) -> dict:
        init = sign_init_data(TOKEN, user={"id": user, "first_name": "A"}, auth_date=int(NOW.timestamp()))
        return {"Authorization": "tma " + init}

    async def get(http, server, user: int, path: str) -> tuple[float, int]:
        t0 = time.perf_counter()
        async with http.get(server.url + path, headers=headers(user)) as r:
            body = await r.read()
            assert r.status == 200, (path, r.status, body[:200])
        return (time.perf_counter() - t0) * 1000, len(body)

    cold: dict[str, list[float]] = {label: [] for label, _, _ in endpoints}
    warmups, unwarmed = [], []
    sizes: dict[str, int] = {}
    async with aiohttp.ClientSession() as http:
        for _ in range(repeat):
            # A server that did no warm-up: its first request reads the store itself.
            server = DashboardServer(svc, TOKEN, "127.0.0.1", 0)
            server._warm = _no_warm  # type: ignore[method-assign]
            await server.start()
            unwarmed.append((await get(http, server, LEADER, "api/overview"))[0])
            await server.stop()
            # The server as the bot runs it: it reads the store once at its start.
            server = DashboardServer(svc, TOKEN, "127.0.0.1", 0)
            t0 = time.perf_counter()
            await server.start()
            await server.warmed
            warmups.append((time.perf_counter() - t0) * 1000)
            for label, user, path in endpoints:
                ms, sizes[label] = await get(http, server, user, path)
                cold[label].append(ms)
            await server.stop()

        server = DashboardServer(svc, TOKEN, "127.0.0.1", 0)
        await server.start()
        await server.warmed
        after: dict[str, list[float]] = {label: [] for label, _, _ in endpoints}
        warm: dict[str, list[float]] = {label: [] for label, _, _ in endpoints}
        try:
            for label, user, path in endpoints:
                await get(http, server, user, path)
                for _ in range(repeat):
                    await store.run(writer.write)
                    after[label].append((await get(http, server, user, path))[0])
                    warm[label].append((await get(http, server, user, path))[0])
        finally:
            await server.stop()

    print(f"dashboard API over HTTP, {repeat} requests each (target < {TARGET_MS} ms, every request):")
    line("server start: warm-up (reads the store)", warmups, "(not a request)")
    line("first request, server without warm-up", unwarmed, "(leader: overview)")
    for mode, table in (("cold", cold), ("after a write", after), ("warm", warm)):
        print(f" {mode}:")
        for label, _, _ in endpoints:
            line(label, table[label], f"{sizes[label] / 1024:.0f} KiB")

    # Baselines in-process, on the same store, in the same run.
    print("baselines in-process (same store, same run):")
    leader = api.viewer_for(LEADER, "A", cfg, store)
    agency_viewer = api.viewer_for(contact, "A", cfg, store)
    few = max(1, repeat // 3)
    for label, fn in (
        ("rebuilt per request: overview (province)", lambda: reference.overview(store, directory, cal, NOW, leader)),
        ("rebuilt per request: tasks", lambda: reference.tasks(store, directory, cal, NOW, leader)),
        ("rebuilt per request: agency contact overview",
         lambda: reference.overview(store, directory, cal, NOW, agency_viewer)),
    ):
        times = []
        for _ in range(few):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        line(label, times)
    for label, fn, n in (
        ("/status text (province)", lambda: cards.status_overview(
            "x", [a for a in store.notices.assignments() if not a.closed], tasks, directory, NOW.date(), cal), repeat),
        ("digest data view (all reports)", lambda: build_data(
            NOW, notices, tasks, assignments, store.notices.reports(), directory.agencies, cal), 1),
    ):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        line(label, times)

    # The kept views in-process, CPU time of this thread only (the machine's other load and the store's
    # writer thread left out).
    cache = api.Cache()
    api.warm(store, directory, cal, NOW, cache)
    print("kept views in-process after a write, CPU time:")
    for label, fn in (
        ("overview (province)", lambda: api.overview(store, directory, cal, NOW, leader, cache=cache)),
        ("tasks (3,000; first 300 sent)", lambda: api.tasks(store, directory, cal, NOW, leader, cache=cache)),
        ("agency contact: overview", lambda: api.overview(store, directory, cal, NOW, agency_viewer, cache=cache)),
    ):
        times = []
        for _ in range(repeat):
            writer.write()
            t0 = time.thread_time()
            fn()
            times.append((time.thread_time() - t0) * 1000)
        line(label + " [cpu]", times)
    # A new day: every notice's categories and overdue days computed again (the notices are kept).
    import datetime as dt

    times = []
    for day in range(1, repeat + 1):
        t0 = time.thread_time()
        api.overview(store, directory, cal, NOW + dt.timedelta(days=day), leader, cache=cache)
        times.append((time.thread_time() - t0) * 1000)
    line("overview, first request of a new day [cpu]", times)


async def _no_warm() -> None:
    return None


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
            asyncio.run(bench(store, directory, cfg, args.repeat, args.seed))


if __name__ == "__main__":
    main()
