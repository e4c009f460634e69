"""The Bot API emulator, driven by a tiny real python-telegram-bot Application over HTTP."""
from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (AIORateLimiter, CallbackQueryHandler, CommandHandler, ContextTypes, Defaults,
                          MessageHandler, filters)

from bot.emulator import BotAPIEmulator, FloodLimits, SpecChecker
from bot.emulator.flood import FloodControl
from bot.emulator.runner import application_builder, running  # the `emulator` fixture: conftest.py
from bot.emulator.text import EntityParseError, parse_html

GROUP = -100123
SMALL_GROUP = -4567
LAN, MAI, HUNG = 7, 8, 9
PDF = b"%PDF-1.4\n" + "Báo cáo tiến độ".encode() * 50 + b"\n%%EOF"


# ---------------------------------------------------------------------- a tiny bot
async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = " ".join(context.args)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đồng ý", callback_data="yes"),
                                      InlineKeyboardButton("Không", callback_data="no")]])
    await update.effective_message.reply_text(
        f"Xin chào <b>{update.effective_user.first_name}</b> {args}".strip(), reply_markup=keyboard)


async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"Đã nhận: {update.effective_message.text}")


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_chat.send_message(f"Đã sửa: {update.edited_message.text}")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Đã ghi nhận", show_alert=True)
    await query.edit_message_text(f"Bạn chọn: <i>{query.data}</i>")


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    doc = update.effective_message.document
    tg_file = await doc.get_file()
    data = bytes(await tg_file.download_as_bytearray())
    digest = hashlib.sha256(data).hexdigest()[:12]
    await update.effective_message.reply_text(f"{doc.file_name}: {len(data)} bytes {digest}")


async def on_doc_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_chat.send_document(PDF, filename="Báo cáo tuần.pdf", caption="<b>Tuần 12</b>")


async def on_burst(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    for i in range(int(context.args[0])):
        await update.effective_chat.send_message(f"tin {i + 1}")


async def on_bad_html(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await update.effective_chat.send_message("a < b")
    except BadRequest as exc:
        await update.effective_chat.send_message(f"lỗi: {exc.message}", parse_mode=None)


def build_app(emu: BotAPIEmulator, rate_limiter=None):
    builder = application_builder(emu).defaults(Defaults(parse_mode="HTML"))
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    app = builder.build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("doc", on_doc_command))
    app.add_handler(CommandHandler("burst", on_burst))
    app.add_handler(CommandHandler("badhtml", on_bad_html))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit))
    app.add_handler(MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, on_reply))
    return app


@pytest.fixture
def world(emulator: BotAPIEmulator) -> BotAPIEmulator:
    emulator.add_user(LAN, "Lan", "Nguyễn", username="lan_snv")
    emulator.add_user(MAI, "Mai", "Trần")
    emulator.add_user(HUNG, "Hùng")
    emulator.add_group(GROUP, "Sở Nội vụ", members={LAN: "creator", MAI: "member", HUNG: "member"})
    emulator.add_group(SMALL_GROUP, "UBND xã Tân Phú", members=[LAN])
    return emulator


@pytest.fixture
async def bot(world: BotAPIEmulator):
    async with running(build_app(world)) as app:
        yield app


# ---------------------------------------------------------------------- groups, privacy, replies
async def test_start_via_deep_link_in_supergroup(world, bot):
    world.add_bot_to_group(GROUP, by_user=LAN, start_param="ABC123")
    msg = await world.wait_for_bot_message(GROUP)
    assert msg["chat"] == {"id": GROUP, "type": "supergroup", "title": "Sở Nội vụ"}
    assert msg["text"] == "Xin chào Lan ABC123"
    assert msg["entities"] == [{"type": "bold", "offset": 9, "length": 3}]
    assert msg["reply_to_message"]["text"] == "/start@dondoc_test_bot ABC123"
    kinds = [next(k for k in u if k != "update_id") for _, p in world.responses if _ == "getUpdates" for u in p]
    assert kinds[:3] == ["my_chat_member", "message", "message"]  # joined, service message, /start


