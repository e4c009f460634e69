"""Delivery of the outbox: one sender task on the application's loop, paced, retried, resumed.

The sender keeps one FIFO queue per chat (the order a chat sees its messages is the order they
were recorded) and sends the heads of many chats at once: a chat waiting for its budget or for
a 429's retry_after never holds up another. A chat has at most one message on its way: the next
goes only once the previous one is settled (sent and its mark written, failed, or back at the head
of the queue waiting for its retry), so a retried message is never overtaken. Each send takes a slot from the sliding-window
:class:`~bot.pacer.Pacer` before it goes, so a burst never exceeds Telegram's limits.

Outcomes of one send:

* Telegram's answer: the entry is marked sent at once (written before anything else runs on the
  loop, fsynced in the outbox writer's next batch), then the hook registered for its kind runs (a card's hook stores where the card went); the hook is marked done, and re-run at start
  if a crash came in between.
* 429: the chat waits ``retry_after`` (plus a little), the message stays at the head of its queue.
* 5xx, a timeout, a dropped connection: the message is sent again after an exponential backoff
  with jitter (0.5 s doubling, capped at 5 minutes); after ``give_up_after`` it is marked failed.
* A permanent error (403: bot kicked or blocked; 400: chat not found, bad request): marked failed
  and logged; the next message of that chat goes on.
* A group that became a supergroup (ChatMigrated): sent again to the new chat id.

Doubles. Neither Telegram nor a Bot API server knows idempotency keys: a request whose answer is
lost may have been carried out (a kill after Telegram took the message but before its "sent" mark
was written, a read timeout, a connection dropped after the request was written). The request
timeouts are generous (a read timeout of 30 s by default), so a slow answer is waited for. Before
each send the outbox writes down above which message id of the chat this message will be (the last
one marked sent there); a message sent again after a lost answer is first looked for above that id
(:meth:`Sender._find_sent`: a few ``editMessageReplyMarkup`` calls with its own buttons, which
Telegram answers "message is not modified" for this very message) and marked sent instead of
going twice. Only when no id is known (the first message to a chat that is not a reply) can a
lost answer still mean a double: a card twice is a nuisance, a card never received is a task
nobody does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import random
import threading
import time
from collections import deque
from typing import Any, Awaitable, Callable

from telegram import ForceReply, InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import BaseRateLimiter

from bot.outgoing import Outgoing
from bot.pacer import PaceLimits, Pacer
from bot.transport import AiohttpRequest

log = logging.getLogger("dondoc.sender")

PACED = {"paced": True}  # rate_limit_args of the sender's own requests: their slot is taken already
# Bot API methods that post a message (and count against Telegram's flood limits).
MESSAGE_METHODS = frozenset({
    "sendMessage", "sendDocument", "sendPhoto", "sendVideo", "sendAudio", "sendVoice", "sendAnimation",
    "sendVideoNote", "sendSticker", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact", "sendPoll",
    "sendDice", "sendInvoice", "sendGame", "sendPaidMedia", "copyMessage", "copyMessages", "forwardMessage",
    "forwardMessages",
})

# Messages sent in bulk, nobody waiting on each: they yield Telegram's overall budget to answers
# (acknowledgements, command answers, the office's requests). A chat's own order is kept whatever
# the kinds.
BULK_KINDS = frozenset({"card", "reminder", "amendment"})

Hook = Callable[[Any], Awaitable[None]]  # async hook(entry) after Telegram's answer


def _seconds(value: Any) -> float:
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


def _chat_key(chat_id: Any) -> int:
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return -1  # "@channel": counted like a group


class PacedRateLimiter(BaseRateLimiter):
    """PTB rate limiter for the requests that do not come from the sender (answers in private chats,
    previews, edits): messages take a slot from the same pacer, so the windows hold for everything;
    a 429 is waited out and retried (``max_retries`` times)."""

    def __init__(self, pacer: Pacer, *, max_retries: int = 3) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if endpoint not in MESSAGE_METHODS or rate_limit_args == PACED:
            return await callback(*args, **kwargs)
        chat = _chat_key(data.get("chat_id"))
        for attempt in range(self.max_retries + 1):
            await self.pacer.acquire(chat)
            try:
                try:
                    return await callback(*args, **kwargs)
                finally:
                    self.pacer.done(chat)
            except RetryAfter as exc:
                if attempt >= self.max_retries:
                    raise
                wait = _seconds(exc.retry_after) + 0.1
                log.info("429 on %s to chat %s: waiting %.1f s", endpoint, chat, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")


def pace_limits(tg: Any) -> PaceLimits:
    """PaceLimits from the [telegram] settings."""
    return PaceLimits(overall=int(tg.overall_max_rate), overall_seconds=1.0,
                      group=int(tg.group_max_rate), group_seconds=float(tg.group_time_period),
                      private=int(getattr(tg, "private_max_rate", 1)),
                      private_seconds=float(getattr(tg, "private_time_period", 1.0)),
                      margin=float(getattr(tg, "pace_margin", 0.02)))


def requests(tg: Any) -> tuple[AiohttpRequest, AiohttpRequest]:
    """(the bot's request, the getUpdates request) with explicit timeouts from [telegram], over
    aiohttp (``bot/transport.py``).

    PTB adds the long-poll ``timeout`` to getUpdates' read timeout itself."""
    g = lambda name, default: float(getattr(tg, name, default))  # noqa: E731
    main = AiohttpRequest(connection_pool_size=int(getattr(tg, "connection_pool_size", 64)),
                          connect_timeout=g("connect_timeout", 10.0), read_timeout=g("read_timeout", 30.0),
                          write_timeout=g("write_timeout", 30.0), pool_timeout=g("pool_timeout", 10.0),
                          media_write_timeout=g("media_write_timeout", 300.0))
    updates = AiohttpRequest(connection_pool_size=2, connect_timeout=g("connect_timeout", 10.0),
                             read_timeout=10.0, write_timeout=g("write_timeout", 30.0),
                             pool_timeout=g("pool_timeout", 10.0))
    return main, updates


def _button_json(cell: tuple[str, ...]) -> dict[str, Any]:
    if len(cell) == 3:
        label, kind, address = cell
        return {"text": label, "web_app": {"url": address}} if kind == "web_app" else {"text": label, "url": address}
    label, data = cell
    return {"text": label, "callback_data": data}


def markup_json(msg: Outgoing) -> dict[str, Any] | None:
    """``reply_markup`` of ``msg`` as the Bot API's JSON (what :func:`keyboard_of` serialises to)."""
    if msg.buttons:
        return {"inline_keyboard": [[_button_json(cell) for cell in row] for row in msg.buttons]}
    if msg.force_reply:
        return {"force_reply": True, "selective": False}
    return None


def keyboard_of(msg: Outgoing):
    """``reply_markup`` of ``msg`` as PTB's object (built from :func:`markup_json`: one definition)."""
    raw = markup_json(msg)
    if raw is None:
        return None
    if "inline_keyboard" in raw:
        return InlineKeyboardMarkup.de_json(raw, None)
    return ForceReply(selective=False)


class Sender:
    """Sends what the outbox holds. ``await start()`` on the application's loop (after the bot is
    initialised), ``await stop()`` before the bot shuts down."""

    def __init__(self, bot, outbox, pacer: Pacer | None = None, *, max_in_flight: int = 32,
                 backoff_base: float = 0.5, backoff_cap: float = 300.0, give_up_after: float = 3 * 86400,
                 media_write_timeout: float | None = None, probe_limit: int = 60) -> None:
        self.bot = bot
        self.probe_limit = probe_limit  # message ids looked at for a message that may have arrived
        self.outbox = outbox
        self.pacer = pacer or Pacer()
        self.max_in_flight = max_in_flight
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.give_up_after = give_up_after
        self.media_write_timeout = media_write_timeout
        self.hooks: dict[str, Hook] = {}
        self.stats = {"sent": 0, "failed": 0, "retried": 0, "429": 0}
        self._queues: dict[int, deque] = {}
        self._queued: set[int] = set()  # entry ids in a queue or in flight
        self._not_before: dict[int, float] = {}
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task] = set()
        self._sending = 0  # requests waiting for Telegram's answer (hooks after it do not count)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._unlisten: Callable[[], None] | None = None

    # ------------------------------------------------------------------ lifecycle
    def on_delivered(self, kind: str, hook: Hook) -> None:
        """Run ``await hook(entry)`` after a message of this kind was sent (entry.message_id set)."""
        self.hooks[kind] = hook

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._stopping = False
        self._unlisten = self.outbox.listen(self._incoming)
        for entry in self.outbox.unhooked():  # sent, but a crash came before the hook ran
            await self._run_hook(entry)
        pending = self.outbox.pending()
        if pending:
            log.info("outbox: resuming %d pending messages", len(pending))
        self._add(pending)
        self._task = asyncio.create_task(self._run(), name="dondoc-sender")

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking new sends; let those in flight get their answer (up to ``timeout``)."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._tasks:
            done, still = await asyncio.wait(set(self._tasks), timeout=timeout)
            for t in still:
                t.cancel()
            if still:
                await asyncio.wait(still)
        self._queues.clear()
        self._queued.clear()
        self._busy.clear()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def backlog(self) -> int:
        """Messages waiting or in flight."""
        return len(self._queued)

    def settled(self, horizon: float = 2.0) -> bool:
        """Nothing in flight and nothing that could go within ``horizon`` seconds (a message waiting
        for a long backoff or a group's minute does not count): tests' notion of "idle"."""
        if self._busy or self._tasks:
            return False
        now = time.monotonic()
        for chat, q in self._queues.items():
            if q and max(self._not_before.get(chat, 0.0) - now, self.pacer.wait(chat, now)) < horizon:
                return False
        return True

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is waiting or in flight (tests, benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queued:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    # ------------------------------------------------------------------ queues
    def _incoming(self, entries: list) -> None:
        """Outbox listener: may be called from any thread."""
        loop = self._loop
        if loop is None or self._stopping:
            return
        if threading.get_ident() == self._loop_thread:
            self._add(entries)
        else:
            loop.call_soon_threadsafe(self._add, entries)

    def _add(self, entries: list) -> None:
        for entry in entries:
            if entry.id in self._queued or not entry.pending:
                continue
            self._queued.add(entry.id)
            self._queues.setdefault(entry.chat_id, deque()).append(entry)
        if self._wake is not None:
            self._wake.set()

    def _requeue(self, entry, wait: float) -> None:
        chat = entry.chat_id
        self._queues.setdefault(chat, deque()).appendleft(entry)
        until = time.monotonic() + wait
        self._not_before[chat] = max(self._not_before.get(chat, 0.0), until)

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            self._wake.clear()
            now = time.monotonic()
            next_at: float | None = None
            if self._sending < self.max_in_flight:
                # Answers to someone waiting go before bulk (a publish's cards, reminders): of the chats
                # that could go, those whose next message is an answer first, then the oldest.
                ready = sorted((q[0].kind in BULK_KINDS, q[0].id, chat) for chat, q in self._queues.items()
                               if q and chat not in self._busy)
                for _, _, chat in ready:
                    if self._sending >= self.max_in_flight:
                        break
                    nb = self._not_before.get(chat, 0.0)
                    if nb > now:
                        next_at = nb if next_at is None else min(next_at, nb)
                        continue
                    wait = self.pacer.try_take(chat, now)
                    if wait > 0:
                        at = now + wait
                        next_at = at if next_at is None else min(next_at, at)
                        if self.pacer.wait_overall(now) > 0:
                            break  # the overall budget is spent: no chat can go now
                        continue
                    self._not_before.pop(chat, None)
                    entry = self._queues[chat].popleft()
                    if not self._queues[chat]:
                        del self._queues[chat]
                    self._busy.add(chat)
                    self._sending += 1
                    task = asyncio.create_task(self._send(chat, entry))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            timeout = None if next_at is None else max(0.001, next_at - time.monotonic())
            # asyncio.timeout, not wait_for: no task made for each wake (several a message)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _send(self, chat: int, entry) -> None:
        """One message of ``chat``: the chat is busy (none of its other messages goes) until this one
        is settled: sent and its mark on disk, failed, or back at the head of its queue for a retry."""
        hook = False
        try:
            hook = await self._deliver(entry)
        except asyncio.CancelledError:
            self._queued.discard(entry.id)  # stays pending in the outbox: resumed at the next start
            raise
        except Exception:  # a bug here must not kill the sender
            log.exception("outbox: sending entry %s failed unexpectedly", entry.id)
            self._queued.discard(entry.id)
        finally:
            self._busy.discard(chat)
            if self._wake is not None:
                self._wake.set()
        if hook:
            await self._run_hook(entry)

    async def _deliver(self, entry) -> bool:
        """Send one entry; True when it was sent and its after-send hook is still to run."""
        chat = entry.chat_id
        msg = self.outbox.message_of(entry)
        if msg is None:
            self.pacer.done(chat)
            self._sending -= 1
            await self.outbox.mark_failed(entry, "the message's file is missing from the data folder")
            self._queued.discard(entry.id)
            log.warning("outbox: %s %s to chat %s failed: file missing", entry.kind, entry.id, entry.chat_id)
            return False
        entry.attempts += 1
        try:
            try:
                sent = await self._find_sent(entry, msg) if entry.after is not None else None
                if sent is None:
                    self.outbox.mark_trying(entry, msg.reply_to or msg.after)
                    sent = await self._call(msg, entry.chat_id)
            finally:
                self.pacer.done(chat)  # dated by the answer (or the failure)
                self._sending -= 1
            # Marked at once, before anything else runs on this loop: a kill after this line cannot
            # make the message go twice. Its fsync is batched with the writer's next write.
            hook = self.hooks.get(entry.kind)
            synced = self.outbox.mark_sent_now(entry, sent, entry.chat_id, hooked=hook is None)

        except RetryAfter as exc:
            wait = _seconds(exc.retry_after) + random.uniform(0.05, 0.25)
            self.stats["429"] += 1
            log.info("outbox: 429 for chat %s, waiting %.1f s", entry.chat_id, wait)
            self.outbox.forget_try(entry)  # refused: it did not arrive
            self._requeue(entry, wait)
            return False
        except ChatMigrated as exc:
            log.info("outbox: chat %s is now %s", entry.chat_id, exc.new_chat_id)
            entry.chat_id = int(exc.new_chat_id)
            self.outbox.forget_try(entry)
            self._requeue(entry, 0.0)
            return False
        except (Forbidden, BadRequest, InvalidToken) as exc:
            await self._fail(entry, exc)
            return False
        except (TimedOut, NetworkError) as exc:  # 5xx, timeouts, dropped connections
            if time.time() - entry.created > self.give_up_after:
                await self._fail(entry, exc)
                return False
            wait = self._backoff(entry.attempts)
            self.stats["retried"] += 1
            log.info("outbox: %s %s to chat %s: %s (attempt %d), again in %.1f s", entry.kind, entry.id,
                     entry.chat_id, type(exc).__name__, entry.attempts, wait)
            self._requeue(entry, wait)
            return False
        except TelegramError as exc:  # anything else Telegram says: treat as permanent
            await self._fail(entry, exc)
            return False
        self._queued.discard(entry.id)
        self.stats["sent"] += 1
        # The chat's next message goes now, without waiting for this mark's fsync: the mark is in the
        # kernel (a kill cannot lose it) and the outbox writer's next batch fsyncs it. Waiting for
        # the fsync too (about 1.3 ms) was a fifth of a reply's time in a busy group; what a power
        # cut can cost is sending again what went in its last few milliseconds (nothing is lost).
        synced.add_done_callback(_sync_failed)
        return hook is not None

    async def _find_sent(self, entry, msg: Outgoing) -> int | None:
        """The id of ``entry``'s message if an earlier attempt did arrive (its answer was lost: a
        kill, a timeout, a dropped connection), else None (send it).

        Every bot message in the chat above ``entry.after`` can only be this one (see
        storage/outbox.py), so the ids above it are looked at in turn by asking Telegram to set
        the entry's own buttons on them: "message is not modified" is this message (same
        buttons, the bot's own); "can't be edited" is someone else's; "not found" three times
        running is past the chat's last message. A network error is raised (the entry waits for
        its retry and is looked for again)."""
        markup = keyboard_of(msg) if msg.buttons else None
        message_id, misses = entry.after, 0
        for _ in range(self.probe_limit):
            message_id += 1
            try:
                await self.bot.edit_message_reply_markup(chat_id=entry.chat_id, message_id=message_id,
                                                         reply_markup=markup)
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after) + 0.1)
                message_id -= 1
                continue
            except BadRequest as exc:
                text = (exc.message or "").lower()
                if "not modified" in text:
                    log.info("outbox: %s %s to chat %s had arrived before (message %s): not sent again",
                             entry.kind, entry.id, entry.chat_id, message_id)
                    return message_id
                if "not found" in text:
                    misses += 1
                    if misses >= 3:
                        return None
                    continue
                if "can't be edited" in text:
                    misses = 0
                    continue
                return None  # an answer that tells nothing: send
            else:
                # A bot message above ``after`` with other buttons: the outbox's record says it can
                # only be this entry's (sent, then its buttons changed): taken as this one.
                log.warning("outbox: message %s in chat %s was the bot's but had other buttons; taken as %s %s",
                            message_id, entry.chat_id, entry.kind, entry.id)
                return message_id
        return None

    def _backoff(self, attempts: int) -> float:
        base = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempts - 1))
        return base / 2 + random.uniform(0, base / 2)

    async def _fail(self, entry, exc: TelegramError) -> None:
        self._queued.discard(entry.id)
        self.stats["failed"] += 1
        reason = getattr(exc, "message", None) or type(exc).__name__
        log.warning("outbox: %s %s to chat %s failed: %s", entry.kind, entry.id, entry.chat_id, reason)
        await self.outbox.mark_failed(entry, reason)
        hook = self.hooks.get(f"{entry.kind}:failed")
        if hook is not None:
            try:
                await hook(entry)
            except Exception:
                log.exception("outbox: failure hook of %s %s", entry.kind, entry.id)

    async def _run_hook(self, entry) -> None:
        hook = self.hooks.get(entry.kind)
        if hook is not None:
            try:
                await hook(entry)
            except Exception:
                log.exception("outbox: hook of %s %s failed (runs again at the next start)", entry.kind, entry.id)
                return
        await self.outbox.mark_hooked(entry)

    async def _call(self, msg: Outgoing, chat_id: int, *, paced: bool = True) -> int:
        """One Bot API call for ``msg``; ``paced``: its pacer slot was taken already. Returns the id
        of the message Telegram made.

        A text goes as its JSON straight to the bot's request (``Bot._post``, the method every
        ``send_*`` ends in): the sender needs only the new message's id, and building PTB's objects
        for the request (the keyboard) and for the answer (the whole Message, with the message it
        replies to) was a fifth of a progress reply's cost. Bots without that path (and files) go
        through ``send_message``/``send_document``."""
        rl = paced and getattr(self.bot, "rate_limiter", None) is not None
        post = getattr(self.bot, "_post", None)
        insert_rl = getattr(self.bot, "_merge_api_rl_kwargs", None)
        if (not msg.is_document and post is not None and (not rl or insert_rl is not None)
                and getattr(self.bot, "callback_data_cache", None) is None):
            data: dict[str, Any] = {"chat_id": chat_id, "text": msg.text, "parse_mode": msg.parse_mode}
            markup = markup_json(msg)
            if markup is not None:
                data["reply_markup"] = markup
            if msg.reply_to:
                data["reply_parameters"] = {"message_id": msg.reply_to, "allow_sending_without_reply": True}
            result = await post("sendMessage", data, api_kwargs=insert_rl(None, PACED) if rl else None)
            return int(result["message_id"])
        reply = (ReplyParameters(message_id=msg.reply_to, allow_sending_without_reply=True)
                 if msg.reply_to else None)
        common: dict[str, Any] = {"chat_id": chat_id, "reply_markup": keyboard_of(msg), "reply_parameters": reply,
                                  "parse_mode": msg.parse_mode}
        if rl:
            common["rate_limit_args"] = PACED
        if msg.is_document:
            extra = {} if self.media_write_timeout is None else {"write_timeout": self.media_write_timeout}
            sent = await self.bot.send_document(document=InputFile(msg.file_data or b"", filename=msg.file_name),
                                                caption=msg.text or None, **common, **extra)
        else:
            sent = await self.bot.send_message(text=msg.text, **common)
        return sent.message_id


def _sync_failed(future: concurrent.futures.Future) -> None:
    exc = None if future.cancelled() else future.exception()
    if exc is not None:
        log.error("outbox: a sent mark could not be fsynced (%s); it may be sent again after a power cut", exc)


# ---------------------------------------------------------------------- where handlers find it
_BY_BOT: dict[int, tuple[Any, Sender | None]] = {}


def register(bot, outbox, sender: Sender | None) -> None:
    _BY_BOT[id(bot)] = (outbox, sender)


def unregister(bot) -> None:
    _BY_BOT.pop(id(bot), None)


def outbox_of(bot):
    """The outbox the application of ``bot`` sends through (None outside a running application)."""
    found = _BY_BOT.get(id(bot))
    return None if found is None else found[0]


def sender_of(bot) -> Sender | None:
    found = _BY_BOT.get(id(bot))
    return None if found is None else found[1]
