"""Doubt flags: cross-check what OCR commonly breaks in a notice reading, instead of trusting it.

:func:`doubt_checks` takes the reader's JSON result (issue 3 shape) and the text it was read from,
and returns a copy where doubtful items carry ``item["doubtful"]`` (field names among ``"ref"``,
``"text"``, ``"deadline"``, ``"lead"``, ``"coordinate"``) and a Vietnamese warning per doubt in
``item["warnings"]``. The bot's preview marks those fields for the clerk.

What Tesseract's Vietnamese model still gets wrong on office scans, and what is checked here:
- item numbers: "5." read as "9." (1, 2, 3, 9, 5), "2." read without its dot ("2 Tập trung ..."
  is then swallowed by item 1): numbering out of sequence, or a number missing with a dot-less
  line in the text;
- deadlines: "quý II" read as "quý I" (a wrong but valid deadline), "III" as "II1": a deadline
  before the notice's date of issue, a quarter or month deadline earlier than another date named
  in the same item, a quarter numeral that is not a Roman numeral;
- agency names: a name that only nearly matches the directory (``Match.sure`` False or a score
  below exact), or none at all.

Pure: no I/O, the input is not modified.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import re
import unicodedata
from typing import Any, Iterable

from bot.texts import plain

__all__ = ["doubt_checks", "DOUBT_FIELDS"]

DOUBT_FIELDS = ("ref", "text", "deadline", "lead", "coordinate")
EXACT_SCORE = 100.0

_ROMAN = re.compile(r"^[IVXLC]+$")
_UPPER_START = r"(?=[^\W\d_])"


def doubt_checks(result: dict, text: str, directory: Any = None, *, exact: float = EXACT_SCORE) -> dict:
    """A copy of ``result`` with doubt flags on the fields OCR may have read wrong.

    ``directory`` (a :class:`bot.directory.Directory`, optional) re-resolves each agency as written:
    unsure or below ``exact`` → doubtful. Without it only unresolved agencies and the reader's
    own ``sure``/``score`` keys (when present) are used.
    """
    out = copy.deepcopy(result) if isinstance(result, dict) else {}
    items = [it for it in (out.get("items") or []) if isinstance(it, dict)]
    text = unicodedata.normalize("NFC", text or "")
    notice = out.get("notice") if isinstance(out.get("notice"), dict) else {}
    issued = _iso(notice.get("issued_on"))

    before = {id(it): len(it.get("doubtful") or []) for it in items}
    _check_sequence(items, text)
    for item in items:
        _check_deadline(item, issued)
        _check_agencies(item, directory, exact)
    flagged = sum(1 for it in items if len(it.get("doubtful") or []) > before[id(it)])
    if flagged:
        warnings = out.setdefault("warnings", [])
        if isinstance(warnings, list):
            warnings.append(plain("ocr.doubt_summary", count=flagged))
    return out


def _flag(item: dict, fields: Iterable[str], warning: str) -> None:
    doubtful = item.get("doubtful")
    if not isinstance(doubtful, list):
        doubtful = item["doubtful"] = []
    for field in fields:
        if field not in doubtful:
            doubtful.append(field)
    warnings = item.get("warnings")
    if not isinstance(warnings, list):
        warnings = item["warnings"] = []
    if warning not in warnings:
        warnings.append(warning)


# --------------------------------------------------------------------------- item numbers


def _number(ref: Any) -> tuple[str | None, int] | None:
    """(section, number) of a ref: "3" → (None, 3), "3.a"/"8.1" → (None, 3/8), "II.3" → ("II", 3)."""
    if not isinstance(ref, str):
        return None
    parts = [p for p in ref.strip().split(".") if p]
    if len(parts) >= 2 and _ROMAN.match(parts[0]) and parts[1].isdecimal():
        return parts[0], int(parts[1])
    if parts and parts[0].isdecimal():
        return None, int(parts[0])
    return None


def _line_with_dot(text: str, number: int) -> bool:
    return re.search(rf"(?m)^[ \t]*{number}[ \t]*[.)][ \t]", text) is not None


def _line_without_dot(text: str, number: int) -> bool:
    """A line that starts like an item but whose number lost its dot: "2 Tập trung ...", "2, Tập ..."."""
    for m in re.finditer(rf"(?m)^[ \t]*{number}(?:[ \t]+|,[ \t]*){_UPPER_START}(\w)", text):
        if m.group(1).isupper():
            return True
    return False


def _check_sequence(items: list[dict], text: str) -> None:
    # consecutive items with the same top number (sub-items 8.1, 8.2, 3.a) form one entry
    entries: list[tuple[str | None, int, list[dict]]] = []
    for item in items:
        pos = _number(item.get("ref"))
        if pos is None:
            continue
        if entries and entries[-1][0] == pos[0] and entries[-1][1] == pos[1]:
            entries[-1][2].append(item)
        else:
            entries.append((pos[0], pos[1], [item]))
    sections: dict[str | None, list[tuple[int, list[dict]]]] = {}
    for section, number, group in entries:
        sections.setdefault(section, []).append((number, group))

    for seq in sections.values():
        believed: list[int] = []  # each entry's number as we believe it (a misread one corrected)
        for i, (number, group) in enumerate(seq):
            prev = believed[-1] if believed else None
            nxt = seq[i + 1][0] if i + 1 < len(seq) else None
            ref = str(group[0].get("ref"))
            believed.append(number)
            if prev is None:
                if nxt == 2 and number != 1:
                    believed[-1] = 1
                    for item in group:
                        _flag(item, ["ref"], plain("ocr.doubt_sequence", ref=ref, previous="—", expected=1))
                continue
            expected = prev + 1
            if number == expected:
                continue
            sandwiched = nxt is not None and nxt == expected + 1
            if sandwiched or number <= prev:
                believed[-1] = expected
                for item in group:
                    _flag(item, ["ref"], plain("ocr.doubt_sequence", ref=ref, previous=prev, expected=expected))
                continue
            # a gap: expected .. number-1 are not items
            missing = list(range(expected, number))
            prev_group = seq[i - 1][1]
            unexplained = []
            for m in missing:
                if _line_with_dot(text, m):
                    continue  # the reader saw it and did not make it a task
                if _line_without_dot(text, m):
                    for item in prev_group[-1:]:
                        _flag(item, ["ref", "text"], plain("ocr.doubt_no_dot", missing=m, ref=item.get("ref")))
                    continue
                unexplained.append(m)
            if unexplained:
                for item in group:
                    _flag(item, ["ref"], plain("ocr.doubt_missing", missing=", ".join(map(str, unexplained)),
                                            previous=prev, ref=ref))


# --------------------------------------------------------------------------- deadlines

_DATE_PATTERNS = [
    # ngày 15 tháng 5 năm 2024
    re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.I),
    # 15/5/2024, 15-5-2024, 15.5.2024
    re.compile(r"(?<![\d/])(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})(?!\d)"),
]
# tháng 5 năm 2024, tháng 5/2024 (not preceded by a day: handled above)
_MONTH_PATTERN = re.compile(r"(?<!\d\s)tháng\s+(\d{1,2})\s*(?:năm\s+|/\s*)(\d{4})", re.I)
_QUARTER = re.compile(r"qu[ýy]\s+([^\s/,;.]{1,5})\s*(?:/\s*\d{4}|năm\s+\d{4})", re.I)
_QUARTER_NUMERALS = {"I", "II", "III", "IV", "1", "2", "3", "4"}
# a period given as a deadline: "trong quý II/2024", "trước quý III năm 2024", "trong tháng 3/2024"
_CUE = r"(?:trong|trước|hết|cuối|chậm nhất(?:\s+(?:trong|vào))?|hoàn thành(?:\s+trong)?)\s+"
_PERIOD_DEADLINE = re.compile(
    _CUE + r"(?:(quý)\s+(IV|I{1,3}|[1-4])|(tháng)\s+(\d{1,2}))\s*(?:/\s*|năm\s+)(\d{4})(?!\d)"
    r"(?=\s*(?:[.;)]|$))",  # ends its clause, as deadlines do ("Trong quý I năm 2024, ..." is narrative)
    re.I)
_ROMAN_VALUE = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD_WORDS = re.compile(r"\b(quý|tháng|năm)\b", re.I)


def _iso(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _dates_in(text: str) -> list[tuple[dt.date, str]]:
    """Explicit dates (and months, as their last day) named in ``text``, with the words read."""
    found: list[tuple[dt.date, str]] = []
    spans: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            d = _safe_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            if d:
                found.append((d, m.group(0)))
                spans.append(m.span())
    for m in _MONTH_PATTERN.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        month, year = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            found.append((dt.date(year, month, calendar.monthrange(year, month)[1]), m.group(0)))
    return found


def _period_end(m: re.Match[str]) -> dt.date | None:
    year = int(m.group(5))
    if m.group(1):
        quarter = _ROMAN_VALUE.get(m.group(2).upper())
        month = 3 * quarter if quarter else 0
    else:
        month = int(m.group(4))
    if not 1 <= month <= 12 or not 1900 < year < 2200:
        return None
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _check_deadline(item: dict, issued: dt.date | None) -> None:
    deadline = _iso(item.get("deadline"))
    deadline_text = item.get("deadline_text") if isinstance(item.get("deadline_text"), str) else ""
    body = item.get("text") if isinstance(item.get("text"), str) else ""
    body = unicodedata.normalize("NFC", body)

    for m in _QUARTER.finditer(body + " " + deadline_text):
        if m.group(1).upper() not in _QUARTER_NUMERALS:  # "quý HI/2024", "quý II1/2025"
            _flag(item, ["deadline"], plain("ocr.doubt_quarter", written=m.group(0).strip()))
            break

    if deadline is None:
        # the reader drops a period already over when the notice was issued ("trong quý I/2024"
        # in April 2024): from a scan that is more likely "quý II" misread than a past period
        if issued is not None and not item.get("recurring"):
            for m in _PERIOD_DEADLINE.finditer(body):
                end = _period_end(m)
                if end is not None and end < issued and end.year == issued.year:
                    _flag(item, ["deadline"], plain("ocr.doubt_before_issue", deadline=m.group(0).strip(),
                                                issued=issued.strftime("%d/%m/%Y")))
                    break
        return
    if issued is not None and deadline < issued:
        _flag(item, ["deadline"], plain("ocr.doubt_before_issue", deadline=deadline.strftime("%d/%m/%Y"),
                                    issued=issued.strftime("%d/%m/%Y")))
        return
    if not _PERIOD_WORDS.search(deadline_text or ""):
        return  # an exact date: nothing to disagree with
    other = body.replace(deadline_text, " ") if deadline_text else body
    for day, words in _dates_in(other):
        if day.year == deadline.year and day > deadline:
            _flag(item, ["deadline"], plain("ocr.doubt_date_conflict", deadline_text=deadline_text,
                                        date=day.strftime("%d/%m/%Y")))
            return


# --------------------------------------------------------------------------- agencies


def _check_agencies(item: dict, directory: Any, exact: float) -> None:
    for role in ("lead", "coordinate"):
        agencies = item.get(role)
        if not isinstance(agencies, list):
            continue
        for agency in agencies:
            if not isinstance(agency, dict) or agency.get("group"):
                continue
            written = str(agency.get("as_written") or agency.get("name") or "").strip()
            name = str(agency.get("name") or written)
            score = agency.get("score")
            if agency.get("sure") is False or (isinstance(score, (int, float)) and score < exact):
                _flag(item, [role], plain("ocr.doubt_agency", written=written, name=name))
                continue
            if not agency.get("agency_id"):
                _flag(item, [role], plain("ocr.doubt_agency_unknown", written=written))
                continue
            if directory is None or not written:
                continue
            try:
                match = directory.resolve(written)
            except Exception:  # a directory problem must not stop the preview
                continue
            if match.group:
                continue
            matched = getattr(match, "agency", None)
            if (not match.sure or match.score < exact or matched is None
                    or getattr(matched, "id", None) != agency.get("agency_id")):
                _flag(item, [role], plain("ocr.doubt_agency", written=written, name=name))