async def test_command_in_basic_group_with_negative_id(world, bot):
    world.add_bot_to_group(SMALL_GROUP, by_user=LAN)
    world.send(LAN, SMALL_GROUP, "/start")
    msg = await world.wait_for_bot_message(SMALL_GROUP)
    assert msg["chat"]["type"] == "group" and msg["chat"]["id"] == SMALL_GROUP
    assert msg["text"] == "Xin chào Lan"


async def test_privacy_mode_reply_to_bot_delivered_plain_message_not(world, bot):
    world.add_bot_to_group(GROUP, by_user=LAN)
    world.send(LAN, GROUP, "/start")
    hello = await world.wait_for_bot_message(GROUP)
    await world.wait_idle()
    before = world.next_update_id

    chatter = world.send(MAI, GROUP, "Chào cả nhà")               # not for the bot
    world.send(MAI, GROUP, "Ai giữ biên bản?", reply_to=chatter["message_id"])  # reply to a human
    world.send(MAI, GROUP, "/help@other_bot")                      # a command for another bot
    assert world.next_update_id == before                           # nothing was delivered

    reply = world.send(HUNG, GROUP, "Đã xong việc 1", reply_to=hello["message_id"])
    answer = await world.wait_for_bot_message(GROUP)
    assert answer["text"] == "Đã nhận: Đã xong việc 1"
    assert answer["reply_to_message"]["message_id"] == reply["message_id"]
    assert reply["reply_to_message"]["from"]["id"] == world.bot.id
    await world.wait_idle()
    assert [m["text"] for m in world.bot_messages(GROUP)] == ["Xin chào Lan", "Đã nhận: Đã xong việc 1"]


async def test_admin_bot_and_mentions_see_more(world, bot):
    world.add_bot_to_group(GROUP, by_user=LAN)
    before = world.next_update_id
    world.send(MAI, GROUP, "hỏi @dondoc_test_bot nhé")
    assert world.next_update_id == before + 1
    world.add_bot_to_group(SMALL_GROUP, by_user=LAN, admin=True)
    before = world.next_update_id
    world.send(LAN, SMALL_GROUP, "tin thường")
    assert world.next_update_id == before + 1


async def test_user_edit_produces_edited_message(world, bot):
    world.press_start(LAN)
    first = await world.wait_for_bot_message(LAN)
    sent = world.send(LAN, LAN, "ban đầu", reply_to=first["message_id"])
    await world.wait_for_bot_message(LAN)
    world.edit(LAN, LAN, sent["message_id"], "đã sửa")
    msg = await world.wait_for_bot_message(LAN)
    assert msg["text"] == "Đã sửa: đã sửa"


async def test_successive_waits_return_successive_messages(world, bot):
    world.set_flood_limits(FloodLimits.off())  # 6 messages in a private chat within a second
    world.press_start(LAN)
    await world.wait_for_bot_message(LAN)
    world.send(LAN, LAN, "/burst 2")
    first = await world.wait_for_bot_message(LAN)
    second = await world.wait_for_bot_message(LAN)
    assert (first["text"], second["text"]) == ("tin 1", "tin 2")
    assert second["message_id"] == first["message_id"] + 1
    world.send(LAN, LAN, "/burst 3")
    third = await world.wait_for_bot_message(LAN, lambda m: m["text"] == "tin 3")
    first = await world.wait_for_bot_message(LAN, lambda m: m["text"].startswith("tin"))
    assert (first["text"], third["text"]) == ("tin 1", "tin 3")
    assert (await world.wait_for_bot_message(LAN))["text"] == "tin 2"
    with pytest.raises(TimeoutError, match="a bot message in chat 7"):
        await world.wait_for_bot_message(LAN, timeout=0.2)


