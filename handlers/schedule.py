"""The follow-up clock: reminders and the weekly digest through PTB's JobQueue; /digest on demand.

One repeating job ("tick") checks what is due. Its schedule lives only in memory
(PTB persists no jobs) and is rebuilt here at every start; what was sent lives in
the store's sent-log, so a restart neither repeats nor loses anything.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import followup, texts
from bot.digest import DigestSettings
from bot.reminders import ReminderSettings
from bot.outgoing import Outgoing
from bot.services import DondocContext, services_of
from handlers.common import calendar_of, enqueue, is_admin, is_leader, refuse, reply, services

log = logging.getLogger("dondoc.schedule")

TICK_SECONDS = 300
# APScheduler drops a job that starts more than misfire_grace_time late (PTB keeps its 1 s default):
# a stalled loop at 08:00 must not mean no reminders that day.
JOB_KWARGS = {"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1}


def _settings(context_or_app, name, default):
    app = getattr(context_or_app, "application", context_or_app)
    return services_of(app).config.sections.get(name) or default()


async def tick(context: DondocContext) -> None:
    """Send the reminders and the digest that are due now and not yet in the sent-log."""
    svc = services(context)
    if svc.tick_running:
        return
    svc.tick_running = True
    try:
        await svc.store.run(svc.store.backup, svc.now())  # one rotating backup a day
        await svc.store.run(followup.first_start, svc.store, svc.now())  # recorded once, at the first tick
        await _send_reminders(context)
        await _send_weekly_digest(context)
        await _send_calendar_warning(context)
    finally:
        svc.tick_running = False
    svc.last_tick = svc.now()


async def _send_reminders(context: DondocContext) -> None:
    svc = services(context)
    cal = calendar_of(context)
    settings = _settings(context, "reminders", ReminderSettings)
    office = [svc.config.office.chat_id] if svc.config.office.chat_id is not None else []
    now = svc.now()
    outgoing = followup.due_reminders(svc.store, svc.directory, now, cal, settings, office,
                                      svc.config.people.leaders)
    for out in outgoing:
        # Each part is owed to its chat once recorded in the outbox (its key: never twice, also if
        # this tick runs again before the sent-log is written); the sender delivers and retries.
        await enqueue(context, [Outgoing(out.chat_id, part, key=f"{out.keys[0]}#{i}@{out.chat_id}", kind="reminder")
                                for i, part in enumerate(out.parts)])

        def mark(keys=out.keys) -> None:
            for key in keys:
                svc.store.sentlog.mark_sent(key, now, {"chat_id": out.chat_id})

        await svc.store.run(mark)
    if outgoing:
        log.info("reminders sent: %d messages", len(outgoing))


async def send_digest(context: DondocContext, chat_id: int, *, scheduled: bool = False,
                      key: str | None = None) -> None:
    """The digest in ``chat_id``. The weekly one covers everything since the previous weekly one
    (a digest moved by a holiday or a downtime leaves no gap); on demand, the last 7 days."""
    svc = services(context)
    cal = calendar_of(context)
    settings = _settings(context, "digest", DigestSettings)
    now = svc.now()
    since = followup.previous_slot_time(now, cal, settings) if scheduled else None
    # Built in a worker thread (a year of data takes about two seconds): the bot keeps answering.
    digest = await asyncio.to_thread(followup.make_digest, svc.store, svc.directory, now, cal, settings, since)
    base = f"digest:{key}@{chat_id}" if key else None
    messages = [Outgoing(chat_id, part, kind="digest") for part in digest.messages]
    messages += [Outgoing(chat_id, "", kind="digest", file_name=name, file_data=data)
                 for name, data in digest.files().items()]
    if base:  # the weekly one: each part once, also if the tick runs again before the sent-log is written
        messages = [dataclasses.replace(m, key=f"{base}#{i}") for i, m in enumerate(messages)]
    await enqueue(context, messages)


async def _send_weekly_digest(context: DondocContext) -> None:
    svc = services(context)
    office = svc.config.office.chat_id
    if office is None:
        return
    cal = calendar_of(context)
    settings = _settings(context, "digest", DigestSettings)
    now = svc.now()
    hours = _settings(context, "reminders", ReminderSettings)
    first = await svc.store.run(followup.first_start, svc.store, now)
    key = followup.digest_due(now, cal, settings, svc.store.sentlog.was_sent, (hours.time, hours.end), first)
    if key is None:
        return
    if not any(n.state == "published" for n in svc.store.notices.all_notices()):
        await svc.store.run(svc.store.sentlog.mark_sent, key, now, {"skipped": "nothing published"})
        return
    try:
        await send_digest(context, office, scheduled=True, key=key)
    except TelegramError as exc:
        log.warning("weekly digest not sent: %s", exc.message)
        return
    await svc.store.run(svc.store.sentlog.mark_sent, key, now, {"chat_id": office})
    log.info("weekly digest sent")


async def _send_calendar_warning(context: DondocContext) -> None:
    """Once, from December: the coming year's official days off are not in the calendar data yet."""
    svc = services(context)
    office = svc.config.office.chat_id
    if office is None:
        return
    cal = calendar_of(context)
    now = svc.now()
    hours = _settings(context, "reminders", ReminderSettings)
    due = followup.calendar_warning_due(now, cal, svc.store.sentlog.was_sent, (hours.time, hours.end))
    if due is None:
        return
    key, year = due
    # Owed once through the outbox (its key), then noted as done in the sent log.
    await enqueue(context, Outgoing(office, texts.t("calendar.missing_year", year=year,
                                                    covered=", ".join(map(str, cal.covered_years()))),
                                    key=f"calendar:{key}", kind="office"))
    await svc.store.run(svc.store.sentlog.mark_sent, key, now, {"chat_id": office})
    log.info("calendar warning sent for %s", year)


async def cmd_digest(update: Update, context: DondocContext) -> None:
    if not (is_admin(context, update) or is_leader(context, update)):
        await refuse(update)
        return
    chat = update.effective_chat
    if chat.type != "private" and chat.id != services(context).config.office.chat_id:
        await reply(update, texts.t("schedule.digest_where"))  # not in an agency's group
        return
    await reply(update, texts.t("schedule.digest_building"))
    await send_digest(context, update.effective_chat.id)


async def start_jobs(application: Application) -> None:
    """Rebuild the schedule at start (PTB persists no jobs); the first tick makes up for downtime."""
    if not services_of(application).jobs_enabled:
        return
    application.job_queue.run_repeating(tick, interval=TICK_SECONDS, first=dt.timedelta(seconds=2), name="tick",
                                        job_kwargs=JOB_KWARGS)
