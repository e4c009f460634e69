"""Parties beyond the province's directory (issue 10, point 4): a company or a ministry that leads a
task is kept as written, the notice publishes, and the task reaches the party once it registers a
group through /invite with its name."""

from __future__ import annotations

import re

from bot.directory import Directory, outside_id
from bot.workflow import expand, is_single_party
from tests.harness import ADMIN, bot_env

NOTICE = """ỦY BAN NHÂN DÂN
TỈNH BÌNH ĐỊNH
Số: 999/TB-UBND
Bình Định, ngày 05 tháng 3 năm 2024

THÔNG BÁO
Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc về dự án khu dân cư

Sau khi nghe báo cáo, Chủ tịch UBND tỉnh kết luận như sau:
1. Giao Công ty TNHH Xây dựng Hoàng Long chủ trì, phối hợp với Sở Tài chính hoàn thiện hồ sơ dự án, hoàn thành trước ngày 30/6/2024.
2. Giao Sở Tài chính chủ trì thẩm định phương án tài chính, hoàn thành trước ngày 15/4/2024.
"""
COMPANY = "Công ty TNHH Xây dựng Hoàng Long"
GROUP, USER = -1003001, 3001


def test_outside_party_ids_are_stable_and_vague_names_are_not_parties():
    d = Directory.load(None)
    assert outside_id("Công ty  TNHH Xây dựng Hoàng Long") == outside_id("công ty tnhh xây dựng hoàng long")
    party = d.add_outside(COMPANY)
    assert d.get(party.id).name == COMPANY and party not in d.agencies
    assert expand({"name": COMPANY, "agency_id": None, "as_written": COMPANY}, d) == [party.id]
    assert not is_single_party("các đơn vị liên quan") and not is_single_party("Các địa phương")
    assert expand({"name": "các đơn vị có liên quan", "agency_id": None, "as_written": "các đơn vị có liên quan"}, d) == []


async def test_a_company_leads_publishes_and_gets_its_card_when_registered(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        emu.send(ADMIN, ADMIN, document=("TB-999.txt", NOTICE.encode(), "text/plain"))
        preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")), timeout=20)
        emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
        done = await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True,
                                              timeout=30)
        assert COMPANY in done["text"] or "Chờ" in done["text"]
        party = outside_id(COMPANY)
        assert [a.role.value for a in env.store.notices.assignments(agency_id=party)] == ["lead"]
        # /invite takes the name as the notice wrote it; the group registers; the card arrives.
        emu.send(ADMIN, ADMIN, f"/invite {COMPANY}")
        msg = await emu.wait_for_bot_message(ADMIN, lambda m: "startgroup=" in m["text"])
        assert COMPANY in msg["text"] and "ngoài danh mục" in msg["text"]
        code = re.search(r"startgroup=([A-Z0-9]{8})", msg["text"]).group(1)
        emu.add_user(USER, "Long")
        emu.add_group(GROUP, "Hoàng Long - dự án", members=[USER])
        emu.add_bot_to_group(GROUP, by_user=USER, start_param=code)
        await emu.wait_for_bot_message(GROUP, lambda m: "đã được gắn" in m["text"])
        card = await emu.wait_for_bot_message(GROUP, lambda m: m["text"].startswith("📌"), timeout=20)
        assert "hoàn thiện hồ sơ" in card["text"] and "30/06/2024" in card["text"]
        # a reply to the card is a report of the company's
        emu.send(USER, GROUP, "Đang hoàn thiện hồ sơ", reply_to=card["message_id"])
        await emu.wait_for_bot_message(GROUP, lambda m: "Đã ghi nhận" in m["text"], timeout=20)
        assert env.store.notices.reports(assignment_id=env.store.notices.assignments(agency_id=party)[0].id)
