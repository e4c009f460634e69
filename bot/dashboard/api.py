"""The dashboard's JSON views, built from the store with the domain functions of /status and the digest.

Pure of HTTP and Telegram: each view takes the store, the directory, the calendar, ``now`` and the
:class:`Viewer` (who asks and what they may see) and returns a JSON-ready dict. Categories, overdue
days, completion rates and "this week" come from :mod:`bot.tracking` and :func:`bot.digest.build_data`
exactly as /status and the weekly digest count them; nothing is re-derived here.

Scope: leaders and admins see every published notice; an agency contact (a registered member of an
agency's group) sees the assignments of their own agency (lead and coordinating) and nothing else.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from bot import cards
from bot.calendar import WorkingCalendar
from bot.digest.model import _notice_key, _ref_key  # the digest's order of rows, shared
from bot.models import Assignment, Category, Notice, Progress, Role
from bot.texts import Raw, t
from bot.tracking import (
    CATEGORY_ORDER,
    Summary,
    category,
    category_label,
    days_overdue,
    effective_deadline,
    is_waiting_confirmation,
    progress_label,
    role_label,
    summarize,
    summarize_by_agency,
)

__all__ = ["Cache", "Forbidden", "NotFoundError", "Viewer", "overview", "page_texts", "task_history", "tasks", "viewer_for",
           "warm"]

TEXT_SHORT = 240  # characters of a task's text in lists (the history shows it whole)
OVERDUE_LIMIT = 100  # overdue rows with their latest report in the overview (all are in the task list)
TASKS_LIMIT = 300  # rows of a task list in one answer (a phone shows no more; filters narrow it)


class Forbidden(Exception):
    """The viewer may not see this (HTTP 403)."""


class NotFoundError(Exception):
    """No such notice, agency or task in the viewer's scope (HTTP 404)."""


@dataclasses.dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    role: str  # admin | leader | agency
    agencies: tuple[str, ...] | None  # None: everything; else these agencies only

    def may_see_agency(self, agency_id: str) -> bool:
        return self.agencies is None or agency_id in self.agencies


def viewer_for(user_id: int, name: str, config: Any, store: Any) -> Viewer | None:
    """Leaders and admins see everything, agency contacts their own agencies, anybody else nothing."""
    if config.is_admin(user_id):
        return Viewer(user_id, name, "admin", None)
    if config.is_leader(user_id):
        return Viewer(user_id, name, "leader", None)
    own = tuple(store.registry.agency_of_user(user_id))
    if own:
        return Viewer(user_id, name, "agency", own)
    return None


# ------------------------------------------------------------------ what changed




def notice_versions(store: Any) -> dict[str, Hashable]:
    """Every notice's id → its change stamp (:meth:`storage.notices.NoticesRepo.versions`), which moves
    with every write touching the notice. Read BEFORE the notice's data: a write in between only makes
    the next request read it again."""
    return store.notices.versions()


# ------------------------------------------------------------------ kept state: per notice, per day


_MIN_AT = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


_CAT_INDEX = {c: i for i, c in enumerate(CATEGORY_ORDER)}


class _Agg:
    """Counts by official category and the standing duties of some assignments: added to and taken
    from (a notice's share leaves the province's totals when the notice changes)."""

    __slots__ = ("counts", "standing", "tasks")

    def __init__(self) -> None:
        self.counts = [0] * len(CATEGORY_ORDER)
        self.standing = 0
        self.tasks: dict[str, int] = {}  # standing duties: task id → assignments

    def add_fact(self, f: "_Fact") -> None:
        if f.standing:
            self.standing += 1
            self.tasks[f.a.task_id] = self.tasks.get(f.a.task_id, 0) + 1
        else:
            self.counts[_CAT_INDEX[f.cat]] += 1

    def merge(self, other: "_Agg", sign: int = 1) -> None:
        mine, theirs = self.counts, other.counts
        for i in range(len(mine)):
            mine[i] += sign * theirs[i]
        self.standing += sign * other.standing
        for tid, n in other.tasks.items():
            left = self.tasks.get(tid, 0) + sign * n
            if left:
                self.tasks[tid] = left
            else:
                self.tasks.pop(tid, None)

    def empty(self) -> bool:
        return not self.standing and not any(self.counts)

    def summary(self) -> Summary:
        """The same :class:`Summary` :func:`bot.tracking.summarize` gives for these assignments."""
        counts = {c: self.counts[i] for i, c in enumerate(CATEGORY_ORDER)}
        done = counts[Category.DONE_ON_TIME] + counts[Category.DONE_LATE]
        due = done + counts[Category.OPEN_OVERDUE]
        return Summary(counts=counts, total=sum(counts.values()), due=due, done=done,
                       completion_rate=(done / due) if due else None,
                       standing=self.standing, standing_tasks=len(self.tasks))


