"""bot.progress: one durable write per action, idempotent per source; a kill never leaves half an action."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bot import progress
from bot.models import ChatBinding, Progress
from storage import DataStore
from tests.crash_writer import T0, NoDirectory, kill_after_first_line, make_assignment, make_notice, make_report, make_task

ROOT = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).resolve().parent / "crash_writer.py"
OFFICE = -1
SETTINGS = progress.Settings(office_chat_id=OFFICE)


@pytest.fixture
def store(tmp_path: Path):
    s = DataStore.open(tmp_path / "data", backups_kept=0)
    s.notices.create_notice(make_notice("n1"), [make_task("t1", code="NV9001")])
    s.notices.add_assignments([make_assignment("a1", "t1", chat_id=-100, message_id=5)])
    s.registry.bind_chat(ChatBinding(chat_id=-100, agency_id="snv", title="Sở Nội vụ"))
    yield s
    s.close()


def reopen(store: DataStore) -> DataStore:
    folder = store.folder
    store.close()
    return DataStore.open(folder, backups_kept=0)


def done_report(rid: str = "r1", message_id: int | None = 77, source: str = "reply"):
    r = make_report(rid, "a1", message_id=message_id, source=source)
    r.status = Progress.DONE
    r.text = "Đã hoàn thành"
    return r


def test_record_stores_report_and_status_and_says_what_to_send(store: DataStore) -> None:
    src = progress.Source(-100, message_id=77)
    writes = store.commits
    done = progress.record(store, done_report(), source=src, now=T0, settings=SETTINGS, directory=NoDirectory(),
                           reply_to=77)
    assert store.commits == writes + 1  # one durable write
    assert done.created and done.report.source_key == "m:-100:77"
    assert [m.purpose for m in done.messages] == ["ack", "office_done"]
    ack, office = done.messages
    assert ack.chat_id == -100 and ack.reply_to == 77 and "NV9001" in ack.text and ack.buttons
    assert office.chat_id == OFFICE and office.buttons[0][0][1] == "cf:a1:ok"
    store = reopen(store)
    a = store.notices.assignment("a1")
    assert a.progress == Progress.DONE and a.done_reported_at == T0 and a.last_report_at == T0
    assert [r.id for r in store.notices.reports(assignment_id="a1")] == ["r1"]
    store.close()


def test_record_is_idempotent_per_source(store: DataStore) -> None:
    src = progress.Source(-100, message_id=77)
    first = progress.record(store, done_report("r1"), source=src, now=T0, settings=SETTINGS,
                            directory=NoDirectory(), reply_to=77)
    store = reopen(store)  # e.g. a crash before Telegram was told: the update comes again
    writes = store.commits
    again = progress.record(store, done_report("r-new-id"), source=src, now=T0 + dt.timedelta(minutes=5),
                            settings=SETTINGS, directory=NoDirectory(), reply_to=77)
    assert store.commits == writes  # nothing written
    assert not again.created and again.report.id == "r1"
    assert [m.key for m in again.messages] == [m.key for m in first.messages]  # the same messages owed
    assert again.messages[0].text == first.messages[0].text
    assert len(store.notices.reports()) == 1
    assert store.notices.assignment("a1").done_reported_at == T0
    store.close()


def test_button_press_idempotent_per_callback_query(store: DataStore) -> None:
    r = make_report("rb", "a1", message_id=None, source="button")
    r.status = Progress.BLOCKED
    src = progress.Source(-100, query_id="q-1")
    done = progress.record(store, r, source=src, now=T0, settings=SETTINGS, directory=NoDirectory(), reply_to=5)
    assert done.created and "answer" and done.answer
    assert [m.purpose for m in done.messages] == ["ack", "office_blocked"] and not done.messages[0].buttons
    again = progress.record(store, make_report("rb2", "a1", message_id=None, source="button"), source=src, now=T0,
                            settings=SETTINGS, directory=NoDirectory())
    assert not again.created and again.report.id == "rb" and again.answer == done.answer
    # another press with the same status (a double tap): answered, nothing stored
    tap = make_report("rb3", "a1", message_id=None, source="button")
    tap.status = Progress.BLOCKED
    twice = progress.record(store, tap, source=progress.Source(-100, query_id="q-2"), now=T0, settings=SETTINGS,
                            directory=NoDirectory())
    assert not twice.created and twice.answer and not twice.messages
    assert len(store.notices.reports()) == 1


def test_revise_keeps_history_and_is_idempotent(store: DataStore) -> None:
    progress.record(store, done_report(), source=progress.Source(-100, message_id=77), now=T0, settings=SETTINGS,
                    directory=NoDirectory())
    report = store.notices.report("r1")
    src = progress.Source(-100, query_id="q-cr")
    later = T0 + dt.timedelta(hours=1)
    done = progress.revise(store, report, source=src, now=later, settings=SETTINGS, directory=NoDirectory(),
                           status=Progress.IN_PROGRESS, by=7)
    assert done.created and [m.purpose for m in done.messages] == ["office_withdrawn"]
    a = store.notices.assignment("a1")
    assert a.progress == Progress.IN_PROGRESS and a.done_reported_at is None
    again = progress.revise(store, store.notices.report("r1"), source=src, now=later, settings=SETTINGS,
                            directory=NoDirectory(), status=Progress.DONE, by=7)
    assert not again.created and store.notices.report("r1").status == Progress.IN_PROGRESS
    assert len(store.notices.report("r1").history) == 1


def test_extension_request_once(store: DataStore) -> None:
    r = make_report("re", "a1", message_id=88)
    src = progress.Source(-100, message_id=88)
    kw = dict(source=src, new_date=dt.date(2024, 7, 31), reason="chờ số liệu", now=T0, settings=SETTINGS,
              directory=NoDirectory(), author="Hoà")
    done = progress.request_extension(store, r, **kw)
    assert done.created and done.index == 0 and [m.purpose for m in done.messages] == ["ack", "office_extension"]
    again = progress.request_extension(store, make_report("re2", "a1", message_id=88), **kw)
    assert not again.created and len(store.notices.assignment("a1").extensions) == 1
    assert len(store.notices.reports()) == 1


def test_sigkill_never_leaves_half_an_action(tmp_path: Path) -> None:
    """A writer records reports through progress.record; killed at random moments, every
    report it acknowledged is there, and every assignment says what its latest report says."""
    folder = tmp_path / "data"
    rng = random.Random(11)
    acked: list[str] = []
    for round_no in range(8):
        proc = subprocess.Popen([sys.executable, str(WRITER), str(folder), f"p{round_no}", "progress"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        acked += kill_after_first_line(proc, rng, 0.15)
        with DataStore.open(folder, backups_kept=2) as store:
            stored = {r.id for r in store.notices.reports()}
            assert not [rid for rid in acked if rid not in stored]
            for aid in ("a1", "a2"):
                reports = store.notices.reports(assignment_id=aid)
                a = store.notices.assignment(aid)
                if reports:
                    assert a.last_report_at == reports[-1].at, (round_no, aid)
                    assert a.progress == reports[-1].status, (round_no, aid)
                    assert (a.done_reported_at is not None) == (a.progress == Progress.DONE)
    assert len(acked) >= 8


def test_handled_again_owes_the_same_messages_office_included(store: DataStore) -> None:
    """A crash after the write and before the messages were queued: the update comes again and
    the action returns every message it owed, with the same keys (an outbox sends each once)."""
    src = progress.Source(-100, message_id=77)
    first = progress.record(store, done_report(), source=src, now=T0, settings=SETTINGS, directory=NoDirectory(),
                            reply_to=77)
    store = reopen(store)
    again = progress.record(store, done_report("r-other"), source=src, now=T0, settings=SETTINGS,
                            directory=NoDirectory(), reply_to=77)
    assert not again.created
    assert [(m.key, m.chat_id, m.text) for m in again.messages] == [(m.key, m.chat_id, m.text) for m in first.messages]
    # a correction handled again owes its withdrawal message again, and changes nothing
    cr = progress.Source(-100, query_id="q-9")
    fix = progress.revise(store, store.notices.report("r1"), source=cr, now=T0, settings=SETTINGS,
                          directory=NoDirectory(), status=Progress.IN_PROGRESS, by=7)
    fix_again = progress.revise(store, store.notices.report("r1"), source=cr, now=T0, settings=SETTINGS,
                                directory=NoDirectory(), status=Progress.IN_PROGRESS, by=7)
    assert fix.created and not fix_again.created
    assert [m.key for m in fix_again.messages] == [m.key for m in fix.messages] == ["q:q-9:office_withdrawn"]
    assert len(store.notices.report("r1").history) == 1
    store.close()
