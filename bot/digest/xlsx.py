"""The digest workbook: one row per assignment, plus a per-agency summary sheet."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.cell import Cell, WriteOnlyCell
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
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")  # control characters but tab and newline
_THIN = Side(style="thin", color="999999")
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")


def _clean(text: str | None) -> str:
    """Cell text: no control characters Excel refuses, within the cell limit."""
    if not text:
        return ""
    return _CONTROL.sub("", text)[:_CELL_MAX]


def _styled(ws, value, *, font=None, fill=None, alignment=None, border=None, number_format=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    if border is not None:
        cell.border = border
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _header(ws, labels: list[str], widths: list[int], *, height: int, border: bool = True) -> None:
    """Widths, frozen header row and the header: a write-only sheet takes its layout before its rows."""
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = height
    head = Alignment(wrap_text=True, vertical="center", horizontal="center")
    edge = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN) if border else None
    ws.append([_styled(ws, label, font=Font(bold=True), fill=_HEAD_FILL, alignment=head, border=edge)
               for label in labels])


class _Row:
    """Cells of one row styled like a template: each style is registered in the workbook once,
    then copied (a write-only sheet streams its rows: memory stays flat however many there are)."""

    def __init__(self, ws, styles: list[dict]) -> None:
        self.ws = ws
        self.templates = [_styled(ws, None, **style)._style for style in styles]

    def __call__(self, values: list) -> list[Cell]:
        out = []
        for value, style in zip(values, self.templates):
            cell = _Cell(self.ws, value=value)
            cell._style = style  # shared: a streamed cell's style is only read, once, as it is written
            out.append(cell)
        return out


class _Cell(Cell):
    """A cell as openpyxl's ``WriteOnlyCell``; its short ``repr`` matters: a write-only sheet first tries
    each appended cell as a value, and the error it catches formats the cell (a fifth of the time)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<Cell>"


def render_xlsx(data: DigestData) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(t("digest.sheet_tasks"))
    _header(ws, [t(f"digest.{k}") for k in HEADERS], [w for _, w in _COLUMNS], height=32)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    formats = {"col_deadline": "DD/MM/YYYY", "col_last_report_at": "DD/MM/YYYY HH:MM"}
    row_of = _Row(ws, [dict(alignment=wrap if key in _WRAP else top, number_format=formats.get(key))
                       for key, _ in _COLUMNS])
    tz = data.now.tzinfo
    last = get_column_letter(len(_COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(1, len(data.rows) + 1)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for n, row in enumerate(data.rows, start=1):
        report = row.last_report
        ws.append(row_of([
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
        ]))

    summary = wb.create_sheet(t("digest.sheet_agencies"))
    widths = [6, 40, 9] + [16] * len(CATEGORY_ORDER) + [14, 16]
    _header(summary, [t("digest.col_stt"), t("digest.col_agency"), t("digest.col_total")]
            + [category_label(c) for c in CATEGORY_ORDER] + [t("digest.col_rate"), t("standing.column")],
            widths, height=45, border=False)
    summary.auto_filter.ref = f"A1:{get_column_letter(len(widths))}{max(1, len(data.agencies) + 1)}"
    plain = [{}] * len(widths)
    agency_row = _Row(summary, [{}, dict(alignment=wrap)] + plain[2:-2] + [dict(number_format="0.0%"), {}])
    for n, (name, s) in enumerate(data.agencies, start=1):
        summary.append(agency_row(
            [n, name, s.total] + [s.counts[c] for c in CATEGORY_ORDER]
            + [s.completion_rate if s.completion_rate is not None else None, s.standing or None]
        ))
    s = data.summary
    bold = Font(bold=True)
    total_row = _Row(summary, [dict(font=bold)] * (len(widths) - 2)
                     + [dict(font=bold, number_format="0.0%"), dict(font=bold)])
    summary.append(total_row(
        ["", t("digest.total_lead"), s.total] + [s.counts[c] for c in CATEGORY_ORDER]
        + [s.completion_rate, s.standing or None]
    ))

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
