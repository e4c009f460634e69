"""Issue 10 end to end through the emulator: the clerk fixes a notice in Excel.

The admin gets the draft as .xlsx (button under the preview, /table), sends back a changed sheet
(a row added, a lead changed, a text rewritten, a row removed), the preview shows it, the published
cards carry it; a bad sheet is refused with one line; a sheet typed from scratch makes a notice."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from tests.harness import ADMIN, OFFICE_CHAT, STRANGER, bot_env
from tests.test_e2e_tracking import CA_GROUP, CA_USER, SNV_GROUP, SNV_USER, card_for, cards, import_sample, register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def text_of(m: dict) -> str:
    return m.get("text") or m.get("caption") or ""


def buttons(m: dict) -> list[str]:
    return [b["text"] for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def get_sheet(env, *, press_on=None, command=None) -> tuple[dict, bytes]:
    """The sheet the bot sends the admin (by the preview's button or a command)."""
    emu = env.emu
    if press_on is not None:
        emu.press(ADMIN, ADMIN, press_on["message_id"], button="📝 Sửa bằng Excel")
    else:
        emu.send(ADMIN, ADMIN, command)
    msg = await emu.wait_for_bot_message(ADMIN, lambda m: "document" in m, timeout=10)
    assert msg["document"]["file_name"].endswith(".xlsx")
    return msg, emu.file_bytes(msg["document"]["file_id"])


def edited(data: bytes, change) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb["Nhiệm vụ"], wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_of(ws, ref: str) -> int:
    return next(r for r in range(2, ws.max_row + 1) if str(ws.cell(r, 2).value) == ref)


async def send_sheet(env, data: bytes, name: str = "TB-89.xlsx", user: int = ADMIN) -> None:
    env.emu.send(user, user, document=(name, data, XLSX))


async def test_excel_round_trip_before_publishing(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        await register(env, "Sở Nội vụ", SNV_GROUP, SNV_USER, "Minh")
        await register(env, "Công an tỉnh", CA_GROUP, CA_USER, "Tuấn")
        preview = await import_sample(env)
        assert "📝 Sửa bằng Excel" in buttons(preview)
        notice = env.store.notices.all_notices()[0]
        tasks = {t.ref: t for t in env.store.notices.tasks(notice.id)}

        msg, data = await get_sheet(env, press_on=preview)
        assert "89/TB-UBND" in msg["caption"]
        wb = load_workbook(io.BytesIO(data))
        assert wb["Nhiệm vụ"].max_row == 12  # header + 11 items

        def change(ws, wb):
            ws.cell(row_of(ws, "8.1"), 3).value = "Tham mưu kế hoạch cải cách hành chính năm 2024 <bản sửa>"
            ws.cell(row_of(ws, "8.3"), 4).value = "Công an tỉnh"
            ws.delete_rows(row_of(ws, "9"))
            ws.append([None, "10", "Kiểm tra việc niêm yết thủ tục tại bộ phận một cửa", "Công an tỉnh",
                       "Sở Nội vụ", "30/6/2024", None, None])

        # The clerk's file comes back: a bad date first, refused in one line naming its row.
        bad = edited(data, lambda ws, wb: ws.cell(row_of(ws, "8.2"), 6).__setattr__("value", "31/02/2024"))
        await send_sheet(env, bad)
        refusal = await emu.wait_for_bot_message(ADMIN, lambda m: "Chưa nhận bảng" in text_of(m), timeout=10)
        assert f"Dòng {1 + 9}" in refusal["text"] and "31/02/2024" in refusal["text"] and "\n" not in refusal["text"]
        assert env.store.notices.tasks(notice.id)[8].deadline == dt.date(2024, 3, 31)  # nothing changed

        await send_sheet(env, edited(data, change))
        got = await emu.wait_for_bot_message(ADMIN, lambda m: "Đã nhận bảng" in text_of(m), timeout=10)
        assert "thêm 1, sửa 2, bỏ 1" in got["text"]
        preview = await emu.wait_for_bot_message(ADMIN, lambda m: "📢 Công bố" in buttons(m), timeout=10)
        shown = "\n".join(text_of(m) for m in emu.bot_messages(ADMIN)[-3:])
        assert "&lt;bản sửa&gt;" not in shown and "<bản sửa>" in shown  # escaped once, shown as written
        assert "Kiểm tra việc niêm yết" in shown and "30/06/2024" in shown
        assert "(mục 9)</s>" in preview["text"] or "(mục 9) — đã bỏ" in shown

        stored = env.store.notices.tasks(notice.id)
        new = next(t for t in stored if t.ref == "10")
        assert new.code and new.code not in {t.code for t in tasks.values()}
        assert [t.ref for t in stored if not t.dropped] == ["1", "2", "3", "4", "5", "6", "7", "8.1", "8.2", "8.3", "10"]

        # /table gives the same draft back, as it is now.
        _, again = await get_sheet(env, command="/table")
        ws = load_workbook(io.BytesIO(again))["Nhiệm vụ"]
        assert ws.cell(row_of(ws, "8.3"), 4).value == "Công an tỉnh" and ws.cell(row_of(ws, "10"), 1).value == new.code

        emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
        await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in text_of(m), include_edits=True, timeout=30)
        assert "<bản sửa>" in card_for(emu, SNV_GROUP, "8.1")["text"]
        ca83 = card_for(emu, CA_GROUP, "8.3")
        assert "Chủ trì" in ca83["text"]
        assert "Chủ trì" in card_for(emu, CA_GROUP, "10")["text"] and "Phối hợp" in card_for(emu, SNV_GROUP, "10")["text"]
        assert not any("mục 9\n" in m["text"] for g in (SNV_GROUP, CA_GROUP) for m in cards(emu, g))
        assert not any("mục 8.3\n" in m["text"] and "Chủ trì" in m["text"] for m in cards(emu, SNV_GROUP))


async def test_sheet_refusals(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        preview = await import_sample(env)
        _, data = await get_sheet(env, press_on=preview)
        # Not an admin: refused, nothing read.
        emu.press_start(STRANGER)
        await emu.wait_idle()
        await send_sheet(env, data, user=STRANGER)
        no = await emu.wait_for_bot_message(STRANGER, lambda m: "quản trị viên" in text_of(m), timeout=10)
        assert no
        # An old .xls, a .csv: one line asking for .xlsx.
        emu.send(ADMIN, ADMIN, document=("TB-89.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 50, "application/vnd.ms-excel"))
        line = await emu.wait_for_bot_message(ADMIN, lambda m: ".xlsx" in text_of(m), timeout=10)
        assert "\n" not in line["text"]
        # A damaged .xlsx.
        await send_sheet(env, b"PK\x03\x04 broken")
        line = await emu.wait_for_bot_message(ADMIN, lambda m: "Không mở được" in text_of(m), timeout=10)
        assert "\n" not in line["text"]
        # A sheet of a notice the bot does not have.
        await send_sheet(env, edited(data, lambda ws, wb: wb["Thông báo"].__setitem__("B6", "nffffffffffff")))
        await emu.wait_for_bot_message(ADMIN, lambda m: "không có trong bot" in text_of(m), timeout=10)
        # In a group, /table is refused (drafts are not shown there).
        emu.send(ADMIN, OFFICE_CHAT, "/table")
        await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "chat riêng" in text_of(m), timeout=10)
        assert len(env.store.notices.all_notices()) == 1


async def test_notice_typed_from_scratch(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        await register(env, "Công an tỉnh", CA_GROUP, CA_USER, "Tuấn")
        msg, data = await get_sheet(env, command="/table mới")
        assert "Bảng mẫu" in msg["caption"]

        def fill(ws, wb):
            hs = wb["Thông báo"]
            hs["B1"] = "0/TB-THU"
            hs["B2"] = "2/4/2024"
            hs["B5"] = "Kết luận giao ban tháng 4"
            ws.append([None, "1", "Rà soát an ninh trật tự các khu công nghiệp", "Công an tỉnh", None, "30/5/2024"])
            ws.append([None, "2", "Báo cáo kết quả triển khai", "Công an tỉnh", "Nhà đầu tư dự án ABC", None,
                       "hằng quý"])

        await send_sheet(env, edited(data, fill), name="moi.xlsx")
        await emu.wait_for_bot_message(ADMIN, lambda m: "Đã tạo thông báo 0/TB-THU" in text_of(m), timeout=10)
        preview = await emu.wait_for_bot_message(ADMIN, lambda m: "📢 Công bố" in buttons(m), timeout=10)
        shown = "\n".join(text_of(m) for m in emu.bot_messages(ADMIN)[-3:])
        assert "Kết luận giao ban tháng 4" in shown and "❓ Chưa xác định: Nhà đầu tư dự án ABC" in shown
        notice = env.store.notices.find_notice_by_number("0/TB-THU")
        assert notice.issued_on == dt.date(2024, 4, 2) and notice.state == "draft"
        # The same number again from scratch: refused, pointing to that notice's table.
        await send_sheet(env, edited(data, fill), name="moi-2.xlsx")
        await emu.wait_for_bot_message(ADMIN, lambda m: "đã có trong bot" in text_of(m), timeout=10)
        emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
        await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in text_of(m), include_edits=True, timeout=30)
        assert "Rà soát an ninh trật tự" in card_for(emu, CA_GROUP, "1")["text"]
