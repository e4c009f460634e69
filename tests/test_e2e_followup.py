"""Reminders and the weekly digest as users see them, through the emulator, across a restart."""

from __future__ import annotations

import datetime as dt

import docx
import openpyxl
import io

from tests.harness import LEADER, OFFICE_CHAT, TZ, bot_env
from tests.test_e2e_tracking import SNV_GROUP, published_env


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def reminders(emu, chat_id):
    return [m for m in emu.bot_messages(chat_id) if m["text"].startswith(("⏰", "🔔", "⚠️", "❗", "📣", "📌 Nhắc"))
            or "nhắc" in m["text"].lower()[:80]]


def reason_of(text: str, code: str) -> str:
    """The reason a reminder gives for task ``code`` (the line under the task's own line)."""
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(f"• {code} "))
    return lines[i + 1].split(" — ", 1)[1].lstrip("⏳📌🔴💤 ").strip()


async def test_reminders_across_restart_and_downtime(emulator, tmp_path):
    emu = emulator
    async with bot_env(emu, tmp_path) as env:
        snv, ca, tasks, _ = await published_env(env)
        codes = {t.ref: t.code for t in tasks}
        # Wednesday 27/3/2024 08:05: 3 working days before the effective deadline of 8.x (Mon 1/4,
        # since 31/3 is a Sunday): one message for Sở Nội vụ listing its three tasks.
        env.clock.now = at(2024, 3, 27, 8, 5)
        before = len(emu.bot_messages(SNV_GROUP))
        await env.tick()
        new = emu.bot_messages(SNV_GROUP)[before:]
        assert len(new) == 1, [m["text"][:60] for m in new]
        for ref in ("8.1", "8.2", "8.3"):
            assert codes[ref] in new[0]["text"]
        # 8.2 has a deadline and a recurring duty: reminded for its deadline, not only nudged as silent.
        assert reason_of(new[0]["text"], codes["8.2"]).startswith("còn 3 ngày làm việc")
        # A reply to the reminder: which task, unless the reply names one of its tasks.
        from tests.test_e2e_tracking import SNV_USER

        emu.send(SNV_USER, SNV_GROUP, "Đã gửi báo cáo", reply_to=new[0]["message_id"])
        assert "nhiều nhiệm vụ" in (await emu.wait_for_bot_message(SNV_GROUP))["text"]
        emu.send(SNV_USER, SNV_GROUP, f"{codes['8.3']} đang triển khai khảo sát", reply_to=new[0]["message_id"])
        ack = await emu.wait_for_bot_message(SNV_GROUP)
        assert "Đã ghi nhận" in ack["text"] and codes["8.3"] in ack["text"]
        before = len(emu.bot_messages(SNV_GROUP)) - 1
        # Nothing twice the same day.
        env.clock.now = at(2024, 3, 27, 11, 0)
        await env.tick()
        assert len(emu.bot_messages(SNV_GROUP)) == before + 1
        # Not before the hour, not on a Sunday.
        env.clock.now = at(2024, 3, 31, 9, 0)
        await env.tick()
        assert len(emu.bot_messages(SNV_GROUP)) == before + 1

    # Restart the same day: the sent-log is in the store, nothing is repeated.
    async with bot_env(emu, tmp_path, now=at(2024, 3, 27, 14, 0)) as env:
        await env.tick()
        assert len(emu.bot_messages(SNV_GROUP)) == before + 1
        # Down on Thu 28 and Fri 29 (the "1 day before" reminder was due on Fri 29), back on Mon 1/4
        # at 09:30: the deadline-day reminder goes once; the stale one is not sent late.
        env.clock.now = at(2024, 4, 1, 9, 30)
        await env.tick()
        new = emu.bot_messages(SNV_GROUP)[before + 1:]
        assert len(new) == 1
        assert reason_of(new[0]["text"], codes["8.2"]) == "hôm nay là hạn cuối"  # Monday 1/4: due
        await env.tick()
        assert len(emu.bot_messages(SNV_GROUP)) == before + 2
        # Overdue day after day; escalation to the office after 3 working days overdue.
        office_before = len(emu.bot_messages(OFFICE_CHAT))
        day = dt.date(2024, 4, 2)
        while day <= dt.date(2024, 4, 9):
            env.clock.now = at(day.year, day.month, day.day, 8, 1)
            await env.tick()
            day += dt.timedelta(days=1)
        escalations = [m for m in emu.bot_messages(OFFICE_CHAT)[office_before:] if "Sở Nội vụ" in m.get("text", "")
                       and codes["8.3"] in m["text"]]
        assert escalations, [m.get("text", "")[:80] for m in emu.bot_messages(OFFICE_CHAT)[office_before:]]
        # Leaders get the escalation too, in their private chat with the bot.
        assert any(codes["8.3"] in m.get("text", "") and "Sở Nội vụ" in m.get("text", "")
                   for m in emu.bot_messages(LEADER))


