"""Tasks listed in a table ("STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian
hoàn thành"), in a .docx (built here with python-docx) and in text with such rows."""

from __future__ import annotations

import io

import pytest

from bot.directory import Directory
from bot.notices import extract_text, read_notice, read_notice_file
from bot.notices.extract import task_table_columns


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(None)


def names(agencies: list[dict]) -> list[str]:
    return [a["name"] for a in agencies]


def summary(reading: dict) -> list[tuple]:
    return [(i["ref"], names(i["lead"]), names(i["coordinate"]), i["deadline"], i["recurring"])
            for i in reading["items"]]


def _header(doc, number: str, place: str, date: str) -> None:
    t = doc.add_table(rows=1, cols=2)
    left, right = t.rows[0].cells
    left.text = f"ỦY BAN NHÂN DÂN\nTỈNH {place.upper()}\nSố: {number}"
    right.text = f"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n{place}, {date}"


def _table(doc, rows: list[tuple]) -> None:
    """Rows of None after the first cell are a section spanning the columns."""
    width = len(rows[0])
    tbl = doc.add_table(rows=len(rows), cols=width)
    for i, row in enumerate(rows):
        if len(row) == 2:
            tbl.cell(i, 0).text = row[0]
            tbl.cell(i, 1).merge(tbl.cell(i, width - 1)).text = row[1]
            continue
        for j, v in enumerate(row):
            tbl.cell(i, j).text = v


