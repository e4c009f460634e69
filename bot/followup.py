"""Reminders and the weekly digest over the store: what the scheduler runs (no Telegram here).

Both are driven by one periodic tick: each tick plans what is due at ``now`` and the
sent-log (in the store) says what already went out, so a tick missed while the bot
was down is made up once at the next tick, and nothing goes out twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from bot.calendar import WorkingCalendar
from bot.digest import Digest, DigestSettings, build_digest
from bot.digest.chart import ChartJob
from bot.reminders import Reminder, ReminderSettings, plan_reminders, render_reminder_parts


def published(store: Any):
    """(notices, tasks, assignments) of the published notices."""
    notices = {n.id: n for n in store.notices.all_notices() if n.state == "published"}
    tasks = {t.id: t for nid in notices for t in store.notices.tasks(nid)}
    assignments = [a for nid in notices for a in store.notices.assignments(notice_id=nid)]
    return notices, tasks, assignments


@dataclasses.dataclass
class Outgoing:
    chat_id: int
    parts: list[str]
    keys: list[str]  # sent-log keys to record once delivered


def due_reminders(store: Any, directory: Any, now: dt.datetime, cal: WorkingCalendar,
                  settings: ReminderSettings, office_chat_ids: list[int],
                  leader_ids: list[int] = ()) -> list[Outgoing]:
    """The reminder messages due at ``now``; escalations go to the office group and to each leader."""
    notices, tasks, assignments = published(store)
    chats: dict[str, list[int]] = {}
    for binding in store.registry.all_chats():
        chats.setdefault(binding.agency_id, []).append(binding.chat_id)
    plan: list[Reminder] = plan_reminders(now, assignments, chats, store.sentlog.was_sent, settings, cal,
                                          office_chat_ids=office_chat_ids)
    agencies = {a.id: a for a in directory.agencies}
    for r in plan:
        for item in r.items:
            if item.assignment.agency_id not in agencies:
                agency = directory.get(item.assignment.agency_id)
                if agency is not None:
                    agencies[agency.id] = agency
    out = []
    for r in plan:
        parts = render_reminder_parts(r, tasks, notices, agencies)
        for chat_id in r.chat_ids[:1]:  # the agency's first group, or the office group for escalations
            out.append(Outgoing(chat_id, parts, [r.key, *r.keys]))
        if r.agency_id is None:  # escalations: leaders too, in private, each copy logged on its own
            for leader in leader_ids:
                own = f"{r.key}@{leader}"
                if not store.sentlog.was_sent(own):
                    out.append(Outgoing(leader, parts, [own]))
    return out


def digest_slot(now: dt.datetime, cal: WorkingCalendar, settings: DigestSettings) -> tuple[str, dt.datetime] | None:
    """The latest weekly digest due at or before ``now``: (sent-log key, when it was due).

    The digest is due on the configured weekday and time; when that day is not a working day
    (a holiday, Tết) it moves to the next working day. A digest missed while the bot was down
    is therefore still due after the weekend, until the next one replaces it.
    """
    local = cal.local(now)
    monday = local.date() - dt.timedelta(days=local.weekday())
    for weeks_back in (0, 1, 2):
        nominal = monday + dt.timedelta(days=settings.weekday_index - 7 * weeks_back)
        day = nominal if cal.is_working_day(nominal) else cal.next_working_day(nominal)
        due = dt.datetime.combine(day, settings.at, tzinfo=local.tzinfo)
        if due <= local:
            return f"digest:{nominal.isoformat()}", due
    return None


def digest_due(now: dt.datetime, cal: WorkingCalendar, settings: DigestSettings, was_sent,
               hours: tuple[dt.time, dt.time] | None = None,
               first_start: dt.datetime | None = None) -> str | None:
    """The sent-log key of the digest to send now, or None (not due, or sent already).

    A digest made up after its day (the bot was down) goes only on a working day within
    ``hours`` (the reminders' sending hours), not at night. A digest due before the bot's very
    first start (``first_start``) is never owed: there was no bot that week.
    """
    slot = digest_slot(now, cal, settings)
    if slot is None or was_sent(slot[0]):
        return None
    if first_start is not None and slot[1] <= first_start:
        return None
    local = cal.local(now)
    if hours is not None:
        due = slot[1]
        if local.date() == due.date():  # its own day: until the end of the sending hours (or an hour later)
            latest = max(hours[1], (due + dt.timedelta(hours=1)).time()) if due.hour < 23 else dt.time(23, 59)
            if local.time() > latest:
                return None
        elif not cal.is_working_day(local.date()) or not hours[0] <= local.time() <= hours[1]:
            return None
    return slot[0]


def previous_slot_time(now: dt.datetime, cal: WorkingCalendar, settings: DigestSettings) -> dt.datetime | None:
    """When the digest before the one due at ``now`` was due: the start of "this week"."""
    slot = digest_slot(now, cal, settings)
    if slot is None:
        return None
    earlier = digest_slot(slot[1] - dt.timedelta(minutes=1), cal, settings)
    return earlier[1] if earlier else None


def make_digest(store: Any, directory: Any, now: dt.datetime, cal: WorkingCalendar,
                settings: DigestSettings, since: dt.datetime | None = None) -> Digest:
    # The chart in a child process, started first (it loads matplotlib meanwhile): matplotlib never
    # stays in the bot's memory, and it draws on another core while the workbook and report are written.
    chart = ChartJob() if settings.chart_process else None
    try:
        return _make_digest(store, directory, now, cal, settings, since, chart)
    except BaseException:
        if chart is not None:
            chart.cancel()
        raise


def _make_digest(store: Any, directory: Any, now: dt.datetime, cal: WorkingCalendar,
                 settings: DigestSettings, since: dt.datetime | None, chart: ChartJob | None) -> Digest:
    notices, tasks, assignments = published(store)
    # Only what the digest shows, from the store's indexes: who reported this week (heads, no text
    # decoded) and each assignment's latest report, never the year's history.
    week_start = since if since is not None else now - dt.timedelta(days=7)
    week = store.notices.report_heads(since=week_start - dt.timedelta(days=1), until=now, notice_ids=notices)
    last = store.notices.last_reports([a.id for a in assignments if not a.closed], until=now)
    agencies = {a.id: a for a in directory.agencies}
    for a in assignments:
        if a.agency_id not in agencies and directory.get(a.agency_id) is not None:
            agencies[a.agency_id] = directory.get(a.agency_id)
    return build_digest(now, notices, tasks, assignments, week, agencies, cal, settings, since=since,
                        last_reports=last, chart_job=chart)


FIRST_START_KEY = "bot:first-start"


def first_start(store: Any, now: dt.datetime) -> dt.datetime:
    """When this bot first ran on its data folder, recorded (durably) the first time it is asked.

    A data folder from before this was recorded counts from its oldest sent-log entry or notice,
    so an upgrade does not forget a digest it still owes.
    """
    entry = store.sentlog.entry(FIRST_START_KEY)
    if entry is not None:
        return entry.at
    earliest = now
    for e in store.sentlog.entries():
        earliest = min(earliest, e.at)
        break  # oldest first
    for n in store.notices.all_notices():
        if n.created_at is not None:
            earliest = min(earliest, n.created_at)
    store.sentlog.mark_sent(FIRST_START_KEY, earliest, {"recorded_at": now.isoformat()})
    return earliest


def calendar_warning_due(now: dt.datetime, cal: WorkingCalendar, was_sent,
                         hours: tuple[dt.time, dt.time]) -> tuple[str, int] | None:
    """(sent-log key, year) of the warning owed to the office that a year's official days off are
    missing from the calendar data: from 1 December for the coming year, once per year, on a
    working day within the sending hours."""
    local = cal.local(now)
    year = cal.coverage_warning(local.date())
    if year is None or not cal.is_working_day(local.date()) or not hours[0] <= local.time() <= hours[1]:
        return None
    key = f"calendar-missing:{year}"
    return None if was_sent(key) else (key, year)
