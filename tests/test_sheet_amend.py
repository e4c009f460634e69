"""Amending a published notice (bot/amend.py): changes → assignments added, changed, cancelled, and who is told."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from bot import amend, sheet, workflow
from bot.directory import Directory
from bot.models import Assignment, Role, Task

DIRECTORY = Directory.load(Path(__file__).resolve().parent.parent / "agencies.example.toml")
NOW = dt.datetime(2024, 4, 1, 9, tzinfo=dt.timezone.utc)
SENT = dt.datetime(2024, 3, 12, 9, tzinfo=dt.timezone.utc)


def ref(name):
    return workflow.agency_ref(DIRECTORY, name)


def aid(name):
    return ref(name)["agency_id"]


def published():
    task = Task(id="n0-1", notice_id="n0", code="NV1", ref="1", text="Việc một", lead=[ref("Sở Nội vụ")],
                coordinate=[ref("Sở Tài chính"), ref("Công an tỉnh")], deadline=dt.date(2024, 3, 31))
    other = Task(id="n0-2", notice_id="n0", code="NV2", ref="2", text="Việc hai", lead=[ref("Sở Y tế")])
    asg = [
        Assignment(id="a1", task_id="n0-1", notice_id="n0", agency_id=aid("Sở Nội vụ"), role=Role.LEAD,
                   deadline=task.deadline, sent_at=SENT, chat_id=-1, message_id=10),
        Assignment(id="a2", task_id="n0-1", notice_id="n0", agency_id=aid("Sở Tài chính"), role=Role.COORDINATE,
                   deadline=task.deadline, sent_at=SENT, chat_id=-2, message_id=11),
        Assignment(id="a3", task_id="n0-1", notice_id="n0", agency_id=aid("Công an tỉnh"), role=Role.COORDINATE,
                   deadline=task.deadline, sent_at=SENT, completed_at=SENT),  # confirmed done
        Assignment(id="a4", task_id="n0-2", notice_id="n0", agency_id=aid("Sở Y tế"), role=Role.LEAD, deadline=None),
    ]
    return [task, other], asg


def ids():
    n = iter(range(100))
    return lambda: f"new{next(n)}"


def run(tasks, before, after, assignments):
    result = sheet.single(tasks, before, after)
    return amend.amend(result.changes, result.tasks, assignments, DIRECTORY, now=NOW, by=7, new_id=ids())


def test_a_new_deadline_moves_open_assignments_and_tells_those_with_the_card():
    tasks, asg = published()
    after = dataclasses.replace(tasks[0], deadline=dt.date(2024, 4, 30))
    plan = run(tasks, tasks[0], after, asg)
    moved = {a.id: a for a in plan.changed_assignments}
    assert moved["a1"].deadline == moved["a2"].deadline == dt.date(2024, 4, 30)
    assert "a3" not in moved  # confirmed work is left as it was
    assert [(t.assignment_id, t.kind) for t in plan.tells] == [("a1", "changed"), ("a2", "changed")]
    entry = plan.tasks[0].history[-1]
    assert entry["changes"] == {"deadline": ["2024-03-31", "2024-04-30"]} and entry["by"] == 7
    assert entry["tell"] == [["a1", "changed"], ["a2", "changed"]]
    assert not plan.new_assignments and not plan.unassigned


def test_a_removed_task_cancels_its_open_assignments():
    tasks, asg = published()
    after = dataclasses.replace(tasks[0], dropped=True)
    plan = run(tasks, tasks[0], after, asg)
    closed = {a.id for a in plan.changed_assignments if a.closed}
    assert closed == {"a1", "a2"}
    assert [(t.assignment_id, t.kind) for t in plan.tells] == [("a1", "cancelled"), ("a2", "cancelled")]
    assert plan.tasks[0].history[-1]["kind"] == "removed"


def test_a_new_lead_gets_the_card_and_the_old_one_is_told():
    tasks, asg = published()
    after = dataclasses.replace(tasks[0], lead=[ref("Sở Y tế")], coordinate=[ref("Sở Tài chính"), ref("Sở Nội vụ")])
    plan = run(tasks, tasks[0], after, asg)
    assert [(a.agency_id, a.role) for a in plan.new_assignments] == [(aid("Sở Y tế"), Role.LEAD)]
    changed = {a.id: a for a in plan.changed_assignments}
    assert changed["a1"].role == Role.COORDINATE and not changed["a1"].closed  # lead → coordinating, told
    assert ("a1", "changed") in [(t.assignment_id, t.kind) for t in plan.tells]
    # Công an tỉnh left the task, but its part was confirmed done: untouched, not told.
    assert "a3" not in changed


def test_an_agency_that_never_got_the_card_is_not_told():
    tasks, asg = published()
    after = dataclasses.replace(tasks[1], text="Việc hai, sửa")
    plan = run(tasks, tasks[1], after, asg)
    assert plan.tells == [] and plan.tasks[1].history[-1]["changes"]["text"] == ["Việc hai", "Việc hai, sửa"]


def test_no_lead_left_is_refused():
    tasks, asg = published()
    after = dataclasses.replace(tasks[0], lead=[{"name": "các đơn vị liên quan", "agency_id": None, "group": None,
                                                 "as_written": "các đơn vị liên quan"}])
    plan = run(tasks, tasks[0], after, asg)
    assert [t.code for t in plan.unassigned] == ["NV1"]


def test_an_added_task_gets_assignments_and_a_restored_one_reopens():
    tasks, asg = published()
    new = Task(id="n0-t1", notice_id="n0", code="", ref="3", text="Việc ba", lead=[ref("Sở Tài chính")],
               coordinate=[ref("Sở Nội vụ")])
    plan = run(tasks, None, new, asg)
    assert [(a.agency_id, a.role, a.task_id) for a in plan.new_assignments] == [
        (aid("Sở Tài chính"), Role.LEAD, "n0-t1"), (aid("Sở Nội vụ"), Role.COORDINATE, "n0-t1")]
    # Drop then restore: the cancelled assignment comes back as a fresh card (sent again).
    dropped = run(tasks, tasks[0], dataclasses.replace(tasks[0], dropped=True), asg)
    closed = {a.id: a for a in dropped.changed_assignments}
    asg2 = [closed.get(a.id, a) for a in asg]
    t0 = dropped.tasks[0]
    back = run(dropped.tasks, t0, dataclasses.replace(t0, dropped=False), asg2)
    reopened = {a.id: a for a in back.changed_assignments}
    assert not reopened["a1"].closed and reopened["a1"].sent_at is None


def test_owed_lists_every_promised_message_once():
    tasks, asg = published()
    plan = run(tasks, tasks[0], dataclasses.replace(tasks[0], text="mới"), asg)
    owed = amend.owed(plan.tasks)
    assert [amend.sent_key(t) for t in owed] == ["amend:n0-1:0:a1", "amend:n0-1:0:a2"]
