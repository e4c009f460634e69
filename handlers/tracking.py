"""Progress from agencies: replies to task messages, buttons, /report, edits; the office's decisions."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import ForceReply, Message, Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot import callbacks, progress, texts, workflow
from bot.importing import new_report_id
from bot.models import Assignment, Progress, Report, ReportFile
from bot.tracking import detect_progress, progress_label
from handlers.common import command, calendar_of, display_name, enqueue, is_admin, keyboard, pressed, reply, send, services

log = logging.getLogger("dondoc.tracking")

BUTTON_STATUS = {"ip": Progress.IN_PROGRESS, "done": Progress.DONE, "blk": Progress.BLOCKED,
                 "ext": Progress.EXTENSION, "none": Progress.NONE}


def _files(message: Message) -> list[ReportFile]:
    files = []
    if message.document:
        d = message.document
        files.append(ReportFile(file_id=d.file_id, name=d.file_name, size=d.file_size, mime_type=d.mime_type))
    if message.photo:
        p = message.photo[-1]
        files.append(ReportFile(file_id=p.file_id, size=p.file_size, mime_type="image/jpeg", kind="photo"))
    return files


def _check_access(context: ContextTypes.DEFAULT_TYPE, chat_id: int, a: Assignment | None) -> str | None:
    """Error key when chat ``chat_id`` may not report on ``a``, else None."""
    svc = services(context)
    binding = svc.store.registry.chat(chat_id)
    if a is None:
        return "progress.forged"
    if binding is None:
        return "progress.not_bound"
    if binding.agency_id != a.agency_id:
        return "progress.not_your_task"
    if a.closed or a.completed_at is not None:
        return "progress.task_closed"
    return None


def _settings(context: ContextTypes.DEFAULT_TYPE) -> progress.Settings:
    svc = services(context)
    return progress.Settings(office_chat_id=svc.config.office.chat_id,
                             auto_confirm=bool(getattr(svc.config.sections.get("tracking"), "auto_confirm", False)))


def _new_report(a: Assignment, *, chat_id: int, message_id: int | None, user, now, text: str = "",
                files: list[ReportFile] | None = None, status: Progress = Progress.NONE,
                source: str = "reply") -> Report:
    return Report(id=new_report_id(), assignment_id=a.id, notice_id=a.notice_id, agency_id=a.agency_id,
                  chat_id=chat_id, message_id=message_id, author_id=user.id, author_name=display_name(user),
                  at=now, text=text, files=files or [], status=status, source=source)


async def _send(context: ContextTypes.DEFAULT_TYPE, messages: list[progress.Outgoing]) -> None:
    """What an action owes goes to the outbox (durable on return; their keys: never twice); the
    sender delivers, retries and paces. The handler never waits for a chat's sending budget."""
    from bot.runtime import answered, capture_reply

    keep = [m for m in messages if not (m.purpose == "ack" and capture_reply(m.chat_id, m.text))]
    await enqueue(context, keep)  # the sender floods: one summary answers the acks captured
    if any(m.purpose == "ack" for m in keep):
        answered()  # recorded as handled at once: no second acknowledgement after a crash


