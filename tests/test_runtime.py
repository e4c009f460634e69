"""The runtime through the emulator: chats handled concurrently and each in order, per-user flood
control, Telegram unreachable for 10 minutes told to the office once, the update journal."""

from __future__ import annotations

import datetime as dt
import json

from bot.emulator.world import ApiError
from bot.runtime import FloodGuard, parse_update
from storage.updates import UpdateJournal
from tests.harness import OFFICE_CHAT, bot_env
from tests.test_e2e_tracking import CA_GROUP, CA_USER, SNV_GROUP, SNV_USER, cards, published_env


def acks(emu, chat_id):
    return [m for m in emu.bot_messages(chat_id) if "Đã ghi nhận" in m["text"] and m.get("reply_to_message")]


async def test_a_busy_group_does_not_hold_up_another_and_each_group_stays_in_order(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        await published_env(env)
        snv_card = next(m for m in cards(emu, SNV_GROUP) if "mục 8.2\n" in m["text"])
        ca_card = cards(emu, CA_GROUP)[0]
        for k in range(1, 11):  # ten members of Sở Nội vụ, none flooding
            emu.add_user(50000 + k, f"Cán bộ {k}")
            emu.add_member(SNV_GROUP, 50000 + k)
        # Faults on Sở Nội vụ's answers: a retried answer holds its group's queue (the next waits).
        emu.inject("error", status=500, chat_id=SNV_GROUP, method="sendMessage", times=3, skip=4)
        emu.inject("drop", chat_id=SNV_GROUP, method="sendMessage", times=2, skip=15)
        emu.inject("error", status=502, chat_id=SNV_GROUP, method="sendMessage", times=1, skip=30)
        emu.inject("429", chat_id=SNV_GROUP, method="sendMessage", times=1, retry_after=1, skip=45)
        # answers made but their connection dropped (the bot cannot know they arrived): found, not sent again
        emu.inject("drop_after", chat_id=SNV_GROUP, method="sendMessage", times=2, skip=55)
        sent = [emu.send(50000 + i % 10 + 1, SNV_GROUP, f"Tiến độ {i}: đang thực hiện",
                         reply_to=snv_card["message_id"])["message_id"] for i in range(80)]
        other = emu.send(CA_USER, CA_GROUP, "Đang thực hiện", reply_to=ca_card["message_id"])
        answer = await emu.wait_for_bot_message(CA_GROUP, lambda m: "Đã ghi nhận" in m["text"], timeout=20)
        # Công an's answer came while Sở Nội vụ's burst was still being answered, not after it.
        assert len(acks(emu, SNV_GROUP)) < len(sent)
        assert answer["reply_to_message"]["message_id"] == other["message_id"]
        await emu.wait_until(lambda: len(acks(emu, SNV_GROUP)) == len(sent), timeout=60)
        # One group's messages are handled (stored) in the order they were sent, and answered in that
        # order as the group sees them arrive, each once, faults and retries included.
        stored = [r.message_id for r in env.store.notices.reports() if r.chat_id == SNV_GROUP and r.message_id in sent]
        assert stored == sent
        assert [m["reply_to_message"]["message_id"] for m in acks(emu, SNV_GROUP)] == sent
        assert sorted(kind for kind, _, chat in emu.fault_log if str(chat) == str(SNV_GROUP)) == \
            ["429", "drop", "drop", "drop_after", "drop_after", "error", "error", "error", "error"]


async def test_a_flooding_user_is_told_once_everything_is_stored_and_answered_in_one_summary(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        await published_env(env)
        runtime = env.app.updater.runtime
        runtime.flood = FloodGuard(limit=5, window=1.0)  # 20 in 10 s in production; same rule, faster
        card = next(m for m in cards(emu, SNV_GROUP) if "mục 8.2\n" in m["text"])
        sent = [emu.send(SNV_USER, SNV_GROUP, f"Báo cáo {i}: đang thực hiện", reply_to=card["message_id"])
                for i in range(15)]
        summary = await emu.wait_for_bot_message(SNV_GROUP, lambda m: m["text"].startswith("📋"), timeout=20)
        await emu.wait_idle()
        slow = [m for m in emu.bot_messages(SNV_GROUP) if "chậm lại" in m["text"]]
        assert len(slow) == 1
        individual = acks(emu, SNV_GROUP)
        assert 1 <= len(individual) <= 5  # the first five, before the flood
        assert f"{15 - len(individual)} tin nhắn" in summary["text"]
        assert "8.2" in summary["text"] or "NV" in summary["text"]
        stored = {r.message_id for r in env.store.notices.reports() if r.chat_id == SNV_GROUP}
        assert {m["message_id"] for m in sent} <= stored  # every message stored, once each
        assert len([r for r in env.store.notices.reports() if r.chat_id == SNV_GROUP]) == len(stored)


async def test_telegram_unreachable_for_ten_minutes_is_told_to_the_office_once(emulator, tmp_path, monkeypatch):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        runtime = env.app.updater.runtime
        runtime.retry_cap = 0.05
        real = type(emu).api_getUpdates

        def down(self, p):
            raise ApiError(502, "Bad Gateway")

        office_before = len(emu.bot_messages(OFFICE_CHAT))
        monkeypatch.setattr(type(emu), "api_getUpdates", down)
        failures = lambda: runtime._failures  # noqa: E731
        await emu.wait_until(lambda: failures() >= 3, timeout=10)
        assert len(emu.bot_messages(OFFICE_CHAT)) == office_before  # a short outage: logged, not posted
        env.clock.now += dt.timedelta(minutes=11)
        seen = failures()
        await emu.wait_until(lambda: failures() >= seen + 3, timeout=10)
        told = emu.bot_messages(OFFICE_CHAT)[office_before:]
        assert len(told) == 1 and "không kết nối được Telegram" in told[0]["text"]
        env.clock.now += dt.timedelta(minutes=5)
        seen = failures()
        await emu.wait_until(lambda: failures() >= seen + 3, timeout=10)
        assert len(emu.bot_messages(OFFICE_CHAT)) == office_before + 1  # once, not per error
        monkeypatch.setattr(type(emu), "api_getUpdates", real)
        back = await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "đã kết nối lại" in m["text"], timeout=10)
        assert "16 phút" in back["text"]
        await emu.wait_idle()
        assert len(emu.bot_messages(OFFICE_CHAT)) == office_before + 2


def test_update_journal_survives_a_torn_line_and_compacts(tmp_path):
    path = tmp_path / "updates.log"
    j = UpdateJournal(path)
    j.record([5, 6], 7)
    j.record([], None, [{"update_id": 9, "message": {"x": 1}}])
    j.close()
    with open(path, "ab") as f:
        f.write(b'{"done": [8')  # a crash in the middle of a write
    j = UpdateJournal(path)
    assert j.is_done(5) and j.is_done(6) and not j.is_done(8) and j.offset == 7
    assert list(j.held) == [9]
    j.record([9], 10)
    assert not j.held and j.offset == 10
    for n in range(11, 2500):
        j.record([n], n + 1)
    j.close()
    assert len(path.read_bytes().splitlines()) < 2100  # compacted
    j = UpdateJournal(path)
    assert j.is_done(2499) and j.offset == 2500 and not j.is_done(8)


async def test_a_reply_through_the_emulator_is_one_durable_write(emulator, tmp_path):
    """The report, its assignment, the acknowledgement owed and "update done": one line of the
    store's journal, one fsync; the outbox's journal and updates.log are not written for it (the
    sender's own "sent" mark comes after Telegram's answer, apart)."""
    from storage import atomic
    from storage import updates as updates_mod
    from storage.journal import read_journal

    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        await published_env(env)
        await emu.wait_idle()
        card = next(m for m in cards(emu, SNV_GROUP) if "mục 8.2\n" in m["text"])
        store = env.store
        folder = store.folder
        env.app.updater.runtime.hold_after = 60.0  # a slow machine must not make it hold the update
        outbox_journals = {p: p.stat().st_size for p in (folder / "outbox").glob("journal-*.jsonl")}
        updates_size = (folder / "updates.log").stat().st_size if (folder / "updates.log").exists() else 0
        fsyncs: list[int] = []
        real = atomic._fsync
        journal_fd = store._guard.journal.fd

        def counting(fd):
            fsyncs.append(fd)
            real(fd)

        atomic._fsync = counting
        updates_mod._fsync = counting
        try:
            commits = store.commits
            lines = len(read_journal(folder / "journal.jsonl")[0])
            emu.send(SNV_USER, SNV_GROUP, "Đang thực hiện, đạt 50%", reply_to=card["message_id"])
            await emu.wait_until(lambda: store.commits > commits, timeout=20)
            store_fsyncs = [fd for fd in fsyncs if fd == journal_fd]
            assert store.commits == commits + 1
            txs = read_journal(folder / "journal.jsonl")[0]
            assert len(txs) == lines + 1
            kinds = [op[0] for op in txs[-1]]
            assert "put" in kinds and "ob" in kinds and kinds[-1] == "ud"
            assert len(store_fsyncs) == 1
            ack = await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã ghi nhận" in m["text"], timeout=20)
            assert ack["reply_to_message"]["text"] == "Đang thực hiện, đạt 50%"
            await emu.wait_idle()
            # the outbox's journal got the sender's "sent" mark at most, not the entry (it is in the store's)
            appended = b"".join(p.read_bytes()[outbox_journals.get(p, 0):]
                                for p in (folder / "outbox").glob("journal-*.jsonl"))
            ops = [json.loads(line)["op"] for line in appended.splitlines() if line.strip()]
            assert "add" not in ops and "entry" not in ops and "snapshot" not in ops, ops
            now = (folder / "updates.log").stat().st_size if (folder / "updates.log").exists() else 0
            assert now == updates_size
        finally:
            atomic._fsync = real
            updates_mod._fsync = real


async def test_a_held_update_is_kept_as_telegram_sent_it(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        await published_env(env)
        runtime = env.app.updater.runtime
        runtime.hold_after = 0.0  # hold whatever is not finished at once
        card = next(m for m in cards(emu, SNV_GROUP) if "mục 8.2\n" in m["text"])
        for k in range(1, 6):
            emu.add_user(52000 + k, f"Cán bộ {k}")
            emu.add_member(SNV_GROUP, 52000 + k)
        held: list[dict] = []
        record = env.store.updates.record

        def spy(done=(), offset=None, hold=(), *, sync=True):
            held.extend(hold)
            return record(done, offset, hold, sync=sync)

        env.store.updates.record = spy
        sent = [emu.send(52000 + i % 5 + 1, SNV_GROUP, f"Tiến độ {i}: đang thực hiện", reply_to=card["message_id"])
                for i in range(10)]
        await emu.wait_until(lambda: len(acks(emu, SNV_GROUP)) >= 10, timeout=30)
        assert held, "nothing was held"
        by_id = {u["update_id"]: u for u in held}
        for u in by_id.values():
            message = u["message"]
            assert message["message_id"] in {m["message_id"] for m in sent}
            assert message["reply_to_message"]["message_id"] == card["message_id"]  # the JSON, whole
            assert "date" in message and isinstance(message["date"], int)  # as Telegram sends it, not PTB's


async def test_an_answer_made_but_not_confirmed_is_found_past_members_messages(emulator, tmp_path):
    """An acknowledgement the emulator made while the connection dropped, and members writing in the
    group meanwhile: before sending it again the bot looks above the group's last marked message,
    passes over the members' messages ("can't be edited") and finds its own ("not modified")."""
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        await published_env(env)
        card = next(m for m in cards(emu, SNV_GROUP) if "mục 8.2\n" in m["text"])
        emu.add_user(50101, "Cán bộ Hà")
        emu.add_member(SNV_GROUP, 50101)
        first = emu.send(SNV_USER, SNV_GROUP, "Đang thực hiện, đạt 20%", reply_to=card["message_id"])
        await emu.wait_until(lambda: len(acks(emu, SNV_GROUP)) == 1, timeout=20)
        emu.inject("drop_after", chat_id=SNV_GROUP, method="sendMessage", times=1)
        second = emu.send(SNV_USER, SNV_GROUP, "Đang thực hiện, đạt 40%", reply_to=card["message_id"])
        await emu.wait_until(lambda: len(acks(emu, SNV_GROUP)) == 2, timeout=20)  # made; its answer lost
        chatter = [emu.send(50101, SNV_GROUP, f"Chào mọi người {i}") for i in range(3)]  # during the retry's wait
        third = emu.send(50101, SNV_GROUP, "Đã hoàn thành", reply_to=card["message_id"])
        await emu.wait_until(lambda: len(acks(emu, SNV_GROUP)) >= 3, timeout=20)
        await emu.wait_idle(quiet=1.0)
        answered = [m["reply_to_message"]["message_id"] for m in acks(emu, SNV_GROUP)]
        assert answered == [first["message_id"], second["message_id"], third["message_id"]], answered
        assert [k for k, _, _ in emu.fault_log] == ["drop_after"]
        assert chatter  # the members' messages sit between the lost answer's and the next


async def test_a_first_private_answer_whose_connection_dropped_is_not_sent_twice(emulator, tmp_path):
    """Nothing was ever sent to this person: the answer is looked for above the message it answers."""
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        emu.add_user(50202, "Người mới")
        emu.inject("drop_after", chat_id=50202, method="sendMessage", times=1)
        emu.send(50202, 50202, "/start")
        await emu.wait_until(lambda: len(emu.bot_messages(50202)) >= 1, timeout=20)
        await emu.wait_idle(quiet=1.5)
        assert [k for k, _, _ in emu.fault_log] == ["drop_after"]
        assert len(emu.bot_messages(50202)) == 1, [m["text"][:40] for m in emu.bot_messages(50202)]


def test_a_reply_is_parsed_without_what_no_handler_reads_of_the_message_it_quotes():
    from telegram import Bot

    card = {"message_id": 7, "date": 1796196605, "chat": {"id": -1002001, "type": "supergroup", "title": "Sở Thử"},
            "from": {"id": 123, "is_bot": True, "first_name": "Đôn đốc", "username": "dondoc_test_bot"},
            "text": "📌 NV0 · Thông báo 0/TB-UBND", "entities": [{"type": "bold", "offset": 3, "length": 3}],
            "reply_markup": {"inline_keyboard": [[{"text": "✅ Hoàn thành", "callback_data": "st:a0:done"}]]}}
    raw = {"update_id": 41, "message": {"message_id": 9, "date": 1796196700, "chat": card["chat"],
                                        "from": {"id": 5, "is_bot": False, "first_name": "Lan"},
                                        "text": "xong", "entities": [{"type": "bold", "offset": 0, "length": 4}],
                                        "reply_to_message": card}}
    kept = json.dumps(raw, sort_keys=True)
    update = parse_update(raw, Bot("123:abc"))
    quoted = update.message.reply_to_message
    assert (quoted.message_id, quoted.from_user.id, quoted.text, quoted.chat.id) == (7, 123, card["text"], -1002001)
    assert quoted.entities == () and quoted.reply_markup is None
    assert update.message.entities[0].type == "bold"  # the reply's own formatting is kept
    assert json.dumps(raw, sort_keys=True) == kept  # what is written down when held stays whole
    assert parse_update({"update_id": 42, "message": {k: v for k, v in raw["message"].items()
                                                      if k != "reply_to_message"}}, Bot("123:abc")).message.text == "xong"
