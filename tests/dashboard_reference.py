"""The dashboard's views rebuilt from scratch on every call, through the digest's ``build_data``: the
implementation before views were kept incrementally, kept as the oracle the incremental views must
equal (tests/test_dashboard_incremental.py). Slow by design; never used by the bot."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.calendar import WorkingCalendar
from bot.dashboard import api
from bot.dashboard.api import (
    OVERDUE_LIMIT,
    TASKS_LIMIT,
    Forbidden,
    NotFoundError,
    Viewer,
    _agency_name,
    _date,
    _me,
    _report_json,
    _row_json,
    _short,
    _standing,
    _summary_json,
)
from bot.digest.model import build_data
from bot.models import Assignment, Category, Role
from bot.tracking import (
    CATEGORY_ORDER,
    category,
    category_label,
    days_overdue,
    effective_deadline,
    is_waiting_confirmation,
    summarize,
    summarize_by_agency,
)


class Snapshot:
    def __init__(self, store: Any):
        self.store = store
        self.notices = {n.id: n for n in store.notices.all_notices() if n.state == "published"}
        self.tasks = {tk.id: tk for nid in self.notices for tk in store.notices.tasks(nid)}
        self.assignments = [a for nid in self.notices for a in store.notices.assignments(notice_id=nid)
                            if not a.closed]


@dataclasses.dataclass
class _World:
    notices: dict[str, Any]
    tasks: dict[str, Any]
    assignments: list[Assignment]


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
    return _World(notices, snap.tasks, assignments)


def _filters(snap: Snapshot, directory: Any, viewer: Viewer, world: _World) -> dict[str, Any]:
    notices = sorted(snap.notices.values(),
                     key=lambda n: (n.issued_on or dt.date.min, n.number or ""), reverse=True)
    if viewer.agencies is None:
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


def _row_from_digest(row, world: _World, directory: Any, today: dt.date, cal: WorkingCalendar) -> dict:
    a = row.assignment
    return _row_json(a, world.tasks.get(a.task_id), world.notices.get(a.notice_id), directory, today, cal,
                     cat=row.category, days=row.days_overdue)


def overview(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer, *,
             notice: str | None = None, agency: str | None = None) -> dict[str, Any]:
    snap = Snapshot(store)
    if agency and not viewer.may_see_agency(agency):
        raise Forbidden(f"agency {agency!r}")
    world = _load(snap, viewer, notice=notice, agency=agency)
    local = cal.local(now)
    week_start = local - dt.timedelta(days=7)
    if viewer.agencies is None and agency is None and notice is None:
        week_reports = store.notices.reports(since=week_start)
    else:
        week_reports = [r for a in world.assignments
                        for r in store.notices.reports(assignment_id=a.id, since=week_start)]
    agencies = {aid: directory.get(aid) for aid in {a.agency_id for a in world.assignments}}
    data = build_data(now, world.notices, world.tasks, world.assignments, week_reports,
                      {k: v for k, v in agencies.items() if v is not None}, cal, since=week_start)
    today = data.today
    one_agency = agency is not None or (viewer.agencies is not None and len(viewer.agencies) == 1)
    province = viewer.agencies is None and agency is None
    summary = summarize(world.assignments, today, cal, lead_only=province)
    if one_agency:
        overdue_rows = [r for r in data.rows if r.category == Category.OPEN_OVERDUE
                        and not is_waiting_confirmation(r.assignment)]
        overdue_rows.sort(key=lambda r: (-r.days_overdue, r.agency_name, r.code))
    else:
        overdue_rows = data.overdue
    overdue_out = []
    latest = store.notices.last_reports([r.assignment.id for r in overdue_rows[:OVERDUE_LIMIT]], until=now)
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
        "scope": {"notice": notice, "agency": agency, "lead_only": province,
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
        "me": _me(viewer, directory),
    }


def tasks(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer, *,
          notice: str | None = None, agency: str | None = None, category_id: str | None = None) -> dict[str, Any]:
    wanted = Category(category_id) if category_id else None
    if agency and not viewer.may_see_agency(agency):
        raise Forbidden(f"agency {agency!r}")
    world = _load(Snapshot(store), viewer, notice=notice, agency=agency)
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
        "me": _me(viewer, directory),
    }


assert api  # the module under comparison
