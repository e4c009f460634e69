"""The emulated Telegram world: users, chats, messages, files, updates, and what users do.

Everything here is synchronous and guarded by one lock (`World.lock`), so the HTTP threads and
the test's event loop thread can share it. Driver actions (send, edit, press, add_bot_to_group...)
raise ValueError for impossible test setups (unknown user, user not in the group, no such
button) so a test mistake shows up at once instead of as a silent non-delivery.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .flood import FloodControl, FloodLimits
from .text import auto_entities, commands, mentions

# Update types Telegram sends when allowed_updates was never given (or given as []).
DEFAULT_UPDATES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "inline_query",
    "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
    "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_join_request",
    "chat_boost", "removed_chat_boost",
})


class ApiError(Exception):
    """A Bot API error answer: {"ok": false, "error_code", "description", "parameters"?}."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = "vi"

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code and not self.is_bot:
            d["language_code"] = self.language_code
        return d


@dataclass
class Chat:
    id: int
    type: str  # "private", "group" or "supergroup"
    title: str | None = None
    username: str | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id -> creator/administrator/member
    bot_status: str = "left"  # the bot in this chat: member/administrator/left/kicked
    started: bool = False  # private chats: the user has started the bot
    blocked: bool = False  # private chats: the user blocked the bot
    next_message_id: int = 1


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


