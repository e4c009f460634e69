"""`dondoc run` as a real process against the emulator: serves, refuses a second process on the
same data folder, logs no token, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_config(tmp_path: Path, emu) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[telegram]
base_url = "{emu.base_url}"
base_file_url = "{emu.base_file_url}"
poll_timeout = 1
[storage]
path = "data"
[people]
admins = [1001]
[office]
chat_id = -1009000
[directory]
file = "{ROOT / 'agencies.example.toml'}"
""", encoding="utf-8")
    return cfg


async def test_run_serves_refuses_a_second_process_and_stops_on_sigterm(emulator, tmp_path):
    emu = emulator
    emu.add_user(1001, "Hoa")
    cfg = write_config(tmp_path, emu)
    env = {**os.environ, "DONDOC_TOKEN": emu.token}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(cfg)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        await emu.wait_until(lambda: emu.calls("getUpdates"), timeout=30)
        emu.press_start(1001)
        reply = await emu.wait_for_bot_message(1001, timeout=10)
        assert "dondoc" in reply["text"]
        assert any(c.get("scope") for c in emu.calls("setMyCommands"))
        second = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(cfg)], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert "Traceback" not in second.stderr + second.stdout
        assert str(tmp_path / "data") in second.stdout + second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = await asyncio.to_thread(proc.communicate, timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err[-2000:]
    assert emu.token not in out + err
    assert emu.token.split(":")[1] not in out + err
    assert "stopped" in err
    assert (tmp_path / "data" / "registry.json").exists() or (tmp_path / "data").is_dir()
