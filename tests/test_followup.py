"""When the weekly digest is due (pure)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from bot.calendar import WorkingCalendar
from bot.digest import DigestSettings
from bot.followup import digest_due

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar()
FRIDAY_16 = DigestSettings()


def due(y, m, d, hh, mm, sent=()):
    return digest_due(dt.datetime(y, m, d, hh, mm, tzinfo=TZ), CAL, FRIDAY_16, lambda k: k in sent)


def test_due_from_friday_afternoon_once():
    assert due(2024, 3, 29, 15, 59, sent={"digest:2024-03-22"}) is None
    assert due(2024, 3, 29, 15, 59) == "digest:2024-03-22"  # last week's, if it never went out
    assert due(2024, 3, 29, 16, 0) == "digest:2024-03-29"
    assert due(2024, 3, 29, 16, 5, sent={"digest:2024-03-29"}) is None


def test_missed_while_down_is_sent_after_the_weekend():
    assert due(2024, 4, 1, 8, 30) == "digest:2024-03-29"  # Monday morning, Friday's not sent
    assert due(2024, 4, 1, 8, 30, sent={"digest:2024-03-29"}) is None


def test_a_friday_off_moves_the_digest_to_the_next_working_day():
    # Friday 31/1/2025 is in the Tết break: the digest is due on Monday 3/2/2025 at 16:00.
    assert due(2025, 1, 31, 16, 30, sent={"digest:2025-01-24"}) is None
    assert due(2025, 2, 3, 15, 0, sent={"digest:2025-01-24"}) is None
    assert due(2025, 2, 3, 16, 0, sent={"digest:2025-01-24"}) == "digest:2025-01-31"
