"""Delivery through the outbox, as Telegram sees it: faults injected in the emulator during a
publish (500s, dropped connections, slow answers, a 429 storm), a restart with messages pending,
a kicked bot, and pacing (the first 20 cards of a group at once, never a 429)."""

from __future__ import annotations

import asyncio
import time

from bot.importing import store_draft
from bot.models import ChatBinding
from tests.harness import ADMIN, bot_env
from tests.test_e2e_publish_load import directory_file as load_directory_file
from tests.test_e2e_publish_load import reading as load_reading

GROUPS = 8
TASKS = 5


def directory_file(tmp_path, agencies: int = GROUPS):
    return load_directory_file(tmp_path, agencies)


def reading(tasks: int = TASKS):
    return load_reading(tasks, number="9/TB-UBND", title="Thử lỗi mạng")


def chat_of(i: int) -> int:
    return -1004000 - i


def setup_world(env, groups: int = GROUPS, tasks: int = TASKS, *, first_time: bool = True) -> None:
    emu = env.emu
    for i in range(groups):
        if first_time:
            emu.add_user(6000 + i, f"Cán bộ {i}")
            emu.add_group(chat_of(i), f"Sở {i:02d}", members=[6000 + i])
            emu.add_bot_to_group(chat_of(i), by_user=6000 + i)
        env.store.registry.bind_chat(ChatBinding(chat_id=chat_of(i), agency_id=f"so-{i:02d}", title=f"Sở {i:02d}"))
    store_draft(env.store, reading(tasks), source=b"fault-test", source_name="faults.txt", now=env.clock.now,
                by=ADMIN)


async def publish(env) -> None:
    emu = env.emu
    await emu.wait_idle()
    emu.send(ADMIN, ADMIN, "/preview")
    preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")))
    emu.press(ADMIN, ADMIN, preview["message_id"], button="📢 Công bố")


def cards_in(emu, chat_id: int) -> list[str]:
    return [m["text"] for m in emu.bot_messages(chat_id) if m["text"].startswith("📌")]


def assert_each_card_once(env, groups: int = GROUPS, tasks: int = TASKS) -> None:
    for i in range(groups):
        texts = cards_in(env.emu, chat_of(i))
        assert len(texts) == tasks and len(set(texts)) == tasks, (chat_of(i), len(texts), len(set(texts)))
    assignments = env.store.notices.assignments()
    assert len(assignments) == groups * tasks
    for a in assignments:  # each assignment knows where its card is (replies to it find the task)
        assert a.sent_at is not None
        m = env.emu.message(a.chat_id, a.message_id)
        assert m is not None and m["text"].startswith("📌")


async def test_faults_during_a_publish_every_card_arrives_exactly_once(emulator, tmp_path):
    path = directory_file(tmp_path)
    async with bot_env(emulator, tmp_path, directory={"file": str(path)}) as env:
        setup_world(env)
        emu = env.emu
        emu.inject("error", status=500, times=3, skip=2)
        emu.inject("error", status=502, times=2, skip=9)
        emu.inject("drop", times=3, skip=5)
        emu.inject("slow", delay=1.5, times=3, skip=12)  # slow answers: they arrived, must not be resent
        emu.inject("429", times=25, retry_after=1, skip=20)  # a storm
        await publish(env)
        done = await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True,
                                              timeout=60)
        kinds = [k for k, _, _ in emu.fault_log]
        assert kinds.count("error") == 5 and kinds.count("drop") == 3 and kinds.count("slow") == 3
        assert kinds.count("429") == 25
        assert f"Đã gửi: {GROUPS * TASKS}" in done["text"] and "Lỗi: 0" in done["text"], done["text"]
        assert_each_card_once(env)
        assert not env.store.outbox.pending()


async def test_a_card_whose_answer_was_lost_is_found_not_sent_again(emulator, tmp_path):
    """Connections dropped after the emulator made the message (the bot cannot know it arrived), and
    dropped before (nothing made): each card is in its group once. The bot looks for a message
    whose answer was lost above the chat's last id before sending it again."""
    path = directory_file(tmp_path, 3)
    async with bot_env(emulator, tmp_path, directory={"file": str(path)}) as env:
        setup_world(env, 3, 4)
        emu = env.emu
        emu.inject("drop_after", method="sendMessage", chat_id=chat_of(0), times=2, skip=1)
        emu.inject("drop_after", method="sendMessage", chat_id=chat_of(2), times=1, skip=3)
        emu.inject("drop", method="sendMessage", chat_id=chat_of(1), times=2, skip=1)
        await publish(env)
        done = await emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True,
                                              timeout=60)
        kinds = [k for k, _, _ in emu.fault_log]
        assert kinds.count("drop_after") == 3 and kinds.count("drop") == 2
        assert "Đã gửi: 12" in done["text"] and "Lỗi: 0" in done["text"], done["text"]
        assert_each_card_once(env, 3, 4)
        assert not env.store.outbox.pending()