class World:
    def __init__(self, token: str, bot_username: str, bot_name: str, flood: FloodLimits | None,
                 clock: Callable[[], float] = time.time):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.token = token
        self.clock = clock
        bot_id = int(token.split(":", 1)[0])
        self.bot = User(bot_id, bot_name, username=bot_username, is_bot=True, language_code=None)
        self.privacy_mode = True
        self.flood = FloodControl(flood)
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.history: dict[tuple[int, int], list[dict]] = {}  # earlier versions of edited messages
        self.deleted: set[tuple[int, int]] = set()
        self.edit_seq: dict[tuple[int, int], int] = {}  # seq of the latest bot edit
        self.bot_sent: list[tuple[int, int, int]] = []  # (seq, chat_id, message_id), in order
        self.sent_times: list[tuple[float, int, int]] = []  # (time.monotonic(), chat id, message id) of each bot message
        self.files: dict[str, StoredFile] = {}
        self.pinned: dict[int, int] = {}  # chat id -> pinned message id
        self.callback_queries: dict[str, dict] = {}
        self.callback_answers: list[dict] = []
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.bot_settings: dict[str, Any] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self.updates: list[dict] = []  # not yet confirmed by getUpdates(offset)
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATES
        self.next_update_id = 1
        self.delivered_upto = 0  # highest update_id returned by getUpdates
        self.seq = 0  # grows with every stored message and every driver action
        self.mark = 0  # seq at the last driver action (wait_for_bot_message looks after it)
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ world building
    def add_user(self, user_id: int, first_name: str, last_name: str | None = None,
                 username: str | None = None, language_code: str | None = "vi") -> User:
        with self.lock:
            user = User(user_id, first_name, last_name, username, language_code=language_code)
            self.users[user_id] = user
            return user

    def add_group(self, chat_id: int, title: str, members: list[int] | dict[int, str] = (),
                  *, type: str | None = None, username: str | None = None) -> Chat:
        """A group (negative id; -100... ids are supergroups). `members`: ids, or id -> status."""
        if chat_id >= 0:
            raise ValueError(f"group ids are negative, got {chat_id}")
        kind = type or ("supergroup" if str(chat_id).startswith("-100") else "group")
        with self.lock:
            chat = Chat(chat_id, kind, title, username=username)
            items = members.items() if isinstance(members, dict) else ((m, "member") for m in members)
            for uid, status in items:
                self._user(uid)
                chat.members[uid] = status
            self.chats[chat_id] = chat
            return chat

    def add_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        with self.lock:
            self._user(user_id)
            self._group(chat_id).members[user_id] = status

    def remove_member(self, chat_id: int, user_id: int) -> None:
        with self.lock:
            self._group(chat_id).members.pop(user_id, None)

    # ------------------------------------------------------------------ users act
    def send(self, user_id: int, chat_id: int, text: str | None = None, *, reply_to: int | None = None,
             document: tuple | None = None, photo: bytes | None = None, caption: str | None = None) -> dict:
        """User `user_id` posts in `chat_id` (their own id for the private chat with the bot).

        document: (file_name, bytes) or (file_name, bytes, mime_type). Returns the message dict.
        """
        with self.lock:
            user = self._user(user_id)
            chat = self._chat_for_user(user, chat_id)
            msg = self._new_message(chat, user)
            if text is not None:
                msg["text"] = text
                ents = auto_entities(text)
                if ents:
                    msg["entities"] = ents
            if document is not None:
                name, data, *rest = document
                mime = rest[0] if rest else _guess_mime(name)
                f = self._store_file(data, "documents", name, mime)
                msg["document"] = {"file_name": name, "mime_type": mime, "file_id": f.file_id,
                                   "file_unique_id": f.file_unique_id, "file_size": len(data)}
            if photo is not None:
                msg["photo"] = self._photo_sizes(photo)
            if caption is not None:
                msg["caption"] = caption
                ents = auto_entities(caption)
                if ents:
                    msg["caption_entities"] = ents
            if reply_to is not None:
                msg["reply_to_message"] = self._reply_copy(chat.id, reply_to)
            if chat.type == "private":
                chat.started = True
                if chat.blocked:  # writing to the bot again unblocks it
                    chat.blocked = False
                    self._enqueue("my_chat_member", self._member_update(chat, user, "kicked", "member"))
            self._store(msg)
            if self._bot_sees(chat, msg):
                self._enqueue("message", msg)
            self._touch()
            return copy.deepcopy(msg)

    def press_start(self, user_id: int, param: str | None = None) -> dict:
        """The user opens the private chat and presses Start (optionally from a ?start= link)."""
        return self.send(user_id, user_id, "/start" + (f" {param}" if param else ""))

    def edit(self, user_id: int, chat_id: int, message_id: int, text: str) -> dict:
        """The user edits their message; the bot gets an edited_message update if it sees it."""
        with self.lock:
            msg = self._message(chat_id, message_id)
            if msg.get("from", {}).get("id") != user_id:
                raise ValueError(f"message {message_id} in {chat_id} was not sent by user {user_id}")
            was_seen = self._bot_sees(self.chats[chat_id], msg)
            self.history.setdefault((chat_id, message_id), []).append(copy.deepcopy(msg))
            field_name = "text" if "text" in msg else "caption"
            msg[field_name] = text
            ents_key = "entities" if field_name == "text" else "caption_entities"
            msg.pop(ents_key, None)
            if auto_entities(text):
                msg[ents_key] = auto_entities(text)
            msg["edit_date"] = int(self.clock())
            if was_seen or self._bot_sees(self.chats[chat_id], msg):
                self._enqueue("edited_message", msg)
            self._touch()
            return copy.deepcopy(msg)

    def press(self, user_id: int, chat_id: int, message_id: int, data: str | None = None, *,
              button: str | None = None, forged: bool = False) -> str:
        """The user presses an inline button (by callback data or by its label). Returns the query id.

        ``forged=True`` sends ``data`` even if no button carries it (a modified client): bots must
        never trust callback data."""
        with self.lock:
            user = self._user(user_id)
            msg = self._message(chat_id, message_id)
            buttons = [b for row in msg.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
            chosen = [b for b in buttons if "callback_data" in b
                      and (data is None or b["callback_data"] == data)
                      and (button is None or b["text"] == button)]
            if forged and data is not None:
                chosen = [{"callback_data": data}]
            if not chosen:
                offered = [(b.get("text"), b.get("callback_data")) for b in buttons]
                raise ValueError(f"message {message_id} in {chat_id} has no button data={data!r} "
                                 f"text={button!r}; buttons: {offered}")
            chat = self.chats[chat_id]
            if chat.type != "private" and user_id not in chat.members:
                raise ValueError(f"user {user_id} is not a member of {chat_id}")
            query_id = str(4_000_000_000_000_000 + next(self._ids))
            query = {"id": query_id, "from": user.to_dict(), "message": copy.deepcopy(msg),
                     "chat_instance": str(int(hashlib.sha1(str(chat_id).encode()).hexdigest()[:12], 16)),
                     "data": chosen[0]["callback_data"]}
            self.callback_queries[query_id] = {"query": query, "answered": False}
            self._enqueue("callback_query", query)
            self._touch()
            return query_id

    def add_bot_to_group(self, chat_id: int, by_user: int, start_param: str | None = None, *,
                         admin: bool = False) -> None:
        """`by_user` adds the bot to the group (through a ?startgroup=<start_param> link if given)."""
        with self.lock:
            chat = self._group(chat_id)
            adder = self._user(by_user)
            if by_user not in chat.members:
                raise ValueError(f"user {by_user} is not a member of {chat_id}")
            old = chat.bot_status
            chat.bot_status = "administrator" if admin else "member"
            self._enqueue("my_chat_member", self._member_update(chat, adder, old, chat.bot_status))
            if old not in ("member", "administrator"):
                service = self._new_message(chat, adder)
                service["new_chat_members"] = [self.bot.to_dict()]
                service["new_chat_member"] = self.bot.to_dict()
                service["new_chat_participant"] = self.bot.to_dict()
                self._store(service)
                self._enqueue("message", service)
            self._touch()
        if start_param is not None:
            self.send(by_user, chat_id, f"/start@{self.bot.username} {start_param}")

    def remove_bot_from_group(self, chat_id: int, by_user: int | None = None, *, kicked: bool = True) -> None:
        with self.lock:
            chat = self._group(chat_id)
            by = self._user(by_user) if by_user is not None else self._any_admin(chat)
            old = chat.bot_status
            chat.bot_status = "kicked" if kicked else "left"
            self._enqueue("my_chat_member", self._member_update(chat, by, old, chat.bot_status))
            self._touch()

    def block(self, user_id: int) -> None:
        """The user blocks the bot in their private chat."""
        with self.lock:
            user = self._user(user_id)
            chat = self._chat_for_user(user, user_id)
            chat.blocked = True
            self._enqueue("my_chat_member", self._member_update(chat, user, "member", "kicked"))
            self._touch()

    # ------------------------------------------------------------------ observing
    def bot_messages(self, chat_id: int | None = None, *, include_deleted: bool = False) -> list[dict]:
        """What the bot sent, oldest first: the current message (edits applied) plus
        "edits" (earlier versions, oldest first), "deleted" (bool), "seq" (when it was sent) and
        "changed_seq" (when it was last edited or sent); seq values order all events."""
        with self.lock:
            out = []
            for seq, cid, mid in self.bot_sent:
                if chat_id is not None and cid != chat_id:
                    continue
                deleted = (cid, mid) in self.deleted
                if deleted and not include_deleted:
                    continue
                m = copy.deepcopy(self.messages[(cid, mid)])
                m["edits"] = copy.deepcopy(self.history.get((cid, mid), []))
                m["deleted"] = deleted
                m["seq"] = seq
                m["changed_seq"] = self.edit_seq.get((cid, mid), seq)
                out.append(m)
            return out

    def message(self, chat_id: int, message_id: int) -> dict:
        with self.lock:
            return copy.deepcopy(self._message(chat_id, message_id))

    def file_bytes(self, file_id: str) -> bytes:
        with self.lock:
            return self.files[file_id].data

    def commands_for(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        with self.lock:
            return copy.deepcopy(self.commands.get((_scope_key(scope), language_code), []))

    @property
    def refused_429(self) -> int:
        """How many requests were answered 429 Too Many Requests."""
        return self.flood.refused

    def set_flood_limits(self, limits: FloodLimits) -> None:
        self.flood.limits = limits
        self.flood.reset()

    # ------------------------------------------------------------------ internals
    def _touch(self) -> None:
        self.seq += 1
        self.mark = self.seq
        self.changed.notify_all()

    def _user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise ValueError(f"unknown user {user_id}: call add_user({user_id}, ...) first") from None

    def _group(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"unknown group {chat_id}: call add_group({chat_id}, ...) first")
        return chat

    def _chat_for_user(self, user: User, chat_id: int) -> Chat:
        if chat_id == user.id:
            chat = self.chats.get(chat_id)
            if chat is None:
                chat = self.chats[chat_id] = Chat(chat_id, "private")
            return chat
        chat = self._group(chat_id)
        if user.id not in chat.members:
            raise ValueError(f"user {user.id} is not a member of {chat_id}")
        return chat

    def _any_admin(self, chat: Chat) -> User:
        for uid, status in chat.members.items():
            if status in ("creator", "administrator"):
                return self.users[uid]
        if chat.members:
            return self.users[next(iter(chat.members))]
        raise ValueError(f"group {chat.id} has no members")

    def _message(self, chat_id: int, message_id: int) -> dict:
        msg = self.messages.get((chat_id, message_id))
        if msg is None or (chat_id, message_id) in self.deleted:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        return msg

    def chat_dict(self, chat: Chat) -> dict:
        if chat.type == "private":
            user = self.users[chat.id]
            d = {"id": chat.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                d["last_name"] = user.last_name
            if user.username:
                d["username"] = user.username
            return d
        d = {"id": chat.id, "type": chat.type, "title": chat.title}
        if chat.username:
            d["username"] = chat.username
        return d

    def _new_message(self, chat: Chat, sender: User) -> dict:
        mid = chat.next_message_id
        chat.next_message_id += 1
        return {"message_id": mid, "from": sender.to_dict(), "chat": self.chat_dict(chat),
                "date": int(self.clock())}

    def _store(self, msg: dict) -> None:
        self.seq += 1
        self.messages[(msg["chat"]["id"], msg["message_id"])] = msg

    def _reply_copy(self, chat_id: int, message_id: int) -> dict:
        original = copy.deepcopy(self._message(chat_id, message_id))
        original.pop("reply_to_message", None)  # Telegram nests one level only
        return original

    def _bot_sees(self, chat: Chat, msg: dict) -> bool:
        """Would the bot receive this message? (membership, blocking, privacy mode)"""
        if chat.type == "private":
            return not chat.blocked
        if chat.bot_status not in ("member", "administrator"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        if any(k in msg for k in ("new_chat_members", "left_chat_member", "new_chat_title", "pinned_message")):
            return True
        text = msg.get("text") or msg.get("caption") or ""
        if any(bot is None or bot.lower() == self.bot.username.lower() for _, bot in commands(text)):
            return True
        if any(m.lower() == self.bot.username.lower() for m in mentions(text)):
            return True
        replied = msg.get("reply_to_message")
        return bool(replied and replied.get("from", {}).get("id") == self.bot.id)

    def _enqueue(self, kind: str, payload: dict) -> None:
        if kind not in self.allowed_updates:
            return
        self.updates.append({"update_id": self.next_update_id, kind: copy.deepcopy(payload)})
        self.next_update_id += 1
        self.changed.notify_all()

    def _member_update(self, chat: Chat, by: User, old: str, new: str) -> dict:
        return {"chat": self.chat_dict(chat), "from": by.to_dict(), "date": int(self.clock()),
                "old_chat_member": self.member_dict(self.bot, old),
                "new_chat_member": self.member_dict(self.bot, new)}

    def member_dict(self, user: User, status: str) -> dict:
        d: dict[str, Any] = {"status": status, "user": user.to_dict()}
        if status == "creator":
            d["is_anonymous"] = False
        elif status == "administrator":
            d.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
                     can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
                     can_change_info=True, can_invite_users=True, can_post_stories=False,
                     can_edit_stories=False, can_delete_stories=False, can_pin_messages=True)
        elif status == "kicked":
            d["until_date"] = 0
        return d

    def _store_file(self, data: bytes, folder: str, name: str | None, mime: str | None) -> StoredFile:
        n = next(self._ids)
        digest = hashlib.sha1(data).hexdigest()
        ext = ""
        if name and "." in name:
            ext = "." + name.rsplit(".", 1)[1]
        f = StoredFile(file_id=f"BQAC{n:06d}{digest[:20]}", file_unique_id=f"AgAD{digest[:12]}",
                       file_path=f"{folder}/file_{n}{ext}", data=bytes(data), file_name=name, mime_type=mime)
        self.files[f.file_id] = f
        return f

    def _photo_sizes(self, data: bytes) -> list[dict]:
        big = self._store_file(data, "photos", "photo.jpg", "image/jpeg")
        small = self._store_file(data, "photos", "photo_s.jpg", "image/jpeg")
        return [{"file_id": small.file_id, "file_unique_id": small.file_unique_id + "s", "file_size": len(data),
                 "width": 320, "height": 240},
                {"file_id": big.file_id, "file_unique_id": big.file_unique_id, "file_size": len(data),
                 "width": 1280, "height": 960}]


def _scope_key(scope: dict | None) -> str:
    if not scope:
        return "default"
    parts = [scope.get("type", "default")]
    for k in ("chat_id", "user_id"):
        if k in scope:
            parts.append(f"{k}={scope[k]}")
    return ":".join(parts)


def _guess_mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "pdf": "application/pdf", "txt": "text/plain", "jpg": "image/jpeg", "jpeg": "image/jpeg",
        "png": "image/png", "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }.get(ext, "application/octet-stream")
