"""A big publish under Telegram's real limits: 15 agency groups x 10 tasks through the emulator.

No message lost, none duplicated, every 429 retried. The elapsed time against the floor the
limits set (150 messages / 30 per second = 5 s) is printed (run with -s to see it). The issue's
600-card figure (60 groups) is measured by bench/bench_publish.py, beside its floor.
"""

from __future__ import annotations

import time

from bot.importing import store_draft
from bot.models import ChatBinding
from tests.harness import ADMIN, bot_env

AGENCIES = 15
TASKS = 10


def directory_file(folder, agencies: int = AGENCIES):
    """A directory of ``agencies`` test departments, all in the group "so-ban-nganh"."""
    lines = ['province = "Tỉnh Thử"\n']
    for i in range(agencies):
        lines.append(f'[[agency]]\nid = "so-{i:02d}"\nname = "Sở Thử Nghiệm Số {i:02d}"\nkind = "department"\n'
                     f'groups = ["so-ban-nganh"]\n')
    path = folder / "agencies.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def reading(tasks: int = TASKS, *, number: str = "7/TB-UBND", title: str = "Thử tải"):
    """A reading of ``tasks`` items, each led by the whole group "so-ban-nganh"."""
    return {
        "notice": {"number": number, "issued_on": "2024-03-01", "issuer": "UBND tỉnh", "kind": "Thông báo",
                   "title": title},
        "items": [{"ref": str(i + 1), "text": f"Nhiệm vụ số {i + 1}: triển khai, báo cáo kết quả.",
                   "lead": [{"name": "Các sở, ban, ngành", "agency_id": None, "group": "so-ban-nganh",
                             "as_written": "các sở, ban, ngành"}],
                   "coordinate": [], "deadline": "2024-06-30", "deadline_text": "trước ngày 30/6/2024",
                   "recurring": None, "warnings": []} for i in range(tasks)],
        "warnings": [],
    }


async def test_publish_150_messages_under_real_limits(emulator, tmp_path):
    path = directory_file(tmp_path)
    async with bot_env(emulator, tmp_path, fast=False, directory={"file": str(path)}) as env:
        emu = env.emu
        groups = {}
        for i in range(AGENCIES):
            chat_id = -1003000 - i
            emu.add_user(5000 + i, f"Cán bộ {i}")
            emu.add_group(chat_id, f"Sở {i:02d}", members=[5000 + i])
            emu.add_bot_to_group(chat_id, by_user=5000 + i)
            env.store.registry.bind_chat(ChatBinding(chat_id=chat_id, agency_id=f"so-{i:02d}", title=f"Sở {i:02d}"))
            groups[chat_id] = f"so-{i:02d}"
        store_draft(env.store, reading(), source=b"load-test", source_name="load.txt", now=env.clock.now, by=ADMIN)
        await emu.wait_idle()
        emu.send(ADMIN, ADMIN, "/preview")
        preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")))
        started = time.monotonic()
        emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")
        # While the cards go (5 s at least), an answer to someone waiting does not queue behind them.
        await emu.wait_until(lambda: sum(1 for m in emu.bot_messages(-1003000) if m["text"].startswith("📌")) > 0,
                             timeout=30, what="the first cards")
        asked = time.monotonic()
        emu.send(ADMIN, ADMIN, "/ping")
        await emu.wait_for_bot_message(ADMIN, lambda m: "dondoc đang chạy" in m["text"], timeout=30)
        answered = time.monotonic() - asked
        cards_then = sum(1 for c in range(AGENCIES) for m in emu.bot_messages(-1003000 - c)
                         if m["text"].startswith("📌"))
        assert answered < 2.0 and cards_then < AGENCIES * TASKS, (answered, cards_then)
        done = await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True,
                                              timeout=180)
        elapsed = time.monotonic() - started
        total = AGENCIES * TASKS
        assert f"Đã gửi: {total}" in done["text"] and "Lỗi: 0" in done["text"]
        for chat_id in groups:
            texts = [m["text"] for m in emu.bot_messages(chat_id) if m["text"].startswith("📌")]
            assert len(texts) == TASKS, (chat_id, len(texts))
            assert len(set(texts)) == TASKS  # none duplicated
        assert all(a.sent_at and a.message_id for a in env.store.notices.assignments())
        print(f"\npublish of {total} messages to {AGENCIES} groups: {elapsed:.1f} s "
              f"(floor {total / 30:.0f} s at 30 msg/s); 429 answers from the emulator: {emu.refused_429}")
