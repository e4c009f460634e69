"""A local Telegram Bot API emulator for tests and the offline demo.

A real HTTP server on 127.0.0.1 (ephemeral port, background thread) that the real
python-telegram-bot Application talks to, plus a driver to act as users and observe the bot.
Every request is checked against the published Bot API spec (api.json, MIT, see LICENSE).

Start it and point PTB at it::

    emu = BotAPIEmulator().start()   # BotAPIEmulator(token=DEFAULT_TOKEN, bot_username="dondoc_test_bot",
                                     #   bot_name="Đôn đốc", flood=FloodLimits(), clock=time.time, port=0)
    app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
           .base_file_url(emu.base_file_url).build())
    ...
    emu.stop()

In tests: the `emulator` fixture (tests/conftest.py), and `running(app)` / `application_builder(emu)`
from bot.emulator.runner. The fixture fails the test at teardown if any request broke api.json or
called a method the emulator does not emulate::

    async def test_x(emulator):
        emulator.add_user(7, "Lan")
        async with running(build_my_app(emulator)):   # initialize, post_init, start, start_polling
            emulator.press_start(7)
            msg = await emulator.wait_for_bot_message(7)

Build the world (sync, call from anywhere)::

    emu.add_user(7, "Lan", "Nguyễn", username="lan")        # users; the bot is emu.bot (a User)
    emu.add_group(-100123, "Sở Nội vụ", members=[7, 8])      # -100... = supergroup, other < 0 = group
    emu.add_group(-5, "UBND xã", members={7: "creator", 8: "member"})
    emu.add_member(chat_id, user_id, status="member"); emu.remove_member(chat_id, user_id)
    emu.add_bot_to_group(-100123, by_user=7, start_param="CODE", admin=False)
        # my_chat_member update + service message, and "/start@<bot> CODE" when start_param is given
    emu.remove_bot_from_group(-100123, kicked=True)        # later sends: 403 "bot was kicked..."
    emu.privacy_mode = True                                  # default; bot admins see everything

Act as users (sync; each returns at once, the bot gets updates by long polling)::

    emu.press_start(7, param=None)           # "/start" in the private chat; required before the bot
                                             # may write to user 7 (else 403 can't initiate...)
    m = emu.send(7, -100123, "/register ABC")               # -> the message dict
    emu.send(9, -100123, "xong", reply_to=55)                # a reply (full reply_to_message)
    emu.send(9, -100123, document=("bc.pdf", b"%PDF...", "application/pdf"), caption="Báo cáo")
    emu.send(7, 7, photo=b"...jpeg bytes...")
    emu.edit(7, -100123, m["message_id"], "new text")      # edited_message update
    qid = emu.press(7, -100123, bot_msg_id, data="ok")      # or button="Đồng ý" (label); forged=True
                                                             # sends data no button carries
    emu.block(7)                                             # later sends: 403 blocked by the user

Observe (sync)::

    emu.bot_messages(chat_id=None)   # what the bot sent, oldest first, edits applied; each dict has
                                     # "edits" (earlier versions), "deleted", "seq", "changed_seq"
    emu.message(chat_id, message_id) # any stored message
    emu.callback_answers             # [{"callback_query_id", "text", "show_alert", "url", "cache_time",
                                     #   "data" (of the pressed button), "from" (user id)}]
    emu.requests / emu.calls("sendMessage")   # (method, decoded params) log / params of one method
    emu.commands_for(scope=None, language_code="")  # what setMyCommands stored for a scope
    emu.file_bytes(file_id)          # content of a file the bot or a user sent
    emu.spec_errors, emu.spec_notes  # api.json mismatches (fail the test) / unknown fields (notes)
    emu.refused_429                  # how many 429 answers were given; refused messages are not stored
    emu.flood.refusals               # [(chat_id, retry_after)] of each 429
    emu.pending_updates, emu.pinned  # updates not yet fetched by the bot; chat id -> pinned message
    emu.unsupported                  # Bot API methods the bot called that are not emulated

Wait (async, never blocks the loop; raise TimeoutError with a summary of recent traffic)::

    msg = await emu.wait_for_bot_message(chat_id, predicate=None, timeout=5, include_edits=False)
        # the first bot message after the last driver action (or after since=<seq>) that no
        # earlier call returned: two calls in a row give two successive messages
    await emu.wait_until(lambda: len(emu.callback_answers) == 1, timeout=5)
    await emu.wait_idle(quiet=0.15)  # all updates fetched and no request for `quiet` seconds

Flood limits (Telegram's, on by default): FloodLimits(bot 30/1s, group 20/60s, private 5/5s),
answered 429 with an integer parameters.retry_after. BotAPIEmulator(flood=FloodLimits.off()),
emu.set_flood_limits(FloodLimits(group_count=3, group_seconds=1.0)) or FloodLimits().scaled(60).

Fault injection (per method, per chat; each fault hits the next `times` matching requests)::

    emu.inject("error", status=500, times=3)                 # 500 without doing anything
    emu.inject("slow", delay=2.0, method="sendMessage")      # done, answered 2 s later
    emu.inject("drop", chat_id=-100123)                      # connection closed, nothing done
    emu.inject("drop_after")                                 # done, then the connection closed
    emu.inject("429", times=100, retry_after=2)              # a 429 storm, nothing done
    emu.fault_log; emu.clear_faults()

Flood limits are sliding windows (`any` window of the length holds at most the count): the bot
30/1 s, a group 20/60 s, a private chat 5/5 s by default (Telegram allows short bursts there);
FloodLimits(private_count=1, private_seconds=1.0) is the strict 1 a second.

Telegram behaviour reproduced: HTML parse mode is parsed (bad HTML -> 400 "can't parse
entities"), empty/too long texts, "message is not modified", unknown message ids, callback
answered twice, 64-byte callback_data, command names, getUpdates conflicts (409).
"""
from .flood import FloodLimits
from .server import DEFAULT_TOKEN, BotAPIEmulator, Fault
from .spec import SpecChecker, UploadedFile
from .world import ApiError

__all__ = ["BotAPIEmulator", "Fault", "FloodLimits", "SpecChecker", "UploadedFile", "ApiError", "DEFAULT_TOKEN"]
