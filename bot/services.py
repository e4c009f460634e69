"""What handlers and jobs use, typed: ``context.services`` (python-telegram-bot's ContextTypes).

One :class:`Services` per application, built in ``bot/app.py``; handlers reach it through
``context.services`` (or ``handlers.common.services(context)``), never through string keys of
``bot_data``. The lifecycle hooks the handler table in ``bot/app.py`` wires (after start, before
shutdown, after an outbox delivery, when a group's binding changes) are fields here too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Awaitable, Callable

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.config import Config
from bot.directory import Directory

if TYPE_CHECKING:
    from bot.calendar import WorkingCalendar
    from bot.dashboard.server import DashboardServer
    from bot.pacer import Pacer
    from bot.runtime import Runtime
    from bot.sender import Sender
    from storage import DataStore
    from storage.outbox import OutboxEntry

AppHook = Callable[[Application], Awaitable[None]]  # post_init / post_shutdown
DeliveryHook = Callable[[Application, "OutboxEntry"], Awaitable[None]]  # after Telegram took an outbox message
BindingHook = Callable[["DondocContext", str], Awaitable[None]]  # a group (un)bound for this agency id


@dataclasses.dataclass
class Services:
    """The store, the directory, the clock, the settings, and what runs beside the handlers."""

    config: Config
    store: "DataStore"
    directory: Directory
    clock: Callable[[], dt.datetime]
    runtime: "Runtime | None" = None  # how updates reach the handlers (bot/runtime.py)
    pacer: "Pacer | None" = None  # the sliding-window pacer every message takes its slot from
    sender: "Sender | None" = None  # the outbox's sender, while the application runs
    jobs_enabled: bool = True  # False: no follow-up job (tests and the demo run it by hand)
    # Wired by bot/app.py's table:
    after_start: list[AppHook] = dataclasses.field(default_factory=list)
    before_shutdown: list[AppHook] = dataclasses.field(default_factory=list)
    on_delivered: dict[str, DeliveryHook] = dataclasses.field(default_factory=dict)  # outbox kind -> hook
    on_binding_change: list[BindingHook] = dataclasses.field(default_factory=list)
    # State of the running bot:
    reader_lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)  # one notice read at a time
    delivery_lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)  # owed amendments, once
    card_marks: object | None = None  # handlers.notices' batch of delivered cards to store
    tick_running: bool = False
    last_tick: dt.datetime | None = None
    started_at: dt.datetime | None = None
    dashboard_server: "DashboardServer | None" = None
    errors_told: dict[str, dt.datetime] = dataclasses.field(default_factory=dict)  # error kind -> office told
    extra: dict[str, object] = dataclasses.field(default_factory=dict)  # the dashboard's own cache
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
        return services_of(self.application)


CONTEXT_TYPES = ContextTypes(context=DondocContext)
_KEY = "services"  # the one bot_data key, read only here


def services_of(application: Application) -> Services:
    return application.bot_data[_KEY]


def find_services(application: Application) -> Services | None:
    """The services, or None for an application built elsewhere (the error handler's care)."""
    return application.bot_data.get(_KEY)


def attach(application: Application, svc: Services) -> None:
    application.bot_data[_KEY] = svc


def services(context: CallbackContext) -> Services:
    return services_of(context.application)
