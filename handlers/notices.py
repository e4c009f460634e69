"""Import a notice (a file sent by an admin in private), fix it, publish it to the agencies."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import re
import time

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import amend, callbacks, cards, sheet, texts, workflow
from bot.importing import new_assignment_id, new_task_id, read_any, store_draft
from bot.models import Assignment, Task
from bot.outgoing import Outgoing
from bot.services import DondocContext, services_of
from handlers.common import (answer_key, calendar_of, delivered, enqueue, is_admin, pressed,
                             refuse, reply, send_parts, services)

log = logging.getLogger("dondoc.notices")

MAX_DOWNLOAD = 20 * 1024 * 1024  # Bot API getFile limit


async def on_document(update: Update, context: DondocContext) -> None:
    """A file (or photo) sent to the bot in a private chat: a notice to import."""
    message = update.effective_message
    if not is_admin(context, update):
        await refuse(update, "notice.upload_not_admin")
        return
    svc = services(context)
    if message.document is not None:
        file_id, name, size = message.document.file_id, message.document.file_name or "notice", message.document.file_size
        kind = sheet_kind(name, message.document.mime_type)
        if kind == "xlsx":
            await on_sheet(update, context, file_id, name, size)
            return
        if kind == "other":
            await reply(update, texts.t("sheet.upload_not_xlsx"))
            return
    else:
        photo = message.photo[-1]
        file_id, name, size = photo.file_id, "photo.jpg", photo.file_size
    if size and size > MAX_DOWNLOAD:
        await reply(update, texts.t("notice.too_big_to_download"))
        return
    # "Reading…", through the outbox like every answer; edited with the OCR's progress once it is out.
    status = await enqueue(context, Outgoing(message.chat.id, texts.t("notice.reading", name=name),
                                             key=answer_key(update), kind="status"))
    tg_file = await context.bot.get_file(file_id)
    data = bytes(await tg_file.download_as_bytearray())
    loop = asyncio.get_running_loop()
    last = [0.0]

    def progress(page: int, total: int) -> None:  # called from the worker thread
        if total > 1 and time.monotonic() - last[0] > 1.0:
            last[0] = time.monotonic()
            asyncio.run_coroutine_threadsafe(
                _edit_status(context, status, texts.t("notice.ocr_progress", page=page, total=total)), loop)

    from bot.notices import NoticeFileError

    # One reading at a time: OCR takes both cores; others wait their turn, the bot keeps answering.
    lock = svc.reader_lock
    try:
        async with lock:
            reading, used_ocr = await asyncio.to_thread(
                read_any, data, name, svc.directory, ocr_settings=svc.config.sections.get("ocr"),
                progress=progress)
    except NoticeFileError as exc:
        log.info("notice file refused: %s", type(exc).__name__)
        await reply(update, texts.t("notice.file_error", error=str(exc)))
        return
    imported = await svc.store.run(store_draft, svc.store, reading, source=data, source_name=name,
                                   now=svc.now(), by=update.effective_user.id)
    log.info("notice %s imported (%d tasks, ocr=%s, new=%s)", imported.notice.id, len(imported.tasks), used_ocr,
             imported.created)
    if not imported.created:
        state = texts.t(f"notice.state_{imported.notice.state}")
        await reply(update, texts.t("notice.duplicate", number=imported.notice.number or "?", state=state))
    context.user_data["draft"] = imported.notice.id
    await send_preview(update, context, imported.notice.id)


async def _edit_status(context: DondocContext, entries: list, text: str) -> None:
    """Edit a status message the outbox delivered (not yet out: this progress step is skipped)."""
    entry = entries[0] if entries else None
    if entry is None or entry.state != "sent" or entry.message_id is None:
        return
    try:
        await context.bot.edit_message_text(text, chat_id=entry.chat_id, message_id=entry.message_id)
    except TelegramError as exc:
        log.info("reading progress not shown: %s", exc.message)


async def send_preview(update: Update, context: DondocContext, notice_id: str) -> None:
    svc = services(context)
    notice = svc.store.notices.notice(notice_id)
    tasks = svc.store.notices.tasks(notice_id)
    text, buttons = cards.preview(notice, tasks, calendar_of(context))
    await send_parts(context, update.effective_chat.id, text, buttons=buttons, update=update, kind="preview")


# ------------------------------------------------------------------ the notice as an Excel sheet

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OTHER_SHEETS = (".xls", ".xlsm", ".xlsb", ".ods", ".csv", ".numbers")
_FILE_LEVEL = {"sheet.too_big", "sheet.not_xlsx", "sheet.no_table"}


def sheet_kind(name: str, mime: str | None) -> str | None:
    """"xlsx" for a workbook to read as a task table, "other" for a spreadsheet the bot does not
    read (.xls, .ods, .csv...), None for anything else (a notice)."""
    lower = (name or "").lower()
    if lower.endswith(".xlsx") or (mime == XLSX_MIME and "." not in lower):
        return "xlsx"
    if lower.endswith(_OTHER_SHEETS) or mime in ("application/vnd.ms-excel", "text/csv",
                                                  "application/vnd.oasis.opendocument.spreadsheet"):
        return "other"
    return None


def sheet_refusal(exc: sheet.SheetError) -> str:
    """One line for one problem; a title and one line each for several (at most ten shown)."""
    lines = [texts.t(key, **values) for key, values in exc.errors]
    if exc.errors[0][0].startswith("upload_limits."):
        return "❌ " + lines[0]
    if len(lines) == 1 or exc.errors[0][0] in _FILE_LEVEL:
        first = lines[0]
        return first if exc.errors[0][0] in _FILE_LEVEL else texts.t("sheet.refused", error=texts.Raw(first))
    shown = lines[:10]
    if len(lines) > len(shown):
        shown.append(texts.t("sheet.more_errors", count=len(lines) - len(shown)))
    return "\n".join([texts.t("sheet.refused_many", count=len(lines)), *shown])


async def send_sheet(context: DondocContext, chat_id: int, notice_id: str | None,
                     update: Update | None = None) -> None:
    """The notice's tasks as .xlsx (an empty template when ``notice_id`` is None), through the
    outbox (the file waits in the data folder until Telegram took it)."""
    svc = services(context)
    notice = svc.store.notices.notice(notice_id) if notice_id else None
    tasks = svc.store.notices.tasks(notice.id) if notice else []
    data = await asyncio.to_thread(sheet.write_sheet, notice, tasks)
    caption = (texts.t("sheet.caption", number=notice.number or notice.id) if notice
               else texts.t("sheet.caption_template"))
    await enqueue(context, Outgoing(chat_id, caption, key=answer_key(update), kind="sheet", ref=notice.id if notice else "",
                                    file_name=sheet.file_name(notice), file_data=data))
    log.info("sheet of notice %s owed to chat %s", notice.id if notice else "(template)", chat_id)


def _current_draft(context: DondocContext) -> str | None:
    """The notice this admin is editing: the last one they touched, else the newest draft."""
    svc = services(context)
    notice_id = context.user_data.get("draft")
    if notice_id is not None and svc.store.notices.notice(notice_id) is not None:
        return notice_id
    drafts = [n for n in svc.store.notices.all_notices() if n.state == "draft"]
    return max(drafts, key=lambda n: n.created_at or 0).id if drafts else None


_TEMPLATE_WORDS = {"moi", "new", "mau", "trang", "template"}


async def cmd_table(update: Update, context: DondocContext) -> None:
    """/table: the draft as .xlsx; /table <số thông báo | NV12>: that notice; /table mới: a template."""
    if not is_admin(context, update):
        await refuse(update)
        return
    if update.effective_chat.type != "private":
        await reply(update, texts.t("notice.private_only"))
        return
    svc = services(context)
    arg = " ".join(context.args or []).strip()
    if not arg:
        notice_id = _current_draft(context)
    elif sheet.fold(arg) in _TEMPLATE_WORDS:
        notice_id = None
    else:
        notice = svc.store.notices.find_notice_by_number(arg)
        if notice is None and workflow.is_task_code(arg):
            task = svc.store.notices.task_by_code(workflow.normalise_code(arg))
            notice = svc.store.notices.notice(task.notice_id) if task else None
        if notice is None:
            await reply(update, texts.t("sheet.table_unknown", value=arg[:80]))
            return
        notice_id = notice.id
    if notice_id is not None:
        context.user_data["draft"] = notice_id
    await send_sheet(context, update.effective_chat.id, notice_id, update)


async def on_excel_button(update: Update, context: DondocContext) -> None:
    """"📝 Sửa bằng Excel" under a preview (xl:<notice>): the sheet, to the chat where it was pressed."""
    query = update.callback_query
    chat = query.message.chat if query.message else None
    office = services(context).config.office.chat_id
    if chat is None or (chat.type != "private" and chat.id != office):
        await query.answer(texts.t("notice.private_only"), show_alert=True)
        return
    notice = await _button_notice(update, context)
    if notice is None:
        return
    await query.answer()
    if chat.type == "private":
        context.user_data["draft"] = notice.id
    await send_sheet(context, chat.id, notice.id, update)


async def on_sheet(update: Update, context: DondocContext, file_id: str, name: str,
                   size: int | None) -> None:
    """A task table sent back by an admin in private: it becomes the draft (or a new notice)."""
    svc = services(context)
    if size and size > sheet.MAX_BYTES:
        await reply(update, texts.t("sheet.too_big", size=str(sheet.MAX_BYTES // (1024 * 1024))))
        return
    await reply(update, texts.t("sheet.reading", name=name))
    tg_file = await context.bot.get_file(file_id)
    data = bytes(await tg_file.download_as_bytearray())
    try:
        parsed = await asyncio.to_thread(sheet.read_sheet, data, name)
    except sheet.SheetError as exc:
        log.info("sheet refused: %s", exc)
        await reply(update, sheet_refusal(exc))
        return
    head = parsed.head
    notice = svc.store.notices.notice(head.notice_id) if head.notice_id else None
    if head.notice_id and notice is None:
        await reply(update, texts.t("sheet.unknown_notice"))
        return
    try:
        if notice is None:
            await _sheet_new_notice(update, context, parsed, data, name)
        elif notice.state == "published":
            await _sheet_published(update, context, parsed, notice, file_id, data)
        else:
            await _sheet_draft(update, context, parsed, notice)
    except sheet.SheetError as exc:
        log.info("sheet refused: %s", exc)
        await reply(update, sheet_refusal(exc))


async def _sheet_new_notice(update, context, parsed: sheet.Sheet, data: bytes, name: str) -> None:
    svc = services(context)
    head = parsed.head
    if head.number and svc.store.notices.find_notice_by_number(head.number) is not None:
        await reply(update, texts.t("sheet.number_exists", number=head.number))
        return
    notice_id = workflow.notice_id_for(data)
    if svc.store.notices.notice(notice_id) is not None:  # the very same file again
        await reply(update, texts.t("sheet.unchanged", number=head.number or notice_id))
        await send_preview(update, context, notice_id)
        return
    notice = sheet.new_notice(parsed, notice_id=notice_id, source=data, source_name=name, now=svc.now(),
                              by=update.effective_user.id)
    result = sheet.diff(parsed, None, [], svc.directory, new_task_id=lambda: new_task_id(notice_id))
    tasks = [dataclasses.replace(t, notice_id=notice_id) for t in result.tasks]
    await svc.store.run(svc.store.notices.create_notice, notice, tasks)
    log.info("notice %s created from a sheet (%d tasks) by user %s", notice_id, len(tasks), update.effective_user.id)
    await reply(update, texts.t("sheet.received_new", number=notice.number or notice_id, count=len(tasks)))
    context.user_data["draft"] = notice_id
    await send_preview(update, context, notice_id)


async def _sheet_draft(update, context, parsed: sheet.Sheet, notice) -> None:
    svc = services(context)
    tasks = svc.store.notices.tasks(notice.id)
    result = sheet.diff(parsed, notice, tasks, svc.directory, new_task_id=lambda: new_task_id(notice.id))
    context.user_data["draft"] = notice.id
    if result.empty:
        await reply(update, texts.t("sheet.unchanged", number=notice.number or notice.id))
        await send_preview(update, context, notice.id)
        return
    if await apply_changes(update, context, notice, result):
        await reply(update, texts.t("sheet.received", number=notice.number or notice.id, added=result.count("added"),
                                    changed=result.count("changed"), removed=result.count("removed")))
        await send_preview(update, context, notice.id)


async def apply_changes(update: Update, context: DondocContext, notice, result: sheet.SheetDiff) -> bool:
    """Store what the clerk changed (a sheet or a command). A draft: the preview comes again.
    A published notice: new tasks are sent, the agencies concerned told, removed ones cancelled.
    Returns False (after saying why) when nothing was stored."""
    svc = services(context)
    if "number" in result.head:
        other = svc.store.notices.find_notice_by_number(str(result.head["number"]))
        if other is not None and other.id != notice.id:
            await reply(update, texts.t("sheet.number_exists", number=str(result.head["number"])))
            return False
    for field, value in result.head.items():
        setattr(notice, field, value)
    who = update.effective_user.id
    if notice.state != "published":
        await svc.store.run(svc.store.notices.save_tasks, notice, result.tasks)
        log.info("draft %s changed (+%d ~%d -%d) by user %s", notice.id, result.count("added"),
                 result.count("changed"), result.count("removed"), who)
        return True
    now = svc.now()

    def write() -> amend.Amendment:
        # In the store's writer thread: the assignments read, amended and written with no other
        # write (a report arriving meanwhile) in between.
        plan = amend.amend(result.changes, result.tasks, svc.store.notices.assignments(notice_id=notice.id),
                           svc.directory, now=now, by=who, new_id=new_assignment_id)
        if not plan.unassigned:
            svc.store.notices.save_tasks(notice, plan.tasks, new_assignments=plan.new_assignments,
                                         changed_assignments=plan.changed_assignments)
        return plan

    plan = await svc.store.run(write)
    if plan.unassigned:
        await reply(update, texts.t("amend.blocked", codes=", ".join(t.code or t.ref for t in plan.unassigned)))
        return False
    log.info("published notice %s amended (+%d ~%d -%d, %d new assignments, %d to tell) by user %s", notice.id,
             result.count("added"), result.count("changed"), result.count("removed"), len(plan.new_assignments),
             len(plan.tells), who)
    told = await send_owed(context, notice.id)
    await reply(update, texts.t("amend.summary", number=notice.number or "", added=result.count("added"),
                                changed=result.count("changed"), removed=result.count("removed"), told=told))
    if plan.new_assignments or any(not a.closed and a.sent_at is None for a in plan.changed_assignments):
        context.application.create_task(deliver_notice(context, notice.id, update.effective_chat.id), update=update)
    return True


async def send_owed(context: DondocContext, notice_id: str | None = None) -> int:
    """Send the amendment messages the tasks' histories owe and the sent-log has not seen; each once."""
    svc = services(context)
    notices = [svc.store.notices.notice(notice_id)] if notice_id else svc.store.notices.all_notices()
    lock = svc.delivery_lock
    sent = 0
    for notice in notices:
        if notice is None or notice.state != "published":
            continue
        tasks = {t.id: t for t in svc.store.notices.tasks(notice.id)}
        for tell in amend.owed(tasks.values()):
            key = amend.sent_key(tell)
            async with lock:
                if svc.store.sentlog.was_sent(key):
                    continue
                a = svc.store.notices.assignment(tell.assignment_id)
                task = tasks.get(tell.task_id)
                if a is None or task is None:
                    continue
                chats = [c.chat_id for c in svc.store.registry.chats_of(a.agency_id)]
                if not chats:
                    await svc.store.run(svc.store.sentlog.mark_sent, key, svc.now(), {"skipped": "no group"})
                    continue
                chat_id = a.chat_id if a.chat_id in chats else chats[0]
                text = cards.amendment_message(a, task, notice, task.history[tell.entry], tell.kind)
                # owed once in the outbox (its key: never twice); the sender delivers and retries
                await enqueue(context, Outgoing(chat_id, text, key=f"amend:{key}", kind="amendment",
                                                reply_to=a.message_id if chat_id == a.chat_id else None))
                await svc.store.run(svc.store.sentlog.mark_sent, key, svc.now(), {"chat": chat_id})
                sent += 1
    return sent


