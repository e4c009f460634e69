"""The data store: atomic files, lock, corruption, backups, migrations, writer thread."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tinydb import TinyDB

from bot.models import ChatBinding
from storage import DataStore, SchemaError, StoreClosed, StoreCorrupt, StoreLocked, atomic, migrations
from storage.atomic import AtomicJSONStorage, atomic_write_bytes, load_json_file
from tests.crash_writer import T0, make_assignment, make_notice, make_report, make_task

ROOT = Path(__file__).resolve().parent.parent
DAY1 = dt.datetime(2024, 5, 1, 8, 0)


def temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if atomic.is_temp_name(p.name)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(folder: Path):
    s = DataStore.open(folder, now=DAY1)
    yield s
    s.close()


def seed(store: DataStore) -> None:
    store.notices.create_notice(make_notice("n1"), [make_task("t1")])
    store.notices.add_assignments([make_assignment("a1", "t1", chat_id=-100, message_id=5)])
    store.registry.bind_chat(ChatBinding(chat_id=-100, agency_id="snv", title="Sở Nội vụ"))


# ---------------------------------------------------------------- atomic storage

def test_atomic_storage_is_a_tinydb_storage(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    db = TinyDB(path, storage=AtomicJSONStorage)
    db.insert({"name": "Sở Tài chính"})
    db.table("other").insert({"x": 1})
    assert db.storage.writes == 2
    again = TinyDB(path, storage=AtomicJSONStorage)
    assert again.all() == [{"name": "Sở Tài chính"}]
    assert again.table("other").all() == [{"x": 1}]


def test_storage_reads_the_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db.json"
    TinyDB(path, storage=AtomicJSONStorage).insert({"a": 1})
    reads = []
    real = atomic.load_json_file
    monkeypatch.setattr(atomic, "load_json_file", lambda p: reads.append(p) or real(p))
    db = TinyDB(path, storage=AtomicJSONStorage)
    for i in range(5):
        db.insert({"a": i})
        db.all()
    assert len(reads) == 1


def test_failed_replace_leaves_the_old_file_and_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db.json"
    db = TinyDB(path, storage=AtomicJSONStorage)
    db.insert({"v": "cũ"})
    before = path.read_bytes()

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_replace", boom)
    with pytest.raises(OSError):
        db.insert({"v": "mới"})
    with pytest.raises(OSError):
        db.update({"v": "đổi"})
    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []
    assert db.all() == [{"v": "cũ"}]  # memory put back in line with the disk
    monkeypatch.undo()
    db.insert({"v": "mới"})
    assert [d["v"] for d in TinyDB(path, storage=AtomicJSONStorage).all()] == ["cũ", "mới"]


def test_failed_fsync_mid_write_leaves_old_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.json"
    atomic_write_bytes(path, b'{"a": {}}')

    def bad_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic, "_fsync", bad_fsync)
    with pytest.raises(OSError):
        atomic_write_bytes(path, b'{"b": {}}')
    assert path.read_bytes() == b'{"a": {}}'
    assert temp_files(tmp_path) == []


def test_batch_writes_once_and_rolls_back_on_error(tmp_path: Path) -> None:
    db = TinyDB(tmp_path / "db.json", storage=AtomicJSONStorage)
    with db.storage.batch():
        db.insert({"a": 1})
        db.table("t").insert({"b": 2})
    assert db.storage.writes == 1
    with pytest.raises(RuntimeError):
        with db.storage.batch():
            db.insert({"a": 2})
            raise RuntimeError("half way")
    assert db.all() == [{"a": 1}]
    assert db.storage.writes == 1


def test_leftover_temp_files_are_cleaned(tmp_path: Path, folder: Path) -> None:
    (tmp_path / ".db.json.tmp-123-abcd").write_text("{half")
    (tmp_path / "keep.txt").write_text("x")
    TinyDB(tmp_path / "db.json", storage=AtomicJSONStorage)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]

    s = DataStore.open(folder, now=DAY1)
    seed(s)
    s.close()
    (folder / ".registry.json.tmp-9-ffff").write_text("{")
    (folder / "notices" / ".n1.json.tmp-9-ffff").write_text("{")
    (folder / "backups" / ".tmp-2024-05-02-abcd").mkdir(parents=True)
    s = DataStore.open(folder, now=DAY1)
    assert temp_files(folder) == []
    assert len(s.cleaned) == 3
    assert s.notices.notice("n1") is not None
    s.close()


# ---------------------------------------------------------------- files

def test_files_are_readable_vietnamese_owner_only(store: DataStore, folder: Path) -> None:
    seed(store)
    store.sentlog.mark_sent("k1", T0, {"text": "Nhắc hạn"})
    store.counters.next_code()
    journal = folder / "journal.jsonl"
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600 and journal.stat().st_size > 0
    assert "Sở Nội vụ" in journal.read_text(encoding="utf-8")  # readable too, no \u escapes
    store.compact()
    assert journal.stat().st_size == 0
    files = [p for p in folder.rglob("*.json") if "backups" not in p.parts]
    assert {p.name for p in files} == {"registry.json", "meta.json", "n1.json", "2024-05.json"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
        json.loads(p.read_text(encoding="utf-8"))
        assert "\\u" not in p.read_text(encoding="utf-8")
    assert "Sở Nội vụ" in (folder / "registry.json").read_text(encoding="utf-8")
    assert "Rà soát, báo cáo" in (folder / "notices" / "n1.json").read_text(encoding="utf-8")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / ".lock").stat().st_mode) == 0o600


def test_every_file_carries_its_schema_version(store: DataStore, folder: Path) -> None:
    seed(store)
    store.compact()
    for name, kind in (("registry.json", "registry"), ("notices/n1.json", "notice")):
        data = load_json_file(folder / name)
        assert data["_meta"]["1"] == {"schema": migrations.CURRENT[kind], "kind": kind}


def copy_of_disk(folder: Path, to: Path) -> Path:
    """What a crash right now would leave: the folder's files as they are, without the lock."""
    import shutil

    shutil.copytree(folder, to, ignore=shutil.ignore_patterns(".lock", "backups"))
    return to


