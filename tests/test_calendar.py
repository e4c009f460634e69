"""Working calendar: VN holidays (Tết 2025, 30/4-1/5, 2/9), office days, art. 148 shift."""

import datetime as dt

import pytest

from bot.calendar import CalendarError, CalendarSettings, WorkingCalendar

D = dt.date


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


def test_tet_2025_official_break_has_no_working_day(cal):
    # Government break for the public sector: Sat 25 Jan - Sun 2 Feb 2025.
    day = D(2025, 1, 25)
    while day <= D(2025, 2, 2):
        assert not cal.is_working_day(day), day
        day += dt.timedelta(days=1)
    assert cal.is_working_day(D(2025, 1, 24))  # Friday before
    assert cal.is_working_day(D(2025, 2, 3))  # Monday after
    assert cal.next_working_day(D(2025, 1, 24)) == D(2025, 2, 3)
    assert cal.previous_working_day(D(2025, 2, 3)) == D(2025, 1, 24)
    assert cal.working_days_between(D(2025, 1, 24), D(2025, 2, 3)) == 1


def test_reunification_and_labour_day_2025_with_swap(cal):
    # 30/4 (Wed), 1/5 (Thu), 2/5 (Fri, swapped for Saturday 26/4/2025).
    for day in (D(2025, 4, 30), D(2025, 5, 1), D(2025, 5, 2)):
        assert not cal.is_working_day(day)
    assert cal.is_working_day(D(2025, 4, 26))  # make-up Saturday known to the package
    assert cal.is_working_day(D(2025, 4, 29))
    assert cal.next_working_day(D(2025, 4, 29)) == D(2025, 5, 5)


def test_national_day(cal):
    assert not cal.is_working_day(D(2024, 9, 2))
    assert not cal.is_working_day(D(2024, 9, 3))
    assert not cal.is_working_day(D(2025, 9, 1))
    assert not cal.is_working_day(D(2025, 9, 2))
    assert cal.is_working_day(D(2025, 9, 3))
    assert not cal.is_working_day(D(2026, 9, 2))
    assert cal.holiday_name(D(2025, 9, 2))


def test_tet_2024_and_2026(cal):
    assert all(not cal.is_working_day(D(2024, 2, d)) for d in range(8, 15))
    assert cal.is_working_day(D(2024, 2, 15))
    assert all(not cal.is_working_day(D(2026, 2, d)) for d in range(16, 21))
    assert cal.is_working_day(D(2026, 2, 23))


def test_weekends_and_plain_days(cal):
    assert cal.is_working_day(D(2024, 3, 29))  # Friday
    assert not cal.is_working_day(D(2024, 3, 30))
    assert not cal.is_working_day(D(2024, 3, 31))


def test_sample_deadline_sunday_shifts_to_monday(cal):
    assert cal.effective_deadline(D(2024, 3, 31)) == D(2024, 4, 1)
    assert cal.effective_deadline(D(2024, 3, 29)) == D(2024, 3, 29)
    # deadline in the Tết break ends on the first working day after it
    assert cal.effective_deadline(D(2025, 1, 29)) == D(2025, 2, 3)


def test_shift_can_be_switched_off():
    cal = WorkingCalendar(CalendarSettings(shift_deadlines=False))
    assert cal.effective_deadline(D(2024, 3, 31)) == D(2024, 3, 31)


def test_office_makeup_saturday_and_extra_day_off():
    base = WorkingCalendar()
    assert not base.is_working_day(D(2024, 3, 16))
    cal = WorkingCalendar(
        CalendarSettings(makeup_days=[D(2024, 3, 16)], extra_days_off=["2024-03-18"])
    )
    assert cal.is_working_day(D(2024, 3, 16))
    assert not cal.is_working_day(D(2024, 3, 18))
    assert cal.next_working_day(D(2024, 3, 15)) == D(2024, 3, 16)
    assert cal.next_working_day(D(2024, 3, 16)) == D(2024, 3, 19)
    assert cal.working_days_between(D(2024, 3, 15), D(2024, 3, 19)) == 2
    assert cal.effective_deadline(D(2024, 3, 18)) == D(2024, 3, 19)
    assert cal.holiday_name(D(2024, 3, 18)) == "extra day off"


def test_office_can_extend_a_break_the_package_does_not_know():
    # e.g. a province giving 3/2/2025 off too: configured, not hard-coded
    cal = WorkingCalendar(CalendarSettings(extra_days_off=[D(2025, 2, 3)]))
    assert cal.next_working_day(D(2025, 1, 24)) == D(2025, 2, 4)


def test_office_can_cancel_a_package_makeup_day():
    cal = WorkingCalendar(CalendarSettings(extra_days_off=[D(2025, 4, 26)]))
    assert not cal.is_working_day(D(2025, 4, 26))


def test_add_working_days(cal):
    assert cal.add_working_days(D(2024, 3, 29), 1) == D(2024, 4, 1)
    assert cal.add_working_days(D(2024, 4, 1), -1) == D(2024, 3, 29)
    assert cal.add_working_days(D(2024, 3, 30), 0) == D(2024, 3, 30)
    assert cal.add_working_days(D(2024, 3, 30), 1) == D(2024, 4, 1)
    assert cal.add_working_days(D(2025, 1, 22), 3) == D(2025, 2, 3)
    assert cal.add_working_days(D(2025, 2, 4), -3) == D(2025, 1, 23)


def test_working_days_between(cal):
    assert cal.working_days_between(D(2024, 3, 25), D(2024, 3, 29)) == 4
    assert cal.working_days_between(D(2024, 3, 29), D(2024, 3, 25)) == -4
    assert cal.working_days_between(D(2024, 3, 29), D(2024, 3, 29)) == 0
    # across a year boundary, agrees with stepping
    a, b = D(2024, 12, 20), D(2025, 2, 10)
    n = cal.working_days_between(a, b)
    assert cal.add_working_days(a, n) == b
    assert n == sum(
        cal.is_working_day(a + dt.timedelta(days=i)) for i in range(1, (b - a).days + 1)
    )


def test_bad_settings_are_one_line_errors():
    with pytest.raises(CalendarError, match="timezone"):
        CalendarSettings(timezone="Mars/Olympus")
    with pytest.raises(CalendarError, match="not a date"):
        CalendarSettings(extra_days_off=["31/3/2024"])
    with pytest.raises(CalendarError, match="both"):
        CalendarSettings(extra_days_off=[D(2024, 1, 6)], makeup_days=[D(2024, 1, 6)])


def test_local_date_uses_timezone(cal):
    utc = dt.datetime(2024, 3, 31, 18, 30, tzinfo=dt.timezone.utc)  # 01:30 on 1/4 in Hà Nội
    assert cal.today(utc) == D(2024, 4, 1)
