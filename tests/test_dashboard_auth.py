"""Telegram Mini App launch data: the check Telegram documents (HMAC-SHA256 over the sorted fields)."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from bot.dashboard.auth import MAX_AGE, InitDataError, sign_init_data, verify_init_data

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
NOW = 1_710_208_800
USER = {"id": 1002, "first_name": "Giang", "last_name": "Lâm", "username": "giang_pct", "language_code": "vi"}


def telegram_sign(fields: dict[str, str], token: str = TOKEN) -> str:
    """Signed exactly as Telegram's documentation spells it, independently of the code under test."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def fields(**extra: str) -> dict[str, str]:
    return {"auth_date": str(NOW), "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
            "user": json.dumps(USER, ensure_ascii=False, separators=(",", ":")), **extra}


def test_valid_data_names_the_user():
    user = verify_init_data(telegram_sign(fields()), TOKEN, now=NOW + 60)
    assert (user.id, user.name, user.username, user.auth_date) == (1002, "Giang Lâm", "giang_pct", NOW)


def test_sign_helper_matches_the_documented_algorithm():
    ours = dict(parse_qsl(sign_init_data(TOKEN, user=USER, auth_date=NOW)))
    assert ours["hash"] == dict(parse_qsl(telegram_sign({k: v for k, v in ours.items() if k != "hash"})))["hash"]


def test_fields_in_any_order_and_unknown_fields_are_signed_too():
    raw = telegram_sign(fields(chat_type="sender", chat_instance="-8817", signature="abc"))
    pairs = raw.split("&")
    reordered = "&".join(reversed(pairs))
    assert verify_init_data(reordered, TOKEN, now=NOW).id == 1002
    # Percent-encoding of the same bytes differs from client to client: the values are what is signed.
    requoted = "&".join(f"{k}={quote(v, safe='')}" for k, v in parse_qsl(raw))
    assert verify_init_data(requoted, TOKEN, now=NOW).id == 1002


@pytest.mark.parametrize("tamper", [
    lambda raw: raw.replace("%22id%22%3A1002", "%22id%22%3A1001"),  # another user id
    lambda raw: raw.replace(f"auth_date={NOW}", f"auth_date={NOW + 1}"),
    lambda raw: raw[:-4] + ("0000" if not raw.endswith("0000") else "1111"),  # forged hash
    lambda raw: raw + "&extra=1",  # a field added after signing
    lambda raw: "&".join(p for p in raw.split("&") if not p.startswith("query_id=")),  # a field removed
    lambda raw: "&".join(p for p in raw.split("&") if not p.startswith("hash=")),  # no hash
])
def test_tampered_data_is_refused(tamper):
    raw = telegram_sign(fields())
    with pytest.raises(InitDataError):
        verify_init_data(tamper(raw), TOKEN, now=NOW)


def test_another_bots_signature_is_refused():
    with pytest.raises(InitDataError, match="wrong hash"):
        verify_init_data(telegram_sign(fields(), token="987654321:ZZZdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), TOKEN, now=NOW)


def test_expired_after_24_hours():
    raw = telegram_sign(fields())
    assert verify_init_data(raw, TOKEN, now=NOW + MAX_AGE).id == 1002
    with pytest.raises(InitDataError, match="expired"):
        verify_init_data(raw, TOKEN, now=NOW + MAX_AGE + 1)
    with pytest.raises(InitDataError, match="future"):
        verify_init_data(raw, TOKEN, now=NOW - 3600)


@pytest.mark.parametrize("raw", ["", "garbage", "a=1&a=2", "hash=", "user=%7B%7D&auth_date=1&hash=00"])
def test_malformed_data_is_refused(raw):
    with pytest.raises(InitDataError):
        verify_init_data(raw, TOKEN, now=NOW)


def test_duplicate_field_is_refused_even_when_one_copy_is_signed():
    raw = telegram_sign(fields()) + "&user=" + quote(json.dumps({"id": 1}))
    with pytest.raises(InitDataError, match="twice"):
        verify_init_data(raw, TOKEN, now=NOW)


@pytest.mark.parametrize("user", [None, {"first_name": "x"}, {"id": "1002"}, {"id": -5}, {"id": True}])
def test_signed_data_without_a_usable_user_is_refused(user):
    f = fields()
    if user is None:
        del f["user"]
    else:
        f["user"] = json.dumps(user)
    with pytest.raises(InitDataError, match="user"):
        verify_init_data(telegram_sign(f), TOKEN, now=NOW)