def _save(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def inline_table_docx() -> bytes:
    import docx

    doc = docx.Document()
    _header(doc, "301/TB-UBND", "Quảng Nam", "ngày 20 tháng 5 năm 2024")
    doc.add_paragraph("THÔNG BÁO")
    doc.add_paragraph("Kết luận của Chủ tịch UBND tỉnh tại cuộc họp về chuyển đổi số")
    doc.add_paragraph("Ngày 15 tháng 5 năm 2024, Chủ tịch UBND tỉnh chủ trì cuộc họp. Chủ tịch UBND tỉnh kết luận:")
    doc.add_paragraph("Thống nhất nội dung báo cáo của Sở Thông tin và Truyền thông.", style="List Number")
    doc.add_paragraph("Giao các cơ quan, đơn vị thực hiện các nhiệm vụ sau:", style="List Number")
    _table(doc, [
        ("STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"),
        ("1", "Xây dựng Kế hoạch chuyển đổi số năm 2025", "Sở Nội vụ", "Các sở, ban, ngành", "Quý III/2024"),
        ("2", "Rà soát thủ tục hành chính", "Văn phòng UBND tỉnh", "Sở Tư pháp", "30/6/2024"),
        ("3", "Số hóa hồ sơ hộ tịch", "Sở Tư pháp", "UBND các huyện, thị xã, thành phố", "Thường xuyên"),
        ("4", "Đào tạo kỹ năng số cho cán bộ", "", "", "Tháng 10/2024"),
    ])
    doc.add_paragraph("Sở Tài chính bố trí kinh phí thực hiện; hoàn thành trong tháng 7/2024.", style="List Number")
    doc.add_paragraph("Ủy ban nhân dân tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.")
    return _save(doc)


def annex_docx() -> bytes:
    import docx

    doc = docx.Document()
    _header(doc, "215/TB-UBND", "Hà Tĩnh", "ngày 03 tháng 6 năm 2024")
    doc.add_paragraph("THÔNG BÁO")
    doc.add_paragraph("Kết luận của Chủ tịch UBND tỉnh tại phiên họp thường kỳ tháng 5 năm 2024")
    doc.add_paragraph("Ngày 30 tháng 5 năm 2024, UBND tỉnh tổ chức phiên họp thường kỳ. Chủ tịch UBND tỉnh kết luận:")
    doc.add_paragraph("Tình hình kinh tế - xã hội tháng 5 tiếp tục chuyển biến tích cực.", style="List Number")
    doc.add_paragraph("Yêu cầu các sở, ban, ngành, địa phương tập trung thực hiện các nhiệm vụ trọng tâm tại Phụ lục "
                      "kèm theo Thông báo này.", style="List Number")
    doc.add_paragraph("Ủy ban nhân dân tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.")
    sig = doc.add_table(rows=1, cols=2)
    sig.cell(0, 0).text = "Nơi nhận:\n- Như trên;\n- Lưu: VT."
    sig.cell(0, 1).text = "TL. CHỦ TỊCH\nCHÁNH VĂN PHÒNG"
    doc.add_paragraph("PHỤ LỤC")
    doc.add_paragraph("DANH MỤC NHIỆM VỤ GIAO CÁC CƠ QUAN, ĐƠN VỊ")
    doc.add_paragraph("(Kèm theo Thông báo số 215/TB-UBND ngày 03/6/2024 của UBND tỉnh)")
    _table(doc, [
        ("TT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn", "Sản phẩm"),
        ("I", "LĨNH VỰC KINH TẾ"),
        ("1", "Đẩy nhanh giải ngân vốn đầu tư công", "Sở Xây dựng", "Sở Tài chính; Kho bạc Nhà nước tỉnh",
         "Tháng 9/2024", "Báo cáo"),
        ("2", "Rà soát các dự án chậm tiến độ:", "Sở Tài chính", "", "", ""),
        ("a", "Dự án sử dụng vốn ngân sách", "", "Sở Xây dựng", "30/7/2024", "Danh mục"),
        ("b", "Dự án ngoài ngân sách", "", "Ban Quản lý Khu kinh tế tỉnh", "31/8/2024", "Danh mục"),
        ("II", "LĨNH VỰC VĂN HÓA - XÃ HỘI"),
        ("1", "Chuẩn bị các điều kiện cho năm học mới 2024-2025", "Sở Giáo dục và Đào tạo", "Sở Tài chính",
         "Trước 15/8/2024", "Kế hoạch"),
        ("2", "Kiểm tra an toàn vệ sinh thực phẩm", "Sở Y tế", "Công an tỉnh, UBND các huyện, thị xã, thành phố",
         "Hằng quý", "Báo cáo kết quả"),
    ])
    return _save(doc)


# ---------------------------------------------------------------- extraction


def test_task_table_columns():
    assert task_table_columns(["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp",
                               "Thời gian hoàn thành"]) == \
        {"ref": 0, "content": 1, "lead": 2, "coordinate": 3, "deadline": 4}
    assert task_table_columns(["TT", "Nội dung công việc", "Cơ quan thực hiện", "Thời hạn", "Sản phẩm", "Ghi chú"]) \
        == {"ref": 0, "content": 1, "lead": 2, "deadline": 3, "product": 4, "note": 5}
    assert task_table_columns(["Tên nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp thực hiện", "Tiến độ"]) == \
        {"content": 0, "lead": 1, "coordinate": 2, "deadline": 3}
    # the header of the notice, the recipients: not tables of tasks
    assert task_table_columns(["ỦY BAN NHÂN DÂN TỈNH X", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]) is None
    assert task_table_columns(["Nơi nhận: - Như trên;", "TL. CHỦ TỊCH"]) is None
    assert task_table_columns(["STT", "Nội dung"]) is None


def test_docx_task_table_comes_out_one_row_per_line():
    text = extract_text(inline_table_docx(), "tb.docx")
    assert "| STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành |" in text
    assert "| 2 | Rà soát thủ tục hành chính | Văn phòng UBND tỉnh | Sở Tư pháp | 30/6/2024 |" in text
    # the layout table of the header stays cell by cell
    assert "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NAM\nSố: 301/TB-UBND" in text


def test_docx_section_rows_span_the_table():
    text = extract_text(annex_docx(), "tb.docx")
    assert "| I | LĨNH VỰC KINH TẾ |" in text
    assert "| a | Dự án sử dụng vốn ngân sách |  | Sở Xây dựng | 30/7/2024 | Danh mục |" in text


# ---------------------------------------------------------------- reading


def test_table_under_an_item(directory):
    reading = read_notice_file(inline_table_docx(), "tb.docx", directory)
    assert reading["notice"]["number"] == "301/TB-UBND" and reading["notice"]["issued_on"] == "2024-05-20"
    assert summary(reading) == [
        ("2.1", ["Sở Nội vụ"], ["Các sở, ban, ngành"], "2024-09-30", None),
        ("2.2", ["Văn phòng Ủy ban nhân dân tỉnh"], ["Sở Tư pháp"], "2024-06-30", None),
        ("2.3", ["Sở Tư pháp"], ["UBND các huyện, thị xã, thành phố"], None, "thường xuyên"),
        # no lead in its row: the item heading the table gives it ("Giao các cơ quan, đơn vị")
        ("2.4", ["Các sở, ban, ngành, địa phương"], [], "2024-10-31", None),
        ("3", ["Sở Tài chính"], [], "2024-07-31", None),
    ]
    items = {i["ref"]: i for i in reading["items"]}
    assert items["2.1"]["text"] == "Xây dựng Kế hoạch chuyển đổi số năm 2025"
    assert items["2.1"]["deadline_text"] == "quý III/2024"
    assert items["2.2"]["deadline_text"] == "30/6/2024"
    assert [s["ref"] for s in reading["skipped"]] == ["1"]  # "Thống nhất nội dung báo cáo ..."


def test_table_in_an_annex(directory):
    reading = read_notice_file(annex_docx(), "tb.docx", directory)
    assert summary(reading) == [
        ("I.1", ["Sở Xây dựng"], ["Sở Tài chính", "Kho bạc Nhà nước tỉnh"], "2024-09-30", None),
        ("I.2.a", ["Sở Tài chính"], ["Sở Xây dựng"], "2024-07-30", None),
        ("I.2.b", ["Sở Tài chính"], ["Ban Quản lý Khu kinh tế tỉnh"], "2024-08-31", None),
        ("II.1", ["Sở Giáo dục và Đào tạo"], ["Sở Tài chính"], "2024-08-15", None),
        ("II.2", ["Sở Y tế"], ["Công an tỉnh", "UBND các huyện, thị xã, thành phố"], None, "hằng quý"),
    ]
    items = {i["ref"]: i for i in reading["items"]}
    assert items["I.1"]["product"] == "Báo cáo"
    assert items["II.1"]["heading"] == "LĨNH VỰC VĂN HÓA - XÃ HỘI"
    # the narrative item and the item pointing to the annex are not tasks
    assert [(s["ref"], s["reason"]) for s in reading["skipped"]] == [("1", "assessment"), ("2", "annex")]


TEXT_HEAD = """ỦY BAN NHÂN DÂN
TỈNH NGHỆ AN
Số: 77/TB-UBND                     Nghệ An, ngày 12 tháng 4 năm 2024

THÔNG BÁO
Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc về công tác cải cách hành chính

Chủ tịch UBND tỉnh giao các cơ quan, đơn vị thực hiện các nhiệm vụ sau:
"""
TEXT_TAIL = "\nỦy ban nhân dân tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.\n"


@pytest.mark.parametrize("sep", [" | ", "\t"])
def test_text_with_table_rows(directory, sep):
    rows = [["STT", "Nội dung công việc", "Cơ quan thực hiện", "Cơ quan phối hợp", "Thời hạn"],
            ["1", "Rà soát quy chế làm việc", "Sở Nội vụ", "Sở Tư pháp", "Tháng 6/2024"],
            ["2", "Kiểm tra công tác văn thư, lưu trữ", "Sở Nội vụ", "", "Quý III/2024"],
            ["3", "Báo cáo kết quả thực hiện", "Văn phòng UBND tỉnh", "", "Hằng tháng, trước ngày 25"]]
    text = TEXT_HEAD + "\n".join(sep.join(r) for r in rows) + "\n" + TEXT_TAIL
    reading = read_notice(text, directory)
    assert summary(reading) == [
        ("1", ["Sở Nội vụ"], ["Sở Tư pháp"], "2024-06-30", None),
        ("2", ["Sở Nội vụ"], [], "2024-09-30", None),
        ("3", ["Văn phòng Ủy ban nhân dân tỉnh"], [], None, "hằng tháng, trước ngày 25"),
    ]


def test_table_cells_with_several_leads_and_the_header_again(directory):
    rows = ["| STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Thời gian hoàn thành |",
            "| 1 | Tổng kết công tác năm | Sở Nội vụ, Sở Tư pháp | 31/12/2024 |",
            "| STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Thời gian hoàn thành |",
            "| 2 | Kiểm tra văn bản | Sở Tư pháp | 31/4/2024 |"]
    reading = read_notice(TEXT_HEAD + "\n".join(rows) + "\n" + TEXT_TAIL, directory)
    one, two = reading["items"]
    assert names(one["lead"]) == ["Sở Nội vụ"] and names(one["coordinate"]) == ["Sở Tư pháp"]
    assert any("nhiều cơ quan chủ trì" in w for w in one["warnings"])
    assert two["ref"] == "2" and two["deadline"] is None
    assert any("31/4/2024" in w for w in two["warnings"])


def test_a_bar_in_ordinary_text_is_not_a_table(directory):
    text = TEXT_HEAD + "1. Sở Nội vụ rà soát | Sở Tư pháp | kiểm tra, hoàn thành trong quý II/2024.\n" + TEXT_TAIL
    reading = read_notice(text, directory)
    assert [i["ref"] for i in reading["items"]] == ["1"]
