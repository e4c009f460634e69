"""Summaries kept beside the notices' indexes, so that /status, the digest and the dashboard read
counts instead of every assignment and report of every notice.

The API (``store.notices`` is a :class:`storage.notices.NoticesRepo`)::

    store.notices.version(notice_id) -> int        # change stamp: moves on every write touching the notice
    store.notices.versions() -> {notice_id: int}   # all of them (compare two copies: what changed)
    store.notices.summaries.notice(notice_id, today, cal) -> NoticeSummary | None
    store.notices.summaries.province(today, cal, notice_ids) -> ProvinceSummary
    store.notices.last_report_ids(assignment_ids) -> {assignment_id: report_id}   # latest report of each
    store.notices.last_reports(assignment_ids, until) -> {assignment_id: Report}
    store.notices.report_heads(since, until, notice_ids) -> [ReportHead]  # who reported when, no text

A notice's summary is computed once per change stamp and day (the official categories depend on
``today``: an open task falls overdue overnight), then served from memory; the province's is the
sum of its notices'. Categories, counts and rates are those of :mod:`bot.tracking` (the same
functions /status and the digest use), so a summary always equals a full recomputation
(tests/test_tracking.py checks it on random data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

if TYPE_CHECKING:
    from bot.models import Category
    from bot.tracking import Summary

    from .notices import NoticesRepo

__all__ = ["NoticeSummary", "ProvinceSummary", "ReportHead", "Summaries"]


class ReportHead(NamedTuple):
    """A report without its text: enough to count who reported, on what, when."""

    id: str
    notice_id: str
    assignment_id: str
    agency_id: str
    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class NoticeSummary:
    """One notice on one day (assignments of dropped tasks, ``closed``, are never counted)."""

    notice_id: str
    version: int  # the notice's change stamp these numbers were computed for
    today: dt.date
    official: "Summary"  # lead assignments: the official counts (standing duties apart)
    agencies: dict[str, "Summary"]  # agency id -> its assignments, lead and coordinating
    lead_agencies: dict[str, "Summary"]  # agency id -> its lead assignments only
    categories: dict[str, "Category"]  # assignment id -> its category today (every live assignment)


@dataclasses.dataclass(frozen=True)
class ProvinceSummary:
    """Several notices summed (by default every published notice)."""

    today: dt.date
    versions: dict[str, int]  # notice id -> the change stamp it was summed at
    official: "Summary"
    agencies: dict[str, "Summary"]
    lead_agencies: dict[str, "Summary"]


class Summaries:
    """Per-notice summaries, recomputed only for a notice whose change stamp moved (or a new day)."""

    def __init__(self, repo: "NoticesRepo") -> None:
        self._repo = repo
        self._lock = threading.Lock()
        self._cal: Any = None
        self._cache: dict[str, NoticeSummary] = {}

    def notice(self, notice_id: str, today: dt.date, cal: Any) -> NoticeSummary | None:
        """The notice's summary on ``today`` (None for an unknown notice)."""
        from bot.tracking import category, summarize, summarize_by_agency

        version = self._repo.version(notice_id)  # read first: a write meanwhile moves it again
        if not version:
            return None
        with self._lock:
            if cal is not self._cal:
                self._cal, self._cache = cal, {}
            found = self._cache.get(notice_id)
        if found is not None and found.version == version and found.today == today:
            return found
        live = [a for a in self._repo.assignments(notice_id=notice_id) if not a.closed]
        made = NoticeSummary(
            notice_id=notice_id,
            version=version,
            today=today,
            official=summarize(live, today, cal),
            agencies=summarize_by_agency(live, today, cal),
            lead_agencies=summarize_by_agency(live, today, cal, include_coordinating=False),
            categories={a.id: category(a, today, cal) for a in live},
        )
        with self._lock:
            if cal is self._cal:
                self._cache[notice_id] = made
        return made

    def province(self, today: dt.date, cal: Any, notice_ids: Iterable[str] | None = None) -> ProvinceSummary:
        """The given notices (default: every published one) summed."""
        from bot.tracking import combine

        if notice_ids is None:
            notice_ids = [n.id for n in self._repo.all_notices() if n.state == "published"]
        parts = [s for s in (self.notice(nid, today, cal) for nid in notice_ids) if s is not None]
        return ProvinceSummary(
            today=today,
            versions={s.notice_id: s.version for s in parts},
            official=combine(s.official for s in parts),
            agencies=_combine_by_key(s.agencies for s in parts),
            lead_agencies=_combine_by_key(s.lead_agencies for s in parts),
        )


def _combine_by_key(maps: Iterable[dict[str, "Summary"]]) -> dict[str, "Summary"]:
    from bot.tracking import combine

    grouped: dict[str, list[Summary]] = {}
    for m in maps:
        for key, s in m.items():
            grouped.setdefault(key, []).append(s)
    return {key: combine(parts) for key, parts in grouped.items()}
