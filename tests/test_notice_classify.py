"""The classify stage (bot/notices/reading/classify.py): task, narrative, recipients, deadline-only."""

from __future__ import annotations

import datetime as dt

from bot.directory import Directory
from bot.notices.reading.classify import (
    assigns_after, cut_recipients, leaf_reason, para_kind, plain_list, section_reason,
)
from bot.notices.normalize import fold_str
from bot.notices.reading.context import Context
from bot.notices.reading.outline import Node


def _ctx() -> Context:
    return Context(Directory.load(None), "Sở Tài chính", issued=dt.date(2024, 5, 15))


def _node(kind: str, text: str, label: str = "1", children: list[Node] | None = None) -> Node:
    n = Node(kind, label, [text], ref=label)
    for c in children or []:
        c.parent = n
        n.children.append(c)
    return n


def test_recipients_on_one_line_and_one_a_line():
    body = ["Kính gửi: - Sở Tài chính; - Sở Xây dựng.", "Thực hiện chỉ đạo ..."]
    out, rec = cut_recipients(body)
    assert rec == ["Sở Tài chính", "Sở Xây dựng"] and out == ["", "Thực hiện chỉ đạo ..."]
    opening = "Thực hiện Chương trình hành động số 104-CTr/TU, Chủ tịch UBND tỉnh có ý kiến chỉ đạo như sau:"
    body = ["Kính gửi:", "- Các sở, ban, ngành thuộc tỉnh;", "- Công an tỉnh;", "", opening]
    out, rec = cut_recipients(body)
    assert rec == ["Các sở, ban, ngành thuộc tỉnh", "Công an tỉnh"] and out[-1] == opening
    assert cut_recipients(["1. Sở A làm."]) == (["1. Sở A làm."], [])


def test_a_paragraph_after_sub_items():
    ctx = _ctx()
    assert para_kind(ctx, _node("para", "Giao Văn phòng UBND tỉnh tổng hợp, báo cáo kết quả.")) == "task"
    # the closing words to everyone are no task
    assert para_kind(ctx, _node("para", "Giao Văn phòng UBND tỉnh theo dõi, đôn đốc thực hiện.")) == "narrative"
    assert para_kind(ctx, _node("para", "Các nhiệm vụ trên hoàn thành trước ngày 30/9/2024.")) == "deadline-only"
    assert para_kind(ctx, _node("para", "Tiến độ giải ngân còn chậm so với cùng kỳ.")) == "narrative"


def test_an_item_that_approves_is_no_task_unless_it_assigns_after():
    ctx = _ctx()
    assert leaf_reason(ctx, _node("num", "Đồng ý chủ trương đầu tư dự án."), "Đồng ý chủ trương đầu tư dự án.") \
        == "not_task"
    assert ctx.warnings  # flagged
    text = "Thống nhất nội dung báo cáo; Sở Tài chính tổ chức thực hiện."
    assert leaf_reason(ctx, _node("num", text), text) is None
    assert assigns_after(fold_str(text), 0)
    text = "Tình hình kinh tế - xã hội tháng 5 tiếp tục chuyển biến tích cực."
    assert leaf_reason(ctx, _node("num", text), text) == "assessment"
    text = "Sở Tài chính rà soát các dự án."
    assert leaf_reason(ctx, _node("num", text), text) is None


def test_an_assessment_section_and_a_garbled_heading_over_tasks():
    ctx = _ctx()
    results = _node("roman", "ĐÁNH GIÁ CHUNG", "I", [_node("num", "Kết quả thu ngân sách đạt 95% dự toán.")])
    assert section_reason(ctx, results) == "assessment"
    doubt = _node("roman", "ĐÁNH GIÁ", "II", [_node("num", "Giao Sở Tài chính chủ trì rà soát các dự án.")])
    assert section_reason(ctx, doubt) == "doubt" and ctx.warnings
    tasks = _node("roman", "NHIỆM VỤ, GIẢI PHÁP", "III", [_node("num", "Sở Y tế kiểm tra.")])
    assert section_reason(ctx, tasks) is None


def test_dashes_that_only_list_things_are_one_task():
    ctx = _ctx()
    listing = _node("num", "Sở Y tế triển khai các nội dung:", "1",
                    [_node("dash", "tiêm chủng mở rộng;", ""), _node("dash", "an toàn thực phẩm.", "")])
    assert plain_list(ctx, listing)
    tasks = _node("num", "Sở Y tế:", "2", [_node("dash", "Rà soát các cơ sở y tế;", ""),
                                            _node("dash", "Báo cáo trước ngày 30/6/2024.", "")])
    assert not plain_list(ctx, tasks)
