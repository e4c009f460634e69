"""Notices: one file per notice (``notices/<notice_id>.json``) holding the notice,
its tasks, assignments and reports.

One write rewrites one notice's file (a few hundred kB at most), never the whole
history. Every lookup goes through in-memory indexes built at open, so nothing
scans the year's reports to answer one message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Hashable, Iterable, Iterator

from bot.models import Assignment, Notice, Report, Task, from_dict, to_dict

from . import migrations
from ._base import Guard, KeyedTable, open_db, storage_of
from .errors import Duplicate, NotFound
from .summaries import ReportHead, Summaries

if TYPE_CHECKING:
    from .counters import Counters

FOLDER_NAME = "notices"
NOTICE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
_CODE_RE = re.compile(r"^([A-Za-z]+)(\d+)$")
_MIN_AT = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def normalize_code(code: str) -> str:
    """``" nv 12 "`` → ``"nv12"``: task codes are typed by people."""
    return "".join(code.split()).casefold()


def normalize_number(number: str) -> str:
    """``"89/TB-UBND"`` and ``"89 / tb-ubnd"`` compare equal."""
    return "".join(number.split()).casefold()


def check_notice_id(notice_id: str) -> None:
    if not isinstance(notice_id, str) or not NOTICE_ID_RE.match(notice_id) or notice_id.endswith(".json"):
        raise ValueError(
            f"notice id {notice_id!r} cannot be a file name: use letters, digits, '-', '_', '.' (max 120)"
        )


def notice_file_data(notice: Notice, tasks: Iterable[Task] = (), assignments: Iterable[Assignment] = (),
                     reports: Iterable[Report] = ()) -> dict[str, Any]:
    """The raw content of a notice file (for bulk import and benchmarks)."""

    def table(records: Iterable[Any]) -> dict[str, Any]:
        return {str(i): to_dict(r) for i, r in enumerate(records, start=1)}

    data = migrations.fresh("notice")
    data.update(notice=table([notice]), tasks=table(tasks), assignments=table(assignments),
                reports=table(reports))
    return data


# Change stamps of notices (see NoticesRepo.versions): never reused in a process, so a notice
# re-read from the disk (the store reloaded after a failed write) gets a new one too.
_STAMPS = itertools.count(1)


class _StampedTable(KeyedTable):
    """A table of a notice file: every change gives the file a new change stamp."""

    def __init__(self, owner: "_NoticeFile", db: Any, name: str) -> None:
        super().__init__(db, name, lambda r: r["id"])
        self._owner = owner

    @contextlib.contextmanager
    def _change(self) -> Iterator[None]:
        with super()._change():
            self._owner.version = next(_STAMPS)
            yield


class _NoticeFile:
    def __init__(self, path: Path, data: dict[str, Any] | None, guard: Guard) -> None:
        self.path = path
        self.version = next(_STAMPS)
        self.db = open_db(path, data, "notice", guard)
        self.storage = storage_of(self.db)
        self.notice = _StampedTable(self, self.db, "notice")
        self.tasks = _StampedTable(self, self.db, "tasks")
        self.assignments = _StampedTable(self, self.db, "assignments")
        self.reports = _StampedTable(self, self.db, "reports")

    def notice_raw(self) -> dict[str, Any] | None:
        return next(iter(self.notice.values()), None)


_SHARED = ("notice_id", "assignment_id", "agency_id", "author_name", "source", "status")


def _intern(raw: dict[str, Any]) -> None:
    """One copy of the values many reports repeat (ids, names, status): a year of reports is held
    in memory, and the JSON parser makes a new string for each occurrence."""
    for field in _SHARED:
        value = raw.get(field)
        if type(value) is str:
            raw[field] = sys.intern(value)


def _add(index: dict[Hashable, dict[str, None]], key: Hashable, value: str) -> None:
    index[key][value] = None


def _drop(index: dict[Hashable, dict[str, None]], key: Hashable, value: str) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.pop(value, None)
        if not bucket:
            del index[key]


class NoticesRepo:
    """Typed access to notices, tasks, assignments and reports. Thread-safe."""

    def __init__(self, guard: Guard, folder: Path, files: dict[Path, dict[str, Any] | None],
                 counters: "Counters") -> None:
        self._g = guard
        self.folder = folder
        self._counters = counters
        self._files: dict[str, _NoticeFile] = {}
        self._by_sha: dict[str, str] = {}
        self._by_number: dict[str, str] = {}
        self._task_nid: dict[str, str] = {}
        self._code: dict[str, str] = {}
        self._asg_nid: dict[str, str] = {}
        self._asg_by_agency: dict[Hashable, dict[str, None]] = defaultdict(dict)
        self._asg_by_msg: dict[tuple[int, int], str] = {}
        self._rep_nid: dict[str, str] = {}
        self._rep_by_key: dict[tuple[int, int, str], str] = {}
        self._rep_by_msg: dict[tuple[int, int], str] = {}
        self._rep_by_src: dict[str, str] = {}
        self._rep_at: dict[str, dt.datetime] = {}  # report id -> when (reads by time parse nothing)
        self._last_rep: dict[str, str] = {}  # assignment id -> its latest report (status, digest)
        self._rep_by_asg: dict[Hashable, dict[str, None]] = defaultdict(dict)
        self._rep_by_agency: dict[Hashable, dict[str, None]] = defaultdict(dict)
        for path in sorted(files):
            nf = _NoticeFile(path, files[path], guard)
            raw = nf.notice_raw()
            if raw is None or raw["id"] in self._files:
                continue  # an empty or duplicate file: nothing to serve from it
            self._files[raw["id"]] = nf
            self._index_notice(raw)
            for t in nf.tasks.values():
                self._index_task(t)
            for a in nf.assignments.values():
                self._index_assignment(a)
            for r in nf.reports.values():
                _intern(r)
                self._index_report(r)
        self.summaries = Summaries(self)

    # ---------------------------------------------------------------- indexes
    def _index_notice(self, raw: dict[str, Any]) -> None:
        if raw.get("source_sha256"):
            self._by_sha[raw["source_sha256"]] = raw["id"]
        if raw.get("number"):
            self._by_number.setdefault(normalize_number(raw["number"]), raw["id"])

    def _unindex_notice(self, raw: dict[str, Any]) -> None:
        if raw.get("source_sha256") and self._by_sha.get(raw["source_sha256"]) == raw["id"]:
            del self._by_sha[raw["source_sha256"]]
        if raw.get("number") and self._by_number.get(normalize_number(raw["number"])) == raw["id"]:
            del self._by_number[normalize_number(raw["number"])]

    def _index_task(self, raw: dict[str, Any]) -> None:
        self._task_nid[raw["id"]] = raw["notice_id"]
        if raw.get("code"):
            self._code[normalize_code(raw["code"])] = raw["id"]

    def _unindex_task(self, raw: dict[str, Any]) -> None:
        self._task_nid.pop(raw["id"], None)
        if raw.get("code") and self._code.get(normalize_code(raw["code"])) == raw["id"]:
            del self._code[normalize_code(raw["code"])]

    def _index_assignment(self, raw: dict[str, Any]) -> None:
        self._asg_nid[raw["id"]] = raw["notice_id"]
        _add(self._asg_by_agency, raw["agency_id"], raw["id"])
        if raw.get("chat_id") is not None and raw.get("message_id") is not None:
            self._asg_by_msg[(raw["chat_id"], raw["message_id"])] = raw["id"]

    def _unindex_assignment(self, raw: dict[str, Any]) -> None:
        self._asg_nid.pop(raw["id"], None)
        _drop(self._asg_by_agency, raw["agency_id"], raw["id"])
        key = (raw.get("chat_id"), raw.get("message_id"))
        if self._asg_by_msg.get(key) == raw["id"]:  # type: ignore[arg-type]
            del self._asg_by_msg[key]  # type: ignore[arg-type]

    def _index_report(self, raw: dict[str, Any]) -> None:
        self._rep_nid[raw["id"]] = raw["notice_id"]
        at = self._rep_at[raw["id"]] = dt.datetime.fromisoformat(raw["at"])
        last = self._last_rep.get(raw["assignment_id"])
        if last is None or at >= self._rep_at[last]:
            self._last_rep[raw["assignment_id"]] = raw["id"]
        _add(self._rep_by_asg, raw["assignment_id"], raw["id"])
        _add(self._rep_by_agency, raw["agency_id"], raw["id"])
        if raw.get("message_id") is not None:
            self._rep_by_key[(raw["chat_id"], raw["message_id"], raw.get("source", ""))] = raw["id"]
            self._rep_by_msg[(raw["chat_id"], raw["message_id"])] = raw["id"]
        if raw.get("source_key"):
            self._rep_by_src.setdefault(raw["source_key"], raw["id"])

    def _unindex_report(self, raw: dict[str, Any]) -> None:
        self._rep_nid.pop(raw["id"], None)
        self._rep_at.pop(raw["id"], None)
        _drop(self._rep_by_asg, raw["assignment_id"], raw["id"])
        if self._last_rep.get(raw["assignment_id"]) == raw["id"]:
            rest = self._rep_by_asg.get(raw["assignment_id"], {})
            if rest:
                self._last_rep[raw["assignment_id"]] = max(rest, key=lambda i: self._rep_at[i])
            else:
                del self._last_rep[raw["assignment_id"]]
        _drop(self._rep_by_agency, raw["agency_id"], raw["id"])
        if raw.get("message_id") is not None:
            key = (raw["chat_id"], raw["message_id"], raw.get("source", ""))
            if self._rep_by_key.get(key) == raw["id"]:
                del self._rep_by_key[key]
            if self._rep_by_msg.get(key[:2]) == raw["id"]:  # type: ignore[arg-type]
                del self._rep_by_msg[key[:2]]  # type: ignore[arg-type]
        if raw.get("source_key") and self._rep_by_src.get(raw["source_key"]) == raw["id"]:
            del self._rep_by_src[raw["source_key"]]

    def _file(self, notice_id: str) -> _NoticeFile:
        nf = self._files.get(notice_id)
        if nf is None:
            raise NotFound(f"unknown notice {notice_id!r}")
        return nf

    def max_code_numbers(self) -> dict[str, int]:
        """Highest number used by task codes, per prefix (``{"NV": 57}``)."""
        with self._g:
            out: dict[str, int] = {}
            for code in self._code:
                m = _CODE_RE.match(code)
                if m:
                    prefix = m.group(1).upper()
                    out[prefix] = max(out.get(prefix, 0), int(m.group(2)))
            return out

    # ---------------------------------------------------------------- notices
    def create_notice(self, notice: Notice, tasks: list[Task]) -> list[Task]:
        """Store a new notice with its tasks in one atomic write.

        Tasks without a code get the next one from the counters ("NV1", "NV2", ...).
        Returns the tasks as stored.
        """
        check_notice_id(notice.id)
        with self._g:
            path = self.folder / f"{notice.id}.json"
            if notice.id in self._files or path.exists():
                raise Duplicate(f"notice {notice.id!r} already exists")
            seen_ids: set[str] = set()
            seen_codes: set[str] = set()
            for t in tasks:
                if t.id in self._task_nid or t.id in seen_ids:
                    raise Duplicate(f"task id {t.id!r} already exists")
                seen_ids.add(t.id)
                if t.notice_id and t.notice_id != notice.id:
                    raise ValueError(f"task {t.id!r} belongs to notice {t.notice_id!r}, not {notice.id!r}")
                if t.code:
                    c = normalize_code(t.code)
                    if c in self._code or c in seen_codes:
                        raise Duplicate(f"task code {t.code!r} is already used")
                    seen_codes.add(c)
            with self._g.transaction():  # the codes handed out and the notice: one write
                return self._create_notice(notice, tasks, path)

    def _create_notice(self, notice: Notice, tasks: list[Task], path: Path) -> list[Task]:
        stored = [
            dataclasses.replace(t, notice_id=notice.id, code=t.code or self._counters.next_code())
            for t in tasks
        ]
        nf = _NoticeFile(path, None, self._g)
        raw_notice = to_dict(notice)
        raw_tasks = [to_dict(t) for t in stored]
        with self._g.transaction():
            nf.notice.insert(raw_notice)
            nf.tasks.insert_many(raw_tasks)
        self._files[notice.id] = nf
        self._index_notice(raw_notice)
        for raw in raw_tasks:
            self._index_task(raw)
        return [from_dict(Task, r) for r in raw_tasks]

    def notice(self, notice_id: str) -> Notice | None:
        with self._g:
            nf = self._files.get(notice_id)
            raw = nf.notice_raw() if nf else None
            return None if raw is None else from_dict(Notice, raw)

    def find_notice_by_sha(self, sha256: str) -> Notice | None:
        with self._g:
            nid = self._by_sha.get(sha256)
            return None if nid is None else self.notice(nid)

    def find_notice_by_number(self, number: str) -> Notice | None:
        with self._g:
            nid = self._by_number.get(normalize_number(number))
            return None if nid is None else self.notice(nid)

    def all_notices(self) -> list[Notice]:
        """Every notice, oldest first (by ``created_at``)."""
        with self._g:
            out = [from_dict(Notice, nf.notice_raw()) for nf in self._files.values()]
        out.sort(key=lambda n: (n.created_at or _MIN_AT, n.id))
        return out

    def version(self, notice_id: str) -> int:
        """One notice's change stamp (see :meth:`versions`); 0 for an unknown notice."""
        with self._g:
            nf = self._files.get(notice_id)
            return 0 if nf is None else nf.version

    def versions(self) -> dict[str, int]:
        """Every notice's id → its change stamp: a number that changes with every write touching the
        notice (its tasks, assignments, reports) and is never given again in this process. A reader
        that keeps what it derived from a notice reads this first, then the notice, and reads the
        notice again when its stamp moved."""
        with self._g:
            return {nid: nf.version for nid, nf in self._files.items()}

    def update_notice(self, notice: Notice) -> None:
        with self._g:
            nf = self._file(notice.id)
            old = nf.notice_raw()
            raw = to_dict(notice)
            nf.notice.replace(notice.id, raw)
            self._unindex_notice(old)  # type: ignore[arg-type]
            self._index_notice(raw)

    # ---------------------------------------------------------------- tasks
    def tasks(self, notice_id: str) -> list[Task]:
        with self._g:
            nf = self._files.get(notice_id)
            return [] if nf is None else [from_dict(Task, r) for r in nf.tasks.values()]

    def task(self, task_id: str) -> Task | None:
        with self._g:
            nid = self._task_nid.get(task_id)
            raw = None if nid is None else self._files[nid].tasks.get(task_id)
            return None if raw is None else from_dict(Task, raw)

    def task_by_code(self, code: str) -> Task | None:
        """Case- and space-insensitive: "nv12", "NV 12" find task NV12."""
        with self._g:
            task_id = self._code.get(normalize_code(code))
            return None if task_id is None else self.task(task_id)

    def update_task(self, task: Task) -> None:
        with self._g:
            nid = self._task_nid.get(task.id)
            if nid is None:
                raise NotFound(f"unknown task {task.id!r}")
            if task.notice_id != nid:
                raise ValueError(f"task {task.id!r} cannot move from notice {nid!r} to {task.notice_id!r}")
            if task.code:
                owner = self._code.get(normalize_code(task.code))
                if owner is not None and owner != task.id:
                    raise Duplicate(f"task code {task.code!r} is already used")
            nf = self._files[nid]
            old = nf.tasks.get(task.id)
            raw = to_dict(task)
            nf.tasks.replace(task.id, raw)
            self._unindex_task(old)  # type: ignore[arg-type]
            self._index_task(raw)

    def save_tasks(self, notice: Notice, tasks: list[Task], *, new_assignments: Iterable[Assignment] = (),
                   changed_assignments: Iterable[Assignment] = ()) -> list[Task]:
        """A notice rewritten from the clerk's sheet, in one atomic write: the notice record, its tasks
        exactly as ``tasks`` in this order (a task without a code gets the next one; no stored task may be
        left out: a removed task stays, dropped), and assignments added or changed. Returns the tasks."""
        with self._g:
            nf = self._file(notice.id)
            old_tasks = {raw["id"]: raw for raw in nf.tasks.values()}
            ids = [t.id for t in tasks]
            if len(set(ids)) != len(ids):
                raise Duplicate("a task appears twice")
            missing = set(old_tasks) - set(ids)
            if missing:
                raise ValueError(f"tasks {sorted(missing)!r} would be lost")
            codes: set[str] = set()
            stored = []
            for t in tasks:
                if t.notice_id != notice.id:
                    raise ValueError(f"task {t.id!r} belongs to notice {t.notice_id!r}, not {notice.id!r}")
                if t.id not in old_tasks and t.id in self._task_nid:
                    raise Duplicate(f"task id {t.id!r} already exists")
                if t.code:
                    c = normalize_code(t.code)
                    owner = self._code.get(c)
                    if c in codes or (owner is not None and owner != t.id):
                        raise Duplicate(f"task code {t.code!r} is already used")
                    codes.add(c)
            for t in tasks:
                stored.append(t if t.code else dataclasses.replace(t, code=self._counters.next_code()))
            raw_tasks = [to_dict(t) for t in stored]
            new_raws = [to_dict(a) for a in new_assignments]
            changed_raws = [to_dict(a) for a in changed_assignments]
            for raw in new_raws:
                if raw["id"] in self._asg_nid or raw["notice_id"] != notice.id:
                    raise Duplicate(f"assignment id {raw['id']!r} already exists or is of another notice")
            for raw in changed_raws:
                if raw["id"] not in nf.assignments:
                    raise NotFound(f"unknown assignment {raw['id']!r} in notice {notice.id!r}")
            old_notice = nf.notice_raw()
            raw_notice = to_dict(notice)
            kept = (dict(nf.notice.ids), dict(nf.tasks.ids), dict(nf.assignments.ids))
            old_asg = {raw["id"]: nf.assignments.get(raw["id"]) for raw in changed_raws}
            try:
                with nf.storage.batch():
                    nf.notice.replace(notice.id, raw_notice)
                    nf.tasks.replace_all(raw_tasks)
                    if new_raws:
                        nf.assignments.insert_many(new_raws)
                    for raw in changed_raws:
                        nf.assignments.replace(raw["id"], raw)
            except BaseException:  # nothing written: the in-memory keys go back with the file
                nf.notice.ids, nf.tasks.ids, nf.assignments.ids = kept
                raise
            self._unindex_notice(old_notice)  # type: ignore[arg-type]
            self._index_notice(raw_notice)
            for raw in old_tasks.values():
                self._unindex_task(raw)
            for raw in raw_tasks:
                self._index_task(raw)
            for raw in new_raws:
                self._index_assignment(raw)
            for raw in changed_raws:
                self._unindex_assignment(old_asg[raw["id"]])  # type: ignore[arg-type]
                self._index_assignment(raw)
            return [from_dict(Task, r) for r in raw_tasks]

    # ---------------------------------------------------------------- assignments
    def add_assignments(self, assignments: list[Assignment]) -> None:
        """Insert assignments (of any notices) in one durable write."""
        with self._g:
            by_notice: dict[str, list[dict[str, Any]]] = defaultdict(list)
            seen: set[str] = set()
            for a in assignments:
                nf = self._file(a.notice_id)
                if a.id in self._asg_nid or a.id in seen:
                    raise Duplicate(f"assignment id {a.id!r} already exists")
                if a.task_id not in nf.tasks:
                    raise NotFound(f"unknown task {a.task_id!r} in notice {a.notice_id!r}")
                seen.add(a.id)
                by_notice[a.notice_id].append(to_dict(a))
            with self._g.transaction():
                for nid, raws in by_notice.items():
                    self._files[nid].assignments.insert_many(raws)
                    for raw in raws:
                        self._index_assignment(raw)

    def assignment(self, assignment_id: str) -> Assignment | None:
        with self._g:
            raw = self._assignment_raw(assignment_id)
            return None if raw is None else from_dict(Assignment, raw)

    def _assignment_raw(self, assignment_id: str) -> dict[str, Any] | None:
        nid = self._asg_nid.get(assignment_id)
        return None if nid is None else self._files[nid].assignments.get(assignment_id)

    def assignments(self, notice_id: str | None = None, agency_id: str | None = None) -> list[Assignment]:
        """Assignments of a notice and/or an agency (all if neither), in insertion order."""
        with self._g:
            if agency_id is not None:
                ids = list(self._asg_by_agency.get(agency_id, ()))
                raws = (self._assignment_raw(i) for i in ids)
                return [from_dict(Assignment, r) for r in raws
                        if r is not None and (notice_id is None or r["notice_id"] == notice_id)]
            if notice_id is not None:
                nf = self._files.get(notice_id)
                return [] if nf is None else [from_dict(Assignment, r) for r in nf.assignments.values()]
            return [from_dict(Assignment, r) for nf in self._files.values() for r in nf.assignments.values()]

    def update_assignment(self, assignment: Assignment) -> None:
        with self._g:
            old = self._assignment_raw(assignment.id)
            if old is None:
                raise NotFound(f"unknown assignment {assignment.id!r}")
            if old["notice_id"] != assignment.notice_id:
                raise ValueError(f"assignment {assignment.id!r} cannot move to another notice")
            raw = to_dict(assignment)
            self._files[assignment.notice_id].assignments.replace(assignment.id, raw)
            self._unindex_assignment(old)
            self._index_assignment(raw)

    def assignment_by_message(self, chat_id: int, message_id: int) -> Assignment | None:
        """The assignment whose task message is ``message_id`` in ``chat_id``."""
        with self._g:
            aid = self._asg_by_msg.get((chat_id, message_id))
            return None if aid is None else self.assignment(aid)

    # ---------------------------------------------------------------- reports
    def add_report(self, report: Report) -> tuple[Report, bool]:
        """Store a report once. Returns (stored report, created).

        Idempotent on the id and on (chat_id, message_id, source): a Telegram
        update delivered twice is stored once and the second call returns the
        first report with ``created=False``.
        """
        with self._g:
            existing = self._rep_nid.get(report.id)
            if existing is None and report.message_id is not None:
                existing_id = self._rep_by_key.get((report.chat_id, report.message_id, report.source))
                if existing_id is not None:
                    return self.report(existing_id), False  # type: ignore[return-value]
            if existing is not None:
                return self.report(report.id), False  # type: ignore[return-value]
            nf = self._file(report.notice_id)
            if report.assignment_id not in nf.assignments:
                raise NotFound(f"unknown assignment {report.assignment_id!r} in notice {report.notice_id!r}")
            raw = to_dict(report)
            nf.reports.insert(raw)
            self._index_report(raw)
            return from_dict(Report, raw), True

    def report_by_source(self, source_key: str) -> Report | None:
        """The report made by the update ``source_key`` names (see ``Report.source_key``)."""
        with self._g:
            rid = self._rep_by_src.get(source_key)
            return None if rid is None else self.report(rid)

    def record_report(self, report: Report, assignment: Assignment) -> tuple[Report, bool]:
        """Store a new report and the assignment it changes in ONE durable write.

        Idempotent like :meth:`add_report`, and on ``report.source_key``: when the report exists
        already nothing is written and (existing report, False) is returned.
        """
        with self._g:
            if report.source_key and report.source_key in self._rep_by_src:
                return self.report(self._rep_by_src[report.source_key]), False  # type: ignore[return-value]
            if report.assignment_id != assignment.id:
                raise ValueError(f"report {report.id!r} is not about assignment {assignment.id!r}")
            self._file(report.notice_id)
            with self._g.transaction():
                stored, created = self.add_report(report)
                if created:
                    self.update_assignment(assignment)
            return stored, created

    def save_report(self, report: Report, assignment: Assignment) -> None:
        """A changed report (edit, correction) and its assignment, in one durable write."""
        with self._g:
            self._file(report.notice_id)
            with self._g.transaction():
                self.update_report(report)
                self.update_assignment(assignment)

    def update_assignments(self, assignments: list[Assignment]) -> None:
        """Several assignments of one notice changed by one decision: one durable write."""
        with self._g:
            nids = {a.notice_id for a in assignments}
            if len(nids) > 1:
                raise ValueError("update_assignments: one notice at a time")
            if not assignments:
                return
            self._file(nids.pop())
            with self._g.transaction():
                for a in assignments:
                    self.update_assignment(a)

    def last_reports(self, assignment_ids: Iterable[str] | None = None,
                     until: dt.datetime | None = None) -> dict[str, Report]:
        """The latest report of each assignment (``at <= until`` if given), kept as reports arrive:
        nothing else is read."""
        with self._g:
            wanted = self._last_rep if assignment_ids is None else \
                {a: self._last_rep[a] for a in assignment_ids if a in self._last_rep}
            picked: dict[str, str] = {}
            for aid, rid in wanted.items():
                if until is not None and self._rep_at[rid] > until:  # (a clock behind: rare) look further
                    ok = [i for i in self._rep_by_asg.get(aid, {}) if self._rep_at[i] <= until]
                    if not ok:
                        continue
                    rid = max(ok, key=lambda i: self._rep_at[i])
                picked[aid] = rid
            raws = {aid: self._report_raw(rid) for aid, rid in picked.items()}
        return {aid: from_dict(Report, raw) for aid, raw in raws.items() if raw is not None}

    def report_heads(self, since: dt.datetime | None = None, until: dt.datetime | None = None,
                     notice_ids: Iterable[str] | None = None) -> list[ReportHead]:
        """Who reported on what and when (no text, nothing decoded), for reports with
        ``since < at <= until`` (either bound optional), of the given notices (all if None), oldest
        first: what counts "this week" need, read from the indexes kept as reports arrive."""
        with self._g:
            wanted = None if notice_ids is None else set(notice_ids)
            out = []
            for rid, at in self._rep_at.items():
                if (since is not None and at <= since) or (until is not None and at > until):
                    continue
                nid = self._rep_nid[rid]
                if wanted is not None and nid not in wanted:
                    continue
                raw = self._files[nid].reports.get(rid)
                if raw is not None:
                    out.append(ReportHead(rid, nid, raw["assignment_id"], raw["agency_id"], at))
        out.sort(key=lambda h: h.at)
        return out

    def last_report_ids(self, assignment_ids: Iterable[str] | None = None) -> dict[str, str]:
        """Assignment id -> the id of its latest report (kept as reports arrive; nothing decoded)."""
        with self._g:
            if assignment_ids is None:
                return dict(self._last_rep)
            return {a: self._last_rep[a] for a in assignment_ids if a in self._last_rep}

    def report(self, report_id: str) -> Report | None:
        with self._g:
            raw = self._report_raw(report_id)
            return None if raw is None else from_dict(Report, raw)

    def _report_raw(self, report_id: str) -> dict[str, Any] | None:
        nid = self._rep_nid.get(report_id)
        return None if nid is None else self._files[nid].reports.get(report_id)

    def report_by_message(self, chat_id: int, message_id: int) -> Report | None:
        """The (latest) report made by message ``message_id`` in ``chat_id``."""
        with self._g:
            rid = self._rep_by_msg.get((chat_id, message_id))
            return None if rid is None else self.report(rid)

    def update_report(self, report: Report) -> None:
        with self._g:
            old = self._report_raw(report.id)
            if old is None:
                raise NotFound(f"unknown report {report.id!r}")
            if old["notice_id"] != report.notice_id:
                raise ValueError(f"report {report.id!r} cannot move to another notice")
            raw = to_dict(report)
            self._files[report.notice_id].reports.replace(report.id, raw)
            self._unindex_report(old)
            self._index_report(raw)

    def reports(self, assignment_id: str | None = None, agency_id: str | None = None,
                since: dt.datetime | None = None) -> list[Report]:
        """Reports of an assignment and/or agency (all if neither), oldest first; ``at >= since``."""
        with self._g:
            if assignment_id is not None:
                ids: Iterable[str] = self._rep_by_asg.get(assignment_id, {})
                if agency_id is not None:
                    agency_ids = self._rep_by_agency.get(agency_id, {})
                    ids = [i for i in ids if i in agency_ids]
            elif agency_id is not None:
                ids = self._rep_by_agency.get(agency_id, {})
            else:
                ids = self._rep_nid
            if since is not None:  # by the index of times: only the reports wanted are decoded
                ids = [i for i in ids if self._rep_at[i] >= since]
            raws = [self._report_raw(i) for i in list(ids)]
        out = [from_dict(Report, r) for r in raws if r is not None]
        out.sort(key=lambda r: r.at)
        return out
