"""Configuration: a TOML file (``--config``) plus the token from ``DONDOC_TOKEN``.

Every problem is reported as one line naming the key (``ConfigError.problems``);
``config.example.toml`` documents every key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tomllib
import typing
import zoneinfo
from pathlib import Path
from typing import Any

TOKEN_ENV = "DONDOC_TOKEN"
WEBHOOK_SECRET_ENV = "DONDOC_WEBHOOK_SECRET"
WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")


class ConfigError(Exception):
    """One or more configuration problems, each a single line naming the key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclasses.dataclass
class TelegramSettings:
    base_url: str | None = None  # e.g. http://127.0.0.1:8081/bot (a local Bot API server)
    base_file_url: str | None = None
    mode: str = "polling"  # or "webhook"
    poll_timeout: int = 30  # seconds of getUpdates long polling
    webhook_url: str | None = None  # webhook mode: the public https URL Telegram posts to
    listen: str = "127.0.0.1"  # webhook mode: where the bot's HTTP server listens (behind a TLS proxy)
    port: int = 8443
    url_path: str = "telegram"  # the path the server takes updates on (the proxy forwards to it)
    max_connections: int = 40  # webhook mode: updates Telegram may post at once
    overall_max_rate: float = 30.0  # messages per second, all chats together (Telegram: about 30)
    group_max_rate: float = 20.0  # messages per group and group_time_period (Telegram: 20 a minute)
    group_time_period: float = 60.0
    private_max_rate: float = 1.0  # messages per private chat and private_time_period (Telegram: about 1/s)
    private_time_period: float = 1.0
    pace_margin: float = 0.02  # seconds added to every pacing window (clock jitter up to Telegram)
    connect_timeout: float = 10.0  # seconds; request timeouts of every Bot API call
    read_timeout: float = 30.0  # an answer slower than this is taken as lost (and the message sent again)
    write_timeout: float = 30.0
    media_write_timeout: float = 300.0  # uploading a document (up to 50 MB)
    pool_timeout: float = 10.0


@dataclasses.dataclass
class StorageSettings:
    path: Path = Path("data")
    backups_kept: int = 7


@dataclasses.dataclass
class PeopleSettings:
    admins: list[int] = dataclasses.field(default_factory=list)
    leaders: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class OfficeSettings:
    chat_id: int | None = None
    name: str = "Văn phòng UBND tỉnh"


@dataclasses.dataclass
class DirectorySettings:
    file: Path | None = None  # None: national names only


@dataclasses.dataclass
class RegistrationSettings:
    invite_days: int = 7


@dataclasses.dataclass
class DashboardSettings:
    """The leaders' dashboard (a Telegram Mini App served by the bot itself)."""

    enabled: bool = False
    listen: str = "127.0.0.1"  # address the bot's own HTTP server listens on
    port: int = 8090  # 0: any free port (tests)
    public_url: str | None = None  # the https address users reach (through a reverse proxy), e.g. https://HOST/mini/
    menu_button: bool = True  # also set the private-chat menu button of leaders and admins to open it