async def test_restart_with_pending_messages_resumes_without_doubles(emulator, tmp_path):
    path = directory_file(tmp_path)
    half = [chat_of(i) for i in range(GROUPS // 2)]
    async with bot_env(emulator, tmp_path, directory={"file": str(path)}) as env:
        setup_world(env)
        for chat in half:  # these groups are unreachable for now: their cards stay pending
            env.emu.inject("error", status=503, chat_id=chat, times=10_000)
        await publish(env)
        await env.emu.wait_until(lambda: sum(len(cards_in(env.emu, chat_of(i))) for i in range(GROUPS // 2, GROUPS))
                                 == TASKS * (GROUPS - GROUPS // 2), timeout=30, what="the reachable half")
        await env.emu.wait_until(lambda: len(env.store.outbox.pending()) == TASKS * len(half), timeout=5,
                                 what="only the unreachable half pending")
    emulator.clear_faults()
    assert all(cards_in(emulator, chat) == [] for chat in half)
    async with bot_env(emulator, tmp_path, directory={"file": str(path)}) as env:  # the restart
        await env.emu.wait_until(lambda: not env.store.outbox.pending(), timeout=30, what="the outbox to empty")
        await env.emu.wait_idle(quiet=0.5)
        assert_each_card_once(env)
        # nothing for the start-up resume to add: the outbox had them all
        assert len([e for e in env.store.outbox.pending()]) == 0


async def test_a_kicked_bot_fails_its_cards_and_the_others_go_on(emulator, tmp_path):
    path = directory_file(tmp_path, 3)
    async with bot_env(emulator, tmp_path, directory={"file": str(path)}) as env:
        setup_world(env, 3, 2)
        env.emu.remove_bot_from_group(chat_of(1), kicked=True)
        await env.emu.wait_idle()
        await publish(env)
        done = await env.emu.wait_for_bot_message(ADMIN, lambda m: "Đã công bố" in m["text"], include_edits=True,
                                                  timeout=30)
        assert "Đã gửi: 4" in done["text"] and "Lỗi: 2" in done["text"], done["text"]
        assert "kicked" in done["text"]
        assert len(cards_in(env.emu, chat_of(0))) == 2 and len(cards_in(env.emu, chat_of(2))) == 2


async def test_a_429_on_one_group_does_not_hold_up_another(emulator, tmp_path):
    path = directory_file(tmp_path, 2)
    async with bot_env(emulator, tmp_path, directory={"file": str(path)}) as env:
        setup_world(env, 2, 3)
        env.emu.inject("429", chat_id=chat_of(0), times=1, retry_after=4)
        started = time.monotonic()
        await publish(env)
        await env.emu.wait_until(lambda: len(cards_in(env.emu, chat_of(1))) == 3, timeout=10, what="group 1")
        other = time.monotonic() - started
        await env.emu.wait_until(lambda: len(cards_in(env.emu, chat_of(0))) == 3, timeout=20, what="group 0")
        waited = time.monotonic() - started
        assert other < 3.5 < waited, (other, waited)


async def test_first_twenty_cards_of_a_group_at_once_then_paced_without_a_429(emulator, tmp_path):
    """Telegram's real limits (20 a minute per group) scaled to 20 in 2 s on both sides: wide enough
    that 20 sends one after another (each waits for the previous one's durable mark) fit well inside
    the window on a loaded machine, narrow enough that a leaky pacer (one every 0.1 s) cannot pass."""
    from bot.emulator import FloodLimits

    window = 2.0
    emulator.set_flood_limits(FloodLimits().scaled(60 / window))
    path = directory_file(tmp_path, 1)
    async with bot_env(emulator, tmp_path, fast=False, directory={"file": str(path)},
                       telegram={"group_time_period": window, "private_time_period": window / 60}) as env:
        setup_world(env, 1, 45)
        await publish(env)
        await env.emu.wait_until(lambda: len(cards_in(env.emu, chat_of(0))) == 45, timeout=30, what="45 cards")
        stamps = sorted(t for t, chat, _ in env.emu.sent_times if chat == chat_of(0))
        assert env.emu.refused_429 == 0, env.emu.flood.refusals
        assert len(stamps) == 45
        gaps = [round(b - a, 3) for a, b in zip(stamps, stamps[20:])]
        # the first 20 at once (a leaky pacer would need 1.9 s), the 21st a full window after the first
        assert stamps[19] - stamps[0] < 0.75 * window and stamps[20] - stamps[0] >= window - 0.02, (
            stamps[19] - stamps[0], gaps)
        for i in range(20, 45):  # any window of a (scaled) minute holds at most 20
            assert stamps[i] - stamps[i - 20] >= window - 0.02, gaps
        await env.emu.wait_idle()
        assert_each_card_once(env, 1, 45)
    await asyncio.sleep(0)