async def _act(context: ContextTypes.DEFAULT_TYPE, fn, *args, finish: bool = True, more=None,
               release: bool | None = None, **kw) -> progress.Recorded:
    """One user action, ONE durable write: the use case ``fn(store, *args, **kw)`` (bot/progress:
    the report, the assignment, the office request), the messages it owes (the outbox) and, with
    ``finish``, "this update is done" (the update journal), in one transaction of the store's
    writer thread (one journal line, one fsync shared with the other chats' actions of the
    moment). ``finish`` only when nothing else the handler does after it needs redoing after a
    crash (every message it owes is in ``messages``; a callback query's answer, given after the
    write, does need it). ``release`` (default: ``finish``): the chat's next update may start once
    this action is applied, before its fsync. ``more(done)`` adds messages built from the result."""
    from bot import runtime as runtime_mod
    from bot import sender as sender_mod

    store = services(context).store
    if sender_mod.outbox_of(context.bot) is not store.outbox:  # no sender on this store's outbox
        done = await store.run(fn, store, *args, **kw)
        await _send(context, [*done.messages, *(more(done) if more else [])])
        return done
    handling = runtime_mod.current()
    release = finish if release is None else release
    finish = finish and runtime_mod.finishes_in_store(handling)

    def action() -> progress.Recorded:
        with store.transaction():
            done = fn(store, *args, **kw)
            messages = [*done.messages, *(more(done) if more else [])]
            store.owe([m for m in messages
                       if not (m.purpose == "ack" and runtime_mod.capture_for(handling, m.chat_id, m.text))])
            if finish:
                store.finish_update(handling.update_id)
        if release:  # the rest of the handler needs nothing the next update of the chat may change
            runtime_mod.applied_in_store(handling)
        return done

    action.__name__ = fn.__name__
    done = await store.run(action)
    if finish:
        runtime_mod.finished_in_store(handling)
    return done


async def _answer(query, text: str | None = None, *, tries: int = 3) -> None:
    """``query.answer(text)`` after the press was stored, tried again on a network error (a dropped
    connection, a timeout): the update is done once this returns, and a press never answered leaves
    the presser's client spinning. BadRequest (the query is too old) is the caller's."""
    for attempt in range(tries):
        try:
            await query.answer(text)
            return
        except BadRequest:  # a NetworkError to PTB, but Telegram's answer: not worth another try
            raise
        except NetworkError as exc:
            if attempt == tries - 1:
                raise
            log.info("button answer not given (%s), trying again", exc.message)
            await asyncio.sleep(0.2 * (attempt + 1))


class _Decision:
    """A decision's result for :func:`_act`: its messages but the first (the card, edited in place)."""

    def __init__(self, result) -> None:
        self.result = result
        self.messages = result.messages[1:] if result is not None else []


def _decided(fn):
    def decide(store, *args, **kw) -> _Decision:
        return _Decision(fn(store, *args, **kw))

    decide.__name__ = fn.__name__
    return decide


def _codes_in(text: str | None) -> list[str]:
    """Task codes ("NV12") named in one of the bot's messages."""
    return list(dict.fromkeys(workflow.normalise_code(m) for m in re.findall(r"\bNV\s?\d{1,6}\b", text or "")))


def _assignment_for(context: ContextTypes.DEFAULT_TYPE, chat_id: int, code: str) -> Assignment | None:
    """The assignment of this chat's agency for the task with this code."""
    svc = services(context)
    task = svc.store.notices.task_by_code(code)
    binding = svc.store.registry.chat(chat_id)
    if task is None or binding is None:
        return None
    return next((a for a in svc.store.notices.assignments(notice_id=task.notice_id)
                 if a.task_id == task.id and a.agency_id == binding.agency_id), None)


