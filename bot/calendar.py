"""The working-day calendar of a Vietnamese provincial office.

Working days are Monday to Friday, minus the days off and plus the make-up Saturdays that the
Government decided for public servants. Those decisions ship with dondoc as data,
``bot/data/calendar/vn-public-servants.toml``: per year, each decision (Tết, 30/4-1/5, 2/9, a
swap of working days...) with its days off, bridge days and make-up days, and its source document
(number, date, issuer). They apply without any configuration, and for the years they cover the
calendar does not depend on the ``holidays`` package at all. Years not covered fall back to the
package (``holidays.country_holidays("VN")``: statutory holidays, lunar Tết, the swaps it knows):
an estimate until the Government decides; :meth:`WorkingCalendar.coverage_warning` says when the
coming year is missing (``check-config``, and the office group once in December).

The office's own configuration wins over both: ``extra_days_off`` removes days, ``makeup_days``
adds days (a province's own decisions); ``decided_years`` lists years whose official decisions
the office has entered there itself.

Deadlines follow the Civil Code 2015, art. 148(5): a time limit whose last day is a non-working
day ends at the end of the next working day (:meth:`WorkingCalendar.effective_deadline`); the
office can turn this off with ``shift_deadlines = false``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import tomllib
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "CalendarError",
    "CalendarSettings",
    "Decision",
    "Decisions",
    "WorkingCalendar",
    "load_decisions",
    "official_decisions",
]

_WEEKEND = (5, 6)  # Saturday, Sunday
_MIN_YEAR, _MAX_YEAR = 1990, 2200
DATA_FILE = "vn-public-servants.toml"


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


# ------------------------------------------------------------------ official decisions (data)


@dataclasses.dataclass(frozen=True)
class Decision:
    """One official decision about the working calendar of one year."""

    year: int
    occasion: str
    days_off: tuple[dt.date, ...]  # holidays, compensatory days (weekends inside a break included)
    bridge: tuple[dt.date, ...]  # working days swapped to be days off
    makeup: tuple[dt.date, ...]  # weekend days worked instead
    number: str
    date: dt.date
    issuer: str

    @property
    def source(self) -> str:
        """ "2450/VPCP-KGVX ngày 12/04/2024 (Văn phòng Chính phủ)" """
        return f"{self.number} ngày {self.date.strftime('%d/%m/%Y')} ({self.issuer})"


@dataclasses.dataclass(frozen=True)
class Decisions:
    years: frozenset[int]  # years whose official decisions are all in the data
    decisions: tuple[Decision, ...]

    @functools.cached_property
    def off(self) -> dict[dt.date, Decision]:
        return {d: dec for dec in self.decisions for d in (*dec.days_off, *dec.bridge)}

    @functools.cached_property
    def makeup(self) -> dict[dt.date, Decision]:
        return {d: dec for dec in self.decisions for d in dec.makeup}

    def covers(self, year: int) -> bool:
        return year in self.years


def _dates(value: object, where: str) -> list[dt.date]:
    if not isinstance(value, list):
        raise CalendarError(f"{where}: must be a list of dates")
    out: list[dt.date] = []
    for item in value:
        if isinstance(item, str) and ".." in item:
            start_s, end_s = item.split("..", 1)
            start, end = _as_date(start_s, where), _as_date(end_s, where)
            if end < start:
                raise CalendarError(f"{where}: range {item!r} ends before it starts")
            while start <= end:
                out.append(start)
                start += dt.timedelta(days=1)
        else:
            out.append(_as_date(item, where))
    return out


def parse_decisions(data: dict, name: str = DATA_FILE) -> Decisions:
    """Decisions from the TOML shape of ``vn-public-servants.toml`` (one-line CalendarError)."""
    years = data.get("years", [])
    if not isinstance(years, list) or not all(isinstance(y, int) and not isinstance(y, bool) for y in years):
        raise CalendarError(f"{name}: years must be a list of years")
    out: list[Decision] = []
    seen_off: dict[dt.date, str] = {}
    seen_makeup: dict[dt.date, str] = {}
    for i, raw in enumerate(data.get("decision", []), start=1):
        where = f"{name}: decision {i}"
        if not isinstance(raw, dict):
            raise CalendarError(f"{where}: must be a table")
        year = raw.get("year")
        if not isinstance(year, int) or not _MIN_YEAR <= year <= _MAX_YEAR:
            raise CalendarError(f"{where}: year {year!r} is not a year")
        occasion = raw.get("occasion")
        if not isinstance(occasion, str) or not occasion.strip():
            raise CalendarError(f"{where}: occasion missing")
        where = f"{name}: {year} {occasion}"
        source = raw.get("source")
        if not isinstance(source, dict) or not all(isinstance(source.get(k), str) and source.get(k).strip()
                                                   for k in ("number", "date", "issuer")):
            raise CalendarError(f"{where}: source needs number, date and issuer")
        days_off = _dates(raw.get("days_off", []), f"{where}: days_off")
        bridge = _dates(raw.get("bridge", []), f"{where}: bridge")
        makeup = _dates(raw.get("makeup", []), f"{where}: makeup")
        for d in bridge:
            if d.weekday() in _WEEKEND:
                raise CalendarError(f"{where}: bridge day {d.isoformat()} is not a weekday")
        for d in makeup:
            if d.weekday() not in _WEEKEND:
                raise CalendarError(f"{where}: make-up day {d.isoformat()} is not a weekend day")
        for d in (*days_off, *bridge):
            if d in seen_makeup:
                raise CalendarError(f"{where}: {d.isoformat()} is also a make-up day ({seen_makeup[d]})")
            seen_off[d] = occasion
        for d in makeup:
            if d in seen_off:
                raise CalendarError(f"{where}: {d.isoformat()} is also a day off ({seen_off[d]})")
            seen_makeup[d] = occasion
        out.append(Decision(year=year, occasion=occasion.strip(), days_off=tuple(days_off), bridge=tuple(bridge),
                            makeup=tuple(makeup), number=source["number"].strip(),
                            date=_as_date(source["date"], f"{where}: source date"),
                            issuer=source["issuer"].strip()))
    for y in years:
        if not any(dec.year == y for dec in out):
            raise CalendarError(f"{name}: year {y} is listed as covered but has no decision")
    return Decisions(years=frozenset(years), decisions=tuple(out))


def load_decisions(path) -> Decisions:
    """Decisions from a TOML file of the shipped shape."""
    from pathlib import Path

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalendarError(f"cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CalendarError(f"{path} is not valid TOML: {exc}") from None
    return parse_decisions(data, path.name)


@functools.lru_cache(maxsize=1)
def official_decisions() -> Decisions:
    """The Government's decisions shipped with dondoc (read once)."""
    text = resources.files("bot.data").joinpath("calendar", DATA_FILE).read_text(encoding="utf-8")
    return parse_decisions(tomllib.loads(text))


