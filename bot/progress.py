"""Progress use cases: what an agency or the office did → one durable write → what to send.

Each function takes the store, the records the action is about and ``now``; it decides with the
pure rules of :mod:`bot.workflow`, stores everything the action changed in ONE durable write
(the report, the assignment's status and what the office must hear), and returns the messages
owed, as values (:class:`Outgoing`). Run it in the store's writer thread
(``await store.run(progress.record, store, ...)``) so that reading the assignment, deciding and
writing are not interleaved with another write.

Every action is idempotent per source (:class:`Source`: the chat and message, the callback
query, the update): the same update handled again, e.g. after a crash before the update was
confirmed to Telegram, stores nothing new and returns ``created=False`` with the same messages
owed (the acknowledgement and what the office was owed, kept with the report in ``notify``).
Each :class:`Outgoing` carries a stable ``key``: with an outbox, enqueue ``messages`` whatever
``created`` says (a key already there is not sent again), so a report stored but never answered
is answered when its update comes again.

No Telegram here: handlers turn the values into API calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from bot import cards, texts, workflow
from bot.models import Assignment, Progress, Report, Role
from bot.tracking import progress_label

if TYPE_CHECKING:
    from storage import DataStore

Buttons = cards.Buttons


@dataclasses.dataclass(frozen=True)
class Source:
    """What a user action came from; its :meth:`key` makes the action idempotent."""

    chat_id: int
    message_id: int | None = None  # a message (reply, /report, an edit names its message too)
    query_id: str | None = None  # a button press
    update_id: int | None = None  # anything else

    def key(self) -> str:
        if self.query_id:
            return f"q:{self.query_id}"
        if self.message_id is not None:
            return f"m:{self.chat_id}:{self.message_id}"
        if self.update_id is not None:
            return f"u:{self.update_id}"
        raise ValueError("a source needs a message id, a callback query id or an update id")


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One message the bot owes: HTML ``text`` to ``chat_id`` (a reply to ``reply_to`` if set)."""

    chat_id: int
    text: str
    buttons: Buttons = dataclasses.field(default_factory=list)
    reply_to: int | None = None
    key: str = ""  # stable: "<source key>:<purpose>", the same when the action is handled again
    purpose: str = ""  # ack | office_done | office_blocked | office_withdrawn | office_extension | agency


@dataclasses.dataclass
class Recorded:
    """What an action stored and what to send. ``created`` is False when it was stored before."""

    assignment: Assignment
    report: Report | None = None
    created: bool = True
    messages: list[Outgoing] = dataclasses.field(default_factory=list)
    answer: str | None = None  # the text of a callback query's answer (buttons)
    index: int | None = None  # the extension request's index (extension requests)


@dataclasses.dataclass(frozen=True)
class Settings:
    office_chat_id: int | None = None
    auto_confirm: bool = False


def _names(store: "DataStore", a: Assignment, directory: Any) -> tuple[Any, Any, str]:
    task = store.notices.task(a.task_id)
    notice = store.notices.notice(a.notice_id)
    return task, notice, cards.agency_name(directory, a.agency_id)


def office_messages(before: Progress, a: Assignment, report: Report, *, task: Any, notice: Any, agency: str,
                    office_chat_id: int | None, key: str) -> list[Outgoing]:
    """What the office must hear about a change of progress, once per change (pure)."""
    if office_chat_id is None or a.progress == before:
        return []
    kinds = []
    if before == Progress.DONE and a.completed_at is None:
        kinds.append("office_withdrawn")
    if a.progress == Progress.DONE and a.completed_at is None:
        kinds.append("office_done")
    elif a.progress == Progress.BLOCKED:
        kinds.append("office_blocked")
    return [office_message(k, a, report, task=task, notice=notice, agency=agency, office_chat_id=office_chat_id,
                           key=key) for k in kinds]