async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply in a group to one of the bot's messages: a progress report (or an extension request).

    The reply may answer the task message itself, or any later bot message about exactly one
    task (an acknowledgement, a confirmation, the extension prompt): people reply to the latest.
    """
    message = update.effective_message
    target = message.reply_to_message
    if target is None or target.from_user is None or target.from_user.id != context.bot.id:
        return
    svc = services(context)
    if message.chat.id == svc.config.office.chat_id:
        return  # the office discussing the bot's messages among themselves
    a = svc.store.notices.assignment_by_message(message.chat.id, target.message_id)
    prompt = False
    if a is None:
        # The bot message names the task; if it names several (a reminder) or none, the reply may
        # name it itself ("đã hoàn thành NV3").
        # Only codes of real tasks count: a message that only explains (/help, a usage line) names
        # example codes that cannot exist (NV0), and is never taken as being about a task.
        named = [c for c in _codes_in(target.text or target.caption) if svc.store.notices.task_by_code(c)]
        said = _codes_in(message.text or message.caption)
        codes = named if len(named) == 1 else [c for c in said if c in named or not named]
        if len(codes) != 1:
            codes = codes or named
            if codes:  # e.g. a reminder listing several tasks
                await reply(update, texts.t("progress.which_task"))
            return
        a = _assignment_for(context, message.chat.id, codes[0])
        prompt = (target.text or "").startswith("📅")
        if a is None:
            binding = svc.store.registry.chat(message.chat.id)
            await reply(update, texts.t("progress.not_bound" if binding is None else "progress.not_your_task"))
            return
    error = _check_access(context, message.chat.id, a)
    if error:
        await reply(update, texts.t(error, code=svc.store.notices.task(a.task_id).code))
        return
    text = message.text or message.caption or ""
    status = detect_progress(text) or Progress.NONE
    hint = ""
    if prompt or status == Progress.EXTENSION:
        try:
            new_date, reason = workflow.parse_extension_request(text, today=calendar_of(context).today(svc.now()))
        except workflow.EditError as exc:
            if prompt:  # they answered the prompt: say what is missing
                await reply(update, texts.t(exc.key, **exc.values))
                return
            # Words about an extension without a usable date: kept as a report, and told how to ask.
            status = Progress.NONE
            hint = "\n" + texts.t("progress.extension_hint", why=texts.Raw(texts.t(exc.key, **exc.values)))
        else:
            await _request_extension(update, context, a, new_date, reason)
            return
    report = _new_report(a, chat_id=message.chat.id, message_id=message.message_id, user=message.from_user,
                         now=svc.now(), text=text, files=_files(message), status=status, source="reply")
    done = await _act(context, progress.record, report, source=_message_source(message), now=svc.now(),
                      settings=_settings(context), directory=svc.directory, reply_to=message.message_id, hint=hint)
    if done.created:
        log.info("report %s stored for assignment %s (%s)", done.report.id, a.id, done.report.status.value)
    else:  # stored before a crash, the update never recorded as handled: its answer may be missing
        log.info("report %s was stored before; acknowledging it again", done.report.id)


def _message_source(message: Message) -> progress.Source:
    return progress.Source(chat_id=message.chat.id, message_id=message.message_id)


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited reply updates its report (the previous version is kept in its history)."""
    message = update.edited_message
    svc = services(context)
    report = svc.store.notices.report_by_message(message.chat.id, message.message_id)
    if report is None:
        return
    text = message.text or message.caption or ""
    new_status = detect_progress(text) or Progress.NONE
    if new_status == Progress.EXTENSION:
        new_status = Progress.NONE
    source = progress.Source(chat_id=message.chat.id, update_id=update.update_id)

    def ack_edit(done: progress.Recorded) -> list[progress.Outgoing]:
        if not done.created:
            return []
        task = svc.store.notices.task(done.assignment.task_id)
        return [progress.Outgoing(message.chat.id, texts.t("progress.ack_edit", code=task.code,
                                                           status=progress_label(done.assignment.progress)),
                                  reply_to=message.message_id, key=f"{source.key()}:ack", purpose="ack")]

    done = await _act(context, progress.revise, report, source=source, now=svc.now(), settings=_settings(context),
                      directory=svc.directory, text=text, files=_files(message), status=new_status,
                      more=ack_edit)
    if done.created:
        log.info("report %s updated from an edit", report.id)


async def _refuse_button(context: ContextTypes.DEFAULT_TYPE, query, error: str, a: Assignment | None) -> None:
    log.info("button refused (%s) for user %s", error, query.from_user.id)
    task = services(context).store.notices.task(a.task_id) if a is not None else None
    await query.answer(texts.t(error, code=task.code if task else ""), show_alert=True)


