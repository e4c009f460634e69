"""Import a notice (a file sent by an admin in private), fix it, publish it to the agencies."""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot import cards, texts, workflow
from bot.messages import split_message
from bot.importing import new_assignment_id, read_any, store_draft
from bot.models import Assignment
from handlers.common import command, calendar_of, is_admin, keyboard, refuse, reply, services

log = logging.getLogger("dondoc.notices")

MAX_DOWNLOAD = 20 * 1024 * 1024  # Bot API getFile limit


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file (or photo) sent to the bot in a private chat: a notice to import."""
    message = update.effective_message
    if not is_admin(context, update):
        await refuse(update, "notice.upload_not_admin")
        return
    svc = services(context)
    if message.document is not None:
        file_id, name, size = message.document.file_id, message.document.file_name or "notice", message.document.file_size
    else:
        photo = message.photo[-1]
        file_id, name, size = photo.file_id, "photo.jpg", photo.file_size
    if size and size > MAX_DOWNLOAD:
        await reply(update, texts.t("notice.too_big_to_download"))
        return
    status = await reply(update, texts.t("notice.reading", name=name))
    tg_file = await context.bot.get_file(file_id)
    data = bytes(await tg_file.download_as_bytearray())
    loop = asyncio.get_running_loop()
    last = [0.0]

    def progress(page: int, total: int) -> None:  # called from the worker thread
        if total > 1 and time.monotonic() - last[0] > 1.0:
            last[0] = time.monotonic()
            asyncio.run_coroutine_threadsafe(
                status.edit_text(texts.t("notice.ocr_progress", page=page, total=total)), loop)

    from bot.notices import NoticeFileError

    # One reading at a time: OCR takes both cores; others wait their turn, the bot keeps answering.
    lock = svc.extra.setdefault("reader_lock", asyncio.Lock())
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


async def send_preview(update: Update, context: ContextTypes.DEFAULT_TYPE, notice_id: str) -> None:
    svc = services(context)
    notice = svc.store.notices.notice(notice_id)
    tasks = svc.store.notices.tasks(notice_id)
    text, buttons = cards.preview(notice, tasks, calendar_of(context))
    parts = split_message(text)
    for i, part in enumerate(parts):
        await context.bot.send_message(update.effective_chat.id, part,
                                       reply_markup=keyboard(buttons) if i == len(parts) - 1 else None)


def _draft_task(context: ContextTypes.DEFAULT_TYPE, code: str):
    """The task with this code if its notice is still a draft; (task, notice, error key)."""
    svc = services(context)
    task = svc.store.notices.task_by_code(workflow.normalise_code(code))
    if task is None:
        return None, None, "notice.unknown_task"
    notice = svc.store.notices.notice(task.notice_id)
    if notice.state == "published":
        return task, notice, "notice.already_published"
    return task, notice, None


EDITS = {
    "lead": "Sở Tài chính",
    "coord": "Sở A; Sở B",
    "deadline": "30/6/2024",
    "drop": "",
    "restore": "",
}


async def cmd_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lead, /coord, /deadline, /drop, /restore NVxx ... on a draft notice."""
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
    await svc.store.run(svc.store.notices.update_task, task)
    log.info("task %s edited (%s) by user %s", task.code, name, update.effective_user.id)
    await reply(update, texts.t("notice.edited", code=task.code))
    context.user_data["draft"] = notice.id
    await send_preview(update, context, notice.id)


async def cmd_preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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


