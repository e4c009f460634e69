"""Small helpers shared by the handlers: services, roles, replies."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Iterable

from telegram import Chat, ForceReply, InlineKeyboardMarkup, Message, Update


from bot import texts
from bot.services import DondocContext, Services, services
from bot.messages import split_message
from bot.outgoing import Outgoing, coerce

log = logging.getLogger("dondoc.handlers")

__all__ = ["services", "Services", "is_admin", "is_leader", "is_group", "reply", "reply_long", "display_name",
           "send", "enqueue", "send_parts", "answer_key", "delivered"]


def is_admin(context: DondocContext, update: Update) -> bool:
    user = update.effective_user
    return user is not None and services(context).config.is_admin(user.id)


def is_leader(context: DondocContext, update: Update) -> bool:
    user = update.effective_user
    return user is not None and services(context).config.is_leader(user.id)


def is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def display_name(user) -> str:
    if user is None:
        return ""
    return " ".join(p for p in (user.first_name, user.last_name) if p) or (user.username or str(user.id))


_REPLY_SEQ: OrderedDict[int, int] = OrderedDict()  # update id -> replies enqueued for it so far


def _reply_key(update: Update) -> str | None:
    """``u<update id>:<n>``: the n-th answer to an update. Handling a redelivered update again
    gives the same keys, so its answers are not sent twice."""
    if update.update_id is None:
        return None
    n = _REPLY_SEQ.get(update.update_id, 0)
    _REPLY_SEQ[update.update_id] = n + 1
    _REPLY_SEQ.move_to_end(update.update_id)
    while len(_REPLY_SEQ) > 10000:
        _REPLY_SEQ.popitem(last=False)
    return f"u{update.update_id}:{n}"


def answer_key(update: Update | None) -> str | None:
    """The outbox key of the next answer to this update (see :func:`_reply_key`)."""
    return None if update is None else _reply_key(update)


def _cell(b) -> tuple[str, ...]:
    if b.callback_data is not None:
        return (b.text, b.callback_data)
    if b.web_app is not None:
        return (b.text, "web_app", b.web_app.url)
    if b.url is not None:
        return (b.text, "url", b.url)
    raise ValueError(f"a button the outbox does not keep: {b.text!r}")


def _markup_fields(reply_markup) -> dict:
    if isinstance(reply_markup, InlineKeyboardMarkup):
        return {"buttons": [[_cell(b) for b in row] for row in reply_markup.inline_keyboard]}
    if isinstance(reply_markup, ForceReply):
        return {"force_reply": True}
    return {}


async def enqueue(bot_or_context, messages: Iterable[Outgoing] | Outgoing) -> list:
    """Record messages in the outbox (durable when this returns); the sender delivers them.
    Without a running application's outbox (a bare bot in a unit test) they are sent at once."""
    from bot import sender as sender_mod

    bot = bot_or_context.bot if hasattr(bot_or_context, "application") else bot_or_context
    messages = [coerce(m) for m in ([messages] if hasattr(messages, "chat_id") else messages)]
    outbox = sender_mod.outbox_of(bot)
    if outbox is not None:
        return await outbox.enqueue(messages)
    for msg in messages:  # no outbox: straight to Telegram
        await sender_mod.Sender(bot, None)._call(msg, msg.chat_id, paced=False)
    return []


async def send(context, chat_id: int, text: str, *, reply_markup=None, reply_to_message_id: int | None = None,
               key: str | None = None, kind: str = "message", ref: str = "", **_ignored) -> None:
    """``context.bot.send_message`` through the outbox: returns once recorded, never waits for
    Telegram or for a chat's sending budget."""
    await enqueue(context, Outgoing(chat_id, text, key=key, kind=kind, ref=ref, reply_to=reply_to_message_id,
                                    **_markup_fields(reply_markup)))


