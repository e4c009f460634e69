"""The calendar as shipped against the Government's published schedules for public servants, 2024-2026.

The table below is written by hand from the documents (not derived from the shipped data): every
weekday that was a day off and every weekend day that was worked. The calendar must agree on every
day of the three years, with no configuration, and whatever the ``holidays`` package says.
"""

import datetime as dt

import pytest

import bot.calendar as calendar_mod
from bot.calendar import (CalendarError, CalendarSettings, WorkingCalendar, official_decisions,
                          parse_decisions)

D = dt.date

# Weekdays off (public holidays, Tết, compensatory and swapped days) and weekend days worked.
OFFICIAL_WEEKDAYS_OFF = {
    2024: [
        D(2024, 1, 1),  # Tết Dương lịch (Mon)
        # Tết Âm lịch 8-14/2/2024: Thông báo 5015/TB-LĐTBXH ngày 22/11/2023
        D(2024, 2, 8), D(2024, 2, 9), D(2024, 2, 12), D(2024, 2, 13), D(2024, 2, 14),
        D(2024, 4, 18),  # Giỗ Tổ Hùng Vương (Thu)
        D(2024, 4, 29),  # swapped for Sat 4/5: 2450/VPCP-KGVX ngày 12/4/2024
        D(2024, 4, 30), D(2024, 5, 1),
        D(2024, 9, 2), D(2024, 9, 3),  # Quốc khánh 31/8-3/9/2024
    ],
    2025: [
        D(2025, 1, 1),
        # Tết Âm lịch 25/1-2/2/2025: 8726/VPCP-KGVX ngày 26/11/2024
        D(2025, 1, 27), D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31),
        D(2025, 4, 7),  # Giỗ Tổ Hùng Vương (Mon)
        D(2025, 4, 30), D(2025, 5, 1),
        D(2025, 5, 2),  # swapped for Sat 26/4/2025
        D(2025, 9, 1), D(2025, 9, 2),  # Quốc khánh 30/8-2/9/2025
    ],
    2026: [
        D(2026, 1, 1),
        D(2026, 1, 2),  # swapped for Sat 10/1/2026: 12729/VPCP-KGVX ngày 25/12/2025
        # Tết Âm lịch 14-22/2/2026: Thông báo 9441/TB-BNV ngày 16/10/2025
        D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20),
        D(2026, 4, 27),  # Giỗ Tổ Hùng Vương on Sunday 26/4: compensatory Monday
        D(2026, 4, 30), D(2026, 5, 1),
        D(2026, 8, 31),  # swapped for Sat 22/8/2026 (9441/TB-BNV)
        D(2026, 9, 1), D(2026, 9, 2),
        D(2026, 11, 24),  # Ngày Văn hóa Việt Nam (Tue)
    ],
}
OFFICIAL_WEEKENDS_WORKED = {
    2024: [D(2024, 5, 4)],
    2025: [D(2025, 4, 26)],
    2026: [D(2026, 1, 10), D(2026, 8, 22)],
}


def official_is_working(d: dt.date) -> bool:
    if d in OFFICIAL_WEEKENDS_WORKED[d.year]:
        return True
    if d in OFFICIAL_WEEKDAYS_OFF[d.year]:
        return False
    return d.weekday() < 5


def disagreements(cal: WorkingCalendar) -> list[str]:
    out = []
    d = D(2024, 1, 1)
    while d <= D(2026, 12, 31):
        if cal.is_working_day(d) != official_is_working(d):
            out.append(f"{d:%a %d/%m/%Y}: calendar says {'working' if cal.is_working_day(d) else 'day off'}")
        d += dt.timedelta(days=1)
    return out


def test_table_is_sane():
    for year, days in OFFICIAL_WEEKDAYS_OFF.items():
        assert all(d.year == year and d.weekday() < 5 for d in days), year
    for year, days in OFFICIAL_WEEKENDS_WORKED.items():
        assert all(d.year == year and d.weekday() >= 5 for d in days), year


def test_shipped_calendar_agrees_day_by_day_2024_2026():
    assert disagreements(WorkingCalendar()) == []


def test_agrees_without_the_holidays_package(monkeypatch):
    """The covered years never consult the package: an old or broken one changes nothing."""

    class Empty(dict):
        weekend_workdays = ()

    calls = []

    def fake(country, years):
        calls.append(years)
        return Empty()

    monkeypatch.setattr(calendar_mod.holidays, "country_holidays", fake)
    cal = WorkingCalendar()
    assert disagreements(cal) == []
    assert calls == []
    # A year not covered does use the package (here: nothing but weekends).
    assert cal.is_working_day(D(2027, 9, 2))
    assert calls


