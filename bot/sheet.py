"""The notice as an Excel sheet (issue 10): the clerk fixes anything the reader missed.

Three pure steps, no Telegram and no storage:

* :func:`write_sheet` — a notice and its tasks → .xlsx bytes: sheet "Nhiệm vụ" (one row per task:
  Mã, Mục, Nội dung, Chủ trì, Phối hợp, Hạn, Định kỳ, Ghi chú) and sheet "Thông báo" (number, date,
  issuer, kind, title, and the notice's id in the bot, so the returned file maps back to it).
* :func:`read_sheet` — .xlsx bytes → :class:`Sheet` (header fields + rows as written), or
  :class:`SheetError` listing every bad row (row number, one line each).
* :func:`diff` — a sheet against the notice's current tasks → :class:`SheetDiff`: the tasks in the
  sheet's order and the list of changes (added / changed / removed), names resolved by the directory
  like the reader's (unknown ones kept as written, flagged).

A row keeps its task by its code (column Mã); a row without one (or a second row with the same
code, a split) is a new task; a task whose code no row carries is removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Sequence

from bot import workflow
from bot.directory import Directory
from bot.models import Notice, Task
from bot.texts import plain

MAX_BYTES = 5 * 1024 * 1024  # an upload bigger than this is no task sheet
MAX_ROWS = 2000
MAX_COLS = 20
_CELL_MAX = 32000  # Excel's limit is 32,767 characters per cell

# (field, header key in [sheet], width)
COLUMNS = [
    ("code", "col_code", 9),
    ("ref", "col_ref", 8),
    ("text", "col_text", 70),
    ("lead", "col_lead", 28),
    ("coordinate", "col_coordinate", 32),
    ("deadline", "col_deadline", 12),
    ("recurring", "col_recurring", 16),
    ("notes", "col_notes", 36),
]
# Header fields of the "Thông báo" sheet: (field, label key in [sheet])
HEAD_FIELDS = [
    ("number", "head_number"),
    ("issued_on", "head_issued_on"),
    ("kind", "head_kind"),
    ("issuer", "head_issuer"),
    ("title", "head_title"),
    ("notice_id", "head_notice_id"),
]
_EMPTY = {"", "-", "–", "—", "0", "không", "khong", "none"}
FIELDS = ("ref", "text", "lead", "coordinate", "deadline", "recurring")  # what a row sets, in this order


class SheetError(ValueError):
    """A sheet that cannot become a draft: ``errors`` is a list of (text key, values), one per line."""

    def __init__(self, errors: list[tuple[str, dict]]):
        self.errors = errors
        super().__init__("; ".join(k for k, _ in errors))


@dataclasses.dataclass
class SheetHead:
    notice_id: str | None = None
    number: str | None = None
    issued_on: dt.date | None = None
    kind: str | None = None
    issuer: str | None = None
    title: str | None = None


@dataclasses.dataclass
class SheetRow:
    line: int  # the row's number in Excel
    code: str | None
    ref: str
    text: str
    lead: list[str]
    coordinate: list[str]
    deadline: dt.date | None
    deadline_text: str | None
    recurring: str | None
    notes: str = ""


@dataclasses.dataclass
class Sheet:
    head: SheetHead
    rows: list[SheetRow]


# ------------------------------------------------------------------ helpers

def fold(text: str) -> str:
    """Lower case, no diacritics, single spaces: how headers are recognised."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _clean(text: str | None) -> str:
    """Cell text: no control characters Excel refuses, within the cell limit."""
    if not text:
        return ""
    text = "".join(ch for ch in str(text) if ch in "\n\t" or ord(ch) >= 32)
    return text[:_CELL_MAX]


def _label(key: str) -> str:
    return plain(f"sheet.{key}") if key else ""