def test_writes_are_on_disk_when_the_call_returns(store: DataStore, folder: Path, tmp_path: Path) -> None:
    seed(store)
    store.notices.add_report(make_report("r1", "a1"))
    with DataStore.open(copy_of_disk(folder, tmp_path / "crashed"), backups_kept=0) as crashed:
        assert [r.id for r in crashed.notices.reports()] == ["r1"]
        assert crashed.replayed >= 1  # from the journal


def test_a_write_appends_to_the_journal_and_rewrites_no_file(store: DataStore, folder: Path) -> None:
    seed(store)
    store.compact()
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*.json") if "backups" not in p.parts}
    commits = store.commits
    with store.transaction():
        store.notices.add_report(make_report("r1", "a1"))
        a = store.notices.assignment("a1")
        a.last_report_at = T0
        store.notices.update_assignment(a)
        store.sentlog.mark_sent("k1", T0)  # a new file, in the same write
    assert store.commits == commits + 1
    assert {p: p.stat().st_mtime_ns for p in before} == before
    lines = (folder / "journal.jsonl").read_bytes().splitlines()
    assert len(lines) == 1 and b'"r1"' in lines[0] and b"k1" in lines[0]


def test_a_transaction_that_raises_leaves_nothing(store: DataStore, folder: Path) -> None:
    seed(store)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.notices.add_report(make_report("r1", "a1"))
            store.sentlog.mark_sent("k1", T0)
            raise RuntimeError("half-way")
    assert store.notices.reports() == [] and not store.sentlog.was_sent("k1")
    assert store.notices.report_by_message(-100, 1) is None
    store.notices.add_report(make_report("r2", "a1"))  # the store still works
    assert [r.id for r in store.notices.reports()] == ["r2"]