# ------------------------------------------------------------------ settings and calendar


@dataclasses.dataclass
class CalendarSettings:
    timezone: str = "Asia/Ho_Chi_Minh"
    extra_days_off: list[dt.date] = dataclasses.field(default_factory=list)
    makeup_days: list[dt.date] = dataclasses.field(default_factory=list)
    shift_deadlines: bool = True
    # years whose official decisions the office entered itself in extra_days_off / makeup_days
    decided_years: list[int] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        self.extra_days_off = [_as_date(d, "extra_days_off") for d in self.extra_days_off]
        self.makeup_days = [_as_date(d, "makeup_days") for d in self.makeup_days]
        both = sorted(set(self.extra_days_off) & set(self.makeup_days))
        if both:
            raise CalendarError(
                f"[calendar] {both[0].isoformat()} is both in extra_days_off and makeup_days"
            )
        for y in self.decided_years:
            if not isinstance(y, int) or isinstance(y, bool) or not _MIN_YEAR <= y <= _MAX_YEAR:
                raise CalendarError(f"[calendar] decided_years: {y!r} is not a year")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise CalendarError(f"[calendar] unknown timezone {self.timezone!r}") from None


class WorkingCalendar:
    """Working days, holidays and deadline arithmetic; caches one table per year."""

    def __init__(self, settings: CalendarSettings | None = None, decisions: Decisions | None = None) -> None:
        self.settings = settings or CalendarSettings()
        self.tz = ZoneInfo(self.settings.timezone)
        self.decisions = decisions if decisions is not None else official_decisions()
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

    # ------------------------------------------------------------- coverage
    def covered_years(self) -> list[int]:
        """Years whose official decisions are known (shipped data, or the office's decided_years)."""
        return sorted(set(self.decisions.years) | set(self.settings.decided_years))

    def is_decided(self, year: int) -> bool:
        return year in self.decisions.years or year in self.settings.decided_years

    def coverage_warning(self, today: dt.date) -> int | None:
        """The year whose official decisions are missing and matter now, or None.

        The current year, always; the coming year from 1 December on (the Government usually
        decides Tết and 2/9 in October-November, the New Year swap late in December).
        """
        if not self.is_decided(today.year):
            return today.year
        if today.month == 12 and not self.is_decided(today.year + 1):
            return today.year + 1
        return None

    # ------------------------------------------------------------- per year
    def _package(self, year: int) -> tuple[dict[dt.date, str], set[dt.date]]:
        table = holidays.country_holidays("VN", years=year)
        names = {d: n for d, n in table.items() if d.year == year}
        makeup = {d for d in getattr(table, "weekend_workdays", ()) if d.year == year}
        return names, makeup

    def _official(self, year: int) -> tuple[dict[dt.date, str], set[dt.date]]:
        """Days off (with their occasion) and make-up days of ``year``: the shipped decisions
        for a covered year, else the ``holidays`` package's estimate."""
        if year in self.decisions.years:
            names = {d: dec.occasion for d, dec in self.decisions.off.items() if d.year == year}
            makeup = {d for d in self.decisions.makeup if d.year == year}
            return names, makeup
        names, makeup = self._package(year)
        # Swaps across a year boundary (a Saturday in December worked for a day in
        # January) are listed with the next year's table.
        if year + 1 not in self.decisions.years:
            makeup |= {d for d in self._package(year + 1)[1] if d.year == year}
        # Shipped decisions of a neighbouring year may reach into this one.
        names.update({d: dec.occasion for d, dec in self.decisions.off.items() if d.year == year})
        makeup |= {d for d in self.decisions.makeup if d.year == year}
        return names, makeup

    def _year(self, year: int) -> tuple[bytes, list[int]]:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise CalendarError(f"year {year} is outside the calendar ({_MIN_YEAR}-{_MAX_YEAR})")
        names, makeup = self._official(year)
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
            elif d in makeup:
                working = True
            elif d in names:
                working = False
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
        """The day off on ``d``: the decision's occasion ("Tết Âm lịch"), the ``holidays`` package's
        name for a year the data does not cover, "extra day off", or None."""
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
