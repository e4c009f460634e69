"""Bad input (issue 11, item 6): bombs and oversized files refused before they are expanded, a file
with no task never becomes a draft, forged/empty/unknown button data answered and refused, and a bot
message that only explains is never taken as being about a task."""

from __future__ import annotations

import io
import resource
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks
from bot.notices import NoticeFileError, TooLarge, extract_text
from bot.uploads import MAX_PDF_PAGES, ZipLimit, check_zip
from tests.harness import ADMIN, bot_env
from tests.test_e2e_tracking import CA_GROUP, CA_USER, card_for, published_env

DOCX_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/'
              b'package/2006/content-types"/>')


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _bomb(size: int) -> bytes:
    """A .docx whose document.xml expands to ``size`` bytes, written in chunks (never held whole)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", DOCX_TYPES)
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body>')
            chunk = b" " * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
            member.write(b"</w:body></w:document>")
    return buf.getvalue()


# ---------------------------------------------------------------- callback data

@pytest.mark.parametrize("value", [
    callbacks.Status("a1b2c3", "done"), callbacks.Correct("r-9", "none"), callbacks.Confirm("a_1", "back"),
    callbacks.Extension("a1", 3, "ok"), callbacks.Publish("n0123456789abcdef"), callbacks.Preview("n1"),
])
def test_callback_round_trip(value):
    data = callbacks.pack(value)
    assert len(data.encode()) <= 64
    assert callbacks.unpack(data) == value


@pytest.mark.parametrize("data", [None, "", ":", "pub:", "pub", "st:a1", "st:a1:maybe", "st:a1:done:x",
                                  "ex:a1:x:ok", "ex:a1:-1:ok", "zz:1", "st:a b:done", "cf:" + "a" * 70 + ":ok",
                                  "pub:../../etc", "st:a1:done\n"])
def test_callback_malformed_is_none(data):
    assert callbacks.unpack(data) is None


def test_callback_over_64_bytes_refused():
    with pytest.raises(callbacks.CallbackTooLong):
        callbacks.pack(callbacks.Publish("n" * 70))


@given(st.text(max_size=80))
def test_unpack_never_raises(data):
    value = callbacks.unpack(data)
    assert value is None or callbacks.unpack(callbacks.pack(value)) == value


def test_on_its_message():
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="st:a1:done")]])
    assert callbacks.on_its_message("st:a1:done", markup)
    assert not callbacks.on_its_message("st:a2:done", markup)
    assert not callbacks.on_its_message("st:a1:done", None)


# ---------------------------------------------------------------- archives and PDFs

def test_zip_bomb_refused_in_one_line_without_expanding():
    bomb = _bomb(160 * 1024 * 1024)  # 160 MB of XML, about 160 KB on the wire
    assert len(bomb) < 400 * 1024
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(TooLarge) as exc:
        extract_text(bomb, "bom.docx")
    assert "\n" not in exc.value.message and "bom.docx" in exc.value.message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 50 * 1024  # KB: nothing was expanded


def test_high_ratio_member_refused():
    with pytest.raises(ZipLimit) as exc:
        check_zip(_zip({"word/media/image1.png": b"\0" * (3 * 1024 * 1024)}))
    assert exc.value.reason == "ratio"


def test_billion_laughs_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              b'<w:document xmlns:w="x"><w:body>&lol2;</w:body></w:document>')
    with pytest.raises(TooLarge) as exc:
        extract_text(_zip({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": laughs}), "cuoi.docx")
    assert "DOCTYPE" in exc.value.message


def test_too_many_pdf_pages_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(MAX_PDF_PAGES + 1):
        writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(TooLarge) as exc:
        extract_text(buf.getvalue(), "dai.pdf")
    assert str(MAX_PDF_PAGES) in exc.value.message


def test_an_ordinary_docx_still_reads():
    import docx

    d = docx.Document()
    d.add_paragraph("1. Giao Sở Tài chính chủ trì rà soát, hoàn thành trước ngày 30/6/2024.")
    buf = io.BytesIO()
    d.save(buf)
    check_zip(buf.getvalue())
    assert "Sở Tài chính" in extract_text(buf.getvalue(), "ok.docx")


# ---------------------------------------------------------------- through the emulator

async def test_a_file_with_no_task_is_refused_no_draft(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        text = "Kính gửi quý khách. Thực đơn tuần này: thứ Hai phở, thứ Ba bún chả, thứ Tư cơm tấm.\n" * 3
        emu.send(ADMIN, ADMIN, document=("thuc-don.txt", text.encode(), "text/plain"))
        msg = await emu.wait_for_bot_message(ADMIN, lambda m: "không có nhiệm vụ" in m["text"], timeout=20)
        assert "thuc-don.txt" in msg["text"] and not msg.get("reply_markup")
        await emu.wait_idle()
        assert env.store.notices.all_notices() == []
        # and a zip bomb named .docx: one line, the bot alive
        emu.send(ADMIN, ADMIN, document=("bom.docx", _bomb(160 * 1024 * 1024),
                                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
        msg = await emu.wait_for_bot_message(ADMIN, lambda m: "giải nén" in m["text"], timeout=20)
        assert env.store.notices.all_notices() == []
        emu.send(ADMIN, ADMIN, "/help")
        await emu.wait_for_bot_message(ADMIN, lambda m: "/status" in m["text"])


async def test_forged_empty_and_unknown_buttons_are_answered(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        snv, ca, tasks, _ = await published_env(env)
        card = card_for(emu, CA_GROUP, "8.1")
        before = card["text"]
        n_reports = len(env.store.notices.reports())
        queries = []
        for data in ("", "zz:1", "pub:", "st:nope", "cr:" + "x" * 10 + ":done"):
            queries.append(emu.press(CA_USER, CA_GROUP, card["message_id"], data=data, forged=True))
        # a correction button's data on the task card: never overwrites the card
        report_ids = [r.id for r in env.store.notices.reports()]
        if report_ids:
            queries.append(emu.press(CA_USER, CA_GROUP, card["message_id"], data=f"cr:{report_ids[0]}:done",
                                     forged=True))
        await emu.wait_until(lambda: all(emu.callback_queries[q]["answered"] for q in queries), timeout=10)
        assert len(env.store.notices.reports()) == n_reports
        now_card = next(m for m in emu.bot_messages(CA_GROUP) if m["message_id"] == card["message_id"])
        assert now_card["text"] == before and now_card.get("reply_markup")
        # the bot is alive and no error reached the office
        emu.send(CA_USER, CA_GROUP, "/help")
        await emu.wait_for_bot_message(CA_GROUP, lambda m: "/report" in m["text"])
        assert not any("lỗi" in m["text"] for m in emu.bot_messages(env.cfg.office.chat_id))


async def test_a_reply_to_help_is_not_a_report(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        await published_env(env)
        emu.send(CA_USER, CA_GROUP, "/help")
        help_msg = await emu.wait_for_bot_message(CA_GROUP, lambda m: "/report" in m["text"])
        assert "NV0" in help_msg["text"]  # the example code cannot exist
        n_reports = len(env.store.notices.reports())
        emu.send(CA_USER, CA_GROUP, "xong", reply_to=help_msg["message_id"])
        await emu.wait_idle()
        assert len(env.store.notices.reports()) == n_reports


def test_a_docx_at_the_xml_limit_reads_within_50_mb(tmp_path):
    """The limit is set so that what it lets through stays under +50 MB while read (fresh process)."""
    import subprocess
    import sys

    from bot.uploads import MAX_XML_UNCOMPRESSED

    script = f"""
