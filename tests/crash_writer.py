"""Helper for the storage tests: sample records, and a writer process for the crash test.

``python tests/crash_writer.py DATA_FOLDER PREFIX`` opens the store, makes sure a
notice with one assignment exists, then adds reports in a loop and prints each
report id on stdout *after* ``add_report`` returned (= acknowledged). The test
kills it with SIGKILL at random moments and checks every printed id survived.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.models import (  # noqa: E402
    Assignment,
    Notice,
    Progress,
    Report,
    ReportFile,
    Role,
    Task,
)

TZ = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2024, 5, 3, 9, 0, tzinfo=TZ)
TEXT = ("Sở Nội vụ đã hoàn thành việc rà soát, sắp xếp tổ chức bộ máy theo Thông báo kết luận số 89/TB-UBND; "
        "đề nghị Văn phòng UBND tỉnh tổng hợp, báo cáo Chủ tịch UBND tỉnh. Kèm theo báo cáo số 123/BC-SNV.")


def make_notice(nid: str = "n1", number: str | None = "89/TB-UBND", sha: str = "") -> Notice:
    return Notice(id=nid, number=number, issued_on=dt.date(2024, 4, 25), issuer="UBND tỉnh",
                  kind="Thông báo kết luận", title="Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc",
                  source_sha256=sha or f"sha-{nid}", source_name=f"{nid}.pdf", created_at=T0, created_by=1,
                  warnings=["Hạn chót không rõ ở mục 3"])


def make_task(tid: str, nid: str = "n1", code: str = "", ref: str = "1") -> Task:
    return Task(id=tid, notice_id=nid, code=code, ref=ref, text="Rà soát, báo cáo tình hình thực hiện",
                lead=[{"name": "Sở Nội vụ", "agency_id": "snv", "group": None, "as_written": "Sở Nội vụ"}],
                deadline=dt.date(2024, 6, 30), deadline_text="trước ngày 30/6/2024")


def make_assignment(aid: str, tid: str, nid: str = "n1", agency: str = "snv", chat_id: int | None = None,
                    message_id: int | None = None) -> Assignment:
    return Assignment(id=aid, task_id=tid, notice_id=nid, agency_id=agency, role=Role.LEAD,
                      deadline=dt.date(2024, 6, 30), original_deadline=dt.date(2024, 6, 30), chat_id=chat_id,
                      message_id=message_id, sent_at=T0 if message_id else None)


def make_report(rid: str, aid: str, nid: str = "n1", agency: str = "snv", chat_id: int = -100,
                message_id: int | None = 1, at: dt.datetime = T0, source: str = "reply") -> Report:
    return Report(id=rid, assignment_id=aid, notice_id=nid, agency_id=agency, chat_id=chat_id,
                  message_id=message_id, author_id=7, author_name="Nguyễn Thị Hoà", at=at, text=TEXT,
                  files=[ReportFile(file_id="f1", name="báo cáo.pdf", size=1234, mime_type="application/pdf")],
                  status=Progress.IN_PROGRESS, source=source)


class NoDirectory:
    """A directory that knows no agency (messages name agencies by id)."""

    agencies: list = []

    def get(self, agency_id: str) -> None:
        return None


def kill_after_first_line(proc, rng, most: float) -> list[str]:
    """Wait for ``proc``'s first acknowledged line, SIGKILL it up to ``most`` s later, and return every
    line it acknowledged (a line is acknowledged once its newline is out; the last piece is not)."""
    import os
    import signal
    import time

    try:
        first = proc.stdout.readline()
        assert first.endswith(b"\n"), proc.stderr.read().decode(errors="replace")
        time.sleep(rng.uniform(0.0, most))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return [line for line in [first.decode().strip()] + out.decode().split("\n")[:-1] if line.strip()]


def _open_with_two_assignments(folder: str):
    """The store at ``folder``, holding notice n1 with tasks t1, t2 and their assignments a1, a2."""
    from storage import DataStore

    store = DataStore.open(folder, backups_kept=2)
    if store.notices.notice("n1") is None:
        store.notices.create_notice(make_notice("n1"), [make_task("t1"), make_task("t2", ref="2")])
        store.notices.add_assignments([make_assignment("a1", "t1", chat_id=-100, message_id=1),
                                       make_assignment("a2", "t2", chat_id=-100, message_id=2)])
    return store


def _reports(store, prefix: str):
    """Endless (i, n, report, its source, its time): report ``<prefix>-<i>`` on a1 and a2 in turn,
    numbered on from the reports the store holds, with statuses in turn."""
    from bot import progress

    statuses = [Progress.IN_PROGRESS, Progress.DONE, Progress.BLOCKED]
    n = len(store.notices.reports())
    i = 0
    while True:
        i += 1
        n += 1
        at = T0 + dt.timedelta(seconds=n)
        r = make_report(f"{prefix}-{i}", "a1" if n % 2 else "a2", message_id=1000 + n, at=at)
        r.status = statuses[n % 3]
        yield i, n, r, progress.Source(-100, message_id=1000 + n), at


def progress_main(folder: str, prefix: str) -> None:
    """Progress reports through ``bot.progress.record``: each one a report AND its assignment's status."""
    from bot import progress

    store = _open_with_two_assignments(folder)
    settings = progress.Settings(office_chat_id=-1)
    out = sys.stdout
    for i, _, r, source, at in _reports(store, prefix):
        progress.record(store, r, source=source, now=at, settings=settings, directory=NoDirectory())
        out.write(f"{prefix}-{i}\n")
        out.flush()


