"""Deadlines and recurring duties, in clean and noisy text."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.notices.deadlines import find_deadlines, find_recurring, pick_deadline

ISSUED = dt.date(2024, 3, 11)


@pytest.mark.parametrize("text, date, canonical", [
    ("báo cáo trước ngày 31 tháng 3 năm 2024.", "2024-03-31", "trước ngày 31 tháng 3 năm 2024"),
    ("chậm nhất ngày 31/3/2024", "2024-03-31", "chậm nhất ngày 31/3/2024"),
    ("hoàn thành trước 31-3-2024", "2024-03-31", "hoàn thành trước 31/3/2024"),
    ("hạn chót 15.4.2024", "2024-04-15", "hạn chót 15/4/2024"),
    ("trong tháng 3 năm 2024", "2024-03-31", "trong tháng 3 năm 2024"),
    ("trong tháng 02/2024 và", None, None),  # before the notice: a past period, not a deadline
    ("trong tháng 4/2024", "2024-04-30", "trong tháng 4/2024"),
    ("trong tháng 2/2025", "2025-02-28", "trong tháng 2/2025"),
    ("hoàn thành trong quý II/2024", "2024-06-30", "hoàn thành trong quý II/2024"),
    ("trong quý 3 năm 2024", "2024-09-30", "trong quý III năm 2024"),
    ("trong quý IV/2024", "2024-12-31", "trong quý IV/2024"),
    ("trong năm 2024", "2024-12-31", "trong năm 2024"),
    ("trước ngày 30/6", "2024-06-30", "trước ngày 30/6"),  # no year: the notice's year
    ("trước tháng 6/2024", "2024-05-31", "trước tháng 6/2024"),
    ("hoàn thành trong 6 tháng đầu năm 2024", "2024-06-30", "hoàn thành trong 6 tháng đầu năm 2024"),
    ("Thời hạn: trước 31/12/2024", "2024-12-31", "thời hạn: trước 31/12/2024"),
    ("trong 15 ngày kể từ ngày ký", "2024-03-26", "trong 15 ngày kể từ ngày ký"),
    ("trong 15 ngày (kể từ ngày nhận được văn bản), báo cáo", None, "trong 15 ngày kể từ ngày nhận được văn bản"),
    ("trong 10 ngày làm việc kể từ ngày nhận được hồ sơ.", None,
     "trong 10 ngày làm việc kể từ ngày nhận được hồ sơ"),
    # OCR noise and no diacritics
    ("trwéc ngay 31 thang 3 nam 2024", "2024-03-31", "trước ngày 31 tháng 3 năm 2024"),
    ("bao cio trong thang 3 nim 2024", "2024-03-31", "trong tháng 3 năm 2024"),
    ("cham nhat ngay 15 thang 5 nam 2024", "2024-05-15", "chậm nhất ngày 15 tháng 5 năm 2024"),
    ("trong quy II/2024", "2024-06-30", "trong quý II/2024"),
    ("trong quý Il/2024", "2024-06-30", "trong quý II/2024"),
])
def test_deadline_forms(text, date, canonical):
    got = pick_deadline(find_deadlines(text, issued_on=ISSUED))
    if date is None:
        # no date: nothing read, or a delay that cannot be computed here (its phrase is kept)
        assert (got is None) if canonical is None else (got is not None and got.date is None)
        if canonical is not None:
            assert got.text == canonical and got.problem in ("working_days", "from_event")
        return
    assert got is not None and got.date == dt.date.fromisoformat(date)
    assert got.text == canonical


def test_references_are_not_deadlines():
    text = ("theo Nghị định số 60/2021/NĐ-CP ngày 21 tháng 6 năm 2021 của Chính phủ và Kết luận số "
            "62-KL/TW ngày 02 tháng 10 năm 2023, Kế hoạch số 12/KH-UBND ngày 15/3/2024")
    assert find_deadlines(text, issued_on=ISSUED) == []


def test_impossible_date_is_flagged_not_guessed():
    (d,) = find_deadlines("hoàn thành trước ngày 31/4/2024", issued_on=ISSUED)
    assert d.date is None and d.problem == "impossible"
    (d,) = find_deadlines("trước ngày 30 tháng 2 năm 2024", issued_on=ISSUED)
    assert d.date is None and d.problem == "impossible"
    (d,) = find_deadlines("trong tháng 13/2024", issued_on=ISSUED)
    assert d.date is None and d.problem == "impossible"


def test_date_without_year_and_without_notice_date():
    (d,) = find_deadlines("trước ngày 30/6")
    assert d.date is None and d.problem == "no_year"


def test_yearless_date_before_the_notice_is_next_year():
    (d,) = find_deadlines("trước ngày 15/1", issued_on=dt.date(2024, 12, 20))
    assert d.date == dt.date(2025, 1, 15) and d.problem == "next_year"


def test_working_days_are_not_guessed():
    (d,) = find_deadlines("trong 10 ngày làm việc", issued_on=ISSUED)
    assert d.date is None and d.problem == "working_days"


def test_first_due_of_several_deadlines():
    """One deadline per task: where it names two dates, the first due (the clerks' convention of the
    real notices in tests/data/notices/real); the reader warns about the other."""
    found = find_deadlines("báo cáo sơ bộ trước ngày 15/4/2024, hoàn thành trước ngày 30/6/2024", issued_on=ISSUED)
    assert [d.date.isoformat() for d in found] == ["2024-04-15", "2024-06-30"]
    assert pick_deadline(found).date == dt.date(2024, 4, 15)
    found = find_deadlines("hoàn thành trước ngày 30/6/2024; báo cáo trước ngày 15/4/2024", issued_on=ISSUED)
    assert pick_deadline(found).date == dt.date(2024, 4, 15)


@pytest.mark.parametrize("text, canonical, period", [
    ("Thường xuyên theo dõi, đánh giá", "thường xuyên", "ongoing"),
    ("Thuong xuyén theo doi", "thường xuyên", "ongoing"),
    ("báo cáo hằng tháng", "hằng tháng", "monthly"),
    ("báo cáo hàng quý", "hằng quý", "quarterly"),
    ("định kỳ hằng tháng báo cáo trước ngày 25", "định kỳ hằng tháng, trước ngày 25", "monthly"),
    ("báo cáo định kỳ trước ngày 25", "định kỳ, trước ngày 25", "periodic"),
    ("báo cáo trước ngày 20 hàng tháng", "hằng tháng, trước ngày 20", "monthly"),
    ("dinh ky 6 thang mot lan bao cao", "định kỳ 6 tháng", "half_yearly"),
])
def test_recurring(text, canonical, period):
    (r,) = find_recurring(text)
    assert r.text == canonical and r.period == period


def test_recurring_day_is_not_a_deadline():
    assert find_deadlines("định kỳ hằng tháng báo cáo trước ngày 25", issued_on=ISSUED) == []


def test_half_year_is_not_recurring():
    assert find_recurring("hoàn thành trong 6 tháng đầu năm 2024") == []
