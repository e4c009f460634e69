"""The digest's settings and its data view: everything the message and the files show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from bot.calendar import WorkingCalendar
from bot.models import Agency, Assignment, Category, Extension, Notice, Progress, Report, Role, Task
from bot.tracking import (
    Summary,
    category,
    days_overdue,
    effective_deadline,
    is_standing,
    is_waiting_confirmation,
    summarize,
    summarize_by_agency,
)

__all__ = ["DigestData", "DigestSettings", "DigestSettingsError", "Row", "build_data"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_VI_WEEKDAYS = {"thu-2": 0, "thu-3": 1, "thu-4": 2, "thu-5": 3, "thu-6": 4, "thu-7": 5, "chu-nhat": 6}


class DigestSettingsError(ValueError):
    """A [digest] setting that cannot be used (one-line message)."""


@dataclasses.dataclass
class DigestSettings:
    weekday: str = "friday"
    time: str = "16:00"
    # Word report header (the office fills the number and date by hand or in its system)
    issuer_parent: str = "UBND TỈNH ..."
    issuer: str = "VĂN PHÒNG"
    number_suffix: str = "BC-VP"
    place: str = "..."
    max_items: int = 20  # per list in the message; everything is in the workbook
    # The chart drawn by a short-lived child process (matplotlib never stays in the bot's memory,
    # and it draws on another core meanwhile); false: in the bot's own process.
    chart_process: bool = True

    def __post_init__(self) -> None:
        day = str(self.weekday).strip().lower()
        if day in WEEKDAYS:
            self.weekday_index = WEEKDAYS.index(day)
        elif day in _VI_WEEKDAYS:
            self.weekday_index = _VI_WEEKDAYS[day]
        else:
            raise DigestSettingsError(
                f"[digest] weekday: {self.weekday!r} is not a day name (monday ... sunday)"
            )
        m = re.fullmatch(r"\s*(\d{1,2})[:hH](\d{2})\s*", str(self.time))
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise DigestSettingsError(f"[digest] time: {self.time!r} is not a time of day (HH:MM)")
        self.at = dt.time(int(m.group(1)), int(m.group(2)))
        if not isinstance(self.max_items, int) or self.max_items < 1:
            raise DigestSettingsError(f"[digest] max_items: {self.max_items!r} must be a positive number")

    @property
    def ptb_day(self) -> int:
        """The weekday in PTB 22's ``run_daily`` numbering (Sunday = 0 ... Saturday = 6)."""
        return (self.weekday_index + 1) % 7


@dataclasses.dataclass
class Row:
    """One assignment as the digest shows it."""

    assignment: Assignment
    notice_number: str
    ref: str
    code: str
    task_text: str
    agency_name: str
    deadline: dt.date | None  # effective (after approved extensions and the art. 148 shift)
    category: Category
    days_overdue: int  # calendar days
    last_report: Report | None

    @property
    def standing(self) -> bool:
        """A standing duty of every agency: counted apart, never "silent"."""
        return is_standing(self.assignment)

    @property
    def role(self) -> Role:
        return self.assignment.role

    @property
    def progress(self) -> Progress:
        return self.assignment.progress


@dataclasses.dataclass
class DigestData:
    now: dt.datetime  # local time
    today: dt.date
    week_start: dt.datetime  # the week is (week_start, now]
    summary: Summary  # official: lead assignments
    agencies: list[tuple[str, Summary]]  # (agency name, summary incl. coordinating), by name
    rows: list[Row]  # every assignment not closed, in notice/item order
    new_reports: list[tuple[Report, Row]]
    completed: list[Row]  # confirmed this week
    newly_overdue: list[Row]  # deadline passed this week, still open (lead)
    extensions: list[tuple[Extension, Row]]  # approved this week
    overdue: list[Row]  # open and overdue (lead), longest first
    blockers: list[Row]  # open, last said "vướng mắc" (any role)
    silent: list[tuple[str, int]]  # (agency name, open assignments) without a report this week
    waiting: list[Row]  # reported done, waiting for the office's confirmation (any role)
    notices: int
    # The notices followed, in order, each with its rows (every assignment not closed) in item order.
    by_notice: list[tuple[Notice, list[Row]]] = dataclasses.field(default_factory=list)


T = TypeVar("T")


def index(items: Mapping[str, T] | Iterable[T] | None) -> dict[str, T]:
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return dict(items)
    return {getattr(x, "id"): x for x in items}


def _ref_key(ref: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\s]+", ref or "") if p)


def _notice_key(number: str) -> tuple:
    m = re.match(r"\s*(\d+)", number or "")
    return (int(m.group(1)) if m else 10**9, number or "")


