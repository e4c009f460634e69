"""Repositories: typed records in and out, lookups, idempotent reports, invite rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.models import (
    ChatBinding,
    Contact,
    Extension,
    Invite,
    Progress,
    Role,
)
from storage import DataStore, Duplicate, InviteError, NotFound, new_id
from tests.crash_writer import T0, TZ, make_assignment, make_notice, make_report, make_task


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(folder: Path):
    s = DataStore.open(folder, now=T0)
    yield s
    s.close()


def reopen(store: DataStore) -> DataStore:
    store.close()
    return DataStore.open(store.folder, now=T0)


# ---------------------------------------------------------------- registry

def test_chats_round_trip_and_unbind(store: DataStore) -> None:
    b1 = ChatBinding(chat_id=-1001, agency_id="snv", title="Sở Nội vụ – nhóm", bound_at=T0, bound_by=7)
    b2 = ChatBinding(chat_id=-1002, agency_id="stc", title="Sở Tài chính")
    assert store.registry.bind_chat(b1) is None
    store.registry.bind_chat(b2)
    moved = dataclasses.replace(b2, agency_id="snv")
    assert store.registry.bind_chat(moved) == b2  # re-binding returns the previous binding
    store = reopen(store)
    assert store.registry.chat(-1001) == b1
    assert store.registry.chats_of("snv") == [b1, moved]
    assert store.registry.chats_of("stc") == []
    assert store.registry.unbind_chat(-1001) == b1
    assert store.registry.unbind_chat(-1001) is None
    assert store.registry.chat(-1001) is None
    store = reopen(store)
    assert store.registry.all_chats() == [moved]
    store.close()


def test_contacts_upsert_by_user_and_agency(store: DataStore) -> None:
    c = Contact(user_id=7, agency_id="snv", name="Nguyễn Văn A", username="nva", chat_id=-1001, first_seen=T0)
    store.registry.add_contact(c)
    later = Contact(user_id=7, agency_id="snv", name="Nguyễn Văn A (Phó GĐ)", first_seen=T0 + dt.timedelta(days=3))
    stored = store.registry.add_contact(later)
    assert stored.first_seen == T0 and stored.name == "Nguyễn Văn A (Phó GĐ)"
    store.registry.add_contact(Contact(user_id=7, agency_id="stc", name="Nguyễn Văn A"))
    store.registry.add_contact(Contact(user_id=8, agency_id="snv", name="Trần B"))
    store = reopen(store)
    assert [x.user_id for x in store.registry.contacts_of("snv")] == [7, 8]
    assert store.registry.contacts_of("snv")[0] == dataclasses.replace(later, first_seen=T0)
    assert store.registry.agency_of_user(7) == ["snv", "stc"]
    assert store.registry.agency_of_user(99) == []
    assert store.registry.remove_contact(7, "stc").agency_id == "stc"
    assert store.registry.agency_of_user(7) == ["snv"]
    store.close()


def invite(code: str = "ABC123", agency: str = "snv", days: int = 7) -> Invite:
    return Invite(code=code, agency_id=agency, created_by=1, created_at=T0, expires_at=T0 + dt.timedelta(days=days))


def test_invite_rules(store: DataStore) -> None:
    store.registry.add_invite(invite("ABC123"))
    store.registry.add_invite(invite("OLD", days=1))
    with pytest.raises(Duplicate):
        store.registry.add_invite(invite("ABC123"))
    with pytest.raises(InviteError) as err:
        store.registry.use_invite("NOPE", 7, -1001, T0)
    assert err.value.reason == "unknown"
    with pytest.raises(InviteError) as err:
        store.registry.use_invite("OLD", 7, -1001, T0 + dt.timedelta(days=1))
    assert err.value.reason == "expired"
    assert store.registry.invite("OLD").used_at is None  # a refused code is unchanged
    used = store.registry.use_invite(" ABC123 ", 7, -1001, T0 + dt.timedelta(hours=1))
    assert (used.used_by, used.used_in_chat, used.used_at) == (7, -1001, T0 + dt.timedelta(hours=1))
    with pytest.raises(InviteError) as err:
        store.registry.use_invite("ABC123", 8, -1002, T0 + dt.timedelta(hours=2))
    assert err.value.reason == "used" and "\n" not in err.value.message
    store = reopen(store)
    assert store.registry.invite("ABC123") == used
    with pytest.raises(InviteError, match="used"):
        store.registry.use_invite("ABC123", 8, -1002, T0)
    assert [i.code for i in store.registry.invites_of("snv")] == ["ABC123", "OLD"]
    assert store.registry.invites_of("stc") == []
    store.close()


def test_invite_used_once_under_concurrency(store: DataStore) -> None:
    import threading

    store.registry.add_invite(invite("RACE"))
    results: list[str] = []

    def use(user: int) -> None:
        try:
            store.registry.use_invite("RACE", user, -user, T0)
            results.append("ok")
        except InviteError as exc:
            results.append(exc.reason)

    threads = [threading.Thread(target=use, args=(u,)) for u in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] + ["used"] * 7


# ---------------------------------------------------------------- notices and tasks

def test_notice_and_tasks_round_trip_with_codes(store: DataStore) -> None:
    n = make_notice("n1", number="89/TB-UBND", sha="abc")
    tasks = store.notices.create_notice(n, [make_task("t1", nid=""), make_task("t2", ref="2")])
    assert [t.code for t in tasks] == ["NV1", "NV2"]
    assert all(t.notice_id == "n1" for t in tasks)
    tasks2 = store.notices.create_notice(make_notice("n2", number="90/TB-UBND"), [make_task("t3", nid="n2")])
    assert tasks2[0].code == "NV3"
    store = reopen(store)
    assert store.notices.notice("n1") == n
    assert store.notices.tasks("n1") == tasks
    assert store.notices.task("t3") == tasks2[0]
    assert store.notices.task_by_code("nv2") == tasks[1]
    assert store.notices.task_by_code(" Nv 3 ").id == "t3"
    assert store.notices.task_by_code("NV9") is None
    assert store.notices.find_notice_by_sha("abc") == n
    assert store.notices.find_notice_by_sha("zzz") is None
    assert store.notices.find_notice_by_number("89/tb-ubnd") == n
    assert [x.id for x in store.notices.all_notices()] == ["n1", "n2"]
    assert store.counters.next_code() == "NV4"
    store.close()


def test_update_notice_and_task(store: DataStore) -> None:
    store.notices.create_notice(make_notice("n1", sha="s1"), [make_task("t1")])
    store.notices.create_notice(make_notice("n2"), [make_task("t2", nid="n2")])
    n = store.notices.notice("n1")
    n.state, n.published_at, n.source_sha256 = "published", T0, "s2"
    store.notices.update_notice(n)
    t = store.notices.task("t1")
    t.code, t.dropped, t.deadline = "NV50", True, dt.date(2024, 12, 31)
    store.notices.update_task(t)
    with pytest.raises(Duplicate):
        store.notices.update_task(dataclasses.replace(store.notices.task("t2"), code="nv50"))
    with pytest.raises(NotFound):
        store.notices.update_task(make_task("tX"))
    with pytest.raises(NotFound):
        store.notices.update_notice(make_notice("nX"))
    store = reopen(store)
    assert store.notices.notice("n1") == n
    assert store.notices.find_notice_by_sha("s1") is None
    assert store.notices.find_notice_by_sha("s2").id == "n1"
    assert store.notices.task_by_code("NV1") is None
    assert store.notices.task_by_code("NV50") == t
    assert store.counters.next_code() == "NV51"  # never reuses a code in use
    store.close()


def test_create_notice_rejects_bad_input_and_changes_nothing(store: DataStore, folder: Path) -> None:
    store.notices.create_notice(make_notice("n1"), [make_task("t1", code="NV7")])
    with pytest.raises(Duplicate):
        store.notices.create_notice(make_notice("n1"), [])
    with pytest.raises(Duplicate):
        store.notices.create_notice(make_notice("n2"), [make_task("t1", nid="n2")])
    with pytest.raises(Duplicate):
        store.notices.create_notice(make_notice("n2"), [make_task("t2", nid="n2", code="nv7")])
    with pytest.raises(ValueError):
        store.notices.create_notice(make_notice("n2"), [make_task("t2", nid="other")])
    for bad in ("../x", "89/TB-UBND", "", ".hidden", "a" * 200):
        with pytest.raises(ValueError, match="cannot be a file name"):
            store.notices.create_notice(make_notice(bad), [])
    store.compact()
    assert [p.name for p in (folder / "notices").iterdir()] == ["n1.json"]
    assert store.notices.notice("n2") is None
    nid = new_id("n-")
    store.notices.create_notice(make_notice(nid), [])
    assert store.notices.notice(nid) is not None


# ---------------------------------------------------------------- assignments

def test_assignments_round_trip_and_lookups(store: DataStore) -> None:
    store.notices.create_notice(make_notice("n1"), [make_task("t1"), make_task("t2")])
    store.notices.create_notice(make_notice("n2"), [make_task("t3", nid="n2")])
    a1 = make_assignment("a1", "t1", agency="snv", chat_id=-1001, message_id=10)
    a2 = make_assignment("a2", "t2", agency="stc")
    a3 = dataclasses.replace(make_assignment("a3", "t3", nid="n2", agency="snv"), role=Role.COORDINATE,
                             recurring="monthly")
    store.notices.add_assignments([a1, a2, a3])
    with pytest.raises(Duplicate):
        store.notices.add_assignments([make_assignment("a1", "t1")])
    with pytest.raises(NotFound):
        store.notices.add_assignments([make_assignment("a9", "t3", nid="n1")])  # task of another notice
    with pytest.raises(NotFound):
        store.notices.add_assignments([make_assignment("a9", "t1", nid="nX")])
    store = reopen(store)
    assert store.notices.assignment("a3") == a3
    assert store.notices.assignments(notice_id="n1") == [a1, a2]
    assert store.notices.assignments(agency_id="snv") == [a1, a3]
    assert store.notices.assignments(notice_id="n2", agency_id="snv") == [a3]
    assert store.notices.assignments(notice_id="n2", agency_id="stc") == []
    assert store.notices.assignments() == [a1, a2, a3]
    assert store.notices.assignment_by_message(-1001, 10) == a1
    assert store.notices.assignment_by_message(-1001, 11) is None

    a2.chat_id, a2.message_id, a2.progress = -1002, 20, Progress.DONE
    a2.done_reported_at = T0
    a2.extensions = [Extension(requested_at=T0, requested_by=7, new_deadline=dt.date(2024, 9, 30),
                               reason="Chờ ý kiến Bộ Nội vụ", previous_deadline=dt.date(2024, 6, 30))]
    store.notices.update_assignment(a2)
    a1.agency_id, a1.message_id = "sxd", 11
    store.notices.update_assignment(a1)
    with pytest.raises(NotFound):
        store.notices.update_assignment(make_assignment("a9", "t1"))
    store = reopen(store)
    assert store.notices.assignment("a2") == a2
    assert store.notices.assignment_by_message(-1002, 20) == a2
    assert store.notices.assignment_by_message(-1001, 10) is None
    assert store.notices.assignment_by_message(-1001, 11) == a1
    assert store.notices.assignments(agency_id="snv") == [a3]
    assert store.notices.assignments(agency_id="sxd") == [a1]
    store.close()


# ---------------------------------------------------------------- reports

@pytest.fixture
def with_assignments(store: DataStore) -> DataStore:
    store.notices.create_notice(make_notice("n1"), [make_task("t1")])
    store.notices.create_notice(make_notice("n2"), [make_task("t2", nid="n2")])
    store.notices.add_assignments([make_assignment("a1", "t1", agency="snv"),
                                   make_assignment("a2", "t1", agency="stc"),
                                   make_assignment("a3", "t2", nid="n2", agency="snv")])
    return store


def test_report_round_trip_and_filters(with_assignments: DataStore) -> None:
    store = with_assignments
    h = dt.timedelta(hours=1)
    r1 = make_report("r1", "a1", message_id=101, at=T0 + 3 * h)
    r2 = make_report("r2", "a2", agency="stc", chat_id=-200, message_id=101, at=T0 + h)
    r3 = make_report("r3", "a3", nid="n2", message_id=102, at=T0 + 2 * h, source="button")
    r4 = make_report("r4", "a1", message_id=None, at=T0, source="command")
    for r in (r1, r2, r3, r4):
        stored, created = store.notices.add_report(r)
        assert created and stored == r
    store = reopen(store)
    assert store.notices.report("r1") == r1
    assert store.notices.reports() == [r4, r2, r3, r1]  # oldest first
    assert store.notices.reports(assignment_id="a1") == [r4, r1]
    assert store.notices.reports(agency_id="snv") == [r4, r3, r1]
    assert store.notices.reports(assignment_id="a1", agency_id="stc") == []
    assert store.notices.reports(agency_id="snv", since=T0 + 2 * h) == [r3, r1]
    assert store.notices.report_by_message(-100, 101) == r1
    assert store.notices.report_by_message(-200, 101) == r2
    assert store.notices.report_by_message(-100, 999) is None
    store.close()


def test_report_stored_once_when_delivered_twice(with_assignments: DataStore, folder: Path) -> None:
    store = with_assignments
    first, created = store.notices.add_report(make_report("r1", "a1", message_id=55))
    assert created
    again, created = store.notices.add_report(make_report("r-other-id", "a1", message_id=55))
    assert not created and again == first
    same_id, created = store.notices.add_report(make_report("r1", "a1", message_id=56))
    assert not created and same_id == first
    # the same message through another path (a button) is another report
    _, created = store.notices.add_report(make_report("r2", "a1", message_id=55, source="button"))
    assert created
    store = reopen(store)
    _, created = store.notices.add_report(make_report("r3", "a1", message_id=55))
    assert not created
    assert [r.id for r in store.notices.reports()] == ["r1", "r2"]
    store.close()


def test_report_update_keeps_history_and_reindexes(with_assignments: DataStore) -> None:
    store = with_assignments
    r, _ = store.notices.add_report(make_report("r1", "a1", message_id=55))
    r.history.append({"text": r.text, "at": r.at.isoformat()})
    r.text, r.status = "Đã hoàn thành", Progress.DONE
    r.message_id = 56
    store.notices.update_report(r)
    with pytest.raises(NotFound):
        store.notices.update_report(make_report("rX", "a1"))
    with pytest.raises(NotFound):
        store.notices.add_report(make_report("rX", "a9"))
    store = reopen(store)
    assert store.notices.report("r1") == r
    assert store.notices.report_by_message(-100, 55) is None
    assert store.notices.report_by_message(-100, 56) == r
    _, created = store.notices.add_report(make_report("r2", "a1", message_id=55))
    assert created
    store.close()


def test_returned_records_are_copies(with_assignments: DataStore) -> None:
    store = with_assignments
    r, _ = store.notices.add_report(make_report("r1", "a1"))
    r.text = "changed without update"
    r.files.clear()
    got = store.notices.report("r1")
    assert got.text != "changed without update" and len(got.files) == 1
    a = store.notices.assignment("a1")
    a.extensions.append(Extension(requested_at=T0, requested_by=1, new_deadline=dt.date(2025, 1, 1), reason="x"))
    assert store.notices.assignment("a1").extensions == []


# ---------------------------------------------------------------- sentlog and counters

def test_sentlog_one_file_per_month(store: DataStore, folder: Path) -> None:
    may = dt.datetime(2024, 5, 31, 23, 0, tzinfo=TZ)
    june = dt.datetime(2024, 6, 1, 8, 0, tzinfo=TZ)
    assert store.sentlog.mark_sent("due-3:a1", may, {"chat_id": -100, "tóm tắt": "Nhắc hạn"})
    assert not store.sentlog.mark_sent("due-3:a1", june, {})
    assert store.sentlog.mark_sent("due-0:a1", june)
    store.compact()
    assert sorted(p.name for p in (folder / "sentlog").iterdir()) == ["2024-05.json", "2024-06.json"]
    store = reopen(store)
    assert store.sentlog.was_sent("due-3:a1") and store.sentlog.was_sent("due-0:a1")
    assert not store.sentlog.was_sent("due-1:a1")
    assert [e.key for e in store.sentlog.entries()] == ["due-3:a1", "due-0:a1"]
    assert [e.key for e in store.sentlog.entries(since=june)] == ["due-0:a1"]
    e = store.sentlog.entry("due-3:a1")
    assert e.at == may and e.info == {"chat_id": -100, "tóm tắt": "Nhắc hạn"}
    store.close()


def test_counters_are_durable_and_independent(store: DataStore) -> None:
    assert [store.counters.next_code() for _ in range(3)] == ["NV1", "NV2", "NV3"]
    assert store.counters.next_code("BC") == "BC1"
    store = reopen(store)
    assert store.counters.next_code() == "NV4"
    assert store.counters.current("BC") == 1
    store.close()