# ---------------------------------------------------------------------- buttons
async def test_callback_query_answered_and_message_edited(world, bot):
    world.press_start(LAN)
    menu = await world.wait_for_bot_message(LAN)
    assert [b["callback_data"] for b in menu["reply_markup"]["inline_keyboard"][0]] == ["yes", "no"]
    qid = world.press(LAN, LAN, menu["message_id"], button="Không")
    edited = await world.wait_for_bot_message(LAN, include_edits=True)
    await world.wait_until(lambda: world.callback_answers)
    assert world.callback_answers == [{"callback_query_id": qid, "text": "Đã ghi nhận", "show_alert": True,
                                       "url": None, "cache_time": 0, "data": "no", "from": LAN}]
    assert edited["message_id"] == menu["message_id"]
    assert edited["text"] == "Bạn chọn: no" and "reply_markup" not in edited
    assert edited["edits"][0]["text"] == "Xin chào Lan"
    with pytest.raises(ValueError, match="no button"):
        world.press(LAN, LAN, menu["message_id"], data="yes")  # the keyboard is gone


# ---------------------------------------------------------------------- files
async def test_user_document_downloaded_by_bot(world, bot):
    world.add_bot_to_group(GROUP, by_user=LAN, admin=True)
    sent = world.send(HUNG, GROUP, document=("Báo cáo.pdf", PDF, "application/pdf"), caption="Kèm báo cáo")
    assert sent["document"]["file_size"] == len(PDF)
    msg = await world.wait_for_bot_message(GROUP)
    assert msg["text"] == f"Báo cáo.pdf: {len(PDF)} bytes {hashlib.sha256(PDF).hexdigest()[:12]}"
    assert world.calls("getFile")[0]["file_id"] == sent["document"]["file_id"]


async def test_bot_sends_document_and_emulator_stores_it(world, bot):
    world.press_start(LAN)
    await world.wait_for_bot_message(LAN)
    world.send(LAN, LAN, "/doc")
    msg = await world.wait_for_bot_message(LAN)
    doc = msg["document"]
    assert doc["file_name"] == "Báo cáo tuần.pdf" and doc["mime_type"] == "application/pdf"
    assert world.file_bytes(doc["file_id"]) == PDF
    assert msg["caption"] == "Tuần 12" and msg["caption_entities"][0]["type"] == "bold"
    # ... and the bot can fetch it back through getFile + the file URL
    tg_file = await bot.bot.get_file(doc["file_id"])
    assert bytes(await tg_file.download_as_bytearray()) == PDF


# ---------------------------------------------------------------------- errors like Telegram
async def test_private_chat_never_started_is_forbidden(world, bot):
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.bot.send_message(MAI, "Nhắc việc")
    world.press_start(MAI)
    await world.wait_for_bot_message(MAI)
    world.block(MAI)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.bot.send_message(MAI, "Nhắc việc")


async def test_kicked_bot_is_forbidden_in_group(world, bot):
    world.add_bot_to_group(GROUP, by_user=LAN)
    await bot.bot.send_message(GROUP, "Chào")
    world.remove_bot_from_group(GROUP)
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.bot.send_message(GROUP, "Chào lần nữa")
    assert [m["text"] for m in world.bot_messages(GROUP)] == ["Chào"]


async def test_bad_html_is_rejected_like_telegram(world, bot):
    world.press_start(LAN)
    await world.wait_for_bot_message(LAN)
    world.send(LAN, LAN, "/badhtml")
    msg = await world.wait_for_bot_message(LAN)
    assert msg["text"] == 'lỗi: Can\'t parse entities: unsupported start tag "" at byte offset 2'


async def test_unknown_method_is_404_and_a_spec_error(world):
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{world.base_url}{world.token}/sendTelepathy", data={"chat_id": "1"})
    assert r.status_code == 404 and r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert world.spec_errors == ["sendTelepathy: unknown method"]
    world.spec_errors.clear()


