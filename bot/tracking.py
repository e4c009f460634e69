"""Pure status logic: official categories, overdue days, summaries, reply keywords.

Decisions (see also PRODUCT.md, "Official status categories"):

* A deadline is the *effective* one: the current ``Assignment.deadline`` (it moves
  only on an approved extension) shifted by :meth:`WorkingCalendar.effective_deadline`
  (Civil Code art. 148(5)).
* The completion day is the day the agency reported "hoàn thành" when the office
  confirmed it (``done_reported_at``), else the confirmation day (``completed_at``):
  an agency is not made late by the office taking days to confirm. An assignment
  counts as done only once confirmed (``completed_at`` set).
* "Quá hạn N ngày" is counted in **calendar** days after the effective deadline, as
  offices write it; reminders use working days for their own thresholds.
* Official counts (:func:`summarize`) are over **lead** (chủ trì) assignments: by law
  the lead agency answers for the task. Per-agency views
  (:func:`summarize_by_agency`) include coordinating (phối hợp) assignments too.
  Closed assignments (dropped tasks) are never counted.
* Standing duties of every agency (``Assignment.standing``: a task the notice gave to a whole
  group at once, with no deadline) are counted apart (``Summary.standing``), not in the
  categories: otherwise a notice's "Thủ trưởng các cơ quan, đơn vị, địa phương ..." items, one
  per agency of the province, drown the work someone must deliver by a date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable

from bot.calendar import WorkingCalendar
from bot.models import Assignment, Category, Progress, Role
from bot.notices.normalize import strip_diacritics
from bot.notices.reading import lexicon as _lexicon
from bot.texts import t

__all__ = [
    "CATEGORY_ORDER",
    "Summary",
    "TrackingSettings",
    "category",
    "category_label",
    "combine",
    "completion_day",
    "days_overdue",
    "detect_progress",
    "effective_deadline",
    "is_standing",
    "is_waiting_confirmation",
    "progress_label",
    "role_label",
    "summarize",
    "summarize_by_agency",
    "working_days_overdue",
]

CATEGORY_ORDER = (
    Category.DONE_ON_TIME,
    Category.DONE_LATE,
    Category.OPEN_ON_TIME,
    Category.OPEN_OVERDUE,
    Category.ONGOING,
)
_DONE = (Category.DONE_ON_TIME, Category.DONE_LATE)


@dataclasses.dataclass
class TrackingSettings:
    auto_confirm: bool = False  # "Hoàn thành" counts at once, without the office confirming


# ------------------------------------------------------------------ deadlines


def _local_date(value: dt.datetime, cal: WorkingCalendar) -> dt.date:
    return cal.today(value)


def effective_deadline(a: Assignment, cal: WorkingCalendar) -> dt.date | None:
    return cal.effective_deadline(a.deadline) if a.deadline is not None else None


def completion_day(a: Assignment, cal: WorkingCalendar) -> dt.date | None:
    """The day the work counts as done (None while not confirmed)."""
    if a.completed_at is None:
        return None
    moment = a.completed_at
    if a.done_reported_at is not None and a.done_reported_at <= a.completed_at:
        moment = a.done_reported_at
    return _local_date(moment, cal)


def is_waiting_confirmation(a: Assignment) -> bool:
    """The agency said it is done and the office has not confirmed or returned it yet."""
    return a.completed_at is None and (a.done_reported_at is not None or a.progress == Progress.DONE)


def category(a: Assignment, today: dt.date, cal: WorkingCalendar) -> Category:
    """The official category of an assignment on ``today``.

    A task with a deadline *and* a recurring duty ("... trước ngày 31/3/2024. Thường xuyên theo
    dõi ...") is followed on its deadline until its dated part is done (on time, overdue, reminded,
    escalated); once done, what remains is the recurring duty: ongoing.
    """
    deadline = effective_deadline(a, cal)
    done = completion_day(a, cal)
    if done is not None:
        if a.recurring and deadline is not None:
            return Category.ONGOING
        if deadline is None or done <= deadline:
            return Category.DONE_ON_TIME
        return Category.DONE_LATE
    if deadline is None:
        return Category.ONGOING
    if today > deadline:
        return Category.OPEN_OVERDUE
    return Category.OPEN_ON_TIME


def days_overdue(a: Assignment, today: dt.date, cal: WorkingCalendar) -> int:
    """Calendar days past the effective deadline: until today if open, until completion if done.

    0 when not late and when there is no deadline (a recurring duty with a deadline is late
    like any other until its dated part is done).
    """
    deadline = effective_deadline(a, cal)
    if deadline is None:
        return 0
    done = completion_day(a, cal)
    end = done if done is not None else today
    return max(0, (end - deadline).days)


def working_days_overdue(a: Assignment, today: dt.date, cal: WorkingCalendar) -> int:
    """Working days after the effective deadline up to today (0 if done, not due or no deadline)."""
    deadline = effective_deadline(a, cal)
    if deadline is None or a.completed_at is not None:
        return 0
    return max(0, cal.working_days_between(deadline, today))


# ------------------------------------------------------------------ summaries


@dataclasses.dataclass
class Summary:
    counts: dict[Category, int]
    total: int
    due: int  # deadline passed, or done (nhiệm vụ đến hạn)
    done: int
    completion_rate: float | None  # done / due, None when nothing is due
    standing: int = 0  # standing duties of every agency (Assignment.standing): counted apart, not above
    standing_tasks: int = 0  # ... how many distinct tasks they are

    @property
    def overdue(self) -> int:
        return self.counts[Category.OPEN_OVERDUE]

    def rate_text(self) -> str:
        """"85,7%" (Vietnamese decimal comma) or "—"."""
        if self.completion_rate is None:
            return "—"
        return f"{self.completion_rate * 100:.1f}".replace(".", ",") + "%"


def _summary(categories: Iterable[Category], standing: Iterable[Assignment] = ()) -> Summary:
    counts = {c: 0 for c in CATEGORY_ORDER}
    for c in categories:
        counts[c] += 1
    done = counts[Category.DONE_ON_TIME] + counts[Category.DONE_LATE]
    due = done + counts[Category.OPEN_OVERDUE]
    standing = list(standing)
    return Summary(
        counts=counts,
        total=sum(counts.values()),
        due=due,
        done=done,
        completion_rate=(done / due) if due else None,
        standing=len(standing),
        standing_tasks=len({a.task_id for a in standing}),
    )


def combine(summaries: Iterable[Summary]) -> Summary:
    """Summaries of disjoint sets of assignments (other notices, other agencies) as one: counts add
    up, the rate is taken again over the sums. (Standing tasks add up too: a task is of one notice.)"""
    counts = {c: 0 for c in CATEGORY_ORDER}
    standing = standing_tasks = 0
    for s in summaries:
        for c in CATEGORY_ORDER:
            counts[c] += s.counts.get(c, 0)
        standing += s.standing
        standing_tasks += s.standing_tasks
    done = counts[Category.DONE_ON_TIME] + counts[Category.DONE_LATE]
    due = done + counts[Category.OPEN_OVERDUE]
    return Summary(counts=counts, total=sum(counts.values()), due=due, done=done,
                   completion_rate=(done / due) if due else None, standing=standing,
                   standing_tasks=standing_tasks)


def is_standing(a: Assignment) -> bool:
    """A standing duty of every agency (given collectively, no deadline): never "silent", counted apart."""
    return bool(getattr(a, "standing", False)) and a.deadline is None


def summarize(
    assignments: Iterable[Assignment],
    today: dt.date,
    cal: WorkingCalendar,
    *,
    lead_only: bool = True,
) -> Summary:
    """Counts in the official categories and the completion rate (lead assignments by default);
    standing duties of every agency are counted apart (``Summary.standing``)."""
    kept = [a for a in assignments if not a.closed and (not lead_only or a.role == Role.LEAD)]
    return _summary((category(a, today, cal) for a in kept if not is_standing(a)),
                    [a for a in kept if is_standing(a)])


def summarize_by_agency(
    assignments: Iterable[Assignment],
    today: dt.date,
    cal: WorkingCalendar,
    *,
    include_coordinating: bool = True,
) -> dict[str, Summary]:
    """One :class:`Summary` per agency id (coordinating assignments included by default)."""
    per: dict[str, list[Category]] = {}
    standing: dict[str, list[Assignment]] = {}
    for a in assignments:
        if a.closed or (not include_coordinating and a.role != Role.LEAD):
            continue
        if is_standing(a):
            standing.setdefault(a.agency_id, []).append(a)
            per.setdefault(a.agency_id, [])
        else:
            per.setdefault(a.agency_id, []).append(category(a, today, cal))
    return {agency: _summary(cats, standing.get(agency, ())) for agency, cats in per.items()}


# ------------------------------------------------------------------ labels


def category_label(c: Category) -> str:
    return t(f"tracking.category_{Category(c).value}")


def progress_label(p: Progress) -> str:
    return t(f"tracking.progress_{Progress(p).value}")


def role_label(r: Role) -> str:
    return t(f"tracking.role_{Role(r).value}")


# ------------------------------------------------------------------ reply keywords

_MAX_TEXT = 4000  # only the start of a long reply is read for keywords


def _fold(word: str) -> str:
    """Lower case without diacritics ("Vướng" -> "vuong", "Đã" -> "da")."""
    word = word.lower().replace("đ", "d")
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))


# (kind, phrase with diacritics). A reply word matches a phrase word when it is
# the same word, or the same letters typed without any diacritics at all. So
# "vuong" matches "vướng" but the name "Vương" does not, nor "xông" "xong".
# the cue words are data in the shared lexicon (bot/notices/reading/lexicon.py)
_PHRASES: list[tuple[Progress, str]] = [(Progress(kind), phrase) for kind, phrase in _lexicon.PROGRESS_PHRASES]
# Words before a phrase that deny it ("chưa hoàn thành", "không vướng mắc").
_NEGATIONS = set(_lexicon.NEGATIONS)
# Words before "hoàn thành" that make it a plan, not a fact ("dự kiến hoàn thành").
_NOT_YET = set(_lexicon.NOT_YET)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?\s*%|[^\W_]+", re.UNICODE)
_CLAUSE = re.compile(r"[.;!?\n]|,|" + "|".join(rf"\b{w}\b" for phrase in _lexicon.CLAUSE_BREAKS
                                                for w in (phrase, strip_diacritics(phrase))), re.IGNORECASE)
_PRIORITY = (Progress.EXTENSION, Progress.BLOCKED, Progress.DONE, Progress.IN_PROGRESS)


def _word_matches(word: str, folded: str, target: str, target_folded: str) -> bool:
    if word == target:
        return True
    return folded == target_folded and word == folded  # typed without any diacritics


_COMPILED = [(kind, phrase.split(), [_fold(w) for w in phrase.split()]) for kind, phrase in _PHRASES]
# The phrases by their first word, folded (a word matches only a word of the same folded form), in
# _COMPILED's order: each reply word is checked against the few phrases it can start.
_BY_FIRST: dict[str, list[tuple[Progress, list[str], list[str]]]] = {}
for _entry in _COMPILED:
    _BY_FIRST.setdefault(_entry[2][0], []).append(_entry)
_fold_cached = functools.lru_cache(maxsize=4096)(_fold)
_NEG_FOLDED = {(w, _fold(w)) for w in _NEGATIONS}
_QUESTION = {("chưa", "chua")}
_NOT_YET_FOLDED = {(w, _fold(w)) for w in _NOT_YET}


_TABLES: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _is_one_of(word: str, folded: str, table: set[tuple[str, str]]) -> bool:
    """``_word_matches`` against any (word, folded) of ``table``, by two set lookups."""
    sets = _TABLES.get(id(table))
    if sets is None:
        sets = _TABLES[id(table)] = (frozenset(w for w, _ in table), frozenset(f for _, f in table))
    return word in sets[0] or (word == folded and folded in sets[1])


def _percent(token: str) -> float | None:
    if not token.endswith("%"):
        return None
    try:
        return float(token[:-1].strip().replace(",", "."))
    except ValueError:
        return None


def detect_progress(text: str | None) -> Progress | None:
    """What a reply says about the work, or None if it says nothing recognisable.

    Case and diacritics do not matter ("DA HOAN THANH" = "đã hoàn thành"). Denied
    phrases do not count: "chưa hoàn thành" is IN_PROGRESS, "không vướng mắc" is not
    BLOCKED. When a reply says several things the most actionable wins:
    extension request > blocker > done > in progress.
    """
    if not text or not isinstance(text, str):
        return None
    text = unicodedata.normalize("NFC", text[:_MAX_TEXT])
    found: set[Progress] = set()
    denied_done = False
    for clause in _CLAUSE.split(text):
        words = [m.group(0).lower() for m in _TOKEN.finditer(clause)]
        folded = [_fold_cached(w) for w in words]
        i = 0
        while i < len(words):
            for kind, phrase, phrase_folded in _BY_FIRST.get(folded[i], ()):
                n = len(phrase)
                if i + n > len(words):
                    continue
                if not all(
                    _word_matches(words[i + k], folded[i + k], phrase[k], phrase_folded[k])
                    for k in range(n)
                ):
                    continue
                before = range(max(0, i - 3), i)
                negated = any(_is_one_of(words[j], folded[j], _NEG_FOLDED) for j in before)
                after = i + n
                # "xong chưa?", "hoàn thành chưa" are questions: they say nothing
                if after < len(words) and _is_one_of(words[after], folded[after], _QUESTION):
                    i += n - 1
                    break
                if kind == Progress.DONE and not negated:
                    pct = _percent(words[after]) if after < len(words) else None
                    if pct is not None and pct < 100:
                        kind = Progress.IN_PROGRESS
                    elif i > 0 and _is_one_of(words[i - 1], folded[i - 1], _NOT_YET_FOLDED):
                        kind = Progress.IN_PROGRESS
                if negated:
                    if kind == Progress.DONE:
                        denied_done = True
                else:
                    found.add(kind)
                i += n - 1
                break
            i += 1
    for kind in _PRIORITY:
        if kind in found:
            return kind
    if denied_done:
        return Progress.IN_PROGRESS
    return None