class _Totals:
    """The province's aggregates on one day (per agency, all roles; lead assignments of all), kept as
    the sum of every published notice's share: a changed notice's old share is taken out, its new one
    added, the other notices' untouched."""

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.days: dict[str, "_Day"] = {}
        self.agg: dict[str, _Agg] = {}
        self.lead = _Agg()

    def sync(self, states: list["_NoticeState"], days: list["_Day"]) -> None:
        current = {s.notice.id: d for s, d in zip(states, days)}
        for nid, day in list(self.days.items()):
            if current.get(nid) is not day:
                self._add(day, -1)
                del self.days[nid]
        for nid, day in current.items():
            if nid not in self.days:
                self._add(day, 1)
                self.days[nid] = day

    def _add(self, day: "_Day", sign: int) -> None:
        self.lead.merge(day.lead, sign)
        for aid, agg in day.agg.items():
            mine = self.agg.get(aid)
            if mine is None:
                mine = self.agg[aid] = _Agg()
            mine.merge(agg, sign)
            if mine.empty():
                del self.agg[aid]


class _Fact:
    """One live assignment on one day: what every view asks of it, computed once."""

    __slots__ = ("a", "state", "code", "cat", "days", "deadline", "standing", "waiting", "lead", "order", "row")

    def __init__(self, a: Assignment, state: "_NoticeState", code: str, cat: Category, days: int,
                 deadline: dt.date | None, order: tuple):
        self.a, self.state, self.code, self.cat, self.days, self.deadline = a, state, code, cat, days, deadline
        self.order = order  # the digest's order: notice number, item, lead first, agency name
        self.standing = _standing(a)
        self.waiting = is_waiting_confirmation(a)
        self.lead = a.role == Role.LEAD
        self.row: dict[str, Any] | None = None  # its JSON row, made when first shown


class _Day:
    """A notice's assignments on one day (categories and overdue days depend on the day), with its
    aggregates per agency: all roles (the agency table, an agency's view) and lead only (the province)."""

    def __init__(self, state: "_NoticeState", today: dt.date, cal: Any, directory: Any):
        self.today = today
        self.facts: dict[str, _Fact] = {}
        self.by_agency: dict[str, list[_Fact]] = {}
        self.agg: dict[str, _Agg] = {}  # agency → all roles
        self.lead = _Agg()  # lead assignments of every agency
        self.overdue: list[_Fact] = []  # open, overdue, not waiting for a confirmation (any role)
        self.completed: list[_Fact] = []  # confirmed (when is filtered by the view)
        self.extended: list[_Fact] = []  # with an approved extension (when is filtered by the view)
        number_key = _notice_key((state.notice.number or ""))
        for a in state.live:
            task = state.tasks.get(a.task_id)
            agency_name = _agency_name(directory, a.agency_id)
            order = (number_key, _ref_key(task.ref if task else ""), a.role != Role.LEAD, agency_name)
            f = _Fact(a, state, task.code if task else a.task_id, category(a, today, cal),
                      days_overdue(a, today, cal), effective_deadline(a, cal), order)
            self.facts[a.id] = f
            self.by_agency.setdefault(a.agency_id, []).append(f)
            agg = self.agg.get(a.agency_id)
            if agg is None:
                agg = self.agg[a.agency_id] = _Agg()
            agg.add_fact(f)
            if f.lead:
                self.lead.add_fact(f)
            if f.cat == Category.OPEN_OVERDUE and not f.waiting:
                self.overdue.append(f)
            if a.completed_at is not None:
                self.completed.append(f)
            if any(e.decision == "approved" and e.decided_at is not None for e in a.extensions):
                self.extended.append(f)
        self._times_of: Any = None
        self.times: list[dt.datetime] = []  # the notice's report times (live assignments), sorted
        self.times_by_agency: dict[str, list[dt.datetime]] = {}

    def report_times(self, state: "_NoticeState") -> None:
        """Sort the notice's report times of live assignments, overall and per agency (once per read)."""
        if self._times_of is state.report_times:
            return
        by_agency: dict[str, list[dt.datetime]] = {}
        times = []
        for at, aid in state.report_times:
            f = self.facts.get(aid)
            if f is not None:
                times.append(at)
                by_agency.setdefault(f.a.agency_id, []).append(at)
        times.sort()
        for values in by_agency.values():
            values.sort()
        self.times, self.times_by_agency, self._times_of = times, by_agency, state.report_times

    def count_reports(self, since: dt.datetime, until: dt.datetime, wanted: tuple[str, ...] | None) -> int:
        """Reports of live assignments (of ``wanted`` agencies) with since < at <= until."""
        lists = [self.times] if wanted is None else [self.times_by_agency.get(a, []) for a in wanted]
        return sum(bisect.bisect_right(x, until) - bisect.bisect_right(x, since) for x in lists)


