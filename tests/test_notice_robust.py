"""What the reader used to read wrong on notices it had not seen: narrative sections, subsets of a
group, unknown names containing verbs, OCR-garbled item numbers, paragraphs after dash items, plain
lists under an item, delays counted in working days or from an unknown date."""

from __future__ import annotations

import pytest

from bot.directory import Directory
from bot.notices import read_notice
from bot.notices.normalize import strip_diacritics
from tests.test_notice_sample import DATA

HEAD = """ỦY BAN NHÂN DÂN                 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH BÌNH ĐỊNH                     Độc lập - Tự do - Hạnh phúc
Số: 12/TB-UBND              Bình Định, ngày 11 tháng 3 năm 2024

THÔNG BÁO
Kết luận của Chủ tịch UBND tỉnh tại cuộc họp giao ban

Ngày 08 tháng 3 năm 2024, Chủ tịch UBND tỉnh chủ trì cuộc họp. Chủ tịch UBND tỉnh kết luận như sau:

"""
TAIL = "\n\nỦy ban nhân dân tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.\n\nNơi nhận:\n- Như trên;\n"


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(None)


def read(body: str, directory: Directory) -> dict:
    return read_notice(HEAD + body + TAIL, directory)


def by_ref(reading: dict) -> dict[str, dict]:
    return {i["ref"]: i for i in reading["items"]}


def names(agencies: list[dict]) -> list[str]:
    return [a["name"] for a in agencies]


def test_narrative_roman_section_is_not_an_item(directory):
    text = (DATA / "ocr-02-ninh-thuan-chuyen-doi-so.txt").read_text(encoding="utf-8")
    reading = read_notice(text, directory)
    assert [i["ref"] for i in reading["items"]] == ["1.a", "1.b", "2", "3", "4", "5"]
    assert [(s["ref"], s["reason"]) for s in reading["skipped"]] == [("I", "assessment")]
    # also with the heading on the same line as the paragraph
    one_line = text.replace("I. ĐÁNH GIÁ CHUNG\nTrong", "I. Đánh giá chung: Trong")
    assert [i["ref"] for i in read_notice(one_line, directory)["items"]] == ["1.a", "1.b", "2", "3", "4", "5"]


def test_a_section_of_tasks_is_still_read(directory):
    reading = read("I. KẾT QUẢ VÀ NHIỆM VỤ TRỌNG TÂM\nGiao Sở Nội vụ rà soát quy chế; hoàn thành trong quý II/2024.",
                   directory)
    assert [(i["ref"], names(i["lead"])) for i in reading["items"]] == [("I", ["Sở Nội vụ"])]


@pytest.mark.parametrize("phrase", ["phù hợp với quy định mới", "phu6 hop voi quy dinh moi", "phu* hợp với quy chế"])
def test_phu_hop_voi_is_not_a_coordinator(directory, phrase):
    reading = read(f"1. Giao Sở Nội vụ rà soát, sửa đổi quy chế làm việc cho {phrase}; trình UBND tỉnh trong "
                   "quý II/2024.", directory)
    (item,) = reading["items"]
    assert names(item["lead"]) == ["Sở Nội vụ"] and item["coordinate"] == []
    assert item["warnings"] == []


def test_a_fund_is_still_an_agency(directory):
    (item,) = read("1. Giao Sở Tài chính chủ trì, phối hợp với Quỹ Đầu tư phát triển tỉnh rà soát nguồn vốn.",
                   directory)["items"]
    assert [a["as_written"] for a in item["coordinate"]] == ["Quỹ Đầu tư phát triển tỉnh"]


@pytest.mark.parametrize("written, group", [
    ("UBND các xã vùng đồng bào dân tộc thiểu số", "UBND các xã, phường, thị trấn"),
    ("Ủy ban nhân dân các xã, phường có dự án", "UBND các xã, phường, thị trấn"),
    ("UBND các huyện miền núi", "UBND các huyện, thị xã, thành phố"),
    ("UBND các huyện, thị xã ven biển", "UBND các huyện, thị xã, thành phố"),
])
def test_part_of_a_group_is_kept_as_written(directory, written, group):
    (item,) = read(f"1. Giao {written} rà soát hộ nghèo, báo cáo trong tháng 5/2024.", directory)["items"]
    (lead,) = item["lead"]
    assert lead == {"name": written, "agency_id": None, "group": None, "as_written": written}
    assert any(written in w and group in w for w in item["warnings"]), item["warnings"]


