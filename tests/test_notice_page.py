"""Stage 1 of the reader, the page (bot/notices/reading/page.py): furniture out, tables cut out."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from bot.notices.reading.page import TABLE_MARK, find_tables, page_lines, row_cells


def test_page_numbers_and_running_headers_go_but_items_stay():
    text = "\n".join(["THÔNG BÁO SỐ 12", "1. Sở A làm.", "- 2 -", "THÔNG BÁO SỐ 12", "2. Sở B làm.", "Trang 3",
                      "THÔNG BÁO SỐ 12", "- Làm tiếp;", "- Làm tiếp;", "- Làm tiếp;"])
    lines = page_lines(text)
    assert len(lines) == 10
    assert [ln for ln in lines if ln] == ["1. Sở A làm.", "2. Sở B làm.", "- Làm tiếp;", "- Làm tiếp;", "- Làm tiếp;"]


def test_row_cells():
    assert row_cells("| 1 | Rà soát | Sở A |") == ["1", "Rà soát", "Sở A"]
    assert row_cells("1 | Rà soát | Sở A") == ["1", "Rà soát", "Sở A"]
    assert row_cells("1\tRà soát\tSở A") == ["1", "Rà soát", "Sở A"]
    assert row_cells("Sở A | làm") is None and row_cells("") is None


def test_a_task_table_is_cut_out_and_marked():
    lines = ["Đầu", "| STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Thời gian hoàn thành |",
             "| 1 | Rà soát | Sở A | Quý III/2025 |", "", "| 2 | Báo cáo | Sở B | 30/9/2025 |", "Cuối"]
    out, tables = find_tables(lines, 1)
    assert out[0] == "Đầu" and TABLE_MARK.fullmatch(out[1]) and out[-1] == "Cuối"
    (table,) = tables
    assert [r[2] for r in table["rows"]] == ["Sở A", "Sở B"]
    assert set(table["cols"]) >= {"ref", "content", "lead", "deadline"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40), max_size=30))
def test_the_line_count_stays(lines):
    text = "\n".join(lines)
    assert len(page_lines(text)) == len(text.split("\n"))
    out, tables = find_tables(page_lines(text), 0)
    assert isinstance(out, list) and all(isinstance(t["rows"], list) for t in tables)