class _NoticeState:
    """One published notice as decoded at one version: its tasks, live assignments, this week's report
    times, the latest reports shown, and its :class:`_Day`."""

    def __init__(self, store: Any, notice: Notice, version: Hashable):
        self.version = version
        self.notice = notice
        self.sort_key = (notice.created_at or _MIN_AT, notice.id)
        self.tasks = {tk.id: tk for tk in store.notices.tasks(notice.id)}
        self.live = [a for a in store.notices.assignments(notice_id=notice.id) if not a.closed]
        self.reports_from: dt.datetime | None = None
        self.report_times: list[tuple[dt.datetime, str]] = []  # (at, assignment id), reports at >= reports_from
        self.latest: dict[str, Any] = {}  # assignment id → its latest report (None: none), as read
        self.latest_json: dict[str, dict[str, Any]] = {}
        self.day: _Day | None = None
        self.day_key: tuple | None = None

    def day_of(self, today: dt.date, cal: Any, directory: Any, directory_key: tuple) -> _Day:
        key = (today, directory_key, id(cal))
        if self.day is None or self.day_key != key:
            self.day, self.day_key = _Day(self, today, cal, directory), key
        return self.day


def _directory_key(directory: Any) -> tuple:
    """Agency names come from the directory, which gains outside parties as notices name them."""
    return (id(directory), len(directory.outside_parties()) if hasattr(directory, "outside_parties") else 0)