def test_whole_groups_are_still_groups(directory):
    reading = read("1. UBND các huyện, thị xã, thành phố có trách nhiệm rà soát hộ nghèo.\n"
                   "2. UBND các xã, phường, thị trấn trên địa bàn tỉnh khẩn trương kiểm tra.\n"
                   "3. Giao Sở Xây dựng chủ trì, phối hợp với các sở, ngành có liên quan thực hiện.", directory)
    got = [(i["ref"], [a["group"] for a in i["lead"]], [a["group"] for a in i["coordinate"]])
           for i in reading["items"]]
    assert got == [("1", ["huyen"], []), ("2", ["xa"], []), ("3", [None], ["lien-quan"])]


@pytest.mark.parametrize("name, rest", [
    ("Ban Quản lý dự án đầu tư xây dựng các công trình giao thông tỉnh", " chủ trì, phối hợp với Sở Xây dựng"),
    ("Trung tâm Giám sát, điều hành đô thị thông minh tỉnh", " vận hành hệ thống"),
    ("Ban Chỉ đạo phát triển du lịch", " tổ chức hội nghị"),
    ("Trung tâm Hỗ trợ phát triển doanh nghiệp", " tổ chức hội nghị"),
])
def test_unknown_names_with_verbs_are_kept_whole(directory, name, rest):
    (item,) = read(f"1. Giao {name}{rest}, hoàn thành trước ngày 30/6/2024.", directory)["items"]
    assert [a["as_written"] for a in item["lead"]] == [name]
    assert item["lead"][0]["agency_id"] is None
    # the same without diacritics
    (plain,) = read(strip_diacritics(f"1. Giao {name}{rest}, hoàn thành trước ngày 30/6/2024."),
                    directory)["items"]
    assert [a["as_written"] for a in plain["lead"]] == [strip_diacritics(name)]


def test_a_name_followed_by_the_tasks_of_the_province_is_cut(directory):
    (item,) = read("1. Ban Quản lý Khu kinh tế mới xây dựng kế hoạch phát triển của tỉnh.", directory)["items"]
    assert all("phát triển của tỉnh" not in a["as_written"] for a in item["lead"])


def test_lower_case_words_are_not_unknown_agencies(directory):
    reading = read("1. Sở Y tế tổ chức thực hiện:\n- Phòng, chống dịch sốt xuất huyết trong mùa mưa;\n"
                   "- phòng, chống dịch bệnh tay chân miệng.", directory)
    assert [names(i["lead"]) for i in reading["items"]] == [["Sở Y tế"]]


@pytest.mark.parametrize("marker", ["l.", "I.", "Z.", "7."])
def test_ocr_garbled_item_number(directory, marker):
    reading = read("1. Sở Nội vụ rà soát quy chế làm việc; hoàn thành trong quý II/2024.\n"
                   f"{marker} Sở Tài chính bố trí kinh phí thực hiện; hoàn thành trong quý III/2024.\n"
                   "3. Công an tỉnh bảo đảm an ninh trật tự.", directory)
    items = by_ref(reading)
    assert list(items) == ["1", "2", "3"]
    assert names(items["2"]["lead"]) == ["Sở Tài chính"] and items["2"]["deadline"] == "2024-09-30"
    assert any(f"«{marker[0]}»" in w for w in items["2"]["warnings"])
    assert names(items["1"]["lead"]) == ["Sở Nội vụ"] and items["1"]["deadline"] == "2024-06-30"


def test_a_wrapped_line_is_not_a_garbled_number(directory):
    reading = read("1. Sở Nội vụ rà soát các quy định tại Mục\nI. Quy chế làm việc của tỉnh.\n"
                   "2. Sở Tư pháp kiểm tra.", directory)
    assert [i["ref"] for i in reading["items"]] == ["1", "2"]