async def send_parts(context, chat_id: int, text: str, *, buttons=None, update: Update | None = None,
                     kind: str = "message") -> None:
    """A long text in parts under Telegram's limit, through the outbox in one write; ``buttons``
    (rows of (label, callback_data)) under the last part. With ``update``: keyed as its answers, so a
    redelivered update sends nothing twice."""
    parts = split_message(text)
    await enqueue(context, [Outgoing(chat_id, part, key=answer_key(update), kind=kind,
                                     buttons=buttons if i == len(parts) - 1 else ())
                            for i, part in enumerate(parts)])


async def delivered(entry, *, timeout: float = 60.0, every: float = 0.05) -> int | None:
    """Wait until an outbox entry is sent; its message id (None if it failed or the wait ran out).
    For a message the bot edits afterwards (a progress report)."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while entry.pending and time.monotonic() < deadline:
        await asyncio.sleep(every)
    return entry.message_id if entry.state == "sent" else None


async def reply(update: Update, text: str, *, reply_markup=None, key: str | None = None,
                kind: str = "reply", ref: str = "") -> None:
    """Answer the update's message (quoting it in groups) through the outbox."""
    message = update.effective_message
    if message is None:
        return None
    from bot.runtime import answered, capture_reply

    if capture_reply(message.chat.id, text):  # the sender floods: one summary answers them all
        return None
    key = key or _reply_key(update)
    quote = message.message_id if message.chat.type != Chat.PRIVATE else None
    await enqueue(message.get_bot(), Outgoing(message.chat.id, text, key=key, kind=kind, ref=ref, reply_to=quote,
                                              after=message.message_id, **_markup_fields(reply_markup)))
    answered()  # the answer is owed durably (the outbox): the update counts as answered
    return None


async def reply_long(update: Update, text: str) -> None:
    """Reply with a long text split under Telegram's 4096-character limit."""
    for part in split_message(text):
        await reply(update, part)


async def refuse(update: Update, key: str = "common.not_allowed", **values) -> None:
    user = update.effective_user
    log.info("refused %s for user %s in chat %s", key, user.id if user else None,
             update.effective_chat.id if update.effective_chat else None)
    await reply(update, texts.t(key, **values))


def keyboard(buttons):
    """Rows of (label, callback_data) from the message builders → an inline keyboard (or None)."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in buttons])


def calendar_of(context):
    """The working calendar, built once per application from the config."""
    return services(context).calendar


def command(name: str, callback, *, block: bool = True):
    """A command handler for new messages only: editing "/invite X" must not run it again.

    ``block=False`` for slow commands: the bot goes on with other updates meanwhile. (The handler
    table in bot/app.py builds every command with it.)
    """
    from telegram.ext import CommandHandler, filters

    return CommandHandler(name, callback, filters=filters.UpdateType.MESSAGE, block=block)


async def pressed(update: Update, kind: type):
    """The typed data of a button press of ``kind``, or None after answering the presser why not.

    Refused: malformed or unknown data, and data that is not a button of the message it was
    pressed on (a forged query, or one message's data sent on another).
    """
    from bot import callbacks

    query = update.callback_query
    value = callbacks.unpack(query.data)
    message = query.message
    if (not isinstance(value, kind) or message is None
            or not callbacks.on_its_message(query.data, getattr(message, "reply_markup", None))):
        log.info("button refused (forged or stale data) for user %s", query.from_user.id if query.from_user else None)
        await query.answer(texts.t("progress.forged"), show_alert=True)
        return None
    return value


async def on_unknown_button(update: Update, context: DondocContext) -> None:
    """Every callback query no other handler took (empty, unknown, old): answered, so no client spins."""
    query = update.callback_query
    log.info("unknown button data from user %s", query.from_user.id if query.from_user else None)
    await query.answer(texts.t("common.stale_button"), show_alert=True)


async def on_unknown_command(update: Update, context: DondocContext) -> None:
    """A command the bot does not have, in a private chat: say so and point to /help."""
    word = (update.effective_message.text or "").split(maxsplit=1)[0].split("@", 1)[0]
    await reply(update, texts.t("common.unknown_command", command=word[:40]))


async def on_private_text(update: Update, context: DondocContext) -> None:
    """Plain text in a private chat is nothing the bot acts on: say what it takes instead."""
    await reply(update, texts.t("common.private_text"))
