"""Pure logic of the loop (bot/workflow.py) and the message builders (bot/cards.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from bot import cards, workflow
from bot.calendar import WorkingCalendar
from bot.directory import Directory
from bot.messages import MESSAGE_LIMIT
from bot.models import Agency, AgencyKind, Assignment, Notice, Progress, Report, Role, Task

TZ = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 3, 20, 9, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def directory():
    return Directory.from_agencies([
        Agency("snv", "Sở Nội vụ", AgencyKind.DEPARTMENT, ["SNV"], ["so-ban-nganh"]),
        Agency("stc", "Sở Tài chính", AgencyKind.DEPARTMENT, ["STC"], ["so-ban-nganh"]),
        Agency("qn", "UBND thành phố Quy Nhơn", AgencyKind.LOCALITY, [], ["dia-phuong", "huyen"]),
    ])


def ref(agency_id=None, group=None, name="x"):
    return {"name": name, "agency_id": agency_id, "group": group, "as_written": name}


def task(i, lead, coordinate=(), deadline=dt.date(2024, 3, 31)):
    return Task(id=f"n1-{i}", notice_id="n1", code=f"NV{i}", ref=str(i), text=f"Nhiệm vụ {i}", lead=list(lead),
                coordinate=list(coordinate), deadline=deadline)


def ids():
    n = iter(range(1000))
    return lambda: f"a{next(n)}"


def test_plan_expands_groups_lead_wins_and_never_duplicates(directory):
    tasks = [task(1, [ref(group="all")]), task(2, [ref("snv")], [ref("stc"), ref("snv"), ref(group="lien-quan")]),
             task(3, [ref(None, None, "Ban Quản lý dự án")]), task(4, [ref(None, None, "các đơn vị liên quan")])]
    plan = workflow.plan_assignments(tasks, directory, new_id=ids())
    got = sorted((a.task_id, a.agency_id, a.role.value) for a in plan.assignments)
    # A party beyond the directory is kept as written (its task waits for it to register);
    # a vague collective ("các đơn vị liên quan") is nobody: the clerk must name the lead.
    assert got == [("n1-1", "qn", "lead"), ("n1-1", "snv", "lead"), ("n1-1", "stc", "lead"),
                   ("n1-2", "snv", "lead"), ("n1-2", "stc", "coordinate"),
                   ("n1-3", "ngoai-ban-quan-ly-du-an", "lead")]
    assert directory.get("ngoai-ban-quan-ly-du-an").name == "Ban Quản lý dự án"
    assert [t.code for t in plan.unassigned_tasks] == ["NV4"]
    again = workflow.plan_assignments(tasks, directory, existing=plan.assignments, new_id=ids())
    assert again.assignments == []
    tasks[0].dropped = True
    assert all(a.task_id != "n1-1" for a in workflow.plan_assignments(tasks, directory, new_id=ids()).assignments)


def test_standing_duties_of_every_agency(directory):
    tasks = [task(1, [ref(group="all")], deadline=None),  # "Thủ trưởng các cơ quan, đơn vị, địa phương ..."
             task(2, [ref(group="all")]),  # the same with a deadline: work due by a date
             task(3, [ref("snv"), ref(group="so-ban-nganh")], deadline=None)]  # named: its own duty
    plan = workflow.plan_assignments(tasks, directory, new_id=ids())
    standing = sorted((a.task_id, a.agency_id) for a in plan.assignments if a.standing)
    assert standing == [("n1-1", "qn"), ("n1-1", "snv"), ("n1-1", "stc"), ("n1-3", "stc")]


def test_clerk_fixes(directory):
    t = task(1, [ref(None, None, "So Noi vu?")])
    workflow.set_lead(t, "Sở Tài chính", directory)
    assert t.lead[0]["agency_id"] == "stc"
    workflow.set_coordinators(t, "Sở Nội vụ; UBND các huyện, thị xã, thành phố", directory)
    assert [r["agency_id"] or r["group"] for r in t.coordinate] == ["snv", "huyen"]
    workflow.set_coordinators(t, "-", directory)
    assert t.coordinate == []
    with pytest.raises(workflow.EditError) as exc:
        workflow.set_lead(t, "Sở Ngoại giao Mặt Trăng", directory)
    assert exc.value.key == "notice.unknown_agency"
    workflow.set_deadline(t, "30/6", default_year=2024)
    assert t.deadline == dt.date(2024, 6, 30)
    with pytest.raises(workflow.EditError):
        workflow.set_deadline(t, "31/4/2024", default_year=2024)
    workflow.set_deadline(t, "-", default_year=2024)
    assert t.deadline is None


def assignment(**kw):
    return Assignment(id="a1", task_id="n1-1", notice_id="n1", agency_id="snv", role=Role.LEAD,
                      deadline=dt.date(2024, 3, 31), **kw)


def report(status):
    return Report(id="r1", assignment_id="a1", notice_id="n1", agency_id="snv", chat_id=-1, message_id=1,
                  author_id=7, author_name="Minh", at=NOW, status=status)


def test_done_waits_for_the_office_unless_auto_confirm():
    a = workflow.apply_report(assignment(), report(Progress.DONE), now=NOW, auto_confirm=False)
    assert a.done_reported_at == NOW and a.completed_at is None
    workflow.return_to_agency(a)
    assert a.done_reported_at is None and a.progress == Progress.IN_PROGRESS
    a = workflow.apply_report(assignment(), report(Progress.DONE), now=NOW, auto_confirm=True)
    assert a.completed_at == NOW
    workflow.apply_report(a, report(Progress.BLOCKED), now=NOW, auto_confirm=False)
    assert a.completed_at == NOW and a.progress == Progress.DONE  # confirmed stays confirmed


def test_extension_moves_the_deadline_only_on_approval():
    a = assignment()
    workflow.request_extension(a, new_deadline=dt.date(2024, 4, 30), reason="chờ số liệu", by=7, now=NOW)
    assert a.deadline == dt.date(2024, 3, 31) and a.progress == Progress.EXTENSION
    ext = workflow.decide_extension(a, 0, approve=True, by=1, now=NOW)
    assert a.deadline == dt.date(2024, 4, 30) and ext.previous_deadline == dt.date(2024, 3, 31)
    with pytest.raises(workflow.EditError):
        workflow.decide_extension(a, 0, approve=False, by=1, now=NOW)
    workflow.request_extension(a, new_deadline=dt.date(2024, 5, 30), reason="thêm", by=7, now=NOW)
    workflow.decide_extension(a, 1, approve=False, by=1, now=NOW)
    assert a.deadline == dt.date(2024, 4, 30) and a.extensions[1].decision == "refused"


@pytest.mark.parametrize("text, date, reason", [
    ("30/4/2024 - chờ số liệu các huyện", dt.date(2024, 4, 30), "chờ số liệu các huyện"),
    ("Đề nghị gia hạn đến 15/5/2024 do chờ hướng dẫn của Bộ", dt.date(2024, 5, 15), "chờ hướng dẫn của Bộ"),
    ("xin gia han den ngay 15-5-2024 vi cho y kien", dt.date(2024, 5, 15), "cho y kien"),
    ("2/5 lý do: chưa đủ hồ sơ", dt.date(2024, 5, 2), "chưa đủ hồ sơ"),
])
def test_extension_requests_in_words(text, date, reason):
    assert workflow.parse_extension_request(text, today=NOW.date()) == (date, reason)


@pytest.mark.parametrize("text, key", [("chờ số liệu", "progress.extension_bad_request"),
                                       ("30/4/2024", "progress.extension_no_reason"),
                                       ("1/3/2024 quá muộn", "progress.extension_past_date")])
def test_bad_extension_requests(text, key):
    with pytest.raises(workflow.EditError) as exc:
        workflow.parse_extension_request(text, today=NOW.date())
    assert exc.value.key == key


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parsers_never_crash(text):
    for fn in (lambda: workflow.parse_extension_request(text, today=NOW.date()),
               lambda: workflow.parse_date(text, default_year=2024)):
        try:
            fn()
        except workflow.EditError:
            pass
    workflow.is_task_code(text)


def test_card_escapes_user_text_and_fits_telegram(directory):
    cal = WorkingCalendar()
    notice = Notice(id="n1", number="89/TB-UBND", issued_on=dt.date(2024, 3, 11))
    t = task(1, [ref("snv", name="Sở Nội vụ")], [ref("stc", name="Sở <Tài> chính")])
    t.text = "Báo cáo <b>gấp</b> & đầy đủ " + "x" * 5000
    text, buttons = cards.task_card(assignment(), t, notice, cal)
    assert "&lt;b&gt;gấp&lt;/b&gt; &amp;" in text and "Sở &lt;Tài&gt; chính" in text
    assert len(text) < MESSAGE_LIMIT
    assert "31/03/2024" in text and "01/04/2024" in text  # a Sunday deadline ends on Monday
    assert all(len(data.encode()) <= 64 for row in buttons for _, data in row)
    # 40 named coordinating agencies and a long text with characters that grow when escaped.
    t.coordinate = [ref(f"a{i}", name=f"Ban Quản lý dự án đầu tư xây dựng số {i} & các công trình") for i in range(40)]
    t.text = "<&> " * 2000
    text, _ = cards.task_card(assignment(), t, notice, cal)
    assert len(text) <= 4000 and "và 28 cơ quan khác" in text and text.count("&amp;") > 100


def test_recompute_progress_withdraws_a_done_nobody_says_any_more():
    a = workflow.apply_report(assignment(), report(Progress.DONE), now=NOW, auto_confirm=False)
    later = report(Progress.IN_PROGRESS)
    later.id, later.at = "r2", NOW + dt.timedelta(hours=1)
    done = report(Progress.DONE)
    assert workflow.recompute_progress(a, [done, later], now=NOW, auto_confirm=False) is True
    assert a.progress == Progress.IN_PROGRESS and a.done_reported_at is None
    later.status = Progress.NONE  # the reply corrected to "only a report": the earlier done stands
    assert workflow.recompute_progress(a, [done, later], now=NOW, auto_confirm=False) is False
    assert a.progress == Progress.DONE and a.done_reported_at is not None
    workflow.confirm(a, now=NOW, by=1)
    later.status = Progress.BLOCKED
    workflow.recompute_progress(a, [done, later], now=NOW, auto_confirm=False)
    assert a.completed_at is not None  # confirmed stays confirmed


def test_a_new_extension_request_replaces_the_pending_one():
    a = assignment()
    workflow.request_extension(a, new_deadline=dt.date(2024, 4, 30), reason="một", by=7, now=NOW)
    workflow.request_extension(a, new_deadline=dt.date(2024, 4, 15), reason="hai", by=7, now=NOW)
    assert [e.decision for e in a.extensions] == ["superseded", None]
    with pytest.raises(workflow.EditError):
        workflow.decide_extension(a, 0, approve=True, by=1, now=NOW)
    workflow.decide_extension(a, 1, approve=True, by=1, now=NOW)
    assert a.deadline == dt.date(2024, 4, 15)


def test_no_extension_for_work_reported_or_confirmed_done():
    a = workflow.apply_report(assignment(), report(Progress.DONE), now=NOW, auto_confirm=False)
    with pytest.raises(workflow.ExtensionRefused) as exc:
        workflow.request_extension(a, new_deadline=dt.date(2024, 4, 30), reason="x", by=7, now=NOW)
    assert exc.value.key == "progress.extension_while_done"
    b = assignment()
    workflow.request_extension(b, new_deadline=dt.date(2024, 4, 30), reason="chờ", by=7, now=NOW)
    workflow.confirm(b, now=NOW, by=1)  # confirmed work closes the request still waiting
    assert b.extensions[0].decision == "superseded"
    with pytest.raises(workflow.EditError):
        workflow.decide_extension(b, 0, approve=True, by=1, now=NOW)
    assert b.deadline == dt.date(2024, 3, 31)  # the official category is not rewritten


def test_extension_date_is_the_one_after_the_words_and_rolls_into_next_year():
    text = "Thực hiện Công văn số 123/UBND ngày 05/3/2024, đề nghị gia hạn đến 30/4/2024 vì chờ số liệu"
    assert workflow.parse_extension_request(text, today=NOW.date()) == (dt.date(2024, 4, 30), "chờ số liệu")
    assert workflow.parse_extension_request("xin gia hạn đến 15/1 vì chờ Bộ", today=dt.date(2024, 12, 20)) == \
        (dt.date(2025, 1, 15), "chờ Bộ")


def test_coordinating_parts_follow_the_lead_s_extension():
    lead = assignment()
    coord = Assignment(id="a2", task_id="n1-1", notice_id="n1", agency_id="stc", role=Role.COORDINATE,
                       deadline=dt.date(2024, 3, 31))
    own = Assignment(id="a3", task_id="n1-1", notice_id="n1", agency_id="qn", role=Role.COORDINATE,
                     deadline=dt.date(2024, 5, 31))  # already has its own later deadline
    workflow.request_extension(lead, new_deadline=dt.date(2024, 4, 30), reason="chờ", by=7, now=NOW)
    ext = workflow.decide_extension(lead, 0, approve=True, by=1, now=NOW)
    moved = workflow.follow_lead_extension([lead, coord, own], ext, reason="theo chủ trì", now=NOW)
    assert moved == [coord] and coord.deadline == dt.date(2024, 4, 30) and own.deadline == dt.date(2024, 5, 31)
    assert coord.extensions[0].decision == "approved" and coord.extensions[0].previous_deadline == dt.date(2024, 3, 31)


def test_long_status_answers_are_split_under_the_limit(directory):
    from bot.messages import split_message

    cal = WorkingCalendar()
    tasks = {f"n1-{i}": task(i, [ref("snv")]) for i in range(400)}
    assignments = [Assignment(id=f"a{i}", task_id=f"n1-{i}", notice_id="n1", agency_id="snv", role=Role.LEAD,
                              deadline=dt.date(2024, 1, 10)) for i in range(400)]
    text = cards.status_overview("<b>Tỉnh</b>", assignments, tasks, directory, dt.date(2024, 3, 20), cal)
    text += "\n" + cards.status_agency("Sở Nội vụ", assignments, tasks, dt.date(2024, 3, 20), cal)
    parts = split_message(text)
    assert len(parts) > 1 and all(len(p) <= MESSAGE_LIMIT for p in parts)
    assert sum(p.count("NV") for p in parts) == text.count("NV")  # nothing lost at the cuts
