"""The dashboard's JSON views, built from the store with the domain functions of /status and the digest.

Pure of HTTP and Telegram: each view takes the store, the directory, the calendar, ``now`` and the
:class:`Viewer` (who asks and what they may see) and returns a JSON-ready dict. Categories, overdue
days, completion rates and "this week" come from :mod:`bot.tracking` and :func:`bot.digest.build_data`
exactly as /status and the weekly digest count them; nothing is re-derived here.

Scope: leaders and admins see every published notice; an agency contact (a registered member of an
agency's group) sees the assignments of their own agency (lead and coordinating) and nothing else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
from pathlib import Path
from typing import Any

from bot import cards
from bot.calendar import WorkingCalendar
from bot.digest.model import Row, build_data
from bot.models import Assignment, Category, Progress, Role
from bot.texts import Raw, t
from bot.tracking import (
    CATEGORY_ORDER,
    Summary,
    category,
    category_label,
    days_overdue,
    effective_deadline,
    is_waiting_confirmation,
    progress_label,
    role_label,
    summarize,
    summarize_by_agency,
)

__all__ = ["Forbidden", "NotFoundError", "Viewer", "overview", "page_texts", "task_history", "tasks", "viewer_for"]

TEXT_SHORT = 240  # characters of a task's text in lists (the history shows it whole)
OVERDUE_LIMIT = 100  # overdue rows with their latest report in the overview (all are in the task list)
TASKS_LIMIT = 300  # rows of a task list in one answer (a phone shows no more; filters narrow it)


class Forbidden(Exception):
    """The viewer may not see this (HTTP 403)."""


class NotFoundError(Exception):
    """No such notice, agency or task in the viewer's scope (HTTP 404)."""


@dataclasses.dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    role: str  # admin | leader | agency
    agencies: tuple[str, ...] | None  # None: everything; else these agencies only

    def may_see_agency(self, agency_id: str) -> bool:
        return self.agencies is None or agency_id in self.agencies


def viewer_for(user_id: int, name: str, config: Any, store: Any) -> Viewer | None:
    """Leaders and admins see everything, agency contacts their own agencies, anybody else nothing."""
    if config.is_admin(user_id):
        return Viewer(user_id, name, "admin", None)
    if config.is_leader(user_id):
        return Viewer(user_id, name, "leader", None)
    own = tuple(store.registry.agency_of_user(user_id))
    if own:
        return Viewer(user_id, name, "agency", own)
    return None


# ------------------------------------------------------------------ loading (with a cache)