async def _sheet_published(update, context, parsed: sheet.Sheet, notice, file_id: str, data: bytes) -> None:
    """A sheet of a published notice: say what it changes and wait for the admin's go."""
    svc = services(context)
    result = sheet.diff(parsed, notice, svc.store.notices.tasks(notice.id), svc.directory,
                        new_task_id=lambda: new_task_id(notice.id))
    context.user_data["draft"] = notice.id
    if result.empty:
        await reply(update, texts.t("sheet.unchanged", number=notice.number or notice.id))
        return
    context.user_data["amend"] = {"notice": notice.id, "file_id": file_id, "sha": workflow.sha256(data)}
    text, buttons = cards.amendment_confirm(notice, result)
    await send_parts(context, update.effective_chat.id, text, buttons=buttons, update=update, kind="amend_confirm")


async def on_amend_button(update: Update, context: DondocContext) -> None:
    """am:<notice>:ok|no under the list of changes a sheet makes to a published notice."""
    query = update.callback_query
    if query.message is None or query.message.chat.type != "private":
        await query.answer(texts.t("notice.private_only"), show_alert=True)
        return
    if not is_admin(context, update):
        await query.answer(texts.t("common.not_allowed"), show_alert=True)
        return
    data = await pressed(update, callbacks.Amend)
    if data is None:
        return
    notice = await _button_notice(update, context, data.notice)
    if notice is None:
        return
    pending = context.user_data.get("amend")
    if not pending or pending.get("notice") != notice.id:
        await query.answer(texts.t("amend.expired"), show_alert=True)
        return
    if data.decision == "no":
        context.user_data.pop("amend", None)
        await query.answer(texts.t("amend.cancelled"))
        await query.edit_message_reply_markup(None)
        return
    await query.answer()
    tg_file = await context.bot.get_file(pending["file_id"])
    data = bytes(await tg_file.download_as_bytearray())
    if workflow.sha256(data) != pending["sha"]:
        await reply(update, texts.t("amend.expired"))
        return
    svc = services(context)
    try:
        parsed = await asyncio.to_thread(sheet.read_sheet, data)
        result = sheet.diff(parsed, notice, svc.store.notices.tasks(notice.id), svc.directory,
                            new_task_id=lambda: new_task_id(notice.id))
    except sheet.SheetError as exc:
        await reply(update, sheet_refusal(exc))
        return
    context.user_data.pop("amend", None)
    await query.edit_message_reply_markup(None)
    if result.empty:
        await reply(update, texts.t("sheet.unchanged", number=notice.number or notice.id))
        return
    await apply_changes(update, context, notice, result)


