"""``dondoc export``: everything the office keeps, for its archive, in one workbook.

Two sheets: the assignments (notice number and date, task, agency, role, deadline, status,
last report) and every progress report (time, agency, task code, who, text, files). Read from
a consistent snapshot of the data folder (the bot may be running), written with openpyxl's
write-only mode so memory stays bounded by one row, not by the workbook.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.ops import OpsError
from bot.ops.snapshot import FILE_MODE, consistent_copy

_CELL_MAX = 32000
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")

ASSIGNMENT_COLUMNS = [  # (text key, width)
    ("export.col_notice", 16), ("export.col_notice_date", 12), ("export.col_notice_title", 40), ("export.col_ref", 7), ("export.col_code", 9),
    ("export.col_task", 60), ("export.col_agency", 30), ("export.col_role", 10), ("export.col_deadline", 12), ("export.col_original_deadline", 12),
    ("export.col_status", 26), ("export.col_progress", 20), ("export.col_last_report_at", 17), ("export.col_last_report", 50),
]
REPORT_COLUMNS = [
    ("export.col_time", 17), ("export.col_agency", 30), ("export.col_code", 9), ("export.col_notice", 16), ("export.col_who", 22),
    ("export.col_progress", 18), ("export.col_text", 70), ("export.col_files", 40),
]


@dataclass
class ExportResult:
    path: Path
    assignments: int
    reports: int


def _clean(text: str | None) -> str:
    if not text:
        return ""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:_CELL_MAX]


def _local(moment: dt.datetime | None, tz) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)


def _header(wb_sheet, columns) -> None:
    from bot.texts import t

    for i, (_key, width) in enumerate(columns, start=1):
        wb_sheet.column_dimensions[get_column_letter(i)].width = width
    wb_sheet.freeze_panes = "A2"
    cells = []
    for key, _ in columns:
        cell = WriteOnlyCell(wb_sheet, value=t(key))
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cells.append(cell)
    wb_sheet.append(cells)


def write_export(store, directory, out: Path, *, now: dt.datetime, cal) -> ExportResult:
    """Write the workbook of everything in ``store`` to ``out`` (atomically, mode 0600)."""
    from bot import cards
    from bot.texts import t
    from bot.tracking import progress_label, role_label

    tz = now.tzinfo
    today = cal.today(now)
    wb = Workbook(write_only=True)
    ws_a = wb.create_sheet(t("export.sheet_assignments"))
    ws_r = wb.create_sheet(t("export.sheet_reports"))
    _header(ws_a, ASSIGNMENT_COLUMNS)
    _header(ws_r, REPORT_COLUMNS)
    date_fmt, time_fmt = "DD/MM/YYYY", "DD/MM/YYYY HH:MM"

    def cell(ws, value, fmt=None):
        c = WriteOnlyCell(ws, value=value)
        if fmt:
            c.number_format = fmt
        return c

    n_asg = n_rep = 0
    for notice in store.notices.all_notices():
        assignments = store.notices.assignments(notice_id=notice.id)
        if not assignments:
            continue  # a draft: nothing was assigned yet
        tasks = {task.id: task for task in store.notices.tasks(notice.id)}
        notice_reports = []  # this notice's reports only: memory is bounded by the biggest notice
        for a in assignments:
            task = tasks.get(a.task_id)
            reports = store.notices.reports(assignment_id=a.id)
            notice_reports += reports
            last = reports[-1] if reports else None
            status = t("export.closed") if a.closed else cards.assignment_status(a, today, cal)
            ws_a.append([
                notice.number or "", cell(ws_a, notice.issued_on, date_fmt), _clean(notice.title),
                task.ref if task else "", task.code if task else "", _clean(task.text if task else ""),
                cards.agency_name(directory, a.agency_id), role_label(a.role),
                cell(ws_a, a.deadline, date_fmt),
                cell(ws_a, a.original_deadline if a.original_deadline != a.deadline else None, date_fmt),
                status, progress_label(a.progress),
                cell(ws_a, _local(last.at if last else a.last_report_at, tz), time_fmt),
                _clean(last.text) if last else "",
            ])
            n_asg += 1
        code_of = {a.id: (tasks[a.task_id].code if a.task_id in tasks else "") for a in assignments}
        notice_reports.sort(key=lambda r: r.at)
        for r in notice_reports:
            files = "; ".join(f.name or f.kind for f in r.files)
            ws_r.append([
                cell(ws_r, _local(r.at, tz), time_fmt), cards.agency_name(directory, r.agency_id),
                code_of.get(r.assignment_id, ""), notice.number or "", _clean(r.author_name),
                progress_label(r.status), _clean(r.text), _clean(files),
            ])
            n_rep += 1
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            wb.save(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OpsError(f"--out: cannot write {out}: {exc.strerror}") from None
    return ExportResult(out, n_asg, n_rep)


@contextlib.contextmanager
def snapshot_store(data_folder: Path):
    """A read-only view of the data folder: a consistent copy opened as a store, removed after."""
    from storage import DataStore, StoreError

    data_folder = Path(data_folder)
    tmp = Path(tempfile.mkdtemp(prefix="dondoc-snapshot-"))
    try:
        consistent_copy(data_folder, tmp / "data")
        try:
            store = DataStore.open(tmp / "data", backups_kept=0)
        except StoreError as exc:
            raise OpsError(str(exc)) from None
        try:
            yield store
        finally:
            store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