async def test_weekly_digest_and_on_demand(emulator, tmp_path, monkeypatch):
    emu = emulator
    import bot.followup
    from bot.digest.chart import ChartJob

    charts = []

    class Spy(ChartJob):  # the chart drawn by its child process, as the bot does (no fallback)
        def result(self) -> bytes:
            png = self.proc.communicate(timeout=60)[0] if self.proc is not None else b""
            charts.append((self.proc is not None and self.proc.returncode, png[:8]))
            return png

    monkeypatch.setattr(bot.followup, "ChartJob", Spy)
    async with bot_env(emu, tmp_path, digest={"chart_process": True}) as env:
        await published_env(env)
        # Friday 29/3/2024 16:05: the weekly digest with its three files, once.
        env.clock.now = at(2024, 3, 29, 16, 5)
        before = len(emu.bot_messages(OFFICE_CHAT))
        await env.tick()
        sent = emu.bot_messages(OFFICE_CHAT)[before:]
        docs = [m for m in sent if m.get("document")]
        names = sorted(m["document"]["file_name"] for m in docs)
        assert [n.rsplit(".", 1)[1] for n in names] == ["docx", "png", "xlsx"], names
        assert any("Tỷ lệ hoàn thành" in m.get("text", "") or "tỷ lệ" in m.get("text", "").lower() for m in sent)
        xlsx = next(m for m in docs if m["document"]["file_name"].endswith(".xlsx"))
        wb = openpyxl.load_workbook(io.BytesIO(emu.file_bytes(xlsx["document"]["file_id"])))
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        assert len(rows) - 1 == len(env.store.notices.assignments())
        report = next(m for m in docs if m["document"]["file_name"].endswith(".docx"))
        document = docx.Document(io.BytesIO(emu.file_bytes(report["document"]["file_id"])))
        assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in p.text for p in document.paragraphs) or \
            any("CỘNG HÒA" in c.text for t in document.tables for r in t.rows for c in r.cells)
        # The report names the notice (number, date, title) and lists its tasks under it.
        heading = next(p.text for p in document.paragraphs if "Thông báo số 89/TB-UBND" in p.text)
        assert "ngày 11/03/2024" in heading and "cai cach hanh chinh" in heading.lower(), heading
        tasks_table = [[c.text for c in r.cells] for r in document.tables[2].rows]
        assert [row[1] for row in tasks_table[1:]] == ["1", "2", "3", "4", "5", "6", "7", "8.1", "8.2", "8.3", "9"]
        # Standing duties of every agency are counted apart in the message.
        text = "\n".join(m.get("text", "") for m in sent)
        assert "Nhiệm vụ chung cho tất cả cơ quan: 7" in text and "245 lượt giao" in text
        await env.tick()
        assert len(emu.bot_messages(OFFICE_CHAT)) == before + len(sent)
        # A leader asks for it.
        emu.send(LEADER, LEADER, "/digest")
        await emu.wait_until(lambda: sum(1 for m in emu.bot_messages(LEADER) if m.get("document")) == 3, timeout=20)
        assert charts == [(0, b"\x89PNG\r\n\x1a\n")] * 2
        png = next(m for m in emu.bot_messages(LEADER) if m.get("document", {}).get("file_name", "").endswith(".png"))
        assert emu.file_bytes(png["document"]["file_id"]).startswith(b"\x89PNG")


async def test_schedule_is_rebuilt_at_start_with_a_generous_misfire_grace(emulator, tmp_path):
    async with bot_env(emulator, tmp_path, jobs=True) as env:
        jobs = env.app.job_queue.get_jobs_by_name("tick")
        assert len(jobs) == 1
        assert jobs[0].job.misfire_grace_time >= 600 and jobs[0].job.coalesce


async def test_first_start_sends_no_digest_for_the_week_before(emulator, tmp_path):
    """First started on Tuesday 12/3/2024: Friday 8/3's digest is not owed; Friday 15/3's is."""
    emu = emulator
    async with bot_env(emu, tmp_path) as env:
        await published_env(env)
        digests = lambda: [m for m in emu.bot_messages(OFFICE_CHAT) if "BÁO CÁO TUẦN" in m.get("text", "")]  # noqa: E731
        await env.tick()
        env.clock.now = at(2024, 3, 13, 10, 0)
        await env.tick()
        assert digests() == []
        env.clock.now = at(2024, 3, 15, 16, 5)
        await env.tick()
        assert len(digests()) == 1 and "15/03/2024" in digests()[0]["text"]
        # /status: the 7 items given to every agency without a deadline (7 x 35 agencies) are counted
        # apart from the 38 lead tasks due by a date (8.1-8.3 for Sở Nội vụ, item 9 for each agency).
        emu.send(LEADER, LEADER, "/status")
        text = (await emu.wait_for_bot_message(LEADER, lambda m: "Tình hình thực hiện" in m["text"]))["text"]
        assert "Tổng số nhiệm vụ (chủ trì): 38" in text
        assert "Nhiệm vụ chung cho tất cả cơ quan: 7 (thường xuyên, 245 lượt giao" in text


async def test_office_warned_once_in_december_when_next_year_is_missing(emulator, tmp_path):
    emu = emulator
    warnings = lambda: [m for m in emu.bot_messages(OFFICE_CHAT) if "Lịch làm việc năm 2027" in m.get("text", "")]  # noqa: E731
    async with bot_env(emu, tmp_path, now=at(2026, 11, 30, 9, 0)) as env:
        await env.tick()
        assert warnings() == []
        env.clock.now = at(2026, 12, 1, 8, 30)
        await env.tick()
        await env.tick()
        assert len(warnings()) == 1
        assert "2024, 2025, 2026" in warnings()[0]["text"]
    async with bot_env(emu, tmp_path, now=at(2026, 12, 2, 9, 0)) as env:  # restart: not again
        await env.tick()
        assert len(warnings()) == 1