def _header_aliases() -> dict[str, str]:
    """Folded header text → field; Vietnamese and English labels and a few usual variants."""
    from bot import texts

    out: dict[str, str] = {}
    for field, key, _ in COLUMNS:
        for lang in ("vi", "en"):
            label = texts._catalogue(lang).get(f"sheet.{key}")
            if label:
                out[fold(label)] = field
    out.update({
        "ma": "code", "ma nv": "code", "ma nhiem vu": "code", "stt": "ref", "muc": "ref", "so muc": "ref",
        "noi dung": "text", "nhiem vu": "text", "noi dung nhiem vu": "text", "chu tri": "lead",
        "co quan chu tri": "lead", "don vi chu tri": "lead", "phoi hop": "coordinate",
        "co quan phoi hop": "coordinate", "don vi phoi hop": "coordinate", "han": "deadline",
        "thoi han": "deadline", "han hoan thanh": "deadline", "thoi han hoan thanh": "deadline",
        "dinh ky": "recurring", "ghi chu": "notes",
    })
    return out


def _head_aliases() -> dict[str, str]:
    from bot import texts

    out: dict[str, str] = {}
    for field, key in HEAD_FIELDS:
        for lang in ("vi", "en"):
            label = texts._catalogue(lang).get(f"sheet.{key}")
            if label:
                out[fold(label)] = field
    out.update({"so": "number", "so hieu": "number", "so ky hieu": "number", "ngay": "issued_on",
                "ngay ban hanh": "issued_on", "loai": "kind", "loai van ban": "kind", "co quan ban hanh": "issuer",
                "trich yeu": "title", "tieu de": "title"})
    return out


def notes_of(task: Task) -> str:
    """The reader's doubts about a task, in words (column Ghi chú)."""
    parts = []
    doubtful = [w.split(":", 1)[1] for w in task.warnings if w.startswith("doubtful:")]
    labels = {"lead": "notice.field_lead", "coordinate": "notice.field_coordinate",
              "deadline": "notice.field_deadline", "ref": "notice.field_ref"}
    if doubtful:
        parts.append(plain("sheet.note_doubtful",
                           fields=", ".join(plain(labels[f]) if f in labels else f for f in doubtful)))
    missing = workflow.unresolved(task)
    if missing:
        parts.append(plain("sheet.note_unresolved", names=", ".join(r.get("as_written") or r.get("name") or "?"
                                                                   for r in missing)))
    if not task.lead:
        parts.append(plain("sheet.note_no_lead"))
    parts += [w for w in task.warnings if not w.startswith("doubtful:")]
    return "; ".join(parts)


def _names(refs: Sequence[dict]) -> str:
    return "\n".join(r.get("name") or r.get("as_written") or "?" for r in refs)


def file_name(notice: Notice | None) -> str:
    """A safe file name for the sheet: the notice's number, else its id."""
    base = (notice.number or notice.id) if notice else plain("sheet.template_name")
    base = unicodedata.normalize("NFD", base.replace("đ", "d").replace("Đ", "D"))
    base = "".join(ch for ch in base if not unicodedata.combining(ch))
    base = re.sub(r"[^A-Za-z0-9.-]+", "-", base).strip("-.") or "thong-bao"
    return f"{base[:60]}.xlsx"


# ------------------------------------------------------------------ writing

