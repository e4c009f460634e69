"""Small helpers shared by the handlers: services, roles, replies."""

from __future__ import annotations

import logging

from telegram import Chat, Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.app import Services, services
from bot.messages import split_message

log = logging.getLogger("dondoc.handlers")

__all__ = ["services", "Services", "is_admin", "is_leader", "is_group", "reply", "reply_long", "display_name"]


def is_admin(context: ContextTypes.DEFAULT_TYPE, update: Update) -> bool:
    user = update.effective_user
    return user is not None and services(context).config.is_admin(user.id)


def is_leader(context: ContextTypes.DEFAULT_TYPE, update: Update) -> bool:
    user = update.effective_user
    return user is not None and services(context).config.is_leader(user.id)


def is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)


def display_name(user) -> str:
    if user is None:
        return ""
    return " ".join(p for p in (user.first_name, user.last_name) if p) or (user.username or str(user.id))


async def reply(update: Update, text: str, **kwargs) -> Message | None:
    message = update.effective_message
    if message is None:
        return None
    from bot.runtime import answered, capture_reply

    if capture_reply(message.chat.id, text):  # the sender floods: one summary answers them all
        return None
    sent = await message.reply_text(text, do_quote=message.chat.type != Chat.PRIVATE, **kwargs)
    answered()  # the update is answered: recorded as handled at once (no second answer after a crash)
    return sent


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

    ``block=False`` for slow commands: the bot goes on with other updates meanwhile.
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


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every callback query no other handler took (empty, unknown, old): answered, so no client spins."""
    query = update.callback_query
    log.info("unknown button data from user %s", query.from_user.id if query.from_user else None)
    await query.answer(texts.t("common.stale_button"), show_alert=True)