def office_message(kind: str, a: Assignment, report: Report, *, task: Any, notice: Any, agency: str,
                   office_chat_id: int, key: str) -> Outgoing:
    """One message for the office about ``report`` (pure): ``kind`` office_withdrawn | office_done |
    office_blocked."""
    if kind == "office_withdrawn":
        text, buttons = texts.t("progress.done_withdrawn_office", agency=agency, code=task.code), []
    elif kind == "office_done":
        text, buttons = cards.office_done(a, task, notice, report, agency)
    else:
        text, buttons = texts.t("progress.blocked_office", agency=agency, code=task.code, ref=task.ref,
                                number=notice.number or "", text=cards.short_text(report.text, 600)), []
    return Outgoing(office_chat_id, text, buttons, key=f"{key}:{kind}", purpose=kind)


def _owed_again(report: Report, a: Assignment, *, task: Any, notice: Any, agency: str, settings: "Settings",
                key: str) -> list[Outgoing]:
    """The office messages a stored report owed when it was made (its ``notify``), built again."""
    if settings.office_chat_id is None:
        return []
    return [office_message(k, a, report, task=task, notice=notice, agency=agency,
                           office_chat_id=settings.office_chat_id, key=key)
            for k in report.notify if k in ("office_withdrawn", "office_done", "office_blocked")]


def _ack(report: Report, task: Any, agency: str, *, chat_id: int, reply_to: int | None, key: str,
         hint: str = "", with_buttons: bool = True) -> Outgoing:
    text, buttons = cards.ack(report, task, agency)
    return Outgoing(chat_id, text + hint, buttons if with_buttons else [], reply_to=reply_to, key=f"{key}:ack",
                    purpose="ack")


def record(store: "DataStore", report: Report, *, source: Source, now: dt.datetime, settings: Settings,
           directory: Any, reply_to: int | None = None, hint: str = "") -> Recorded:
    """A new progress report (a reply, a button, /report): stored with the assignment it changes.

    ``report`` names its assignment; its ``source_key`` is set from ``source``. The returned
    messages are the acknowledgement (to ``report.chat_id``, replying to ``reply_to``) and, when
    the progress changed, what the office must hear.
    """
    key = source.key()
    report = dataclasses.replace(report, source_key=key)
    existing = store.notices.report_by_source(key)
    a = store.notices.assignment(report.assignment_id)
    if a is None:
        raise LookupError(f"unknown assignment {report.assignment_id!r}")
    task, notice, agency = _names(store, a, directory)
    button = report.source == "button"
    if existing is not None:  # handled before: the same messages owed, nothing stored
        return Recorded(a, existing, created=False,
                        messages=[_ack(existing, task, agency, chat_id=existing.chat_id, reply_to=reply_to, key=key,
                                       hint=hint, with_buttons=not button),
                                  *_owed_again(existing, a, task=task, notice=notice, agency=agency,
                                               settings=settings, key=key)],
                        answer=texts.t("progress.ack_button", status=progress_label(existing.status)) if button else None)
    if button and a.progress == report.status:  # a double tap, or the same news twice: nothing to record
        return Recorded(a, None, created=False, answer=texts.t("progress.ack_button", status=progress_label(a.progress)))
    before = a.progress
    workflow.apply_report(a, report, now=now, auto_confirm=settings.auto_confirm)
    office = office_messages(before, a, report, task=task, notice=notice, agency=agency,
                             office_chat_id=settings.office_chat_id, key=key)
    report.notify = [m.purpose for m in office]  # stored with the report: the office request is part of the write
    stored, created = store.notices.record_report(report, a)
    if not created:  # the same message under the old key (stored before source keys existed)
        a = store.notices.assignment(report.assignment_id)
        return Recorded(a, stored, created=False,
                        messages=[_ack(stored, task, agency, chat_id=stored.chat_id, reply_to=reply_to, key=key,
                                       hint=hint, with_buttons=not button),
                                  *_owed_again(stored, a, task=task, notice=notice, agency=agency,
                                               settings=settings, key=key)])
    messages = [_ack(stored, task, agency, chat_id=stored.chat_id, reply_to=reply_to, key=key, hint=hint,
                     with_buttons=not button), *office]
    answer = texts.t("progress.ack_button", status=progress_label(report.status)) if button else None
    return Recorded(a, stored, created=True, messages=messages, answer=answer)