async def test_spec_violation_detected(world):
    world.press_start(LAN)
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{world.base_url}{world.token}/sendMessage", data={"text": "thiếu chat_id"})
        r2 = await client.post(f"{world.base_url}{world.token}/sendMessage",
                               data={"chat_id": str(LAN), "text": "x", "reply_markup": '{"keyboard_inline": []}'})
        r3 = await client.post(f"{world.base_url}{world.token}/sendMessage",
                               json={"chat_id": LAN, "text": "JSON body", "disable_notification": True})
    assert r.status_code == 400 and "chat_id" in r.json()["description"]
    assert r2.status_code == 400
    assert r3.json()["ok"] is True and r3.json()["result"]["text"] == "JSON body"
    assert world.spec_errors[0] == "sendMessage: required field 'chat_id' is missing"
    assert "sendMessage.reply_markup" in world.spec_errors[1]
    assert len(world.spec_errors) == 2
    assert [m["text"] for m in world.bot_messages()] == ["JSON body"]
    world.spec_errors.clear()


async def test_edit_delete_and_answer_rules(world, bot):
    world.press_start(LAN)
    menu = await world.wait_for_bot_message(LAN)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.bot.edit_message_text("Xin chào <b>Lan</b>", LAN, menu["message_id"], reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Đồng ý", callback_data="yes"), InlineKeyboardButton("Không", callback_data="no")]]))
    with pytest.raises(BadRequest, match="(?i)message can't be edited"):
        await bot.bot.edit_message_text("x", LAN, menu["message_id"] - 1)  # the user's /start
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.bot.edit_message_text("x", LAN, 999)
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.bot.send_message(LAN, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("A", callback_data="đ" * 33)]]))  # 66 bytes
    qid = world.press(LAN, LAN, menu["message_id"], "yes")
    await world.wait_until(lambda: world.callback_answers)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.bot.answer_callback_query(qid, "lần hai")
    assert await bot.bot.delete_message(LAN, menu["message_id"])
    assert world.bot_messages(LAN) == []
    assert world.bot_messages(LAN, include_deleted=True)[0]["deleted"] is True
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.bot.delete_message(LAN, menu["message_id"])
    # a webhook and getUpdates do not mix
    await bot.bot.set_webhook("https://example.org/hook")
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{world.base_url}{world.token}/getUpdates", data={"timeout": "0"})
    assert r.status_code == 409 and "webhook is active" in r.json()["description"]
    await bot.bot.delete_webhook()


async def test_user_photo_can_be_fetched(world, bot):
    world.press_start(LAN)
    await world.wait_for_bot_message(LAN)
    sent = world.send(LAN, LAN, photo=b"\xff\xd8fake-jpeg", caption="ảnh biên bản")
    biggest = sent["photo"][-1]
    tg_file = await bot.bot.get_file(biggest["file_id"])
    assert bytes(await tg_file.download_as_bytearray()) == b"\xff\xd8fake-jpeg"


async def test_wrong_token_is_unauthorized(world):
    async with httpx.AsyncClient() as client:
        r = await client.post(f"{world.base_url}1:wrong/getMe")
    assert r.status_code == 401 and r.json()["description"] == "Unauthorized"


async def test_commands_stored_per_scope(world, bot):
    from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

    await bot.bot.set_my_commands([BotCommand("help", "Trợ giúp")])
    await bot.bot.set_my_commands([BotCommand("invite", "Mời cơ quan")], scope=BotCommandScopeAllPrivateChats())
    world.add_bot_to_group(GROUP, by_user=LAN)
    await bot.bot.set_my_commands([BotCommand("register", "Đăng ký")], scope=BotCommandScopeChat(GROUP))
    assert world.commands_for() == [{"command": "help", "description": "Trợ giúp"}]
    assert world.commands_for({"type": "all_private_chats"})[0]["command"] == "invite"
    assert world.commands_for({"type": "chat", "chat_id": GROUP})[0]["command"] == "register"
    got = await bot.bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in got] == ["invite"]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_chat_queries(world, bot):
    world.add_bot_to_group(GROUP, by_user=LAN, admin=True)
    chat = await bot.bot.get_chat(GROUP)
    assert chat.title == "Sở Nội vụ" and chat.type == "supergroup"
    member = await bot.bot.get_chat_member(GROUP, LAN)
    assert member.status == "creator"
    admins = await bot.bot.get_chat_administrators(GROUP)
    assert {a.user.id for a in admins} == {LAN, world.bot.id}
    assert await bot.bot.get_chat_member_count(GROUP) == 4
    assert await bot.bot.leave_chat(GROUP)
    with pytest.raises(Forbidden, match="not a member of the supergroup"):
        await bot.bot.send_message(GROUP, "x")


