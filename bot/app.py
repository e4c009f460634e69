"""Application wiring: builds the python-telegram-bot Application and runs it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any, Callable, Coroutine

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot import callbacks, texts
from bot.config import Config
from bot.directory import Directory
from bot.runtime import DondocApplication, ExactlyOnceUpdater, Runtime
from bot.services import CONTEXT_TYPES, DondocContext, Services, attach, find_services, services, services_of
from handlers import common, dashboard, notices, ops, registration, schedule, status, tracking

if TYPE_CHECKING:
    from storage import DataStore

__all__ = ["CONTEXT_TYPES", "DondocContext", "Services", "services", "build_application", "run_bot",
           "handler_table", "menu"]

log = logging.getLogger("dondoc")


# ---------------------------------------------------------------------- the handler table
# Every handler, command and command menu of the bot, in the order PTB tries them (the first that
# matches an update handles it), like python-telegram-bot's rules-bot. A command row names the menus
# (set_my_commands scopes) it is listed in, in table order: PRIVATE (every private chat), GROUPS
# (every group), ADMINS and LEADERS (those people's private chats, from [people]).
PRIVATE, GROUPS, ADMINS, LEADERS = "private", "groups", "admins", "leaders"
Callback = Callable[[Update, DondocContext], Coroutine[Any, Any, None]]


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    callback: Callback
    menus: tuple[str, ...] = ()
    block: bool = True  # False: a slow command; the chat's next updates do not wait for it


def handler_table() -> list[Command | BaseHandler]:
    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    return [
        # registration: who the bot talks to
        Command("start", registration.cmd_start, (PRIVATE,)),
        Command("help", registration.cmd_help, (PRIVATE, GROUPS, ADMINS, LEADERS)),
        Command("invite", registration.cmd_invite, (ADMINS,)),
        Command("agencies", registration.cmd_agencies, (ADMINS,)),
        Command("mytasks", status.cmd_mytasks, (PRIVATE, GROUPS)),
        Command("report", tracking.cmd_report, (GROUPS,)),
        Command("register", registration.cmd_register, (GROUPS,)),
        Command("unregister", registration.cmd_unregister),
        ChatMemberHandler(registration.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        # follow-up: status, digest, ops, dashboard
        Command("status", status.cmd_status, (ADMINS, LEADERS)),
        Command("digest", schedule.cmd_digest, (ADMINS, LEADERS), block=False),
        Command("table", notices.cmd_table, (ADMINS,)),
        Command("ping", ops.cmd_ping, (ADMINS,)),
        Command("dashboard", dashboard.cmd_dashboard, (ADMINS, LEADERS)),
        # notices: upload (reading takes seconds to minutes: not blocking), edit, preview, publish
        MessageHandler(private & (filters.Document.ALL | filters.PHOTO), notices.on_document, block=False),
        *(Command(name, notices.cmd_edit) for name in notices.EDITS),
        Command("preview", notices.cmd_preview),
        Command("text", notices.cmd_text),
        Command("add", notices.cmd_add),
        CallbackQueryHandler(notices.on_amend_button, pattern=callbacks.pattern(callbacks.Amend)),
        CallbackQueryHandler(notices.on_excel_button, pattern=callbacks.pattern(callbacks.Sheet)),
        CallbackQueryHandler(notices.on_publish_button, pattern=callbacks.pattern(callbacks.Publish)),
        CallbackQueryHandler(notices.on_preview_button, pattern=callbacks.pattern(callbacks.Preview)),
        # tracking: progress replies in the groups, the buttons of cards and office requests
        MessageHandler(groups & filters.REPLY & filters.UpdateType.MESSAGE & ~filters.COMMAND, tracking.on_reply),
        MessageHandler(groups & filters.UpdateType.EDITED_MESSAGE, tracking.on_edited),
        CallbackQueryHandler(tracking.on_status_button, pattern=callbacks.pattern(callbacks.Status)),
        CallbackQueryHandler(tracking.on_correct_button, pattern=callbacks.pattern(callbacks.Correct)),
        CallbackQueryHandler(tracking.on_confirm_button, pattern=callbacks.pattern(callbacks.Confirm)),
        CallbackQueryHandler(tracking.on_extension_button, pattern=callbacks.pattern(callbacks.Extension)),
        # last: what no handler took is still answered: a button press (no spinning client), and in a
        # private chat an unknown command or plain text (a hint towards /help)
        CallbackQueryHandler(common.on_unknown_button),
        MessageHandler(private & filters.COMMAND & filters.UpdateType.MESSAGE, common.on_unknown_command),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, common.on_private_text),
    ]


def wire_hooks(svc: Services) -> None:
    """What runs beside the handlers: after start (in order), before shutdown (last started first),
    after Telegram took an outbox message of a kind, when a group is bound or unbound."""
    svc.after_start[:] = [notices.resume_deliveries, notices.resume_amendments, schedule.start_jobs,
                          ops.mark_start, dashboard.start_server]
    svc.before_shutdown[:] = [dashboard.stop_server]
    svc.on_delivered.clear()
    svc.on_delivered["card"] = notices.card_delivered  # the assignment stores where its card is
    svc.on_binding_change[:] = [notices.on_binding_change]  # open tasks follow their agency's group


def _as_handler(row: Command | BaseHandler) -> BaseHandler:
    if isinstance(row, Command):
        return common.command(row.name, row.callback, block=row.block)  # new messages only, not edits
    return row


def menu(scope: str) -> list[str]:
    """The commands listed in one menu, in table order."""
    return [row.name for row in handler_table() if isinstance(row, Command) and scope in row.menus]


PRIVATE_COMMANDS = menu(PRIVATE)
GROUP_COMMANDS = menu(GROUPS)
ADMIN_COMMANDS = menu(ADMINS)
LEADER_COMMANDS = menu(LEADERS)


def _commands(keys: list[str]) -> list[BotCommand]:
    return [BotCommand(k, texts.t(f"commands.{k}")) for k in keys]


async def post_init(application: Application) -> None:
    """Command lists per scope, like python-telegram-bot's rules-bot."""
    svc = services_of(application)
    bot = application.bot
    await start_sender(application)
    await bot.set_my_commands(_commands([c for c in PRIVATE_COMMANDS if texts.has(f"commands.{c}")]),
                              scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(_commands([c for c in GROUP_COMMANDS if texts.has(f"commands.{c}")]),
                              scope=BotCommandScopeAllGroupChats())
    people = {uid: ADMIN_COMMANDS for uid in svc.config.people.admins}
    for uid in svc.config.people.leaders:
        people.setdefault(uid, LEADER_COMMANDS)
    for uid, keys in people.items():
        keys = [k for k in keys if k != "dashboard" or svc.config.dashboard.enabled]
        try:
            await bot.set_my_commands(_commands([c for c in keys if texts.has(f"commands.{c}")]),
                                      scope=BotCommandScopeChat(uid))
        except TelegramError as exc:  # the person has not started the bot yet
            log.info("commands for user %s not set: %s", uid, exc.message)
    for hook in svc.after_start:
        await hook(application)
    log.info("bot @%s ready", bot.username)


async def post_shutdown(application: Application) -> None:
    """Stop what post_init started (the dashboard's HTTP server), last started first."""
    for hook in reversed(services_of(application).before_shutdown):
        await hook(application)


_TRANSIENT = (NetworkError, RetryAfter)  # includes TimedOut: the network, not a bug


async def start_sender(application: Application) -> None:
    """The outbox's sender, on the application's loop; it resumes what was pending at the last stop."""
    from bot import sender as sender_mod

    svc = services_of(application)
    outbox = getattr(svc.store, "outbox", None)
    if outbox is None or svc.sender is not None:
        return
    tg = svc.config.telegram
    snd = sender_mod.Sender(application.bot, outbox, svc.pacer, media_write_timeout=tg.media_write_timeout)
    for kind, hook in svc.on_delivered.items():
        snd.on_delivered(kind, functools.partial(hook, application))
    svc.sender = snd
    sender_mod.register(application.bot, outbox, snd)
    await snd.start()


async def post_stop(application: Application) -> None:
    """Stop the sender before the bot's connections close; what is pending stays in the outbox."""
    from bot import sender as sender_mod

    svc = services_of(application)
    snd, svc.sender = svc.sender, None
    if snd is not None:
        await snd.stop()
    sender_mod.unregister(application.bot)


async def error_handler(update: object, context: DondocContext) -> None:
    """Log; tell the user only when what they did was not stored; tell the office about bugs.

    A failed send after the action was stored (the report is kept, only its answer is missing) is
    not an error for the user; a transient network error never reaches the office group, and a
    bug reaches it once an hour per kind of error, not once per update.
    """
    from bot.runtime import current

    error = context.error
    handling = current()
    stored = handling is not None and handling.stored
    if isinstance(error, BadRequest) and "query is too old" in (error.message or ""):
        log.info("a button answer came too late (the query expired): %s", error.message)
        return
    if isinstance(error, _TRANSIENT):
        log.warning("network error while handling an update (%s stored): %s: %s",
                    "action" if stored else "nothing", type(error).__name__, error)
    else:
        log.error("error while handling an update: %r", error, exc_info=error)
    svc = find_services(context.application)
    if not stored and isinstance(update, Update) and update.effective_chat is not None:
        # Owed through the outbox like every answer (once per update: a redelivery says it once).
        await _tell(context, update.effective_chat.id, texts.t("common.error_generic"),
                    key=f"u{update.update_id}:error" if update.update_id is not None else None)
    if isinstance(error, _TRANSIENT) or svc is None or svc.config.office.chat_id is None:
        return
    told = svc.errors_told
    kind = type(error).__name__
    now = svc.now()
    if kind in told and now - told[kind] < dt.timedelta(hours=1):
        return
    told[kind] = now
    await _tell(context, svc.config.office.chat_id, texts.t("common.error_office", error=kind))


async def _tell(context: CallbackContext, chat_id: int, text: str, *, key: str | None = None) -> None:
    """The error handler's messages go through the outbox; straight to Telegram only when the
    outbox itself is what failed (a full disk): the person still hears something."""
    from bot.outgoing import Outgoing
    from handlers.common import enqueue

    try:
        await enqueue(context, Outgoing(chat_id, text, key=key, kind="error"))
        return
    except Exception as exc:  # noqa: BLE001 - the outbox could not record it
        log.warning("error message not recorded in the outbox (%s): sent at once", type(exc).__name__)
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError:
        pass


def build_application(cfg: Config, store: DataStore, directory: Directory, *,
                      clock: Callable[[], dt.datetime] | None = None) -> Application:
    texts.set_language(cfg.language)
    from bot import sender as sender_mod
    from bot.pacer import Pacer

    tz = cfg.tz
    pacer = Pacer(sender_mod.pace_limits(cfg.telegram))
    request, updates_request = sender_mod.requests(cfg.telegram)
    builder = (
        ApplicationBuilder()
        .token(cfg.token or "")
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=tz, link_preview_options=None))
        .request(request)
        .get_updates_request(updates_request)
        # One sliding-window pacer for every message: the outbox's sender takes its slots itself,
        # other requests (answers in private chats, previews) through this limiter.
        .rate_limiter(sender_mod.PacedRateLimiter(pacer))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .application_class(DondocApplication)
        .context_types(CONTEXT_TYPES)
        .post_stop(post_stop)
    )
    if cfg.telegram.base_url:
        builder = builder.base_url(cfg.telegram.base_url).base_file_url(cfg.telegram.base_file_url)
    application = builder.build()
    svc = Services(config=cfg, store=store, directory=directory, clock=clock or (lambda: dt.datetime.now(tz)),
                   pacer=pacer)
    attach(application, svc)
    # Updates reach the handlers through our runtime (exactly once, chats concurrently), not PTB's Updater.
    runtime = Runtime(application, store, clock=svc.now, office_chat_id=cfg.office.chat_id)
    application.updater = ExactlyOnceUpdater(application.bot, application.update_queue, runtime)
    svc.runtime = runtime

    from bot.workflow import know_outside_parties

    know_outside_parties((task for n in store.notices.all_notices() for task in store.notices.tasks(n.id)), directory)
    application.add_handlers([_as_handler(row) for row in handler_table()])
    wire_hooks(svc)
    application.add_error_handler(error_handler)
    return application


