"""The digest workbook: one row per assignment, plus a per-agency summary sheet."""

from __future__ import annotations

import io
from copy import copy

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from bot.texts import t
from bot.tracking import CATEGORY_ORDER, category_label, progress_label, role_label

from .model import DigestData

__all__ = ["render_xlsx", "HEADERS"]

# (header key in [digest], width in characters); Vietnamese text is long: wrap the wide ones
_COLUMNS = [
    ("col_stt", 6),
    ("col_notice", 16),
    ("col_ref", 7),
    ("col_code", 8),
    ("col_task", 60),
    ("col_agency", 30),
    ("col_role", 10),
    ("col_deadline", 12),
    ("col_status", 24),
    ("col_days_overdue", 10),
    ("col_progress", 20),
    ("col_last_report", 50),
    ("col_last_report_at", 17),
]
HEADERS = [key for key, _ in _COLUMNS]
_WRAP = {"col_task", "col_agency", "col_status", "col_last_report", "col_progress"}
_CELL_MAX = 32000  # Excel's limit is 32,767 characters per cell
_THIN = Side(style="thin", color="999999")
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")


def _clean(text: str | None) -> str:
    """Cell text: no control characters Excel refuses, within the cell limit."""
    if not text:
        return ""
    text = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)
    return text[:_CELL_MAX]


def _header(ws, keys: list[str], widths: list[int]) -> None:
    ws.append([t(f"digest.{k}") for k in keys])
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32


def render_xlsx(data: DigestData) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = t("digest.sheet_tasks")
    _header(ws, HEADERS, [w for _, w in _COLUMNS])
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    tz = data.now.tzinfo
    for n, row in enumerate(data.rows, start=1):
        report = row.last_report
        ws.append([
            n,
            row.notice_number,
            row.ref,
            row.code,
            _clean(row.task_text),
            row.agency_name,
            role_label(row.role),
            row.deadline,
            t("standing.category") if row.standing else category_label(row.category),
            row.days_overdue or None,
            progress_label(row.progress),
            _clean(report.text) if report else "",
            report.at.astimezone(tz).replace(tzinfo=None) if report else None,
        ])
    if data.rows:
        # style the first data row, then copy its style array to the others (fast)
        templates = []
        for col, (key, _) in enumerate(_COLUMNS, start=1):
            cell = ws.cell(row=2, column=col)
            cell.alignment = wrap if key in _WRAP else top
            fmt = {"col_deadline": "DD/MM/YYYY", "col_last_report_at": "DD/MM/YYYY HH:MM"}.get(key)
            if fmt:
                cell.number_format = fmt
            templates.append(cell._style)
        for cells in ws.iter_rows(min_row=3, max_row=len(data.rows) + 1, max_col=len(_COLUMNS)):
            for cell, style in zip(cells, templates):
                cell._style = copy(style)
    last = get_column_letter(len(_COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(1, len(data.rows) + 1)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    summary = wb.create_sheet(t("digest.sheet_agencies"))
    summary.append(
        [t("digest.col_stt"), t("digest.col_agency"), t("digest.col_total")]
        + [category_label(c) for c in CATEGORY_ORDER]
        + [t("digest.col_rate")]
    )
    widths = [6, 40, 9] + [16] * len(CATEGORY_ORDER) + [14]
    for i, width in enumerate(widths, start=1):
        summary.column_dimensions[get_column_letter(i)].width = width
        cell = summary.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    summary.row_dimensions[1].height = 45
    summary.freeze_panes = "A2"
    for n, (name, s) in enumerate(data.agencies, start=1):
        summary.append(
            [n, name, s.total] + [s.counts[c] for c in CATEGORY_ORDER]
            + [s.completion_rate if s.completion_rate is not None else None]
        )
        summary.cell(row=n + 1, column=len(widths)).number_format = "0.0%"
        summary.cell(row=n + 1, column=2).alignment = wrap
    s = data.summary
    summary.append(
        ["", t("digest.total_lead"), s.total] + [s.counts[c] for c in CATEGORY_ORDER]
        + [s.completion_rate]
    )
    total_row = summary.max_row
    for cell in summary[total_row]:
        cell.font = Font(bold=True)
    summary.cell(row=total_row, column=len(widths)).number_format = "0.0%"
    if s.standing:
        summary.append(["", t("standing.sheet_total"), s.standing])
    summary.auto_filter.ref = f"A1:{get_column_letter(len(widths))}{max(1, len(data.agencies) + 1)}"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
