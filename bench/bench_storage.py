"""Storage benchmark: a year of one province's data, then the cost of storing one report.

    .venv/bin/python bench/bench_storage.py [--inserts 300] [--no-plain]

Builds 50 notices, 60 agencies, 3,000 assignments and 30,000 reports (~400 bytes
each) in a temp folder, opens the store (time, memory), stores reports one by one
(p50/p95/max, each durable: fsync + rename + fsync of the folder) and times a few
lookups. For comparison, plain TinyDB (JSONStorage, one file) at 30,000 records.
Target from issue 2: storing one report p95 < 20 ms with a year of data present.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.models import Assignment, ChatBinding, Contact, Notice, Progress, Report, Role, Task, to_dict  # noqa: E402
from storage import DataStore  # noqa: E402
from storage.atomic import atomic_write_bytes, dumps  # noqa: E402
from storage.notices import notice_file_data  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2024, 1, 2, 8, 0, tzinfo=TZ)
N_NOTICES, N_AGENCIES, TASKS_PER_NOTICE, AGENCIES_PER_TASK, REPORTS = 50, 60, 10, 6, 30_000
TEXT = ("Đơn vị đã rà soát, hoàn thiện hồ sơ "
        "và báo cáo kết quả thực hiện nhiệm vụ.")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(i: int, a: Assignment, rng: random.Random) -> Report:
    return Report(id=f"r{i:06d}", assignment_id=a.id, notice_id=a.notice_id, agency_id=a.agency_id,
                  chat_id=-1000 - int(a.agency_id[1:]), message_id=100_000 + i, author_id=5000 + rng.randrange(200),
                  author_name="Nguyễn Thị Hoà", at=T0 + dt.timedelta(minutes=17 * i), text=TEXT,
                  status=rng.choice(list(Progress)), source="reply")


def build(folder: Path, rng: random.Random) -> tuple[list[Assignment], int]:
    folder.mkdir(parents=True)
    (folder / "notices").mkdir()
    agencies = [f"a{k:02d}" for k in range(N_AGENCIES)]
    per_notice = REPORTS // N_NOTICES
    all_asg: list[Assignment] = []
    n_reports = 0
    for n in range(N_NOTICES):
        nid = f"n{n:02d}"
        notice = Notice(id=nid, number=f"{n + 1}/TB-UBND", issued_on=dt.date(2024, 1, 1) + dt.timedelta(days=7 * n),
                        issuer="UBND tỉnh", title="Kết luận của Chủ tịch UBND tỉnh", source_sha256=f"sha{n}",
                        state="published", created_at=T0 + dt.timedelta(days=7 * n))
        tasks, asgs = [], []
        for t in range(TASKS_PER_NOTICE):
            task = Task(id=f"{nid}-t{t}", notice_id=nid, code=f"NV{n * TASKS_PER_NOTICE + t + 1}", ref=f"{t + 1}",
                        text="Rà soát, sắp xếp tổ chức bộ máy; báo cáo kết quả về UBND tỉnh",
                        deadline=dt.date(2024, 12, 31))
            tasks.append(task)
            for ag in rng.sample(agencies, AGENCIES_PER_TASK):
                asgs.append(Assignment(id=f"{task.id}-{ag}", task_id=task.id, notice_id=nid, agency_id=ag,
                                       role=Role.LEAD, deadline=task.deadline, chat_id=-1000 - int(ag[1:]),
                                       message_id=len(all_asg) + len(asgs) + 1, sent_at=T0))
        reps = [report(n_reports + i, rng.choice(asgs), rng) for i in range(per_notice)]
        n_reports += len(reps)
        all_asg += asgs
        atomic_write_bytes(folder / "notices" / f"{nid}.json",
                           dumps(notice_file_data(notice, tasks, asgs, reps)).encode())
    with DataStore.open(folder, backups_kept=0) as store:
        for k, ag in enumerate(agencies):
            store.registry.bind_chat(ChatBinding(chat_id=-1000 - k, agency_id=ag, title=f"Nhóm {ag}"))
            store.registry.add_contact(Contact(user_id=5000 + k, agency_id=ag, name="Cán bộ đầu mối"))
    return all_asg, n_reports


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def bench_store(inserts: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        t = time.perf_counter()
        asgs, n_reports = build(folder, rng)
        size = sum(p.stat().st_size for p in folder.rglob("*.json"))
        print(f"built {N_NOTICES} notices, {N_AGENCIES} agencies, {len(asgs)} assignments, {n_reports} reports: "
              f"{size / 1e6:.1f} MB on disk in {time.perf_counter() - t:.1f} s")
        sample = json.dumps(to_dict(report(0, asgs[0], rng)), ensure_ascii=False).encode()
        print(f"one report = {len(sample)} bytes of JSON")

        rss0 = rss_mb()
        t = time.perf_counter()
        store = DataStore.open(folder, backups_kept=7)
        open_s = time.perf_counter() - t
        print(f"open (lock, parse, check, index, first daily backup): {open_s * 1000:.0f} ms; "
              f"memory +{rss_mb() - rss0:.0f} MB (RSS)")
        t = time.perf_counter()
        store.close()
        store = DataStore.open(folder, backups_kept=7)
        print(f"open again (backup of the day exists): {(time.perf_counter() - t) * 1000:.0f} ms")

        times = []
        for i in range(inserts):
            r = report(n_reports + i, rng.choice(asgs), rng)
            t = time.perf_counter()
            _, created = store.notices.add_report(r)
            times.append((time.perf_counter() - t) * 1000)
            assert created
        print(f"store one report, {inserts} inserts: p50 {statistics.median(times):.1f} ms, "
              f"p95 {pct(times, 95):.1f} ms, max {max(times):.1f} ms  (target p95 < 20 ms)")

        times = []
        for _ in range(200):
            a = rng.choice(asgs)
            t = time.perf_counter()
            store.notices.assignment_by_message(a.chat_id, a.message_id)  # type: ignore[arg-type]
            store.notices.report_by_message(-1000, 100_000 + rng.randrange(n_reports))
            times.append((time.perf_counter() - t) * 1000)
        print(f"lookup by message (assignment + report): p50 {statistics.median(times):.3f} ms, "
              f"max {max(times):.3f} ms")
        t = time.perf_counter()
        reps = store.notices.reports(agency_id="a07")
        print(f"reports of one agency ({len(reps)}): {(time.perf_counter() - t) * 1000:.1f} ms; "
              f"all {n_reports + inserts} reports: ", end="")
        t = time.perf_counter()
        store.notices.reports()
        print(f"{(time.perf_counter() - t) * 1000:.0f} ms")
        store.close()


def bench_plain_tinydb(records: int = 30_000, inserts: int = 5) -> None:
    from tinydb import TinyDB

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db.json"
        a = Assignment(id="x", task_id="t", notice_id="n", agency_id="a01", role=Role.LEAD, deadline=None)
        table = {str(i + 1): to_dict(report(i, a, rng)) for i in range(records)}
        path.write_text(json.dumps({"_default": table}), encoding="utf-8")
        db = TinyDB(path)
        times = []
        for i in range(inserts):
            t = time.perf_counter()
            db.insert(to_dict(report(records + i, a, rng)))
            times.append((time.perf_counter() - t) * 1000)
        print(f"plain TinyDB JSONStorage at {records} records: one insert p50 {statistics.median(times):.0f} ms, "
              f"max {max(times):.0f} ms ({inserts} inserts; not durable: no fsync, in-place write)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inserts", type=int, default=300)
    ap.add_argument("--no-plain", action="store_true", help="skip the plain TinyDB comparison")
    args = ap.parse_args()
    bench_store(args.inserts)
    if not args.no_plain:
        bench_plain_tinydb()


if __name__ == "__main__":
    main()
