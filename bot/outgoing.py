"""What the bot owes someone: one outgoing message, as a plain value (no Telegram objects).

Domain code and handlers build :class:`Outgoing` values; ``await store.outbox.enqueue([...])``
records them durably and the sender (``bot/sender.py``) delivers them, paced, retried, once.

``key`` names the logical message (``"card:<assignment>:<chat>"``, ``"ack:<report>"``, ...): a
message whose key is already in the outbox is not enqueued again, so a handler that runs twice
for the same update, or a resume that finds the same undelivered card, sends nothing twice.
``kind`` and ``ref`` say what it is and what it is about; after Telegram's answer the sender
calls the hook registered for ``kind`` with the entry and the message id (a card's hook stores
where the card went, so that replies to it find their task).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Sequence

# Rows of buttons: (label, callback_data) as bot/cards.py builds them, or (label, "url", address) /
# (label, "web_app", address) for a link or a Mini App (the dashboard's button).
Buttons = Sequence[Sequence[tuple[str, ...]]]
LINK_KINDS = ("url", "web_app")


@dataclasses.dataclass(frozen=True)
class Outgoing:
    chat_id: int
    text: str = ""  # HTML (parse_mode) or the caption of a document
    key: str | None = None  # dedupe key of the logical message; None: always a new message
    kind: str = "message"  # card, ack, office, reminder, digest, reply, ...: for hooks, logs and counts
    ref: str = ""  # what the message is about (assignment id, report id, ...), given to the hook
    buttons: tuple[tuple[tuple[str, ...], ...], ...] = ()
    force_reply: bool = False  # ask the client to reply to this message (instead of buttons)
    reply_to: int | None = None  # message id in the same chat; sent anyway if that message is gone
    # A message of the chat this one comes after, not quoted (the private message it answers): where
    # the outbox looks for it if an answer is lost and nothing was sent to the chat before.
    after: int | None = None
    parse_mode: str | None = "HTML"
    file_name: str | None = None  # with file_data: a document (text is its caption)
    file_data: bytes | None = dataclasses.field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "buttons", normalise_buttons(self.buttons))
        if self.file_data is not None and not self.file_name:
            raise ValueError("Outgoing: a document needs a file_name")
        if self.file_name is None and not self.text:
            raise ValueError("Outgoing: a message needs a text or a file")

    @property
    def is_document(self) -> bool:
        return self.file_name is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form without the file bytes (the outbox stores those apart)."""
        out: dict[str, Any] = {"chat_id": self.chat_id, "text": self.text, "kind": self.kind}
        for name in ("key", "ref", "reply_to", "after", "file_name"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.parse_mode != "HTML":
            out["parse_mode"] = self.parse_mode
        if self.buttons:
            out["buttons"] = [[list(b) for b in row] for row in self.buttons]
        if self.force_reply:
            out["force_reply"] = True
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any], file_data: bytes | None = None) -> "Outgoing":
        return cls(chat_id=int(raw["chat_id"]), text=raw.get("text", ""), key=raw.get("key"),
                   kind=raw.get("kind", "message"), ref=raw.get("ref", ""),
                   buttons=raw.get("buttons") or (), force_reply=bool(raw.get("force_reply")),
                   reply_to=raw.get("reply_to"), after=raw.get("after"), parse_mode=raw.get("parse_mode", "HTML"),
                   file_name=raw.get("file_name"), file_data=file_data)


def coerce(msg: Any) -> Outgoing:
    """An Outgoing from any value shaped like one (``bot.progress.Outgoing``: chat_id, text, buttons,
    reply_to, key, purpose)."""
    if isinstance(msg, Outgoing):
        return msg
    return Outgoing(int(msg.chat_id), msg.text, key=getattr(msg, "key", None) or None,
                    kind=getattr(msg, "purpose", "") or getattr(msg, "kind", "") or "message",
                    ref=getattr(msg, "ref", "") or "", buttons=getattr(msg, "buttons", None) or (),
                    reply_to=getattr(msg, "reply_to", None))


def normalise_buttons(buttons: Buttons | None) -> tuple[tuple[tuple[str, ...], ...], ...]:
    if not buttons:
        return ()
    out = []
    for row in buttons:
        if not row:
            continue
        cells = []
        for button in row:
            button = tuple(str(v) for v in button)
            if len(button) != 2 and not (len(button) == 3 and button[1] in LINK_KINDS):
                raise ValueError(f"Outgoing: a button is (label, data) or (label, url|web_app, address): {button!r}")
            cells.append(button)
        out.append(tuple(cells))
    return tuple(out)


def parts(chat_id: int, texts: Iterable[str], *, key: str | None = None, **fields: Any) -> list[Outgoing]:
    """One message per part of a long text; keys ``<key>#0``, ``<key>#1``... when a key is given.
    Buttons and force_reply (if given) go on the last part only."""
    texts = list(texts)
    out = []
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        extra = dict(fields)
        if not last:
            extra.pop("buttons", None)
            extra.pop("force_reply", None)
        out.append(Outgoing(chat_id, text, key=None if key is None else f"{key}#{i}", **extra))
    return out
