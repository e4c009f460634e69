"""Webhook mode through the emulator: setWebhook with the secret, updates posted by 'Telegram' handled
once, posts without or with a wrong secret refused and never processed; as a real process, SIGTERM
stops it cleanly; check-config asks for the secret."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import build_application
from bot.config import ConfigError, load_config
from bot.directory import Directory
from storage import DataStore
from tests.harness import ADMIN, OFFICE_CHAT, make_config

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-Of_the-office"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_takes_updates_with_the_secret_and_refuses_forged_posts(emulator, tmp_path):
    emu = emulator
    emu.add_user(ADMIN, "Hoa")
    emu.add_user(7, "Lan")
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    cfg = make_config(emu, tmp_path / "data", telegram={"mode": "webhook", "webhook_url": url, "port": port})
    cfg.webhook_secret = SECRET
    store = DataStore.open(cfg.storage.path)
    app = build_application(cfg, store, Directory.load(cfg.directory.file))
    app.bot_data["services"].jobs_enabled = False
    await app.initialize()
    try:
        await app.post_init(app)
        await app.start()
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="telegram", webhook_url=url,
                                        secret_token=SECRET)
        hook = emu.calls("setWebhook")[-1]
        assert hook["url"] == url and hook["secret_token"] == SECRET
        # A user writes: Telegram posts the update with the secret, the bot answers.
        emu.press_start(7)
        reply = await emu.wait_for_bot_message(7, timeout=10)
        assert "dondoc" in reply["text"]
        await emu.wait_idle()
        assert emu.webhook_answers and all(status == 200 for _, status in emu.webhook_answers)
        journal = store.updates
        assert all(journal.is_done(uid) for uid, _ in emu.webhook_answers)  # answered 200 only once durable
        assert not emu.calls("getUpdates")
        # Forged posts: no secret, a wrong one, a secret of the right length: refused, not processed.
        forged = {"update_id": 900001, "message": {
            "message_id": 99, "date": 0, "chat": {"id": 7, "type": "private", "first_name": "Lan"},
            "from": {"id": 7, "is_bot": False, "first_name": "Lan"}, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
        before = len(emu.bot_messages(7))
        assert await asyncio.to_thread(emu.post_update, forged, secret=None) == 401
        assert await asyncio.to_thread(emu.post_update, forged, secret="wrong") == 403
        assert await asyncio.to_thread(emu.post_update, forged, secret="x" * len(SECRET)) == 403
        assert await asyncio.to_thread(emu.post_update, {"not": "an update"}, secret=SECRET) == 400
        await asyncio.sleep(0.3)
        assert len(emu.bot_messages(7)) == before
        assert not journal.is_done(900001)
        # The same update posted twice (Telegram retries when it saw no answer): handled once.
        assert await asyncio.to_thread(emu.post_update, forged, secret=SECRET) == 200
        assert journal.is_done(900001)  # the answer is owed durably (the outbox); it goes out just after
        await emu.wait_until(lambda: len(emu.bot_messages(7)) == before + 1, timeout=10, what="the one answer")
        assert await asyncio.to_thread(emu.post_update, forged, secret=SECRET) == 200
        await emu.wait_idle()
        assert len(emu.bot_messages(7)) == before + 1
        await app.updater.stop()
        await app.stop()
    finally:
        await app.shutdown()
        store.close()


def test_check_config_asks_for_the_webhook_secret(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[telegram]
mode = "webhook"
webhook_url = "https://bot.example.gov.vn/telegram"
[people]
admins = [{ADMIN}]
[directory]
file = "{ROOT / 'agencies.example.toml'}"
""", encoding="utf-8")
    env = {"DONDOC_TOKEN": "123456:" + "A" * 30}
    with pytest.raises(ConfigError) as exc:
        load_config(cfg, environ=env)
    assert len(exc.value.problems) == 1 and "DONDOC_WEBHOOK_SECRET" in exc.value.problems[0]
    with pytest.raises(ConfigError) as exc:
        load_config(cfg, environ={**env, "DONDOC_WEBHOOK_SECRET": "has spaces"})
    assert "DONDOC_WEBHOOK_SECRET" in exc.value.problems[0]
    assert load_config(cfg, environ={**env, "DONDOC_WEBHOOK_SECRET": SECRET}).webhook_secret == SECRET
    cfg.write_text(cfg.read_text().replace('webhook_url = "https://bot.example.gov.vn/telegram"\n', ""))
    with pytest.raises(ConfigError) as exc:
        load_config(cfg, environ={**env, "DONDOC_WEBHOOK_SECRET": SECRET})
    assert any("telegram.webhook_url" in p for p in exc.value.problems)


async def test_webhook_process_serves_and_stops_on_sigterm(emulator, tmp_path):
    emu = emulator
    emu.add_user(ADMIN, "Hoa")
    port = free_port()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[telegram]
base_url = "{emu.base_url}"
base_file_url = "{emu.base_file_url}"
mode = "webhook"
webhook_url = "http://127.0.0.1:{port}/hook"
listen = "127.0.0.1"
port = {port}
url_path = "hook"
[storage]
path = "data"
[people]
admins = [{ADMIN}]
[office]
chat_id = {OFFICE_CHAT}
[directory]
file = "{ROOT / 'agencies.example.toml'}"
""", encoding="utf-8")
    env = {**os.environ, "DONDOC_TOKEN": emu.token, "DONDOC_WEBHOOK_SECRET": SECRET}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(cfg)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        await emu.wait_until(lambda: emu.calls("setWebhook"), timeout=30)
        emu.press_start(ADMIN)
        assert "dondoc" in (await emu.wait_for_bot_message(ADMIN, timeout=15))["text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = await asyncio.to_thread(proc.communicate, timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err[-2000:]
    assert "stopped" in err and "Traceback" not in err
    assert SECRET not in out + err and emu.token not in out + err
    assert emu.calls("setWebhook")[-1]["secret_token"] == SECRET