def store_fingerprint(store: Any) -> dict[str, tuple]:
    """What the data folder holds now, cheaply: every file's path (relative) → (inode, mtime, size),
    backups and the sent-log (which the dashboard never reads) aside.

    Every write of the store reaches a file of its folder before anyone is told it is recorded (a line
    appended to the journal, or a data file replaced: a new inode), so an unchanged fingerprint means
    unchanged data."""
    root = Path(store.folder)
    out: dict[str, tuple] = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if folder != root or entry.name not in _NOT_READ:
                    stack.append(Path(entry.path))
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            out[os.path.relpath(entry.path, root)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return out


_NOT_READ = {"backups", "sentlog"}


class Snapshot:
    """The published notices, their tasks and live assignments, decoded once per state of the store
    (reports are read through the store's own indexes: this week's by time, each assignment's latest)."""

    def __init__(self, store: Any, key: dict[str, tuple]):
        self.store, self.key = store, key
        self.notices = {n.id: n for n in store.notices.all_notices() if n.state == "published"}
        self.tasks = {tk.id: tk for nid in self.notices for tk in store.notices.tasks(nid)}
        self.assignments = [a for nid in self.notices for a in store.notices.assignments(notice_id=nid)
                            if not a.closed]


class Cache:
    """The latest :class:`Snapshot` and the views built on it (a view is rebuilt when the store
    changed, the minute changed, or for another viewer scope or filter)."""

    VIEWS = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._views: dict[tuple, dict[str, Any]] = {}

    def snapshot(self, store: Any) -> Snapshot:
        key = store_fingerprint(store)  # taken before reading: a write meanwhile makes the next one differ
        with self._lock:
            if self._snapshot is not None and self._snapshot.key == key and self._snapshot.store is store:
                return self._snapshot
        snap = Snapshot(store, key)
        with self._lock:
            self._snapshot = snap
            self._views = {}
        return snap

    def view(self, key: tuple, build) -> dict[str, Any]:
        with self._lock:
            found = self._views.get(key)
        if found is None:
            found = build()
            with self._lock:
                if len(self._views) >= self.VIEWS:
                    self._views.pop(next(iter(self._views)))
                self._views[key] = found
        return found


@dataclasses.dataclass
class _World:
    notices: dict[str, Any]
    tasks: dict[str, Any]
    assignments: list[Assignment]  # published, not closed, in scope and filters
    snapshot: Snapshot


def _load(snap: Snapshot, viewer: Viewer, *, notice: str | None = None, agency: str | None = None) -> _World:
    notices = snap.notices
    if notice:
        if notice not in notices:
            raise NotFoundError(f"notice {notice!r}")
        notices = {notice: notices[notice]}
    if agency and not viewer.may_see_agency(agency):
        raise Forbidden(f"agency {agency!r}")
    wanted = (agency,) if agency else viewer.agencies
    assignments = [a for a in snap.assignments
                   if a.notice_id in notices and (wanted is None or a.agency_id in wanted)]
    return _World(notices, snap.tasks, assignments, snap)


def _agency_name(directory: Any, agency_id: str) -> str:
    return cards.agency_name(directory, agency_id)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: dt.datetime | None, cal: WorkingCalendar) -> str | None:
    return cal.local(value).isoformat(timespec="minutes") if value is not None else None


def _short(text: str, limit: int = TEXT_SHORT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _summary_json(s: Summary) -> dict[str, Any]:
    return {
        "counts": {c.value: s.counts.get(c, 0) for c in CATEGORY_ORDER},
        "total": s.total,
        "due": s.due,
        "done": s.done,
        "rate": s.completion_rate,
        "rate_text": s.rate_text(),
        # Standing duties of every agency: counted apart, as /status and the digest do.
        "standing": getattr(s, "standing", 0),
        "standing_tasks": getattr(s, "standing_tasks", 0),
    }


def _status_text(a: Assignment, today: dt.date, cal: WorkingCalendar) -> str:
    return cards.assignment_status(a, today, cal)


def _row_json(a: Assignment, task: Any, notice: Any, directory: Any, today: dt.date, cal: WorkingCalendar,
              *, cat: Category | None = None, days: int | None = None) -> dict[str, Any]:
    cat = cat if cat is not None else category(a, today, cal)
    return {
        "assignment": a.id,
        "task": a.task_id,
        "code": task.code if task else a.task_id,
        "ref": task.ref if task else "",
        "text": _short(task.text if task else ""),
        "notice": a.notice_id,
        "notice_number": (notice.number or "") if notice else "",
        "agency": a.agency_id,
        "agency_name": _agency_name(directory, a.agency_id),
        "role": a.role.value,
        "role_label": role_label(a.role),
        "deadline": _date(effective_deadline(a, cal)),
        "recurring": a.recurring,
        "category": cat.value,
        "category_label": category_label(cat),
        "status": _status_text(a, today, cal),
        "days_overdue": days if days is not None else days_overdue(a, today, cal),
        "progress": a.progress.value,
        "waiting": is_waiting_confirmation(a),
        "standing": _standing(a),
        "last_report_at": _when(a.last_report_at, cal),
    }


def _standing(a: Assignment) -> bool:
    try:
        from bot.tracking import is_standing
    except ImportError:  # before standing duties existed
        return False
    return is_standing(a)


def _report_json(r: Any, cal: WorkingCalendar) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": _when(r.at, cal),
        "author": r.author_name,
        "status": r.status.value,
        "status_label": progress_label(r.status) if r.status != Progress.NONE else "",
        "text": r.text or "",
        "files": [f.name or (t("dashboard.photo") if f.kind == "photo" else t("dashboard.file")) for f in r.files],
        "edited": len(r.history),
        "source": r.source,
    }


