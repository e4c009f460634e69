"""/dashboard: the button that opens the leaders' dashboard (a Mini App), and the server's start/stop.

Leaders and admins get it in private (and, when ``[dashboard] menu_button``, the private chat's menu
button opens it too); an agency contact gets it for their own agency; anybody else is refused and gets
no button. The page checks who opens it on its own (Telegram's signed launch data): the button only
shows the way.
"""

from __future__ import annotations

import logging

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import TelegramError
from telegram.ext import Application

from bot import texts
from bot.services import DondocContext, services_of
from handlers.common import is_admin, is_leader, refuse, reply, services

log = logging.getLogger("dondoc.dashboard")


def _button(url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.t("dashboard.button"), web_app=WebAppInfo(url=url))]])


async def cmd_dashboard(update: Update, context: DondocContext) -> None:
    svc = services(context)
    settings = svc.config.dashboard
    user = update.effective_user
    privileged = is_admin(context, update) or is_leader(context, update)
    own = [] if privileged or user is None else svc.store.registry.agency_of_user(user.id)
    if not privileged and not own:
        await refuse(update, "dashboard.not_allowed")
        return
    if update.effective_chat is None or update.effective_chat.type != Chat.PRIVATE:
        # Telegram allows web_app buttons in private chats only.
        await reply(update, texts.t("dashboard.private_only", bot=context.bot.username or ""))
        return
    if not settings.enabled or not settings.public_url:
        await reply(update, texts.t("dashboard.disabled"))
        return
    if privileged:
        text = texts.t("dashboard.open_all")
    else:
        names = ", ".join(svc.directory.get(a).name if svc.directory.get(a) else a for a in own)
        text = texts.t("dashboard.open_agency", agency=names)
    await reply(update, text, reply_markup=_button(settings.public_url))
    log.info("dashboard button for user %s (%s)", user.id, "all" if privileged else ",".join(own))


async def start_server(application: Application) -> None:
    from bot.dashboard.server import DashboardServer

    svc = services_of(application)
    settings = svc.config.dashboard
    if not settings.enabled:
        return
    server = DashboardServer(svc, application.bot.token, settings.listen, settings.port)
    try:
        await server.start()
    except OSError as exc:
        log.error("dashboard: cannot listen on %s:%s (%s); the bot goes on without it",
                  settings.listen, settings.port, exc.strerror or exc)
        return
    svc.dashboard_server = server
    if settings.menu_button and settings.public_url:
        people = dict.fromkeys([*svc.config.people.leaders, *svc.config.people.admins])
        button = MenuButtonWebApp(texts.t("dashboard.menu_button"), WebAppInfo(url=settings.public_url))
        for uid in people:
            try:
                await application.bot.set_chat_menu_button(chat_id=uid, menu_button=button)
            except TelegramError as exc:  # the person has not started the bot yet
                log.info("dashboard menu button for user %s not set: %s", uid, exc.message)


async def stop_server(application: Application) -> None:
    svc = services_of(application)
    server, svc.dashboard_server = svc.dashboard_server, None
    if server is not None:
        await server.stop()