class Cache:
    """The dashboard's state, kept between requests and brought up to date incrementally: a notice is
    read again only when its version moved (a report, a confirmation, an extension, a new notice), its
    day's categories and aggregates only when the day changed; a view (one scope, filter and minute) is
    built from the per-notice aggregates and kept until anything it rests on changes."""

    VIEWS = 64
    REPORT_MARGIN = dt.timedelta(days=1)  # report times read a day before the week asked for
    FEW = 4  # notices whose report times are read one by one (more: one pass over the store's index)

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._store: Any = None
        self._notices: dict[str, _NoticeState | None] = {}  # None: not published (at its version)
        self._versions: dict[str, Hashable] = {}
        self._none_versions: dict[str, Hashable] = {}
        self._calendars: dict[int, _Calendar] = {}
        self._views: dict[tuple, dict[str, Any]] = {}
        self._totals: _Totals | None = None
        self.generation = 0  # moves whenever any notice was read again
        self.reads = 0  # notices read from the store since this cache was made (tests, bench)

    def calendar(self, cal: WorkingCalendar) -> "_Calendar":
        if isinstance(cal, _Calendar):
            return cal
        found = self._calendars.get(id(cal))
        if found is None or found._cal is not cal:
            found = self._calendars[id(cal)] = _Calendar(cal)
        return found

    def refresh(self, store: Any) -> list[_NoticeState]:
        """The published notices, in the store's order (oldest first), each up to date."""
        with self.lock:
            if self._store is not store:
                self._store, self._notices, self._views = store, {}, {}
            versions = notice_versions(store)  # before reading anything
            changed = False
            for nid in [n for n in self._notices if n not in versions]:
                del self._notices[nid]
                changed = True
            for nid, version in versions.items():
                state = self._notices.get(nid, False)
                if state is not False and self._versions.get(nid) == version:
                    continue
                notice = store.notices.notice(nid)
                self.reads += 1
                changed = True
                self._versions[nid] = version
                if notice is None or notice.state != "published":
                    self._notices[nid] = None
                else:
                    self._notices[nid] = _NoticeState(store, notice, version)
            if changed:
                self.generation += 1
                self._views = {}
            return sorted((s for s in self._notices.values() if s is not None), key=lambda s: s.sort_key)

    def view(self, key: tuple, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            found = self._views.get(key)
            if found is None:
                found = build()
                if len(self._views) >= self.VIEWS:
                    self._views.pop(next(iter(self._views)))
                self._views[key] = found
            return found

    def totals(self, sc: "_Scope", key: tuple) -> _Totals:
        """The province's kept aggregates, brought up to date with ``sc`` (every published notice)."""
        if self._totals is None or self._totals.key != key:
            self._totals = _Totals(key)
        self._totals.sync(sc.states, sc.days)
        return self._totals

    def week_times(self, states: list[_NoticeState], week_start: dt.datetime) -> None:
        """Each notice's report times from before ``week_start`` on (read once per version)."""
        since = week_start - self.REPORT_MARGIN
        stale = [s for s in states if s.reports_from is None or s.reports_from > week_start]
        if not stale:
            return
        if len(stale) <= self.FEW:  # a notice or two changed: their own reports of the week
            for s in stale:
                times = []
                for a in s.live:
                    times.extend((r.at, a.id) for r in self._store.notices.reports(assignment_id=a.id, since=since))
                s.report_times, s.reports_from = times, since
            return
        # Many (the first request): who reported when, from the store's index (nothing decoded), at once;
        # it walks the index of every report, which costs more than reading a notice or two.
        by_notice: dict[str, list[tuple[dt.datetime, str]]] = {s.notice.id: [] for s in stale}
        for head in self._store.notices.report_heads(since=since, notice_ids=list(by_notice)):
            by_notice[head.notice_id].append((head.at, head.assignment_id))
        for s in stale:
            s.report_times, s.reports_from = by_notice[s.notice.id], since

    def latest(self, state: _NoticeState, aids: list[str], now: dt.datetime) -> dict[str, Any]:
        """The latest report (``at <= now``) of each assignment, read once per version."""
        missing = [a for a in aids if a not in state.latest]
        if missing:
            found = self._store.notices.last_reports(missing)
            for a in missing:
                state.latest[a] = found.get(a)
        out: dict[str, Any] = {}
        late = []
        for a in aids:
            r = state.latest[a]
            if r is None:
                continue
            if r.at > now:  # the clock behind the newest report (rare): ask the store
                late.append(a)
            else:
                out[a] = r
        if late:
            out.update(self._store.notices.last_reports(late, until=now))
        return out


@dataclasses.dataclass
class _Scope:
    """The notices and agencies one request is about, on one day."""

    states: list[_NoticeState]
    days: list[_Day]
    wanted: tuple[str, ...] | None  # None: every agency

    def facts(self) -> Iterator[_Fact]:
        """Every live assignment in scope, in the store's order (notice by notice)."""
        for day in self.days:
            if self.wanted is None:
                yield from day.facts.values()
            elif len(self.wanted) == 1:
                yield from day.by_agency.get(self.wanted[0], ())
            else:
                for f in day.facts.values():
                    if f.a.agency_id in self.wanted:
                        yield f

    def pick(self, lists: Callable[[_Day], list[_Fact]]) -> Iterator[_Fact]:
        for day in self.days:
            for f in lists(day):
                if self.wanted is None or f.a.agency_id in self.wanted:
                    yield f

    def aggs(self) -> dict[str, _Agg]:
        """Per agency in scope (all roles), in order of first appearance."""
        out: dict[str, _Agg] = {}
        for day in self.days:
            for aid, agg in day.agg.items():
                if self.wanted is not None and aid not in self.wanted:
                    continue
                mine = out.get(aid)
                if mine is None:
                    mine = out[aid] = _Agg()
                mine.merge(agg)
        return out


def _scope(states: list[_NoticeState], directory: Any, cal: Any, today: dt.date, viewer: Viewer, *,
           notice: str | None, agency: str | None) -> _Scope:
    if notice:
        states = [s for s in states if s.notice.id == notice]
        if not states:
            raise NotFoundError(f"notice {notice!r}")
    if agency and not viewer.may_see_agency(agency):
        raise Forbidden(f"agency {agency!r}")
    dkey = _directory_key(directory)
    days = [s.day_of(today, cal, directory, dkey) for s in states]
    return _Scope(states, days, (agency,) if agency else viewer.agencies)


def _row(f: _Fact, directory: Any, today: dt.date, cal: Any) -> dict[str, Any]:
    if f.row is None:
        f.row = _row_json(f.a, f.state.tasks.get(f.a.task_id), f.state.notice, directory, today, cal,
                          cat=f.cat, days=f.days)
    return f.row


def _agency_name(directory: Any, agency_id: str) -> str:
    return cards.agency_name(directory, agency_id)


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: dt.datetime | None, cal: WorkingCalendar) -> str | None:
    return cal.local(value).isoformat(timespec="minutes") if value is not None else None