async def on_status_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons under a task message: st:<assignment>:<ip|done|blk|ext>."""
    query = update.callback_query
    svc = services(context)
    data = await pressed(update, callbacks.Status)
    if data is None:
        return
    a = svc.store.notices.assignment(data.assignment)
    if a is None or a.message_id != query.message.message_id:
        error = "progress.forged"
    else:
        error = _check_access(context, query.message.chat.id, a)
    if error:
        await _refuse_button(context, query, error, a)
        return
    status = BUTTON_STATUS[data.status]
    task = svc.store.notices.task(a.task_id)
    if status == Progress.EXTENSION:
        await query.answer()
        await send(context, query.message.chat.id, texts.t("progress.extension_prompt", code=task.code),
                   reply_to_message_id=query.message.message_id, reply_markup=ForceReply(selective=False),
                   key=f"q:{query.id}:prompt", kind="prompt")
        return
    report = _new_report(a, chat_id=query.message.chat.id, message_id=None, user=query.from_user, now=svc.now(),
                         status=status, source="button")
    # The press and its acknowledgement owed in one write; the query is answered after it (the toast
    # says it is recorded), so the update is done only then: a crash in between brings the press
    # again, stored already, and it is answered.
    done = await _act(context, progress.record, report, source=_query_source(query), now=svc.now(),
                      settings=_settings(context), directory=svc.directory, reply_to=query.message.message_id,
                      finish=False, release=True)
    try:
        await _answer(query, done.answer)
    except BadRequest as exc:  # answered before a crash: the query is gone, the acknowledgement is not
        log.info("button answer for assignment %s not given: %s", a.id, exc.message)
    if done.created:  # else a double tap, the same news twice, or the same press handled before a crash
        log.info("status %s set by button for assignment %s", status.value, a.id)


def _query_source(query) -> progress.Source:
    return progress.Source(chat_id=query.message.chat.id, query_id=query.id)


async def on_correct_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """cr:<report>:<status>: the agency corrects what the bot understood from its reply."""
    query = update.callback_query
    svc = services(context)
    data = await pressed(update, callbacks.Correct)
    if data is None:
        return
    report = svc.store.notices.report(data.report)
    a = svc.store.notices.assignment(report.assignment_id) if report else None
    if a is not None and a.message_id == query.message.message_id:
        a = None  # a correction is pressed on its acknowledgement, never on the task card
    error = "progress.forged" if a is None else _check_access(context, query.message.chat.id, a)
    if error:
        await _refuse_button(context, query, error, a)
        return
    status = BUTTON_STATUS[data.status]
    task = svc.store.notices.task(a.task_id)
    await query.answer()
    done = await _act(context, progress.revise, report, source=_query_source(query), now=svc.now(),
                      settings=_settings(context), directory=svc.directory, status=status, by=query.from_user.id,
                      finish=False)  # the acknowledgement is edited after the write: done once it is
    if not done.created:
        return
    label = progress_label(status) if status != Progress.NONE else texts.t("progress.status_unchanged")
    await query.edit_message_text(texts.t("progress.corrected", code=task.code, status=label))


async def _request_extension(update: Update, context: ContextTypes.DEFAULT_TYPE, a: Assignment,
                             new_date, reason: str) -> None:
    """Record an extension request (gia hạn) and ask the office to decide."""
    svc = services(context)
    message = update.effective_message
    task = svc.store.notices.task(a.task_id)
    report = _new_report(a, chat_id=message.chat.id, message_id=message.message_id, user=message.from_user,
                         now=svc.now(), text=message.text or "", status=Progress.EXTENSION, source="extension")
    try:
        done = await _act(context, progress.request_extension, report, source=_message_source(message),
                          new_date=new_date, reason=reason, now=svc.now(), settings=_settings(context),
                          directory=svc.directory, author=display_name(message.from_user),
                          reply_to=message.message_id)
    except workflow.ExtensionRefused as exc:
        await reply(update, texts.t(exc.key, code=task.code))
        return
    if done.created:
        log.info("extension requested for assignment %s", a.id)


async def _office_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    query = update.callback_query
    svc = services(context)
    if not is_admin(context, update) or query.message.chat.id != svc.config.office.chat_id:
        await query.answer(texts.t("progress.only_office"), show_alert=True)
        return False
    return True


async def on_confirm_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """cf:<assignment>:<ok|back> in the office group."""
    query = update.callback_query
    if not await _office_check(update, context):
        return
    svc = services(context)
    data = await pressed(update, callbacks.Confirm)
    if data is None:
        return
    a = svc.store.notices.assignment(data.assignment)
    if a is None:
        await query.answer(texts.t("progress.forged"), show_alert=True)
        return
    if a.completed_at is not None or a.done_reported_at is None:
        await query.answer(texts.t("progress.already_decided"), show_alert=True)
        await query.edit_message_reply_markup(None)
        return
    approve = data.decision == "ok"
    done = await _act(context, _decided(progress.decide_done), a.id, approve=approve, source=_query_source(query),
                      now=svc.now(), by=query.from_user.id, by_name=display_name(query.from_user),
                      directory=svc.directory, finish=False)  # the office's card is edited after the write
    done = done.result
    if done is None:  # decided meanwhile
        await query.answer(texts.t("progress.already_decided"), show_alert=True)
        await query.edit_message_reply_markup(None)
        return
    log.info("assignment %s %s by user %s", a.id, "confirmed" if approve else "returned", query.from_user.id)
    await query.answer()
    await query.edit_message_text(done.messages[0].text)


async def on_extension_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ex:<assignment>:<index>:<ok|no> in the office group."""
    query = update.callback_query
    if not await _office_check(update, context):
        return
    svc = services(context)
    data = await pressed(update, callbacks.Extension)
    if data is None:
        return
    a = svc.store.notices.assignment(data.assignment)
    index = data.index
    if a is None or not 0 <= index < len(a.extensions):
        await query.answer(texts.t("progress.forged"), show_alert=True)
        return
    approve = data.decision == "ok"
    try:
        done = (await _act(context, _decided(progress.decide_extension), a.id, index, approve=approve,
                           source=_query_source(query), now=svc.now(), by=query.from_user.id,
                           by_name=display_name(query.from_user), directory=svc.directory, finish=False)).result
    except workflow.EditError as exc:  # decided already, replaced by a newer request, or the work is done
        key = exc.key if isinstance(exc, workflow.ExtensionRefused) else "progress.already_decided"
        await query.answer(texts.t(key, code=svc.store.notices.task(a.task_id).code), show_alert=True)
        await query.edit_message_reply_markup(None)
        return
    log.info("extension %s of assignment %s %s", index, a.id, "approved" if approve else "refused")
    await query.answer()
    await query.edit_message_text(done.messages[0].text)


