"""The digest as a Word report in the Vietnamese administrative format (Decree 30/2020/NĐ-CP):
national header block, issuer, number and date placeholders, title, summary, per-agency table."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree

from bot.messages import fmt_date, short_text
from bot.models import Category, Role
from bot.texts import plain
from bot.tracking import CATEGORY_ORDER, category_label

from .model import DigestData, DigestSettings, Row

__all__ = ["render_docx", "FONT"]

FONT = "Times New Roman"
_BODY_PT = 14
_TABLE_PT = 12
_FONTS = "".join(f' w:{a}="{FONT}"' for a in ("ascii", "hAnsi", "eastAsia", "cs"))
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")  # control characters but tab and newline


def _font(run, size: float, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)


def _para(container, text: str = "", size: float = _BODY_PT, *, bold=False, italic=False,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False, space_after: float = 6):
    p = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.space_before = Pt(0)
    if indent:
        fmt.first_line_indent = Mm(12.7)
    if text:
        _font(p.add_run(text), size, bold, italic)
    return p


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.makeelement(qn("w:tblBorders"), {})
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = borders.makeelement(qn(f"w:{edge}"), {qn("w:val"): "nil"})
        borders.append(el)
    tbl_pr.append(borders)


def _cell_text(cell, text: str, size: float = _TABLE_PT, *, bold=False, italic=False,
               align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    _font(p.add_run(text), size, bold, italic)


def _row_xml(values: list[str], widths: list | None, size: float, left: Iterable[int] = frozenset(), *,
             bold: bool = False) -> str:
    """One table row as WordprocessingML (the ``w`` prefix declared by the document): python-docx's
    cell, paragraph and run calls cost about 10 ms a row (a year's report has a thousand). Same
    markup as :func:`_cell_text`."""
    rpr = (f'<w:rPr><w:rFonts{_FONTS}/><w:b w:val="{int(bold)}"/><w:i w:val="0"/>'
           f'<w:sz w:val="{int(size * 2)}"/></w:rPr>')
    cells = []
    for i, text in enumerate(values):
        jc = "left" if i in left else "center"
        width = f'<w:tcW w:type="dxa" w:w="{int(widths[i].twips)}"/>' if widths else ""
        cells.append(f'<w:tc><w:tcPr>{width}</w:tcPr>'
                     f'<w:p><w:pPr><w:spacing w:after="0"/><w:jc w:val="{jc}"/></w:pPr>'
                     f'<w:r>{rpr}<w:t xml:space="preserve">{escape(_xml_text(text))}</w:t></w:r></w:p></w:tc>')
    return f'<w:tr>{"".join(cells)}</w:tr>'


def _fast_row(table, values: list[str], widths: list | None, size: float, left: set[int] = frozenset(), *,
              bold: bool = False) -> None:
    """One row appended to ``table`` now (see :func:`_row_xml`)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    xml = _row_xml(values, widths, size, left, bold=bold)
    table._tbl.append(parse_xml(xml.replace("<w:tr>", f'<w:tr {nsdecls("w")}>', 1)))


class _Streamed:
    """Table rows written only as the document is saved, one at a time, straight into the compressed
    file: a year's thousand rows never become a tree of XML elements in memory (about 40 MB)."""

    _MARK = re.compile(r"<!--dondoc-rows-(\d+)-->")

    def __init__(self) -> None:
        self.rows: list[Iterable[str]] = []

    def add(self, table, rows: Iterable[str]) -> None:
        """``rows`` (an iterator of :func:`_row_xml` strings) go at the end of ``table`` when saved."""
        table._tbl.append(etree.Comment(f"dondoc-rows-{len(self.rows)}"))
        self.rows.append(rows)

    def save(self, doc) -> bytes:
        built = io.BytesIO()
        doc.save(built)
        out = io.BytesIO()
        with zipfile.ZipFile(built) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                if info.filename != "word/document.xml":
                    dst.writestr(info, src.read(info.filename))
                    continue
                pieces = self._MARK.split(src.read(info.filename).decode("utf-8"))
                with dst.open(info, "w") as f:
                    f.write(pieces[0].encode("utf-8"))
                    for i in range(1, len(pieces), 2):
                        for row in self.rows[int(pieces[i])]:
                            f.write(row.encode("utf-8"))
                        f.write(pieces[i + 1].encode("utf-8"))
        return out.getvalue()


def _xml_text(text: str) -> str:
    """Characters XML 1.0 cannot hold (control characters) left out, as python-docx refuses them."""
    return _CONTROL.sub("", text)


def _task_status(rows: list[Row]) -> str:
    """What the lead agencies of one task stand at: the category (and days late) of a single lead,
    else the count per category."""
    leads = [r for r in rows if r.role == Role.LEAD] or rows
    if leads[0].standing:
        return plain("standing.category")
    if len(leads) == 1:
        r = leads[0]
        label = category_label(r.category)
        return plain("notices_doc.late", label=label, days=r.days_overdue) if r.days_overdue and \
            r.category == Category.OPEN_OVERDUE else label
    counts: dict[Category, int] = {}
    for r in leads:
        counts[r.category] = counts.get(r.category, 0) + 1
    return "; ".join(f"{category_label(c)}: {counts[c]}" for c in CATEGORY_ORDER if c in counts)


def _notices_section(doc, data: DigestData, streamed: _Streamed) -> None:
    """Each notice by number, date and title, with its tasks under it (one row per task)."""
    if not data.by_notice:
        return
    _para(doc, plain("notices_doc.section"), bold=True)
    headers = [plain("digest.col_stt"), plain("notices_doc.col_ref"), plain("notices_doc.col_task"),
               plain("notices_doc.col_lead"), plain("notices_doc.col_deadline"), plain("notices_doc.col_status")]
    widths = [Mm(9), Mm(11), Mm(63), Mm(34), Mm(20), Mm(28)]
    for notice, rows in data.by_notice:
        issued = notice.issued_on.strftime("%d/%m/%Y") if notice.issued_on else "…"
        heading = plain("notices_doc.notice", number=notice.number or "…", date=issued)
        p = _para(doc, "", indent=True, space_after=2)
        _font(p.add_run(heading), _BODY_PT, bold=True)
        if notice.title:
            _font(p.add_run(" " + plain("notices_doc.about", title=" ".join(notice.title.split()))), _BODY_PT)
        tasks: dict[str, list[Row]] = {}
        for r in rows:
            tasks.setdefault(r.assignment.task_id, []).append(r)
        table = doc.add_table(rows=0, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _fast_row(table, headers, widths, 11, bold=True)
        streamed.add(table, _task_rows(tasks, widths))
        _para(doc, "", space_after=6)


def _task_rows(tasks: dict[str, list[Row]], widths: list) -> Iterator[str]:
    for n, task_rows in enumerate(tasks.values(), start=1):
        first = task_rows[0]
        leads = [r for r in task_rows if r.role == Role.LEAD]
        if first.standing:
            lead = plain("standing.every_agency", count=len(leads))
        elif len(leads) > 3:
            lead = plain("notices_doc.agencies", count=len(leads))
        else:
            lead = "; ".join(r.agency_name for r in leads) or "—"
        values = [str(n), first.ref, f"{first.code}. {short_text(first.task_text, 300)}", lead,
                  fmt_date(first.deadline) if first.deadline else plain("notices_doc.no_deadline"),
                  _task_status(task_rows)]
        yield _row_xml(values, widths, 11, left={2, 3, 5})


def _agency_rows(data: DigestData, widths: list) -> Iterator[str]:
    for n, (name, summ) in enumerate(data.agencies, start=1):
        values = [str(n), name, str(summ.total)] + [str(summ.counts[c]) for c in CATEGORY_ORDER] + [
            str(summ.standing)]
        yield _row_xml(values, widths, _TABLE_PT, left={1})
    s = data.summary
    values = ["", plain("digest.total_lead"), str(s.total)] + [str(s.counts[c]) for c in CATEGORY_ORDER] + [
        str(s.standing)]
    yield _row_xml(values, None, _TABLE_PT, left={1}, bold=True)


def render_docx(data: DigestData, settings: DigestSettings | None = None) -> bytes:
    settings = settings or DigestSettings()
    streamed = _Streamed()
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(_BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)

    # Header block: issuer on the left, national motto on the right.
    head = doc.add_table(rows=1, cols=2)
    _no_borders(head)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = head.rows[0].cells
    left.width, right.width = Mm(70), Mm(95)
    _cell_text(left, settings.issuer_parent.upper(), 13)
    p = left.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(0)
    _font(p.add_run(settings.issuer.upper()), 13, bold=True)
    p = left.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(plain("digest.doc_number", suffix=settings.number_suffix)), 13)
    _cell_text(right, plain("digest.doc_nation"), 13, bold=True)
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_after = Pt(0)
    _font(p.add_run(plain("digest.doc_motto")), 14, bold=True)
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("―――――――"), 10)
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(plain("digest.doc_place_date", place=settings.place)), 14, italic=True)

    _para(doc, "", space_after=6)
    _para(doc, plain("digest.doc_kind"), 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, plain("digest.doc_title"), 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    _para(doc, plain("digest.doc_period", start=data.week_start.strftime("%d/%m/%Y"),
                 end=data.now.strftime("%d/%m/%Y")), 14, italic=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)

    s = data.summary
    _para(doc, plain("digest.doc_section_summary"), bold=True)
    _para(doc, plain("digest.doc_summary", notices=data.notices, total=s.total), indent=True)
    for c in CATEGORY_ORDER:
        _para(doc, plain("digest.doc_count", label=category_label(c), count=s.counts[c]), indent=True,
              space_after=2)
    _para(doc, plain("digest.doc_rate", rate=s.rate_text(), done=s.done, due=s.due), indent=True)
    if s.standing:
        _para(doc, plain("standing.doc_line", count=s.standing_tasks, assignments=s.standing), indent=True)
    _para(doc, plain("digest.doc_week", reports=len(data.new_reports), completed=len(data.completed),
                 newly_overdue=len(data.newly_overdue), extensions=len(data.extensions)), indent=True)

    if data.overdue:
        _para(doc, plain("digest.doc_section_overdue", count=len(data.overdue)), bold=True)
        for row in data.overdue[:settings.max_items]:
            _para(doc, plain("digest.doc_overdue_item", code=row.code, agency=row.agency_name,
                         days=row.days_overdue, deadline=fmt_date(row.deadline),
                         text=short_text(row.task_text, 200)), indent=True, space_after=2)
        if len(data.overdue) > settings.max_items:
            _para(doc, plain("digest.doc_more", count=len(data.overdue) - settings.max_items),
                  indent=True, italic=True)

    _para(doc, plain("digest.doc_section_agencies"), bold=True)
    headers = [plain("digest.col_stt"), plain("digest.col_agency"), plain("digest.col_total")] + [
        category_label(c) for c in CATEGORY_ORDER
    ] + [plain("standing.column")]
    table = doc.add_table(rows=0, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = [Mm(10), Mm(40), Mm(13)] + [Mm(17)] * len(CATEGORY_ORDER) + [Mm(17)]
    _fast_row(table, headers, widths, 11, bold=True)
    streamed.add(table, _agency_rows(data, widths))
    _para(doc, plain("digest.doc_table_note"), 12, italic=True, space_after=12)

    _notices_section(doc, data, streamed)

    # Recipients on the left, signature on the right.
    foot = doc.add_table(rows=1, cols=2)
    _no_borders(foot)
    left, right = foot.rows[0].cells
    _cell_text(left, plain("digest.doc_recipients"), 12, bold=True, italic=True,
               align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in plain("digest.doc_recipients_list").split("\n"):
        p = left.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        _font(p.add_run(line), 11)
    _cell_text(right, plain("digest.doc_signer"), 14, bold=True)
    return streamed.save(doc)