def write_sheet(notice: Notice | None, tasks: Sequence[Task]) -> bytes:
    """The notice as a workbook the clerk edits; ``notice=None``: an empty sheet to type a notice from scratch."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="999999")
    border = Border(top=thin, bottom=thin, left=thin, right=thin)
    head_fill = PatternFill("solid", fgColor="DCE6F1")
    bot_fill = PatternFill("solid", fgColor="F2F2F2")
    grey = Font(color="808080")
    top_wrap = Alignment(wrap_text=True, vertical="top")

    wb = Workbook()
    ws = wb.active
    ws.title = plain("sheet.sheet_tasks")
    for i, (field, key, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=_label(key))
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = border
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.cell(row=1, column=1).comment = Comment(plain("sheet.comment_code"), "dondoc")
    ws.cell(row=1, column=4).comment = Comment(plain("sheet.comment_names"), "dondoc")
    ws.cell(row=1, column=6).comment = Comment(plain("sheet.comment_deadline"), "dondoc")
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30
    row = 1
    for task in tasks:
        if task.dropped:
            continue
        row += 1
        values = {"code": task.code, "ref": task.ref, "text": _clean(task.text), "lead": _names(task.lead),
                  "coordinate": _names(task.coordinate), "deadline": task.deadline,
                  "recurring": _clean(task.recurring), "notes": _clean(notes_of(task))}
        for i, (field, _, _) in enumerate(COLUMNS, start=1):
            value = values[field]
            cell = ws.cell(row=row, column=i, value=value if value not in ("", None) else None)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.alignment = top_wrap
            cell.border = border
            if field == "deadline":
                cell.number_format = "DD/MM/YYYY"
            elif field in ("ref", "code"):
                cell.number_format = "@"  # "8.1" stays text, not a number
            if field in ("code", "notes"):
                cell.font = grey
                cell.fill = bot_fill
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(row, 2)}"

    hs = wb.create_sheet(plain("sheet.sheet_notice"))
    hs.column_dimensions["A"].width = 26
    hs.column_dimensions["B"].width = 80
    values = {
        "number": notice.number if notice else None, "issued_on": notice.issued_on if notice else None,
        "kind": notice.kind if notice else None, "issuer": notice.issuer if notice else None,
        "title": notice.title if notice else None, "notice_id": notice.id if notice else None,
    }
    for r, (field, key) in enumerate(HEAD_FIELDS, start=1):
        label = hs.cell(row=r, column=1, value=_label(key))
        label.font = Font(bold=True)
        label.fill = head_fill
        label.border = border
        value = values[field]
        cell = hs.cell(row=r, column=2, value=_clean(value) if isinstance(value, str) else value)
        if isinstance(value, str):
            cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = border
        if field == "issued_on":
            cell.number_format = "DD/MM/YYYY"
        if field == "notice_id":
            label.font = Font(bold=True, color="808080")
            cell.font = grey
            cell.fill = bot_fill
    help_row = len(HEAD_FIELDS) + 2
    hs.cell(row=help_row, column=1, value=_label("help_title")).font = Font(bold=True)
    for i, key in enumerate(("help_1", "help_2", "help_3", "help_4", "help_5"), start=help_row):
        cell = hs.cell(row=i, column=2, value=_label(key))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if notice is not None:
        wb.properties.identifier = notice.id  # a second place the notice's id travels in
        wb.properties.title = _clean(notice.number or notice.title or notice.id)
    wb.properties.creator = "dondoc"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ reading

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _date(value, *, line: int | None, default_year: int | None, errors: list, key: str) -> tuple[dt.date | None, str | None]:
    """A cell as a date: an Excel date, a serial number, or text such as 30/6/2024."""
    if value is None or (isinstance(value, str) and value.strip().casefold() in _EMPTY):
        return None, None
    if isinstance(value, dt.datetime):
        return value.date(), value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value, value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        try:
            moment = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            moment = None
        if isinstance(moment, dt.datetime) and 2000 <= moment.year <= 2100:
            return moment.date(), moment.strftime("%d/%m/%Y")
        errors.append((key, {"line": str(line or ""), "value": _text(value)}))
        return None, None
    text = str(value).strip()
    try:
        date = workflow.parse_date(text, default_year=default_year)
    except workflow.EditError:
        date = _written_deadline(text, default_year)
        if date is None:
            errors.append((key, {"line": str(line or ""), "value": text[:60]}))
            return None, None
    if not 2000 <= date.year <= 2100:
        errors.append((key, {"line": str(line or ""), "value": text[:60]}))
        return None, None
    return date, text


def _written_deadline(text: str, year: int | None) -> dt.date | None:
    """A deadline written in words, as notices write them and the reader reads them: "trong quý
    II/2024", "tháng 6/2024", "trước ngày 30/6/2024". None when it names no single sure date."""
    from bot.notices.deadlines import find_deadlines, pick_deadline

    for attempt in (text, f"trong {text}"):
        found = pick_deadline(find_deadlines(attempt, year))
        if found is not None and found.date is not None and not found.problem:
            return found.date
    return None


