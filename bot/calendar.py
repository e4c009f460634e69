"""The working-day calendar of a Vietnamese provincial office.

Working days are Monday to Friday, minus the public holidays that the ``holidays``
package knows for Vietnam (lunar Tết included, and the government's swapped
bridge days), plus the make-up Saturdays the package knows, then the office's own
configuration wins: ``extra_days_off`` removes days, ``makeup_days`` adds days.

What the ``holidays`` package (0.109) gives for the Tết of the public sector:
2024: 8-14 Feb; 2025: 27 Jan-1 Feb (the official 25 Jan-2 Feb 2025 break is those
weekdays plus the two weekends around them, so every working day matches); 2026:
16-20 Feb. Where a province decides more (a local bridge day, a new government
swap the package does not know yet), the office lists it in ``extra_days_off`` /
``makeup_days``.

Deadlines follow the Civil Code 2015, art. 148(5): a time limit whose last day is
a non-working day ends at the end of the next working day
(:meth:`WorkingCalendar.effective_deadline`); the office can turn this off with
``shift_deadlines = false``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = ["CalendarError", "CalendarSettings", "WorkingCalendar"]

_WEEKEND = (5, 6)  # Saturday, Sunday
_MIN_YEAR, _MAX_YEAR = 1990, 2200


class CalendarError(ValueError):
    """A calendar setting or argument that cannot be used (one-line message)."""


def _as_date(value: object, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarError(f"[calendar] {what}: {value!r} is not a date (use YYYY-MM-DD)")


@dataclasses.dataclass
class CalendarSettings:
    timezone: str = "Asia/Ho_Chi_Minh"
    extra_days_off: list[dt.date] = dataclasses.field(default_factory=list)
    makeup_days: list[dt.date] = dataclasses.field(default_factory=list)
    shift_deadlines: bool = True

    def __post_init__(self) -> None:
        self.extra_days_off = [_as_date(d, "extra_days_off") for d in self.extra_days_off]
        self.makeup_days = [_as_date(d, "makeup_days") for d in self.makeup_days]
        both = sorted(set(self.extra_days_off) & set(self.makeup_days))
        if both:
            raise CalendarError(
                f"[calendar] {both[0].isoformat()} is both in extra_days_off and makeup_days"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise CalendarError(f"[calendar] unknown timezone {self.timezone!r}") from None


class WorkingCalendar:
    """Working days, holidays and deadline arithmetic; caches one table per year."""

    def __init__(self, settings: CalendarSettings | None = None) -> None:
        self.settings = settings or CalendarSettings()
        self.tz = ZoneInfo(self.settings.timezone)
        self._off = frozenset(self.settings.extra_days_off)
        self._makeup = frozenset(self.settings.makeup_days)
        # year -> (working flags by day of year (index 0 = 1 Jan), cumulative counts)
        self._years: dict[int, tuple[bytes, list[int]]] = {}
        self._names: dict[int, dict[dt.date, str]] = {}

    # ------------------------------------------------------------- time zone
    def local(self, now: dt.datetime) -> dt.datetime:
        """``now`` in the calendar's time zone (a naive value is taken as local)."""
        if now.tzinfo is None:
            return now.replace(tzinfo=self.tz)
        return now.astimezone(self.tz)

    def today(self, now: dt.datetime) -> dt.date:
        return self.local(now).date()

    # ------------------------------------------------------------- per year
    def _package(self, year: int) -> tuple[dict[dt.date, str], set[dt.date]]:
        table = holidays.country_holidays("VN", years=year)
        names = {d: n for d, n in table.items() if d.year == year}
        makeup = {d for d in getattr(table, "weekend_workdays", ()) if d.year == year}
        return names, makeup

    def _year(self, year: int) -> tuple[bytes, list[int]]:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise CalendarError(f"year {year} is outside the calendar ({_MIN_YEAR}-{_MAX_YEAR})")
        names, makeup = self._package(year)
        # Swaps across a year boundary (a Saturday in December worked for a day in
        # January) are listed with the next year's table.
        makeup |= {d for d in self._package(year + 1)[1] if d.year == year}
        self._names[year] = names
        start = dt.date(year, 1, 1)
        days = (dt.date(year + 1, 1, 1) - start).days
        flags = bytearray(days)
        cumulative = [0] * days
        count = 0
        for i in range(days):
            d = start + dt.timedelta(days=i)
            if d in self._makeup:
                working = True
            elif d in self._off:
                working = False
            elif d in names:
                working = False
            elif d in makeup:
                working = True
            else:
                working = d.weekday() not in _WEEKEND
            flags[i] = working
            count += working
            cumulative[i] = count
        result = (bytes(flags), cumulative)
        self._years[year] = result
        return result

    def _index(self, d: dt.date) -> int:
        return d.toordinal() - dt.date(d.year, 1, 1).toordinal()

    def _cumulative(self, d: dt.date) -> int:
        """Working days from 1 Jan of ``d.year`` up to and including ``d``."""
        return self._year(d.year)[1][self._index(d)]

    # ------------------------------------------------------------- queries
    def is_working_day(self, d: dt.date) -> bool:
        d = _as_date(d, "date")
        return bool(self._year(d.year)[0][self._index(d)])

    def holiday_name(self, d: dt.date) -> str | None:
        """The public holiday on ``d`` (package name), or "extra day off", or None."""
        self._year(d.year)
        if d in self._off:
            return "extra day off"
        return self._names[d.year].get(d)

    def next_working_day(self, d: dt.date) -> dt.date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: dt.date) -> dt.date:
        """The last working day strictly before ``d``."""
        return self.add_working_days(d, -1)

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """``n`` working days after ``d`` (before it if ``n`` < 0); ``d`` itself if 0.

        ``d`` need not be a working day: 1 working day after a Saturday is Monday.
        """
        d = _as_date(d, "date")
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        one = dt.timedelta(days=step)
        while remaining:
            d += one
            if self.is_working_day(d):
                remaining -= 1
        return d

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after ``a`` up to and including ``b``; negative if ``b`` < ``a``."""
        a = _as_date(a, "date")
        b = _as_date(b, "date")
        if b < a:
            return -self.working_days_between(b, a)
        total = self._cumulative(b) - self._cumulative(a)
        for year in range(a.year, b.year):
            total += self._year(year)[1][-1]
        return total

    def effective_deadline(self, d: dt.date) -> dt.date:
        """The day a time limit really ends (art. 148(5)): ``d`` or the next working day."""
        d = _as_date(d, "deadline")
        if not self.settings.shift_deadlines or self.is_working_day(d):
            return d
        return self.next_working_day(d)
