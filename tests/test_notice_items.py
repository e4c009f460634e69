"""The items stage (bot/notices/reading/items.py) and the tables stage (tables.py): the outline's
leaves and a table's rows as the reading's items."""

from __future__ import annotations

import datetime as dt

from bot.directory import Directory
from bot.notices.reading.context import Context
from bot.notices.reading.fields import Passed
from bot.notices.reading.items import heading_context, read_items
from bot.notices.reading.outline import outline_body
from bot.notices.reading.page import find_tables
from bot.notices.reading.tables import table_items

DIRECTORY = Directory.load(None)


def _read(lines: list[str], audience: list[dict] | None = None):
    ctx = Context(DIRECTORY, "\n".join(lines), issued=dt.date(2024, 5, 15))
    lines, ctx.tables = find_tables(lines, 0)
    return read_items(ctx, outline_body(lines), audience or []), ctx


def _summary(items: list[dict]) -> list[tuple]:
    return [(i["ref"], [a["name"] for a in i["lead"]], i["deadline"]) for i in items]


def test_a_header_item_passes_its_lead_and_time_to_its_dashes():
    (items, skipped), _ = _read([
        "Kết luận như sau:",
        "1. Giao Sở Tài chính chủ trì, hoàn thành trước ngày 30/9/2024:",
        "- Rà soát các dự án chậm giải ngân;",
        "- Đề xuất điều chuyển vốn.",
        "2. Sở Y tế kiểm tra an toàn thực phẩm, báo cáo trước ngày 15/6/2024.",
    ])
    assert _summary(items) == [("1.1", ["Sở Tài chính"], "2024-09-30"), ("1.2", ["Sở Tài chính"], "2024-09-30"),
                               ("2", ["Sở Y tế"], "2024-06-15")]
    assert items[0]["heading"].startswith("Giao Sở Tài chính")


def test_a_roman_sections_goal_is_no_deadline_of_its_items_and_numbering_restarts():
    (items, _), _ = _read([
        "Kết luận như sau:",
        "I. NHIỆM VỤ TRỌNG TÂM, phấn đấu đến hết ngày 30/6/2024 giải ngân 40%",
        "1. Sở Tài chính rà soát các dự án.",
        "II. CÁC NHIỆM VỤ KHÁC",
        "1. Sở Y tế kiểm tra an toàn thực phẩm.",
    ])
    assert _summary(items) == [("I.1", ["Sở Tài chính"], None), ("II.1", ["Sở Y tế"], None)]


def test_an_item_naming_nobody_takes_the_audience_and_an_approval_is_skipped():
    audience = [{"name": "các sở, ban, ngành, địa phương", "agency_id": None, "group": "all", "as_written": "x"}]
    (items, skipped), _ = _read(["Yêu cầu các sở, ban, ngành:", "1. Đồng ý chủ trương.",
                                 "2. Tăng cường kỷ luật, kỷ cương hành chính."], audience)
    assert [(i["ref"], i["lead"][0]["group"]) for i in items] == [("2", "all")]
    assert [(s["ref"], s["reason"]) for s in skipped] == [("1", "not_task")]


def test_heading_context_keeps_what_it_inherits():
    (_, _), ctx = _read(["1. Sở A làm."])
    from bot.notices.reading.outline import Node

    node = Node("num", "3", ["Giao Sở Xây dựng:"], ref="3")
    above = Passed(lead=[{"name": "Sở Y tế", "agency_id": "so-y-te", "group": None, "as_written": "Sở Y tế"}],
                   heading="x")
    got = heading_context(ctx, node, above)
    assert [a["name"] for a in got.lead] == ["Sở Xây dựng"] and got.heading == "Giao Sở Xây dựng:"
    assert above.heading == "x" and above.lead[0]["name"] == "Sở Y tế"  # what came from above is not changed
    kept = heading_context(ctx, Node("num", "4", ["Về cải cách hành chính:"], ref="4"), above)
    assert kept.lead == above.lead and kept.heading == "Về cải cách hành chính:"


def test_a_table_of_tasks():
    lines = ["| STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành |",
             "| 1 | Rà soát các dự án | Sở Tài chính | Sở Xây dựng | Quý III/2024 |",
             "| 2 | Kiểm tra an toàn thực phẩm | Sở Y tế | | 30/9/2024 |"]
    ctx = Context(DIRECTORY, "\n".join(lines), issued=dt.date(2024, 5, 15))
    _, tables = find_tables(lines, 0)
    items = table_items(ctx, tables[0], "", None, [], [])
    assert _summary(items) == [("1", ["Sở Tài chính"], "2024-09-30"), ("2", ["Sở Y tế"], "2024-09-30")]
    assert [a["name"] for a in items[0]["coordinate"]] == ["Sở Xây dựng"]
    assert items[0]["deadline_text"]
    (items2, _), _ = _read(["Các nhiệm vụ cụ thể:"] + lines)
    assert _summary(items2) == _summary(items)