def split_names(text: str) -> list[str]:
    """Names in a cell: one a line, or separated by ";"; a leading "-" or "•" of a list is dropped."""
    out = []
    for part in re.split(r"[;\n]", text or ""):
        part = re.sub(r"^[\s\-–•+*]+", "", part).strip().rstrip(".,")
        if part and part.casefold() not in _EMPTY:
            out.append(part)
    return out


def _find_header(ws, aliases: dict[str, str]) -> tuple[int, dict[int, str]] | None:
    """(row number, column index → field) of the first row that names "Nội dung" among the first ten."""
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=10, max_col=MAX_COLS, values_only=True), start=1):
        columns = {}
        for c, value in enumerate(row):
            field = aliases.get(fold(_text(value))) if value is not None else None
            if field and field not in columns.values():
                columns[c] = field
        if "text" in columns.values() and len(columns) >= 2:
            return r, columns
    return None


def read_sheet(data: bytes, name: str = "") -> Sheet:
    """The clerk's workbook → header fields and rows, or :class:`SheetError` naming each bad row."""
    if len(data) > MAX_BYTES:
        raise SheetError([("sheet.too_big", {"size": str(MAX_BYTES // (1024 * 1024))})])
    from openpyxl import load_workbook

    from bot.uploads import ZipLimit, check_zip

    try:
        check_zip(data)  # before anything is expanded: no zip bomb, no entity expansion
    except ZipLimit as exc:
        raise SheetError([(f"upload_limits.{exc.reason}", {"name": f"«{name or 'xlsx'}»", "member": exc.member, "size": exc.size_mb,
                                                            "limit": exc.limit_mb})]) from None
    except Exception:  # not a zip at all
        raise SheetError([("sheet.not_xlsx", {})]) from None
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a zip that is no workbook, an .xls renamed, a damaged file: one line
        raise SheetError([("sheet.not_xlsx", {})]) from None
    try:
        return _read(wb)
    finally:
        wb.close()


def _read(wb) -> Sheet:
    aliases = _header_aliases()
    found = None
    for ws in wb.worksheets:
        hit = _find_header(ws, aliases)
        if hit:
            found = ws, *hit
            break
    if found is None:
        raise SheetError([("sheet.no_table", {})])
    ws, header_row, columns = found
    errors: list[tuple[str, dict]] = []
    head = _read_head(wb, exclude=ws, errors=errors)
    default_year = head.issued_on.year if head.issued_on else None
    rows: list[SheetRow] = []
    for line, raw in enumerate(ws.iter_rows(min_row=header_row + 1, max_col=MAX_COLS, values_only=True),
                               start=header_row + 1):
        cells = {field: raw[c] if c < len(raw) else None for c, field in columns.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(("sheet.too_many_rows", {"max": str(MAX_ROWS)}))
            break
        text = _clean(_text(cells.get("text")))
        if not text:
            if all(_text(cells.get(f)) == "" for f in ("ref", "lead", "coordinate", "deadline", "recurring")):
                continue  # only a code or a note left in a row: nothing to keep
            errors.append(("sheet.row_no_text", {"line": str(line)}))
            continue
        deadline, deadline_text = _date(cells.get("deadline"), line=line, default_year=default_year,
                                        errors=errors, key="sheet.row_bad_date")
        code = _text(cells.get("code")) or None
        if code is not None:
            code = workflow.normalise_code(code)
        rows.append(SheetRow(
            line=line, code=code, ref=_clean(_text(cells.get("ref")))[:20], text=text,
            lead=split_names(_text(cells.get("lead"))), coordinate=split_names(_text(cells.get("coordinate"))),
            deadline=deadline, deadline_text=deadline_text, recurring=_clean(_text(cells.get("recurring"))) or None,
            notes=_clean(_text(cells.get("notes"))),
        ))
    if errors:
        raise SheetError(errors)
    if head.notice_id is None:
        ident = getattr(wb.properties, "identifier", None)
        head.notice_id = ident.strip() if isinstance(ident, str) and ident.strip() else None
    return Sheet(head, rows)


def _read_head(wb, *, exclude, errors: list) -> SheetHead:
    """Label | value pairs of the other sheets ("Thông báo")."""
    aliases = _head_aliases()
    head = SheetHead()
    for ws in wb.worksheets:
        if ws is exclude:
            continue
        for raw in ws.iter_rows(min_row=1, max_row=40, max_col=2, values_only=True):
            if not raw or raw[0] is None:
                continue
            field = aliases.get(fold(_text(raw[0])))
            value = raw[1] if len(raw) > 1 else None
            if field is None or getattr(head, field) is not None:
                continue
            if field == "issued_on":
                head.issued_on, _ = _date(value, line=None, default_year=None, errors=errors, key="sheet.head_bad_date")
            else:
                setattr(head, field, _clean(_text(value))[:500] or None)
    return head


# ------------------------------------------------------------------ diff

@dataclasses.dataclass
class Change:
    kind: str  # added | changed | removed
    task: Task  # the task after the change (removed: dropped)
    before: Task | None = None  # the task before (changed, removed)
    fields: list[str] = dataclasses.field(default_factory=list)  # changed fields, in FIELDS order
    line: int | None = None  # the sheet's row


@dataclasses.dataclass
class SheetDiff:
    tasks: list[Task]  # every task of the notice: the sheet's rows in order, then the removed ones
    changes: list[Change]
    head: dict[str, object]  # header fields the sheet changes: field → new value

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)

    @property
    def empty(self) -> bool:
        return not self.changes and not self.head


def _key(ref: dict) -> str:
    return ref.get("agency_id") or (f"group:{ref['group']}" if ref.get("group") else fold(ref.get("as_written") or
                                                                                          ref.get("name") or ""))


def resolve_names(names: Sequence[str], directory: Directory, known: Sequence[dict] = ()) -> list[dict]:
    """AGENCY dicts for names typed in a cell: the ones the task already had are kept as they were,
    the others resolved by the directory like the reader's; an unknown one is kept as written."""
    by_name = {}
    for ref in known:
        for form in (ref.get("name"), ref.get("as_written")):
            if form:
                by_name.setdefault(fold(form), ref)
    out: list[dict] = []
    for name in names:
        ref = by_name.get(fold(name)) or workflow.agency_ref(directory, name)
        if ref is None:
            ref = {"name": name, "agency_id": None, "group": None, "as_written": name}
        if _key(ref) not in {_key(r) for r in out}:
            out.append(dict(ref))
    return out


def _same_refs(a: Sequence[dict], b: Sequence[dict]) -> bool:
    return [_key(r) for r in a] == [_key(r) for r in b]


def apply_row(task: Task, row: SheetRow, directory: Directory) -> list[str]:
    """Set a task's fields from a row; the fields that changed (in FIELDS order)."""
    changed = []
    ref = row.ref or task.ref
    if ref != task.ref:
        task.ref = ref
        changed.append("ref")
    if " ".join(row.text.split()) != " ".join(task.text.split()):
        task.text = row.text
        changed.append("text")
    lead = resolve_names(row.lead, directory, task.lead)
    if not _same_refs(lead, task.lead):
        task.lead = lead
        changed.append("lead")
    coordinate = resolve_names(row.coordinate, directory, [*task.coordinate, *task.lead])
    lead_keys = {_key(r) for r in task.lead}
    coordinate = [r for r in coordinate if _key(r) not in lead_keys]
    if not _same_refs(coordinate, task.coordinate):
        task.coordinate = coordinate
        changed.append("coordinate")
    if row.deadline != task.deadline:
        task.deadline = row.deadline
        task.deadline_text = row.deadline_text
        changed.append("deadline")
    if (row.recurring or None) != (task.recurring or None):
        task.recurring = row.recurring
        changed.append("recurring")
    # The clerk looked at what they changed: its doubt goes; an emptied note clears every doubt.
    if not row.notes:
        task.warnings = []
    else:
        gone = {f"doubtful:{f}" for f in changed}
        task.warnings = [w for w in task.warnings if w not in gone]
    return changed


def changed_fields(before: Task, after: Task) -> list[str]:
    """The fields a chat command changed (in FIELDS order)."""
    out = []
    for field in FIELDS:
        a, b = getattr(before, field), getattr(after, field)
        if field in ("lead", "coordinate"):
            same = _same_refs(a, b)
        elif field == "text":
            same = " ".join(a.split()) == " ".join(b.split())
        else:
            same = (a or None) == (b or None)
        if not same:
            out.append(field)
    return out


def single(tasks: Sequence[Task], before: Task | None, after: Task) -> SheetDiff:
    """The diff of one task changed (or added, or removed) by a chat command."""
    out = [after if t.id == after.id else t for t in tasks]
    if before is None:
        out.append(after)
        change = Change("added", after, None, list(FIELDS))
    elif after.dropped and not before.dropped:
        change = Change("removed", after, before)
    elif before.dropped and not after.dropped:
        change = Change("added", after, before, changed_fields(before, after))
    else:
        fields = changed_fields(before, after)
        return SheetDiff(out, [Change("changed", after, before, fields)] if fields else [], {})
    return SheetDiff(out, [change], {})


def diff(sheet: Sheet, notice: Notice | None, tasks: Sequence[Task], directory: Directory, *,
         new_task_id: Callable[[], str]) -> SheetDiff:
    """What the sheet makes of the notice's tasks. Raises :class:`SheetError` for a code of another notice."""
    current = {t.code.upper(): t for t in tasks if t.code}
    used: set[str] = set()
    out: list[Task] = []
    changes: list[Change] = []
    errors: list[tuple[str, dict]] = []
    notice_id = notice.id if notice else ""
    for position, row in enumerate(sheet.rows, start=1):
        code = row.code if notice is not None else None  # a new notice: every row is new
        existing = current.get(code.upper()) if code else None
        if code and existing is None:
            errors.append(("sheet.row_unknown_code", {"line": str(row.line), "code": row.code}))
            continue
        if existing is not None and existing.code.upper() not in used:
            used.add(existing.code.upper())
            task = dataclasses.replace(existing, lead=[dict(r) for r in existing.lead],
                                       coordinate=[dict(r) for r in existing.coordinate],
                                       warnings=list(existing.warnings))
            fields = apply_row(task, row, directory)
            if existing.dropped:
                task.dropped = False
                changes.append(Change("added", task, existing, fields, row.line))
            elif fields:
                changes.append(Change("changed", task, existing, fields, row.line))
            out.append(task)
            continue
        # A new row, or a second row with the same code (a task split in two): a new task.
        task = Task(id=new_task_id(), notice_id=notice_id, code="", ref=row.ref or str(position), text="")
        apply_row(task, row, directory)
        task.warnings = []
        changes.append(Change("added", task, None, list(FIELDS), row.line))
        out.append(task)
    if errors:
        raise SheetError(errors)
    for task in tasks:
        if task.code and task.code.upper() not in used:
            removed = dataclasses.replace(task)
            if not task.dropped:
                removed.dropped = True
                changes.append(Change("removed", removed, task, [], None))
            out.append(removed)
    head: dict[str, object] = {}
    if notice is not None:
        for field in ("number", "issued_on", "kind", "issuer", "title"):
            value = getattr(sheet.head, field)
            if value is not None and value != getattr(notice, field):
                head[field] = value
    return SheetDiff(out, changes, head)


def new_notice(sheet: Sheet, *, notice_id: str, source: bytes, source_name: str, now: dt.datetime,
               by: int) -> Notice:
    """A notice typed from scratch in the sheet (no document)."""
    head = sheet.head
    if not head.number:
        raise SheetError([("sheet.new_no_number", {})])
    return Notice(id=notice_id, number=head.number, issued_on=head.issued_on, issuer=head.issuer,
                  kind=head.kind or plain("sheet.default_kind"), title=head.title,
                  source_sha256=workflow.sha256(source), source_name=source_name, state="draft",
                  created_at=now, created_by=by)
