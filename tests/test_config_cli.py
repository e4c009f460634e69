"""Configuration and command line: one clear line per problem, exit status 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc"


def test_example_config_is_valid():
    cfg = load_config(ROOT / "config.example.toml", environ={"DONDOC_TOKEN": TOKEN})
    assert cfg.timezone == "Asia/Ho_Chi_Minh" and cfg.people.admins
    assert cfg.section("reminders").before_days == [3, 1]
    assert cfg.section("digest").weekday == "friday"
    assert cfg.storage.path.is_absolute()


@pytest.mark.parametrize("body, expected", [
    ("[people]\nadmins = [\"x\"]\n", "people.admins: must be a list of integers"),
    ("[people]\nadmins = [1]\nfoo = 1\n", "people.foo: unknown key"),
    ("[people]\nadmins = [-5]\n", "people.admins: -5 is not a Telegram user id"),
    ("[people]\nadmins = [1]\n[office]\nchat_id = 42\n", "office.chat_id: 42 is not a group id"),
    ("[people]\nadmins = [1]\n[reminders]\nhour = \"25:00\"\n", "reminders.hour: must be a time HH:MM"),
    ("[people]\nadmins = [1]\n[digest]\nweekday = \"someday\"\n", "[digest] weekday"),
    ("[people]\nadmins = [1]\n[directory]\nfile = \"missing.toml\"\n", "directory.file: cannot read"),
    ("timezone = \"Mars/Olympus\"\n[people]\nadmins = [1]\n", "timezone: unknown time zone"),
    ("[people]\nadmins = [1]\n[bogus]\nx = 1\n", "bogus: unknown key or section"),
    ("[people\nadmins = [1]\n", "is not valid TOML"),
    ("[people]\nadmins = [1]\n[storage]\npath = \"config.toml\"\n", "storage.path: "),
])
def test_bad_settings_are_named(tmp_path, body, expected):
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path, environ={"DONDOC_TOKEN": TOKEN})
    assert any(expected in p for p in exc.value.problems), exc.value.problems
    assert all("\n" not in p for p in exc.value.problems)


def test_missing_token(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[people]\nadmins = [1]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path, environ={})
    assert exc.value.problems == ["DONDOC_TOKEN: the bot token is not set (export DONDOC_TOKEN=123456:ABC...)"]


def test_check_config_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DONDOC_TOKEN", TOKEN)
    assert main(["check-config", "--config", str(ROOT / "config.example.toml")]) == 0
    assert "OK" in capsys.readouterr().out
    monkeypatch.delenv("DONDOC_TOKEN")
    # Without a token every file check still runs; the token is a warning, for `dondoc run`.
    assert main(["check-config", "--config", str(ROOT / "config.example.toml")]) == 0
    out = capsys.readouterr().out
    assert "warning: DONDOC_TOKEN is not set" in out and "OK" in out
    monkeypatch.setenv("DONDOC_TOKEN", "not-a-token")
    assert main(["check-config", "--config", str(ROOT / "config.example.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DONDOC_TOKEN" in err


def test_only_run_needs_the_token(tmp_path, capsys, monkeypatch):
    """A config.toml in the working folder and no token: reading a notice or writing a digest works."""
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text((ROOT / "config.example.toml").read_text(encoding="utf-8")
                                          .replace('path = "data"', f'path = "{tmp_path / "data"}"')
                                          .replace('"agencies.example.toml"', f'"{ROOT / "agencies.example.toml"}"'),
                                          encoding="utf-8")
    sample = ROOT / "bot" / "data" / "sample-notice-89-TB-UBND-2024.txt"
    assert main(["notice", "parse", str(sample), "--json"]) == 0
    assert '"89/TB-UBND"' in capsys.readouterr().out
    assert main(["digest", "--out", str(tmp_path / "out"), "--at", "2024-03-15 16:00"]) == 0
    assert (tmp_path / "out" / "digest.html.txt").exists()
    capsys.readouterr()
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DONDOC_TOKEN" in err


def test_bad_command_line_is_one_line():
    result = subprocess.run([sys.executable, "-m", "bot", "check-config", "--nope"], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--config", "/nonexistent.toml"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "not found" in result.stderr and "Traceback" not in result.stderr


def test_digest_command_writes_message_and_files(tmp_path, monkeypatch, capsys):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""[people]\nadmins = [1]\n[storage]\npath = "data"\n[directory]\nfile = "{ROOT / 'agencies.example.toml'}"\n""",
                   encoding="utf-8")
    monkeypatch.setenv("DONDOC_TOKEN", TOKEN)
    out = tmp_path / "out"
    assert main(["digest", "--config", str(cfg), "--out", str(out), "--at", "2024-03-15 16:00"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["bao-cao-tuan-2024-03-15.docx", "bao-cao-tuan-2024-03-15.png", "bao-cao-tuan-2024-03-15.xlsx",
                     "digest.html.txt"]
    assert main(["digest", "--config", str(cfg), "--out", str(out), "--at", "15/3/2024"]) == 2
    assert "--at" in capsys.readouterr().err
    # While the bot runs (it holds the data folder), the digest reads a snapshot.
    from storage import DataStore

    running = DataStore.open(tmp_path / "data")
    try:
        assert main(["digest", "--config", str(cfg), "--out", str(tmp_path / "out2")]) == 0
    finally:
        running.close()
