"""A tour of attacks and bad input, as Telegram delivers them to a running bot (issue 11, "38 attacks").

One bot, one published notice, then: damaged, locked, empty, binary and bomb files sent by the admin,
a file from a stranger, commands by people who may not use them, HTML in what users write, forged
buttons. Each gets one clear answer (no "Đã có lỗi", no traceback, nothing stored that should not be),
the office group hears no error, the process grows by less than 50 MB, and the bot still works at the
end. The finer cases of each defence have their own tests (test_bad_input.py, test_notice_extract.py).
"""

from __future__ import annotations

import io
import resource

from pypdf import PdfWriter

from tests.harness import ADMIN, OFFICE_CHAT, STRANGER, bot_env
from tests.test_bad_input import _zip
from tests.test_e2e_tracking import CA_GROUP, CA_USER, card_for, published_env

ERROR_WORDS = ("Đã có lỗi", "Traceback", "Exception")


def _pdf(*, encrypt: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    if encrypt:
        writer.encrypt(encrypt)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10)
                     for i in range(1, 10))
          + b']><w:document xmlns:w="x"><w:body>&lol9;</w:body></w:document>')

# (file name, bytes, words the one answer must contain)
BAD_FILES = [
    ("khoa.pdf", _pdf(encrypt="matkhau"), "mật khẩu"),
    ("dang-do.pdf", _pdf()[:300], "bị hỏng"),
    ("hong.docx", b"PK\x03\x04" + b"\x00" * 200, "bị hỏng"),
    ("trong.txt", b"", "không có nội dung"),
    ("nhi-phan.txt", bytes(range(256)) * 40, "định dạng"),
    ("chuong-trinh.exe", b"MZ" + b"\x90" * 500, "định dạng"),
    ("bom.docx", _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b" " * (40 * 1024 * 1024)}),
     "giải nén"),
    ("cuoi.docx", _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": LAUGHS}), ""),
    ("khong-phai-thong-bao.txt", "Danh sách món ăn trưa: cơm, canh, rau.\n".encode() * 5, "không có nhiệm vụ"),
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _one_answer(emu, chat_id: int, after: int, must: str, *, timeout: float = 20) -> dict:
    """The first message the bot sends in `chat_id` after index `after` that is not a progress line."""
    def answer():
        fresh = [m for m in emu.bot_messages(chat_id)[after:] if not m["text"].startswith("⏳")]
        return fresh[0] if fresh else None
    await emu.wait_until(answer, timeout, what=f"an answer in {chat_id}")
    await emu.wait_idle()
    msg = answer()
    final = emu.message(chat_id, msg["message_id"])  # as it stands after any edit
    text = final.get("text") or final.get("caption") or ""
    assert not any(w in text for w in ERROR_WORDS), text
    assert must.lower() in text.lower(), (must, text)
    return final


async def test_attacks_are_refused_clearly_and_the_bot_lives_on(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        snv, ca, tasks, _ = await published_env(env)
        notices_before = len(env.store.notices.all_notices())
        office_before = len(emu.bot_messages(OFFICE_CHAT))
        rss_before = _rss_mb()

        # Files an admin may send by mistake, or that someone built to hurt.
        for name, data, must in BAD_FILES:
            after = len(emu.bot_messages(ADMIN))
            emu.send(ADMIN, ADMIN, document=(name, data))
            answer = await _one_answer(emu, ADMIN, after, must)
            assert not answer.get("reply_markup"), (name, answer["text"])  # no draft, no Công bố button
        assert len(env.store.notices.all_notices()) == notices_before

        # A stranger's file and commands: refused, nothing read.
        for text in ("/preview", "/invite Công ty Ma", "/table 89/TB-UBND", f"/text {tasks[0].code} khác",
                     f"/deadline {tasks[0].code} 1/1/2030", "/agencies", "/ping", "/digest"):
            after = len(emu.bot_messages(STRANGER))
            emu.send(STRANGER, STRANGER, text)
            await _one_answer(emu, STRANGER, after, "")
        for text in ("/publish@dondoc_bot now", "/xoa_het <b>", "xin chào, cho hỏi"):  # no such command; plain text
            after = len(emu.bot_messages(STRANGER))
            emu.send(STRANGER, STRANGER, text)
            assert "/help" in (await _one_answer(emu, STRANGER, after, ""))["text"]
        after = len(emu.bot_messages(STRANGER))
        emu.send(STRANGER, STRANGER, document=("tb.txt", "Số: 1/TB-UBND\nGiao Sở Nội vụ chủ trì.\n".encode()))
        await _one_answer(emu, STRANGER, after, "")
        assert len(env.store.notices.all_notices()) == notices_before
        assert env.store.notices.task_by_code(tasks[0].code).text == tasks[0].text

        # An agency member may not run the office's commands in its group.
        for text in ("/unregister", "/preview", "/invite Sở Tài chính"):
            after = len(emu.bot_messages(CA_GROUP))
            emu.send(CA_USER, CA_GROUP, text)
            await _one_answer(emu, CA_GROUP, after, "")
        assert env.store.registry.chat(CA_GROUP).agency_id == ca

        # HTML in what users write is shown as written, never as markup (the emulator parses HTML).
        card = card_for(emu, CA_GROUP, "8.1")
        after = len(emu.bot_messages(CA_GROUP))
        emu.send(CA_USER, CA_GROUP, 'đang làm <b>gấp</b> <a href="http://x">bấm</a> </i>', reply_to=card["message_id"])
        ack = await _one_answer(emu, CA_GROUP, after, "")
        assert "<b>" not in str(ack.get("entities", "")) and not any(
            e.get("type") == "text_link" for e in ack.get("entities", []))
        assert any('<b>gấp</b>' in r.text for r in env.store.notices.reports())
        after = len(emu.bot_messages(ADMIN))
        emu.send(ADMIN, ADMIN, "/invite ngoài: <i>Công ty</i> & <Con>")
        invite = await _one_answer(emu, ADMIN, after, "<i>Công ty</i> & <Con>")
        assert not any(e.get("type") == "italic" for e in invite.get("entities", []))
        assert emu.spec_errors == []

        # Forged buttons: data naming no assignment of this card, another notice, nonsense bytes.
        emu.add_member(CA_GROUP, STRANGER)
        queries = [emu.press(STRANGER, CA_GROUP, card["message_id"], data=f"st:{card['message_id']}:done", forged=True),
                   emu.press(CA_USER, CA_GROUP, card["message_id"], data="pub:" + "9" * 40, forged=True),
                   emu.press(CA_USER, CA_GROUP, card["message_id"], data="\x00\xff", forged=True)]
        await emu.wait_until(lambda: all(emu.callback_queries[q]["answered"] for q in queries), timeout=10)
        assert all(a.done_reported_at is None for a in env.store.notices.assignments(agency_id=ca))

        # Nothing reached the office as an error; the process did not balloon; the bot still answers.
        office = [m["text"] for m in emu.bot_messages(OFFICE_CHAT)[office_before:]]
        assert not any(w in t for t in office for w in ERROR_WORDS), office
        assert _rss_mb() - rss_before < 50, f"grew {_rss_mb() - rss_before:.0f} MB"
        after = len(emu.bot_messages(CA_GROUP))
        emu.send(CA_USER, CA_GROUP, "xong", reply_to=card["message_id"])
        await _one_answer(emu, CA_GROUP, after, "")