def _short(text: str, limit: int = TEXT_SHORT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _summary_json(s: Summary) -> dict[str, Any]:
    return {
        "counts": {c.value: s.counts.get(c, 0) for c in CATEGORY_ORDER},
        "total": s.total,
        "due": s.due,
        "done": s.done,
        "rate": s.completion_rate,
        "rate_text": s.rate_text(),
        # Standing duties of every agency: counted apart, as /status and the digest do.
        "standing": getattr(s, "standing", 0),
        "standing_tasks": getattr(s, "standing_tasks", 0),
    }


def _status_text(a: Assignment, today: dt.date, cal: WorkingCalendar) -> str:
    return cards.assignment_status(a, today, cal)


def _row_json(a: Assignment, task: Any, notice: Any, directory: Any, today: dt.date, cal: WorkingCalendar,
              *, cat: Category | None = None, days: int | None = None) -> dict[str, Any]:
    cat = cat if cat is not None else category(a, today, cal)
    return {
        "assignment": a.id,
        "task": a.task_id,
        "code": task.code if task else a.task_id,
        "ref": task.ref if task else "",
        "text": _short(task.text if task else ""),
        "notice": a.notice_id,
        "notice_number": (notice.number or "") if notice else "",
        "agency": a.agency_id,
        "agency_name": _agency_name(directory, a.agency_id),
        "role": a.role.value,
        "role_label": role_label(a.role),
        "deadline": _date(effective_deadline(a, cal)),
        "recurring": a.recurring,
        "category": cat.value,
        "category_label": category_label(cat),
        "status": _status_text(a, today, cal),
        "days_overdue": days if days is not None else days_overdue(a, today, cal),
        "progress": a.progress.value,
        "waiting": is_waiting_confirmation(a),
        "standing": _standing(a),
        "last_report_at": _when(a.last_report_at, cal),
    }


def _standing(a: Assignment) -> bool:
    from bot.tracking import is_standing

    return is_standing(a)


def _report_json(r: Any, cal: WorkingCalendar) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": _when(r.at, cal),
        "author": r.author_name,
        "status": r.status.value,
        "status_label": progress_label(r.status) if r.status != Progress.NONE else "",
        "text": r.text or "",
        "files": [f.name or (t("dashboard.photo") if f.kind == "photo" else t("dashboard.file")) for f in r.files],
        "edited": len(r.history),
        "source": r.source,
    }


def _me(viewer: Viewer, directory: Any) -> dict[str, Any]:
    return {
        "id": viewer.user_id,
        "name": viewer.name,
        "role": viewer.role,
        "role_label": t(f"dashboard.role_{viewer.role}"),
        "agencies": None if viewer.agencies is None else [
            {"id": aid, "name": _agency_name(directory, aid)} for aid in viewer.agencies],
    }



# ------------------------------------------------------------------ views


class _Calendar:
    """The working calendar with its (pure) effective deadline remembered for one view: the same few
    hundred deadlines are shifted for thousands of assignments, several times each."""

    def __init__(self, cal: WorkingCalendar):
        self._cal = cal
        self._shifted: dict[Any, Any] = {}

    def effective_deadline(self, day):
        try:
            return self._shifted[day]
        except KeyError:
            value = self._shifted[day] = self._cal.effective_deadline(day)
            return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cal, name)


def _minute(now: dt.datetime) -> str:
    return now.isoformat(timespec="minutes")