import copy, io, resource, docx
import bot.uploads
from bot.notices import extract_text
bot.uploads.MAX_RATIO = 10 ** 9  # this made-up text repeats itself: only its size matters here
d = docx.Document()
p = d.add_paragraph("Giao Sở Tài chính chủ trì, phối hợp với các sở, ngành, hoàn thành trước ngày 30/6/2024. " * 3)._p
for _ in range({MAX_XML_UNCOMPRESSED} // 470):
    p.getparent().append(copy.deepcopy(p))
buf = io.BytesIO(); d.save(buf); data = buf.getvalue(); del d, p
import gc; gc.collect()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text = extract_text(data, "x.docx")
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - r0) // 1024, len(text))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    grown_mb, chars = map(int, out.stdout.split())
    assert chars > 1_000_000 and grown_mb < 50, (grown_mb, chars)


def test_examples_in_texts_use_codes_that_cannot_exist():
    """Task codes start at NV1 and notice numbers at 1: examples use NV0 and 0/..., never a real one."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "bot" / "texts"
    for name in ("vi.toml", "en.toml"):
        body = "\n".join(line for line in (root / name).read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith("#"))
        tomllib.loads(body)
        assert not re.findall(r"\bNV\s?0*[1-9]\d*\b", body), name
        assert not re.findall(r"\b[1-9]\d*/TB-UBND\b", body), name
