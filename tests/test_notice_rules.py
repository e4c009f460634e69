"""One test per habit of real notices (issue 10): small texts we wrote, each showing one rule."""

from __future__ import annotations

import pytest

from bot.directory import Directory
from bot.notices import read_notice
from bot.notices.deadlines import find_deadlines

HEAD = ("ỦY BAN NHÂN DÂN\nTỈNH KHÁNH HÒA\nSố: 77/TB-UBND\nKhánh Hòa, ngày 05 tháng 3 năm 2026\n\nTHÔNG BÁO\n"
        "Kết luận của Chủ tịch UBND tỉnh tại cuộc họp về đầu tư công\n\n"
        "Ngày 02/3/2026, Chủ tịch UBND tỉnh chủ trì cuộc họp. Chủ tịch UBND tỉnh kết luận như sau:\n")
TAIL = "Trân trọng thông báo để các cơ quan biết, thực hiện./.\nNơi nhận:\n- Như trên;\n"


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(None)


def read(body: str, directory: Directory) -> dict:
    return read_notice(HEAD + body + TAIL, directory)


def leads(item: dict) -> list[str]:
    return [a["name"] for a in item["lead"]]


def everyone(item: dict) -> list[str]:
    return [a["as_written"] for a in item["lead"] + item["coordinate"]]


def test_a_ministry_is_never_the_provinces_department(directory):
    for written in ("Bộ Tài chính", "Bộ Xây dựng", "Bo Tai chinh"):
        m = directory.resolve(written)
        assert m.agency is None and not any(c.name.startswith("Sở") for c in m.candidates), written
    r = read("1. Đề nghị Bộ Tài chính bổ sung vốn cho dự án.\n2. Giao Sở Tài chính tham mưu bố trí vốn.\n", directory)
    assert [leads(i) for i in r["items"]] == [["Bộ Tài chính"], ["Sở Tài chính"]]
    assert r["items"][0]["lead"][0]["agency_id"] is None


def test_de_nghi_assigns_like_giao(directory):
    r = read("1. Đề nghị Công an tỉnh tăng cường tuần tra trên các tuyến quốc lộ.\n", directory)
    assert leads(r["items"][0]) == ["Công an tỉnh"]


def test_kinh_gui_addressees_are_recipients_not_tasks(directory):
    text = ("ỦY BAN NHÂN DÂN\nTỈNH KHÁNH HÒA\nSố: 901/UBND-KT\nKhánh Hòa, ngày 05 tháng 3 năm 2026\n"
            "V/v đẩy nhanh giải ngân\n\nKính gửi:\n- Sở Xây dựng;\n- Sở Tài chính.\n\n"
            "Chủ tịch UBND tỉnh có ý kiến chỉ đạo như sau:\n"
            "Giao Sở Xây dựng chủ trì, phối hợp với Sở Tài chính rà soát các dự án chậm giải ngân; "
            "báo cáo UBND tỉnh trước ngày 20/3/2026.\n"
            "Đề nghị Sở Tài chính hướng dẫn thủ tục điều chuyển vốn.\n./.\n")
    r = read_notice(text, directory)
    assert r["notice"]["number"] == "901/UBND-KT" and r["notice"]["issued_on"] == "2026-03-05"
    assert [(i["ref"], leads(i), i["deadline"]) for i in r["items"]] == [
        ("1", ["Sở Xây dựng"], "2026-03-20"), ("2", ["Sở Tài chính"], None)]


def test_a_heading_never_glues_onto_a_name(directory):
    r = read("1. Đối với công tác bồi thường\na) Trung tâm Phát triển quỹ đất tỉnh\n"
             "- Đẩy nhanh việc chi trả tiền bồi thường.\n- Hoàn thiện hồ sơ pháp lý trước ngày 30/4/2026.\n", directory)
    assert [(i["ref"], [a["as_written"] for a in i["lead"]], i["deadline"]) for i in r["items"]] == [
        ("1.a.1", ["Trung tâm Phát triển quỹ đất tỉnh"], None),
        ("1.a.2", ["Trung tâm Phát triển quỹ đất tỉnh"], "2026-04-30")]


def test_letters_that_skip_or_run_back_keep_their_letters(directory):
    r = read("1. Về giao thông\na) Sở Xây dựng rà soát các tuyến đường.\nc) Công an tỉnh bảo đảm an toàn.\n"
             "e) Sở Y tế bố trí lực lượng cấp cứu.\ng) Sở Tài chính bố trí kinh phí.\nf) Sở Nội vụ bố trí biên chế.\n",
             directory)
    assert [i["ref"] for i in r["items"]] == ["1.a", "1.c", "1.e", "1.g", "1.f"]
    assert [leads(i) for i in r["items"]][-1] == ["Sở Nội vụ"]


