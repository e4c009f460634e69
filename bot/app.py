"""Application wiring: builds the python-telegram-bot Application and runs it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any, Callable

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackContext, ContextTypes, Defaults, ExtBot

from bot import texts
from bot.config import Config
from bot.directory import Directory
from bot.runtime import DondocApplication, ExactlyOnceUpdater, Runtime

if TYPE_CHECKING:
    from bot.calendar import WorkingCalendar
    from storage import DataStore

log = logging.getLogger("dondoc")


@dataclasses.dataclass
class Services:
    """What handlers and jobs need: ``context.services`` (see :class:`DondocContext`)."""

    config: Config
    store: "DataStore"
    directory: Directory
    clock: Callable[[], dt.datetime]
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # older string keys; prefer a field
    runtime: "Runtime | None" = None  # how updates reach the handlers (bot/runtime.py)
    errors_told: dict[str, dt.datetime] = dataclasses.field(default_factory=dict)  # error kind -> office told
    _calendar: "WorkingCalendar | None" = None

    def now(self) -> dt.datetime:
        return self.clock()

    @property
    def calendar(self) -> "WorkingCalendar":
        """The working calendar, built once from the config."""
        if self._calendar is None:
            from bot.calendar import CalendarSettings, WorkingCalendar

            settings = self.config.sections.get("calendar") or CalendarSettings(timezone=self.config.timezone)
            self._calendar = WorkingCalendar(settings)
        return self._calendar


class DondocContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The ``context`` of every handler and job: PTB's, plus the typed services."""

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]


CONTEXT_TYPES = ContextTypes(context=DondocContext)


def services(context: CallbackContext) -> Services:
    return context.application.bot_data["services"]


def _commands(keys: list[str]) -> list[BotCommand]:
    return [BotCommand(k, texts.t(f"commands.{k}")) for k in keys]


PRIVATE_COMMANDS = ["start", "help", "mytasks"]
GROUP_COMMANDS = ["help", "mytasks", "report", "register"]
ADMIN_COMMANDS = ["help", "invite", "agencies", "status", "digest", "table", "ping", "dashboard"]
LEADER_COMMANDS = ["help", "status", "digest", "dashboard"]


async def post_init(application: Application) -> None:
    """Command lists per scope, like python-telegram-bot's rules-bot."""
    svc: Services = application.bot_data["services"]
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
    for hook in application.bot_data.get("post_init_hooks", []):
        await hook(application)
    log.info("bot @%s ready", bot.username)


async def post_shutdown(application: Application) -> None:
    """Stop what post_init started (the dashboard's HTTP server), last started first."""
    for hook in reversed(application.bot_data.get("post_shutdown_hooks", [])):
        await hook(application)


_TRANSIENT = (NetworkError, RetryAfter)  # includes TimedOut: the network, not a bug


async def start_sender(application: Application) -> None:
    """The outbox's sender, on the application's loop; it resumes what was pending at the last stop."""
    from bot import sender as sender_mod

    svc: Services = application.bot_data["services"]
    outbox = getattr(svc.store, "outbox", None)
    if outbox is None or application.bot_data.get("sender") is not None:
        return
    tg = svc.config.telegram
    snd = sender_mod.Sender(application.bot, outbox, application.bot_data["pacer"],
                            media_write_timeout=tg.media_write_timeout)
    for kind, hook in application.bot_data.get("delivery_hooks", {}).items():
        snd.on_delivered(kind, functools.partial(hook, application))
    application.bot_data["sender"] = snd
    sender_mod.register(application.bot, outbox, snd)
    await snd.start()


async def post_stop(application: Application) -> None:
    """Stop the sender before the bot's connections close; what is pending stays in the outbox."""
    from bot import sender as sender_mod

    snd = application.bot_data.pop("sender", None)
    if snd is not None:
        await snd.stop()
    sender_mod.unregister(application.bot)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
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
    svc: Services | None = context.application.bot_data.get("services")
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


def build_application(cfg: Config, store: Any, directory: Directory, *,
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
    svc = Services(config=cfg, store=store, directory=directory, clock=clock or (lambda: dt.datetime.now(tz)))
    application.bot_data["services"] = svc
    # Updates reach the handlers through our runtime (exactly once, chats concurrently), not PTB's Updater.
    runtime = Runtime(application, store, clock=svc.now, office_chat_id=cfg.office.chat_id)
    application.updater = ExactlyOnceUpdater(application.bot, application.update_queue, runtime)
    svc.runtime = runtime
    application.bot_data["post_init_hooks"] = []
    application.bot_data["post_shutdown_hooks"] = []
    application.bot_data["pacer"] = pacer
    application.bot_data["delivery_hooks"] = {}  # outbox kind -> async hook(application, entry)

    from bot.workflow import know_outside_parties

    know_outside_parties((task for n in store.notices.all_notices() for task in store.notices.tasks(n.id)), directory)
    from handlers import register_all

    register_all(application)
    application.add_error_handler(error_handler)
    return application


def run_bot(cfg: Config) -> int:
    """Open the store, build the application and poll until SIGINT/SIGTERM."""
    from storage import DataStore, StoreError

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