def test_the_three_days_the_issue_names():
    cal = WorkingCalendar()
    assert not cal.is_working_day(D(2026, 1, 2))
    assert cal.is_working_day(D(2026, 1, 10))
    assert not cal.is_working_day(D(2025, 5, 2)) and cal.is_working_day(D(2025, 4, 26))
    assert not cal.is_working_day(D(2026, 8, 31)) and cal.is_working_day(D(2026, 8, 22))
    assert cal.holiday_name(D(2026, 1, 2)) == "Tết Dương lịch"
    # A deadline on the swapped Friday ends on Monday 5/1/2026 (art. 148).
    assert cal.effective_deadline(D(2026, 1, 2)) == D(2026, 1, 5)
    assert cal.working_days_between(D(2025, 12, 31), D(2026, 1, 5)) == 1


def test_every_decision_names_its_source():
    data = official_decisions()
    assert data.years == {2024, 2025, 2026}
    for dec in data.decisions:
        assert dec.number and dec.issuer and dec.date.year >= 2019, dec
        assert dec.days_off or dec.bridge or dec.makeup
    swap = next(d for d in data.decisions if D(2026, 1, 2) in d.bridge)
    assert swap.number == "12729/VPCP-KGVX" and swap.date == D(2025, 12, 25)
    assert "Văn phòng Chính phủ" in swap.source and "25/12/2025" in swap.source


def test_province_days_still_win():
    cal = WorkingCalendar(CalendarSettings(extra_days_off=[D(2026, 3, 6)], makeup_days=[D(2026, 1, 2)]))
    assert not cal.is_working_day(D(2026, 3, 6))
    assert cal.is_working_day(D(2026, 1, 2))


def test_coverage_warning():
    cal = WorkingCalendar()
    assert cal.covered_years() == [2024, 2025, 2026]
    assert cal.coverage_warning(D(2026, 11, 30)) is None
    assert cal.coverage_warning(D(2026, 12, 1)) == 2027
    assert cal.coverage_warning(D(2027, 3, 1)) == 2027
    assert cal.coverage_warning(D(2025, 12, 15)) is None
    office = WorkingCalendar(CalendarSettings(decided_years=[2027]))
    assert office.coverage_warning(D(2026, 12, 1)) is None
    assert office.covered_years() == [2024, 2025, 2026, 2027]


@pytest.mark.parametrize("bad, message", [
    ({"years": [2030], "decision": []}, "no decision"),
    ({"decision": [{"year": 2030, "occasion": "X", "bridge": ["2030-01-05"],
                    "source": {"number": "1", "date": "2029-01-01", "issuer": "VPCP"}}]}, "not a weekday"),
    ({"decision": [{"year": 2030, "occasion": "X", "makeup": ["2030-01-07"],
                    "source": {"number": "1", "date": "2029-01-01", "issuer": "VPCP"}}]}, "not a weekend"),
    ({"decision": [{"year": 2030, "occasion": "X", "days_off": ["2030-01-07"]}]}, "source"),
    ({"decision": [{"year": 2030, "occasion": "X", "days_off": ["2030-02-30"],
                    "source": {"number": "1", "date": "2029-01-01", "issuer": "VPCP"}}]}, "not a date"),
])
def test_bad_data_is_one_line(bad, message):
    with pytest.raises(CalendarError) as exc:
        parse_decisions(bad, "x.toml")
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_check_config_names_the_covered_years_and_warns_in_december(capsys, monkeypatch):
    from pathlib import Path

    from bot.cli import main

    config = str(Path(__file__).resolve().parent.parent / "config.example.toml")
    monkeypatch.setenv("DONDOC_TOKEN", "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678")
    monkeypatch.setattr(WorkingCalendar, "today", lambda self, now: D(2026, 6, 1))
    assert main(["check-config", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "calendar: official days off of 2024, 2025, 2026" in out and "warning" not in out
    monkeypatch.setattr(WorkingCalendar, "today", lambda self, now: D(2026, 12, 2))
    assert main(["check-config", "--config", config]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if ": calendar:" in line]
    assert len(lines) == 1 and "warning" in lines[0] and "2027" in lines[0]
