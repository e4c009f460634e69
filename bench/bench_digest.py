"""Digest build time and peak memory for a year of data.

50 notices, 60 agencies, about 3,000 assignments, 30,000 reports (seeded, synthetic).
Prints the time of each part (data view, message, xlsx, docx, chart), the reminder
planner on the same data, and the peak memory (tracemalloc: Python allocations of
one full build; ru_maxrss: the process).

    .venv/bin/python bench/bench_digest.py [--seed N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.calendar import WorkingCalendar  # noqa: E402
from bot.digest import DigestSettings, build_data, build_digest  # noqa: E402
from bot.digest.build import render_messages  # noqa: E402
from bot.digest.chart import render_chart  # noqa: E402
from bot.digest.docx import render_docx  # noqa: E402
from bot.digest.xlsx import render_xlsx  # noqa: E402
from bot.models import Agency, Assignment, Extension, Notice, Progress, Report, Role, Task  # noqa: E402
from bot.reminders import plan_reminders  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 12, 27, 16, 0, tzinfo=TZ)
WORDS = ("triển khai thực hiện rà soát tham mưu đề xuất báo cáo kết quả cải cách hành chính chuyển đổi số "
         "đề án 06 kinh phí đầu tư công giải ngân thủ tục cơ sở dữ liệu dân cư vị trí việc làm").split()


def year_of_data(seed: int = 1, n_notices=50, n_agencies=60, per_notice=20, n_reports=30_000):
    rng = random.Random(seed)
    agencies = [Agency(id=f"ag{i}", name=f"{rng.choice(['Sở', 'UBND huyện', 'Ban'])} "
                       f"{' '.join(rng.choices(WORDS, k=3)).title()} {i}") for i in range(n_agencies)]
    notices, tasks, assignments = [], [], []
    start = dt.date(2024, 1, 2)
    for n in range(n_notices):
        issued = start + dt.timedelta(days=7 * n)
        notices.append(Notice(id=f"n{n}", number=f"{n + 1}/TB-UBND", issued_on=issued, state="published"))
        for k in range(per_notice):
            tid = f"n{n}-t{k}"
            deadline = None if rng.random() < 0.15 else issued + dt.timedelta(days=rng.randint(10, 120))
            tasks.append(Task(id=tid, notice_id=f"n{n}", code=f"NV{n * per_notice + k + 1}",
                              ref=f"{k // 3 + 1}.{k % 3 + 1}", deadline=deadline,
                              text=" ".join(rng.choices(WORDS, k=rng.randint(15, 60))).capitalize()))
            roles = [(Role.LEAD, rng.randrange(n_agencies))] + [
                (Role.COORDINATE, rng.randrange(n_agencies)) for _ in range(2)]
            for r, (role, ag) in enumerate(roles):
                sent = dt.datetime.combine(issued, dt.time(9), tzinfo=TZ)
                # its card went to the agency's group (the e2e bench binds ag<i> to -1000 - i): none owed
                a = Assignment(id=f"{tid}-{r}", task_id=tid, notice_id=f"n{n}", agency_id=f"ag{ag}", role=role,
                               deadline=deadline, original_deadline=deadline, sent_at=sent,
                               chat_id=-1000 - ag, message_id=100_000 + len(assignments),
                               recurring="thường xuyên" if deadline is None else None)
                roll = rng.random()
                if deadline and roll < 0.6:
                    done = sent + dt.timedelta(days=rng.randint(5, 140))
                    if done < NOW:
                        a.done_reported_at = done
                        a.completed_at = done + dt.timedelta(days=rng.randint(0, 3))
                        a.progress = Progress.DONE
                elif roll < 0.7:
                    a.progress = Progress.BLOCKED
                if deadline and rng.random() < 0.08:
                    new = deadline + dt.timedelta(days=30)
                    at = sent + dt.timedelta(days=rng.randint(5, 300))
                    a.extensions.append(Extension(requested_at=at, requested_by=1, new_deadline=new,
                                                  reason="Chờ ý kiến các bộ", decision="approved",
                                                  decided_by=2, decided_at=at, previous_deadline=deadline))
                    a.deadline = new
                assignments.append(a)
    reports = []
    for i in range(n_reports):
        a = rng.choice(assignments)
        at = a.sent_at + dt.timedelta(hours=rng.randint(1, 24 * 300))
        if at > NOW:
            at = NOW - dt.timedelta(hours=rng.randint(1, 24 * 14))
        reports.append(Report(id=f"r{i}", assignment_id=a.id, notice_id=a.notice_id, agency_id=a.agency_id,
                              chat_id=-1000 - int(a.agency_id[2:]), message_id=i, author_id=7,
                              author_name="Cán bộ", at=at, status=Progress.IN_PROGRESS,
                              text=" ".join(rng.choices(WORDS, k=rng.randint(5, 40)))))
        if a.last_report_at is None or at > a.last_report_at:
            a.last_report_at = at
    return notices, tasks, assignments, reports, agencies


def timed(label, fn, *args):
    t0 = time.perf_counter()
    result = fn(*args)
    print(f"  {label:<22} {(time.perf_counter() - t0) * 1000:8.0f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    t0 = time.perf_counter()
    world = year_of_data(args.seed)
    notices, tasks, assignments, reports, agencies = world
    print(f"data: {len(notices)} notices, {len(agencies)} agencies, {len(tasks)} tasks, "
          f"{len(assignments)} assignments, {len(reports)} reports "
          f"(generated in {time.perf_counter() - t0:.1f} s)")
    cal = WorkingCalendar()
    settings = DigestSettings()
    cal.is_working_day(NOW.date())  # warm the holiday table (as a running bot has)
    render_chart(build_data(NOW, *world[:2], [], [], [], cal))  # warm matplotlib's font cache

    print("digest parts:")
    total = time.perf_counter()
    data = timed("data view", build_data, NOW, *world, cal, settings)
    messages = timed("message", render_messages, data, settings)
    xlsx = timed("xlsx", render_xlsx, data)
    docx = timed("docx", render_docx, data, settings)
    png = timed("chart", render_chart, data)
    print(f"  {'total':<22} {(time.perf_counter() - total) * 1000:8.0f} ms")
    print(f"outputs: {len(messages)} message(s) ({', '.join(str(len(m)) for m in messages)} chars), "
          f"xlsx {len(xlsx) / 1024:.0f} KiB, docx {len(docx) / 1024:.0f} KiB, png {len(png) / 1024:.0f} KiB")
    s = data.summary
    print(f"official counts: {', '.join(f'{c.value}={n}' for c, n in s.counts.items())}; "
          f"completion rate {s.rate_text()}")

    t1 = time.perf_counter()
    chats = {a.id: [-1000 - i] for i, a in enumerate(agencies)}
    plan = plan_reminders(dt.datetime(2024, 12, 27, 8, 0, tzinfo=TZ), assignments, chats,
                          lambda key: False, None, cal, office_chat_ids=[-1])
    print(f"reminder plan (same data, empty sent-log): {len(plan)} messages, "
          f"{sum(len(r.items) for r in plan)} items in {(time.perf_counter() - t1) * 1000:.0f} ms")

    tracemalloc.start()
    build_digest(NOW, *world, cal, settings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of one full build (tracemalloc): {peak / 2**20:.1f} MiB; "
          f"process max RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
