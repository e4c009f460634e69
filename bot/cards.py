"""Builders of the bot's task-related messages: one function per kind of message.

Pure: records in, (HTML text, buttons) out. Buttons are rows of (label, callback_data);
the handlers turn them into Telegram keyboards. Every user-supplied string is escaped
by :func:`bot.texts.t` or :func:`bot.texts.escape`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from bot.callbacks import Amend, Confirm, Correct, Extension, Preview, Publish, Sheet, Status, pack
from bot.calendar import WorkingCalendar
from bot.directory import Directory
from bot.messages import fmt_date, short_text
from bot.models import Assignment, Notice, Progress, Report, Role, Task
from bot.texts import Raw, t
from bot.tracking import (
    CATEGORY_ORDER, category, category_label, days_overdue, effective_deadline, is_waiting_confirmation,
    progress_label, role_label, summarize,
)

Buttons = list[list[tuple[str, str]]]
CARD_LIMIT = 4000  # a task message, below Telegram's 4096 with room to spare
MAX_NAMES = 12  # agencies named on a card; the rest are counted


def fmt_when(moment: dt.datetime, cal: WorkingCalendar) -> str:
    return cal.local(moment).strftime("%H:%M %d/%m/%Y")


def deadline_text(deadline: dt.date | None, cal: WorkingCalendar) -> str:
    if deadline is None:
        return fmt_date(None)
    effective = cal.effective_deadline(deadline)
    if effective != deadline:
        return t("task.deadline_shifted", date=fmt_date(deadline), effective=fmt_date(effective))
    return fmt_date(deadline)


def agency_names(refs: Iterable[dict]) -> str:
    return ", ".join(r.get("name") or r.get("as_written") or "?" for r in refs)


def agency_name(directory: Directory, agency_id: str) -> str:
    agency = directory.get(agency_id)
    return agency.name if agency else agency_id


# ------------------------------------------------------------------ task card (agency group)

def status_buttons(assignment_id: str) -> Buttons:
    return [
        [(t("task.button_in_progress"), pack(Status(assignment_id, "ip"))), (t("task.button_done"), pack(Status(assignment_id, "done")))],
        [(t("task.button_blocked"), pack(Status(assignment_id, "blk"))), (t("task.button_extension"), pack(Status(assignment_id, "ext")))],
    ]


def _names(refs: Sequence[dict], limit: int = MAX_NAMES) -> str:
    names = agency_names(refs[:limit])
    return names + (t("task.card_more_names", count=len(refs) - limit) if len(refs) > limit else "")


def task_card(a: Assignment, task: Task, notice: Notice, cal: WorkingCalendar) -> tuple[str, Buttons]:
    """The message an agency gets for one task (always under Telegram's 4096 characters)."""
    extra = []
    if a.recurring:
        extra.append(t("task.card_recurring", recurring=short_text(a.recurring, 300)))
    if a.role == Role.LEAD and task.coordinate:
        extra.append(t("task.card_coordinators", names=_names(task.coordinate)))
    if a.role == Role.COORDINATE and task.lead:
        extra.append(t("task.card_lead", names=_names(task.lead)))
    extra.append(t("task.card_footer"))

    def card(text: str) -> str:
        head = t("task.card", code=task.code, number=notice.number or "", ref=task.ref, role=role_label(a.role),
                 deadline=deadline_text(a.deadline, cal), text=text)
        return "\n".join([head, *extra])

    full = card(task.text)
    if len(full) <= CARD_LIMIT:
        return full, status_buttons(a.id)
    lo, hi = 0, len(task.text)  # the longest start of the text whose escaped card fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(card(task.text[:mid] + "…")) <= CARD_LIMIT:
            lo = mid
        else:
            hi = mid - 1
    return card(task.text[:lo].rstrip() + "…"), status_buttons(a.id)


# ------------------------------------------------------------------ preview (admin, before publishing)

def preview(notice: Notice, tasks: Sequence[Task], cal: WorkingCalendar) -> tuple[str, Buttons]:
    """What the clerk checks before publishing: one block per item, doubtful fields marked."""
    state = t("notice.state_published") if notice.state == "published" else t("notice.state_draft")
    head = [t("notice.preview_head", kind=notice.kind or "", number=notice.number or "?",
              issued=fmt_date(notice.issued_on), issuer=notice.issuer or "", title=notice.title or "",
              count=sum(not x.dropped for x in tasks), state=state)]
    head += [t("notice.preview_warning", warning=w) for w in notice.warnings]
    blocks = ["\n".join(head)]
    example = None  # a code for the help's examples: the first item that needs a look
    for task in tasks:
        if task.dropped:
            blocks.append(t("notice.preview_item_dropped", code=task.code, ref=task.ref))
            continue
        doubtful = [w.split(":", 1)[1] for w in task.warnings if w.startswith("doubtful:")]
        warnings = [w for w in task.warnings if not w.startswith("doubtful:")]
        missing = [r for r in (*task.lead, *task.coordinate) if not r.get("agency_id") and not r.get("group")]
        flagged = bool(doubtful or warnings or missing or not task.lead)
        if flagged and example is None:
            example = task.code
        deadline = deadline_text(task.deadline, cal)
        if task.recurring:
            deadline += f" · {task.recurring}"
        lines = [t("notice.preview_item", code=task.code, ref=task.ref, flags="⚠️" if flagged else "",
                   text=short_text(task.text, 220), lead=agency_names(task.lead) or "—",
                   coordinate=agency_names(task.coordinate) or "—", deadline=deadline)]
        if missing:
            lines.append(t("notice.preview_unresolved", names=", ".join(r.get("as_written", "?") for r in missing)))
        if doubtful:
            labels = [t(f"notice.field_{f}") if f in ("lead", "coordinate", "deadline", "ref") else f for f in doubtful]
            lines.append(t("notice.preview_doubtful", fields=", ".join(labels)))
        lines += [t("notice.preview_warning", warning=w) for w in warnings]
        blocks.append("\n".join(lines))
    buttons: Buttons = []
    if notice.state != "published":
        live = [x.code for x in tasks if not x.dropped] or [x.code for x in tasks] or ["NV1"]
        blocks.append(t("notice.preview_help", code=example or live[0]))
        buttons = [[(t("notice.button_publish"), pack(Publish(notice.id))),
                    (t("notice.button_refresh"), pack(Preview(notice.id)))],
                   [(t("sheet.button_excel"), pack(Sheet(notice.id)))]]
    else:  # a published notice is amended through its sheet too
        buttons = [[(t("sheet.button_excel"), pack(Sheet(notice.id)))]]
    return "\n\n".join(blocks), buttons


# ------------------------------------------------------------------ progress acknowledgements

def correction_buttons(report_id: str) -> Buttons:
    return [[(t("progress.button_correct_in_progress"), pack(Correct(report_id, "ip"))),
             (t("progress.button_correct_done"), pack(Correct(report_id, "done")))],
            [(t("progress.button_correct_blocked"), pack(Correct(report_id, "blk"))),
             (t("progress.button_correct_none"), pack(Correct(report_id, "none")))]]


def ack(report: Report, task: Task, agency: str) -> tuple[str, Buttons]:
    files = t("progress.ack_files", count=len(report.files)) if report.files else ""
    status = progress_label(report.status) if report.status != Progress.NONE else t("progress.status_unchanged")
    text = t("progress.ack", agency=agency, code=task.code, status=status, files=Raw(files))
    if report.source in ("reply", "command"):  # the status was read from words: let them correct it
        text += "\n" + t("progress.correct_hint")
        return text, correction_buttons(report.id)
    return text, []


def office_done(a: Assignment, task: Task, notice: Notice, report: Report, agency: str) -> tuple[str, Buttons]:
    text = t("progress.office_done", agency=agency, code=task.code, ref=task.ref, number=notice.number or "",
             text=short_text(report.text, 600), author=report.author_name)
    return text, [[(t("progress.button_confirm"), pack(Confirm(a.id, "ok"))), (t("progress.button_return"), pack(Confirm(a.id, "back")))]]


def office_extension(a: Assignment, index: int, task: Task, notice: Notice, agency: str,
                     author: str) -> tuple[str, Buttons]:
    ext = a.extensions[index]
    text = t("progress.extension_office", agency=agency, code=task.code, ref=task.ref, number=notice.number or "",
             current=fmt_date(a.deadline), date=fmt_date(ext.new_deadline), reason=short_text(ext.reason, 1000),
             author=author)
    return text, [[(t("progress.button_approve"), pack(Extension(a.id, index, "ok"))),
                   (t("progress.button_refuse"), pack(Extension(a.id, index, "no")))]]


# ------------------------------------------------------------------ /status and /mytasks

def _summary_lines(assignments: Sequence[Assignment], today: dt.date, cal: WorkingCalendar, *,
                   lead_only: bool = True) -> list[str]:
    s = summarize(assignments, today, cal, lead_only=lead_only)
    lines = [t("status.total_line", total=s.total)]
    for c in CATEGORY_ORDER:
        lines.append(t("status.count_line", label=category_label(c), count=s.counts.get(c, 0)))
    rate = f"{s.completion_rate * 100:.0f}%" if s.completion_rate is not None else t("status.rate_none")
    lines.append(t("status.rate_line", rate=rate))
    if s.standing:
        lines.append(t("standing.status_line", count=s.standing_tasks, assignments=s.standing)
                     if s.standing != s.standing_tasks else t("standing.status_line_own", count=s.standing))
    return lines


def _overdue_lines(assignments: Sequence[Assignment], tasks: dict[str, Task], directory: Directory,
                   today: dt.date, cal: WorkingCalendar, limit: int = 30) -> list[str]:
    late = [(days_overdue(a, today, cal), a) for a in assignments
            if not a.closed and a.completed_at is None and category(a, today, cal).value == "open_overdue"]
    late.sort(key=lambda x: -x[0])
    if not late:
        return []
    lines = [t("status.overdue_title")]
    for days, a in late[:limit]:
        task = tasks.get(a.task_id)
        lines.append(t("status.overdue_line", code=task.code if task else "?", agency=agency_name(directory, a.agency_id),
                       days=days))
    return lines


def status_overview(title: str, assignments: Sequence[Assignment], tasks: dict[str, Task], directory: Directory,
                    today: dt.date, cal: WorkingCalendar) -> str:
    if not assignments:
        return "\n".join([title, t("status.empty")])
    return "\n".join([title, *_summary_lines(assignments, today, cal),
                      *_overdue_lines([a for a in assignments if a.role == Role.LEAD], tasks, directory, today, cal)])


def assignment_status(a: Assignment, today: dt.date, cal: WorkingCalendar) -> str:
    label = category_label(category(a, today, cal))
    if is_waiting_confirmation(a):
        return f"{label} · {progress_label(Progress.DONE)}"
    if a.progress in (Progress.BLOCKED, Progress.EXTENSION):
        return f"{label} · {progress_label(a.progress)}"
    return label


def status_agency(agency: str, assignments: Sequence[Assignment], tasks: dict[str, Task], today: dt.date,
                  cal: WorkingCalendar) -> str:
    title = t("status.agency_title", agency=agency, today=fmt_date(today))
    if not assignments:
        return "\n".join([title, t("status.empty")])
    lines = [title, *_summary_lines(assignments, today, cal, lead_only=False), ""]
    for a in sorted(assignments, key=lambda a: (effective_deadline(a, cal) or dt.date.max, a.id)):
        task = tasks.get(a.task_id)
        lines.append(t("status.agency_row", code=task.code if task else "?", role=role_label(a.role),
                       deadline=fmt_date(a.deadline), status=assignment_status(a, today, cal)))
    return "\n".join(lines)


def status_task(task: Task, notice: Notice, assignments: Sequence[Assignment], reports: Sequence[Report],
                directory: Directory, today: dt.date, cal: WorkingCalendar) -> str:
    lines = [t("status.task_title", code=task.code, number=notice.number or "", ref=task.ref,
               text=short_text(task.text, 500), deadline=deadline_text(task.deadline, cal))]
    by_assignment: dict[str, list[Report]] = {}
    for r in reports:
        by_assignment.setdefault(r.assignment_id, []).append(r)
    for a in sorted(assignments, key=lambda a: (a.role != Role.LEAD, agency_name(directory, a.agency_id))):
        status = t("amend.assignment_cancelled") if a.closed else assignment_status(a, today, cal)
        lines.append(t("status.task_assignment", agency=agency_name(directory, a.agency_id), role=role_label(a.role),
                       status=status))
        for r in sorted(by_assignment.get(a.id, []), key=lambda r: r.at):
            what = progress_label(r.status) if r.status != Progress.NONE else ""
            if r.text:
                what = f"{what}: {short_text(r.text, 160)}" if what else short_text(r.text, 160)
            if r.files:
                what += f" 📎{len(r.files)}"
            lines.append(t("status.task_history_line", when=fmt_when(r.at, cal), who=r.author_name, what=what))
        for ext in a.extensions:
            decision = t(f"progress.decision_{ext.decision or 'pending'}")
            lines.append(t("status.task_extension_line", when=fmt_when(ext.requested_at, cal),
                           date=fmt_date(ext.new_deadline), decision=decision, reason=short_text(ext.reason, 160)))
    lines += amendment_history(task, cal)
    return "\n".join(lines)


def amendment_history(task: Task, cal: WorkingCalendar, limit: int = 10) -> list[str]:
    """The office's amendments of a published task (issue 10), latest ``limit``: when and what."""
    if not task.history:
        return []
    lines = [t("amend.history_title")]
    for entry in task.history[-limit:]:
        kind = entry.get("kind")
        if kind == "removed":
            what = t("amend.history_removed")
        elif kind == "added":
            what = t("amend.history_added")
        else:
            what = t("amend.history_changed", fields=", ".join(
                t(_AMEND_FIELDS[f]) for f in entry.get("changes", {}) if f in _AMEND_FIELDS))
        when = fmt_when(dt.datetime.fromisoformat(entry["at"]), cal) if entry.get("at") else "?"
        lines.append(t("amend.history_line", when=when, what=Raw(what), told=len(entry.get("tell", []))))
    return lines


def mytasks(agency: str, open_assignments: Sequence[Assignment], tasks: dict[str, Task], today: dt.date,
            cal: WorkingCalendar) -> str:
    if not open_assignments:
        return t("status.mytasks_none", agency=agency)
    lines = [t("status.mytasks_title", agency=agency, count=len(open_assignments))]
    ordered = sorted(open_assignments, key=lambda a: (effective_deadline(a, cal) or dt.date.max, a.id))
    for a in ordered:
        task = tasks[a.task_id]
        lines.append(t("status.mytasks_line", code=task.code, role=role_label(a.role),
                       deadline=deadline_text(a.deadline, cal) if a.deadline else (a.recurring or fmt_date(None)),
                       status=assignment_status(a, today, cal), text=short_text(task.text, 160)))
    return "\n".join(lines)


# ------------------------------------------------------------------ amendments of a published notice (issue 10)

_AMEND_FIELDS = {"ref": "amend.field_ref", "text": "amend.field_text", "lead": "amend.field_lead",
                 "coordinate": "amend.field_coordinate", "deadline": "amend.field_deadline",
                 "recurring": "amend.field_recurring"}


def _amended_value(field: str, value) -> str:
    if value in (None, "", []):
        return "—"
    if field == "deadline":
        return fmt_date(dt.date.fromisoformat(value))
    if isinstance(value, list):
        return ", ".join(value[:MAX_NAMES]) + (t("task.card_more_names", count=len(value) - MAX_NAMES)
                                               if len(value) > MAX_NAMES else "")
    return str(value)


def amendment_message(a: Assignment, task: Task, notice: Notice, entry: dict, kind: str) -> str:
    """What an agency is told when the office amends a task it has (changed, or cancelled for it)."""
    where = dict(code=task.code, number=notice.number or "", ref=task.ref)
    if kind == "cancelled":
        key = "amend.cancelled_task" if entry.get("kind") == "removed" else "amend.cancelled_agency"
        return t(key, **where)
    lines = [t("amend.changed_head", role=role_label(a.role), **where)]
    for field, (old, new) in entry.get("changes", {}).items():
        label = t(_AMEND_FIELDS[field]) if field in _AMEND_FIELDS else field
        if field == "text":
            lines.append(t("amend.changed_text", field=label, text=short_text(str(new or ""), 2500)))
        else:
            lines.append(t("amend.changed_line", field=label, old=short_text(_amended_value(field, old), 600),
                           new=short_text(_amended_value(field, new), 600)))
    lines.append(t("amend.changed_footer"))
    text = "\n".join(lines)
    return text if len(text) <= CARD_LIMIT else text[:CARD_LIMIT - 1] + "…"


def amendment_summary(notice: Notice, added: int, changed: int, removed: int, told: int) -> str:
    return t("amend.summary", number=notice.number or "", added=added, changed=changed, removed=removed, told=told)


def amendment_confirm(notice: Notice, result) -> tuple[str, Buttons]:
    """What a sheet would change in a published notice, with the buttons to apply it or not."""
    labels = {"ref": "amend.field_ref", "text": "amend.field_text", "lead": "amend.field_lead",
              "coordinate": "amend.field_coordinate", "deadline": "amend.field_deadline",
              "recurring": "amend.field_recurring"}
    lines = []
    for c in result.changes[:60]:
        code = c.task.code or "+"
        if c.kind == "added":
            lines.append(t("amend.confirm_line_added", code=code, ref=c.task.ref, text=short_text(c.task.text, 120)))
        elif c.kind == "changed":
            lines.append(t("amend.confirm_line_changed", code=code, ref=c.task.ref,
                           fields=", ".join(t(labels[f]) for f in c.fields if f in labels)))
        else:
            lines.append(t("amend.confirm_line_removed", code=code, ref=c.task.ref))
    if len(result.changes) > 60:
        lines.append("…")
    text = t("amend.confirm", number=notice.number or notice.id, added=result.count("added"),
             changed=result.count("changed"), removed=result.count("removed"), details=Raw("\n".join(lines)))
    return text, [[(t("amend.button_apply"), pack(Amend(notice.id, "ok"))),
                   (t("amend.button_cancel"), pack(Amend(notice.id, "no")))]]
