"""The outbox journal: durable enqueue, dedupe by key, replay after a restart, torn lines, compaction."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from bot.outgoing import Outgoing, parts
from storage.outbox import Outbox


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "outbox"


async def test_enqueue_is_durable_and_deduplicated(folder):
    box = Outbox(folder)
    try:
        a, b = await box.enqueue([Outgoing(-1, "card A", key="card:A"), Outgoing(-2, "card B", key="card:B")])
        again = await box.enqueue(Outgoing(-1, "card A (again)", key="card:A"))
        assert again[0] is a and len(box.pending()) == 2
        await box.mark_sent(a, 77, hooked=True)
    finally:
        box.close()
    box = Outbox(folder)  # a restart
    try:
        assert [e.key for e in box.pending()] == ["card:B"]
        assert box.get("card:A").state == "sent" and box.get("card:A").message_id == 77
        assert box.counts(["card:A", "card:B", "card:C"]) == {"delivered": 1, "pending": 1, "failed": 0,
                                                              "unknown": 1}
        assert (await box.enqueue(Outgoing(-1, "A", key="card:A")))[0].state == "sent"  # still not twice
        pending = box.pending()[0]
        assert box.message_of(pending).text == "card B"
    finally:
        box.close()


async def test_concurrent_enqueues_share_writes(folder):
    box = Outbox(folder)
    try:
        before = box.writes
        await asyncio.gather(*(box.enqueue(Outgoing(-i, f"m{i}", key=f"k{i}")) for i in range(1, 201)))
        assert len(box.pending()) == 200
        assert box.writes - before < 200  # group commit
    finally:
        box.close()


async def test_documents_kept_in_the_data_folder_until_sent(folder):
    box = Outbox(folder)
    try:
        [e] = await box.enqueue(Outgoing(-1, "", file_name="báo cáo.xlsx", file_data=b"PK\x03\x04data", kind="digest"))
    finally:
        box.close()
    box = Outbox(folder)
    try:
        [e] = box.pending()
        msg = box.message_of(e)
        assert msg.file_data == b"PK\x03\x04data" and msg.file_name == "báo cáo.xlsx"
        await box.mark_sent(e, 5, hooked=True)
        assert list((folder / "files").iterdir()) == []
    finally:
        box.close()


async def test_a_torn_last_line_is_dropped_and_the_rest_kept(folder):
    box = Outbox(folder)
    try:
        await box.enqueue([Outgoing(-1, "one", key="a"), Outgoing(-1, "two", key="b")])
    finally:
        box.close()
    [journal] = list(folder.glob("journal-*.jsonl"))
    with open(journal, "ab") as f:
        f.write(b'{"op":"add","id":99,"msg":{"chat_id":-1,"te')  # a crash in the middle of a write
    box = Outbox(folder)
    try:
        assert [e.key for e in box.pending()] == ["a", "b"]
        [e] = await box.enqueue(Outgoing(-1, "three", key="c"))
        assert e.id > 2
    finally:
        box.close()
    box = Outbox(folder)
    try:
        assert [e.key for e in box.pending()] == ["a", "b", "c"]
    finally:
        box.close()


async def test_compaction_keeps_pending_and_recent_and_prunes_old(folder):
    now = [1_000_000.0]
    box = Outbox(folder, compact_every=10, clock=lambda: now[0])
    try:
        entries = await box.enqueue([Outgoing(-1, f"m{i}", key=f"k{i}") for i in range(30)])
        for e in entries[:20]:
            await box.mark_sent(e, 1, hooked=True)
        now[0] += 8 * 86400  # older than keep_days
        more = await box.enqueue([Outgoing(-2, f"n{i}", key=f"n{i}") for i in range(15)])
        assert len(more) == 15
    finally:
        box.close()
    assert len(list(folder.glob("journal-*.jsonl"))) == 1
    box = Outbox(folder, clock=lambda: now[0])
    try:
        assert len(box.pending()) == 25
        assert box.get("k0") is None  # delivered long ago: pruned
        size = sum(p.stat().st_size for p in folder.glob("journal-*.jsonl"))
        assert size < 10_000
    finally:
        box.close()


def test_parts_keys_and_buttons_on_the_last():
    msgs = parts(-1, ["a", "b"], key="digest:w1", kind="digest", buttons=[[("OK", "x")]])
    assert [m.key for m in msgs] == ["digest:w1#0", "digest:w1#1"]
    assert msgs[0].buttons == () and msgs[1].buttons == (((("OK", "x")),),)
    with pytest.raises(ValueError):
        Outgoing(-1, "")


async def test_a_sent_mark_is_written_at_once_so_a_kill_right_after_the_answer_keeps_it(folder):
    box = Outbox(folder)
    try:
        a, b = await box.enqueue([Outgoing(-1, "one", key="a"), Outgoing(-1, "two", key="b")])
        synced = box.mark_sent_now(a, 41)  # returns before its fsync: the kernel has the line
        # A kill now: what a new process finds in the data folder (no close, no flush).
        copy = folder.parent / "after-kill"
        shutil.copytree(folder, copy)
        reopened = Outbox(copy)
        try:
            assert reopened.get("a").state == "sent" and reopened.get("a").message_id == 41
            assert [e.key for e in reopened.pending()] == ["b"]
        finally:
            reopened.close()
        await asyncio.wrap_future(synced)
    finally:
        box.close()


async def test_link_and_mini_app_buttons_are_kept_across_a_restart(folder):
    from bot.sender import keyboard_of

    buttons = [[("📊 Mở bảng theo dõi", "web_app", "https://example.invalid/app")], [("Hướng dẫn", "url", "https://example.invalid/")]]
    box = Outbox(folder)
    try:
        await box.enqueue(Outgoing(42, "Bảng theo dõi", key="dash", buttons=buttons))
    finally:
        box.close()
    box = Outbox(folder)
    try:
        [e] = box.pending()
        markup = keyboard_of(box.message_of(e))
        first, second = markup.inline_keyboard[0][0], markup.inline_keyboard[1][0]
        assert first.web_app.url == "https://example.invalid/app" and first.callback_data is None
        assert second.url == "https://example.invalid/" and second.callback_data is None
    finally:
        box.close()
    with pytest.raises(ValueError):
        Outgoing(42, "x", buttons=[[("a", "mailto", "x")]])


def test_the_senders_json_keyboard_is_what_ptbs_objects_serialise_to():
    """The sender posts a text's keyboard as JSON (no PTB objects): the same JSON that PTB's
    InlineKeyboardMarkup / ForceReply would send."""
    from bot.sender import keyboard_of, markup_json

    cases = [
        Outgoing(1, "a", buttons=[[("✅ Xong", "st:abc:done"), ("⏳ Đang", "st:abc:wip")], [("Mở", "url", "https://example.invalid/")]]),
        Outgoing(1, "b", buttons=[[("📊 Bảng", "web_app", "https://example.invalid/app")]]),
        Outgoing(1, "c", force_reply=True),
        Outgoing(1, "d"),
    ]
    for msg in cases:
        obj = keyboard_of(msg)
        assert markup_json(msg) == (None if obj is None else obj.to_dict()), msg.text


async def test_a_try_says_above_which_id_the_message_will_be_and_outlives_kills_and_pruning(folder):
    """Before a send the outbox writes down above which message id of the chat it will be: the last
    id marked sent there, else the message it replies to. A kill (no close) keeps it; a snapshot
    keeps the chat's last id after the entries that gave it are pruned."""
    now = [1_000_000.0]
    box = Outbox(folder, compact_every=5, clock=lambda: now[0])
    try:
        first, second, other = await box.enqueue([Outgoing(-1, "one", key="a"), Outgoing(-1, "two", key="b"),
                                                  Outgoing(-2, "ack", key="c", reply_to=17)])
        box.mark_trying(other, 17)  # nothing sent to -2 yet: above the message it answers
        assert other.after == 17
        box.mark_trying(first)  # nothing known in -1: no try (a lost answer means sending again)
        assert first.after is None
        await box.mark_sent(first, 40, hooked=True)
        box.mark_trying(second)
        assert second.after == 40 and box.last_message_id(-1) == 40
        copy = folder.parent / "after-kill"
        shutil.copytree(folder, copy)  # a kill now
        reopened = Outbox(copy, clock=lambda: now[0])
        try:
            assert {e.key: e.after for e in reopened.pending()} == {"b": 40, "c": 17}
        finally:
            reopened.close()
        await box.mark_sent(second, 43, hooked=True)
        assert second.after is None
        now[0] += 8 * 86400  # "a" and "b" are pruned at the next snapshot
        await box.enqueue([Outgoing(-3, f"m{i}", key=f"m{i}") for i in range(6)])
    finally:
        box.close()
    box = Outbox(folder, clock=lambda: now[0])
    try:
        assert box.get("a") is None and box.get("b") is None
        assert box.last_message_id(-1) == 43
        assert box.get("c").after == 17
        third = (await box.enqueue(Outgoing(-1, "three", key="d")))[0]
        box.mark_trying(third)
        assert third.after == 43
    finally:
        box.close()


async def test_a_key_twice_in_one_batch_is_one_entry(folder):
    box = Outbox(folder)
    try:
        a, b = await box.enqueue([Outgoing(-1, "one", key="k"), Outgoing(-1, "one again", key="k")])
        assert a is b and len(box.pending()) == 1
        entries, new, _ = box.stage([Outgoing(-2, "x", key="s"), Outgoing(-2, "x again", key="s")])
        assert entries[0] is entries[1] and len(new) == 1
        box.unstage(new)
    finally:
        box.close()
