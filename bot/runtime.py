"""How updates reach the handlers: exactly once, chats in parallel, each chat in order.

python-telegram-bot's own Updater confirms a batch of updates to Telegram (the next getUpdates'
``offset``) before their handlers ran: a crash loses what sat in memory. :class:`ExactlyOnceUpdater`
takes its place (same ``start_polling`` / ``start_webhook`` / ``stop``, so ``run_polling`` and
``run_webhook`` work as usual) and hands every update to :class:`Runtime`, which

* runs ``Application.process_update`` for it (and waits for its ``block=False`` handlers too);
  updates of one chat one after another, of different chats concurrently;
* records it as done in the store's update journal (``storage/updates.py``) once its handler
  finished — the handler's own writes are durable by then — and only then lets the getUpdates
  offset move past it: the offset advances over the contiguous prefix of finished updates;
* skips an update the journal knows as done (redelivered after a crash or by a webhook retry);
* when one slow update (an OCR, say) holds back the offset while the rest of Telegram's batch is
  done, writes that update into the journal ("held") and moves on; a held update is handled again
  at the next start if it never finished;
* per user, notices a flood (more than ``flood_limit`` messages in ``flood_window`` seconds): one
  "please slow down", every message still handled and stored, their answers replaced by one summary;
* logs getUpdates errors in one line each, and tells the office once when Telegram could not be
  reached for ``offline_after`` (and once when it is back).

In webhook mode (``bot/web.py``) the HTTP answer to Telegram waits for :meth:`Runtime.handle` of
that update, so Telegram posts it again if the bot died before it was handled.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import datetime as dt
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Callable, Hashable

from telegram import Update
from telegram.error import Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, Updater

from bot import texts

if TYPE_CHECKING:
    from storage import DataStore

log = logging.getLogger("dondoc.runtime")


@dataclasses.dataclass
class Handling:
    """One update being handled (``current()`` inside its handlers, error handler and tasks)."""

    update_id: int
    chat_id: int | None
    user_id: int | None
    writes: list[str] = dataclasses.field(default_factory=list)  # durable store writes made for it
    tasks: list[asyncio.Task] = dataclasses.field(default_factory=list)  # its block=False handlers
    flooded: bool = False  # its sender floods: answers to its chat are kept for one summary
    captured: list[str] = dataclasses.field(default_factory=list)
    runtime: "Runtime | None" = None
    recorded: bool = False  # already recorded as done in the journal
    in_store: bool = False  # recorded as done in the same store write as its effects (nothing more to write)
    # lets the chat's next update start (callable from any thread): its action is in the store's
    # memory and journal, in order, and only waits for the batch's fsync (which the next one may share)
    next_turn: Callable[[], Any] | None = None

    @property
    def stored(self) -> bool:
        return bool(self.writes)


_CURRENT: contextvars.ContextVar[Handling | None] = contextvars.ContextVar("dondoc_handling", default=None)


def current() -> Handling | None:
    """The update being handled by the calling code, if any."""
    return _CURRENT.get()


def capture_reply(chat_id: int, text: str) -> bool:
    """True (and the text kept for the flood summary) when an answer to ``chat_id`` must not be sent now."""
    return capture_for(_CURRENT.get(), chat_id, text)


def capture_for(handling: Handling | None, chat_id: int, text: str) -> bool:
    """:func:`capture_reply` for a given update being handled (callable from the store's thread)."""
    if handling is None or not handling.flooded or handling.chat_id != chat_id:
        return False
    handling.captured.append(text)
    return True


def finishes_in_store(handling: Handling | None) -> bool:
    """True when ``handling``'s "done" may be written in the store's transaction of its action
    (``store.finish_update``): an update handled by the runtime."""
    return handling is not None and handling.runtime is not None and not handling.recorded


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def applied_in_store(handling: Handling | None) -> None:
    """Called by the store's writer thread once the update's action is applied (in memory, its line
    appended): the chat's next update may start now, while this one waits for its fsync. Its own
    reads then see this action, its write comes after this one's in the journal (a crash that loses
    this one loses that one too), and its messages are owed after this one's."""
    if handling is not None and handling.next_turn is not None:
        handling.next_turn()


def finished_in_store(handling: Handling) -> None:
    """The action's write, durable now, recorded the update as done: nothing more to write for it."""
    handling.recorded = handling.in_store = True


def answered() -> None:
    """The update being handled has just been answered: once what it did is stored, start recording
    it as done now (in the journal's thread), not after the rest of its handler. A crash between the
    answer and this record makes the update be handled, and answered, again after the restart."""
    handling = _CURRENT.get()
    runtime = handling.runtime if handling is not None else None
    if runtime is None or handling.recorded or not handling.stored:
        return  # nothing stored yet (a "reading..." notice before the work): not done
    handling.recorded = True
    runtime._mark_done_soon(handling.update_id)


# What no handler reads of the message a reply quotes: its formatting and buttons. A card's entities
# and keyboard cost PTB about 0.2 ms to parse, a third of a reply's whole update; the JSON as
# Telegram sent it is kept whole where an update is written down (held).
_QUOTED_UNREAD = frozenset({"entities", "caption_entities", "reply_markup"})


def parse_update(data: dict[str, Any], bot) -> Update | None:
    """``Update.de_json`` of an update's JSON, without what no handler reads of a quoted message."""
    lean = data
    for key in ("message", "edited_message", "channel_post", "edited_channel_post", "business_message"):
        message = data.get(key)
        quoted = message.get("reply_to_message") if isinstance(message, dict) else None
        if isinstance(quoted, dict) and not _QUOTED_UNREAD.isdisjoint(quoted):
            quoted = {k: v for k, v in quoted.items() if k not in _QUOTED_UNREAD}
            lean = {**data, key: {**message, "reply_to_message": quoted}}
            break
    update = Update.de_json(lean, bot)
    if update is not None and hasattr(bot, "insert_callback_data"):
        bot.insert_callback_data(update)
    return update


def chat_key(update: Update) -> Hashable:
    """Updates with the same key are handled in order: the chat, else the user."""
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    if user is not None:
        return ("user", user.id)
    return ("other",)


# ---------------------------------------------------------------------------------------------- flood
@dataclasses.dataclass
class _Burst:
    chat_id: int
    name: str
    count: int = 0  # messages over the limit
    stored: int = 0
    codes: list[str] = dataclasses.field(default_factory=list)
    last: float = 0.0
    in_flight: int = 0
    task: asyncio.Task | None = None


class FloodGuard:
    """More than ``limit`` messages in ``window`` seconds from one user is a flood."""

    def __init__(self, limit: int = 20, window: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[int, collections.deque[float]] = {}
        self.bursts: dict[int, _Burst] = {}

    def note(self, user_id: int) -> bool:
        """Count one message; True when it is over the limit."""
        now = self.clock()
        seen = self._seen.setdefault(user_id, collections.deque())
        seen.append(now)
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(self._seen) > 10000:  # forget users who went quiet
            for uid in [u for u, d in self._seen.items() if not d or d[-1] <= now - self.window]:
                del self._seen[uid]
        return len(seen) > self.limit


_CODE_RE = re.compile(r"\bNV\s?\d{1,6}\b")


# --------------------------------------------------------------------------------------------- runtime
class Runtime:
    """Hands updates to the Application exactly once; see the module docstring."""

    def __init__(self, application: Application, store: "DataStore", *,
                 clock: Callable[[], dt.datetime], office_chat_id: int | None = None,
                 concurrency: int = 64, hold_after: float = 0.5,
                 offline_after: dt.timedelta = dt.timedelta(minutes=10),
                 flood: FloodGuard | None = None):
        self.app = application
        self.store = store
        self.journal = store.updates
        self.clock = clock
        self.office_chat_id = office_chat_id
        self.concurrency = concurrency
        self.hold_after = hold_after
        self.offline_after = offline_after
        self.flood = flood or FloodGuard()
        self.retry_cap = 30.0  # seconds between getUpdates attempts at most, while Telegram fails
        self._tails: dict[Hashable, asyncio.Future] = {}
        self._sem: asyncio.Semaphore | None = None
        self._outstanding: dict[int, tuple[float, Update]] = {}  # fetched, not finished, not held
        self._running: set[int] = set()  # being handled (outstanding or held)
        self._finishing: dict[int, asyncio.Future] = {}  # being handled or recorded → resolved when done
        self._held: set[int] = set()
        self._raw: dict[int, dict[str, Any]] = {}  # update id -> its JSON from getUpdates, while handled
        self._max_seen = self.journal.offset - 1
        self._pending_done: list[int] = []
        self._done_futures: dict[int, asyncio.Future] = {}
        self._last_sync = 0.0
        self._commit_future: asyncio.Future | None = None
        self._commit_task: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._journal_thread = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                                     thread_name_prefix="dondoc-journal")
        self._progress = asyncio.Event()
        self._stopping = False
        self._poll_task: asyncio.Task | None = None
        self._web: Any = None  # the webhook's aiohttp runner
        # reachability of Telegram (getUpdates)
        self.unreachable_since: dt.datetime | None = None
        self._offline_told = False
        self._failures = 0
        self.handled = 0  # updates handled (not skipped) since start

    # ------------------------------------------------------------------ one update
    async def handle(self, update: Update) -> bool:
        """Handle ``update`` once (in its chat's order) and record it durably as done.

        Returns False if it was done already (a redelivery) or is being handled right now.
        """
        uid = update.update_id
        if self.journal.is_done(uid):
            return False
        if uid in self._finishing:  # posted again while being handled: answer when it is done
            await asyncio.shield(self._finishing[uid])
            return False
        self._running.add(uid)
        self._finishing[uid] = asyncio.get_running_loop().create_future()
        key = chat_key(update)
        loop = asyncio.get_running_loop()
        previous = self._tails.get(key)
        mine = loop.create_future()
        self._tails[key] = mine
        try:
            if previous is not None:
                await asyncio.shield(previous)
            if self._sem is None:
                self._sem = asyncio.Semaphore(self.concurrency)
            async with self._sem:
                handling = await self._process(update, mine)
        finally:
            if not mine.done():
                mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]
            self._outstanding.pop(uid, None)
            self._running.discard(uid)
            self._raw.pop(uid, None)
            self._progress.set()
        try:
            if not handling.in_store:  # else its action's write said it is done
                await self._mark_done(uid)  # written already, or being written, when it was answered
        finally:
            finished = self._finishing.pop(uid, None)
            if finished is not None and not finished.done():
                finished.set_result(None)
        return True

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def _process(self, update: Update, turn: asyncio.Future | None = None) -> Handling:
        chat = update.effective_chat
        user = update.effective_user
        handling = Handling(update.update_id, chat.id if chat else None, user.id if user else None, runtime=self)
        if turn is not None:
            loop = asyncio.get_running_loop()
            handling.next_turn = lambda: loop.call_soon_threadsafe(_resolve, turn)
        from storage.store import WRITES

        token, wtoken = _CURRENT.set(handling), WRITES.set(handling.writes)
        try:
            burst = await self._flood_check(update, handling)
            try:
                await self.app.process_update(update)
                while handling.tasks:  # its block=False handlers: done only when they are
                    await asyncio.gather(handling.tasks.pop(), return_exceptions=True)
            except Exception:  # process_update hands handler errors to the error handler already
                log.exception("update %s could not be processed", update.update_id)
            if burst is not None:
                burst.in_flight -= 1
                burst.stored += 1 if handling.stored else 0
                for text in handling.captured:
                    burst.codes.extend(c.replace(" ", "") for c in _CODE_RE.findall(re.sub(r"<[^>]*>", "", text)))
            self.handled += 1
        finally:
            _CURRENT.reset(token)
            WRITES.reset(wtoken)
        return handling

    # ------------------------------------------------------------------ flood control
    async def _flood_check(self, update: Update, handling: Handling) -> _Burst | None:
        message = update.message or update.edited_message
        user = update.effective_user
        if message is None or user is None or user.is_bot:
            return None
        if not self.flood.note(user.id):
            burst = self.flood.bursts.get(user.id)
            if burst is None or burst.chat_id != message.chat.id:
                return None
        # Over the limit (or inside a burst that is still going on): answers wait for the summary.
        burst = self.flood.bursts.get(user.id)
        first = burst is None
        if burst is None:
            from handlers.common import display_name

            burst = self.flood.bursts[user.id] = _Burst(chat_id=message.chat.id, name=display_name(user))
        burst.count += 1
        burst.in_flight += 1
        burst.last = self.flood.clock()
        handling.flooded = True
        if first:
            log.info("user %s floods chat %s: answers held for one summary", user.id, message.chat.id)
            await self._owe(message.chat.id, texts.t("runtime.slow_down", name=burst.name),
                            key=f"u{handling.update_id}:slow", reply_to=message.message_id)
            burst.task = asyncio.create_task(self._summarise_later(user.id))
        return burst

    async def _summarise_later(self, user_id: int) -> None:
        burst = self.flood.bursts[user_id]
        while True:  # the burst is over when the user was quiet for a window and its updates are done
            wait = burst.last + self.flood.window - self.flood.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            elif burst.in_flight > 0:
                await asyncio.sleep(0.05)
            else:
                break
        del self.flood.bursts[user_id]
        codes = ", ".join(dict.fromkeys(burst.codes))
        text = texts.t("runtime.flood_summary", name=burst.name, count=burst.count, stored=burst.stored,
                       codes=codes or "—")
        await self._owe(burst.chat_id, text)
        log.info("flood of user %s over: %s messages, %s stored", user_id, burst.count, burst.stored)

    # ------------------------------------------------------------------ durable "done" (group commit)
    def offset(self) -> int:
        """The getUpdates offset: past every update finished (or held), never past one that is not."""
        if self._outstanding:
            return min(self._outstanding)
        return max(self._max_seen + 1, self.journal.offset)

    def _mark_done_soon(self, uid: int) -> asyncio.Future:
        """Queue ``uid`` for the next journal write (group commit); the future resolves once written."""
        self._pending_done.append(uid)
        if self._commit_future is None:
            self._commit_future = asyncio.get_running_loop().create_future()
        future = self._commit_future
        if self._commit_task is None or self._commit_task.done():
            self._commit_task = asyncio.create_task(self._commit())
        self._done_futures[uid] = future
        return future

    async def _mark_done(self, uid: int) -> None:
        future = self._done_futures.pop(uid, None) or self._mark_done_soon(uid)
        self._done_futures.pop(uid, None)
        await asyncio.shield(future)

    async def _commit(self) -> None:
        while self._pending_done:
            batch, self._pending_done = self._pending_done, []
            future, self._commit_future = self._commit_future, None
            try:
                # Its own thread, not behind the store's queue of writes: an update answered but not yet
                # recorded as done is answered again after a crash, so this window is kept short.
                await asyncio.get_running_loop().run_in_executor(self._journal_thread, self._record, batch,
                                                                 self.offset())
            except Exception as exc:  # the effects are stored; only the "done" mark is missing
                log.error("update journal not written (%s): updates %s may be handled again after a restart",
                          exc, batch)
            if future is not None and not future.done():
                future.set_result(None)

    def _record(self, done, offset, hold=()) -> None:
        if self.store.closed:
            raise RuntimeError("the store is closed")
        # Marks of handled updates: written at once (they survive a kill), fsynced at most twice a
        # second (a power cut may only make an update be handled again: its effects are idempotent).
        now = time.monotonic()
        sync = bool(hold) or now - self._last_sync >= 0.5
        self.journal.record(done, offset, hold, sync=sync)
        if sync:
            self._last_sync = now

    async def flush(self) -> None:
        """Wait until every finished update is recorded."""
        while self._commit_task is not None and not self._commit_task.done():
            await asyncio.shield(self._commit_task)

    # ------------------------------------------------------------------ polling
    async def start_polling(self, *, timeout: int = 30, delete_webhook: bool = True) -> None:
        self._stopping = False
        self._poll_task = asyncio.create_task(self._poll(timeout, delete_webhook), name="dondoc-polling")

    def _spawn(self, update: Update) -> None:
        task = asyncio.create_task(self.handle(update), name=f"dondoc-update-{update.update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def replay_held(self) -> None:
        """Updates taken in but not finished before the last stop: handle them first."""
        replayed = []
        for uid, raw in sorted(self.journal.held.items()):
            update = parse_update(raw, self.app.bot)
            if update is None or uid in self._finishing:
                continue
            replayed.append(uid)
            self._held.add(uid)
            self._spawn(update)
        if replayed:
            log.info("%s updates taken in before the last stop and not finished: handling them now (%s..%s)",
                     len(replayed), replayed[0], replayed[-1])

    async def _poll(self, timeout: float, delete_webhook: bool) -> None:
        bot = self.app.bot
        while not self.app.running and not self._stopping:  # run_polling starts the app after us
            await asyncio.sleep(0.01)
        if delete_webhook:
            with contextlib.suppress(TelegramError):
                await bot.delete_webhook(drop_pending_updates=False)
        await self.replay_held()
        while not self._stopping:
            try:
                updates = await self._get_updates(bot, timeout)
            except asyncio.CancelledError:
                raise
            except (InvalidToken, Forbidden) as exc:
                log.error("getUpdates refused: %s; stopping", exc.message)
                self.app.stop_running()
                return
            except RetryAfter as exc:
                await self._unreachable(exc)
                await self._sleep(_seconds(exc.retry_after))
                continue
            except (NetworkError, Conflict, TelegramError) as exc:
                await self._unreachable(exc)
                await self._sleep(min(self.retry_cap, 0.5 * 2 ** min(self._failures, 8)))
                continue
            await self._reachable()
            for update in updates:
                uid = update.update_id
                self._max_seen = max(self._max_seen, uid)
                if self.journal.is_done(uid) or uid in self._finishing or uid in self._outstanding:
                    if uid not in self._finishing:
                        self._raw.pop(uid, None)
                    continue
                self._outstanding[uid] = (time.monotonic(), update)
                self._spawn(update)
            if self._outstanding:
                # The next getUpdates confirms everything before its offset: wait until this batch is
                # handled; what still runs after ``hold_after`` is written down (held) instead.
                await self._wait_for_batch()

    async def _get_updates(self, bot, timeout: float) -> list[Update]:
        """``bot.get_updates``, keeping each update's JSON as Telegram sent it: holding an update
        writes that (PTB's ``to_dict`` of a reply costs more than reading it did)."""
        post = getattr(bot, "_post", None)
        request = getattr(bot, "_request", None)
        if post is None or not request:
            return list(await bot.get_updates(offset=self.offset() or None, timeout=timeout,
                                              allowed_updates=Update.ALL_TYPES))
        # as Bot.get_updates: the long poll's timeout on top of the request's read timeout
        read_timeout = (request[0].read_timeout or 0) + timeout
        raw = await post("getUpdates", {"timeout": timeout, "offset": self.offset() or None, "limit": None,
                                        "allowed_updates": list(Update.ALL_TYPES)}, read_timeout=read_timeout)
        updates = []
        for item in raw or ():
            update = parse_update(item, bot)
            if update is None:
                continue
            self._raw[update.update_id] = item
            updates.append(update)
        return updates

    def _as_json(self, update: Update) -> dict[str, Any]:
        raw = self._raw.get(update.update_id)
        return raw if raw is not None else update.to_dict()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop_event().wait(), seconds)

    def _stop_event(self) -> asyncio.Event:
        if not hasattr(self, "_stop_ev"):
            self._stop_ev = asyncio.Event()
        return self._stop_ev

    async def _wait_for_batch(self) -> None:
        deadline = time.monotonic() + self.hold_after
        while self._outstanding and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await self._hold(list(self._outstanding.items()))
                break
            self._progress.clear()
            with contextlib.suppress(TimeoutError):  # asyncio.timeout: no task made for each update
                async with asyncio.timeout(remaining):
                    await self._progress.wait()
        await self.flush()

    async def _hold(self, slow: list[tuple[int, tuple[float, Update]]]) -> None:
        """Updates still running keep the offset back: write them down, so that polling goes on."""
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._journal_thread, self._record, (), None, [self._as_json(u) for _, (_, u) in slow])
        except Exception as exc:
            log.error("update journal: cannot hold the updates still running (%s)", exc)
            return
        for uid, _ in slow:
            if self._outstanding.pop(uid, None) is not None:
                self._held.add(uid)
        log.info("%s updates still running after %.1f s (%s..%s): held in the journal, polling goes on",
                 len(slow), self.hold_after, slow[0][0], slow[-1][0])

    # ------------------------------------------------------------------ reachability
    async def _unreachable(self, exc: Exception) -> None:
        now = self.clock()
        self._failures += 1
        if self.unreachable_since is None:
            self.unreachable_since = now
        message = getattr(exc, "message", None) or str(exc)
        log.warning("getUpdates failed (%s: %s), attempt %s", type(exc).__name__, message, self._failures)
        if not self._offline_told and now - self.unreachable_since >= self.offline_after:
            since = self.unreachable_since
            self._offline_told = await self._tell_office(texts.t(
                "runtime.offline_office", since=_hhmm(since), minutes=_minutes(now - since)))

    async def _reachable(self) -> None:
        if self.unreachable_since is None:
            return
        now, since = self.clock(), self.unreachable_since
        self.unreachable_since, self._failures = None, 0
        log.info("Telegram reachable again (unreachable since %s)", since.isoformat(timespec="seconds"))
        if self._offline_told or now - since >= self.offline_after:
            await self._tell_office(texts.t("runtime.back_office", since=_hhmm(since), at=_hhmm(now),
                                            minutes=_minutes(now - since)))
        self._offline_told = False

    async def _tell_office(self, text: str) -> bool:
        if self.office_chat_id is None:
            return True
        return await self._owe(self.office_chat_id, text, kind="office")

    async def _owe(self, chat_id: int, text: str, *, key: str | None = None, reply_to: int | None = None,
                   kind: str = "runtime") -> bool:
        """A message the runtime owes (slow down, a flood's summary, the office told about the
        connection): through the outbox like every other; False if it could not be recorded."""
        from bot.outgoing import Outgoing
        from handlers.common import enqueue

        try:
            await enqueue(self.app.bot, Outgoing(chat_id, text, key=key, kind=kind, reply_to=reply_to))
            return True
        except Exception as exc:  # noqa: BLE001 - a full disk, a closed store: logged, the bot goes on
            log.warning("%s message to chat %s not recorded: %s", kind, chat_id, type(exc).__name__)
            return False

    # ------------------------------------------------------------------ webhook
    async def start_webhook(self, *, listen: str, port: int, url_path: str, webhook_url: str,
                            secret_token: str, max_connections: int = 40) -> None:
        from bot import web

        self._stopping = False
        web_app = web.webhook_app(self, url_path=url_path, secret_token=secret_token)
        self._web = await web.start_site(web_app, listen, port)
        await self.replay_held()
        await self.app.bot.set_webhook(url=webhook_url, secret_token=secret_token, max_connections=max_connections,
                                       allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
        log.info("webhook set; serving on %s:%s/%s", listen, port, url_path.lstrip("/"))

    # ------------------------------------------------------------------ stopping
    async def stop(self, *, grace: float = 30.0) -> None:
        """Stop taking updates, let the ones being handled finish (up to ``grace`` s), record them."""
        self._stopping = True
        self._stop_event().set()
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poll_task
            self._poll_task = None
        if self._web is not None:
            from bot import web

            await web.stop_site(self._web)
            self._web = None
        if self._tasks:
            done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:  # not recorded as done: handled again at the next start
                task.cancel()
            if pending:
                log.warning("%s updates still running at stop: they are handled again at the next start",
                            len(pending))
        for burst in list(self.flood.bursts.values()):
            if burst.task is not None:
                burst.task.cancel()
        await self.flush()
        self._journal_thread.shutdown(wait=True)


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _hhmm(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M %d/%m/%Y")


def _minutes(delta: dt.timedelta) -> int:
    return max(1, round(delta.total_seconds() / 60))


# ------------------------------------------------------------------------------------ PTB integration
class ExactlyOnceUpdater(Updater):
    """PTB's Updater interface over :class:`Runtime` (so ``run_polling`` / ``run_webhook`` work)."""

    def __init__(self, bot, update_queue: asyncio.Queue, runtime: Runtime):
        super().__init__(bot, update_queue)
        self.runtime = runtime

    async def start_polling(self, poll_interval: float = 0.0, timeout: Any = 10, bootstrap_retries: int = 0,
                            allowed_updates: Any = None, drop_pending_updates: bool | None = None,
                            error_callback: Any = None, **_: Any) -> asyncio.Queue:
        if self._running:
            raise RuntimeError("This Updater is already running!")
        self._running = True
        await self.runtime.start_polling(timeout=int(_seconds(timeout)))
        return self.update_queue

    async def start_webhook(self, listen: str = "127.0.0.1", port: int = 80, url_path: str = "",
                            cert: Any = None, key: Any = None, bootstrap_retries: int = 0,
                            webhook_url: str | None = None, allowed_updates: Any = None,
                            drop_pending_updates: bool | None = None, ip_address: str | None = None,
                            max_connections: int = 40, secret_token: str | None = None,
                            unix: Any = None, **_: Any) -> asyncio.Queue:
        if self._running:
            raise RuntimeError("This Updater is already running!")
        if not webhook_url or not secret_token:
            raise ValueError("webhook mode needs webhook_url and secret_token")
        self._running = True
        try:
            await self.runtime.start_webhook(listen=listen, port=port, url_path=url_path, webhook_url=webhook_url,
                                             secret_token=secret_token, max_connections=max_connections)
        except BaseException:
            self._running = False
            await self.runtime.stop()
            raise
        return self.update_queue

    async def stop(self) -> None:
        if not self._running:
            raise RuntimeError("This Updater is not running!")
        self._running = False
        await self.runtime.stop()


class DondocApplication(Application):
    """An Application whose ``block=False`` handlers belong to the update being handled, so that
    the update counts as done only when they are."""

    def create_task(self, coroutine, update: object | None = None, *, name: str | None = None) -> asyncio.Task:
        task = super().create_task(coroutine, update=update, name=name)
        handling = _CURRENT.get()
        # Only the handlers PTB runs with block=False; a task a handler starts on purpose to run on
        # its own (a greeting sent later) does not hold its chat back.
        if handling is not None and update is not None and "process_update_non_blocking" in (name or "") \
                and getattr(update, "update_id", None) == handling.update_id:
            handling.tasks.append(task)
        return task
