"""Pure reminder planning: given ``now``, the assignments and a sent-log, what to send.

The caller (a JobQueue job) runs :func:`plan_reminders` at the configured hour on
working days (and once at start-up: a run missed while the bot was down is caught
up), sends each :class:`Reminder` rendered with :func:`render_reminder`, and then
records every key of :attr:`Reminder.keys` in the sent-log. Running the planner
again with the same log plans nothing new.

Reasons and the day each one concerns (working days, effective deadline ``E`` =
deadline after approved extensions, shifted by Civil Code art. 148(5)):

* ``before``: ``N`` working days before ``E`` for each ``N`` in ``before_days``.
  Only the most recent one that has fallen due is sent: with [3, 1], a bot down on
  the "3 days" day and back on the "1 day" day sends the "1 day" one only. A
  "before" reminder whose day fell before the task was sent to the agency is stale.
  Key ``before{N}:{assignment}:{E}``.
* ``due``: on ``E`` itself (``on_day``), replacing any "before". Key ``due:{a}:{E}``.
* ``overdue``: on the 1st working day after ``E``, then every ``overdue_every``
  working days. The last such day not yet sent is sent (a missed one goes once,
  late, when the bot is back; the next follows the schedule).
  Key ``overdue:{a}:{that day}``.
* ``escalation``: once ``escalate_after`` working days overdue, once per deadline,
  to the office chats (office group and leaders), lead assignments only unless
  ``escalate_coordinating``. A missed escalation still goes. Key ``escalation:{a}:{E}``.
* A recurring duty that also has a deadline ("... trước ngày 31/3/2024. Thường xuyên theo dõi
  ...") gets the deadline reasons above like any task until its dated part is done.
* ``silent``: an open assignment (recurring ones too) without a report for
  ``silent_after`` working days since its last report (or since it was sent),
  and again every ``silent_after`` working days. Key ``silent:{a}:{that day}``. Never for a
  standing duty of every agency (``Assignment.standing``).

An assignment appears at most once in an agency's message per run, for its most
pressing reason (overdue > due > before > silent); a "silent" nudge made
redundant by an overdue one is settled with it. Completed assignments, ones the
agency reported done (waiting for the office), and closed ones get nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from bot.calendar import WorkingCalendar
from bot.models import Agency, Assignment, Notice, Role, Task
from bot.messages import MESSAGE_LIMIT, fmt_date, short_text, split_lines
from bot.texts import t
from bot.tracking import days_overdue, is_standing, is_waiting_confirmation, role_label

__all__ = [
    "KINDS",
    "Reminder",
    "ReminderItem",
    "ReminderSettings",
    "ReminderSettingsError",
    "plan_reminders",
    "render_reminder",
    "render_reminder_parts",
    "short_text",
]

KINDS = ("escalation", "overdue", "due", "before", "silent")  # most pressing first
_RANK = {k: i for i, k in enumerate(KINDS)}


class ReminderSettingsError(ValueError):
    """A [reminders] setting that cannot be used (one-line message)."""


def _parse_hour(value: str) -> dt.time:
    m = re.fullmatch(r"\s*(\d{1,2})[:hH](\d{2})\s*", str(value))
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return dt.time(int(m.group(1)), int(m.group(2)))
    raise ReminderSettingsError(f"[reminders] hour: {value!r} is not a time of day (use HH:MM)")


@dataclasses.dataclass
class ReminderSettings:
    hour: str = "08:00"
    until: str = "17:30"  # a run missed earlier is made up only until this time, never at night
    before_days: list[int] = dataclasses.field(default_factory=lambda: [3, 1])
    on_day: bool = True
    overdue_every: int = 1  # working days; 0 = no overdue reminders
    escalate_after: int = 3  # working days overdue; 0 = no escalation
    silent_after: int = 10  # working days without a report; 0 = no nudge
    enabled: bool = True
    escalate_coordinating: bool = False  # escalate coordinating (phối hợp) parts too

    def __post_init__(self) -> None:
        self.time = _parse_hour(self.hour)
        self.end = _parse_hour(self.until)
        if self.end <= self.time:
            raise ReminderSettingsError(f"[reminders] until: {self.until!r} must be later than hour {self.hour!r}")
        days = []
        for n in self.before_days:
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ReminderSettingsError(
                    f"[reminders] before_days: {n!r} is not a positive number of working days"
                )
            days.append(n)
        self.before_days = sorted(set(days), reverse=True)
        for name in ("overdue_every", "escalate_after", "silent_after"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ReminderSettingsError(
                    f"[reminders] {name}: {value!r} is not a number of working days (0 = off)"
                )


@dataclasses.dataclass
class ReminderItem:
    key: str
    kind: str  # before | due | overdue | escalation | silent
    assignment: Assignment
    days: int  # before: working days left; overdue/escalation: calendar days overdue;
    #            silent: working days without a report; due: 0
    deadline: dt.date | None  # effective deadline
    working_days: int = 0  # escalation/overdue: working days overdue
    also_keys: tuple[str, ...] = ()  # reasons settled together with this one


@dataclasses.dataclass
class Reminder:
    key: str  # "{kind}:{agency id or 'office'}:{day}", stable
    agency_id: str | None  # None: the escalation message to the office
    chat_ids: list[int]
    kind: str  # "escalation", or the most pressing kind among the items
    items: list[ReminderItem]
    day: dt.date

    @property
    def keys(self) -> list[str]:
        """Every sent-log key to record once this message is sent."""
        out: list[str] = []
        for item in self.items:
            out.append(item.key)
            out.extend(item.also_keys)
        return out


# ------------------------------------------------------------------ planning


def _open(a: Assignment) -> bool:
    return not a.closed and a.completed_at is None and not is_waiting_confirmation(a)


def _agency_item(
    a: Assignment,
    today: dt.date,
    settings: ReminderSettings,
    cal: WorkingCalendar,
    sent: Callable[[str], bool],
) -> ReminderItem | None:
    deadline = cal.effective_deadline(a.deadline) if a.deadline is not None else None
    # The day agencies hear "due today": the deadline, or the last working day before a deadline on a
    # day off (possible when the office switched the art. 148 shift off).
    due_day = deadline
    if deadline is not None and not cal.is_working_day(deadline):
        due_day = cal.previous_working_day(deadline)
    candidates: list[ReminderItem] = []
    if deadline is not None:  # a recurring duty with a deadline too: its dated part is reminded
        if today > deadline:
            wd = cal.working_days_between(deadline, today)
            if settings.overdue_every and wd >= 1:
                k = (wd - 1) // settings.overdue_every
                day = cal.add_working_days(deadline, 1 + k * settings.overdue_every)
                key = f"overdue:{a.id}:{day.isoformat()}"
                if not sent(key):
                    candidates.append(
                        ReminderItem(key, "overdue", a, days_overdue(a, today, cal), deadline, wd)
                    )
        elif today >= due_day:
            key = f"due:{a.id}:{deadline.isoformat()}"
            if settings.on_day and not sent(key):
                candidates.append(ReminderItem(key, "due", a, 0, deadline))
        else:
            published = cal.today(a.sent_at) if a.sent_at is not None else None
            for n in reversed(settings.before_days):  # smallest N first = most recent day
                day = cal.add_working_days(due_day, -n)
                if day > today:
                    continue
                if published is None or day >= published:
                    key = f"before{n}:{a.id}:{deadline.isoformat()}"
                    if not sent(key):
                        left = cal.working_days_between(today, due_day)
                        candidates.append(ReminderItem(key, "before", a, left, deadline))
                break  # older "before" days are stale once a more recent one has come
    if settings.silent_after and not is_standing(a):  # a standing duty of every agency is never "silent"
        anchor_at = a.last_report_at or a.sent_at
        if anchor_at is not None:
            anchor = cal.today(anchor_at)
            wd = cal.working_days_between(anchor, today)
            if wd >= settings.silent_after:
                k = wd // settings.silent_after
                day = cal.add_working_days(anchor, k * settings.silent_after)
                key = f"silent:{a.id}:{day.isoformat()}"
                if not sent(key):
                    candidates.append(ReminderItem(key, "silent", a, wd, deadline))
    if not candidates:
        return None
    candidates.sort(key=lambda item: _RANK[item.kind])
    best = candidates[0]
    best.also_keys = tuple(c.key for c in candidates[1:])
    return best


def plan_reminders(
    now: dt.datetime,
    assignments: Iterable[Assignment],
    agency_chats: Mapping[str, Iterable[int]],
    sent: Callable[[str], bool],
    settings: ReminderSettings | None = None,
    cal: WorkingCalendar | None = None,
    *,
    office_chat_ids: Iterable[int] = (),
) -> list[Reminder]:
    """What to send at ``now``: one message per agency, then one escalation to the office.

    ``agency_chats`` maps an agency id to its bound group chat ids (agencies without a
    group get nothing and their keys stay unsent, so they are reminded once bound).
    ``sent(key)`` tells whether a key is in the sent-log. Nothing is planned on
    non-working days, before the configured hour, or when reminders are disabled.
    """
    settings = settings or ReminderSettings()
    cal = cal or WorkingCalendar()
    local = cal.local(now)
    today = local.date()
    if (not settings.enabled or not cal.is_working_day(today)
            or not settings.time <= local.time() <= settings.end):
        return []
    per_agency: dict[str, list[ReminderItem]] = {}
    escalations: list[ReminderItem] = []
    for a in assignments:
        if not _open(a):
            continue
        chats = list(agency_chats.get(a.agency_id, ()) or ())
        if chats:
            item = _agency_item(a, today, settings, cal, sent)
            if item is not None:
                per_agency.setdefault(a.agency_id, []).append(item)
        if (
            settings.escalate_after
            and a.deadline is not None
            and (a.role == Role.LEAD or settings.escalate_coordinating)
        ):
            deadline = cal.effective_deadline(a.deadline)
            wd = cal.working_days_between(deadline, today)
            if wd >= settings.escalate_after:
                key = f"escalation:{a.id}:{deadline.isoformat()}"
                if not sent(key):
                    escalations.append(
                        ReminderItem(key, "escalation", a, days_overdue(a, today, cal), deadline, wd)
                    )
    out: list[Reminder] = []
    for agency_id in sorted(per_agency):
        items = sorted(
            per_agency[agency_id],
            key=lambda i: (_RANK[i.kind], -i.days if i.kind == "overdue" else i.days, i.assignment.id),
        )
        kind = items[0].kind
        out.append(
            Reminder(
                key=f"{kind}:{agency_id}:{today.isoformat()}",
                agency_id=agency_id,
                chat_ids=list(agency_chats[agency_id]),
                kind=kind,
                items=items,
                day=today,
            )
        )
    office = list(office_chat_ids)
    if escalations and office:
        escalations.sort(key=lambda i: (-i.days, i.assignment.agency_id, i.assignment.id))
        out.append(
            Reminder(
                key=f"escalation:office:{today.isoformat()}",
                agency_id=None,
                chat_ids=office,
                kind="escalation",
                items=escalations,
                day=today,
            )
        )
    return out


# ------------------------------------------------------------------ rendering

K = TypeVar("K")


def _index(items: Mapping[str, K] | Iterable[K] | None) -> Mapping[str, K]:
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return items
    return {getattr(x, "id"): x for x in items}


def _task_bits(
    item: ReminderItem, tasks: Mapping[str, Task], notices: Mapping[str, Notice]
) -> dict[str, Any]:
    a = item.assignment
    task = tasks.get(a.task_id)
    notice = notices.get(a.notice_id)
    return {
        "code": task.code if task else a.task_id,
        "text": short_text(task.text if task else ""),
        "ref": task.ref if task else "",
        "notice": (notice.number or "") if notice else "",
        "role": role_label(a.role),
        "deadline": fmt_date(item.deadline),
        "days": item.days,
        "working_days": item.working_days,
    }


def _reason(item: ReminderItem) -> str:
    if item.kind == "before":
        return t("reminder.reason_before", days=item.days)
    if item.kind == "due":
        return t("reminder.reason_due")
    if item.kind == "overdue":
        return t("reminder.reason_overdue", days=item.days)
    if item.kind == "silent":
        return t("reminder.reason_silent", days=item.days)
    return t("reminder.reason_escalation", days=item.days, working_days=item.working_days)


def _lines(
    reminder: Reminder,
    tasks: Mapping[str, Task],
    notices: Mapping[str, Notice],
    agencies: Mapping[str, Agency],
) -> list[str]:
    def agency_name(agency_id: str | None) -> str:
        agency = agencies.get(agency_id or "")
        return agency.name if agency else (agency_id or "")

    day = reminder.day.strftime("%d/%m/%Y")
    lines: list[str]
    if reminder.agency_id is None:
        lines = [t("reminder.escalation_title", count=len(reminder.items), date=day), ""]
        for item in reminder.items:
            bits = _task_bits(item, tasks, notices)
            lines.append(
                t("reminder.escalation_item", agency=agency_name(item.assignment.agency_id), **bits)
            )
            lines.append(t("reminder.item_detail", **bits) + " — " + _reason(item))
        lines += ["", t("reminder.escalation_footer")]
        return lines
    lines = [t("reminder.title", agency=agency_name(reminder.agency_id), date=day), ""]
    for item in reminder.items:
        bits = _task_bits(item, tasks, notices)
        lines.append(t("reminder.item", **bits))
        lines.append(t("reminder.item_detail", **bits) + " — " + _reason(item))
    lines += ["", t("reminder.footer")]
    return lines


def render_reminder_parts(
    reminder: Reminder,
    tasks: Mapping[str, Task] | Iterable[Task] | None,
    notices: Mapping[str, Notice] | Iterable[Notice] | None,
    agencies: Mapping[str, Agency] | Iterable[Agency] | None,
    limit: int = MESSAGE_LIMIT,
) -> list[str]:
    """The reminder as Telegram HTML messages, each at most ``limit`` characters."""
    lines = _lines(reminder, _index(tasks), _index(notices), _index(agencies))
    # keep an item's two lines together: join them before splitting
    grouped: list[str] = []
    head = lines[:2]
    body = lines[2:-2]
    for i in range(0, len(body), 2):
        grouped.append("\n".join(body[i : i + 2]))
    return split_lines([*head, *grouped, *lines[-2:]], limit)


def render_reminder(
    reminder: Reminder,
    tasks: Mapping[str, Task] | Iterable[Task] | None,
    notices: Mapping[str, Notice] | Iterable[Notice] | None,
    agencies: Mapping[str, Agency] | Iterable[Agency] | None,
) -> str:
    """The reminder as one Telegram HTML message (<= 4096 characters).

    Items that do not fit are summarised as "… và N nhiệm vụ khác"; use
    :func:`render_reminder_parts` to send everything in several messages.
    """
    parts = render_reminder_parts(reminder, tasks, notices, agencies)
    if len(parts) == 1:
        return parts[0]
    tasks_i, notices_i, agencies_i = _index(tasks), _index(notices), _index(agencies)
    items = list(reminder.items)
    keep = len(items)
    while keep > 0:
        keep = max(0, keep - max(1, keep // 10))
        trial = dataclasses.replace(reminder, items=items[:keep])
        lines = _lines(trial, tasks_i, notices_i, agencies_i)
        more = t("reminder.more", count=len(items) - keep)
        text = "\n".join([*lines[:-2], more, *lines[-2:]])
        if len(text) <= MESSAGE_LIMIT:
            return text
    return "\n".join(_lines(dataclasses.replace(reminder, items=[]), tasks_i, notices_i, agencies_i))[
        :MESSAGE_LIMIT
    ]