def _filters(states: list[_NoticeState], sc: _Scope, directory: Any, viewer: Viewer,
             in_scope: dict[str, Any]) -> dict[str, Any]:
    notices = sorted((s.notice for s in states),
                     key=lambda n: (n.issued_on or dt.date.min, n.number or ""), reverse=True)
    if viewer.agencies is None:  # the province's agencies and any other agency with a task here
        agency_ids = {a.id for a in directory.agencies} | set(in_scope)  # every agency with a task in scope
    else:
        agency_ids = set(viewer.agencies)
    agencies = sorted(({"id": aid, "name": _agency_name(directory, aid)} for aid in agency_ids),
                      key=lambda x: x["name"])
    return {
        "notices": [{"id": n.id, "number": n.number or "", "issued_on": _date(n.issued_on),
                     "title": _short(n.title or "", 120)} for n in notices],
        "agencies": agencies,
        "categories": [{"id": c.value, "label": category_label(c)} for c in CATEGORY_ORDER],
    }


def _minute(now: dt.datetime) -> str:
    return now.isoformat(timespec="minutes")


def _view_key(cache: Cache, directory: Any, cal: Any, *parts: Any) -> tuple:
    return (*parts, cache.generation, _directory_key(directory), id(cal))


def overview(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer, *,
             notice: str | None = None, agency: str | None = None, cache: Cache | None = None) -> dict[str, Any]:
    """The province (or the viewer's agency) at a glance: categories, completion rate, this week,
    the table by agency (overdue first) with its chart data, and the overdue tasks with their latest report."""
    cache = cache or Cache()
    if agency and not viewer.may_see_agency(agency):
        raise Forbidden(f"agency {agency!r}")
    with cache.lock:
        states = cache.refresh(store)
        key = _view_key(cache, directory, cal, "overview", viewer.agencies, notice, agency, _minute(now))
        view = cache.view(key, lambda: _overview(cache, states, directory, cache.calendar(cal), now, viewer,
                                                 notice=notice, agency=agency))
    return {**view, "me": _me(viewer, directory)}


def _overview(cache: Cache, states: list[_NoticeState], directory: Any, cal: Any, now: dt.datetime,
              viewer: Viewer, *, notice: str | None, agency: str | None) -> dict[str, Any]:
    local = cal.local(now)
    today = local.date()
    week_start = local - dt.timedelta(days=7)
    sc = _scope(states, directory, cal, today, viewer, notice=notice, agency=agency)
    wanted = sc.wanted
    # The province counts lead (chủ trì) assignments, as /status and the digest; an agency its own
    # assignments, lead and coordinating, as /status <agency>.
    province = viewer.agencies is None and agency is None
    one_agency = agency is not None or (viewer.agencies is not None and len(viewer.agencies) == 1)
    everything = notice is None and wanted is None
    if everything:  # the province's totals, kept: only a changed notice's share is taken out and added
        totals = cache.totals(sc, (today, _directory_key(directory), id(cal)))
        first_seen = dict.fromkeys(aid for day in sc.days for aid in day.by_agency)
        per_agency = {aid: totals.agg[aid] for aid in first_seen}
    else:
        per_agency = sc.aggs()
    if province:
        if everything:
            total = totals.lead
        else:
            total = _Agg()
            for day in sc.days:
                total.merge(day.lead)
    else:
        total = _Agg()
        for agg in per_agency.values():
            total.merge(agg)
    summary = total.summary()

    # Overdue: an agency's own (any role), or the province's lead assignments; longest first.
    overdue_rows = sorted((f for f in sc.pick(lambda d: d.overdue) if one_agency or f.lead), key=_order)
    overdue_rows.sort(key=lambda f: (-f.days, f.order[3], f.code))
    overdue_out = []
    shown = overdue_rows[:OVERDUE_LIMIT]
    latest = _latest_json(cache, shown, now, cal)
    for f in shown:
        overdue_out.append({**_row(f, directory, today, cal), "last_report": latest.get(f.a.id)})

    # This week: (week_start, now], as the digest counts it.
    cache.week_times(sc.states, week_start)
    reports = 0
    for state, day in zip(sc.states, sc.days):
        day.report_times(state)
        reports += day.count_reports(week_start, now, wanted)
    completed = sorted((f for f in sc.pick(lambda d: d.completed) if week_start < f.a.completed_at <= now),
                       key=_order)
    first_day = week_start.date()
    newly_overdue = sorted((f for f in sc.pick(lambda d: d.overdue)
                            if f.lead and f.deadline is not None and first_day <= f.deadline < today), key=_order)
    extensions = sum(1 for f in sc.pick(lambda d: d.extended) for e in f.a.extensions
                     if e.decision == "approved" and e.decided_at is not None and week_start < e.decided_at <= now)

    table = []
    for aid, agg in per_agency.items():
        s = agg.summary()
        table.append({"id": aid, "name": _agency_name(directory, aid), **_summary_json(s),
                      "overdue": s.counts[Category.OPEN_OVERDUE]})
    table.sort(key=lambda r: (-r["overdue"], -(r["total"]), r["name"]))
    if viewer.agencies is None:
        notices = len(sc.states)
    else:
        notices = sum(1 for day in sc.days if any(aid in day.by_agency for aid in viewer.agencies
                                                  if wanted is None or aid in wanted))
    return {
        "today": today.isoformat(),
        "now": local.isoformat(timespec="minutes"),
        "scope": {"notice": notice, "agency": agency,
                  "lead_only": province,
                  "agency_name": _agency_name(directory, agency) if agency else None},
        "categories": [{"id": c.value, "label": category_label(c)} for c in CATEGORY_ORDER],
        "summary": _summary_json(summary),
        "week": {
            "since": week_start.isoformat(timespec="minutes"),
            "reports": reports,
            "completed": len(completed),
            "newly_overdue": len(newly_overdue),
            "extensions": extensions,
            "completed_items": [_row(f, directory, today, cal) for f in completed[:20]],
            "newly_overdue_items": [_row(f, directory, today, cal) for f in newly_overdue[:20]],
        },
        "agencies": table,
        "overdue": overdue_out,
        "overdue_total": len(overdue_rows),
        "notices": notices,
        "filters": _filters(states, sc, directory, viewer, per_agency),
    }