def build_data(
    now: dt.datetime,
    notices: Mapping[str, Notice] | Iterable[Notice],
    tasks: Mapping[str, Task] | Iterable[Task],
    assignments: Iterable[Assignment],
    reports: Iterable[Report],
    agencies: Mapping[str, Agency] | Iterable[Agency],
    cal: WorkingCalendar,
    settings: DigestSettings | None = None,
    since: dt.datetime | None = None,
    last_reports: Mapping[str, Report] | None = None,
) -> DigestData:
    """The digest's data at ``now``; "this week" is (since, now], by default the last 7 days
    (the scheduler passes the previous digest's time, so that nothing falls between two digests).

    ``reports`` are read for this week's (only ``id``, ``assignment_id``, ``agency_id`` and ``at``
    are used: :class:`storage.summaries.ReportHead` will do) and, unless ``last_reports`` (assignment
    id -> its latest report at or before ``now``, as the store keeps them) is given, for each
    assignment's latest."""
    notices_i, tasks_i, agencies_i = index(notices), index(tasks), index(agencies)
    local = cal.local(now)
    today = local.date()
    week_start = cal.local(since) if since is not None else local - dt.timedelta(days=7)
    live = [a for a in assignments if not a.closed]
    by_id = {a.id: a for a in live}

    last: dict[str, Report] = {}
    if last_reports is not None:
        last = {aid: r for aid, r in last_reports.items() if aid in by_id and r.at <= now}
    week_reports: list[Report] = []
    for r in reports:
        if r.assignment_id not in by_id or r.at > now:
            continue
        if last_reports is None:
            previous = last.get(r.assignment_id)
            if previous is None or r.at >= previous.at:
                last[r.assignment_id] = r
        if r.at > week_start:
            week_reports.append(r)

    def agency_name(agency_id: str) -> str:
        agency = agencies_i.get(agency_id)
        return agency.name if agency else agency_id

    rows: dict[str, Row] = {}
    for a in live:
        task = tasks_i.get(a.task_id)
        notice = notices_i.get(a.notice_id)
        rows[a.id] = Row(
            assignment=a,
            notice_number=(notice.number or "") if notice else "",
            ref=task.ref if task else "",
            code=task.code if task else a.task_id,
            task_text=task.text if task else "",
            agency_name=agency_name(a.agency_id),
            deadline=effective_deadline(a, cal),
            category=category(a, today, cal),
            days_overdue=days_overdue(a, today, cal),
            last_report=last.get(a.id),
        )
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            _notice_key(r.notice_number),
            _ref_key(r.ref),
            r.role != Role.LEAD,
            r.agency_name,
        ),
    )
    lead = [r for r in ordered if r.role == Role.LEAD]
    # Work the agency reported done, waiting for the office's confirmation: not the agency's delay.
    waiting = [r for r in ordered if is_waiting_confirmation(r.assignment)]
    is_open = lambda r: r.assignment.completed_at is None and not is_waiting_confirmation(r.assignment)  # noqa: E731

    completed = [
        r for r in ordered
        if r.assignment.completed_at is not None and week_start < r.assignment.completed_at <= now
    ]
    newly_overdue = [
        r for r in lead
        if r.category == Category.OPEN_OVERDUE and is_open(r) and r.deadline is not None
        and week_start.date() <= r.deadline < today
    ]
    extensions = [
        (e, rows[a.id]) for a in live for e in a.extensions
        if e.decision == "approved" and e.decided_at is not None and week_start < e.decided_at <= now
    ]
    extensions.sort(key=lambda pair: pair[0].decided_at)
    overdue = sorted(
        (r for r in lead if r.category == Category.OPEN_OVERDUE and is_open(r)),
        key=lambda r: (-r.days_overdue, r.agency_name, r.code),
    )
    blockers = [r for r in ordered if is_open(r) and r.progress == Progress.BLOCKED]
    reported = {r.agency_id for r in week_reports}
    open_count: dict[str, int] = {}
    for r in ordered:
        if is_open(r) and not r.standing and r.assignment.sent_at is not None and r.assignment.sent_at <= now:
            open_count[r.assignment.agency_id] = open_count.get(r.assignment.agency_id, 0) + 1
    silent = sorted(
        ((agency_name(aid), n) for aid, n in open_count.items() if aid not in reported),
        key=lambda pair: (-pair[1], pair[0]),
    )
    per_agency = summarize_by_agency(live, today, cal)
    agencies_out = sorted(((agency_name(aid), s) for aid, s in per_agency.items()), key=lambda p: p[0])
    week_reports.sort(key=lambda r: r.at)
    grouped: dict[str, list[Row]] = {}
    for r in ordered:
        grouped.setdefault(r.assignment.notice_id, []).append(r)
    by_notice = [(notices_i[nid], rows_) for nid, rows_ in grouped.items() if nid in notices_i]
    return DigestData(
        now=local,
        today=today,
        week_start=week_start,
        summary=summarize(live, today, cal),
        agencies=agencies_out,
        rows=ordered,
        new_reports=[(r, rows[r.assignment_id]) for r in week_reports],
        completed=completed,
        newly_overdue=newly_overdue,
        extensions=extensions,
        overdue=overdue,
        blockers=blockers,
        silent=silent,
        waiting=waiting,
        notices=len({a.notice_id for a in live}),
        by_notice=by_notice,
    )
