"""From file bytes to text: .txt in every encoding, .docx, .pdf; one-line errors for the rest."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest

from bot.directory import Directory
from bot.notices import (
    CorruptFile,
    EmptyFile,
    Encrypted,
    NeedsOCR,
    NoticeFileError,
    TooLarge,
    UnknownFormat,
    extract_text,
    read_notice_file,
)
from tests.test_notice_sample import DATA, SAMPLE, assert_reads_as_expected

CLEAN = ("UỶ BAN NHÂN DÂN TỈNH BÌNH ĐỊNH\nSố: 12/TB-UBND\nBình Định, ngày 5 tháng 4 năm 2024\n\nTHÔNG BÁO\n"
         "Kết luận của Chủ tịch UBND tỉnh\n\n1. Sở Nội vụ chủ trì, phối hợp với Sở Tư pháp rà soát, "
         "báo cáo trước ngày 30/4/2024.\n")


def _font() -> str:
    for p in (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),):
        if p.exists():
            return str(p)
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


def make_pdf(text: str, *, encrypt: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", _font())
    pdf.set_font("DejaVu", size=10)
    pdf.add_page()
    for line in text.split("\n"):
        if line.strip():
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(5)
    data = bytes(pdf.output())
    if encrypt:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter()
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
        writer.encrypt(user_password=encrypt, owner_password=encrypt + "-owner", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    return data


def make_docx(text: str) -> bytes:
    """A Word file laid out like the offices do: header table, kind, title, auto-numbered items."""
    import docx

    lines = text.split("\n")
    doc = docx.Document()
    # header: two columns (issuer and number | motto and place/date)
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.text = "UY BAN NHAN DAN\nTINH BINH PINH\nS6: 89 /TB-UBND"
    right.text = "CONG HOA XA HOI CHU NGHIA VIET NAM\nPéc lap - Ty do - Hanh phiic\nBinh Binh, ngay 11 thang 03 nam 2024"
    kind_at = next(i for i, ln in enumerate(lines) if ln.strip() == "THONG BAO")
    doc.add_paragraph("THONG BAO")
    i = kind_at + 1
    title = []
    while lines[i].strip():
        title.append(lines[i].strip())
        i += 1
    doc.add_paragraph(" ".join(title))
    paragraphs: list[str] = []
    cur: list[str] = []
    for ln in lines[i:]:
        if not ln.strip():
            if cur:
                paragraphs.append(" ".join(cur))
                cur = []
            continue
        cur.append(ln.strip())
    if cur:
        paragraphs.append(" ".join(cur))
    for p in paragraphs:
        m = re.match(r"^(\d+)\.\s+(.*)$", p)
        if m:
            doc.add_paragraph(m.group(2), style="List Number")
        elif p.startswith("-"):
            doc.add_paragraph(p.lstrip("- "), style="List Bullet")
        else:
            doc.add_paragraph(p)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


_SHAPE = {"\u0302", "\u0306", "\u031b"}


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: base letters with their shape marks, tone marks apart."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", d[0] + "".join(c for c in d[1:] if c in _SHAPE))
        out.append(base + "".join(c for c in d[1:] if c not in _SHAPE))
    return "".join(out).encode("cp1258")


@pytest.fixture(scope="module")
def directory_2024() -> Directory:
    return Directory.load(DATA / "binh-dinh-2024.toml")


# ---------------------------------------------------------------- the sample in other files

def test_sample_from_docx(directory_2024):
    data = make_docx(SAMPLE.read_text(encoding="utf-8"))
    text = extract_text(data, "tb-89.docx")
    assert "1. Thu truong" in text and "9. Nguoi" in text and "- Chu tri" in text
    assert_reads_as_expected(read_notice_file(data, "tb-89.docx", directory_2024))


def test_sample_from_pdf(directory_2024):
    data = make_pdf(SAMPLE.read_text(encoding="utf-8"))
    assert_reads_as_expected(read_notice_file(data, "tb-89.pdf", directory_2024))


def test_sample_in_utf16_and_utf8_bom(directory_2024):
    text = SAMPLE.read_text(encoding="utf-8")
    for data in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("utf-16-le")):
        assert_reads_as_expected(read_notice_file(data, "tb.txt", directory_2024))


def test_cp1258_and_decomposed_unicode():
    data = to_cp1258(CLEAN)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert extract_text(data, "tb.txt") == CLEAN
    nfd = unicodedata.normalize("NFD", CLEAN).encode("utf-8")
    assert extract_text(nfd, "tb.txt") == CLEAN


def test_clean_pdf_keeps_diacritics():
    text = extract_text(make_pdf(CLEAN), "tb.pdf")
    assert "Sở Nội vụ chủ trì, phối hợp với Sở Tư pháp" in text


def test_docx_numbering_letters_and_tables():
    import docx

    doc = docx.Document()
    doc.add_paragraph("Mục đầu", style="List Number")
    doc.add_paragraph("Mục hai", style="List Number")
    doc.add_paragraph("ý thứ nhất", style="List Bullet")
    t = doc.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "Sở Nội vụ"
    t.cell(0, 1).text = "30/6/2024"
    t.cell(1, 0).merge(t.cell(1, 1)).text = "gộp ô"
    out = io.BytesIO()
    doc.save(out)
    text = extract_text(out.getvalue(), "x.docx")
    assert "1. Mục đầu\n2. Mục hai\n- ý thứ nhất" in text
    assert "Sở Nội vụ\n\n30/6/2024" in text
    assert text.count("gộp ô") == 1


# ---------------------------------------------------------------- refusals

def _one_line(exc: NoticeFileError) -> str:
    msg = exc.message
    assert msg and "\n" not in msg and "Traceback" not in msg
    assert str(exc) == msg
    return msg


@pytest.mark.parametrize("data, name, error", [
    (b"", "tb.txt", EmptyFile),
    (b"  \n\n \t", "tb.txt", EmptyFile),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "anh.png", NeedsOCR),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "anh.jpg", NeedsOCR),
    (b"%PDF-1.7\n1 0 obj <<", "cut.pdf", CorruptFile),
    (b"PK\x03\x04\x14\x00\x00\x00broken", "tb.docx", CorruptFile),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "tb.doc", UnknownFormat),
    (bytes(range(256)) * 8, "tb.bin", UnknownFormat),
    (b"{\\rtf1\\ansi hello}", "tb.rtf", UnknownFormat),
    (b"\x00\x01\x02" * 100, "tb.txt", UnknownFormat),
])
def test_refusals_are_one_line(data, name, error):
    with pytest.raises(error) as info:
        extract_text(data, name)
    msg = _one_line(info.value)
    assert f"«{name}»" in msg


def test_oversized():
    with pytest.raises(TooLarge) as info:
        extract_text(b"a" * (20 * 1024 * 1024 + 1), "big.txt")
    assert "20 MB" in _one_line(info.value)


def test_truncated_pdf_and_docx():
    pdf = make_pdf(CLEAN)
    with pytest.raises(NoticeFileError) as info:
        extract_text(pdf[: len(pdf) // 3], "cut.pdf")
    assert isinstance(info.value, (CorruptFile, NeedsOCR))
    _one_line(info.value)
    docx_bytes = make_docx(SAMPLE.read_text(encoding="utf-8"))
    with pytest.raises(CorruptFile):
        extract_text(docx_bytes[: len(docx_bytes) // 2], "cut.docx")


def test_encrypted_pdf():
    with pytest.raises(Encrypted) as info:
        extract_text(make_pdf(CLEAN, encrypt="secret"), "locked.pdf")
    assert "mật khẩu" in _one_line(info.value)


def test_encrypted_docx_container():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    with pytest.raises(Encrypted):
        extract_text(ole, "locked.docx")


def test_image_only_pdf_needs_ocr():
    from fpdf import FPDF
    from PIL import Image

    img = Image.new("L", (200, 100), 255)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(buf.getvalue()), x=10, y=10, w=100)
    with pytest.raises(NeedsOCR) as info:
        extract_text(bytes(pdf.output()), "scan.pdf")
    assert "OCR" in _one_line(info.value)


def test_zip_that_is_not_word():
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<x/>")
    with pytest.raises(UnknownFormat):
        extract_text(buf.getvalue(), "book.xlsx")
