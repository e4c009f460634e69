"""/ping for admins, in private: is the bot well, how big is its data, when was the last backup,
how many messages wait to be delivered."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from telegram import Chat, Update
from telegram.ext import Application

from bot import __version__, texts
from bot.services import DondocContext, services_of
from handlers.common import is_admin, reply, services

log = logging.getLogger("dondoc.ops")



def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}".replace(".", ",")
        n /= 1024
    return str(n)  # pragma: no cover


def folder_usage(folder: Path) -> tuple[int, int, int]:
    """(bytes of data, number of data files, bytes of the daily backups) in the data folder."""
    data = files = backups = 0
    for root, _dirs, names in os.walk(folder):
        in_backups = Path(root).relative_to(folder).parts[:1] == ("backups",)
        for name in names:
            try:
                size = os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
            if in_backups:
                backups += size
            elif name != ".lock":
                data += size
                files += 1
    return data, files, backups


def uptime_text(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return texts.t("ops.uptime_days", days=days, hours=hours)
    if hours:
        return texts.t("ops.uptime_hours", hours=hours, minutes=minutes)
    return texts.t("ops.uptime_minutes", minutes=minutes)


def _waiting(store) -> str:
    """Messages the bot owes and has not delivered yet (the outbox), if the store keeps one."""
    outbox = getattr(store, "outbox", None)
    pending = getattr(outbox, "pending", None)
    if callable(pending):
        try:
            return str(len(pending()))
        except Exception:  # a closed outbox: say so rather than fail the command
            log.warning("outbox not readable for /ping", exc_info=True)
    return texts.t("ops.waiting_unknown")


async def cmd_ping(update: Update, context: DondocContext) -> None:
    svc = services(context)
    chat = update.effective_chat
    if not is_admin(context, update) or chat is None or chat.type != Chat.PRIVATE:
        log.info("refused /ping for user %s in chat %s", update.effective_user.id if update.effective_user else None,
                 chat.id if chat else None)
        await reply(update, texts.t("ops.ping_not_allowed"))
        return
    from storage.store import newest_backup

    now = svc.now()
    folder = Path(svc.store.folder)
    data, files, backups = folder_usage(folder)
    started = svc.started_at or now
    newest = newest_backup(folder)
    if newest is not None:
        at = dt.datetime.fromtimestamp(newest.stat().st_mtime, tz=now.tzinfo)
        last_backup = texts.t("ops.backup_at", day=dt.date.fromisoformat(newest.name).strftime("%d/%m/%Y"),
                              time=at.strftime("%H:%M %d/%m/%Y"), kept=svc.config.storage.backups_kept)
    else:
        last_backup = texts.t("ops.no_backup")
    last_tick = svc.last_tick
    await reply(update, texts.t(
        "ops.ping", version=__version__, uptime=uptime_text((now - started).total_seconds()),
        since=started.strftime("%H:%M %d/%m/%Y"), data=_size(data), files=files, backups=_size(backups),
        last_backup=last_backup, waiting=_waiting(svc.store),
        last_tick=last_tick.strftime("%H:%M %d/%m/%Y") if last_tick else texts.t("ops.not_yet"),
    ))


async def mark_start(application: Application) -> None:
    svc = services_of(application)
    if svc.started_at is None:
        svc.started_at = svc.now()
