"""/dashboard through the emulator: the web_app button for leaders, admins and agency contacts, refused
for others; the menu button; the bot's own HTTP server serving the page and the API beside polling."""

from __future__ import annotations

import aiohttp

from bot.dashboard.auth import sign_init_data
from tests.harness import ADMIN, LEADER, OFFICE_CHAT, STRANGER, bot_env
from tests.test_e2e_tracking import register

PUBLIC = "https://dondoc.example.test/mini/"
DASHBOARD = {"enabled": True, "listen": "127.0.0.1", "port": 0, "public_url": "https://dondoc.example.test/mini"}
STC_GROUP, STC_USER = -1002003, 2003


def web_app_url(message: dict) -> str | None:
    markup = message.get("reply_markup") or {}
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    assert all("callback_data" not in b for b in buttons)
    return buttons[0]["web_app"]["url"] if buttons and "web_app" in buttons[0] else None


async def ask(emu, user: int, chat: int | None = None) -> dict:
    await emu.wait_idle()
    before = len(emu.bot_messages(chat or user))
    emu.send(user, chat or user, "/dashboard")
    await emu.wait_idle()
    sent = emu.bot_messages(chat or user)
    assert len(sent) == before + 1
    return sent[-1]


async def test_dashboard_button_and_server(emulator, tmp_path):
    emu = emulator
    async with bot_env(emu, tmp_path, dashboard=DASHBOARD) as env:
        server = env.app.bot_data["services"].dashboard_server
        # Leaders and admins: a web_app button with the public address (its "/" added), and the menu button.
        for user in (LEADER, ADMIN):
            msg = await ask(emu, user)
            assert web_app_url(msg) == PUBLIC and "Bảng theo dõi" in msg["text"]
            assert emu.bot_settings[("menu_button", user)] == {"type": "web_app", "text": "Bảng theo dõi",
                                                                  "web_app": {"url": PUBLIC}}
        assert any(c["command"] == "dashboard" for c in emu.commands_for({"type": "chat", "chat_id": LEADER}))
        # Others: refused, no button.
        emu.press_start(STRANGER)
        msg = await ask(emu, STRANGER)
        assert web_app_url(msg) is None and "⛔" in msg["text"]
        assert ("menu_button", STRANGER) not in emu.bot_settings
        # In a group: no web_app button (Telegram allows them in private chats only).
        msg = await ask(emu, LEADER, OFFICE_CHAT)
        assert web_app_url(msg) is None and "/dashboard" in msg["text"]
        # An agency contact (registered in the agency's group): their own agency.
        agency = await register(env, "Sở Tài chính", STC_GROUP, STC_USER, "Tài")
        emu.press_start(STC_USER)
        msg = await ask(emu, STC_USER)
        assert web_app_url(msg) == PUBLIC and "Sở Tài chính" in msg["text"]

        # The page and the API, served by the bot process itself while it polls.
        def auth(user: int) -> dict:
            data = sign_init_data(emu.token, user={"id": user, "first_name": "X"},
                                  auth_date=int(env.clock().timestamp()))
            return {"Authorization": "tma " + data}

        async with aiohttp.ClientSession() as http:
            async with http.get(server.url) as r:
                assert r.status == 200 and 'src="app.js"' in await r.text()
            async with http.get(server.url + "api/overview") as r:
                assert r.status == 401
            async with http.get(server.url + "api/overview", headers=auth(STRANGER)) as r:
                assert r.status == 403
            async with http.get(server.url + "api/overview", headers=auth(LEADER)) as r:
                body = await r.json()
                assert r.status == 200 and body["me"]["role"] == "leader" and body["summary"]["total"] == 0
            async with http.get(server.url + "api/overview", headers=auth(STC_USER)) as r:
                body = await r.json()
                assert r.status == 200 and body["me"]["agencies"] == [{"id": agency, "name": "Sở Tài chính"}]
        url = server.url
    # Stopped with the application.
    async with aiohttp.ClientSession() as http:
        try:
            async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                raise AssertionError(f"still serving: {r.status}")
        except aiohttp.ClientConnectionError:
            pass


async def test_dashboard_disabled(emulator, tmp_path):
    emu = emulator
    async with bot_env(emu, tmp_path) as env:
        assert env.app.bot_data["services"].dashboard_server is None
        msg = await ask(emu, LEADER)
        assert web_app_url(msg) is None and "[dashboard]" in msg["text"]
        assert not any(c["command"] == "dashboard" for c in emu.commands_for({"type": "chat", "chat_id": LEADER}))


async def test_a_task_completed_in_telegram_is_counted_on_the_dashboard(emulator, tmp_path):
    """The whole loop, then the dashboard: the sample notice published, Sở Nội vụ reports 8.1 done with
    a PDF, the office confirms; the leader's dashboard counts it, with the same numbers as /status."""
    import re

    from tests.test_e2e_tracking import SNV_GROUP, SNV_USER, card_for, published_env

    emu = emulator
    async with bot_env(emu, tmp_path, dashboard=DASHBOARD) as env:
        server = env.app.bot_data["services"].dashboard_server
        snv, _ca, tasks, _ = await published_env(env)
        t81 = next(t for t in tasks if t.ref == "8.1")
        c81 = card_for(emu, SNV_GROUP, "8.1")
        emu.send(SNV_USER, SNV_GROUP, reply_to=c81["message_id"], caption="Đã hoàn thành, gửi kèm tờ trình",
                 document=("to-trinh.pdf", b"%PDF-1.4 test", "application/pdf"))
        ask = await emu.wait_for_bot_message(OFFICE_CHAT, lambda m: "hoàn thành" in m["text"])
        emu.press(ADMIN, OFFICE_CHAT, ask["message_id"], button="✅ Xác nhận hoàn thành")
        await emu.wait_for_bot_message(SNV_GROUP, lambda m: "đã xác nhận" in m["text"])

        emu.send(LEADER, LEADER, "/status")
        status = await emu.wait_for_bot_message(LEADER, lambda m: "Tỷ lệ hoàn thành" in m["text"])
        headers = {"Authorization": "tma " + sign_init_data(emu.token, user={"id": LEADER, "first_name": "Giang"},
                                                           auth_date=int(env.clock().timestamp()))}
        async with aiohttp.ClientSession() as http:
            async with http.get(server.url + "api/overview", headers=headers) as r:
                d = await r.json()
            async with http.get(server.url + f"api/task/{t81.id}", headers=headers) as r:
                history = await r.json()
        counts = d["summary"]["counts"]
        assert counts["done_on_time"] >= 1
        labels = {c["id"]: c["label"] for c in d["categories"]}
        for cat, n in counts.items():  # the same numbers as /status
            m = re.search(re.escape(labels[cat]) + r": (\d+)", status["text"])
            assert m and int(m.group(1)) == n, (cat, n, status["text"])
        row = next(a for a in d["agencies"] if a["id"] == snv)
        assert row["done"] >= 1
        mine = next(a for a in history["assignments"] if a["agency"] == snv)
        assert mine["confirmed"] and mine["category"] == "done_on_time"
        assert mine["reports"][-1]["files"] == ["to-trinh.pdf"]