@dataclasses.dataclass
class Config:
    token: str | None
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    telegram: TelegramSettings = dataclasses.field(default_factory=TelegramSettings)
    storage: StorageSettings = dataclasses.field(default_factory=StorageSettings)
    people: PeopleSettings = dataclasses.field(default_factory=PeopleSettings)
    office: OfficeSettings = dataclasses.field(default_factory=OfficeSettings)
    directory: DirectorySettings = dataclasses.field(default_factory=DirectorySettings)
    registration: RegistrationSettings = dataclasses.field(default_factory=RegistrationSettings)
    dashboard: DashboardSettings = dataclasses.field(default_factory=DashboardSettings)
    sections: dict[str, Any] = dataclasses.field(default_factory=dict)  # domain settings by section name
    source: Path | None = None
    webhook_secret: str | None = None  # from DONDOC_WEBHOOK_SECRET (webhook mode)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.people.admins

    def is_leader(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.people.leaders

    def section(self, name: str) -> Any:
        """Domain settings (``calendar``, ``reminders``, ``digest``, ``tracking``, ``ocr``)."""
        return self.sections[name]


def _domain_sections() -> dict[str, type]:
    """Sections whose settings dataclass lives in a domain module."""
    from bot.calendar import CalendarSettings
    from bot.digest import DigestSettings
    from bot.notices.ocr import OcrSettings
    from bot.reminders import ReminderSettings
    from bot.tracking import TrackingSettings

    return {"calendar": CalendarSettings, "tracking": TrackingSettings, "reminders": ReminderSettings,
            "digest": DigestSettings, "ocr": OcrSettings}


_CORE_SECTIONS: dict[str, type] = {
    "telegram": TelegramSettings,
    "storage": StorageSettings,
    "people": PeopleSettings,
    "office": OfficeSettings,
    "directory": DirectorySettings,
    "registration": RegistrationSettings,
    "dashboard": DashboardSettings,
}
_TOP_LEVEL = {"timezone", "language"}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _type_name(tp: Any) -> str:
    names = {int: "an integer", str: "a string", bool: "true or false", float: "a number",
             Path: "a file path (string)", dt.date: "a date (YYYY-MM-DD)"}
    origin = typing.get_origin(tp)
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(tp: Any, value: Any) -> Any:
    """Value converted to ``tp`` or ValueError."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value)
            except ValueError:
                pass
        raise ValueError
    if origin is list:
        if not isinstance(value, list):
            raise ValueError
        return [_coerce(args[0], v) for v in value]
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ValueError
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ValueError
    if tp is str:
        if isinstance(value, str):
            return value
        raise ValueError
    if tp is Path:
        if isinstance(value, str) and value:
            return Path(value)
        raise ValueError
    if tp is dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError from None
        raise ValueError
    if tp is typing.Any or tp is object:
        return value
    if isinstance(value, tp):
        return value
    raise ValueError


def _build_section(cls: type, data: Any, name: str, problems: list[str]) -> Any:
    if not isinstance(data, dict):
        problems.append(f"[{name}] must be a table")
        return cls()
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            problems.append(f"{name}.{key}: unknown key (known: {', '.join(sorted(fields))})")
            continue
        try:
            kwargs[key] = _coerce(hints[key], value)
        except ValueError:
            problems.append(f"{name}.{key}: must be {_type_name(hints[key])}, got {value!r}")
            continue
        if isinstance(kwargs[key], str) and (key in ("hour", "time") or key.endswith("_time")):
            if not _HHMM.match(kwargs[key]):
                problems.append(f"{name}.{key}: must be a time HH:MM, got {value!r}")
                del kwargs[key]
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        problems.append(message if message.startswith(f"[{name}]") else f"[{name}]: {message}")
        return cls()
    validate = getattr(obj, "validate", None)
    if callable(validate):
        for problem in validate() or []:
            problems.append(f"{name}.{problem}")
    return obj


def _dashboard_problems(d: DashboardSettings) -> list[str]:
    """One line per bad [dashboard] setting; ``public_url`` gets its trailing "/" (relative paths)."""
    from urllib.parse import urlsplit

    problems = []
    if not 0 <= d.port <= 65535:
        problems.append(f"dashboard.port: must be 1 to 65535 (0: any free port), got {d.port}")
    if not d.listen.strip() or any(ch.isspace() for ch in d.listen):
        problems.append(f"dashboard.listen: must be an address such as \"127.0.0.1\", got {d.listen!r}")
    if d.public_url is not None:
        parts = urlsplit(d.public_url.strip())
        if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
            problems.append(f"dashboard.public_url: must be an https:// address without ?query or #fragment "
                            f"(Telegram opens Mini Apps over https only), got {d.public_url!r}")
        else:
            d.public_url = d.public_url.strip()
            if not d.public_url.endswith("/"):
                d.public_url += "/"  # the page refers to its files and API relative to it
    elif d.enabled:
        problems.append("dashboard.public_url: set the https address users reach (e.g. \"https://HOST/mini/\") "
                        "when dashboard.enabled = true")
    return problems


def parse_config(data: dict[str, Any], *, token: str | None, base_dir: Path = Path("."),
                 require_token: bool = True) -> Config:
    """Build a Config from parsed TOML; raises ConfigError listing every problem.

    ``require_token=False`` for commands that never talk to Telegram (notice parse, digest,
    export, backup, ...): the token is then neither needed nor checked (``cfg.token`` is None).
    """
    problems: list[str] = []
    domain = _domain_sections()
    known = _TOP_LEVEL | set(_CORE_SECTIONS) | set(domain)
    for key in data:
        if key not in known:
            problems.append(f"{key}: unknown key or section (known: {', '.join(sorted(known))})")

    cfg = Config(token=token)
    for name, cls in _CORE_SECTIONS.items():
        setattr(cfg, name, _build_section(cls, data.get(name, {}), name, problems))
    for name, cls in domain.items():
        cfg.sections[name] = _build_section(cls, data.get(name, {}), name, problems)

    tz = data.get("timezone", cfg.timezone)
    try:
        if not isinstance(tz, str):
            raise zoneinfo.ZoneInfoNotFoundError
        zoneinfo.ZoneInfo(tz)
        cfg.timezone = tz
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: unknown time zone {tz!r} (e.g. \"Asia/Ho_Chi_Minh\")")
    language = data.get("language", cfg.language)
    from bot.texts import available_languages

    if language not in available_languages():
        problems.append(f"language: {language!r} has no catalogue (available: {', '.join(available_languages())})")
    else:
        cfg.language = language
    if "calendar" in cfg.sections and hasattr(cfg.sections["calendar"], "timezone"):
        cfg.sections["calendar"].timezone = cfg.timezone

    # Values.
    if not require_token:
        pass  # a command that never talks to Telegram: the token is neither needed nor checked
    elif token is None or not token.strip():
        problems.append(f"{TOKEN_ENV}: the bot token is not set (export {TOKEN_ENV}=123456:ABC...)")
    elif not TOKEN_RE.match(token.strip()):
        problems.append(f"{TOKEN_ENV}: does not look like a bot token (digits:letters, from @BotFather)")
    else:
        cfg.token = token.strip()
    tg = cfg.telegram
    if tg.mode not in ("polling", "webhook"):
        problems.append(f"telegram.mode: must be \"polling\" or \"webhook\", got {tg.mode!r}")
    elif tg.mode == "webhook":
        url = tg.webhook_url or ""
        local = re.match(r"^http://(127\.0\.0\.1|localhost)[:/]", url)  # a local Bot API server only
        if not url:
            problems.append("telegram.webhook_url: required in webhook mode (the public https URL Telegram posts to)")
        elif not (re.match(r"^https://[^\s/]+", url) or (local and tg.base_url)):
            problems.append(f"telegram.webhook_url: must be an https URL, got {url!r}")
        if not 0 <= tg.port <= 65535:
            problems.append(f"telegram.port: must be 1 to 65535, got {tg.port}")
        if not re.match(r"^[A-Za-z0-9._~/-]*$", tg.url_path):
            problems.append(f"telegram.url_path: letters, digits and - _ . ~ / only, got {tg.url_path!r}")
        if not 1 <= tg.max_connections <= 100:
            problems.append(f"telegram.max_connections: must be 1 to 100, got {tg.max_connections}")
    for key in ("base_url", "base_file_url"):
        url = getattr(tg, key)
        if url is not None and not re.match(r"^https?://[^\s/]+", url):
            problems.append(f"telegram.{key}: must be an http(s) URL, got {url!r}")
    if (tg.base_url is None) != (tg.base_file_url is None):
        problems.append("telegram.base_file_url: set base_url and base_file_url together")
    if tg.overall_max_rate <= 0 or tg.group_max_rate <= 0 or tg.group_time_period <= 0:
        problems.append("telegram: overall_max_rate, group_max_rate and group_time_period must be positive")
    if tg.private_max_rate <= 0 or tg.private_time_period <= 0 or tg.pace_margin < 0:
        problems.append("telegram: private_max_rate and private_time_period must be positive, pace_margin >= 0")
    for key in ("connect_timeout", "read_timeout", "write_timeout", "media_write_timeout", "pool_timeout"):
        if not 0 < getattr(tg, key) <= 3600:
            problems.append(f"telegram.{key}: must be between 0 and 3600 seconds, got {getattr(tg, key)}")
    if tg.poll_timeout < 0 or tg.poll_timeout > 600:
        problems.append(f"telegram.poll_timeout: must be between 0 and 600 seconds, got {tg.poll_timeout}")
    for key in ("admins", "leaders"):
        for uid in getattr(cfg.people, key):
            if uid <= 0:
                problems.append(f"people.{key}: {uid} is not a Telegram user id (user ids are positive)")
    if not cfg.people.admins:
        problems.append("people.admins: list at least one admin's Telegram user id")
    if cfg.office.chat_id is not None and cfg.office.chat_id >= 0:
        problems.append(f"office.chat_id: {cfg.office.chat_id} is not a group id (group ids are negative)")
    if cfg.registration.invite_days < 1 or cfg.registration.invite_days > 365:
        problems.append(f"registration.invite_days: must be 1 to 365, got {cfg.registration.invite_days}")
    problems.extend(_dashboard_problems(cfg.dashboard))
    if cfg.storage.backups_kept < 1:
        problems.append(f"storage.backups_kept: must be at least 1, got {cfg.storage.backups_kept}")
    # Relative paths are relative to the config file.
    if not cfg.storage.path.is_absolute():
        cfg.storage.path = base_dir / cfg.storage.path
    data = cfg.storage.path
    existing = next((p for p in (data, *data.parents) if p.exists()), None)
    if data.exists() and not data.is_dir():
        problems.append(f"storage.path: {data} exists and is not a folder")
    elif existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        problems.append(f"storage.path: cannot write in {existing}")
    if cfg.directory.file is not None and not cfg.directory.file.is_absolute():
        cfg.directory.file = base_dir / cfg.directory.file
    if cfg.directory.file is not None:
        if not cfg.directory.file.is_file():
            problems.append(f"directory.file: cannot read {cfg.directory.file}")
        else:
            from bot.directory import Directory, DirectoryError

            try:
                Directory.load(cfg.directory.file)
            except DirectoryError as exc:
                problems.append(f"directory.file: {exc}")
    if problems:
        raise ConfigError(problems)
    return cfg


def load_config(path: Path | str, *, environ: dict[str, str] | None = None, require_token: bool = True) -> Config:
    """Read and validate the config file; raises ConfigError (one line per problem)."""
    env = os.environ if environ is None else environ
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"--config: {path} not found (copy config.example.toml to {path} and edit it)"]) from None
    except OSError as exc:
        raise ConfigError([f"--config: cannot read {path}: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([f"--config: {path} is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"--config: {path} is not valid TOML: {exc}"]) from None
    cfg = parse_config(data, token=env.get(TOKEN_ENV), base_dir=path.resolve().parent, require_token=require_token)
    cfg.source = path
    secret = (env.get(WEBHOOK_SECRET_ENV) or "").strip() or None
    if cfg.telegram.mode == "webhook":
        if secret is None:
            raise ConfigError([f"{WEBHOOK_SECRET_ENV}: required in webhook mode (export {WEBHOOK_SECRET_ENV}="
                               "a random string of letters, digits, - and _, up to 256)"])
        if not WEBHOOK_SECRET_RE.match(secret):
            raise ConfigError([f"{WEBHOOK_SECRET_ENV}: 1 to 256 letters, digits, - and _ only"])
    cfg.webhook_secret = secret
    return cfg