def _filters(snap: Snapshot, directory: Any, viewer: Viewer, world: _World) -> dict[str, Any]:
    notices = sorted(snap.notices.values(),
                     key=lambda n: (n.issued_on or dt.date.min, n.number or ""), reverse=True)
    if viewer.agencies is None:  # the province's agencies and any other agency with a task here
        agency_ids = {a.id for a in directory.agencies} | {a.agency_id for a in world.assignments}
    else:
        agency_ids = set(viewer.agencies)
    agencies = sorted(({"id": aid, "name": _agency_name(directory, aid)} for aid in agency_ids),
                      key=lambda x: x["name"])
    return {
        "notices": [{"id": n.id, "number": n.number or "", "issued_on": _date(n.issued_on),
                     "title": _short(n.title or "", 120)} for n in notices],
        "agencies": agencies,
        "categories": [{"id": c.value, "label": category_label(c)} for c in CATEGORY_ORDER],
    }


def _me(viewer: Viewer, directory: Any) -> dict[str, Any]:
    return {
        "id": viewer.user_id,
        "name": viewer.name,
        "role": viewer.role,
        "role_label": t(f"dashboard.role_{viewer.role}"),
        "agencies": None if viewer.agencies is None else [
            {"id": aid, "name": _agency_name(directory, aid)} for aid in viewer.agencies],
    }


# ------------------------------------------------------------------ views


class _Calendar:
    """The working calendar with its (pure) effective deadline remembered for one view: the same few
    hundred deadlines are shifted for thousands of assignments, several times each."""

    def __init__(self, cal: WorkingCalendar):
        self._cal = cal
        self._shifted: dict[Any, Any] = {}

    def effective_deadline(self, day):
        try:
            return self._shifted[day]
        except KeyError:
            value = self._shifted[day] = self._cal.effective_deadline(day)
            return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cal, name)


def _minute(now: dt.datetime) -> str:
    return now.isoformat(timespec="minutes")


def overview(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer, *,
             notice: str | None = None, agency: str | None = None, cache: Cache | None = None) -> dict[str, Any]:
    """The province (or the viewer's agency) at a glance: categories, completion rate, this week,
    the table by agency (overdue first) with its chart data, and the overdue tasks with their latest report."""
    cache = cache or Cache()
    snap = cache.snapshot(store)
    if agency and not viewer.may_see_agency(agency):
        raise Forbidden(f"agency {agency!r}")
    key = ("overview", viewer.agencies, notice, agency, _minute(now))
    view = cache.view(key, lambda: _overview(snap, directory, cal, now, viewer, notice=notice, agency=agency))
    return {**view, "me": _me(viewer, directory)}


