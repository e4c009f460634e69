"""Agency registration driven as users would, through the Bot API emulator."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from tests.harness import ADMIN, LEADER, OFFICE_CHAT, STRANGER, bot_env

SNV_GROUP = -1001001
SNV_USER = 2001


def code_in(text: str) -> str:
    return re.search(r"startgroup=([A-Z0-9]{8})", text).group(1)


async def invite(env, name="Sở Nội vụ") -> str:
    env.emu.send(ADMIN, ADMIN, f"/invite {name}")
    msg = await env.emu.wait_for_bot_message(ADMIN)
    return code_in(msg["text"])


async def test_invite_and_register_by_command(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        code = await invite(env)
        invite_msg = emu.bot_messages(ADMIN)[-1]["text"]
        assert "Sở Nội vụ" in invite_msg
        assert f"https://t.me/{emu.bot.username}?startgroup={code}" in invite_msg

        emu.add_user(SNV_USER, "Minh", "Lê")
        emu.add_group(SNV_GROUP, "Sở Nội vụ - đôn đốc", members=[SNV_USER])
        emu.add_bot_to_group(SNV_GROUP, by_user=SNV_USER)
        emu.send(SNV_USER, SNV_GROUP, f"/register {code.lower()}")
        done = await emu.wait_for_bot_message(SNV_GROUP, lambda m: "đã được gắn" in m["text"])
        assert "Sở Nội vụ" in done["text"] and "Minh Lê" in done["text"]
        office = await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "đã gắn nhóm" in m["text"])
        assert "Sở Nội vụ - đôn đốc" in office["text"]

        binding = env.store.registry.chat(SNV_GROUP)
        assert binding.agency_id == env.directory.resolve("Sở Nội vụ").agency.id
        assert [c.user_id for c in env.store.registry.contacts_of(binding.agency_id)] == [SNV_USER]

        # The code is one-time.
        other = -1001002
        emu.add_group(other, "Nhóm khác", members=[SNV_USER])
        emu.add_bot_to_group(other, by_user=SNV_USER)
        emu.send(SNV_USER, other, f"/register {code}")
        used = await emu.wait_for_bot_message(other, lambda m: "đã được dùng" in m["text"])
        assert used
        assert env.store.registry.chat(other) is None

        # /agencies lists the bound agency with its group and contact, and the unbound ones.
        emu.send(ADMIN, ADMIN, "/agencies")
        listing = await emu.wait_for_bot_message(ADMIN)
        assert "Sở Nội vụ - đôn đốc" in listing["text"] and "Minh Lê" in listing["text"]
        assert "Chưa có nhóm" in listing["text"]

        # /unregister by an admin in the group unbinds it.
        emu.add_member(SNV_GROUP, ADMIN)
        emu.send(ADMIN, SNV_GROUP, "/unregister")
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Đã gỡ gắn" in m["text"])
        assert env.store.registry.chat(SNV_GROUP) is None


async def test_register_through_deep_link(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        code = await invite(env, "Sở KH&ĐT")
        emu.add_user(SNV_USER, "Lan")
        emu.add_group(SNV_GROUP, "KHĐT", members=[SNV_USER])
        emu.add_bot_to_group(SNV_GROUP, by_user=SNV_USER, start_param=code)
        done = await emu.wait_for_bot_message(SNV_GROUP, lambda m: "đã được gắn" in m["text"])
        assert "Kế hoạch và Đầu tư" in done["text"]
        await asyncio.sleep(1.8)  # no "not registered" greeting after a deep-link registration
        assert not any("chưa được gắn" in m["text"] or "Xin chào" in m["text"] for m in emu.bot_messages(SNV_GROUP))


async def test_refusals_change_nothing(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        emu.press_start(STRANGER)
        await emu.wait_for_bot_message(STRANGER)
        # /invite by a non-admin
        emu.send(STRANGER, STRANGER, "/invite Sở Nội vụ")
        assert "không có quyền" in (await emu.wait_for_bot_message(STRANGER))["text"]
        # /invite in a group
        emu.send(ADMIN, OFFICE_CHAT, "/invite Sở Nội vụ")
        assert "chat riêng" in (await emu.wait_for_bot_message(OFFICE_CHAT))["text"]
        # unknown agency name, and no name
        emu.send(ADMIN, ADMIN, "/invite Sở Ngoại giao Mặt Trăng")
        assert "Không tìm thấy" in (await emu.wait_for_bot_message(ADMIN))["text"] or "Chưa chắc" in emu.bot_messages(ADMIN)[-1]["text"]
        emu.send(ADMIN, ADMIN, "/invite")
        assert "Cách dùng" in (await emu.wait_for_bot_message(ADMIN))["text"]
        assert env.store.registry.all_invites() == []

        code = await invite(env)
        # code sent in the office group
        emu.send(ADMIN, OFFICE_CHAT, f"/register {code}")
        assert "nhóm của Văn phòng" in (await emu.wait_for_bot_message(OFFICE_CHAT))["text"]
        assert env.store.registry.chat(OFFICE_CHAT) is None
        # code sent in a private chat
        emu.send(STRANGER, STRANGER, f"/register {code}")
        assert "trong nhóm" in (await emu.wait_for_bot_message(STRANGER))["text"]
        emu.add_group(SNV_GROUP, "Nhóm", members=[STRANGER])
        emu.add_bot_to_group(SNV_GROUP, by_user=STRANGER)
        # wrong code
        emu.send(STRANGER, SNV_GROUP, "/register ZZZZZZZZ")
        assert "không đúng" in (await emu.wait_for_bot_message(SNV_GROUP, lambda m: "Mã" in m["text"]))["text"]
        # no code
        emu.send(STRANGER, SNV_GROUP, "/register")
        assert "Cách dùng" in (await emu.wait_for_bot_message(SNV_GROUP))["text"]
        # expired code
        env.clock.now = env.clock.now + dt.timedelta(days=8)
        emu.send(STRANGER, SNV_GROUP, f"/register {code}")
        assert "hết hạn" in (await emu.wait_for_bot_message(SNV_GROUP))["text"]
        assert env.store.registry.chat(SNV_GROUP) is None
        # /unregister and /agencies by a non-admin
        emu.send(STRANGER, SNV_GROUP, "/unregister")
        assert "không có quyền" in (await emu.wait_for_bot_message(SNV_GROUP))["text"]
        emu.send(LEADER, LEADER, "/agencies")
        assert "không có quyền" in (await emu.wait_for_bot_message(LEADER))["text"]


async def test_help_and_commands_per_scope(emulator, tmp_path):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu
        emu.send(ADMIN, ADMIN, "/help")
        text = (await emu.wait_for_bot_message(ADMIN))["text"]
        assert "/invite" in text and "Văn phòng" in text
        emu.send(LEADER, LEADER, "/start")
        text = (await emu.wait_for_bot_message(LEADER))["text"]
        assert "/status" in text and "/invite" not in text
        private = [c["command"] for c in emu.commands_for({"type": "all_private_chats"})]
        assert "help" in private
        admin = [c["command"] for c in emu.commands_for({"type": "chat", "chat_id": ADMIN})]
        assert "invite" in admin


async def test_an_error_is_logged_and_reported_to_user_and_office(emulator, tmp_path, caplog):
    async with bot_env(emulator, tmp_path) as env:
        emu = env.emu

        def broken(text):
            raise RuntimeError("directory exploded")

        env.directory.resolve = broken
        emu.send(ADMIN, ADMIN, "/invite Sở Nội vụ")
        assert "Đã có lỗi" in (await emu.wait_for_bot_message(ADMIN))["text"]
        office = await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "Lỗi" in m["text"])
        assert "RuntimeError" in office["text"] and "exploded" not in office["text"]
        assert any("error while handling an update" in r.message for r in caplog.records)
