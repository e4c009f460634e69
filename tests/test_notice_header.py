"""Stage 2 of the reader, the header (bot/notices/reading/header.py): number, date of issue, issuer,
kind, title, where the body starts and where it ends."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings, strategies as st

from bot.directory import Directory
from bot.notices.reading.context import Context
from bot.notices.reading.header import Header, body_lines, find_kind, read_header
from bot.notices.reading.page import page_lines

NOTICE = """ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH GIA LAI                          Độc lập - Tự do - Hạnh phúc
Số: 321/TB-UBND                      Gia Lai, ngày 15 tháng 5 năm 2025

THÔNG BÁO
Kết luận của Chủ tịch UBND tỉnh tại hội nghị tổng kết

Ngày 10 tháng 5 năm 2025, Chủ tịch UBND tỉnh chủ trì hội nghị, kết luận như sau:
1. Sở Tài chính rà soát các dự án, báo cáo trước ngày 30/6/2025.
UBND tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.
Nơi nhận:
- Như trên;
"""

DIRECTIVE = """ỦY BAN NHÂN DÂN                       CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM
      TỈNH LÀO CAI                                Độc lập - Tự do - Hạnh phúc
      Số: 9387 /UBND-KT                       Lào Cai, ngày 15 tháng 9 năm 2026
 V/v triển khai thực hiện Chương trình hành động số 104-CTr/TU ngày 30/8/2026

       Thực hiện Chương trình hành động số 104-CTr/TU ngày 30/8/2026 của Tỉnh ủy Lào Cai, Chủ tịch
Ủy ban nhân dân tỉnh có ý kiến chỉ đạo như sau:
"""


def _read(text: str, directory=None) -> tuple[list[str], Header, Context]:
    ctx = Context(directory if directory is not None else Directory.load(None), text)
    lines = page_lines(text)
    return lines, read_header(lines, find_kind(lines), ctx), ctx


def test_a_notice_header():
    lines, h, ctx = _read(NOTICE)
    assert find_kind(lines) == 4
    assert (h.number, h.issued, h.issuer, h.kind) == ("321/TB-UBND", dt.date(2025, 5, 15),
                                                      "Ủy ban nhân dân tỉnh Gia Lai", "Thông báo")
    assert h.title == "Kết luận của Chủ tịch UBND tỉnh tại hội nghị tổng kết"
    assert ctx.issued == h.issued
    assert next(ln for ln in lines[h.body_start:] if ln.strip()).startswith("Ngày 10 tháng 5")
    assert h.fields() == {"number": "321/TB-UBND", "issued_on": "2025-05-15", "issuer": "Ủy ban nhân dân tỉnh Gia Lai",
                          "kind": "Thông báo", "title": h.title}


def test_the_body_ends_at_the_closing_formula():
    lines, h, _ = _read(NOTICE)
    body = [ln for ln in body_lines(lines, h.body_start) if ln.strip()]
    assert body[-1].startswith("1. Sở Tài chính")
    assert not any("Nơi nhận" in ln for ln in body)


def test_a_directive_without_kind_line_takes_its_header_from_number_and_date_not_from_a_cited_document():
    lines, h, _ = _read(DIRECTIVE)
    assert find_kind(lines) is None
    assert (h.number, h.issued, h.kind) == ("9387/UBND-KT", dt.date(2026, 9, 15), None)
    # the body starts after the number and the date: with the subject line ("V/v ..."), before the opening
    assert lines[h.body_start].strip().startswith("V/v")


def test_the_header_of_an_ocr_scan_without_diacritics():
    from bot.notices.normalize import strip_diacritics

    _, h, _ = _read(strip_diacritics(NOTICE))
    assert (h.number, h.issued, h.kind) == ("321/TB-UBND", dt.date(2025, 5, 15), "Thông báo")
    assert h.issuer == "Ủy ban nhân dân tỉnh Gia Lai"


def test_no_header_at_all():
    lines, h, _ = _read("1. Sở Tài chính rà soát.\n2. Sở Y tế báo cáo.")
    assert (h.number, h.issued, h.kind, h.title) == (None, None, None, None)
    assert h.body_start == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=50), max_size=20))
def test_any_lines_give_a_header_and_a_body_inside_them(lines):
    text = "\n".join(lines)
    got, h, _ = _read(text, directory=object())  # a directory without resolve: never needed to fail
    assert 0 <= h.body_start <= len(got)
    assert len(body_lines(got, h.body_start)) <= len(got) - h.body_start
