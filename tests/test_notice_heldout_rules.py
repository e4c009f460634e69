"""The rules the held-out corpus (tests/data/notices/heldout/) asked for, each on its own stage and on
sentences of its own (not the corpus's): a rule must hold for the genre, not for one notice."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.directory import Directory
from bot.notices import deadlines as dl
from bot.notices.normalize import fold
from bot.notices.reading.addressees import addressee, assignees
from bot.notices.reading.context import Context
from bot.notices.reading.items import read_items
from bot.notices.reading.names import read_names
from bot.notices.reading.outline import build_outline, outline_body
from bot.notices.reading.page import find_tables

DIRECTORY = Directory.load(None)
ISSUED = dt.date(2026, 6, 1)


def _ctx(text: str = "") -> Context:
    return Context(DIRECTORY, text, issued=ISSUED)


def _written(agencies: list[dict]) -> list[str]:
    return [a["as_written"] for a in agencies]


def _read(lines: list[str]):
    ctx = _ctx("\n".join(lines))
    lines, ctx.tables = find_tables(lines, 0)
    items, skipped = read_items(ctx, outline_body(lines), [])
    return [(i["ref"], _written(i["lead"]), _written(i["coordinate"]), i["deadline"]) for i in items], skipped


# ------------------------------------------------------------------ names (stage: names, addressees)

@pytest.mark.parametrize("text", [
    "UBND các xã: Tân Lập, Hòa Bình, An Phú khẩn trương bàn giao mặt bằng.",
    "UBND các xã Tân Lập, Hòa Bình, An Phú khẩn trương bàn giao mặt bằng.",
    "UBND các xã Tân Lập, Hòa Bình, An Phú: khẩn trương bàn giao mặt bằng.",
])
def test_a_named_list_with_or_without_its_colon_is_each_commune(text):
    got = assignees(_ctx(), text, [])
    assert _written(got.lead + got.coordinate) == ["UBND xã Tân Lập", "UBND xã Hòa Bình", "UBND xã An Phú"]


def test_a_group_followed_by_lower_case_words_is_no_named_list():
    got = assignees(_ctx(), "UBND các xã liên quan rà soát hồ sơ.", [])
    assert len(got.lead) == 1 and "xã Liên" not in got.lead[0]["as_written"]


def test_an_item_starting_with_phoi_hop_names_a_coordinator_not_its_lead():
    got = assignees(_ctx(), "Phối hợp với Sở Y tế kiểm tra bếp ăn bán trú.", [])
    assert got.lead == [] and _written(got.coordinate) == ["Sở Y tế"]


def test_chi_tra_is_no_chu_tri():
    got = assignees(_ctx(), "Trung tâm Phát triển quỹ đất tỉnh (đơn vị được giao) bố trí vốn chi trả bồi thường.", [])
    assert _written(got.lead) == ["Trung tâm Phát triển quỹ đất tỉnh"]


@pytest.mark.parametrize("text, written, resolved", [
    ("Kho bạc Nhà nước khu vực IX kiểm soát chi.", "Kho bạc Nhà nước khu vực IX", True),
    ("Ngân hàng Nhà nước Việt Nam chỉ đạo các ngân hàng thương mại.", "Ngân hàng Nhà nước Việt Nam", False),
    ("Ủy ban MTTQ Việt Nam tỉnh vận động Nhân dân.", "Ủy ban MTTQ Việt Nam tỉnh", True),
])
def test_a_known_name_keeps_its_area_and_a_national_body_is_not_the_provinces(text, written, resolved):
    f = fold(text)
    (a,), _ = read_names(_ctx(), f, 0, len(f.text), [])
    assert a["as_written"] == written
    assert (a["agency_id"] is not None) == resolved


def test_a_name_ends_before_van_dong():
    got = assignees(_ctx(), "Sở Y tế phối hợp với Trung tâm Phát triển quỹ đất tỉnh vận động các hộ dân.", [])
    assert _written(got.coordinate) == ["Trung tâm Phát triển quỹ đất tỉnh"]


def test_the_tax_office_is_a_party_and_the_tax_is_not():
    got = assignees(_ctx(), "Đề nghị Thuế tỉnh Gia Lai cung cấp số liệu nộp ngân sách.", [])
    assert _written(got.lead) == ["Thuế tỉnh Gia Lai"]
    got = assignees(_ctx(), "Sở Tài chính đôn đốc thu thuế tỉnh giao.", [])
    assert _written(got.lead) == ["Sở Tài chính"]


def test_government_office_collectives_and_project_owners_are_kept_as_written():
    got = assignees(_ctx(), "Bộ Tài chính chủ trì, phối hợp với các Bộ, cơ quan chủ quản rà soát vốn.", [])
    assert _written(got.coordinate) == ["các Bộ, cơ quan chủ quản"]
    assert _written(addressee(_ctx(), fold("Các nhà đầu tư:"), [], bare=True)) == ["Các nhà đầu tư"]


def test_communes_registered_for_the_standard_are_some_of_them():
    got = assignees(_ctx(), "UBND các xã đăng ký đạt chuẩn nông thôn mới hoàn thiện hồ sơ.", [])
    assert got.lead[0]["group"] is None and "đăng ký" in got.lead[0]["as_written"]


# ------------------------------------------------------------------ outline

def test_letters_under_a_sub_number_are_the_sub_numbers():
    out = build_outline(["1. Đánh giá", "Đạt kế hoạch.", "2. Nhiệm vụ", "2.1. Sở Y tế:", "a) Kiểm tra.", "b) Báo cáo.",
                         "2.2. Sở Nội vụ rà soát."], allow_top_dashes=False)
    item = out.root.children[1]
    assert [(c.kind, c.label, [g.label for g in c.children]) for c in item.children] == [
        ("sub", "2.1", ["a", "b"]), ("sub", "2.2", [])]


def test_plus_lines_under_a_numbered_item_ending_with_a_colon_are_its_details():
    out = build_outline(["1. Sở A lập phương án, trong đó:", "+ xã B trước ngày 10/7;", "+ xã C trước ngày 20/7.",
                         "2. Sở D làm."], allow_top_dashes=False)
    assert [(c.label, len(c.children)) for c in out.root.children] == [("1", 0), ("2", 0)]
    assert "xã C" in out.root.children[0].text


def test_a_section_without_numbering_reads_its_paragraphs_as_items():
    out = build_outline(["I. KẾT QUẢ", "Đã hoàn thành 5 xã.", "II. NHIỆM VỤ", "Yêu cầu các đơn vị:",
                         "Sở A rà soát hồ sơ.", "UBND các xã có dự án:", "- Bàn giao mặt bằng.", "- Vận động người dân.",
                         "Văn phòng UBND tỉnh theo dõi."], allow_top_dashes=False)
    first, second = out.root.children
    assert first.children == []
    assert [(c.kind, c.text, len(c.children)) for c in second.children] == [
        ("para", "Sở A rà soát hồ sơ.", 0), ("para", "UBND các xã có dự án:", 2), ("para", "Văn phòng UBND tỉnh theo dõi.", 0)]


# ------------------------------------------------------------------ items and classify

def test_lost_numbering_items_are_numbered_by_order_and_the_closing_is_no_task():
    got, _ = _read(["I. TÌNH HÌNH", "Đạt 52% kế hoạch.", "II. NHIỆM VỤ THỜI GIAN TỚI", "Phó Chủ tịch UBND tỉnh yêu cầu:",
                    "Sở Y tế chủ trì kiểm tra an toàn thực phẩm; hoàn thành trước ngày 30/6/2026.",
                    "UBND các xã vùng đồng bào dân tộc thiểu số:", "- Rà soát hộ nghèo.", "- Báo cáo Sở Nội vụ trước ngày 15/7/2026.",
                    "Văn phòng UBND tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./."])
    assert [(r, d) for r, _, _, d in got] == [("1", "2026-06-30"), ("2.1", None), ("2.2", "2026-07-15")]
    assert got[1][1] == ["UBND các xã vùng đồng bào dân tộc thiểu số"]


def test_a_section_of_viewpoints_naming_nobody_is_no_task():
    got, skipped = _read(["I. QUAN ĐIỂM", "Phát triển nông thôn là nhiệm vụ lâu dài của cả hệ thống chính trị.",
                          "II. NHIỆM VỤ", "1. Sở A rà soát."])
    assert [r for r, *_ in got] == ["1"]
    assert any(s["reason"] == "narrative" for s in skipped)


def test_a_numbered_assessment_heading_over_results_is_no_task_but_one_that_assigns_is():
    got, _ = _read(["1. Kết quả thực hiện", "Toàn tỉnh đã giải ngân 52% kế hoạch.", "2. Nhiệm vụ",
                    "2.1. Sở Tài chính rà soát vốn."])
    assert [r for r, *_ in got] == ["2.1"]
    got, _ = _read(["1. Đánh giá kết quả", "Giao Sở Nội vụ tổng hợp kết quả.", "2. Sở Y tế kiểm tra."])
    assert [r for r, *_ in got] == ["1", "2"]


def test_a_later_clause_giving_a_fallback_to_another_body_keeps_the_headings_party():
    got, _ = _read(["Kết luận như sau:", "1. Công ty Cổ phần Sông Xanh:",
                    "a) Nộp hồ sơ trước ngày 20/6/2026; nếu quá hạn, giao Sở Xây dựng đề xuất xử lý.",
                    "b) Giao Sở Tài chính hướng dẫn thủ tục."])
    assert [(r, lead) for r, lead, _, _ in got] == [("1.a", ["Công ty Cổ phần Sông Xanh"]), ("1.b", ["Sở Tài chính"])]


# ------------------------------------------------------------------ deadlines

@pytest.mark.parametrize("text, deadline", [
    ("Phấn đấu giải ngân trên 90% kế hoạch vốn trong năm 2026.", None),
    ("Phấn đấu hoàn thành việc cấp giấy chứng nhận trong năm 2026.", "2026-12-31"),
    ("Tuyên truyền về chuyển đổi số trong năm 2026.", "2026-12-31"),
    ("trong năm 2026", "2026-12-31"),
])
def test_a_years_target_is_no_deadline_unless_it_finishes_something(text, deadline):
    got = dl.pick_deadline(dl.find_deadlines(text, issued_on=ISSUED))
    assert (got.date.isoformat() if got and got.date else None) == deadline


def test_a_subject_line_left_in_the_body_does_not_stop_a_directive_being_read_by_paragraphs():
    """OCR garbled a Công văn's header: its "V/v ..." line stays in the body; it is no Roman "V."."""
    out = outline_body(["V/v triển khai Kế hoạch số 77/KH-BYT", "Chủ tịch UBND tỉnh có ý kiến chỉ đạo như sau:",
                        "    Giao Sở Y tế chủ trì lập kế hoạch.", "    Đề nghị Sở Tài chính bố trí kinh phí."])
    assert [c.kind for c in out.root.children] == ["para", "para"]