async def _button_notice(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """The notice a preview button (pub:<id>, pv:<id>) is about, if an admin pressed it; else None
    after telling the presser why."""
    query = update.callback_query
    if not is_admin(context, update):
        await query.answer(texts.t("common.not_allowed"), show_alert=True)
        return None
    notice = services(context).store.notices.notice(query.data.split(":", 1)[1])
    if notice is None:
        await query.answer(texts.t("progress.forged"), show_alert=True)
    return notice


async def on_preview_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    notice = await _button_notice(update, context)
    if notice is None:
        return
    await update.callback_query.answer()
    await send_preview(update, context, notice.id)


async def on_publish_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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


async def deliver_notice(context: ContextTypes.DEFAULT_TYPE, notice_id: str, report_chat: int) -> None:
    """Send every unsent assignment of a notice to its agency's group, paced by the rate limiter."""
    svc = services(context)
    notice = svc.store.notices.notice(notice_id)
    pending = [a for a in svc.store.notices.assignments(notice_id=notice_id) if a.sent_at is None and not a.closed]
    agencies = {a.agency_id for a in pending}
    status = await context.bot.send_message(report_chat, texts.t(
        "notice.publish_started", number=notice.number or "", total=len(pending), agencies=len(agencies)))
    result = await deliver(context, pending, progress_message=status)
    waiting_names = ""
    if result["waiting"]:
        names = sorted({cards.agency_name(svc.directory, a) for a in result["waiting_agencies"]})
        waiting_names = " (" + ", ".join(names[:15]) + (", …" if len(names) > 15 else "") + ")"
    failed_reasons = ""
    if result["failed"]:
        failed_reasons = " (" + "; ".join(sorted(result["reasons"]))[:500] + ")"
    done = texts.t("notice.publish_done", number=notice.number or "", sent=result["sent"],
                   waiting=result["waiting"], waiting_names=waiting_names, failed=result["failed"],
                   failed_reasons=failed_reasons)
    # Names the reader kept as written (no agency in the directory) reach nobody: say so.
    unresolved = sorted({r.get("as_written") or r.get("name") or "?" for task in svc.store.notices.tasks(notice_id)
                         if not task.dropped for r in workflow.unresolved(task)})
    if unresolved:
        done += "\n" + texts.t("notice.publish_unresolved", names=", ".join(unresolved)[:800])
    await status.edit_text(done)
    log.info("notice %s delivered: %d sent, %d waiting, %d failed", notice_id, result["sent"], result["waiting"],
             result["failed"])


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


async def deliver(context: ContextTypes.DEFAULT_TYPE, assignments: list[Assignment], *, progress_message=None) -> dict:
    """Send each assignment's task message to its agency's group, paced by the rate limiter.

    Publishing, a registration and the start-up resume may run at the same time: one lock
    and a fresh read of each assignment before sending make sure no card goes out twice.
    """
    svc = services(context)
    cal = calendar_of(context)
    lock = svc.extra.setdefault("delivery_lock", asyncio.Lock())
    result = {"sent": 0, "waiting": 0, "failed": 0, "reasons": set(), "waiting_agencies": set()}
    last_edit = time.monotonic()
    for i, planned in enumerate(assignments, 1):
        if not context.application.running:  # shutting down: stop between cards, the start-up resume goes on
            break
        async with lock:
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
            chat = chats[0]
            try:
                sent = await context.bot.send_message(chat.chat_id, text, reply_markup=keyboard(buttons))
            except TelegramError as exc:
                result["failed"] += 1
                result["reasons"].add(exc.message)
                log.warning("assignment %s not sent to chat %s: %s", a.id, chat.chat_id, exc.message)
                continue

            def mark(aid=a.id, chat_id=chat.chat_id, message_id=sent.message_id) -> None:
                fresh = svc.store.notices.assignment(aid)  # only the delivery fields change
                fresh.chat_id, fresh.message_id, fresh.sent_at = chat_id, message_id, svc.now()
                svc.store.notices.update_assignment(fresh)

            await svc.store.run(mark)
            result["sent"] += 1
        if progress_message is not None and time.monotonic() - last_edit > 3:
            last_edit = time.monotonic()
            try:
                await progress_message.edit_text(texts.t("notice.publish_progress", sent=i, total=len(assignments)))
            except TelegramError:
                pass
    return result


async def on_binding_change(context: ContextTypes.DEFAULT_TYPE, agency_id: str) -> None:
    """An agency bound or unbound a group: what was waiting for it (or sent to a group it no longer
    has) goes to its group, in the background so that the bot keeps answering everyone else."""
    svc = services(context)
    pending = undelivered(svc, agency_id=agency_id)
    if not pending:
        return

    async def send() -> None:
        result = await deliver(context, pending)
        log.info("agency %s: %d waiting assignments sent to its group", agency_id, result["sent"])
        office = svc.config.office.chat_id
        if office is not None and result["sent"]:
            await context.bot.send_message(office, texts.t("notice.pending_delivered",
                                                           agency=cards.agency_name(svc.directory, agency_id),
                                                           count=result["sent"]))

    context.application.create_task(send())


async def resume_deliveries(application: Application) -> None:
    """At start: cards of published notices that never went out (a crash or a stop mid-publish)
    go out as soon as the bot runs; the office is told."""
    if undelivered(application.bot_data["services"]):
        application.job_queue.run_once(_resume_job, when=0.5, name="resume-deliveries")


async def _resume_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    result = await deliver(context, undelivered(svc))
    log.info("resumed delivery at start: %d sent", result["sent"])
    if result["sent"] and svc.config.office.chat_id is not None:
        await context.bot.send_message(svc.config.office.chat_id, texts.t(
            "notice.resumed", sent=result["sent"], waiting=result["waiting"], failed=result["failed"]))


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    # Reading (OCR above all) takes seconds to minutes: not blocking, the bot keeps answering others.
    application.add_handler(MessageHandler(private & (filters.Document.ALL | filters.PHOTO), on_document,
                                           block=False))
    for name in EDITS:
        application.add_handler(command(name, cmd_edit))
    application.add_handler(command("preview", cmd_preview))
    application.add_handler(CallbackQueryHandler(on_publish_button, pattern=r"^pub:"))
    application.add_handler(CallbackQueryHandler(on_preview_button, pattern=r"^pv:"))
    application.bot_data.setdefault("on_binding_change", []).append(on_binding_change)
    application.bot_data.setdefault("post_init_hooks", []).append(resume_deliveries)
