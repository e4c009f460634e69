"""Typed callback data of the bot's buttons: one place that packs, unpacks and checks them.

Telegram gives a button 64 bytes of data, and whoever presses may send any bytes (a modified
client can): data is never trusted. Each kind of button is a frozen dataclass with a short
prefix; :func:`pack` builds the string (and refuses one over 64 bytes), :func:`unpack` returns
the typed value or ``None`` for anything malformed, unknown or empty. Handlers then check who
pressed, where, and that the message it was pressed on is the one the data names
(:func:`on_its_message`).

    st:<assignment>:<ip|done|blk|ext>   status buttons on a task card
    cr:<report>:<ip|done|blk|none>      correction of what a reply was read as (on the acknowledgement)
    cf:<assignment>:<ok|back>           the office confirms completion or returns the work
    ex:<assignment>:<n>:<ok|no>         the office decides extension request n
    pub:<notice> / pv:<notice>          publish / refresh a draft's preview
    xl:<notice>                         the draft as an Excel sheet
    am:<notice>:<ok|no>                 apply (or not) the changes a sheet makes to a published notice
"""

from __future__ import annotations

import dataclasses
import re
from typing import ClassVar, Union

MAX_BYTES = 64
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class CallbackTooLong(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Status:
    prefix: ClassVar[str] = "st"
    choices: ClassVar[tuple[str, ...]] = ("ip", "done", "blk", "ext")
    assignment: str
    status: str


@dataclasses.dataclass(frozen=True)
class Correct:
    prefix: ClassVar[str] = "cr"
    choices: ClassVar[tuple[str, ...]] = ("ip", "done", "blk", "none")
    report: str
    status: str


@dataclasses.dataclass(frozen=True)
class Confirm:
    prefix: ClassVar[str] = "cf"
    choices: ClassVar[tuple[str, ...]] = ("ok", "back")
    assignment: str
    decision: str


@dataclasses.dataclass(frozen=True)
class Extension:
    prefix: ClassVar[str] = "ex"
    choices: ClassVar[tuple[str, ...]] = ("ok", "no")
    assignment: str
    index: int
    decision: str


@dataclasses.dataclass(frozen=True)
class Publish:
    prefix: ClassVar[str] = "pub"
    notice: str


@dataclasses.dataclass(frozen=True)
class Preview:
    prefix: ClassVar[str] = "pv"
    notice: str


@dataclasses.dataclass(frozen=True)
class Sheet:
    prefix: ClassVar[str] = "xl"
    notice: str


@dataclasses.dataclass(frozen=True)
class Amend:
    prefix: ClassVar[str] = "am"
    choices: ClassVar[tuple[str, ...]] = ("ok", "no")
    notice: str
    decision: str


Callback = Union[Status, Correct, Confirm, Extension, Publish, Preview, Sheet, Amend]
KINDS: dict[str, type] = {k.prefix: k for k in (Status, Correct, Confirm, Extension, Publish, Preview, Sheet, Amend)}


def pattern(kind: type) -> str:
    """The handler pattern for one kind (its prefix and a colon)."""
    return rf"^{kind.prefix}:"


def pack(value: Callback) -> str:
    parts = [value.prefix] + [str(getattr(value, f.name)) for f in dataclasses.fields(value)]
    data = ":".join(parts)
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise CallbackTooLong(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def unpack(data: object) -> Callback | None:
    """The typed value of a button's data, or None: empty, unknown, malformed, too long."""
    if not isinstance(data, str) or not data or len(data.encode("utf-8")) > MAX_BYTES:
        return None
    prefix, _, rest = data.partition(":")
    kind = KINDS.get(prefix)
    if kind is None:
        return None
    fields = dataclasses.fields(kind)
    values = rest.split(":")
    if len(values) != len(fields):
        return None
    out = {}
    for f, raw in zip(fields, values):
        if f.type in ("int", int):
            if not raw.isdigit() or len(raw) > 4:
                return None
            out[f.name] = int(raw)
        elif f.name in ("status", "decision"):
            if raw not in kind.choices:
                return None
            out[f.name] = raw
        elif not _ID.match(raw):
            return None
        else:
            out[f.name] = raw
    return kind(**out)


def on_its_message(data: str, message_markup: object) -> bool:
    """True when ``data`` is one of the buttons of the message it was pressed on.

    ``message_markup`` is the ``reply_markup`` of the message in the callback query, as Telegram
    holds it: a button pressed on a message that does not carry it (a forged or stale query, the
    data of one message sent on another) is refused.
    """
    rows = getattr(message_markup, "inline_keyboard", None) or ()
    return any(getattr(button, "callback_data", None) == data for row in rows for button in row)