def revise(store: "DataStore", report: Report, *, source: Source, now: dt.datetime, settings: Settings,
           directory: Any, text: str | None = None, files: list | None = None, status: Progress,
           by: int | None = None) -> Recorded:
    """An edited reply (``text`` given) or a corrected status (``by`` given): the report keeps its
    previous version in its history, the assignment's progress is what its reports now say;
    stored in one write. Idempotent: the same edit or correction again changes nothing."""
    key = source.key()
    a = store.notices.assignment(report.assignment_id)
    if a is None:
        raise LookupError(f"unknown assignment {report.assignment_id!r}")
    task, notice, agency = _names(store, a, directory)
    for h in report.history:
        if h.get("by_source") == key:  # handled before: the same messages owed, nothing stored
            again = dataclasses.replace(report, notify=list(h.get("notify") or []))
            return Recorded(a, report, created=False,
                            messages=_owed_again(again, a, task=task, notice=notice, agency=agency,
                                                 settings=settings, key=key))
    if status == report.status and (text is None or text == report.text):
        return Recorded(a, report, created=False)
    entry: dict[str, Any] = {"at": report.at.isoformat(), "status": report.status.value, "by_source": key}
    if text is not None:
        entry.update(text=report.text, edited_at=now.isoformat())
        report.text = text
        report.files = files or report.files
    else:
        entry.update(corrected_at=now.isoformat(), by=by)
    report.history.append(entry)
    report.status = status
    before = a.progress
    siblings = [r if r.id != report.id else report for r in store.notices.reports(assignment_id=a.id)]
    workflow.recompute_progress(a, siblings, now=now, auto_confirm=settings.auto_confirm)
    if text is not None:
        a.last_report_at = now
    messages = office_messages(before, a, report, task=task, notice=notice, agency=agency,
                               office_chat_id=settings.office_chat_id, key=key)
    entry["notify"] = [m.purpose for m in messages]
    store.notices.save_report(report, a)
    return Recorded(a, report, created=True, messages=messages)


def request_extension(store: "DataStore", report: Report, *, source: Source, new_date: dt.date, reason: str,
                      now: dt.datetime, settings: Settings, directory: Any, author: str,
                      reply_to: int | None = None) -> Recorded:
    """An extension request (gia hạn): kept as a report, the assignment waits for the office,
    the office gets the request with its buttons; one write. Raises
    :class:`workflow.ExtensionRefused` when it cannot be asked now (nothing stored)."""
    key = source.key()
    report = dataclasses.replace(report, source_key=key, status=Progress.EXTENSION, source="extension")
    a = store.notices.assignment(report.assignment_id)
    if a is None:
        raise LookupError(f"unknown assignment {report.assignment_id!r}")
    task, notice, agency = _names(store, a, directory)
    existing = store.notices.report_by_source(key)
    if existing is None and report.message_id is not None:
        existing = store.notices.report_by_message(report.chat_id, report.message_id)
    sent = Outgoing(report.chat_id, texts.t("progress.extension_sent", code=task.code, date=cards.fmt_date(new_date)),
                    reply_to=reply_to, key=f"{key}:ack", purpose="ack")
    if existing is not None:  # handled before: the same messages owed (the request as it is now)
        again = [sent]
        pending = [i for i, e in enumerate(a.extensions) if e.decision is None]
        if settings.office_chat_id is not None and pending:
            text, buttons = cards.office_extension(a, pending[-1], task, notice, agency, author)
            again.append(Outgoing(settings.office_chat_id, text, buttons, key=f"{key}:office_extension",
                                  purpose="office_extension"))
        return Recorded(a, existing, created=False, messages=again)
    workflow.request_extension(a, new_deadline=new_date, reason=reason, by=report.author_id, now=now)
    a.last_report_at = now
    index = len(a.extensions) - 1
    stored, _ = store.notices.record_report(report, a)
    messages = [sent]
    if settings.office_chat_id is not None:
        text, buttons = cards.office_extension(a, index, task, notice, agency, author)
        messages.append(Outgoing(settings.office_chat_id, text, buttons, key=f"{key}:office_extension",
                                 purpose="office_extension"))
    return Recorded(a, stored, created=True, messages=messages, index=index)


