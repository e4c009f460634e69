"""Issue 4 end to end, the sample notice through the emulator: import, fix, publish, report, confirm,
extend, /status, /mytasks, and the refusals."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

from bot.models import Progress
from storage import DataStore
from tests.harness import ADMIN, LEADER, OFFICE_CHAT, STRANGER, TZ, bot_env

SAMPLE = Path(__file__).parent / "data" / "notices" / "notice-89-TB-UBND-2024.txt"
SNV_GROUP, SNV_USER = -1002001, 2001
CA_GROUP, CA_USER = -1002002, 2002
STC_GROUP, STC_USER = -1002003, 2003


async def register(env, name: str, chat_id: int, user_id: int, first: str) -> str:
    emu = env.emu
    emu.send(ADMIN, ADMIN, f"/invite {name}")
    msg = await emu.wait_for_bot_message(ADMIN, lambda m: "startgroup=" in m["text"])
    code = re.search(r"startgroup=([A-Z0-9]{8})", msg["text"]).group(1)
    emu.add_user(user_id, first)
    emu.add_group(chat_id, name, members=[user_id])
    emu.add_bot_to_group(chat_id, by_user=user_id, start_param=code)
    await emu.wait_for_bot_message(chat_id, lambda m: "đã được gắn" in m["text"])
    return env.store.registry.chat(chat_id).agency_id


async def import_sample(env) -> str:
    emu = env.emu
    emu.send(ADMIN, ADMIN, document=("TB-89.txt", SAMPLE.read_bytes(), "text/plain"))
    preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")), timeout=20)
    return preview


def names(code: str, text: str) -> bool:
    """The message names task ``code`` (NV1 is not NV10)."""
    return re.search(rf"\b{code}\b", text) is not None


def cards(emu, chat_id):
    return [m for m in emu.bot_messages(chat_id) if m["text"].startswith("📌")]


def card_for(emu, chat_id, ref):
    return next(m for m in cards(emu, chat_id) if f"mục {ref}\n" in m["text"])


async def published_env(env):
    """Two agencies registered, the sample imported, one item fixed, published."""
    emu = env.emu
    snv = await register(env, "Sở Nội vụ", SNV_GROUP, SNV_USER, "Minh")
    ca = await register(env, "Công an tỉnh", CA_GROUP, CA_USER, "Tuấn")
    preview = await import_sample(env)
    text = "\n".join(m["text"] for m in emu.bot_messages(ADMIN)[-3:])
    assert "89/TB-UBND" in text and "NV1" in text
    tasks = env.store.notices.tasks(env.store.notices.all_notices()[0].id)
    assert [t.ref for t in tasks] == ["1", "2", "3", "4", "5", "6", "7", "8.1", "8.2", "8.3", "9"]
    # Fix one item: item 9 gets a deadline.
    code9 = tasks[-1].code
    emu.send(ADMIN, ADMIN, f"/deadline {code9} 30/6/2024")
    await emu.wait_for_bot_message(ADMIN, lambda m: f"Đã sửa {code9}" in m["text"])
    assert str(env.store.notices.task_by_code(code9).deadline) == "2024-06-30"
    preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")))
    emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
    done = await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True,
                                          timeout=30)
    return snv, ca, tasks, done


async def test_import_fix_publish_and_deliver_on_registration(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        snv, ca, tasks, done = await published_env(env)
        assert "Đã gửi" in done["text"] and "Chờ cơ quan đăng ký" in done["text"]
        snv_cards = cards(emu, SNV_GROUP)
        # 8 items for everyone + 3 items led by Sở Nội vụ
        assert len(snv_cards) == 11
        c81 = card_for(emu, SNV_GROUP, "8.1")
        assert "Chủ trì" in c81["text"] and "31/03/2024" in c81["text"] and "01/04/2024" in c81["text"]
        assert any(b["text"] == "✅ Hoàn thành" for row in c81["reply_markup"]["inline_keyboard"] for b in row)
        ca81 = card_for(emu, CA_GROUP, "8.1")
        assert "Phối hợp" in ca81["text"]
        # Importing the same file again does not make a second notice.
        emu.send(ADMIN, ADMIN, document=("TB-89 (copy).txt", SAMPLE.read_bytes(), "text/plain"))
        again = await emu.wait_for_bot_message(ADMIN, lambda m: "đã được nhập trước đây" in m["text"], timeout=20)
        assert "đã công bố" in again["text"]
        assert len(env.store.notices.all_notices()) == 1
        # An agency registering later gets what was waiting for it at once.
        stc = await register(env, "Sở Tài chính", STC_GROUP, STC_USER, "Hà")
        await emu.wait_until(lambda: all(a.sent_at for a in env.store.notices.assignments(agency_id=stc)), timeout=10)
        assert len(cards(emu, STC_GROUP)) == 8
        # Nothing sent twice.
        await asyncio.sleep(0.3)
        assert len(cards(emu, SNV_GROUP)) == 11


async def test_reports_buttons_confirmation_extension(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        snv, ca, tasks, _ = await published_env(env)
        by_ref = {t.ref: t for t in tasks}

        # A reply with a PDF and keywords → report "done", office asked to confirm.
        c81 = card_for(emu, SNV_GROUP, "8.1")
        reply = emu.send(SNV_USER, SNV_GROUP, reply_to=c81["message_id"], caption="Đã hoàn thành, gửi kèm tờ trình <b>",
                         document=("to-trinh.pdf", b"%PDF-1.4 test", "application/pdf"))
        ack = await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã ghi nhận" in m["text"])
        assert "Hoàn thành" in ack["text"] and "Tệp đính kèm: 1" in ack["text"]
        a81 = next(a for a in env.store.notices.assignments(agency_id=snv) if a.task_id == by_ref["8.1"].id)
        report = env.store.notices.report_by_message(SNV_GROUP, reply["message_id"])
        assert report.files[0].name == "to-trinh.pdf" and report.author_id == SNV_USER
        assert report.text.endswith("<b>")  # stored as written, escaped when shown
        ask = await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "hoàn thành" in m["text"])
        assert "&lt;b&gt;" not in ask["text"] and "<b>" in ask["text"]  # shown escaped, as plain text
        # Only an admin in the office group confirms.
        emu.press(LEADER, OFFICE_CHAT, ask["message_id"], button="✅ Xác nhận hoàn thành")
        await emu.wait_until(lambda: any(x.get("show_alert") for x in emu.callback_answers))
        assert env.store.notices.assignment(a81.id).completed_at is None
        emu.press(ADMIN, OFFICE_CHAT, ask["message_id"], button="✅ Xác nhận hoàn thành")
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "đã xác nhận" in m["text"])
        assert env.store.notices.assignment(a81.id).completed_at is not None
        # A report on a completed (closed) task is refused, nothing stored.
        n_reports = len(env.store.notices.reports())
        emu.send(SNV_USER, SNV_GROUP, "bổ sung thêm", reply_to=c81["message_id"])
        closed = await emu.wait_for_bot_message(SNV_GROUP)
        assert "đã đóng" in closed["text"] and by_ref["8.1"].code in closed["text"]
        emu.press(SNV_USER, SNV_GROUP, c81["message_id"], button="🔄 Đang thực hiện")
        await emu.wait_until(lambda: any("đã đóng" in (x.get("text") or "") for x in emu.callback_answers))
        assert len(env.store.notices.reports()) == n_reports

        # An edited reply updates its report, history kept.
        c83 = card_for(emu, SNV_GROUP, "8.3")
        r83 = emu.send(SNV_USER, SNV_GROUP, "Đang triển khai khảo sát", reply_to=c83["message_id"])
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đang thực hiện" in m["text"])
        emu.edit(SNV_USER, SNV_GROUP, r83["message_id"], "Đang gặp khó khăn về kinh phí")
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã cập nhật" in m["text"])
        stored = env.store.notices.report_by_message(SNV_GROUP, r83["message_id"])
        assert stored.status == Progress.BLOCKED and stored.history[0]["text"] == "Đang triển khai khảo sát"
        assert len(env.store.notices.reports(agency_id=snv)) == 2

        # The edit said "khó khăn": the office hears of the blocker once; the button says nothing new.
        await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "vướng mắc" in m["text"])
        office_count = len(emu.bot_messages(OFFICE_CHAT))
        emu.press(SNV_USER, SNV_GROUP, c83["message_id"], button="⚠️ Vướng mắc")
        await emu.wait_until(lambda: emu.callback_answers and "Vướng mắc" in (emu.callback_answers[-1].get("text") or ""))
        await emu.wait_idle()
        assert len(emu.bot_messages(OFFICE_CHAT)) == office_count

        # "Hoàn thành" tapped twice: one report, one request to the office; then taken back by a correction.
        c1 = card_for(emu, SNV_GROUP, "1")
        emu.press(SNV_USER, SNV_GROUP, c1["message_id"], button="✅ Hoàn thành")
        await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: names(by_ref["1"].code, m["text"]))
        emu.press(SNV_USER, SNV_GROUP, c1["message_id"], button="✅ Hoàn thành")
        await emu.wait_idle()
        assert sum(names(by_ref["1"].code, m["text"]) for m in emu.bot_messages(OFFICE_CHAT)) == 1
        a1 = next(a for a in env.store.notices.assignments(agency_id=snv) if a.task_id == by_ref["1"].id)
        assert len(env.store.notices.reports(assignment_id=a1.id)) == 1
        r1 = emu.send(SNV_USER, SNV_GROUP, "Xong bước 1, đang làm tiếp", reply_to=c1["message_id"])
        ack1 = await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã ghi nhận" in m["text"])
        stored1 = env.store.notices.report_by_message(SNV_GROUP, r1["message_id"])
        emu.press(SNV_USER, SNV_GROUP, ack1["message_id"], button="Đang thực hiện")
        await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "đã rút" in m["text"] and names(by_ref["1"].code, m["text"]))
        a1 = env.store.notices.assignment(a1.id)
        assert a1.progress == Progress.IN_PROGRESS and a1.done_reported_at is None
        assert env.store.notices.report(stored1.id).status == Progress.IN_PROGRESS

        # Extension: button → prompt → reply with date and reason → office approves → deadline moves.
        c82 = card_for(emu, SNV_GROUP, "8.2")
        emu.press(SNV_USER, SNV_GROUP, c82["message_id"], button="📅 Đề nghị gia hạn")
        prompt = await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đề nghị gia hạn" in m["text"])
        emu.send(SNV_USER, SNV_GROUP, "30/4/2024 - chờ số liệu các huyện", reply_to=prompt["message_id"])
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã gửi Văn phòng" in m["text"])
        req = await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "gia hạn" in m["text"])
        assert "chờ số liệu các huyện" in req["text"]
        emu.press(ADMIN, OFFICE_CHAT, req["message_id"], button="✅ Đồng ý gia hạn")
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "đồng ý gia hạn" in m["text"])
        a82 = next(a for a in env.store.notices.assignments(agency_id=snv) if a.task_id == by_ref["8.2"].id)
        assert str(a82.deadline) == "2024-04-30" and a82.extensions[0].decided_by == ADMIN
        assert a82.extensions[0].reason == "chờ số liệu các huyện"
        # The coordinating part (Sở Kế hoạch và Đầu tư) follows the lead's new deadline, with the reason.
        kh = next(a for a in env.store.notices.assignments(notice_id=a82.notice_id)
                  if a.task_id == a82.task_id and a.role.value == "coordinate")
        assert str(kh.deadline) == "2024-04-30" and kh.extensions[0].reason == "theo gia hạn của cơ quan chủ trì"

        # The same Telegram message delivered again (after a crash, before its update was recorded as
        # handled) is stored once; its acknowledgement was owed in the outbox under the same key (and
        # went out once): not sent again. Once the update is recorded as handled, a redelivery is skipped.
        from telegram import Update

        acks = sum("Đã ghi nhận" in m["text"] for m in emu.bot_messages(SNV_GROUP))
        n_reports = len(env.store.notices.reports())
        replay = Update.de_json({"update_id": 999_999, "message": emu.message(SNV_GROUP, r83["message_id"])},
                                env.app.bot)
        runtime = env.app.updater.runtime
        assert await runtime.handle(replay)
        await emu.wait_idle()
        assert len(env.store.notices.reports()) == n_reports
        assert sum("Đã ghi nhận" in m["text"] for m in emu.bot_messages(SNV_GROUP)) == acks
        assert env.store.outbox.get(f"m:{SNV_GROUP}:{r83['message_id']}:ack").state == "sent"
        assert not await runtime.handle(replay)
        await emu.wait_idle()
        assert sum("Đã ghi nhận" in m["text"] for m in emu.bot_messages(SNV_GROUP)) == acks

        # Replying to the acknowledgement (not the task message) still reports on that task.
        ack83 = next(m for m in reversed(emu.bot_messages(SNV_GROUP)) if "Đã ghi nhận" in m["text"]
                     and by_ref["8.3"].code in m["text"])
        emu.send(SNV_USER, SNV_GROUP, "Đã gửi công văn xin ý kiến các sở", reply_to=ack83["message_id"])
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã ghi nhận" in m["text"])
        assert env.store.notices.reports(agency_id=snv)[-1].text == "Đã gửi công văn xin ý kiến các sở"

        # An extension asked in words, with a date and a reason, in a reply to the task message.
        c3 = card_for(emu, SNV_GROUP, "3")
        emu.send(SNV_USER, SNV_GROUP, "Đề nghị gia hạn đến 15/5/2024 do chờ hướng dẫn của Bộ", reply_to=c3["message_id"])
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã gửi Văn phòng đề nghị gia hạn" in m["text"])
        a3 = next(a for a in env.store.notices.assignments(agency_id=snv) if a.task_id == by_ref["3"].id)
        assert a3.extensions[0].reason == "chờ hướng dẫn của Bộ"

        # Words about an extension without a usable date: a plain report, and how to ask properly.
        c4 = card_for(emu, SNV_GROUP, "4")
        emu.send(SNV_USER, SNV_GROUP, "Xin gia hạn thêm 1 tháng vì chờ hướng dẫn", reply_to=c4["message_id"])
        hint = await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã ghi nhận" in m["text"])
        assert "Chưa gửi đề nghị gia hạn" in hint["text"]

        # /report by command.
        emu.send(SNV_USER, SNV_GROUP, f"/report {by_ref['8.2'].code} đã trình dự thảo kế hoạch")
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã ghi nhận" in m["text"])

        # /status in each form, /mytasks.
        emu.send(LEADER, LEADER, "/status")
        text = (await emu.wait_for_bot_message(LEADER))["text"]
        assert "Đã hoàn thành đúng hạn" in text and "Tỷ lệ hoàn thành" in text
        emu.send(LEADER, LEADER, "/status So Noi vu")
        assert "Sở Nội vụ" in (await emu.wait_for_bot_message(LEADER))["text"]
        emu.send(LEADER, LEADER, "/status 89/TB-UBND")
        assert "89/TB-UBND" in (await emu.wait_for_bot_message(LEADER))["text"]
        emu.send(LEADER, LEADER, f"/status {by_ref['8.2'].code.lower()}")
        text = (await emu.wait_for_bot_message(LEADER))["text"]
        assert "chờ số liệu các huyện" in text and "đã trình dự thảo" in text
        emu.send(SNV_USER, SNV_GROUP, "/mytasks")
        text = (await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Nhiệm vụ của" in m["text"]))["text"]
        assert by_ref["8.1"].code + " " not in text  # completed: not listed
        assert text.index(by_ref["8.3"].code) < text.index(by_ref["8.2"].code)  # most urgent first


async def test_refusals(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        snv, ca, tasks, _ = await published_env(env)
        by_ref = {t.ref: t for t in tasks}
        before = len(env.store.notices.reports())
        # Forged callback data on Công an's card pointing at Sở Nội vụ's assignment.
        a81_snv = next(a for a in env.store.notices.assignments(agency_id=snv) if a.task_id == by_ref["8.1"].id)
        ca81 = card_for(emu, CA_GROUP, "8.1")
        emu.press(CA_USER, CA_GROUP, ca81["message_id"], data=f"st:{a81_snv.id}:done", forged=True)
        await emu.wait_until(lambda: any(x.get("show_alert") for x in emu.callback_answers))
        assert env.store.notices.assignment(a81_snv.id).progress == Progress.NONE
        # /report of another agency's task.
        emu.send(CA_USER, CA_GROUP, f"/report {by_ref['8.2'].code} xong")
        assert "không thuộc" in (await emu.wait_for_bot_message(CA_GROUP))["text"]
        # /report of an unknown task, and /report in an unbound group.
        emu.send(CA_USER, CA_GROUP, "/report NV999 xong")
        assert "Không tìm thấy" in (await emu.wait_for_bot_message(CA_GROUP))["text"]
        emu.add_group(-1009999, "Nhóm lạ", members=[STRANGER])
        emu.add_bot_to_group(-1009999, by_user=STRANGER)
        emu.send(STRANGER, -1009999, f"/report {by_ref['8.2'].code} xong")
        assert "chưa gắn" in (await emu.wait_for_bot_message(-1009999, lambda m: "/report" not in m["text"]))["text"]
        # /status by a stranger; an agency member asking about another agency.
        emu.press_start(STRANGER)
        await emu.wait_for_bot_message(STRANGER)
        emu.send(STRANGER, STRANGER, "/status")
        assert "dành cho" in (await emu.wait_for_bot_message(STRANGER))["text"]
        emu.send(CA_USER, CA_GROUP, "/status Sở Nội vụ")
        assert "chỉ xem" in (await emu.wait_for_bot_message(CA_GROUP))["text"]
        # In an agency's group even a leader sees only that agency; drafts and digests stay out of it.
        emu.add_member(CA_GROUP, LEADER)
        emu.add_member(CA_GROUP, ADMIN)
        emu.send(LEADER, CA_GROUP, "/status")
        text = (await emu.wait_for_bot_message(CA_GROUP))["text"]
        assert "Công an tỉnh" in text and "Tình hình thực hiện nhiệm vụ" not in text
        emu.send(LEADER, CA_GROUP, "/status Sở Nội vụ")
        assert "chỉ xem" in (await emu.wait_for_bot_message(CA_GROUP))["text"]
        emu.send(LEADER, CA_GROUP, "/digest")
        assert "chỉ gửi trong chat riêng" in (await emu.wait_for_bot_message(CA_GROUP))["text"]
        emu.send(ADMIN, CA_GROUP, f"/deadline {by_ref['9'].code} 30/9/2024")
        assert "chat riêng" in (await emu.wait_for_bot_message(CA_GROUP))["text"]
        # A stranger uploading a file, and editing a draft.
        emu.send(STRANGER, STRANGER, document=("x.txt", b"1. Giao So Noi vu", "text/plain"))
        assert "quản trị" in (await emu.wait_for_bot_message(STRANGER))["text"]
        assert len(env.store.notices.reports()) == before


async def test_registration_during_a_publish_sends_each_card_once(emulator, tmp_path):
    """A publish paced at 2 messages/s per group; Sở Tài chính registers while it runs."""
    from bot.emulator import FloodLimits

    async with bot_env(emulator, tmp_path, fast=False, telegram={"group_max_rate": 2.0, "group_time_period": 1.0}) as env:
        emu = env.emu
        emu.set_flood_limits(FloodLimits(group_count=2, group_seconds=1.0))
        await register(env, "Sở Nội vụ", SNV_GROUP, SNV_USER, "Minh")
        preview = await import_sample(env)
        emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
        await emu.wait_until(lambda: len(cards(emu, SNV_GROUP)) >= 2, timeout=10)
        stc = await register(env, "Sở Tài chính", STC_GROUP, STC_USER, "Hà")
        await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True, timeout=60)
        await emu.wait_until(lambda: all(a.sent_at for a in env.store.notices.assignments(agency_id=stc)), timeout=30)
        await asyncio.sleep(0.5)
        texts = [m["text"] for m in cards(emu, STC_GROUP)]
        assert len(texts) == 8 and len(set(texts)) == 8
        for a in env.store.notices.assignments(agency_id=stc):
            assert emu.message(STC_GROUP, a.message_id)["text"].startswith("📌")


async def test_a_slow_reading_does_not_hold_up_anyone_else(emulator, tmp_path, monkeypatch):
    import time as _time

    import handlers.notices

    real = handlers.notices.read_any

    def slow(*args, **kwargs):
        _time.sleep(2.0)  # like OCR of a long scan, in the worker thread
        return real(*args, **kwargs)

    monkeypatch.setattr(handlers.notices, "read_any", slow)
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        emu.send(ADMIN, ADMIN, document=("TB-89.txt", SAMPLE.read_bytes(), "text/plain"))
        await emu.wait_for_bot_message(ADMIN, lambda m: "Đang đọc" in m["text"])
        emu.send(LEADER, LEADER, "/help")
        await emu.wait_for_bot_message(LEADER, timeout=1.5)  # answered while the reading goes on
        assert not any(m.get("reply_markup") for m in emu.bot_messages(ADMIN))
        await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")), timeout=20)


async def test_same_notice_from_another_file_and_an_agency_moving_groups(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        snv, ca, tasks, _ = await published_env(env)
        # The same notice re-saved (CRLF line ends): recognised by its number and date.
        emu.send(ADMIN, ADMIN, document=("TB-89-ban-luu.txt", SAMPLE.read_bytes().replace(b"\n", b"\r\n"), "text/plain"))
        await emu.wait_for_bot_message(ADMIN, lambda m: "đã được nhập trước đây" in m["text"], timeout=20)
        assert len(env.store.notices.all_notices()) == 1
        # Sở Nội vụ binds a second group, then the first is unbound: its open tasks follow to the second.
        second = -1002999
        emu.add_group(second, "Sở Nội vụ 2", members=[SNV_USER, ADMIN])
        emu.add_bot_to_group(second, by_user=SNV_USER)
        emu.send(ADMIN, ADMIN, "/invite Sở Nội vụ")
        msg = await emu.wait_for_bot_message(ADMIN, lambda m: "startgroup=" in m["text"])
        emu.send(SNV_USER, second, "/register " + re.search(r"startgroup=([A-Z0-9]{8})", msg["text"]).group(1))
        await emu.wait_for_bot_message(second, lambda m: "đã được gắn" in m["text"])
        assert cards(emu, second) == []  # still served in the first group
        emu.add_member(SNV_GROUP, ADMIN)
        emu.send(ADMIN, SNV_GROUP, "/unregister")
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã gỡ gắn" in m["text"])
        await emu.wait_until(lambda: len(cards(emu, second)) == 11, timeout=10)
        # A reply in the old group is refused clearly.
        old = card_for(emu, SNV_GROUP, "8.1")
        emu.send(SNV_USER, SNV_GROUP, "xong", reply_to=old["message_id"])
        assert "chưa gắn" in (await emu.wait_for_bot_message(SNV_GROUP))["text"]


async def test_a_publish_cut_by_a_restart_is_finished_at_start(emulator, tmp_path):
    from bot import workflow
    from bot.importing import new_assignment_id, read_any, store_draft

    async with bot_env(emulator, tmp_path) as env:
        snv = await register(env, "Sở Nội vụ", SNV_GROUP, SNV_USER, "Minh")
        cfg, directory = env.cfg, env.directory
    # State as a crash mid-publish leaves it: published, assignments stored, no card sent. Written
    # while no bot runs, so nothing of the first run (its registration hook) can see it.
    store = DataStore.open(cfg.storage.path)
    try:
        reading, _ = read_any(SAMPLE.read_bytes(), SAMPLE.name, directory)
        imported = store_draft(store, reading, source=SAMPLE.read_bytes(), source_name=SAMPLE.name,
                               now=dt.datetime(2024, 3, 12, 9, 0, tzinfo=TZ), by=ADMIN)
        plan = workflow.plan_assignments(imported.tasks, directory, new_id=new_assignment_id)
        store.notices.add_assignments(plan.assignments)
        imported.notice.state = "published"
        store.notices.update_notice(imported.notice)
    finally:
        store.close()
    async with bot_env(emulator, tmp_path) as env:  # the restart
        emu = env.emu
        await emu.wait_until(lambda: all(a.sent_at for a in env.store.notices.assignments(agency_id=snv)), timeout=15)
        assert len(cards(emu, SNV_GROUP)) == 11
        await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "khởi động lại" in m["text"])
