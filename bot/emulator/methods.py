"""Bot API methods, as the emulator answers them.

Each `api_<methodName>(self, p)` takes the decoded parameters and returns the `result`, or raises
ApiError with Telegram's own code and description. They run with `World.lock` held (getUpdates
waits on the `World.changed` condition, which releases it).
"""
from __future__ import annotations

import copy
import re
import time
from typing import Any

from .spec import UploadedFile
from .text import EntityParseError, parse_html, utf16_len
from .world import DEFAULT_UPDATES, ApiError, Chat, World, _guess_mime, _scope_key

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_UPLOAD = 50 * 1024 * 1024
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


class BotApiMethods(World):
    closing = False
    webhook_delivery = None  # .webhook.WebhookDelivery once setWebhook gave a URL
    _poll_generation = 0
    _last_activity = 0.0  # monotonic time of the latest request or update delivery

    # ------------------------------------------------------------------ bot & connection
    def api_getMe(self, p: dict) -> dict:
        me = self.bot.to_dict()
        me.update(can_join_groups=True, can_read_all_group_messages=not self.privacy_mode,
                  supports_inline_queries=False, can_connect_to_business=False, has_main_web_app=False)
        return me

    def api_logOut(self, p: dict) -> bool:
        return True

    def api_close(self, p: dict) -> bool:
        return True

    def api_setWebhook(self, p: dict) -> bool:
        if p["url"] and not p["url"].startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", secret):
            raise bad_request("secret token contains unallowed characters")
        self.webhook = {"url": p["url"], "max_connections": p.get("max_connections", 40)}
        if secret:
            self.webhook["secret_token"] = secret
        if "allowed_updates" in p:
            self.webhook["allowed_updates"] = p["allowed_updates"]
        if p.get("drop_pending_updates"):
            self.updates.clear()
        if p["url"]:
            self._start_webhook_delivery()
        self.changed.notify_all()  # a long poll still waiting ends (409), the delivery starts
        return True

    def _start_webhook_delivery(self) -> None:
        if getattr(self, "webhook_delivery", None) is None:
            from .webhook import WebhookDelivery

            self.webhook_delivery = WebhookDelivery(self)

    def api_deleteWebhook(self, p: dict) -> bool:
        self.webhook = {"url": ""}
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def api_getWebhookInfo(self, p: dict) -> dict:
        info = {"url": self.webhook["url"], "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}
        failed = [status for _, status in getattr(self.webhook_delivery, "answers", [])[-1:] if not 200 <= status < 300]
        if failed:
            info["last_error_date"] = int(self.clock())
            info["last_error_message"] = f"Wrong response from the webhook: {failed[0]}"
        for k in ("max_connections", "allowed_updates"):
            if k in self.webhook:
                info[k] = self.webhook[k]
        return info

    def api_getUpdates(self, p: dict) -> list[dict]:
        if self.webhook["url"]:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        if "allowed_updates" in p:
            self.allowed_updates = frozenset(p["allowed_updates"]) or DEFAULT_UPDATES
        offset = p.get("offset", 0)
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        limit = min(max(p.get("limit", 100), 1), 100)
        self._poll_generation += 1
        generation = self._poll_generation
        self.changed.notify_all()  # an older long poll still waiting is terminated (409)
        deadline = time.monotonic() + max(0, p.get("timeout", 0))
        while not self.updates and not self.closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.changed.wait(remaining)
            if self._poll_generation != generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                    "make sure that only one bot instance is running")
        batch = copy.deepcopy(self.updates[:limit])
        if batch:
            self.delivered_upto = max(self.delivered_upto, batch[-1]["update_id"])
            self._last_activity = time.monotonic()
            self.changed.notify_all()
        return batch

    # ------------------------------------------------------------------ sending
    def api_sendMessage(self, p: dict) -> dict:
        chat = self._target(p)
        text, entities = self._formatted(p.get("text", ""), p.get("parse_mode"), p.get("entities"), "text")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        msg = self._bot_message(chat, p)
        msg["text"] = text
        if entities:
            msg["entities"] = entities
        if p.get("link_preview_options"):
            msg["link_preview_options"] = p["link_preview_options"]
        return self._commit(chat, msg, p)

    def api_sendDocument(self, p: dict) -> dict:
        chat = self._target(p)
        msg = self._bot_message(chat, p)
        f = self._input_file(p["document"], "documents")
        msg["document"] = {"file_name": f.file_name, "mime_type": f.mime_type, "file_id": f.file_id,
                           "file_unique_id": f.file_unique_id, "file_size": len(f.data)}
        self._caption(msg, p)
        return self._commit(chat, msg, p)

    def api_sendPhoto(self, p: dict) -> dict:
        chat = self._target(p)
        msg = self._bot_message(chat, p)
        photo = p["photo"]
        if isinstance(photo, UploadedFile):
            msg["photo"] = self._photo_sizes(photo.content)
        else:
            f = self._input_file(photo, "photos")
            msg["photo"] = [{"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.data),
                             "width": 1280, "height": 960}]
        self._caption(msg, p)
        return self._commit(chat, msg, p)

    def api_sendChatAction(self, p: dict) -> bool:
        self._target(p)
        if p["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # ------------------------------------------------------------------ editing
    def api_editMessageText(self, p: dict) -> dict:
        msg = self._editable(p)
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(p.get("text", ""), p.get("parse_mode"), p.get("entities"), "text")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        new = copy.deepcopy(msg)
        new["text"] = text
        new.pop("entities", None)
        if entities:
            new["entities"] = entities
        self._set_markup(new, p, edit=True)
        return self._apply_edit(msg, new)

    def api_editMessageCaption(self, p: dict) -> dict:
        msg = self._editable(p)
        if not any(k in msg for k in ("document", "photo")):
            raise bad_request("there is no caption in the message to edit")
        new = copy.deepcopy(msg)
        new.pop("caption", None)
        new.pop("caption_entities", None)
        self._caption(new, p)
        self._set_markup(new, p, edit=True)
        return self._apply_edit(msg, new)

    def api_editMessageReplyMarkup(self, p: dict) -> dict:
        msg = self._editable(p)
        new = copy.deepcopy(msg)
        self._set_markup(new, p, edit=True)
        return self._apply_edit(msg, new)

    def api_deleteMessage(self, p: dict) -> bool:
        chat = self._known_chat(p["chat_id"])
        key = (chat.id, p["message_id"])
        if key not in self.messages or key in self.deleted:
            raise bad_request("message to delete not found")
        sender = self.messages[key].get("from", {}).get("id")
        if chat.type != "private" and sender != self.bot.id and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        self.deleted.add(key)
        return True

    def api_answerCallbackQuery(self, p: dict) -> bool:
        entry = self.callback_queries.get(p["callback_query_id"])
        if entry is None or entry["answered"]:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if len(p.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        entry["answered"] = True
        self.callback_answers.append({
            "callback_query_id": p["callback_query_id"], "text": p.get("text"),
            "show_alert": p.get("show_alert", False), "url": p.get("url"), "cache_time": p.get("cache_time", 0),
            "data": entry["query"].get("data"), "from": entry["query"]["from"]["id"]})
        return True

    def api_pinChatMessage(self, p: dict) -> bool:
        chat = self._target(p)
        if chat.type != "private" and chat.bot_status != "administrator":
            raise bad_request("not enough rights to manage pinned messages in the chat")
        if (chat.id, p["message_id"]) not in self.messages or (chat.id, p["message_id"]) in self.deleted:
            raise bad_request("message to pin not found")
        self.pinned[chat.id] = p["message_id"]
        return True

    def api_unpinChatMessage(self, p: dict) -> bool:
        chat = self._target(p)
        if chat.type != "private" and chat.bot_status != "administrator":
            raise bad_request("not enough rights to manage pinned messages in the chat")
        self.pinned.pop(chat.id, None)
        return True

    # ------------------------------------------------------------------ files
    def api_getFile(self, p: dict) -> dict:
        f = self.files.get(p["file_id"])
        if f is None:
            raise bad_request("invalid file_id")
        if len(f.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": len(f.data),
                "file_path": f.file_path}

    def file_by_path(self, path: str) -> bytes | None:
        with self.lock:
            for f in self.files.values():
                if f.file_path == path:
                    return f.data
        return None

    # ------------------------------------------------------------------ commands & profile
    def api_setMyCommands(self, p: dict) -> bool:
        cmds = p["commands"]
        if len(cmds) > 100:
            raise bad_request("too many commands")
        for c in cmds:
            if not _COMMAND_NAME_RE.match(c["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(c["description"]) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = p.get("scope")
        self._check_scope(scope)
        self.commands[(_scope_key(scope), p.get("language_code", ""))] = [
            {"command": c["command"], "description": c["description"]} for c in cmds]
        return True

    def api_getMyCommands(self, p: dict) -> list[dict]:
        return copy.deepcopy(self.commands.get((_scope_key(p.get("scope")), p.get("language_code", "")), []))

    def api_deleteMyCommands(self, p: dict) -> bool:
        self.commands.pop((_scope_key(p.get("scope")), p.get("language_code", "")), None)
        return True

    def _check_scope(self, scope: dict | None) -> None:
        if scope and "chat_id" in scope:
            chat = self._known_chat(scope["chat_id"])
            if "user_id" in scope and scope["user_id"] not in chat.members:
                raise bad_request("user not found")

    def _setting(name: str, limit: int):  # noqa: N805 - builds methods below
        def setter(self, p: dict) -> bool:
            value = p.get(name, "")
            if len(value) > limit:
                raise bad_request(f"{name.upper()}_INVALID")
            self.bot_settings[(name, p.get("language_code", ""))] = value
            return True

        def getter(self, p: dict) -> dict:
            return {name: self.bot_settings.get((name, p.get("language_code", "")), "")}
        return setter, getter

    api_setMyDescription, api_getMyDescription = _setting("description", 512)
    api_setMyShortDescription, api_getMyShortDescription = _setting("short_description", 120)
    api_setMyName, api_getMyName = _setting("name", 64)
    del _setting

    def api_setChatMenuButton(self, p: dict) -> bool:
        self.bot_settings[("menu_button", p.get("chat_id"))] = p.get("menu_button", {"type": "default"})
        return True

    def api_getChatMenuButton(self, p: dict) -> dict:
        return self.bot_settings.get(("menu_button", p.get("chat_id")), {"type": "default"})

    # ------------------------------------------------------------------ chats
    def api_getChat(self, p: dict) -> dict:
        chat = self._known_chat(p["chat_id"])
        self._require_member(chat)
        info = self.spec.skeleton("ChatFullInfo", **self.chat_dict(chat))
        info.update(accent_color_id=0, max_reaction_count=11)
        return info

    def api_getChatMember(self, p: dict) -> dict:
        chat = self._known_chat(p["chat_id"])
        self._require_member(chat)
        uid = p["user_id"]
        user = self.users.get(uid)
        if user is None:
            raise bad_request("user not found")
        if uid == self.bot.id:
            status = chat.bot_status if chat.type != "private" else "member"
        elif chat.type == "private":
            status = "member" if uid == chat.id else "left"
        else:
            status = chat.members.get(uid, "left")
        return self.member_dict(user, status)

    def api_getChatAdministrators(self, p: dict) -> list[dict]:
        chat = self._known_chat(p["chat_id"])
        self._require_member(chat)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [self.member_dict(self.users[uid], s) for uid, s in chat.members.items()
                  if s in ("creator", "administrator")]
        if chat.bot_status == "administrator":
            admins.append(self.member_dict(self.bot, "administrator"))
        return admins

    def api_getChatMemberCount(self, p: dict) -> int:
        chat = self._known_chat(p["chat_id"])
        self._require_member(chat)
        if chat.type == "private":
            return 2
        return len(chat.members) + (chat.bot_status in ("member", "administrator"))

    def api_leaveChat(self, p: dict) -> bool:
        chat = self._known_chat(p["chat_id"])
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self._require_member(chat)
        old = chat.bot_status
        chat.bot_status = "left"
        self._enqueue("my_chat_member", self._member_update(chat, self.bot, old, "left"))
        return True

    # ------------------------------------------------------------------ helpers
    def _known_chat(self, chat_id: Any) -> Chat:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == chat_id[1:].lower():
                    return chat
            raise bad_request("chat not found")
        chat = self.chats.get(int(chat_id)) if str(chat_id).lstrip("-").isdigit() else None
        if chat is None:
            if isinstance(chat_id, int) and chat_id in self.users and chat_id > 0:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        return chat

    def _require_member(self, chat: Chat) -> None:
        kind = "supergroup" if chat.type == "supergroup" else "group"
        if chat.type == "private":
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        elif chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        elif chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")

    def _target(self, p: dict) -> Chat:
        chat = self._known_chat(p["chat_id"])
        self._require_member(chat)
        return chat

    def _formatted(self, text: str, parse_mode: str | None, entities: list | None, what: str):
        if parse_mode and entities:
            return text, entities  # Telegram: explicit entities win
        if parse_mode and parse_mode.upper() == "HTML":
            try:
                return parse_html(text)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        if parse_mode and parse_mode not in ("Markdown", "MarkdownV2"):
            raise bad_request("unsupported parse_mode")
        return text, entities or []

    def _caption(self, msg: dict, p: dict) -> None:
        if "caption" not in p:
            return
        caption, entities = self._formatted(p["caption"], p.get("parse_mode"), p.get("caption_entities"), "caption")
        if utf16_len(caption) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        if caption:
            msg["caption"] = caption
        if entities:
            msg["caption_entities"] = entities

    def _bot_message(self, chat: Chat, p: dict) -> dict:
        msg = {"message_id": 0, "from": self.bot.to_dict(), "chat": self.chat_dict(chat), "date": int(self.clock())}
        reply = p.get("reply_parameters") or ({"message_id": p["reply_to_message_id"]}
                                              if "reply_to_message_id" in p else None)
        if reply:
            target = self._known_chat(reply["chat_id"]).id if "chat_id" in reply else chat.id
            key = (target, reply["message_id"])
            if key in self.messages and key not in self.deleted:
                msg["reply_to_message"] = self._reply_copy(*key)
            elif not (reply.get("allow_sending_without_reply") or p.get("allow_sending_without_reply")):
                raise bad_request("message to be replied not found")
        self._set_markup(msg, p)
        return msg

    def _set_markup(self, msg: dict, p: dict, *, edit: bool = False) -> None:
        """Apply reply_markup; an edit without one removes the inline keyboard, as on Telegram."""
        markup = p.get("reply_markup")
        if markup is None:
            if edit:
                msg.pop("reply_markup", None)
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not 1 <= len(button.get("callback_data", "x").encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise bad_request("BUTTON_TEXT_INVALID")
        if "inline_keyboard" in markup:
            if markup["inline_keyboard"]:
                msg["reply_markup"] = markup
            else:
                msg.pop("reply_markup", None)
        # Reply keyboards are shown to users but never appear in the sent Message object.

    def _commit(self, chat: Chat, msg: dict, p: dict) -> dict:
        retry_after = self.flood.admit(chat.id, chat.type == "private")
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        msg["message_id"] = chat.next_message_id
        chat.next_message_id += 1
        self._store(msg)
        self.bot_sent.append((self.seq, chat.id, msg["message_id"]))
        self.sent_times.append((time.monotonic(), chat.id, msg["message_id"]))
        self.changed.notify_all()
        return copy.deepcopy(msg)

    def _editable(self, p: dict) -> dict:
        if "inline_message_id" in p:
            raise bad_request("inline messages are not emulated")
        if "chat_id" not in p or "message_id" not in p:
            raise bad_request("message identifier is not specified")
        chat = self._known_chat(p["chat_id"])
        self._require_member(chat)
        msg = self.messages.get((chat.id, p["message_id"]))
        if msg is None or (chat.id, p["message_id"]) in self.deleted:
            raise bad_request("message to edit not found")
        if msg.get("from", {}).get("id") != self.bot.id:
            raise bad_request("message can't be edited")
        return msg

    def _apply_edit(self, msg: dict, new: dict) -> dict:
        def content(m):
            return {k: m.get(k) for k in ("text", "entities", "caption", "caption_entities", "reply_markup")}
        if content(new) == content(msg):
            raise bad_request("message is not modified: specified new message content and reply markup are "
                              "exactly the same as a current content and reply markup of the message")
        key = (msg["chat"]["id"], msg["message_id"])
        self.history.setdefault(key, []).append(copy.deepcopy(msg))
        new["edit_date"] = int(self.clock())
        msg.clear()
        msg.update(new)
        self.seq += 1
        self.edit_seq[key] = self.seq
        self.changed.notify_all()
        return copy.deepcopy(msg)

    def _input_file(self, value: Any, folder: str):
        if isinstance(value, UploadedFile):
            if len(value.content) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            mime = value.content_type
            if mime in ("application/octet-stream", "") and value.filename:
                mime = _guess_mime(value.filename)
            return self._store_file(value.content, folder, value.filename, mime)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or "file"
            return self._store_file(b"", folder, name, _guess_mime(name))
        raise bad_request("wrong file identifier/HTTP URL specified")
