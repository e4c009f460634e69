"""From the bytes of an uploaded notice to its text.

Supported: ``.txt`` (UTF-8, UTF-8/16/32 with a byte-order mark, UTF-16 without one,
and the Vietnamese Windows code page cp1258), ``.docx`` (paragraphs and tables in
document order, automatic numbering rendered as text: "1.", "a)", "-"), ``.pdf`` with a
text layer (pypdf).

A table of tasks in a .docx (a header row like "STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan
phối hợp | Thời gian hoàn thành", see :func:`task_table_columns`) comes out one row per line, its cells
between bars ("| 1 | Xây dựng kế hoạch ... | Sở Nội vụ | Sở Tư pháp | Quý III/2024 |"), so that the
reader can tell the columns apart; any other table (the header of the notice, the signatures) comes
out cell by cell, one paragraph per line. The format is recognised from the content first, the file name
second.

Everything else raises a :class:`NoticeFileError` subclass whose message is one
Vietnamese line naming the file. An image-only PDF and a photo (.jpg, .png, ...)
raise :class:`NeedsOCR`: the OCR layer (``bot.notices.ocr``) catches exactly that and
reads the scan itself; this module stays pure (no subprocess, no OCR).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import PurePath

from bot.texts import Raw, t

from bot.notices.normalize import clean_text

__all__ = [
    "MAX_BYTES", "NoticeFileError", "NeedsOCR", "TooLarge", "Encrypted", "UnknownFormat", "EmptyFile",
    "CorruptFile", "NoTasks", "extract_text", "decode_text", "task_table_columns",
]

log = logging.getLogger("dondoc.notices.extract")

MAX_BYTES = 20 * 1024 * 1024  # what a Telegram bot can download


class NoticeFileError(Exception):
    """A notice file that cannot be read; ``message`` is one line for the user."""

    key = "corrupt"

    def __init__(self, message: str) -> None:
        message = " ".join(str(message).split())
        super().__init__(message)
        self.message = message

    @classmethod
    def for_file(cls, name: str, **values: object) -> "NoticeFileError":
        shown = PurePath(name or "").name or "?"
        vals = {k: Raw(str(v)) for k, v in values.items()}
        return cls(t(f"notice_file.{cls.key}", name=Raw(f"«{shown}»"), **vals))


class NeedsOCR(NoticeFileError):
    """A scan: a PDF without a text layer, or a photo. The OCR layer reads these."""

    key = "needs_ocr"


class TooLarge(NoticeFileError):
    key = "too_large"


class Encrypted(NoticeFileError):
    key = "encrypted"


class UnknownFormat(NoticeFileError):
    key = "unknown_format"


class EmptyFile(NoticeFileError):
    key = "empty"


class CorruptFile(NoticeFileError):
    key = "corrupt"


class NoTasks(NoticeFileError):
    """The file was read, but no task was found in it: no draft is made of it."""

    key = "no_tasks"


_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")
_IMAGE_EXT = {".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".bmp", ".webp", ".heic", ".heif"}
_TEXT_EXT = {"", ".txt", ".text", ".md", ".csv", ".log"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ext(filename: str) -> str:
    return PurePath(filename or "").suffix.lower()


def _is_image(data: bytes) -> bool:
    if data.startswith(_IMAGE_MAGIC):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc")


def extract_text(data: bytes, filename: str) -> str:
    """The text of a notice file. Raises :class:`NoticeFileError` (one-line message)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UnknownFormat.for_file(filename)
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise TooLarge.for_file(filename, size=f"{len(data) / 1024 / 1024:.1f}".replace(".", ","),
                                limit=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise EmptyFile.for_file(filename)
    ext = _ext(filename)
    if data.find(b"%PDF-", 0, 1024) >= 0:
        text = _pdf_text(data, filename)
    elif data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        text = _zip_text(data, filename, ext)
    elif data.startswith(_OLE):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise Encrypted.for_file(filename)  # a password-protected .docx is an OLE container
        raise UnknownFormat(t("notice_file.old_word", name=Raw(f"«{PurePath(filename or '').name or '?'}»")))
    elif _is_image(data):
        raise NeedsOCR.for_file(filename)
    elif ext in _IMAGE_EXT:
        raise CorruptFile.for_file(filename)
    elif ext == ".pdf" or ext == ".docx":
        raise CorruptFile.for_file(filename)
    elif data.lstrip().startswith(b"{\\rtf"):
        raise UnknownFormat.for_file(filename)
    else:
        text = decode_text(data, filename, strict_ext=ext not in _TEXT_EXT)
    text = clean_text(text)
    if not text.strip():
        if data.find(b"%PDF-", 0, 1024) >= 0:
            raise NeedsOCR.for_file(filename)
        raise EmptyFile.for_file(filename)
    return text


# ---------------------------------------------------------------- plain text

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
)