def _overview(snap: Snapshot, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer, *,
              notice: str | None, agency: str | None) -> dict[str, Any]:
    cal = _Calendar(cal)  # type: ignore[assignment]
    world = _load(snap, viewer, notice=notice, agency=agency)
    local = cal.local(now)
    week_start = local - dt.timedelta(days=7)
    # This week's reports through the store's index of times (only those are decoded): of the whole
    # province at once, or of each assignment in a narrower view (a notice, an agency).
    if viewer.agencies is None and agency is None and notice is None:
        week_reports = snap.store.notices.reports(since=week_start)
    else:
        week_reports = [r for a in world.assignments
                        for r in snap.store.notices.reports(assignment_id=a.id, since=week_start)]
    agencies = {aid: directory.get(aid) for aid in {a.agency_id for a in world.assignments}}
    data = build_data(now, world.notices, world.tasks, world.assignments, week_reports,
                      {k: v for k, v in agencies.items() if v is not None}, cal, since=week_start)
    today = data.today
    one_agency = agency is not None or (viewer.agencies is not None and len(viewer.agencies) == 1)
    # The province counts lead (chủ trì) assignments, as /status and the digest; an agency its own
    # assignments, lead and coordinating, as /status <agency>.
    province = viewer.agencies is None and agency is None
    summary = summarize(world.assignments, today, cal, lead_only=province)
    if one_agency:
        overdue_rows = [r for r in data.rows if r.category == Category.OPEN_OVERDUE
                        and not is_waiting_confirmation(r.assignment)]
        overdue_rows.sort(key=lambda r: (-r.days_overdue, r.agency_name, r.code))
    else:
        overdue_rows = data.overdue
    overdue_out = []
    latest = snap.store.notices.last_reports([r.assignment.id for r in overdue_rows[:OVERDUE_LIMIT]], until=now)
    for row in overdue_rows[:OVERDUE_LIMIT]:
        item = _row_from_digest(row, world, directory, today, cal)
        report = latest.get(row.assignment.id)
        item["last_report"] = _report_json(report, cal) if report else None
        overdue_out.append(item)

    per_agency = summarize_by_agency(world.assignments, today, cal)
    table = []
    for aid, s in per_agency.items():
        table.append({"id": aid, "name": _agency_name(directory, aid), **_summary_json(s),
                      "overdue": s.counts[Category.OPEN_OVERDUE]})
    table.sort(key=lambda r: (-r["overdue"], -(r["total"]), r["name"]))
    return {
        "today": today.isoformat(),
        "now": local.isoformat(timespec="minutes"),
        "scope": {"notice": notice, "agency": agency,
                  "lead_only": province,
                  "agency_name": _agency_name(directory, agency) if agency else None},
        "categories": [{"id": c.value, "label": category_label(c)} for c in CATEGORY_ORDER],
        "summary": _summary_json(summary),
        "week": {
            "since": week_start.isoformat(timespec="minutes"),
            "reports": len(data.new_reports),
            "completed": len(data.completed),
            "newly_overdue": len(data.newly_overdue),
            "extensions": len(data.extensions),
            "completed_items": [_row_from_digest(r, world, directory, today, cal) for r in data.completed[:20]],
            "newly_overdue_items": [_row_from_digest(r, world, directory, today, cal)
                                    for r in data.newly_overdue[:20]],
        },
        "agencies": table,
        "overdue": overdue_out,
        "overdue_total": len(overdue_rows),
        "notices": len(world.notices) if viewer.agencies is None else len({a.notice_id for a in world.assignments}),
        "filters": _filters(snap, directory, viewer, world),
    }


def _row_from_digest(row: Row, world: _World, directory: Any, today: dt.date, cal: WorkingCalendar) -> dict:
    a = row.assignment
    return _row_json(a, world.tasks.get(a.task_id), world.notices.get(a.notice_id), directory, today, cal,
                     cat=row.category, days=row.days_overdue)


def tasks(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer, *,
          notice: str | None = None, agency: str | None = None, category_id: str | None = None,
          cache: Cache | None = None) -> dict[str, Any]:
    """The assignments in scope and filters (overdue first, longest overdue first, then by deadline)."""
    wanted: Category | None = None
    if category_id:
        try:
            wanted = Category(category_id)
        except ValueError:
            raise NotFoundError(f"category {category_id!r}") from None
    if agency and not viewer.may_see_agency(agency):
        raise Forbidden(f"agency {agency!r}")
    cache = cache or Cache()
    snap = cache.snapshot(store)
    key = ("tasks", viewer.agencies, notice, agency, category_id, cal.today(now).isoformat())
    view = cache.view(key, lambda: _tasks(snap, directory, cal, now, viewer, notice=notice, agency=agency,
                                          category_id=category_id, wanted=wanted))
    return {**view, "me": _me(viewer, directory)}


def _tasks(snap: Snapshot, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer, *,
           notice: str | None, agency: str | None, category_id: str | None, wanted: Category | None) -> dict:
    cal = _Calendar(cal)  # type: ignore[assignment]
    world = _load(snap, viewer, notice=notice, agency=agency)
    today = cal.today(now)
    rows = []
    for a in world.assignments:
        cat = category(a, today, cal)
        if wanted is not None and (cat != wanted or _standing(a)):
            continue
        rows.append((a, cat, days_overdue(a, today, cal)))
    rows.sort(key=lambda x: (x[1] != Category.OPEN_OVERDUE, -x[2], effective_deadline(x[0], cal) or dt.date.max,
                             x[0].role != Role.LEAD, x[0].id))
    return {
        "today": today.isoformat(),
        "scope": {"notice": notice, "agency": agency, "category": category_id,
                  "agency_name": _agency_name(directory, agency) if agency else None},
        "total": len(rows),
        "tasks": [_row_json(a, world.tasks.get(a.task_id), world.notices.get(a.notice_id), directory, today, cal,
                            cat=cat, days=days) for a, cat, days in rows[:TASKS_LIMIT]],
    }