async def cmd_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report NVxx text, in the agency's group."""
    svc = services(context)
    message = update.effective_message
    args = context.args or []
    if len(args) < 2 or not workflow.is_task_code(args[0]):
        await reply(update, texts.t("progress.report_usage"))
        return
    code = workflow.normalise_code(args[0])
    task = svc.store.notices.task_by_code(code)
    binding = svc.store.registry.chat(message.chat.id)
    if binding is None:
        await reply(update, texts.t("progress.not_bound"))
        return
    if task is None:
        await reply(update, texts.t("progress.unknown_task", code=code))
        return
    a = _assignment_for(context, message.chat.id, code)
    if a is None:
        await reply(update, texts.t("progress.not_your_task"))
        return
    error = _check_access(context, message.chat.id, a)
    if error:
        await reply(update, texts.t(error, code=code))
        return
    text = message.text.split(maxsplit=2)[2] if len(message.text.split(maxsplit=2)) > 2 else ""
    status = detect_progress(text) or Progress.NONE
    if status == Progress.EXTENSION:
        status = Progress.NONE
    report = _new_report(a, chat_id=message.chat.id, message_id=message.message_id, user=message.from_user,
                         now=svc.now(), text=text, files=_files(message), status=status, source="command")
    # handled before a crash (not created): its acknowledgement again (the outbox's key: sent once)
    await _act(context, progress.record, report, source=_message_source(message), now=svc.now(),
               settings=_settings(context), directory=svc.directory, reply_to=message.message_id)
