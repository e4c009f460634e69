"""bot/transport.py, PTB's BaseRequest over aiohttp, through the emulator: what goes (a text as JSON,
a file as multipart, a download), and what every failure becomes for the sender (TimedOut or
NetworkError, PTB's own errors for Telegram's answers)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.transport import AiohttpRequest

USER, GROUP = 5101, -1005101


def bot_on(emu, **kw) -> Bot:
    kw.setdefault("connection_pool_size", 4)
    return Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url, request=AiohttpRequest(**kw))


@pytest.fixture
def world(emulator):
    emulator.add_user(USER, "Lan")
    emulator.add_group(GROUP, "Sở Thử", members=[USER])
    emulator.add_bot_to_group(GROUP, by_user=USER)
    return emulator


async def test_a_text_with_buttons_and_a_reply_arrives_as_sent(world):
    asked = world.send(USER, GROUP, "hỏi")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Hoàn thành", callback_data="x:1:done")]])
    async with bot_on(world) as bot:
        sent = await bot.send_message(GROUP, "<b>Đã ghi nhận</b> «NV0»", parse_mode="HTML", reply_markup=markup,
                                      reply_to_message_id=asked["message_id"])
        raw = await bot._post("sendMessage", {"chat_id": GROUP, "text": "lần hai",
                                              "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}})
    first, second = world.bot_messages(GROUP)[-2:]
    assert sent.message_id == first["message_id"] and first["text"] == "Đã ghi nhận «NV0»"
    assert first["entities"][0]["type"] == "bold"
    assert first["reply_to_message"]["message_id"] == asked["message_id"]
    assert first["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x:1:done"
    assert raw["message_id"] == second["message_id"] and second["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"


async def test_a_file_goes_as_multipart_and_comes_back_whole(world):
    data = bytes(range(256)) * 4000  # 1 MB, every byte value
    async with bot_on(world) as bot:
        sent = await bot.send_document(GROUP, document=data, filename="bao-cao.xlsx", caption="Tổng hợp tuần")
        assert world.file_bytes(sent.document.file_id) == data
        got = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(got) == data
    assert world.bot_messages(GROUP)[-1]["caption"] == "Tổng hợp tuần"


async def test_telegrams_answers_become_ptbs_errors(world):
    async with bot_on(world) as bot:
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(-1009999999, "không có nhóm này")
        world.inject("429", retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(GROUP, "chờ")
        assert caught.value.retry_after in (3, dt.timedelta(seconds=3))  # int or timedelta, by PTB setting
        world.inject("error", status=502)
        with pytest.raises(NetworkError):
            await bot.send_message(GROUP, "lỗi máy chủ")


async def test_a_dropped_connection_is_a_network_error_and_a_slow_answer_a_timeout(world):
    async with bot_on(world, read_timeout=0.3) as bot:
        before = len(world.bot_messages(GROUP))
        world.inject("drop")
        with pytest.raises(NetworkError) as dropped:
            await bot.send_message(GROUP, "mất kết nối trước")
        assert not isinstance(dropped.value, TimedOut)
        world.inject("drop_after")
        with pytest.raises(NetworkError):
            await bot.send_message(GROUP, "mất kết nối sau")
        world.inject("slow", delay=0.6)
        with pytest.raises(TimedOut):
            await bot.send_message(GROUP, "chậm")
        # the connection pool is still good afterwards
        await bot.send_message(GROUP, "bình thường")
        texts = [m["text"] for m in world.bot_messages(GROUP)[before:]]
    # "drop" did nothing; "drop_after" and "slow" did it, the client could not know
    assert texts == ["mất kết nối sau", "chậm", "bình thường"]


async def test_a_long_poll_waits_its_timeout_on_top_of_the_read_timeout(emulator):
    async with bot_on(emulator, read_timeout=0.5) as bot:
        t0 = asyncio.get_running_loop().time()
        assert await bot.get_updates(timeout=1) == ()
        assert asyncio.get_running_loop().time() - t0 >= 0.9


async def test_no_free_connection_in_time_is_a_timeout_and_nothing_is_sent(world):
    async with bot_on(world, connection_pool_size=1, pool_timeout=0.2, connect_timeout=0.2) as bot:
        world.inject("slow", delay=1.5)
        slow = asyncio.create_task(bot.send_message(GROUP, "đang giữ kết nối"))
        await asyncio.sleep(0.3)
        before = len(world.bot_messages(GROUP))
        with pytest.raises(TimedOut, match="(?i)pool"):
            await bot.send_message(GROUP, "không có kết nối")
        assert len(world.bot_messages(GROUP)) == before  # the refused one never went
        await slow
    assert [m["text"] for m in world.bot_messages(GROUP)] == ["đang giữ kết nối"]


async def test_nobody_listening_is_a_network_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot123:abc/getMe")
    finally:
        await request.shutdown()


def test_the_proxy_comes_from_the_environment_once_and_no_proxy_is_honoured(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.so-thu.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("https_proxy", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    request = AiohttpRequest()

    async def check() -> None:
        await request.initialize()
        try:
            assert request._proxy("https://api.telegram.org/bot1:a/getMe") == "http://proxy.so-thu.invalid:3128"
            assert request._proxy("http://127.0.0.1:8081/bot1:a/getMe") is None  # no_proxy, and no http proxy
            monkeypatch.setenv("HTTPS_PROXY", "http://other.invalid:1")  # read once, at initialize
            assert request._proxy("https://api.telegram.org/bot1:a/getMe") == "http://proxy.so-thu.invalid:3128"
        finally:
            await request.shutdown()

    asyncio.run(check())


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="connection_pool_size"):
        AiohttpRequest(connection_pool_size=0)
