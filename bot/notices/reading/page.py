"""Stage 1 of the reader: the page.

Input: the notice's text (clean_text'ed). Output: its lines without page furniture
(:func:`page_lines`), and the tables of tasks cut out of them (:func:`find_tables`): each table is
replaced by a marker line ``⟦k⟧.`` that the outline places under the item it belongs to.
"""

from __future__ import annotations

import re
from typing import TypedDict

from bot.notices.extract import task_table_columns
from bot.notices.normalize import fold_str
from bot.notices.reading.outline import _DASH_RE, _LETTER_RE, _NUM_RE

__all__ = ["Table", "page_lines", "find_tables", "row_cells", "TABLE_MARK"]


class Table(TypedDict):
    header: list[str]  # the header row's cells
    cols: dict[str, int]  # column of each field: ref, content, lead, coordinate, deadline, product
    rows: list[list[str]]


_PAGE_NO = re.compile(r"^\s*[-–—(\[]*\s*(?:trang|page)?\s*\d{1,3}\s*(?:/\s*\d{1,3})?\s*[-–—)\]]*\s*$", re.I)


TABLE_MARK = re.compile(r"⟦(\d{1,4})⟧\.")
_ROMAN_CELL = re.compile(r"[IVX]{1,5}\b")


def row_cells(line: str) -> list[str] | None:
    """The cells of a table row written on one line: "| 1 | ... | ... |" (as extracted from a .docx),
    "1 | ... | ..." or cells between tabs; None for an ordinary line."""
    s = line.strip()
    if not s:
        return None
    if s.startswith("|") and s.endswith("|") and s.count("|") >= 3:
        return [c.strip() for c in s[1:-1].split("|")]
    if s.count(" | ") >= 2:
        return [c.strip() for c in s.split("|")]
    if line.count("\t") >= 2:
        return [c.strip() for c in line.strip("\n").split("\t")]
    return None


def _TABLE_HEADER_AGAIN(row: list[str], header: list[str]) -> bool:
    return [fold_str(c).strip() for c in row] == [fold_str(c).strip() for c in header]



def page_lines(text: str) -> list[str]:
    """The text's lines without page furniture: page numbers and running headers (a line seen three
    times or more that opens no item) become blank lines, so the line count stays."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    counts: dict[str, int] = {}
    keys = []
    for ln in lines:
        k = " ".join(fold_str(ln).split())
        keys.append(k)
        if 4 <= len(k) <= 100:
            counts[k] = counts.get(k, 0) + 1
    out = []
    for ln, k in zip(lines, keys):
        if _PAGE_NO.match(ln) and ln.strip():
            out.append("")
            continue
        if counts.get(k, 0) >= 3 and not _DASH_RE.match(ln) and not _NUM_RE.match(ln) and \
                not _LETTER_RE.match(ln):
            out.append("")
            continue
        out.append(ln)
    return out


def find_tables(lines: list[str], start: int) -> tuple[list[str], list[Table]]:
    """Tables of tasks after the header (rows as "| 1 | ... | ... |", or cells between tabs or " | "):
    each is cut out of the lines and replaced by a marker line, so that the parser places it."""
    tables: list[Table] = []
    out = list(lines[:start])
    i = start
    n = len(lines)
    while i < n:
        cells = row_cells(lines[i])
        cols = task_table_columns(cells) if cells else None
        if cols is None:
            out.append(lines[i])
            i += 1
            continue
        rows: list[list[str]] = []
        j = i + 1
        while j < n:
            row = row_cells(lines[j])
            if row is None:
                if not lines[j].strip() and j + 1 < n and row_cells(lines[j + 1]) is not None:
                    j += 1  # a blank line between rows
                    continue
                break
            rows.append(row)
            j += 1
        tables.append({"header": cells, "cols": cols, "rows": rows})
        out.extend([f"⟦{len(tables) - 1}⟧.", ""])
        i = j
    return out, tables
