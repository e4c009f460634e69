"""/status for leaders, admins and agency members; /mytasks in an agency group."""

from __future__ import annotations

import logging

from telegram import Update

from bot import cards, texts, workflow
from bot.services import DondocContext
from handlers.common import calendar_of, is_admin, is_group, is_leader, reply, reply_long, services

log = logging.getLogger("dondoc.status")


def _own_agency(context: DondocContext, update: Update) -> str | None:
    """The agency of the chat (a bound group) or of the user (a registered contact)."""
    svc = services(context)
    if is_group(update):
        binding = svc.store.registry.chat(update.effective_chat.id)
        if binding is not None:
            return binding.agency_id
    agencies = svc.store.registry.agency_of_user(update.effective_user.id)
    return agencies[0] if agencies else None


def _published_assignments(svc, **filters):
    published = {n.id for n in svc.store.notices.all_notices() if n.state == "published"}
    return [a for a in svc.store.notices.assignments(**filters) if a.notice_id in published and not a.closed]


def _tasks_by_id(svc, assignments) -> dict:
    out = {}
    for a in assignments:
        if a.task_id not in out:
            out[a.task_id] = svc.store.notices.task(a.task_id)
    return out


async def cmd_status(update: Update, context: DondocContext) -> None:
    """Leaders and admins see everything in private and in the office group; in an agency's group
    everyone (leaders too) sees that agency only; agency members see their own agency."""
    svc = services(context)
    privileged = is_admin(context, update) or is_leader(context, update)
    chat_id = update.effective_chat.id
    if is_group(update) and chat_id != svc.config.office.chat_id:
        binding = svc.store.registry.chat(chat_id)
        own = binding.agency_id if binding is not None else None
    else:
        own = None if privileged else _own_agency(context, update)
    if own is None and not (privileged and (not is_group(update) or chat_id == svc.config.office.chat_id)):
        await reply(update, texts.t("status.not_allowed"))
        return
    cal = calendar_of(context)
    today = cal.today(svc.now())
    query = " ".join(context.args or []).strip()
    if not query:
        if own is not None:
            await _agency(update, context, own, today)
            return
        assignments = _published_assignments(svc)
        text = cards.status_overview(texts.t("status.province_title", today=cards.fmt_date(today)), assignments,
                                     _tasks_by_id(svc, assignments), svc.directory, today, cal)
        await reply_long(update, text)
        return
    if workflow.is_task_code(query):
        task = svc.store.notices.task_by_code(workflow.normalise_code(query))
        notice = svc.store.notices.notice(task.notice_id) if task else None
        if task is None or notice.state != "published":
            await reply(update, texts.t("status.unknown", query=query))
            return
        assignments = [a for a in svc.store.notices.assignments(notice_id=task.notice_id) if a.task_id == task.id]
        if own is not None:
            if not any(a.agency_id == own for a in assignments):
                await reply(update, texts.t("status.only_own"))
                return
            assignments = [a for a in assignments if a.agency_id == own]
        reports = [r for a in assignments for r in svc.store.notices.reports(assignment_id=a.id)]
        await reply_long(update, cards.status_task(task, notice, assignments, reports, svc.directory, today, cal))
        return
    notice = svc.store.notices.find_notice_by_number(query) if "/" in query else None
    if notice is not None and notice.state == "published":
        assignments = [a for a in svc.store.notices.assignments(notice_id=notice.id) if not a.closed]
        if own is not None:
            assignments = [a for a in assignments if a.agency_id == own]
        title = texts.t("status.notice_title", number=notice.number or "", today=cards.fmt_date(today))
        await reply_long(update, cards.status_overview(title, assignments, _tasks_by_id(svc, assignments),
                                                       svc.directory, today, cal))
        return
    match = svc.directory.resolve(query)
    if match.agency is None or not match.sure:
        await reply(update, texts.t("status.unknown", query=query))
        return
    if own is not None and match.agency.id != own:
        await reply(update, texts.t("status.only_own"))
        return
    await _agency(update, context, match.agency.id, today)


async def _agency(update: Update, context: DondocContext, agency_id: str, today) -> None:
    svc = services(context)
    assignments = _published_assignments(svc, agency_id=agency_id)
    await reply_long(update, cards.status_agency(cards.agency_name(svc.directory, agency_id), assignments,
                                                 _tasks_by_id(svc, assignments), today, calendar_of(context)))


async def cmd_mytasks(update: Update, context: DondocContext) -> None:
    svc = services(context)
    if not is_group(update):
        await reply(update, texts.t("status.mytasks_group_only"))
        return
    binding = svc.store.registry.chat(update.effective_chat.id)
    if binding is None:
        await reply(update, texts.t("progress.not_bound"))
        return
    cal = calendar_of(context)
    open_ = [a for a in _published_assignments(svc, agency_id=binding.agency_id) if a.completed_at is None]
    await reply_long(update, cards.mytasks(cards.agency_name(svc.directory, binding.agency_id), open_,
                                           _tasks_by_id(svc, open_), cal.today(svc.now()), cal))