def test_paragraph_after_dashes_is_not_the_last_dash(directory):
    reading = read("1. Giao Sở Nội vụ thực hiện:\n- Rà soát quy chế làm việc;\n- Xây dựng đề án vị trí việc làm.\n"
                   "Các nhiệm vụ trên hoàn thành trước ngày 30/9/2024.\n"
                   "2. Về cải cách hành chính:\n- Sở Tư pháp kiểm tra văn bản;\n- Sở Tài chính bố trí kinh phí.\n"
                   "Giao Văn phòng UBND tỉnh theo dõi, đôn đốc, tổng hợp kết quả; báo cáo trong tháng 12/2024.\n"
                   "3. Sở Tài chính chủ trì:\na) Rà soát kinh phí;\nb) Tham mưu phân bổ vốn.\n\n"
                   "Trong quá trình thực hiện, nếu có vướng mắc kịp thời báo cáo UBND tỉnh.", directory)
    items = by_ref(reading)
    assert list(items) == ["1.1", "1.2", "2.1", "2.2", "2.3", "3.a", "3.b"]
    assert items["1.2"]["text"] == "Xây dựng đề án vị trí việc làm."
    assert items["1.1"]["deadline"] == items["1.2"]["deadline"] == "2024-09-30"
    assert names(items["2.3"]["lead"]) == ["Văn phòng Ủy ban nhân dân tỉnh"]
    assert items["2.3"]["deadline"] == "2024-12-31" and items["2.2"]["deadline"] is None
    assert items["3.b"]["text"] == "Tham mưu phân bổ vốn."
    assert [s["reason"] for s in reading["skipped"]] == ["narrative"]


def test_a_wrapped_dash_is_one_item(directory):
    reading = read("1. Giao Sở Nội vụ thực hiện:\n- Rà soát quy chế làm việc của Ủy ban nhân dân tỉnh,\n"
                   "Quy chế phối hợp với các sở;\n- Xây dựng đề án vị trí việc làm.", directory)
    assert [i["ref"] for i in reading["items"]] == ["1.1", "1.2"]


def test_plain_list_under_an_item_is_one_task(directory):
    reading = read("1. Sở Y tế chủ trì triển khai các nội dung sau, hoàn thành trong quý II/2024:\n"
                   "- tiêm chủng mở rộng;\n- phòng, chống dịch sốt xuất huyết;\n- an toàn thực phẩm.\n"
                   "2. Giao Sở Nội vụ:\n- Rà soát quy chế làm việc;\n- Xây dựng đề án vị trí việc làm.", directory)
    items = by_ref(reading)
    assert list(items) == ["1", "2.1", "2.2"]
    assert names(items["1"]["lead"]) == ["Sở Y tế"] and items["1"]["deadline"] == "2024-06-30"
    assert "an toàn thực phẩm" in items["1"]["text"]


@pytest.mark.parametrize("phrase, text, warn", [
    ("trong 10 ngày làm việc kể từ ngày nhận được hồ sơ", "trong 10 ngày làm việc kể từ ngày nhận được hồ sơ",
     "ngày làm việc"),
    ("trong 15 ngày (kể từ ngày nhận được văn bản)", "trong 15 ngày kể từ ngày nhận được văn bản", "mốc"),
    ("trong 05 ngày làm việc", "trong 5 ngày làm việc", "ngày làm việc"),
])
def test_delays_that_cannot_be_computed(directory, phrase, text, warn):
    (item,) = read(f"1. Sở Tư pháp thẩm định dự thảo, gửi Sở Nội vụ {phrase}.", directory)["items"]
    assert item["deadline"] is None and item["deadline_text"] == text
    assert any(warn in w for w in item["warnings"])


def test_delay_from_the_date_of_signing(directory):
    (item,) = read("1. Sở Tư pháp thẩm định dự thảo trong 15 ngày kể từ ngày ký Thông báo này.", directory)["items"]
    assert item["deadline"] == "2024-03-26" and item["warnings"] == []


def test_before_a_month_is_the_day_before_it(directory):
    # "trước tháng 6/2024" = before June: 31/5 is right
    (item,) = read("1. Sở Tư pháp hoàn thành dự thảo trước tháng 6/2024.", directory)["items"]
    assert item["deadline"] == "2024-05-31"