# ---------------------------------------------------------------------- flood limits
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own retry_after use
async def test_flood_429_and_rate_limiter_recovers_without_loss(world):
    world.set_flood_limits(FloodLimits(group_count=3, group_seconds=1.0))
    app = build_app(world, AIORateLimiter(max_retries=3))
    world.add_bot_to_group(GROUP, by_user=LAN)
    async with running(app):
        world.send(LAN, GROUP, "/burst 6")
        await world.wait_until(lambda: len(world.bot_messages(GROUP)) == 6, timeout=10)
        await world.wait_idle()
    assert world.refused_429 >= 1
    assert [m["text"] for m in world.bot_messages(GROUP)] == [f"tin {i}" for i in range(1, 7)]
    assert len(world.calls("sendMessage")) == 6 + world.refused_429  # each refusal retried once


async def test_flood_refused_messages_are_not_stored(world):
    world.set_flood_limits(FloodLimits(group_count=3, group_seconds=60.0))
    world.add_bot_to_group(GROUP, by_user=LAN)
    async with httpx.AsyncClient() as client:
        answers = [await client.post(f"{world.base_url}{world.token}/sendMessage",
                                     data={"chat_id": str(GROUP), "text": f"tin {i}"}) for i in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    body = answers[3].json()
    assert body["error_code"] == 429 and body["description"].startswith("Too Many Requests: retry after ")
    assert isinstance(body["parameters"]["retry_after"], int) and 1 <= body["parameters"]["retry_after"] <= 60
    assert world.refused_429 == 2
    assert [chat for chat, _ in world.flood.refusals] == [GROUP, GROUP]
    assert len(world.bot_messages(GROUP)) == 3


def test_flood_windows_slide():
    now = [0.0]
    flood = FloodControl(FloodLimits(bot_count=30, group_count=20, group_seconds=60, private_count=1,
                                     private_seconds=1), clock=lambda: now[0])
    assert all(flood.admit(-1, False) is None for _ in range(20))
    assert flood.admit(-1, False) == 60
    now[0] = 30.5
    assert flood.admit(-1, False) == 30       # the oldest leaves the window at t=60
    assert flood.admit(-2, False) is None     # another group is not affected
    now[0] = 60.0
    assert flood.admit(-1, False) is None
    assert flood.admit(5, True) is None and flood.admit(5, True) == 1
    assert FloodControl(FloodLimits.off()).admit(5, True) is None
    now[0] = 100.0
    many = [flood.admit(-1000 - i, False) for i in range(31)]
    assert many[:30] == [None] * 30 and many[30] == 1  # 30 messages a second for the whole bot


# ---------------------------------------------------------------------- long polling
async def test_long_polling_wakes_when_an_update_arrives(world):
    async with httpx.AsyncClient(timeout=60) as client:
        poll = asyncio.create_task(
            client.post(f"{world.base_url}{world.token}/getUpdates", data={"timeout": "50"}))
        await world.wait_until(lambda: world.calls("getUpdates"))
        assert not poll.done()
        world.press_start(LAN)
        r = await asyncio.wait_for(poll, timeout=5)  # far below the 50 s long-poll timeout
        updates = r.json()["result"]
        assert updates[0]["message"]["text"] == "/start"
        # confirming with offset drops it; with timeout 0 the answer is immediate and empty
        r = await client.post(f"{world.base_url}{world.token}/getUpdates",
                              data={"offset": str(updates[0]["update_id"] + 1), "timeout": "0"})
        assert r.json() == {"ok": True, "result": []}


async def test_allowed_updates_filter(world):
    async with httpx.AsyncClient() as client:
        await client.post(f"{world.base_url}{world.token}/getUpdates",
                          data={"timeout": "0", "allowed_updates": '["callback_query"]'})
        world.press_start(LAN)
        r = await client.post(f"{world.base_url}{world.token}/getUpdates", data={"timeout": "0"})
    assert r.json()["result"] == []


# ---------------------------------------------------------------------- the emulator's own answers
async def test_every_answer_matches_the_spec(world, bot):
    world.add_bot_to_group(GROUP, by_user=LAN, start_param="X")
    menu = await world.wait_for_bot_message(GROUP)
    world.press(LAN, GROUP, menu["message_id"], "yes")
    world.send(HUNG, GROUP, document=("a.pdf", PDF), reply_to=menu["message_id"])
    world.send(HUNG, GROUP, "/doc")
    await world.wait_until(lambda: len(world.bot_messages(GROUP)) == 3)
    await bot.bot.get_chat_member(GROUP, LAN)
    await world.wait_idle()
    spec = world.spec
    checked = 0
    for method, result in world.responses:
        returns = spec.methods[method]["returns"]
        problems = [spec.check_object(result, t) if t not in ("Boolean", "Integer", "String") else
                    ([] if isinstance(result, {"Boolean": bool, "Integer": int, "String": str}[t]) else ["x"])
                    for t in returns]
        assert any(not p for p in problems), (method, problems)
        checked += 1
    assert {"getMe", "getUpdates", "sendMessage", "sendDocument", "getFile", "editMessageText",
            "answerCallbackQuery", "getChatMember"} <= {m for m, _ in world.responses}
    assert checked > 10


# ---------------------------------------------------------------------- spec checker and HTML
def test_spec_checker_types():
    spec = SpecChecker()
    ok = spec.check("sendMessage", {"chat_id": "-100123", "text": "42", "disable_notification": "true",
                                    "reply_markup": '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'})
    assert ok.errors == [] and ok.params["chat_id"] == -100123 and ok.params["text"] == "42"
    assert ok.params["disable_notification"] is True
    assert spec.check("sendMessage", {"chat_id": "x1", "text": "a"}).errors == []  # String allowed too
    bad = spec.check("sendMessage", {"chat_id": "1", "text": "a", "disable_notification": "maybe"})
    assert bad.errors == ["sendMessage.disable_notification: expected Boolean, got 'maybe'"]
    assert spec.check("getUpdates", {"timeout": "1.5"}).errors
    assert spec.check("getUpdates", {"allowed_updates": '["message", 3]'}).errors
    notes = spec.check("editMessageReplyMarkup", {"chat_id": "1", "message_id": "2", "parse_mode": "HTML"})
    assert notes.errors == [] and notes.notes == [
        "editMessageReplyMarkup: unknown field 'parse_mode' (ignored by Telegram)"]
    scope = spec.check("setMyCommands", {"commands": '[{"command": "a", "description": "b"}]',
                                         "scope": '{"type": "chat"}'})
    assert scope.errors and "BotCommandScope" in scope.errors[0]  # chat scope needs chat_id
    assert spec.check("setMyCommands", {"commands": "[]", "scope": '{"type": "all_private_chats"}'}).errors == []
    assert spec.check("sendDocument", {"chat_id": "1"}).errors == ["sendDocument: required field 'document' is missing"]
    assert spec.check("getMe", {}).errors == []


def test_html_parsing_like_telegram():
    text, ents = parse_html('Sở <b>Nội vụ</b> &lt;3 <a href="https://x.vn/?a=1&amp;b=2">link</a> 😀<i>x</i>')
    assert text == "Sở Nội vụ <3 link 😀x"
    assert ents[0] == {"type": "bold", "offset": 3, "length": 6}
    assert ents[1] == {"type": "text_link", "offset": 13, "length": 4, "url": "https://x.vn/?a=1&b=2"}
    assert ents[2] == {"type": "italic", "offset": 20, "length": 1}  # the emoji counts 2 UTF-16 units
    for bad in ("a < b", "<b>x", "<b>x</i>", "<foo>x</foo>", "x</b>", "<b"):
        with pytest.raises(EntityParseError):
            parse_html(bad)