def test_a_failed_journal_write_leaves_memory_as_the_disk(store: DataStore, folder: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seed(store)
    real = atomic._fsync

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_fsync", full_disk)
    with pytest.raises(OSError):
        store.notices.add_report(make_report("r1", "a1"))
    monkeypatch.setattr(atomic, "_fsync", real)
    assert store.notices.reports() == []
    store.notices.add_report(make_report("r2", "a1"))
    store.close()
    with DataStore.open(folder, backups_kept=0) as again:
        assert [r.id for r in again.notices.reports()] == ["r2"]


def test_torn_journal_tail_is_dropped_and_a_damaged_middle_refused(folder: Path) -> None:
    s = DataStore.open(folder, backups_kept=0)
    seed(s)
    s.notices.add_report(make_report("r1", "a1", message_id=1))
    s.notices.add_report(make_report("r2", "a1", message_id=2))
    journal = (folder / "journal.jsonl").read_bytes()
    s._guard.journal = None  # a kill: no compaction at close
    s.close()
    lines = journal.splitlines(keepends=True)
    (folder / "journal.jsonl").write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # killed mid-append
    with DataStore.open(folder, backups_kept=0) as again:
        assert [r.id for r in again.notices.reports()] == ["r1"]
        again._guard.journal.append([["put", "notices/n1.json", "reports", "99", {"x": 1}]])
        again._guard.journal.append([["put", "notices/n1.json", "reports", "98", {"x": 2}]])
        again._guard.journal = None
    bad = (folder / "journal.jsonl").read_bytes().replace(b'"x":1', b'"x":7')
    (folder / "journal.jsonl").write_bytes(bad)
    with pytest.raises(StoreCorrupt) as err:
        DataStore.open(folder, backups_kept=0)
    assert "journal" in err.value.message and (folder / "journal.jsonl").read_bytes() == bad


# ---------------------------------------------------------------- corruption and backups

def test_corrupt_file_is_refused_with_backup_named_and_left_untouched(folder: Path) -> None:
    s = DataStore.open(folder, now=DAY1)
    seed(s)
    s.close()
    s = DataStore.open(folder, now=DAY1 + dt.timedelta(days=1))  # makes the 2024-05-02 backup
    s.close()
    bad = folder / "notices" / "n1.json"
    garbage = b'{"_meta": {"1": {"schema": 1}}, "notice": {"1": {"id": "n1", "num'
    bad.write_bytes(garbage)
    with pytest.raises(StoreCorrupt) as err:
        DataStore.open(folder, now=DAY1 + dt.timedelta(days=5))
    msg = err.value.message
    assert "\n" not in msg
    assert str(bad) in msg
    assert str(folder / "backups" / "2024-05-02" / "notices" / "n1.json") in msg
    assert bad.read_bytes() == garbage
    # no backup was made of the broken data, and the lock was released
    assert sorted(p.name for p in (folder / "backups").iterdir()) == ["2024-05-02"]
    # the named backup is good: restoring it makes the store open
    bad.write_bytes((folder / "backups" / "2024-05-02" / "notices" / "n1.json").read_bytes())
    s = DataStore.open(folder, now=DAY1 + dt.timedelta(days=5))
    assert s.notices.assignment("a1") is not None
    s.close()


@pytest.mark.parametrize("content", [b"", b"   \n", b"[1, 2]", b'{"chats": [1]}', b"\xff\xfe{}"])
def test_other_unreadable_files_are_refused(folder: Path, content: bytes) -> None:
    folder.mkdir()
    (folder / "registry.json").write_bytes(content)
    with pytest.raises(StoreCorrupt) as err:
        DataStore.open(folder, now=DAY1)
    assert "no backup exists" in err.value.message
    assert (folder / "registry.json").read_bytes() == content


def test_backups_one_per_day_rotating(folder: Path) -> None:
    for day in range(1, 11):
        s = DataStore.open(folder, backups_kept=3, now=dt.datetime(2024, 5, day, 8))
        s.registry.bind_chat(ChatBinding(chat_id=-day, agency_id="snv"))
        assert s.backup(dt.datetime(2024, 5, day, 20)).name == f"2024-05-{day:02d}"
        s.close()
    days = sorted(p.name for p in (folder / "backups").iterdir())
    assert days == ["2024-05-08", "2024-05-09", "2024-05-10"]
    # the backup of day 10 was made at open: it holds the chats bound on days 1..9
    backup = load_json_file(folder / "backups" / "2024-05-10" / "registry.json")
    assert sorted(r["chat_id"] for r in backup["chats"].values()) == [-9, -8, -7, -6, -5, -4, -3, -2, -1]
    for p in (folder / "backups").rglob("*.json"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_backups_can_be_turned_off(folder: Path) -> None:
    s = DataStore.open(folder, backups_kept=0, now=DAY1)
    seed(s)
    assert s.backup(DAY1) is None
    s.close()
    assert not (folder / "backups").exists()


# ---------------------------------------------------------------- lock

def test_second_store_in_the_same_process_is_refused(store: DataStore, folder: Path) -> None:
    with pytest.raises(StoreLocked) as err:
        DataStore.open(folder)
    assert f"pid {os.getpid()}" in err.value.message
    store.close()
    DataStore.open(folder).close()  # released on close


def test_second_process_is_refused_with_a_clear_message(store: DataStore, folder: Path) -> None:
    code = (
        "import sys\n"
        "from storage import DataStore, StoreLocked\n"
        "try:\n    DataStore.open(sys.argv[1])\n"
        "except StoreLocked as e:\n    print(e.message); sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(folder)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    line = proc.stdout.strip()
    assert "\n" not in line
    assert str(folder) in line and f"pid {os.getpid()}" in line


def test_closed_store_refuses_use(folder: Path) -> None:
    s = DataStore.open(folder)
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreClosed):
        s.registry.all_chats()


# ---------------------------------------------------------------- migrations

def test_migration_hook_upgrades_a_v0_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    v0 = {"chats": {"1": {"chat": -100, "agency": "snv", "title": "Sở Nội vụ"}}}
    (folder / "registry.json").write_text(json.dumps(v0, ensure_ascii=False), encoding="utf-8")
    calls = []

    def rename_fields(data: dict) -> dict:
        calls.append(dict(data))
        for raw in data["chats"].values():
            raw["chat_id"] = raw.pop("chat")
            raw["agency_id"] = raw.pop("agency")
        return data

    monkeypatch.setitem(migrations.MIGRATIONS, ("registry", 0), rename_fields)
    s = DataStore.open(folder, now=DAY1)
    assert len(calls) == 1
    assert s.registry.chat(-100) == ChatBinding(chat_id=-100, agency_id="snv", title="Sở Nội vụ")
    s.close()
    on_disk = load_json_file(folder / "registry.json")
    assert on_disk["_meta"]["1"] == {"schema": 1, "kind": "registry"}
    # the day's backup holds the file as it was before the migration
    assert load_json_file(folder / "backups" / "2024-05-01" / "registry.json") == v0
    DataStore.open(folder, now=DAY1).close()
    assert len(calls) == 1  # migrated once


def test_migration_chain_runs_in_order(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = DataStore.open(folder, now=DAY1)
    seed(s)
    s.close()
    monkeypatch.setitem(migrations.CURRENT, "notice", 3)
    order = []

    def step(n):
        def fn(data):
            order.append(n)
            for raw in data["tasks"].values():
                raw["text"] += f" +{n}"
            return data
        return fn

    monkeypatch.setitem(migrations.MIGRATIONS, ("notice", 1), step(1))
    monkeypatch.setitem(migrations.MIGRATIONS, ("notice", 2), step(2))
    s = DataStore.open(folder, now=DAY1)
    assert order == [1, 2]
    assert s.notices.task("t1").text.endswith(" +1 +2")
    s.close()
    assert load_json_file(folder / "notices" / "n1.json")["_meta"]["1"]["schema"] == 3


def test_newer_schema_or_missing_migration_is_refused(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = DataStore.open(folder, now=DAY1)
    seed(s)
    s.close()
    path = folder / "registry.json"
    data = load_json_file(path)
    data["_meta"]["1"]["schema"] = 9
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SchemaError, match="schema 9 .* upgrade dondoc"):
        DataStore.open(folder, now=DAY1)
    data["_meta"]["1"]["schema"] = 1
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setitem(migrations.CURRENT, "registry", 2)
    with pytest.raises(SchemaError, match="no migration for registry files from schema 1 to 2"):
        DataStore.open(folder, now=DAY1)
    assert load_json_file(path)["_meta"]["1"]["schema"] == 1


def test_failing_migration_leaves_the_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    (folder / "meta.json").write_text('{"counters": {}}')

    def broken(data):
        raise KeyError("x")

    monkeypatch.setitem(migrations.MIGRATIONS, ("meta", 0), broken)
    with pytest.raises(SchemaError, match="migration of meta from schema 0 failed"):
        DataStore.open(folder, now=DAY1)
    assert (folder / "meta.json").read_text() == '{"counters": {}}'


# ---------------------------------------------------------------- writer thread

async def test_run_executes_in_the_single_writer_thread(store: DataStore) -> None:
    threads = set()

    def where():
        threads.add(threading.current_thread().name)
        return threading.current_thread() is not threading.main_thread()

    assert all(await asyncio.gather(*(store.run(where) for _ in range(5))))
    assert len(threads) == 1 and next(iter(threads)).startswith("dondoc-store")


async def test_slow_write_does_not_block_the_event_loop(store: DataStore, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(store)
    release = threading.Event()
    real_fsync = atomic._fsync
    in_write = threading.Event()

    def slow_fsync(fd):
        in_write.set()
        release.wait(10)  # the "disk" answers only when the test says so
        real_fsync(fd)

    monkeypatch.setattr(atomic, "_fsync", slow_fsync)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    tick_task = asyncio.create_task(ticker())
    write = asyncio.create_task(store.run(store.notices.add_report, make_report("r1", "a1")))
    while not in_write.is_set():
        await asyncio.sleep(0)
    start = ticks
    while ticks < start + 50:  # the loop keeps serving while the write waits on the disk
        await asyncio.sleep(0)
    assert not write.done()
    release.set()
    report, created = await write
    tick_task.cancel()
    assert created and report.id == "r1"
    assert store.notices.report("r1") is not None


async def test_run_propagates_errors(store: DataStore) -> None:
    with pytest.raises(Exception, match="unknown notice"):
        await store.run(store.notices.add_report, make_report("r1", "a1", nid="nope"))
    store.close()
    with pytest.raises(StoreClosed):
        await store.run(store.registry.all_chats)


def test_concurrent_threads_are_serialised(store: DataStore) -> None:
    store.notices.create_notice(make_notice("n1"), [make_task("t1")])
    store.notices.add_assignments([make_assignment("a1", "t1")])
    codes: list[str] = []

    def work(k: int) -> None:
        for i in range(10):
            store.notices.add_report(make_report(f"r{k}-{i}", "a1", message_id=k * 100 + i))
            codes.append(store.counters.next_code())

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.notices.reports()) == 40
    assert sorted(codes, key=lambda c: int(c[2:])) == [f"NV{i}" for i in range(2, 42)]
    store.close()
    again = DataStore.open(store.folder)
    assert len(again.notices.reports(assignment_id="a1")) == 40
    again.close()


# ---------------------------------------------------------------- journal: layout, compaction

def test_a_folder_of_the_previous_layout_opens_and_keeps_its_shape(folder: Path) -> None:
    """Folders written before the journal (every write a rewrite of the notice's file) open as they
    are; their files keep the same shape, so a backup or an older dondoc can still read them."""
    from storage.notices import notice_file_data

    (folder / "notices").mkdir(parents=True)
    data = notice_file_data(make_notice("n1"), [make_task("t1", code="NV9001")],
                            [make_assignment("a1", "t1", chat_id=-100, message_id=5)],
                            [make_report("r0", "a1", message_id=3)])
    atomic_write_bytes(folder / "notices" / "n1.json", atomic.dumps(data).encode())
    atomic_write_bytes(folder / "registry.json", atomic.dumps(migrations.fresh("registry")).encode())
    before = load_json_file(folder / "notices" / "n1.json")
    with DataStore.open(folder, backups_kept=0) as s:
        assert [r.id for r in s.notices.reports(assignment_id="a1")] == ["r0"]
        assert s.notices.last_reports()["a1"].id == "r0"
        s.notices.add_report(make_report("r1", "a1", message_id=4, at=T0 + dt.timedelta(hours=1)))
    after = load_json_file(folder / "notices" / "n1.json")
    assert set(after) == set(before) and after["_meta"] == before["_meta"]
    assert [r["id"] for r in after["reports"].values()] == ["r0", "r1"]
    assert (folder / "journal.jsonl").stat().st_size == 0  # compacted at close


async def test_a_long_journal_is_compacted_in_the_writer_thread(store: DataStore, folder: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import journal

    seed(store)
    store.compact()
    monkeypatch.setattr(journal, "COMPACT_BYTES", 4000)
    mtime = (folder / "notices" / "n1.json").stat().st_mtime_ns
    for i in range(12):  # ~600 bytes a line
        await store.run(store.notices.add_report, make_report(f"r{i}", "a1", message_id=100 + i))
    await store.run(lambda: None)  # the compaction queued behind the writes has run
    assert (folder / "journal.jsonl").stat().st_size < 4000
    assert (folder / "notices" / "n1.json").stat().st_mtime_ns != mtime
    raw = load_json_file(folder / "notices" / "n1.json")
    assert len(raw["reports"]) >= 6  # what was compacted is in the data file
    with DataStore.open(copy_of_disk(folder, folder.parent / "crashed"), backups_kept=0) as crashed:
        assert len(crashed.notices.reports()) == 12


def test_a_kill_during_compaction_loses_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compaction rewrites the data files, then empties the journal: killed between two files,
    the journal still holds everything and replaying it over newer files gives the same."""
    s = DataStore.open(folder, backups_kept=0)
    seed(s)
    s.notices.create_notice(make_notice("n2", number="2/TB", sha="s2"), [make_task("t2", nid="n2")])
    s.notices.add_report(make_report("r1", "a1", message_id=1))
    real = atomic.atomic_write_bytes
    calls = []

    def dies_on_second(path, data, mode=0o600):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        real(path, data, mode)

    monkeypatch.setattr("storage.journal.atomic_write_bytes", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        s.compact()
    monkeypatch.setattr("storage.journal.atomic_write_bytes", real)
    s._guard.journal = None  # the process is gone: no compaction at close
    s.close()
    with DataStore.open(folder, backups_kept=0) as again:
        assert [r.id for r in again.notices.reports()] == ["r1"]
        assert again.notices.notice("n2") is not None and again.registry.chat(-100) is not None


async def test_writes_that_arrive_together_share_one_fsync(store: DataStore, folder: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Group commit: store calls queued while the writer is busy are made durable by one fsync,
    and none returns before it."""
    import time as time_mod

    seed(store)
    real = atomic._fsync
    journal = store._guard.journal

    def slow_fsync(fd):
        time_mod.sleep(0.02)
        real(fd)

    monkeypatch.setattr(atomic, "_fsync", slow_fsync)
    syncs = journal.syncs

    async def one(i: int) -> None:
        await store.run(store.notices.add_report, make_report(f"r{i}", "a1", message_id=100 + i))
        assert journal.synced == journal.size or journal.synced >= 1  # answered only once on disk

    await asyncio.gather(*(one(i) for i in range(20)))
    assert store._guard.journal.syncs - syncs < 20  # shared
    assert len(store.notices.reports()) == 20
    with DataStore.open(copy_of_disk(folder, tmp_path / "crashed"), backups_kept=0) as crashed:
        assert len(crashed.notices.reports()) == 20


async def test_a_failed_group_fsync_fails_every_call_of_the_batch(store: DataStore,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seed(store)
    real = atomic._fsync
    monkeypatch.setattr(atomic, "_fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O error")))
    results = await asyncio.gather(*(store.run(store.notices.add_report, make_report(f"r{i}", "a1", message_id=i))
                                     for i in range(5)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    monkeypatch.setattr(atomic, "_fsync", real)
    assert store.notices.reports() == []  # nothing that was not durable stays in memory
    await store.run(store.notices.add_report, make_report("ok", "a1", message_id=99))
    assert [r.id for r in store.notices.reports()] == ["ok"]