def run_bot(cfg: Config) -> int:
    """Open the store, build the application and poll until SIGINT/SIGTERM."""
    from storage import DataStore, StoreError  # noqa: F811 - used at run time here

    try:
        directory = Directory.load(cfg.directory.file)
    except Exception as exc:  # DirectoryError: one line
        print(f"dondoc: {exc}", file=sys.stderr)
        return 2
    try:
        # The day's backup is named by the province's date, not the server's (often UTC).
        store = DataStore.open(cfg.storage.path, backups_kept=cfg.storage.backups_kept, now=dt.datetime.now(cfg.tz))
    except StoreError as exc:
        print(f"dondoc: {exc}", file=sys.stderr)
        return 2
    try:
        application = build_application(cfg, store, directory)
        # The store's records (a year: ~430,000 objects) live as long as the process: keep them out of
        # the cyclic collector's full passes, which otherwise add ~200 ms to whatever runs then.
        gc.collect()
        gc.freeze()
        tg = cfg.telegram
        if tg.mode == "webhook":
            log.info("starting (webhook %s on %s:%s, data in %s)", tg.webhook_url, tg.listen, tg.port,
                     cfg.storage.path)
            application.run_webhook(
                listen=tg.listen, port=tg.port, url_path=tg.url_path, webhook_url=tg.webhook_url,
                secret_token=cfg.webhook_secret, max_connections=tg.max_connections,
                allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGINT, signal.SIGTERM),
                drop_pending_updates=False,
            )
        else:
            log.info("starting (polling, data in %s)", cfg.storage.path)
            application.run_polling(
                allowed_updates=Update.ALL_TYPES,
                timeout=tg.poll_timeout,
                stop_signals=(signal.SIGINT, signal.SIGTERM),
                drop_pending_updates=False,
            )
    finally:
        store.close()
        log.info("stopped")
    return 0