# ------------------------------------------------------------------ quick fixes in chat

async def cmd_text(update: Update, context: DondocContext) -> None:
    """/text NV12 <new text>: rewrite a task's text (a draft, or a published notice: agencies told)."""
    if not await _edit_allowed(update, context):
        return
    args = context.args or []
    message = update.effective_message.text or ""
    new_text = message.split(None, 2)[2].strip() if len(message.split(None, 2)) == 3 else ""
    if not args or not new_text:
        example = _current_code(context)
        await reply(update, texts.t("amend.text_usage", code=example))
        return
    task, notice, error = _draft_task(context, args[0])
    if error:
        await reply(update, texts.t(error, code=args[0], number=notice.number if notice else ""))
        return
    after = dataclasses.replace(task, text=new_text[:sheet._CELL_MAX])
    await _commit_one(update, context, notice, task, after)


def _current_code(context) -> str:
    notice_id = _current_draft(context)
    tasks = services(context).store.notices.tasks(notice_id) if notice_id else []
    live = [t.code for t in tasks if not t.dropped]
    return live[0] if live else "NV0"


# An item number as notices write them: 10, 8.1, II.3, 3b, a
_REF_RE = re.compile(r"^(?:\d+|[IVXLC]+|[a-zđ])(?:[.\-/](?:\d+|[a-zđ]))*[a-zđ]?$", re.IGNORECASE)


