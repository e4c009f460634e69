"""dondoc backup / restore: a consistent copy while the bot runs, and restore's refusals."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import ChatBinding
from bot.ops.backup import FORMAT, MANIFEST
from bot.ops.snapshot import consistent_copy, data_file_list, sha256_of
from tests.harness import LEADER, bot_env
from tests.test_e2e_tracking import SNV_GROUP, SNV_USER, card_for, published_env

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"


def write_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[people]\nadmins = [1001]\nleaders = [1002]\n[office]\nchat_id = -1009000\n'
                   f'[storage]\npath = "data"\n[directory]\nfile = "{ROOT / "agencies.example.toml"}"\n',
                   encoding="utf-8")
    return cfg


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    return {rel: sha256_of(folder / rel) for rel in data_file_list(folder)}


def one_line_error(err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err


async def status_text(env) -> str:
    return await ask(env, "/status") + "\n" + await ask(env, "/status Sở Nội vụ")


async def ask(env, command: str) -> str:
    emu = env.emu
    before = len(emu.bot_messages(LEADER))
    emu.send(LEADER, LEADER, command)
    await emu.wait_until(lambda: len(emu.bot_messages(LEADER)) > before, timeout=20)
    await emu.wait_idle()
    return "\n".join(m["text"] for m in emu.bot_messages(LEADER)[before:])


async def test_backup_while_running_then_delete_and_restore_gives_the_same_status(emulator, tmp_path, capsys):
    cfg = write_config(tmp_path)
    data = tmp_path / "data"
    async with bot_env(emulator, tmp_path) as env:
        await published_env(env)
        card = card_for(emulator, SNV_GROUP, "8.1")
        emulator.send(SNV_USER, SNV_GROUP, "Đã hoàn thành, gửi kèm tờ trình", reply_to=card["message_id"])
        await emulator.wait_for_bot_message(SNV_GROUP, lambda m: "Đã ghi nhận" in m["text"])
        status = await status_text(env)
        assert "Tổng số nhiệm vụ" in status and "Sở Nội vụ" in status
        # The bot is running (it holds the data folder's lock): the backup is taken all the same.
        out = tmp_path / "backups-elsewhere"
        out.mkdir()
        assert await asyncio.to_thread(main, ["backup", "--config", str(cfg), "--out", str(out)]) == 0
        assert "backup written to" in capsys.readouterr().out
        before = fingerprint(data)
        # restore refuses while the bot runs, even with --force
        (archive,) = list(out.iterdir())
        assert main(["restore", str(archive), "--config", str(cfg), "--force"]) == 2
        err = capsys.readouterr().err
        one_line_error(err)
        assert "running" in err
        assert fingerprint(data) == before
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    import shutil

    shutil.rmtree(data)
    assert main(["restore", str(archive), "--config", str(cfg)]) == 0
    assert "restored" in capsys.readouterr().out
    assert fingerprint(data) == before
    for root, dirs, files in os.walk(data):
        assert stat.S_IMODE(os.stat(root).st_mode) == 0o700, root
        for f in files:
            assert stat.S_IMODE(os.stat(Path(root) / f).st_mode) == 0o600, f
    async with bot_env(emulator, tmp_path) as env:
        assert await status_text(env) == status


def make_store_data(folder: Path) -> None:
    """A small real data folder (a registered agency), written by the store itself."""
    import datetime as dt
    import zoneinfo

    from storage import DataStore

    now = dt.datetime(2024, 3, 12, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
    with DataStore.open(folder, now=now) as store:
        store.registry.bind_chat(ChatBinding(-100123, "so-noi-vu", "Sở Nội vụ", now, 2001))


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
    cfg = write_config(tmp_path)
    data = tmp_path / "data"
    make_store_data(data)
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", "--config", str(cfg), "--out", str(archive)]) == 0
    return cfg, data, archive


def test_restore_refusals_leave_the_data_untouched(setup, tmp_path, capsys):
    cfg, data, archive = setup
    capsys.readouterr()
    before = fingerprint(data)
    assert before

    def refused(path: Path, *extra: str, word: str) -> None:
        assert main(["restore", str(path), "--config", str(cfg), *extra]) == 2
        err = capsys.readouterr().err
        one_line_error(err)
        assert word in err, err
        assert fingerprint(data) == before
        assert not [p for p in tmp_path.iterdir() if p.name.startswith((".data.restore", "data.before"))]

    # the folder holds data: --force needed
    refused(archive, word="--force")
    # damaged: truncated, and one byte changed inside a member
    blob = archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(blob[: len(blob) // 2])
    refused(cut, "--force", word="damaged")
    raw = bytearray(gzip.decompress(blob))
    i = raw.index(b"so-noi-vu")  # inside a data file (the manifest names files, not agencies)
    raw[i + 2] ^= 0x01
    flipped = tmp_path / "flipped.tar.gz"
    flipped.write_bytes(gzip.compress(bytes(raw)))
    refused(flipped, "--force", word="damaged")
    # foreign: a tar.gz of something else, a zip, a text file, a missing file
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        payload = b"hello"
        info = tarfile.TarInfo("notes.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    refused(other, "--force", word="not a dondoc backup")
    fake = tmp_path / "fake.tar.gz"
    with tarfile.open(fake, "w:gz") as tar:
        payload = json.dumps({"format": "something-else"}).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    refused(fake, "--force", word="not a dondoc backup")
    import zipfile

    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "a")
    refused(z, "--force", word="not a dondoc backup")
    txt = tmp_path / "notes.txt"
    txt.write_text("not a backup")
    refused(txt, "--force", word="not a dondoc backup")
    refused(tmp_path / "missing.tar.gz", "--force", word="no such file")
    # a member outside data/ (path traversal) is refused
    evil = tmp_path / "evil.tar.gz"
    manifest = {"format": FORMAT, "format_version": 1, "files": {"../x": {"size": 1, "sha256": "0" * 64}}}
    with tarfile.open(evil, "w:gz") as tar:
        for name, payload in ((MANIFEST, json.dumps(manifest).encode()), ("data/../../x", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    refused(evil, "--force", word="not a dondoc backup")
    assert not (tmp_path.parent / "x").exists()


def test_restore_with_force_keeps_the_previous_data_beside(setup, tmp_path, capsys):
    cfg, data, archive = setup
    before = fingerprint(data)
    # the data changes after the backup (another registration), then the backup is restored
    import datetime as dt

    from storage import DataStore

    now = dt.datetime.now().astimezone()
    with DataStore.open(data, now=now) as store:  # the day's automatic backup, as the bot makes it
        store.registry.bind_chat(ChatBinding(-100456, "so-tai-chinh", "Sở Tài chính", now, 2002))
    changed = fingerprint(data)
    assert changed != before
    daily = sorted(p.name for p in (data / "backups").iterdir())
    assert daily
    capsys.readouterr()
    assert main(["restore", str(archive), "--config", str(cfg), "--force"]) == 0
    out = capsys.readouterr().out
    assert fingerprint(data) == before
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("data.before-restore-")]
    assert len(kept) == 1 and str(kept[0]) in out
    assert fingerprint(kept[0]) == changed
    assert sorted(p.name for p in (data / "backups").iterdir()) == daily  # the daily backups go on
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o700
    with DataStore.open(data, backups_kept=0) as store:
        assert store.registry.chat(-100123) is not None and store.registry.chat(-100456) is None


def test_restore_into_an_empty_folder_and_the_manifest(setup, tmp_path, capsys):
    cfg, data, archive = setup
    before = fingerprint(data)
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(MANIFEST).read())
    assert names[0] == MANIFEST and all(n.startswith("data/") for n in names[1:])
    assert manifest["format"] == FORMAT and manifest["format_version"] == 1
    assert manifest["dondoc_version"] and manifest["created_at"]
    assert set(manifest["files"]) == set(before)
    assert all(manifest["files"][k]["sha256"] == v[0] for k, v in before.items())
    assert not any(n.startswith("data/backups") or n.endswith(".lock") for n in names)
    # an empty data folder (just a lock file and daily backups) is not "holding data"
    import shutil

    for rel in before:
        (data / rel).unlink()
    assert main(["restore", str(archive), "--config", str(cfg)]) == 0
    assert fingerprint(data) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("data.before-restore-")]


def test_backup_refusals(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
    cfg = write_config(tmp_path)
    assert main(["backup", "--config", str(cfg), "--out", str(tmp_path / "b.tar.gz")]) == 2
    one_line_error(capsys.readouterr().err)  # nothing to back up
    make_store_data(tmp_path / "data")
    assert main(["backup", "--config", str(cfg), "--out", str(tmp_path / "data" / "b.tar.gz")]) == 2
    assert "inside the data folder" in capsys.readouterr().err


def test_backups_in_a_folder_are_rotated_with_keep(setup, tmp_path, capsys):
    import datetime as dt

    from bot.ops.backup import create_backup

    cfg, data, _archive = setup
    folder = tmp_path / "rotating"
    folder.mkdir()
    (folder / "notes.txt").write_text("not ours")  # never deleted
    for day in range(1, 6):
        create_backup(data, folder, now=dt.datetime(2024, 3, day, 2, 30).astimezone(), keep=3)
    assert sorted(p.name for p in folder.iterdir()) == [
        "dondoc-backup-20240303-023000.tar.gz", "dondoc-backup-20240304-023000.tar.gz",
        "dondoc-backup-20240305-023000.tar.gz", "notes.txt"]
    capsys.readouterr()
    assert main(["backup", "--config", str(cfg), "--out", str(folder), "--keep", "1"]) == 0
    assert len([p for p in folder.iterdir() if p.name.startswith("dondoc-backup-")]) == 1
    assert main(["backup", "--config", str(cfg), "--out", str(tmp_path / "one.tar.gz"), "--keep", "2"]) == 2
    assert "--keep" in capsys.readouterr().err
    assert main(["backup", "--config", str(cfg), "--out", str(folder), "--keep", "0"]) == 2


def test_commands_need_no_token_and_never_write_it(tmp_path):
    cfg = write_config(tmp_path)
    make_store_data(tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if k != "DONDOC_TOKEN"}
    run = lambda *a, **kw: subprocess.run([sys.executable, "-m", "bot", *a], capture_output=True, text=True,  # noqa: E731
                                          cwd=tmp_path, timeout=120, **kw)
    r = run("backup", "--config", str(cfg), "--out", str(tmp_path / "b.tar.gz"), env=env)
    assert r.returncode == 0, r.stderr
    # with a token in the environment, it appears nowhere in what is written
    r = run("backup", "--config", str(cfg), "--out", str(tmp_path / "c.tar.gz"), env={**env, "DONDOC_TOKEN": TOKEN})
    assert r.returncode == 0, r.stderr
    assert TOKEN.encode() not in gzip.decompress((tmp_path / "c.tar.gz").read_bytes())
    r = run("restore", str(tmp_path / "c.tar.gz"), "--config", str(cfg), "--force", env=env)
    assert r.returncode == 0, r.stderr
    for root, _dirs, files in os.walk(tmp_path):
        for f in files:
            assert TOKEN.encode() not in (Path(root) / f).read_bytes(), f


def test_consistent_copy_never_mixes_moments(tmp_path):
    """A writer replaces a.json then b.json with the same counter, as the store does (temp file, rename):
    at any moment b <= a <= b + 1. A file-by-file copy taken while it writes must keep that."""
    src = tmp_path / "src"
    src.mkdir()

    def put(name: str, n: int) -> None:
        tmp = src / f".{name}.tmp-1-x"
        tmp.write_text(json.dumps({"n": n, "pad": "x" * 20000}))
        os.replace(tmp, src / name)

    put("a.json", 0)
    put("b.json", 0)
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            for _ in range(5):  # a burst of writes, then a pause (the bot's busiest is a publish)
                n += 1
                put("a.json", n)
                put("b.json", n)
            time.sleep(0.02)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for i in range(30):
            dst = tmp_path / f"copy{i}"
            consistent_copy(src, dst)
            a = json.loads((dst / "a.json").read_text())["n"]
            b = json.loads((dst / "b.json").read_text())["n"]
            assert b <= a <= b + 1, (a, b)
            assert sorted(p.name for p in dst.iterdir()) == ["a.json", "b.json"]
    finally:
        stop.set()
        thread.join()