def _order(f: _Fact) -> tuple:
    return f.order


def _latest_json(cache: Cache, facts: list[_Fact], now: dt.datetime, cal: Any) -> dict[str, Any]:
    """The latest report of each of ``facts``' assignments as JSON (None: no report yet)."""
    by_state: dict[int, tuple[_NoticeState, list[str]]] = {}
    for f in facts:
        by_state.setdefault(id(f.state), (f.state, []))[1].append(f.a.id)
    out: dict[str, Any] = {}
    for state, aids in by_state.values():
        for aid, report in cache.latest(state, aids, now).items():
            if report is state.latest.get(aid):  # the newest (as read at this version): shown as kept
                found = state.latest_json.get(aid)
                if found is None:
                    found = state.latest_json[aid] = _report_json(report, cal)
                out[aid] = found
            else:
                out[aid] = _report_json(report, cal)
    return out


def tasks(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer, *,
          notice: str | None = None, agency: str | None = None, category_id: str | None = None,
          cache: Cache | None = None) -> dict[str, Any]:
    """The assignments in scope and filters (overdue first, longest overdue first, then by deadline)."""
    wanted: Category | None = None
    if category_id:
        try:
            wanted = Category(category_id)
        except ValueError:
            raise NotFoundError(f"category {category_id!r}") from None
    if agency and not viewer.may_see_agency(agency):
        raise Forbidden(f"agency {agency!r}")
    cache = cache or Cache()
    with cache.lock:
        states = cache.refresh(store)
        key = _view_key(cache, directory, cal, "tasks", viewer.agencies, notice, agency, category_id,
                        cal.today(now).isoformat())
        view = cache.view(key, lambda: _tasks(states, directory, cache.calendar(cal), now, viewer, notice=notice,
                                              agency=agency, category_id=category_id, wanted=wanted))
    return {**view, "me": _me(viewer, directory)}


def _tasks(states: list[_NoticeState], directory: Any, cal: Any, now: dt.datetime, viewer: Viewer, *,
           notice: str | None, agency: str | None, category_id: str | None, wanted: Category | None) -> dict:
    today = cal.today(now)
    sc = _scope(states, directory, cal, today, viewer, notice=notice, agency=agency)
    rows = [f for f in sc.facts() if wanted is None or (f.cat == wanted and not f.standing)]
    rows.sort(key=lambda f: (f.cat != Category.OPEN_OVERDUE, -f.days, f.deadline or dt.date.max, not f.lead, f.a.id))
    return {
        "today": today.isoformat(),
        "scope": {"notice": notice, "agency": agency, "category": category_id,
                  "agency_name": _agency_name(directory, agency) if agency else None},
        "total": len(rows),
        "tasks": [_row(f, directory, today, cal) for f in rows[:TASKS_LIMIT]],
    }