def task_history(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer,
                 task_id: str, cache: Cache | None = None) -> dict[str, Any]:
    """One task with, for each assignment in scope: its status, reports (files named), confirmation
    and extensions, oldest first."""
    task = store.notices.task(task_id)
    notice = store.notices.notice(task.notice_id) if task is not None else None
    if task is None or notice is None or notice.state != "published":
        raise NotFoundError(f"task {task_id!r}")
    assignments = [a for a in store.notices.assignments(notice_id=task.notice_id)
                   if a.task_id == task.id and not a.closed]
    mine = [a for a in assignments if viewer.may_see_agency(a.agency_id)]
    if not mine:
        raise Forbidden(f"task {task_id!r}") if assignments else NotFoundError(f"task {task_id!r}")
    today = cal.today(now)
    out = []
    for a in sorted(mine, key=lambda a: (a.role != Role.LEAD, _agency_name(directory, a.agency_id))):
        item = _row_json(a, task, notice, directory, today, cal)
        item["text"] = task.text
        item["original_deadline"] = _date(a.original_deadline)
        item["sent_at"] = _when(a.sent_at, cal)
        item["done_reported_at"] = _when(a.done_reported_at, cal)
        item["completed_at"] = _when(a.completed_at, cal)
        item["confirmed"] = a.completed_at is not None
        item["reports"] = [_report_json(r, cal) for r in store.notices.reports(assignment_id=a.id)]
        item["extensions"] = [{
            "requested_at": _when(e.requested_at, cal),
            "new_deadline": _date(e.new_deadline),
            "previous_deadline": _date(e.previous_deadline),
            "reason": e.reason,
            "decision": e.decision,
            "decision_label": t(f"progress.decision_{e.decision or 'pending'}"),
            "decided_at": _when(e.decided_at, cal),
        } for e in a.extensions]
        out.append(item)
    return {
        "me": _me(viewer, directory),
        "today": today.isoformat(),
        "task": {"id": task.id, "code": task.code, "ref": task.ref, "text": task.text,
                 "deadline_text": task.deadline_text, "notice": notice.id, "notice_number": notice.number or "",
                 "notice_title": notice.title or ""},
        "assignments": out,
    }


PAGE_KEYS = (
    "title", "loading", "refused", "refused_hint", "open_in_telegram", "error", "retry", "overview", "agencies",
    "overdue", "tasks", "history", "all_notices", "all_agencies", "all_categories", "filter_notice",
    "filter_agency", "filter_category", "rate", "rate_hint", "rate_none", "due", "total", "lead_only",
    "agency_scope", "week", "week_reports", "week_completed", "week_newly_overdue", "week_extensions",
    "col_agency", "col_overdue", "col_total", "col_done", "col_open", "col_rate", "sort_hint", "chart",
    "chart_hint", "days_overdue", "deadline", "no_deadline", "latest_report", "no_report", "back", "reports",
    "files", "confirmed", "waiting", "extensions", "requested", "no_tasks", "no_overdue", "more", "role",
    "sent", "edited", "as_of", "show_tasks", "completed_on", "days_late", "standing", "standing_badge",
)


def page_texts() -> dict[str, str]:
    """The page's words, from the catalogue (``[dashboard.page]``): the page carries none of its own."""
    # Placeholders ({days}, {count}) stay in: the page fills them.
    keep = {name: Raw("{" + name + "}") for name in ("days", "count", "assignments")}
    return {key: t(f"dashboard.page.{key}", **keep) for key in PAGE_KEYS}
