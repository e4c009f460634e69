"""Telegram Mini App launch data (``initData``): the check Telegram documents, and signing for tests.

Telegram's algorithm ("Validating data received via the Mini App"):

* the data is a query string of ``key=value`` fields; one of them is ``hash``;
* data_check_string = every other field, URL-decoded, as ``key=value`` lines sorted by key, joined by "\\n";
* secret_key = HMAC_SHA256(key=b"WebAppData", msg=bot_token);
* the data is genuine when hex(HMAC_SHA256(key=secret_key, msg=data_check_string)) equals ``hash``
  (compared in constant time); ``auth_date`` (Unix time) says how old it is.

The exact bytes Telegram signed must reach the server: the page sends ``initData`` as it came.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["InitDataError", "LaunchUser", "MAX_AGE", "sign_init_data", "verify_init_data"]

MAX_AGE = 24 * 3600  # seconds: older launch data is refused
_FUTURE_SKEW = 300  # seconds of clock difference tolerated for an auth_date in the future
_MAX_LENGTH = 16_384


class InitDataError(Exception):
    """Launch data that does not prove who is asking (the reason is for the log, never for the page)."""


@dataclasses.dataclass(frozen=True)
class LaunchUser:
    id: int
    first_name: str
    last_name: str
    username: str | None
    language_code: str | None
    auth_date: int

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.username or str(self.id))


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode("utf-8"), hashlib.sha256).digest()


def _data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def verify_init_data(init_data: str, token: str, *, now: float | None = None, max_age: int = MAX_AGE) -> LaunchUser:
    """The user the launch data was signed for, or :class:`InitDataError`."""
    if not token:
        raise InitDataError("no bot token to check against")
    if not init_data or len(init_data) > _MAX_LENGTH:
        raise InitDataError("empty or oversized initData")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise InitDataError("initData is not a query string") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise InitDataError(f"field {key!r} twice")
        fields[key] = value
    received = fields.get("hash", "")
    if not received:
        raise InitDataError("no hash")
    expected = hmac.new(_secret(token), _data_check_string(fields).encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received.lower()):
        raise InitDataError("wrong hash")
    try:
        auth_date = int(fields.get("auth_date", ""))
    except ValueError:
        raise InitDataError("no auth_date") from None
    now = time.time() if now is None else now
    if now - auth_date > max_age:
        raise InitDataError(f"expired ({int(now - auth_date)} s old)")
    if auth_date - now > _FUTURE_SKEW:
        raise InitDataError("auth_date in the future")
    try:
        user: Any = json.loads(fields.get("user", ""))
        uid = user["id"]
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise TypeError
    except (ValueError, TypeError, KeyError):
        raise InitDataError("no user in initData") from None
    return LaunchUser(id=uid, first_name=str(user.get("first_name") or ""), last_name=str(user.get("last_name") or ""),
                      username=user.get("username") if isinstance(user.get("username"), str) else None,
                      language_code=user.get("language_code") if isinstance(user.get("language_code"), str) else None,
                      auth_date=auth_date)


def sign_init_data(token: str, *, user: dict[str, Any], auth_date: int | None = None,
                   extra: dict[str, str] | None = None) -> str:
    """Launch data as a Telegram client would get it for ``user`` (for tests, benches and local trials)."""
    fields = {"auth_date": str(int(time.time()) if auth_date is None else auth_date),
              "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
              "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
              **(extra or {})}
    fields["hash"] = hmac.new(_secret(token), _data_check_string(fields).encode("utf-8"), hashlib.sha256).hexdigest()
    return urlencode(fields)