async def cmd_add(update: Update, context: DondocContext) -> None:
    """/add <mục> <chủ trì> | <nội dung> | <hạn>: a task the reader missed."""
    if not await _edit_allowed(update, context):
        return
    svc = services(context)
    message = update.effective_message.text or ""
    body = message.split(None, 1)[1] if len(message.split(None, 1)) == 2 else ""
    parts = [p.strip() for p in body.split("|")]
    head = parts[0].split(None, 1) if parts else []
    if len(parts) not in (2, 3) or len(head) != 2 or not parts[1] or not _REF_RE.match(head[0].rstrip(").")):
        await reply(update, texts.t("amend.add_usage"))
        return
    notice_id = _current_draft(context)
    notice = svc.store.notices.notice(notice_id) if notice_id else None
    if notice is None:
        await reply(update, texts.t("amend.add_no_notice"))
        return
    ref, lead_name = head[0].rstrip(").")[:20], head[1]
    # The task's id comes from the update: the same message handled again (a crash after the task
    # was stored, before the update was recorded as done) finds its task instead of adding another.
    task_id = f"{notice.id}-u{update.update_id}"
    done = next((t for t in svc.store.notices.tasks(notice.id) if t.id == task_id), None)
    if done is not None:
        await reply(update, texts.t("amend.added_new", code=done.code, ref=done.ref))
        await _after_edit(update, context, notice)
        return
    task = Task(id=task_id, notice_id=notice.id, code="", ref=ref, text=parts[1][:sheet._CELL_MAX])
    try:
        workflow.set_lead(task, lead_name, svc.directory)
        if len(parts) == 3 and parts[2]:
            workflow.set_deadline(task, parts[2], default_year=notice.issued_on.year if notice.issued_on else None)
    except workflow.EditError as exc:
        await reply(update, texts.t(exc.key, **exc.values))
        return
    tasks = svc.store.notices.tasks(notice.id)
    result = sheet.single(tasks, None, task)
    result.tasks = _in_place(result.tasks[:-1], task)
    if await _commit(update, context, notice, result):
        stored = next(t for t in svc.store.notices.tasks(notice.id) if t.id == task.id)
        await reply(update, texts.t("amend.added_new", code=stored.code, ref=stored.ref))
        await _after_edit(update, context, notice)