def onewrite_main(folder: str, prefix: str) -> None:
    """A progress reply as the bot handles it: the report, its assignment, the messages owed and
    "update done" in ONE store transaction (``DataStore.owe`` / ``finish_update``); every other
    acknowledgement is then marked sent in the outbox, as the sender would. Prints
    ``<report id> <update id>`` once the write returned."""
    import asyncio

    from bot import progress

    store = _open_with_two_assignments(folder)
    settings = progress.Settings(office_chat_id=-1)
    out = sys.stdout
    loop = asyncio.new_event_loop()
    for i, n, r, source, at in _reports(store, prefix):
        update_id = 10_000 + n

        def action(r=r, source=source, at=at, update_id=update_id):
            with store.transaction():
                done = progress.record(store, r, source=source, now=at, settings=settings, directory=NoDirectory())
                store.owe(done.messages)
                store.finish_update(update_id)
            return done

        done = store._executor.submit(action).result()
        if i % 2:
            entry = store.outbox.get(done.messages[0].key)
            loop.run_until_complete(store.outbox.mark_sent(entry, 5000 + n))
        out.write(f"{prefix}-{i} {update_id}\n")
        out.flush()


def main(folder: str, prefix: str) -> None:
    from storage import DataStore

    store = DataStore.open(folder, backups_kept=2)
    if store.notices.notice("n1") is None:
        store.notices.create_notice(make_notice("n1"), [make_task("t1")])
        store.notices.add_assignments([make_assignment("a1", "t1")])
    i = 0
    out = sys.stdout
    while True:
        i += 1
        rid = f"{prefix}-{i}"
        store.notices.add_report(make_report(rid, "a1", message_id=None, at=T0 + dt.timedelta(seconds=i)))
        if i % 7 == 0:
            store.sentlog.mark_sent(f"k-{rid}", T0, {"report": rid})
        out.write(rid + "\n")
        out.flush()


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[3] == "progress":
        progress_main(sys.argv[1], sys.argv[2])
    elif len(sys.argv) > 3 and sys.argv[3] == "onewrite":
        onewrite_main(sys.argv[1], sys.argv[2])
    else:
        main(sys.argv[1], sys.argv[2])
