"""Amending a published notice (issue 10): the clerk's changes → what the agencies get.

Pure: the changes (:class:`bot.sheet.Change`, from a sheet or a chat command), the notice's
assignments, the directory and ``now`` in; an :class:`Amendment` out: the assignments to add
(their cards go out by the usual delivery), the assignments changed (closed, role, deadline), and
who must be told what. Each task keeps its history (who changed what, when, old → new, whom it
told), so the audit trail survives and the messages owed can be sent again after a restart.

* a new row → a new task: one assignment per agency, cards sent like at publishing;
* a changed row → every agency still on the task is told what changed; an agency no longer on it
  has its assignment cancelled (told); an agency new to it gets the card; a new deadline moves the
  open assignments' deadlines;
* a removed row → the task is dropped, its open assignments cancelled (told).

Work the office confirmed as done is left as it is and not told.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence

from bot import workflow
from bot.directory import Directory
from bot.models import Assignment, Role, Task
from bot.sheet import Change

TELL_CHANGED = "changed"
TELL_CANCELLED = "cancelled"


@dataclasses.dataclass
class Tell:
    assignment_id: str
    kind: str  # changed | cancelled
    task_id: str
    entry: int  # index of the task's history entry that says what changed


@dataclasses.dataclass
class Amendment:
    tasks: list[Task]  # the notice's tasks, history appended
    new_assignments: list[Assignment]
    changed_assignments: list[Assignment]
    tells: list[Tell]
    unassigned: list[Task]  # tasks that would have no lead agency: refused before anything is stored


def _value(task: Task, field: str):
    if field in ("lead", "coordinate"):
        return [r.get("name") or r.get("as_written") or "?" for r in getattr(task, field)]
    if field == "deadline":
        return task.deadline.isoformat() if task.deadline else None
    return getattr(task, field)


def _wanted(task: Task, directory: Directory) -> dict[str, Role]:
    """Agency id → role the task now gives it (the lead role wins)."""
    out: dict[str, Role] = {}
    for ref in task.lead:
        for agency_id in workflow.expand(ref, directory):
            out.setdefault(agency_id, Role.LEAD)
    for ref in task.coordinate:
        for agency_id in workflow.expand(ref, directory):
            out.setdefault(agency_id, Role.COORDINATE)
    return out


def _standing(task: Task, agency_id: str) -> bool:
    """As :func:`bot.workflow.plan_assignments` decides it: reached only through a group, no deadline."""
    named = {r["agency_id"] for r in (*task.lead, *task.coordinate) if r.get("agency_id")}
    collective = task.deadline is None and any(r.get("group") for r in (*task.lead, *task.coordinate))
    return collective and agency_id not in named


def amend(changes: Sequence[Change], tasks: Sequence[Task], assignments: Iterable[Assignment],
          directory: Directory, *, now: dt.datetime, by: int, new_id: Callable[[], str]) -> Amendment:
    by_task: dict[str, list[Assignment]] = {}
    for a in assignments:
        by_task.setdefault(a.task_id, []).append(dataclasses.replace(a))
    out_tasks = {t.id: t for t in tasks}
    new: list[Assignment] = []
    changed: dict[str, Assignment] = {}
    tells: list[Tell] = []
    unassigned: list[Task] = []
    for change in changes:
        task = out_tasks[change.task.id]
        entry = {"at": now.isoformat(), "by": by, "kind": change.kind, "changes": {}, "tell": []}
        if change.before is not None and change.kind == "changed":
            entry["changes"] = {f: [_value(change.before, f), _value(task, f)] for f in change.fields}
        task.history = [*task.history, entry]
        index = len(task.history) - 1
        mine = by_task.get(task.id, [])

        def tell(a: Assignment, kind: str) -> None:
            changed[a.id] = a
            if a.sent_at is not None:  # an agency that never got the card needs no notice of it
                entry["tell"].append([a.id, kind])
                tells.append(Tell(a.id, kind, task.id, index))

        if change.kind == "removed":
            for a in mine:
                if not a.closed and a.completed_at is None:
                    a.closed = True
                    tell(a, TELL_CANCELLED)
            continue
        wanted = _wanted(task, directory)
        if not any(role == Role.LEAD for role in wanted.values()):
            unassigned.append(task)
            continue
        for a in mine:
            if a.completed_at is not None:
                continue  # confirmed work stays as it was
            role = wanted.get(a.agency_id)
            if role is None:
                if not a.closed:
                    a.closed = True
                    tell(a, TELL_CANCELLED)
                continue
            if a.closed:  # back on the task: a fresh card
                a.closed, a.sent_at, a.chat_id, a.message_id = False, None, None, None
                a.role, a.deadline, a.original_deadline, a.recurring = role, task.deadline, task.deadline, task.recurring
                a.standing = _standing(task, a.agency_id)
                changed[a.id] = a
                continue
            touched = False
            if a.role != role:
                a.role = role
                touched = True
            if "deadline" in change.fields and a.deadline != task.deadline:
                a.deadline = task.deadline
                a.original_deadline = task.deadline
                touched = True
            if "recurring" in change.fields:
                a.recurring = task.recurring
                touched = True
            if change.kind == "changed" and change.fields:
                tell(a, TELL_CHANGED)
            elif touched:
                changed[a.id] = a
        for a in mine:  # a standing duty (whole group, no deadline) follows the task as it is now
            if not a.closed and a.completed_at is None and a.standing != _standing(task, a.agency_id):
                a.standing = _standing(task, a.agency_id)
                changed.setdefault(a.id, a)
        # Agencies new to the task: assignments made exactly as at publishing.
        new += workflow.plan_assignments([task], directory, existing=mine, new_id=new_id).assignments
    return Amendment(list(out_tasks.values()), new, list(changed.values()), tells, unassigned)


def owed(tasks: Iterable[Task]) -> list[Tell]:
    """Every tell the tasks' histories promise (the sent-log says which went out)."""
    out = []
    for task in tasks:
        for index, entry in enumerate(task.history):
            for assignment_id, kind in entry.get("tell", []):
                out.append(Tell(assignment_id, kind, task.id, index))
    return out


def sent_key(tell: Tell) -> str:
    return f"amend:{tell.task_id}:{tell.entry}:{tell.assignment_id}"
