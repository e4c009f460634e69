"""Agency registration: /invite, /register, /start <code>, /unregister, /agencies, /help."""

from __future__ import annotations

import datetime as dt
import re
import logging
import secrets

from telegram import Chat, ChatMemberUpdated, Update


from bot.directory import OUTSIDE_PREFIX, outside_id
from bot import texts
from bot.models import ChatBinding, Contact, Invite
from bot.services import DondocContext
from handlers.common import display_name, is_admin, is_group, is_leader, refuse, reply, reply_long, send, services

log = logging.getLogger("dondoc.registration")

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no O/0, I/1: codes are read aloud and typed
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _fmt_time(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M %d/%m/%Y")


async def cmd_help(update: Update, context: DondocContext) -> None:
    svc = services(context)
    if is_group(update):
        binding = svc.store.registry.chat(update.effective_chat.id)
        if binding is None:
            await reply(update, texts.t("registration.help_group_unbound"))
        else:
            agency = svc.directory.get(binding.agency_id)
            await reply(update, texts.t("registration.help_group_bound",
                                        agency=agency.name if agency else binding.agency_id))
        return
    parts = [texts.t("registration.help_private")]
    if is_admin(context, update):
        parts.append(texts.t("registration.help_admin"))
    if is_leader(context, update) or is_admin(context, update):
        parts.append(texts.t("registration.help_leader"))
    await reply(update, "\n\n".join(parts))


async def cmd_start(update: Update, context: DondocContext) -> None:
    """``/start`` in private: help. ``/start <code>`` in a group: the deep-link registration."""
    if is_group(update) and context.args:
        await _register(update, context, context.args[0])
        return
    await cmd_help(update, context)


async def cmd_invite(update: Update, context: DondocContext) -> None:
    if not is_admin(context, update):
        await refuse(update)
        return
    if update.effective_chat.type != Chat.PRIVATE:
        await reply(update, texts.t("registration.invite_private_only"))
        return
    name = " ".join(context.args or []).strip()
    if not name:
        await reply(update, texts.t("registration.invite_usage"))
        return
    svc = services(context)
    agency = _invited_agency(svc.directory, name)
    if agency is None:
        match = svc.directory.resolve(name)
        lines = "\n".join(f"• {texts.escape(a.name)}" for a in match.candidates[:5])
        await reply(update, texts.t("registration.invite_unsure", name=name, candidates=texts.Raw(lines)))
        return
    now = svc.now()
    invite = Invite(
        code=new_code(),
        agency_id=agency.id,
        created_by=update.effective_user.id,
        created_at=now,
        expires_at=now + dt.timedelta(days=svc.config.registration.invite_days),
    )
    await svc.store.run(svc.store.registry.add_invite, invite)
    link = f"https://t.me/{context.bot.username}?startgroup={invite.code}"
    log.info("invite created for agency %s by user %s", invite.agency_id, invite.created_by)
    outside = agency.id.startswith(OUTSIDE_PREFIX)
    await reply(update, texts.t("registration.invite_created", agency=agency.name, code=invite.code,
                                expires=_fmt_time(invite.expires_at), link=link)
                + ("\n" + texts.t("registration.invite_outside") if outside else ""))


def _invited_agency(directory, name: str):
    """The agency an admin's /invite names: a sure match in the province's directory, a party the
    notices name beyond it (kept as written), or, with "ngoài:" before it or when nothing in the
    directory is like it, a new outside party. None: unsure, the admin chooses among candidates."""
    forced = re.match(r"^\s*ngo[aà]i\s*:\s*", name, re.IGNORECASE)
    if forced:
        rest = name[forced.end():].strip()
        return directory.add_outside(rest) if rest else None
    known = directory.get(outside_id(name))
    if known is not None:
        return known
    match = directory.resolve(name)
    if match.agency is not None and match.sure and not match.rest.strip() and match.listed:
        return match.agency
    if match.candidates:
        return None
    return directory.add_outside(name)


async def cmd_register(update: Update, context: DondocContext) -> None:
    if not is_group(update):
        await reply(update, texts.t("registration.register_group_only"))
        return
    if not context.args:
        await reply(update, texts.t("registration.register_usage"))
        return
    await _register(update, context, context.args[0])


async def _register(update: Update, context: DondocContext, code: str) -> None:
    from storage import InviteError

    svc = services(context)
    chat = update.effective_chat
    user = update.effective_user
    code = code.strip().upper()
    if chat.id == svc.config.office.chat_id:
        await reply(update, texts.t("registration.register_office_group"))
        return
    registry = svc.store.registry
    existing = registry.chat(chat.id)
    invite = registry.invite(code)
    if invite is not None and existing is not None and existing.agency_id != invite.agency_id:
        agency = svc.directory.get(existing.agency_id)
        await reply(update, texts.t("registration.register_other_agency",
                                    agency=agency.name if agency else existing.agency_id))
        return
    now = svc.now()
    try:
        invite = await svc.store.run(registry.use_invite, code, user.id, chat.id, now)
    except InviteError as exc:
        log.info("registration refused in chat %s: %s", chat.id, exc.reason)
        await reply(update, texts.t(f"registration.register_code_{exc.reason}"))
        return
    agency = svc.directory.get(invite.agency_id)
    agency_name = agency.name if agency else invite.agency_id
    binding = ChatBinding(chat_id=chat.id, agency_id=invite.agency_id, title=chat.title or "",
                          bound_at=now, bound_by=user.id)
    contact = Contact(user_id=user.id, agency_id=invite.agency_id, name=display_name(user),
                      username=user.username, chat_id=chat.id, first_seen=now)

    def bind() -> None:
        registry.bind_chat(binding)
        registry.add_contact(contact)

    await svc.store.run(bind)
    log.info("chat %s bound to agency %s by user %s", chat.id, invite.agency_id, user.id)
    await reply(update, texts.t("registration.register_done", agency=agency_name, contact=contact.name))
    office = svc.config.office.chat_id
    if office is not None and office != chat.id:
        await send(context, office, texts.t("registration.register_office_notice", agency=agency_name,
                                                       chat=chat.title or str(chat.id), contact=contact.name))
    for hook in services(context).on_binding_change:
        await hook(context, binding.agency_id)


async def cmd_unregister(update: Update, context: DondocContext) -> None:
    if not is_admin(context, update):
        await refuse(update)
        return
    if not is_group(update):
        await reply(update, texts.t("registration.unregister_group_only"))
        return
    svc = services(context)
    binding = await svc.store.run(svc.store.registry.unbind_chat, update.effective_chat.id)
    if binding is None:
        await reply(update, texts.t("registration.unregister_not_bound"))
        return
    agency = svc.directory.get(binding.agency_id)
    log.info("chat %s unbound from agency %s", binding.chat_id, binding.agency_id)
    await reply(update, texts.t("registration.unregister_done",
                                agency=agency.name if agency else binding.agency_id))
    for hook in services(context).on_binding_change:  # open tasks move to another group
        await hook(context, binding.agency_id)


async def cmd_agencies(update: Update, context: DondocContext) -> None:
    if not is_admin(context, update):
        await refuse(update)
        return
    svc = services(context)
    registry = svc.store.registry
    bound_lines, unbound_lines = [], []
    for agency in svc.directory.agencies:
        chats = registry.chats_of(agency.id)
        if chats:
            contacts = registry.contacts_of(agency.id)
            bound_lines.append(texts.t(
                "registration.agencies_line_bound", agency=agency.name,
                chats=", ".join(c.title or str(c.chat_id) for c in chats),
                contacts=", ".join(c.name for c in contacts) or texts.t("common.none"),
            ))
        else:
            unbound_lines.append(texts.t("registration.agencies_line_unbound", agency=agency.name))
    total = len(bound_lines) + len(unbound_lines)
    parts = [texts.t("registration.agencies_title", bound=len(bound_lines), total=total), *bound_lines]
    if unbound_lines:
        parts.append(texts.t("registration.agencies_unbound_title", count=len(unbound_lines)))
        parts.extend(unbound_lines)
    await reply_long(update, "\n".join(parts))


async def on_my_chat_member(update: Update, context: DondocContext) -> None:
    """The bot was added to or removed from a group."""
    change: ChatMemberUpdated = update.my_chat_member
    chat = change.chat
    if chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        return
    was_in = change.old_chat_member.status in ("member", "administrator", "creator", "restricted")
    is_in = change.new_chat_member.status in ("member", "administrator", "creator", "restricted")
    if is_in and not was_in:
        log.info("bot added to chat %s", chat.id)
        # With a deep link Telegram also sends "/start CODE": only greet plain additions.
        svc = services(context)
        if chat.id != svc.config.office.chat_id and svc.store.registry.chat(chat.id) is None:
            context.application.create_task(_greet_later(context, chat.id), update=update)
    elif was_in and not is_in:
        log.info("bot removed from chat %s", chat.id)


async def _greet_later(context: DondocContext, chat_id: int) -> None:
    import asyncio

    await asyncio.sleep(1.5)  # a deep-link "/start CODE" follows the membership change
    svc = services(context)
    if svc.store.registry.chat(chat_id) is None:
        await send(context, chat_id, texts.t("registration.added_without_code"))