def _natural(ref: str) -> list:
    return [(0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in re.findall(r"\d+|[^\W\d_]+", ref)]


def _in_place(tasks: list, new) -> list:
    """The new task after the last task whose item number comes before its own (else at the end)."""
    key = _natural(new.ref)
    at = len(tasks)
    for i, t in enumerate(tasks):
        if not t.dropped and _natural(t.ref) <= key:
            at = i + 1
    return [*tasks[:at], new, *tasks[at:]]


async def _edit_allowed(update: Update, context: DondocContext) -> bool:
    if not is_admin(context, update):
        await refuse(update)
        return False
    if update.effective_chat.type != "private":  # drafts are not shown in groups
        await reply(update, texts.t("notice.private_only"))
        return False
    return True


async def _commit_one(update, context, notice, before, after) -> None:
    svc = services(context)
    result = sheet.single(svc.store.notices.tasks(notice.id), before, after)
    if not result.changes:
        await reply(update, texts.t("notice.edited", code=after.code))
        await _after_edit(update, context, notice)
        return
    if await _commit(update, context, notice, result):
        log.info("task %s edited by user %s", after.code, update.effective_user.id)
        if notice.state != "published":
            await reply(update, texts.t("notice.edited", code=after.code))
        await _after_edit(update, context, notice)


async def _commit(update, context, notice, result) -> bool:
    return await apply_changes(update, context, notice, result)


async def _after_edit(update, context, notice) -> None:
    context.user_data["draft"] = notice.id
    if notice.state != "published":
        await send_preview(update, context, notice.id)


def _draft_task(context: DondocContext, code: str):
    """The task with this code and its notice (a draft, or published: the edit amends it); (task, notice, error key)."""
    svc = services(context)
    task = svc.store.notices.task_by_code(workflow.normalise_code(code))
    if task is None:
        return None, None, "notice.unknown_task"
    return task, svc.store.notices.notice(task.notice_id), None


EDITS = {
    "lead": "Sở Tài chính",
    "coord": "Sở A; Sở B",
    "deadline": "30/6/2024",
    "drop": "",
    "restore": "",
}


async def cmd_edit(update: Update, context: DondocContext) -> None:
    """/lead, /coord, /deadline, /drop, /restore NVxx ... on a draft (or a published notice: an amendment)."""
    if not is_admin(context, update):
        await refuse(update)
        return
    if update.effective_chat.type != "private":  # drafts are not shown in groups
        await reply(update, texts.t("notice.private_only"))
        return
    name = update.effective_message.text.split()[0].lstrip("/").split("@")[0].lower()
    args = context.args or []
    needs_value = bool(EDITS[name])
    if not args or (needs_value and len(args) < 2):
        await reply(update, texts.t("notice.edit_usage", command=name, example=EDITS[name]))
        return
    task, notice, error = _draft_task(context, args[0])
    if error:
        await reply(update, texts.t(error, code=args[0], number=notice.number if notice else ""))
        return
    svc = services(context)
    value = " ".join(args[1:])
    before = copy.deepcopy(task)
    try:
        if name == "lead":
            workflow.set_lead(task, value, svc.directory)
        elif name == "coord":
            workflow.set_coordinators(task, value, svc.directory)
        elif name == "deadline":
            workflow.set_deadline(task, value, default_year=notice.issued_on.year if notice.issued_on else None)
        else:
            task.dropped = name == "drop"
    except workflow.EditError as exc:
        await reply(update, texts.t(exc.key, **exc.values))
        return
    await _commit_one(update, context, notice, before, task)


async def cmd_preview(update: Update, context: DondocContext) -> None:
    if not is_admin(context, update):
        await refuse(update)
        return
    if update.effective_chat.type != "private":
        await reply(update, texts.t("notice.private_only"))
        return
    notice_id = context.user_data.get("draft")
    svc = services(context)
    if notice_id is None or svc.store.notices.notice(notice_id) is None:
        drafts = [n for n in svc.store.notices.all_notices() if n.state == "draft"]
        if not drafts:
            await reply(update, texts.t("notice.no_draft"))
            return
        notice_id = max(drafts, key=lambda n: n.created_at or 0).id
    await send_preview(update, context, notice_id)


async def _button_notice(update: Update, context: DondocContext, notice_id: str | None = None):
    """The notice a preview button (pub:<id>, pv:<id>) is about, if an admin pressed it; else None
    after telling the presser why."""
    query = update.callback_query
    if not is_admin(context, update):
        await query.answer(texts.t("common.not_allowed"), show_alert=True)
        return None
    if notice_id is None:
        data = await pressed(update, (callbacks.Publish, callbacks.Preview, callbacks.Sheet))
        if data is None:
            return None
        notice_id = data.notice
    notice = services(context).store.notices.notice(notice_id)
    if notice is None:
        await query.answer(texts.t("progress.forged"), show_alert=True)
    return notice


async def on_preview_button(update: Update, context: DondocContext) -> None:
    notice = await _button_notice(update, context)
    if notice is None:
        return
    await update.callback_query.answer()
    await send_preview(update, context, notice.id)


async def on_publish_button(update: Update, context: DondocContext) -> None:
    query = update.callback_query
    notice = await _button_notice(update, context)
    if notice is None:
        return
    svc = services(context)
    notice_id = notice.id
    if notice.state == "published":
        await query.answer(texts.t("notice.already_published", number=notice.number or ""), show_alert=True)
        return
    tasks = svc.store.notices.tasks(notice_id)
    plan = workflow.plan_assignments(tasks, svc.directory, existing=svc.store.notices.assignments(notice_id=notice_id),
                                     new_id=new_assignment_id)
    if plan.unassigned_tasks:
        await query.answer()
        await reply(update, texts.t("notice.publish_blocked", codes=", ".join(t.code for t in plan.unassigned_tasks)))
        return
    await query.answer()
    now = svc.now()

    def publish() -> None:
        svc.store.notices.add_assignments(plan.assignments)
        notice.state = "published"
        notice.published_at = now
        svc.store.notices.update_notice(notice)

    await svc.store.run(publish)
    await query.edit_message_reply_markup(None)
    log.info("notice %s published: %d assignments", notice_id, len(plan.assignments))
    context.application.create_task(
        deliver_notice(context, notice_id, query.message.chat.id), update=update)


async def deliver_notice(context: DondocContext, notice_id: str, report_chat: int) -> None:
    """Put every unsent card of a notice in the outbox, then report to the office clerk what was
    delivered, what is still pending and what failed, as the outbox sees it."""
    svc = services(context)
    notice = svc.store.notices.notice(notice_id)
    pending = [a for a in svc.store.notices.assignments(notice_id=notice_id) if a.sent_at is None and not a.closed]
    agencies = {a.agency_id for a in pending}
    # The report is owed (through the outbox); once it is out it is edited with the progress.
    started = await enqueue(context, Outgoing(report_chat, texts.t(
        "notice.publish_started", number=notice.number or "", total=len(pending), agencies=len(agencies)),
        key=f"publish:{notice_id}:{len(pending)}@{report_chat}", kind="publish_report"))
    status = await _report_message(context, report_chat, started)
    result = await deliver(context, pending)
    counts = await _await_delivery(context, result["keys"], progress_message=status)
    waiting_names = ""
    if result["waiting"]:
        names = sorted({cards.agency_name(svc.directory, a) for a in result["waiting_agencies"]})
        waiting_names = " (" + ", ".join(names[:15]) + (", …" if len(names) > 15 else "") + ")"
    failed_reasons = ""
    if counts["failed"]:
        failed_reasons = " (" + "; ".join(sorted(set(svc.store.outbox.errors(result["keys"]))))[:500] + ")"
    done = texts.t("notice.publish_done", number=notice.number or "", sent=counts["delivered"],
                   waiting=result["waiting"], waiting_names=waiting_names, failed=counts["failed"],
                   failed_reasons=failed_reasons)
    if counts["pending"]:
        done += "\n" + texts.t("outbox.publish_pending", pending=counts["pending"])
    # Names the reader kept as written (no agency in the directory) reach nobody: say so.
    unresolved = sorted({r.get("as_written") or r.get("name") or "?" for task in svc.store.notices.tasks(notice_id)
                         if not task.dropped for r in workflow.unresolved(task)})
    if unresolved:
        done += "\n" + texts.t("notice.publish_unresolved", names=", ".join(unresolved)[:800])
    await status.edit_text(done, final=True)
    log.info("notice %s delivered: %d sent, %d pending, %d waiting, %d failed", notice_id, counts["delivered"],
             counts["pending"], result["waiting"], counts["failed"])


REPORT_WAIT = 15 * 60  # seconds a publish report waits for the outbox before saying what is still pending


class _Report:
    """The publish report: owed through the outbox, then edited in place with the progress and the
    result once it is out; the result is a message of its own when the first never went out."""

    def __init__(self, context, chat_id: int, entry) -> None:
        self.context, self.chat_id, self.entry = context, chat_id, entry

    def _message_id(self) -> int | None:
        e = self.entry
        return e.message_id if e is not None and e.state == "sent" else None

    async def edit_text(self, text: str, *, final: bool = False) -> None:
        mid = self._message_id()
        if mid is None and final and self.entry is not None:
            mid = await delivered(self.entry, timeout=5.0)
        if mid is not None:
            try:
                await self.context.bot.edit_message_text(text, chat_id=self.chat_id, message_id=mid)
                return
            except TelegramError as exc:
                if not final:
                    raise
                log.info("publish report not edited (%s): sent anew", exc.message)
        elif not final:
            raise TelegramError("the publish report is not out yet")
        key = None if self.entry is None else f"{self.entry.key}:done"
        await enqueue(self.context, Outgoing(self.chat_id, text, key=key, kind="publish_report"))


async def _report_message(context, chat_id: int, entries) -> _Report:
    return _Report(context, chat_id, entries[0] if entries else None)


async def _await_delivery(context, keys: list[str], *, progress_message=None, every: float = 3.0) -> dict[str, int]:
    """Outbox counts of these cards once none is pending (or the bot stops, or REPORT_WAIT passed);
    the progress message is edited every few seconds meanwhile."""
    svc = services(context)
    start = last_edit = time.monotonic()
    shown = None
    while True:
        counts = svc.store.outbox.counts(keys)
        if not counts["pending"] or not context.application.running or time.monotonic() - start > REPORT_WAIT:
            return counts
        if progress_message is not None and time.monotonic() - last_edit >= every and counts != shown:
            last_edit, shown = time.monotonic(), counts
            try:
                await progress_message.edit_text(texts.t("outbox.publish_progress", total=len(keys), **counts))
            except TelegramError:
                pass
        await asyncio.sleep(0.1)


def _needs_delivery(a: Assignment, bound: set[int]) -> bool:
    """Open, and not yet in one of its agency's current groups (never sent, or the agency moved)."""
    return not a.closed and a.completed_at is None and (a.sent_at is None or a.chat_id not in bound)


def undelivered(svc, *, agency_id: str | None = None) -> list[Assignment]:
    """Assignments of published notices that an agency with a group has not received."""
    published = {n.id for n in svc.store.notices.all_notices() if n.state == "published"}
    out = []
    for a in svc.store.notices.assignments(agency_id=agency_id):
        if a.notice_id in published:
            bound = {c.chat_id for c in svc.store.registry.chats_of(a.agency_id)}
            if bound and _needs_delivery(a, bound):
                out.append(a)
    return out


def card_key(assignment_id: str, chat_id: int) -> str:
    """The outbox key of an assignment's card in one group: enqueued once, delivered once."""
    return f"card:{assignment_id}:{chat_id}"


async def deliver(context: DondocContext, assignments: list[Assignment]) -> dict:
    """Put each assignment's card in the outbox for its agency's group (one durable write); the
    sender delivers them, paced. Publishing, a registration and the start-up resume may ask for the
    same card at once: its key makes the outbox take it once. Returns the keys enqueued, new ones
    apart, and the assignments whose agency has no group yet."""
    svc = services(context)
    cal = calendar_of(context)
    result = {"keys": [], "new": 0, "waiting": 0, "waiting_agencies": set()}
    messages = []
    for planned in assignments:
        a = svc.store.notices.assignment(planned.id)
        chats = svc.store.registry.chats_of(planned.agency_id)
        if a is None or not _needs_delivery(a, {c.chat_id for c in chats}):
            continue
        if not chats:
            result["waiting"] += 1
            result["waiting_agencies"].add(a.agency_id)
            continue
        task = svc.store.notices.task(a.task_id)
        notice = svc.store.notices.notice(a.notice_id)
        text, buttons = cards.task_card(a, task, notice, cal)
        key = card_key(a.id, chats[0].chat_id)
        result["keys"].append(key)
        if svc.store.outbox.get(key) is None:
            result["new"] += 1
        messages.append(Outgoing(chats[0].chat_id, text, key=key, kind="card", ref=a.id, buttons=buttons))
    if messages:
        await enqueue(context, messages)
    return result


async def card_delivered(application: Application, entry) -> None:
    """Outbox hook: a card reached its group; the assignment keeps where (replies to it find the
    task). Cards answered together are stored in one write."""
    svc = services_of(application)
    if not isinstance(svc.card_marks, _Batch):
        svc.card_marks = _Batch(svc)
    await svc.card_marks.add(entry)


class _Batch:
    """Marks delivered cards on their assignments, those that arrive meanwhile in the same write."""

    def __init__(self, svc) -> None:
        self.svc = svc
        self.waiting: list[tuple[object, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def add(self, entry) -> None:
        fut = asyncio.get_running_loop().create_future()
        self.waiting.append((entry, fut))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._flush())
        await fut

    async def _flush(self) -> None:
        await asyncio.sleep(0)
        svc = self.svc
        while self.waiting:
            batch, self.waiting = self.waiting, []

            def mark(entries=[e for e, _ in batch]) -> None:
                now = svc.now()
                by_notice: dict[str, list[Assignment]] = {}
                for e in entries:
                    fresh = svc.store.notices.assignment(e.ref)  # only the delivery fields change
                    if fresh is None:
                        continue
                    fresh.chat_id, fresh.message_id, fresh.sent_at = e.chat_id, e.message_id, now
                    by_notice.setdefault(fresh.notice_id, []).append(fresh)
                for changed in by_notice.values():  # one durable write per notice
                    svc.store.notices.update_assignments(changed)
            try:
                await svc.store.run(mark)
            except Exception as exc:  # noqa: BLE001 - each hook re-runs at the next start
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for _, fut in batch:
                if not fut.done():
                    fut.set_result(None)


async def on_binding_change(context: DondocContext, agency_id: str) -> None:
    """An agency bound or unbound a group: what was waiting for it (or sent to a group it no longer
    has) goes to its group through the outbox; the office hears how many once they arrived."""
    svc = services(context)
    pending = undelivered(svc, agency_id=agency_id)
    if not pending:
        return
    result = await deliver(context, pending)
    log.info("agency %s: %d waiting cards put in the outbox", agency_id, result["new"])

    async def report() -> None:
        counts = await _await_delivery(context, result["keys"])
        office = svc.config.office.chat_id
        if office is not None and counts["delivered"]:
            await enqueue(context, Outgoing(office, texts.t(
                "notice.pending_delivered", agency=cards.agency_name(svc.directory, agency_id),
                count=counts["delivered"]), kind="office"))

    if result["keys"]:
        context.application.create_task(report())


async def resume_deliveries(application: Application) -> None:
    """At start: cards of published notices that never reached the outbox (a crash between the
    publish and the enqueue) go into it as soon as the bot runs; the office is told.
    What the outbox already holds is resumed by the sender itself."""
    if undelivered(services_of(application)):
        application.job_queue.run_once(_resume_job, when=0.5, name="resume-deliveries")


async def _resume_job(context: DondocContext) -> None:
    svc = services(context)
    result = await deliver(context, undelivered(svc))
    counts = await _await_delivery(context, result["keys"])
    log.info("resumed delivery at start: %d delivered, %d failed, %d pending", counts["delivered"],
             counts["failed"], counts["pending"])
    if result["keys"] and svc.config.office.chat_id is not None:
        await enqueue(context, Outgoing(svc.config.office.chat_id, texts.t(
            "notice.resumed", sent=counts["delivered"], waiting=result["waiting"], failed=counts["failed"]),
            kind="office"))


async def resume_amendments(application: Application) -> None:
    """At start: amendment messages owed (stored, not sent before a stop) go out once the bot runs."""
    svc = services_of(application)
    for notice in svc.store.notices.all_notices():
        if notice.state == "published" and any(
                not svc.store.sentlog.was_sent(amend.sent_key(t))
                for t in amend.owed(svc.store.notices.tasks(notice.id))):
            application.job_queue.run_once(_resume_amendments_job, when=0.5, name="resume-amendments")
            return


async def _resume_amendments_job(context: DondocContext) -> None:
    sent = await send_owed(context)
    log.info("resumed amendment messages at start: %d sent", sent)