def test_plus_bullets_are_details_of_the_dash_above(directory):
    r = read("1. Giao Sở Xây dựng:\n- Chủ trì tổ chức giải phóng mặt bằng, trong đó:\n"
             "+ Khu A: hoàn thành trong tháng 5/2026.\n+ Khu B: hoàn thành trước ngày 15/6/2026.\n"
             "- Báo cáo UBND tỉnh kết quả thực hiện.\n", directory)
    assert [(i["ref"], i["deadline"]) for i in r["items"]] == [("1.1", "2026-05-31"), ("1.2", None)]


def test_a_named_list_is_one_agency_each(directory):
    r = read("1. Giao UBND các xã: Ninh Hòa, Vạn Thắng và Cam Lâm rà soát quỹ đất tái định cư.\n", directory)
    assert everyone(r["items"][0]) == ["UBND xã Ninh Hòa", "UBND xã Vạn Thắng", "UBND xã Cam Lâm"]


def test_a_section_opening_date_is_not_the_items_deadline(directory):
    r = read("I. NHIỆM VỤ TRỌNG TÂM\nĐể phấn đấu giải ngân 100% vốn trước ngày 31/12/2026, các đơn vị thực hiện:\n"
             "1. Sở Xây dựng đôn đốc các chủ đầu tư.\n2. Sở Tài chính thanh toán vốn trong tháng 4/2026.\n", directory)
    assert [(i["ref"], i["deadline"]) for i in r["items"]] == [("1", None), ("2", "2026-04-30")]


def test_an_investor_and_a_numbered_board_are_kept_whole(directory):
    r = read("1. Nhà đầu tư Dự án cao tốc Vân Phong - Nha Trang:\na) Khẩn trương huy động máy móc.\n"
             "b) Phối hợp với Ban Quản lý dự án đầu tư xây dựng số 3 và địa phương xác định bãi đổ thải.\n", directory)
    a, b = r["items"]
    assert leads(a) == leads(b) == ["Nhà đầu tư Dự án cao tốc Vân Phong - Nha Trang"]
    assert [x["as_written"] for x in b["coordinate"]] == ["Ban Quản lý dự án đầu tư xây dựng số 3", "địa phương"]


@pytest.mark.parametrize("text", [
    "giải phóng mặt bằng các đoạn tuyến dự kiến khởi công trước ngày 30/4/2026",
    "lưu ý các vị trí triển khai thi công trong tháng 4/2026",
    "xác định đây là nhiệm vụ hàng đầu trong năm 2026",
])
def test_look_alike_deadlines_are_not_deadlines(text):
    assert find_deadlines(text) == []


def test_a_real_deadline_beside_construction_stays():
    (d,) = find_deadlines("hoàn thành thi công trước ngày 30/6/2026")
    assert d.date.isoformat() == "2026-06-30"


def test_an_ongoing_duty_over_a_period_has_no_deadline(directory):
    r = read("1. Giao Sở Tài chính thường xuyên đôn đốc giải ngân vốn trong năm 2026.\n", directory)
    assert r["items"][0]["deadline"] is None and r["items"][0]["recurring"]


def test_a_heading_read_as_an_assessment_keeps_tasks_below_it(directory):
    r = read("I. KHẮC PHỤC HẠN CHẾ, TỒN TẠI\n1. Giao Sở Nội vụ chủ trì rà soát thủ tục hành chính.\n"
             "2. Sở Tư pháp chủ trì kiểm tra văn bản.\n", directory)
    assert [leads(i) for i in r["items"]] == [["Sở Nội vụ"], ["Sở Tư pháp"]]
    assert any("I" in w and "nhiệm vụ" in w for w in r["warnings"])


def test_departments_and_localities_in_one_list_are_everyone(directory):
    r = read("1. Các sở, ban, ngành, Công an tỉnh, UBND các xã, phường triển khai thực hiện nghiêm Chỉ thị.\n",
             directory)
    assert r["items"][0]["lead"][0]["group"] == "all"


def test_a_named_list_ends_where_another_party_starts(directory):
    r = read("1. Giao Sở Nông nghiệp và Môi trường chủ trì, phối hợp với các sở: Xây dựng, Tài chính và UBND các xã "
             "có liên quan rà soát các hồ chứa; hoàn thành trước ngày 30/6/2026.\n"
             "2. Giao UBND các phường: Thống Nhất, Hội Phú và Công an tỉnh tuần tra.\n", directory)
    assert everyone(r["items"][0]) == ["Sở Nông nghiệp và Môi trường", "Sở Xây dựng", "Sở Tài chính",
                                       "UBND các xã có liên quan"]
    assert everyone(r["items"][1]) == ["UBND phường Thống Nhất", "UBND phường Hội Phú", "Công an tỉnh"]


def test_phoi_hop_before_cong_an(directory):
    r = read("1. Sở Xây dựng:\n- Chủ trì, phối hợp Công an tỉnh bảo đảm giao thông trên các tuyến đèo.\n", directory)
    assert everyone(r["items"][0]) == ["Sở Xây dựng", "Công an tỉnh"]
