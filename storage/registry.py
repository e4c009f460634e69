"""Registry: chats bound to agencies, contacts, invite codes (``registry.json``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.models import ChatBinding, Contact, Invite, from_dict, to_dict

from ._base import Guard, KeyedTable, open_db
from .errors import Duplicate, InviteError

FILE_NAME = "registry.json"


class Registry:
    """Typed access to ``registry.json``. Thread-safe; each write is durable on return."""

    def __init__(self, guard: Guard, path: Path, data: dict[str, Any] | None) -> None:
        self._g = guard
        self.path = path
        self._db = open_db(path, data, "registry", guard)
        self._chats = KeyedTable(self._db, "chats", lambda r: r["chat_id"])
        self._contacts = KeyedTable(self._db, "contacts", lambda r: (r["user_id"], r["agency_id"]))
        self._invites = KeyedTable(self._db, "invites", lambda r: r["code"])

    # ---------------------------------------------------------------- chats
    def bind_chat(self, binding: ChatBinding) -> ChatBinding | None:
        """Bind (or re-bind) a chat to an agency. Returns the previous binding, if any."""
        with self._g:
            old = self._chats.get(binding.chat_id)
            raw = to_dict(binding)
            if old is None:
                self._chats.insert(raw)
                return None
            self._chats.replace(binding.chat_id, raw)
            return from_dict(ChatBinding, old)

    def unbind_chat(self, chat_id: int) -> ChatBinding | None:
        """Remove a chat's binding. Returns it, or None if the chat was not bound."""
        with self._g:
            old = self._chats.get(chat_id)
            if old is None:
                return None
            record = from_dict(ChatBinding, old)
            self._chats.remove(chat_id)
            return record

    def chat(self, chat_id: int) -> ChatBinding | None:
        with self._g:
            raw = self._chats.get(chat_id)
            return None if raw is None else from_dict(ChatBinding, raw)

    def chats_of(self, agency_id: str) -> list[ChatBinding]:
        with self._g:
            return [from_dict(ChatBinding, r) for r in self._chats.values() if r["agency_id"] == agency_id]

    def all_chats(self) -> list[ChatBinding]:
        with self._g:
            return [from_dict(ChatBinding, r) for r in self._chats.values()]

    # ---------------------------------------------------------------- contacts
    def add_contact(self, contact: Contact) -> Contact:
        """Insert or update the contact (user_id, agency_id); keeps the first ``first_seen``."""
        with self._g:
            key = (contact.user_id, contact.agency_id)
            old = self._contacts.get(key)
            raw = to_dict(contact)
            if old is None:
                self._contacts.insert(raw)
            else:
                if old.get("first_seen"):
                    raw["first_seen"] = old["first_seen"]
                self._contacts.replace(key, raw)
            return from_dict(Contact, raw)

    def remove_contact(self, user_id: int, agency_id: str) -> Contact | None:
        with self._g:
            old = self._contacts.get((user_id, agency_id))
            if old is None:
                return None
            record = from_dict(Contact, old)
            self._contacts.remove((user_id, agency_id))
            return record

    def contacts_of(self, agency_id: str) -> list[Contact]:
        with self._g:
            return [from_dict(Contact, r) for r in self._contacts.values() if r["agency_id"] == agency_id]

    def all_contacts(self) -> list[Contact]:
        with self._g:
            return [from_dict(Contact, r) for r in self._contacts.values()]

    def agency_of_user(self, user_id: int) -> list[str]:
        """Agencies the user is a contact of (usually one)."""
        with self._g:
            return [agency for (user, agency) in self._contacts.ids if user == user_id]

    # ---------------------------------------------------------------- invites
    def add_invite(self, invite: Invite) -> None:
        with self._g:
            if invite.code in self._invites:
                raise Duplicate(f"invite code {invite.code!r} already exists")
            self._invites.insert(to_dict(invite))

    def invite(self, code: str) -> Invite | None:
        with self._g:
            raw = self._invites.get(code.strip())
            return None if raw is None else from_dict(Invite, raw)

    def use_invite(self, code: str, user_id: int, chat_id: int, at: dt.datetime) -> Invite:
        """Mark the code used by ``user_id`` in ``chat_id``; atomic check-and-set.

        Raises :class:`InviteError` with reason "unknown", "used" or "expired".
        """
        code = code.strip()
        with self._g:
            raw = self._invites.get(code)
            if raw is None:
                raise InviteError(code, "unknown")
            invite = from_dict(Invite, raw)
            if invite.used_at is not None:
                raise InviteError(code, "used")
            if at >= invite.expires_at:
                raise InviteError(code, "expired")
            invite.used_at = at
            invite.used_by = user_id
            invite.used_in_chat = chat_id
            self._invites.replace(code, to_dict(invite))
            return invite

    def invites_of(self, agency_id: str) -> list[Invite]:
        with self._g:
            return [from_dict(Invite, r) for r in self._invites.values() if r["agency_id"] == agency_id]

    def all_invites(self) -> list[Invite]:
        with self._g:
            return [from_dict(Invite, r) for r in self._invites.values()]
