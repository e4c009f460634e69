"""Typed records shared by the domain, the storage and the handlers.

Plain dataclasses, no Telegram and no TinyDB here. Dates are ``datetime.date``,
instants are timezone-aware ``datetime.datetime``. Storage converts them to and
from JSON (ISO strings) with :func:`to_dict` / ``from_dict``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any, TypeVar

T = TypeVar("T")


class AgencyKind(str, enum.Enum):
    DEPARTMENT = "department"  # sở, ban, ngành
    LOCALITY = "locality"  # UBND huyện/xã/phường
    CENTRAL = "central"  # central agencies on the territory
    OTHER = "other"


class Role(str, enum.Enum):
    LEAD = "lead"  # chủ trì
    COORDINATE = "coordinate"  # phối hợp


class Progress(str, enum.Enum):
    """What an agency last said about an assignment."""

    NONE = "none"  # nothing reported yet
    IN_PROGRESS = "in_progress"  # đang thực hiện
    DONE = "done"  # hoàn thành (waiting for the office unless confirmed)
    BLOCKED = "blocked"  # vướng mắc
    EXTENSION = "extension"  # đề nghị gia hạn


class Category(str, enum.Enum):
    """Official VPCP status categories (PRODUCT.md)."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OPEN_ON_TIME = "open_on_time"
    OPEN_OVERDUE = "open_overdue"
    ONGOING = "ongoing"


@dataclasses.dataclass
class Agency:
    """One entry of the agency directory (edited by the office as TOML)."""

    id: str
    name: str  # canonical name with diacritics
    kind: AgencyKind = AgencyKind.OTHER
    short: list[str] = dataclasses.field(default_factory=list)  # short forms, abbreviations
    groups: list[str] = dataclasses.field(default_factory=list)  # e.g. "so-ban-nganh", "dia-phuong"


@dataclasses.dataclass
class ChatBinding:
    """A Telegram group bound to an agency."""

    chat_id: int
    agency_id: str
    title: str = ""
    bound_at: dt.datetime | None = None
    bound_by: int | None = None  # Telegram user id


@dataclasses.dataclass
class Contact:
    user_id: int
    agency_id: str
    name: str = ""
    username: str | None = None
    chat_id: int | None = None
    first_seen: dt.datetime | None = None


@dataclasses.dataclass
class Invite:
    code: str
    agency_id: str
    created_by: int
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
    used_by: int | None = None
    used_in_chat: int | None = None


@dataclasses.dataclass
class Notice:
    id: str
    number: str | None
    issued_on: dt.date | None
    issuer: str | None = None
    kind: str | None = None
    title: str | None = None
    source_sha256: str = ""  # importing the same file twice finds the same notice
    source_name: str = ""
    state: str = "draft"  # draft | published
    created_at: dt.datetime | None = None
    created_by: int | None = None
    published_at: dt.datetime | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Task:
    id: str
    notice_id: str
    code: str  # short code people type, e.g. "NV12"
    ref: str  # "8.1"
    text: str
    lead: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # AGENCY dicts of the reader
    coordinate: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    deadline: dt.date | None = None
    deadline_text: str | None = None
    recurring: str | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    dropped: bool = False
    # Amendments after publishing, oldest first: {"at", "by", "kind", "changes": {field: [old, new]},
    # "tell": [[assignment id, "changed" | "cancelled"], ...]} (bot/amend.py)
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Extension:
    requested_at: dt.datetime
    requested_by: int
    new_deadline: dt.date
    reason: str
    decision: str | None = None  # approved | refused | None (pending)
    decided_by: int | None = None
    decided_at: dt.datetime | None = None
    previous_deadline: dt.date | None = None


@dataclasses.dataclass
class Assignment:
    """One (task, agency, role): what one agency owes for one task."""

    id: str
    task_id: str
    notice_id: str
    agency_id: str
    role: Role
    deadline: dt.date | None  # current deadline (moves only on an approved extension)
    original_deadline: dt.date | None = None
    recurring: str | None = None
    progress: Progress = Progress.NONE
    done_reported_at: dt.datetime | None = None  # agency said "hoàn thành"
    completed_at: dt.datetime | None = None  # confirmed by the office (or auto-confirmed)
    confirmed_by: int | None = None
    chat_id: int | None = None  # where the task message was sent
    message_id: int | None = None
    sent_at: dt.datetime | None = None
    last_report_at: dt.datetime | None = None
    extensions: list[Extension] = dataclasses.field(default_factory=list)
    closed: bool = False  # task dropped/cancelled
    # A standing duty of every agency: the notice gave it to a whole group at once ("Thủ trưởng các
    # cơ quan, đơn vị, địa phương ...") with no deadline. Each agency gets its card, but it is never
    # nudged as silent and is counted apart from the work someone must deliver by a date.
    standing: bool = False