def warm(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, cache: Cache) -> None:
    """Read every notice and build today's state once, as the first leader would (at the server's
    start, in a worker thread): the first request then finds it kept."""
    everything = Viewer(0, "", "leader", None)
    overview(store, directory, cal, now, everything, cache=cache)
    tasks(store, directory, cal, now, everything, cache=cache)


def task_history(store: Any, directory: Any, cal: WorkingCalendar, now: dt.datetime, viewer: Viewer,
                 task_id: str, cache: Cache | None = None) -> dict[str, Any]:
    """One task with, for each assignment in scope: its status, reports (files named), confirmation
    and extensions, oldest first."""
    task = store.notices.task(task_id)
    notice = store.notices.notice(task.notice_id) if task is not None else None
    if task is None or notice is None or notice.state != "published":
        raise NotFoundError(f"task {task_id!r}")
    assignments = [a for a in store.notices.assignments(notice_id=task.notice_id)
                   if a.task_id == task.id and not a.closed]
    mine = [a for a in assignments if viewer.may_see_agency(a.agency_id)]
    if not mine:
        raise Forbidden(f"task {task_id!r}") if assignments else NotFoundError(f"task {task_id!r}")
    today = cal.today(now)
    out = []
    for a in sorted(mine, key=lambda a: (a.role != Role.LEAD, _agency_name(directory, a.agency_id))):
        item = _row_json(a, task, notice, directory, today, cal)
        item["text"] = task.text
        item["original_deadline"] = _date(a.original_deadline)
        item["sent_at"] = _when(a.sent_at, cal)
        item["done_reported_at"] = _when(a.done_reported_at, cal)
        item["completed_at"] = _when(a.completed_at, cal)
        item["confirmed"] = a.completed_at is not None
        item["reports"] = [_report_json(r, cal) for r in store.notices.reports(assignment_id=a.id)]
        item["extensions"] = [{
            "requested_at": _when(e.requested_at, cal),
            "new_deadline": _date(e.new_deadline),
            "previous_deadline": _date(e.previous_deadline),
            "reason": e.reason,
            "decision": e.decision,
            "decision_label": t(f"progress.decision_{e.decision or 'pending'}"),
            "decided_at": _when(e.decided_at, cal),
        } for e in a.extensions]
        out.append(item)
    return {
        "me": _me(viewer, directory),
        "today": today.isoformat(),
        "task": {"id": task.id, "code": task.code, "ref": task.ref, "text": task.text,
                 "deadline_text": task.deadline_text, "notice": notice.id, "notice_number": notice.number or "",
                 "notice_title": notice.title or ""},
        "assignments": out,
    }


PAGE_KEYS = (
    "title", "loading", "refused", "refused_hint", "open_in_telegram", "error", "retry", "overview", "agencies",
    "overdue", "tasks", "history", "all_notices", "all_agencies", "all_categories", "filter_notice",
    "filter_agency", "filter_category", "rate", "rate_hint", "rate_none", "due", "total", "lead_only",
    "agency_scope", "week", "week_reports", "week_completed", "week_newly_overdue", "week_extensions",
    "col_agency", "col_overdue", "col_total", "col_done", "col_open", "col_rate", "sort_hint", "chart",
    "chart_hint", "days_overdue", "deadline", "no_deadline", "latest_report", "no_report", "back", "reports",
    "files", "confirmed", "waiting", "extensions", "requested", "no_tasks", "no_overdue", "more", "role",
    "sent", "edited", "as_of", "show_tasks", "completed_on", "days_late", "standing", "standing_badge",
)


def page_texts() -> dict[str, str]:
    """The page's words, from the catalogue (``[dashboard.page]``): the page carries none of its own."""
    # Placeholders ({days}, {count}) stay in: the page fills them.
    keep = {name: Raw("{" + name + "}") for name in ("days", "count", "assignments")}
    return {key: t(f"dashboard.page.{key}", **keep) for key in PAGE_KEYS}
