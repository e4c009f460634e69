"""Pure logic of the notice → tasks → assignments → reports loop (issue 4).

No Telegram, no storage: functions take records and ``now`` and return records
or decisions. Handlers load, call these, store, then send.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable

from bot.directory import Directory
from bot.models import Assignment, Extension, Notice, Progress, Report, Role, Task

TASK_CODE_RE = re.compile(r"^\s*NV\s?(\d{1,6})\s*$", re.IGNORECASE)
DATE_RE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})")


def notice_id_for(source: bytes) -> str:
    """A stable id from the file's content: importing the same file twice finds the same notice."""
    return "n" + hashlib.sha256(source).hexdigest()[:12]


def sha256(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def notice_from_reading(reading: dict, *, notice_id: str, source: bytes, source_name: str,
                        now: dt.datetime, by: int) -> Notice:
    head = reading.get("notice", {})
    return Notice(
        id=notice_id, number=head.get("number"), issued_on=_date(head.get("issued_on")),
        issuer=head.get("issuer"), kind=head.get("kind"), title=head.get("title"),
        source_sha256=sha256(source), source_name=source_name, state="draft",
        created_at=now, created_by=by, warnings=list(reading.get("warnings", [])),
    )


def tasks_from_reading(reading: dict, *, notice_id: str, next_code: Callable[[], str]) -> list[Task]:
    tasks = []
    for item in reading.get("items", []):
        warnings = list(item.get("warnings", []))
        for field in item.get("doubtful", []) or []:
            warnings.append(f"doubtful:{field}")
        tasks.append(Task(
            id=f"{notice_id}-{item['ref']}", notice_id=notice_id, code=next_code(), ref=item["ref"],
            text=item.get("text", ""), lead=list(item.get("lead", [])),
            coordinate=list(item.get("coordinate", [])), deadline=_date(item.get("deadline")),
            deadline_text=item.get("deadline_text"), recurring=item.get("recurring"), warnings=warnings,
        ))
    return tasks


def agency_ref(directory: Directory, text: str) -> dict | None:
    """An AGENCY dict (reader's shape) for what a clerk typed, or None when not sure."""
    group = directory.resolve_group(text)
    if group is not None:
        return {"name": directory.group_label(group), "agency_id": None, "group": group, "as_written": text}
    match = directory.resolve(text)
    if match.agency is None or not match.sure or match.rest.strip():
        return None
    return {"name": match.agency.name, "agency_id": match.agency.id, "group": None, "as_written": text}


def expand(ref: dict, directory: Directory) -> list[str]:
    """Agency ids an AGENCY dict stands for (a group expands to its members).

    A single party the directory does not know (a ministry, an investor, "Công ty ...") is kept as
    written, as an outside party: its tasks wait for it to register a group (``/invite`` its name).
    """
    if ref.get("agency_id"):
        return [ref["agency_id"]]
    group = ref.get("group")
    if group:
        try:
            return [a.id for a in directory.members(group)]
        except (KeyError, ValueError):
            return []
    written = (ref.get("as_written") or ref.get("name") or "").strip()
    if written and is_single_party(written):
        return [directory.add_outside(written).id]
    return []


def is_single_party(written: str) -> bool:
    """A name that stands for one party, not a vague collective ("các đơn vị liên quan", "các địa phương")."""
    from bot.notices.normalize import fold_str

    folded = fold_str(written).lower()
    return not re.match(r"^(cac|nhung|moi|toan)\b", folded) and "lien quan" not in folded


def know_outside_parties(tasks: Iterable[Task], directory: Directory) -> None:
    """At start: the outside parties the stored tasks name, so their names show and /invite finds them."""
    for task in tasks:
        for ref in (*task.lead, *task.coordinate):
            expand(ref, directory)


def unresolved(task: Task) -> list[dict]:
    """AGENCY dicts of a task that reach no agency (kept as written, shown to the clerk)."""
    return [r for r in (*task.lead, *task.coordinate) if not r.get("agency_id") and not r.get("group")]


@dataclasses.dataclass
class Plan:
    assignments: list[Assignment]
    unassigned_tasks: list[Task]  # no lead agency at all: the clerk must set one


def plan_assignments(tasks: Iterable[Task], directory: Directory, *, existing: Iterable[Assignment] = (),
                     new_id: Callable[[], str]) -> Plan:
    """One assignment per (task, agency, role); the lead role wins over coordination.

    ``existing`` assignments are kept (re-publishing never duplicates).
    """
    have = {(a.task_id, a.agency_id) for a in existing}
    out: list[Assignment] = []
    unassigned: list[Task] = []
    for task in tasks:
        if task.dropped:
            continue
        leads: list[str] = []
        for ref in task.lead:
            leads += [i for i in expand(ref, directory) if i not in leads]
        coords: list[str] = []
        for ref in task.coordinate:
            coords += [i for i in expand(ref, directory) if i not in leads and i not in coords]
        # Agencies named one by one answer for the task themselves; those reached only through a
        # collective addressee ("các sở, ban, ngành, địa phương") of a task without a deadline hold
        # it as a standing duty.
        named = {r["agency_id"] for r in (*task.lead, *task.coordinate) if r.get("agency_id")}
        collective = task.deadline is None and any(r.get("group") for r in (*task.lead, *task.coordinate))
        if not leads:
            unassigned.append(task)
        for role, ids in ((Role.LEAD, leads), (Role.COORDINATE, coords)):
            for agency_id in ids:
                if (task.id, agency_id) in have:
                    continue
                have.add((task.id, agency_id))
                out.append(Assignment(
                    id=new_id(), task_id=task.id, notice_id=task.notice_id, agency_id=agency_id, role=role,
                    deadline=task.deadline, original_deadline=task.deadline, recurring=task.recurring,
                    standing=collective and agency_id not in named,
                ))
    return Plan(out, unassigned)


# ------------------------------------------------------------------ clerk's fixes before publishing

class EditError(ValueError):
    """A clerk's fix that cannot be applied; ``key`` names the text to show."""

    def __init__(self, key: str, **values: str):
        self.key = key
        self.values = values
        super().__init__(key)


def parse_date(text: str, *, default_year: int | None = None) -> dt.date:
    """A date typed by a person: 31/3/2024, 31-3-2024, 31.3.24, 31/3 (with default_year)."""
    text = text.strip()
    m = DATE_RE.search(text)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if year < 100:
            year += 2000
    else:
        m2 = re.search(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\b", text)
        if not m2 or default_year is None:
            raise EditError("notice.bad_date", value=text)
        day, month, year = int(m2.group(1)), int(m2.group(2)), default_year
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise EditError("notice.bad_date", value=text) from None


def split_names(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]


def set_lead(task: Task, text: str, directory: Directory) -> Task:
    ref = agency_ref(directory, text)
    if ref is None:
        raise EditError("notice.unknown_agency", name=text)
    task.lead = [ref]
    task.warnings = [w for w in task.warnings if not w.startswith("doubtful:lead")]
    return task


def set_coordinators(task: Task, text: str, directory: Directory) -> Task:
    refs = []
    if text.strip() not in ("-", "0", "không", "khong"):
        for name in split_names(text):
            ref = agency_ref(directory, name)
            if ref is None:
                raise EditError("notice.unknown_agency", name=name)
            refs.append(ref)
    task.coordinate = refs
    return task


def set_deadline(task: Task, text: str, *, default_year: int | None) -> Task:
    if text.strip() in ("-", "0", "không", "khong"):
        task.deadline = None
        task.deadline_text = None
    else:
        task.deadline = parse_date(text, default_year=default_year)
        task.deadline_text = text.strip()
    task.warnings = [w for w in task.warnings if not w.startswith("doubtful:deadline")]
    return task


# ------------------------------------------------------------------ progress

def apply_report(a: Assignment, report: Report, *, now: dt.datetime, auto_confirm: bool) -> Assignment:
    """The assignment after a progress report (a reply, a button, /report)."""
    a.last_report_at = now
    if report.status == Progress.NONE:
        return a
    if a.completed_at is not None and report.status != Progress.DONE:
        return a  # confirmed work stays confirmed; the office can reopen by returning it
    a.progress = report.status
    if report.status == Progress.DONE:
        a.done_reported_at = a.done_reported_at or now
        if auto_confirm:
            a.completed_at = now
    else:
        a.done_reported_at = None
    return a


def recompute_progress(a: Assignment, reports: Iterable[Report], *, now: dt.datetime,
                       auto_confirm: bool) -> bool:
    """After a report was corrected or edited: the progress the agency's reports now say.

    Progress is the status of the latest report that states one; a "done" nobody says any
    more is withdrawn. Confirmed work stays confirmed. Returns True when a "done" waiting
    for the office's confirmation was withdrawn.
    """
    if a.completed_at is not None:
        return False
    waiting = a.done_reported_at is not None
    latest = None  # the latest report stating a status; reports come oldest first, so ties go to the later
    for r in reports:
        if r.status not in (Progress.NONE, Progress.EXTENSION) and (latest is None or r.at >= latest.at):
            latest = r
    if latest is None:
        pending = any(e.decision is None for e in a.extensions)
        a.progress = Progress.EXTENSION if pending else Progress.NONE
        a.done_reported_at = None
    else:
        a.progress = latest.status
        a.done_reported_at = (a.done_reported_at or latest.at) if latest.status == Progress.DONE else None
        if latest.status == Progress.DONE and auto_confirm:
            a.completed_at = now
    return waiting and a.done_reported_at is None


def confirm(a: Assignment, *, now: dt.datetime, by: int) -> Assignment:
    close_pending_extensions(a, now=now)
    a.completed_at = now
    a.confirmed_by = by
    a.done_reported_at = a.done_reported_at or now
    a.progress = Progress.DONE
    return a


def return_to_agency(a: Assignment) -> Assignment:
    a.completed_at = None
    a.confirmed_by = None
    a.done_reported_at = None
    a.progress = Progress.IN_PROGRESS
    return a


class ExtensionRefused(EditError):
    """An extension that cannot be asked or decided now (``key`` says why)."""


def request_extension(a: Assignment, *, new_deadline: dt.date, reason: str, by: int,
                      now: dt.datetime) -> Extension:
    """A new request for more time; it replaces a request still waiting for the office."""
    if a.closed or a.completed_at is not None:
        raise ExtensionRefused("progress.extension_task_done")
    if a.done_reported_at is not None:
        raise ExtensionRefused("progress.extension_while_done")
    for pending in a.extensions:
        if pending.decision is None:
            pending.decision = "superseded"
            pending.decided_at = now
    ext = Extension(requested_at=now, requested_by=by, new_deadline=new_deadline, reason=reason,
                    previous_deadline=a.deadline)
    a.extensions.append(ext)
    a.progress = Progress.EXTENSION
    return ext


def decide_extension(a: Assignment, index: int, *, approve: bool, by: int, now: dt.datetime) -> Extension:
    ext = a.extensions[index]
    if ext.decision is not None:
        raise EditError("progress.extension_already_decided")
    if a.closed or a.completed_at is not None:
        raise ExtensionRefused("progress.extension_task_done")
    ext.decision = "approved" if approve else "refused"
    ext.decided_by = by
    ext.decided_at = now
    if approve:
        ext.previous_deadline = a.deadline
        a.deadline = ext.new_deadline
    if a.progress == Progress.EXTENSION:
        a.progress = Progress.IN_PROGRESS
    return ext


def follow_lead_extension(coordinating: Iterable[Assignment], lead_ext: Extension, *, reason: str,
                          now: dt.datetime) -> list[Assignment]:
    """The lead agency's deadline moved: open coordinating parts due on the same day move with it
    (their own history says why). Returns the assignments that moved."""
    moved = []
    for c in coordinating:
        if c.role != Role.COORDINATE or c.closed or c.completed_at is not None:
            continue
        if c.deadline != lead_ext.previous_deadline:
            continue  # it has its own deadline (an extension of its own): leave it
        c.extensions.append(Extension(requested_at=now, requested_by=lead_ext.requested_by,
                                      new_deadline=lead_ext.new_deadline, reason=reason, decision="approved",
                                      decided_by=lead_ext.decided_by, decided_at=now,
                                      previous_deadline=c.deadline))
        c.deadline = lead_ext.new_deadline
        moved.append(c)
    return moved


def close_pending_extensions(a: Assignment, *, now: dt.datetime) -> None:
    """Confirmed work needs no more time: requests still waiting are closed."""
    for ext in a.extensions:
        if ext.decision is None:
            ext.decision = "superseded"
            ext.decided_at = now


_EXT_LEAD = re.compile(r"^\s*(?:(?:đề nghị|de nghi|xin|kính đề nghị)\s+)?(?:cho\s+)?(?:gia hạn|gia han|lùi|lui)"
                       r"(?:\s+(?:thời hạn|thoi han|hạn|han))?(?:\s+(?:đến|den|tới|toi))?(?:\s+(?:ngày|ngay))?\s*$",
                       re.IGNORECASE)
_REASON_LEAD = re.compile(r"^[\s\-–:,.;]*(?:(?:lý do|ly do|do|vì|vi|bởi vì|boi vi)\b[\s:,-]*)?", re.IGNORECASE)


_EXT_WORDS = re.compile(r"(?:gia\s*hạn|gia\s*han|lùi\s*(?:thời\s*)?hạn|lui\s*(?:thoi\s*)?han)", re.IGNORECASE)
_ASKING = re.compile(r"[\s,;:-]*(?:(?:kính\s+)?(?:đề\s*nghị|de\s*nghi|xin)\s*(?:cho\s*)?)?$", re.IGNORECASE)
_SHORT_DATE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\b(?!\s*[/.\-]\s*\d)")


def parse_extension_request(text: str, *, today: dt.date) -> tuple[dt.date, str]:
    """'30/4/2024 - lý do ...' or 'Xin gia hạn đến 30/4/2024 do ...' → (date, reason). The reason is required.

    The new date is the first one after the words "gia hạn" when there are such words (a letter's
    own date, "Công văn số 12 ngày 5/3/2024", comes before them); a date without a year that has
    passed this year means next year.
    """
    words = _EXT_WORDS.search(text)
    start = words.end() if words else 0
    m = DATE_RE.search(text, start) or _SHORT_DATE.search(text, start)
    if not m and start:
        m = DATE_RE.search(text) or _SHORT_DATE.search(text)
    if not m:
        raise EditError("progress.extension_bad_request")
    has_year = DATE_RE.fullmatch(m.group(0).strip()) is not None
    date = parse_date(m.group(0), default_year=today.year)
    if not has_year and date <= today:
        date = parse_date(m.group(0), default_year=today.year + 1)
    before, after = text[:m.start()], text[m.end():]
    if words and words.start() < m.start():
        before = _ASKING.sub("", text[:words.start()])  # what came before "gia hạn" is context
    if _EXT_LEAD.match(before):
        before = ""
    after = _REASON_LEAD.sub("", after).strip(" -–:,.;\n\t")
    before = before.strip(" -–:,.;\n\t")
    # "… gia hạn đến 30/4 vì chờ số liệu": the reason follows the date; else it is what came before it.
    reason = after if (words and len(after) >= 3) else " ".join(p for p in (before, after) if p)
    if len(reason) < 3:
        raise EditError("progress.extension_no_reason")
    if date <= today:
        raise EditError("progress.extension_past_date", value=date.strftime("%d/%m/%Y"))
    return date, reason


def is_task_code(text: str) -> bool:
    return bool(TASK_CODE_RE.match(text))


def normalise_code(text: str) -> str:
    m = TASK_CODE_RE.match(text)
    return f"NV{int(m.group(1))}" if m else text.strip().upper()