@dataclasses.dataclass
class ReportFile:
    file_id: str
    name: str | None = None
    size: int | None = None
    mime_type: str | None = None
    kind: str = "document"  # document | photo


@dataclasses.dataclass
class Report:
    id: str
    assignment_id: str
    notice_id: str
    agency_id: str
    chat_id: int
    message_id: int | None
    author_id: int
    author_name: str
    at: dt.datetime
    text: str = ""
    files: list[ReportFile] = dataclasses.field(default_factory=list)
    status: Progress = Progress.NONE
    source: str = "reply"  # reply | button | command | extension
    # What made it, e.g. "m:<chat>:<message>", "q:<callback query id>": the same update handled
    # again (a restart before Telegram was told) finds this report instead of making another.
    source_key: str | None = None
    # What the office was owed by this report ("office_done", "office_blocked", ...), stored with it:
    # handled again, the action owes the same messages (an outbox sends each key once).
    notify: list[str] = dataclasses.field(default_factory=list)
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # previous versions on edit


# ---------------------------------------------------------------- (de)serialisation

def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def to_dict(obj: Any) -> dict[str, Any]:
    """A JSON-ready dict of a record (enums as values, dates as ISO strings)."""
    codec = _CODECS.get(type(obj))
    if codec is None:
        codec = _codec(type(obj))
    return {name: enc(getattr(obj, name)) for name, enc, _ in codec}


def _decode(tp: Any, value: Any) -> Any:
    import typing

    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        non_none = [a for a in args if a is not type(None)]
        return _decode(non_none[0], value) if len(non_none) == 1 else value
    if origin is list:
        return [_decode(args[0], v) for v in value] if args else list(value)
    if origin is dict:
        return dict(value)
    if tp is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if tp is dt.date:
        return dt.date.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    return value


# Per record class: (field, encoder, decoder) chosen once from the type hints (records are
# encoded and decoded on every store call: this is a hot path).
_CODECS: dict[type, list[tuple[str, Any, Any]]] = {}


def _identity(value: Any) -> Any:
    return value


def _enc_time(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else _encode(value)


def _enc_enum(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _enc_list(value: Any) -> Any:
    return [_encode(v) for v in value] if isinstance(value, (list, tuple)) else _encode(value)


def _plain(value: Any) -> Any:
    """Strings, numbers, None pass; anything else takes the general path."""
    return value if value is None or isinstance(value, (str, int, float)) else _encode(value)


def _optional(dec: Any) -> Any:
    return lambda v: None if v is None else dec(v)


def _decoder(tp: Any) -> Any:
    import types
    import typing

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _optional(_decoder(non_none[0])) if len(non_none) == 1 else _identity
    if origin is list:
        if not args:
            return lambda v: None if v is None else list(v)
        item = _decoder(args[0])
        if item is _identity:
            return lambda v: None if v is None else list(v)
        return lambda v: None if v is None else [item(x) for x in v]
    if origin is dict:
        return lambda v: None if v is None else dict(v)
    if tp is dt.datetime:
        return _optional(dt.datetime.fromisoformat)
    if tp is dt.date:
        return _optional(dt.date.fromisoformat)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _optional(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _optional(lambda v, cls=tp: from_dict(cls, v))
    return _identity


def _encoder(tp: Any) -> Any:
    import types
    import typing

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _encoder(non_none[0]) if len(non_none) == 1 else _encode
    if origin is list:
        return _enc_list
    if tp in (dt.datetime, dt.date):
        return _enc_time
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enc_enum
    if tp in (str, int, float, bool):
        return _plain
    return _encode


def _codec(cls: type) -> list[tuple[str, Any, Any]]:
    import typing

    hints = typing.get_type_hints(cls)
    codec = [(f.name, _encoder(hints[f.name]), _decoder(hints[f.name])) for f in dataclasses.fields(cls)]
    _CODECS[cls] = codec
    return codec


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a record from :func:`to_dict` output; unknown keys are ignored."""
    codec = _CODECS.get(cls)
    if codec is None:
        codec = _codec(cls)
    return cls(**{name: dec(data[name]) for name, _, dec in codec if name in data})  # type: ignore[call-arg]