def _to_agency(store: "DataStore", a: Assignment, text: str, key: str) -> list[Outgoing]:
    """A decision for the agency: under its task message, or in its current group if it moved."""
    chats = store.registry.chats_of(a.agency_id)
    if not chats:
        return []
    same = a.chat_id in {c.chat_id for c in chats}
    chat_id = a.chat_id if same else chats[0].chat_id
    return [Outgoing(chat_id, text, reply_to=a.message_id if same else None, key=f"{key}:agency:{a.id}",
                     purpose="agency")]


def decide_done(store: "DataStore", assignment_id: str, *, approve: bool, source: Source, now: dt.datetime,
                by: int, by_name: str, directory: Any) -> Recorded | None:
    """The office confirms a completion or returns it to the agency. None when there is nothing to
    decide any more (decided already, or withdrawn). The first message is the office's card text."""
    key = source.key()
    a = store.notices.assignment(assignment_id)
    if a is None:
        raise LookupError(f"unknown assignment {assignment_id!r}")
    if a.completed_at is not None or a.done_reported_at is None:
        return None
    if approve:
        workflow.confirm(a, now=now, by=by)
    else:
        workflow.return_to_agency(a)
    store.notices.update_assignments([a])
    task, _, agency = _names(store, a, directory)
    word = "confirmed" if approve else "returned"
    card = Outgoing(0, texts.t(f"progress.{word}_office", code=task.code, agency=agency, by=by_name),
                    key=f"{key}:office_card", purpose="office_card")
    return Recorded(a, None, messages=[card, *_to_agency(store, a, texts.t(f"progress.{word}_agency", code=task.code),
                                                         key)])


def decide_extension(store: "DataStore", assignment_id: str, index: int, *, approve: bool, source: Source,
                     now: dt.datetime, by: int, by_name: str, directory: Any) -> Recorded:
    """The office approves or refuses an extension; on approval of the lead's, coordinating parts
    due the same day move too. One write. Raises :class:`workflow.EditError` when it cannot be
    decided (decided already, replaced by a newer request, the work is done)."""
    key = source.key()
    a = store.notices.assignment(assignment_id)
    if a is None:
        raise LookupError(f"unknown assignment {assignment_id!r}")
    ext = workflow.decide_extension(a, index, approve=approve, by=by, now=now)
    moved: list[Assignment] = []
    if approve and a.role == Role.LEAD:  # the task's deadline moved: coordinating parts follow
        same_task = [x for x in store.notices.assignments(notice_id=a.notice_id)
                     if x.task_id == a.task_id and x.id != a.id]
        moved = workflow.follow_lead_extension(same_task, ext, now=now,
                                               reason=texts.plain("progress.extension_follows_lead"))
    store.notices.update_assignments([a, *moved])
    task, _, agency = _names(store, a, directory)
    card = Outgoing(0, texts.t(
        "progress.extension_decided_office", icon="✅" if approve else "❌", code=task.code, agency=agency,
        decision=texts.t("progress.decision_approved" if approve else "progress.decision_refused"), by=by_name),
        key=f"{key}:office_card", purpose="office_card")
    word = "extension_approved_agency" if approve else "extension_refused_agency"
    messages = [card, *_to_agency(store, a, texts.t(f"progress.{word}", code=task.code,
                                                    date=cards.fmt_date(a.deadline)), key)]
    for x in moved:
        messages += _to_agency(store, x, texts.t("progress.extension_moved_coordinating", code=task.code,
                                                 date=cards.fmt_date(x.deadline)), key)
    return Recorded(a, None, messages=messages, index=index)