def decode_text(data: bytes, filename: str = "", *, strict_ext: bool = False) -> str:
    """Decode a plain-text notice; raises :class:`UnknownFormat` for binary data."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec)
            except UnicodeDecodeError:
                raise CorruptFile.for_file(filename) from None
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a byte-order mark: NULs on the odd (LE) or even (BE) bytes
        odd = sample[1::2].count(0)
        even = sample[0::2].count(0)
        codec = "utf-16-le" if odd > even else "utf-16-be"
        try:
            text = data[: len(data) // 2 * 2].decode(codec)
        except UnicodeDecodeError:
            raise UnknownFormat.for_file(filename) from None
        if not _plausible(text):
            raise UnknownFormat.for_file(filename)
        return text
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1258", errors="replace")
    controls = sum(1 for c in text[:8192] if (ord(c) < 32 and c not in "\t\n\r\f\v") or c == "\ufffd")
    if controls > max(2, len(text[:8192]) // 100):
        raise UnknownFormat.for_file(filename)
    if not _plausible(text):
        raise UnknownFormat.for_file(filename)
    if strict_ext and not re.search(r"[^\W\d_]{2,}", text[:8192]):
        raise UnknownFormat.for_file(filename)
    return text


def _plausible(text: str) -> bool:
    """Mostly Latin script (Vietnamese included), whitespace and punctuation: a text, not binary."""
    sample = text[:8192]
    if not sample:
        return True
    ok = sum(1 for c in sample if c < "\u0180" or c in "ƠơƯư" or "\u1e00" <= c <= "\u1eff" or "\u0300" <= c <= "\u036f"
             or "\u2000" <= c <= "\u206f" or c in "\u20ab\u2116")
    return ok >= 0.9 * len(sample)


# ---------------------------------------------------------------- PDF

def _pdf_text(data: bytes, filename: str) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError, PdfReadError
    except ImportError:  # pragma: no cover - pypdf is a dependency
        raise UnknownFormat.for_file(filename) from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")  # "owner password only" PDFs open with an empty password
            except Exception:  # noqa: BLE001 - missing crypto backend, unsupported algorithm
                ok = 0
            if not ok:
                raise Encrypted.for_file(filename)
        from bot.uploads import MAX_PDF_PAGES

        if len(reader.pages) > MAX_PDF_PAGES:
            raise TooLarge(t("upload_limits.pdf_pages", name=Raw(f"«{PurePath(filename or '').name or '?'}»"),
                             pages=Raw(str(len(reader.pages))), limit=Raw(str(MAX_PDF_PAGES))))
        pages = []
        for page in reader.pages:
            try:
                pages.append(page.extract_text() or "")
            except (FileNotDecryptedError,):
                raise Encrypted.for_file(filename) from None
    except NoticeFileError:
        raise
    except (PdfReadError, Exception) as exc:  # noqa: BLE001 - any parser failure is a bad file
        log.info("unreadable PDF %r: %s: %s", filename, type(exc).__name__, exc)
        raise CorruptFile.for_file(filename) from None
    if not pages:
        raise CorruptFile.for_file(filename)
    text = "\n\f\n".join(pages)
    if len(re.sub(r"\s+", "", text)) < 16 * max(1, min(len(pages), 3)) // 3 + 8:
        raise NeedsOCR.for_file(filename)
    return text


# ---------------------------------------------------------------- DOCX

def _zip_text(data: bytes, filename: str, ext: str) -> str:
    from bot.uploads import ZipLimit, check_zip

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
        check_zip(data)  # before anything is expanded
    except ZipLimit as exc:
        log.info("refused archive %r: %s", filename, exc)
        raise TooLarge(t(f"upload_limits.{exc.reason}", name=Raw(f"«{PurePath(filename or '').name or '?'}»"),
                         member=Raw(exc.member), size=Raw(exc.size_mb), limit=Raw(exc.limit_mb))) from None
    except (zipfile.BadZipFile, Exception):  # noqa: BLE001 - truncated or broken archive
        raise CorruptFile.for_file(filename) from None
    if "word/document.xml" not in names:
        if ext == ".docx":
            raise CorruptFile.for_file(filename)
        raise UnknownFormat.for_file(filename)
    try:
        return _docx_text(data)
    except NoticeFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file
        log.info("unreadable DOCX %r: %s: %s", filename, type(exc).__name__, exc)
        raise CorruptFile.for_file(filename) from None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _roman(n: int) -> str:
    vals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
            (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for v, s in vals:
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def _letters(n: int) -> str:
    n = max(1, n)
    letter = "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26]
    return letter * ((n - 1) // 26 + 1)


def _fmt(fmt: str, n: int) -> str:
    if fmt in ("decimal", "decimalZero"):
        return f"{n:02d}" if fmt == "decimalZero" and n < 10 else str(n)
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "none":
        return ""
    return str(n)


class _Numbering:
    """Renders Word automatic numbering ("%1.", "%1.%2.", "a)", bullets) for paragraphs."""

    def __init__(self, document) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId → ilvl → (fmt, text, start)
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except Exception:  # noqa: BLE001 - no numbering part
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for an in root.findall(f"{_W}abstractNum"):
            lv: dict[int, tuple[str, str, int]] = {}
            for lvl in an.findall(f"{_W}lvl"):
                ilvl = int(lvl.get(f"{_W}ilvl", "0"))
                fmt_el = lvl.find(f"{_W}numFmt")
                txt_el = lvl.find(f"{_W}lvlText")
                start_el = lvl.find(f"{_W}start")
                lv[ilvl] = (fmt_el.get(f"{_W}val", "decimal") if fmt_el is not None else "decimal",
                            txt_el.get(f"{_W}val", "") if txt_el is not None else "",
                            int(start_el.get(f"{_W}val", "1")) if start_el is not None else 1)
            abstract[an.get(f"{_W}abstractNumId", "")] = lv
        for num in root.findall(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            lv = dict(abstract.get(ref.get(f"{_W}val", ""), {}))
            for ov in num.findall(f"{_W}lvlOverride"):
                so = ov.find(f"{_W}startOverride")
                ilvl = int(ov.get(f"{_W}ilvl", "0"))
                if so is not None and ilvl in lv:
                    f, tx, _ = lv[ilvl]
                    lv[ilvl] = (f, tx, int(so.get(f"{_W}val", "1")))
            self.levels[num.get(f"{_W}numId", "")] = lv

    def label(self, paragraph) -> str:
        ppr = paragraph._p.pPr
        numpr = ppr.numPr if ppr is not None else None
        if numpr is None:
            style = paragraph.style
            while style is not None and numpr is None:
                sppr = style.element.pPr
                numpr = sppr.numPr if sppr is not None else None
                style = style.base_style
        if numpr is None or numpr.numId is None:
            return ""
        num_id = str(numpr.numId.val)
        ilvl = int(numpr.ilvl.val) if numpr.ilvl is not None else 0
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels or num_id == "0":
            return ""
        counters = self.counters.setdefault(num_id, {})
        fmt, text, start = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        if fmt == "bullet":
            return "-"

        def sub(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            f, _, st = levels.get(k, ("decimal", "", 1))
            return _fmt(f, counters.get(k, st))

        return re.sub(r"%([1-9])", sub, text).strip()


def _row_cells(row) -> list:
    """A row's cells, a cell spanning several columns once (a cell merged down is repeated: it holds
    for every row it spans, like a lead agency written once for several tasks)."""
    out = []
    prev = None
    for c in row.cells:
        if prev is not None and c._tc is prev:
            continue
        prev = c._tc
        out.append(c)
    return out


# ---------------------------------------------------------------- tables of tasks

_COLUMNS = [  # (column, folded header pattern), the first that matches a header cell names it
    ("ref", r"^(?:stt|tt|so tt|so thu tu|s tt)$"),
    ("coordinate", r"phoi hop"),
    ("deadline", r"thoi han|thoi gian|tien do|han hoan thanh|thoi diem|hoan thanh truoc|^han$"),
    ("product", r"san pham|hinh thuc|ket qua dau ra"),
    ("note", r"ghi chu"),
    ("lead", r"chu tri|thuc hien|trach nhiem|co quan|don vi|phan cong|giao cho"),
    ("content", r"noi dung|nhiem vu|cong viec|ten de an|ten du an|giai phap|viec can lam|hoat dong"),
]


def task_table_columns(cells: list[str]) -> dict[str, int] | None:
    """The columns of a table of tasks, from its header row ("STT | Nội dung nhiệm vụ | Cơ quan chủ trì |
    Cơ quan phối hợp | Thời gian hoàn thành"): {"ref": 0, "content": 1, "lead": 2, ...}; None when the
    row is not such a header (a layout table, the header of the notice, the recipients)."""
    from bot.notices.normalize import guess_plain

    if not 2 <= len(cells) <= 12:
        return None
    found: dict[str, int] = {}
    for k, cell in enumerate(cells):
        key = guess_plain(cell).replace(".", " ").strip()
        key = " ".join(key.split())
        if not key or len(key) > 60:
            continue
        for col, pat in _COLUMNS:
            if col not in found and re.search(pat, key):
                found[col] = k
                break
    if "content" not in found or not ({"lead", "deadline"} & set(found)):
        return None
    return found


def _docx_text(data: bytes) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    numbering = _Numbering(document)
    lines: list[str] = []

    def para(p: Paragraph) -> None:
        label = numbering.label(p)
        text = p.text
        lines.append(f"{label} {text}".strip() if label else text)

    def cell_text(cell, depth: int) -> str:
        parts: list[str] = []
        for child in cell._tc.iterchildren():
            if child.tag == f"{_W}p":
                p = Paragraph(child, cell)
                label = numbering.label(p)
                parts.append(f"{label} {p.text}".strip() if label else p.text)
            elif child.tag == f"{_W}tbl" and depth < 3:
                inner = Table(child, cell)
                parts.extend(cell_text(c, depth + 1) for r in inner.rows for c in _row_cells(r))
        return " ".join(" ".join(parts).replace("|", "/").split())

    def table(tbl: Table, depth: int = 0) -> None:
        rows = [[cell_text(c, depth) for c in _row_cells(r)] for r in tbl.rows]
        at = next((i for i, r in enumerate(rows[:4]) if task_table_columns(r) is not None), None)
        if at is not None:
            # a table of tasks: one line per row, cells between bars, so that the reader knows it
            lines.append("")
            lines.extend(" ".join(r) for r in rows[:at] if any(r))
            for r in rows[at:]:
                if any(r):
                    lines.append("| " + " | ".join(r) + " |")
            lines.append("")
            return
        seen: dict[int, object] = {}  # keeps the elements alive so that ids stay unique
        for row in tbl.rows:
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen[id(cell._tc)] = cell._tc
                for child in cell._tc.iterchildren():
                    if child.tag == f"{_W}p":
                        para(Paragraph(child, cell))
                    elif child.tag == f"{_W}tbl" and depth < 3:
                        table(Table(child, cell), depth + 1)
                lines.append("")

    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            para(Paragraph(child, document))
        elif child.tag == f"{_W}tbl":
            table(Table(child, document))
            lines.append("")
    return "\n".join(lines)
