"""One durable write per user action: the report, its assignment, the messages it owes (outbox) and
"this update is done" (update journal) are ONE line of the store's journal and ONE fsync; a kill at
any moment, even in the middle of that append, leaves a folder that opens to all of it or none."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import progress
from bot.models import Progress
from bot.outgoing import Outgoing
from storage import DataStore, atomic
from storage import updates as updates_mod
from storage.journal import JOURNAL_NAME, read_journal
from tests.crash_writer import (T0, NoDirectory, kill_after_first_line, make_assignment, make_notice, make_report,
                                make_task)

ROOT = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).resolve().parent / "crash_writer.py"
SETTINGS = progress.Settings(office_chat_id=-1)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(folder: Path):
    s = DataStore.open(folder, backups_kept=0)
    s.notices.create_notice(make_notice("n1"), [make_task("t1", code="NV9001")])
    s.notices.add_assignments([make_assignment("a1", "t1", chat_id=-100, message_id=5)])
    yield s
    if not s.closed:
        s.close()


def action(store: DataStore, n: int, status: Progress = Progress.DONE, update_id: int | None = None):
    """What handlers/tracking does for a reply: one transaction in the writer thread."""
    r = make_report(f"r{n}", "a1", message_id=100 + n, at=T0)
    r.status = status

    def job():
        with store.transaction():
            done = progress.record(store, r, source=progress.Source(-100, message_id=100 + n), now=T0,
                                   settings=SETTINGS, directory=NoDirectory())
            store.owe(done.messages)
            store.finish_update(update_id if update_id is not None else 1000 + n)
        return done

    return job


def copy_of_disk(folder: Path, to: Path) -> Path:
    """What a SIGKILL right now would leave (the kernel keeps what was written): the files, no lock."""
    shutil.copytree(folder, to, ignore=shutil.ignore_patterns(".lock", "backups"))
    return to


def count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = atomic._fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(atomic, "_fsync", counting)
    monkeypatch.setattr(updates_mod, "_fsync", counting)
    return calls


def file_sizes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*")
            if p.is_file() and "backups" not in p.parts and p.name != ".lock"}


async def test_a_reply_is_one_append_and_one_fsync(store: DataStore, folder: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    before = file_sizes(folder)
    fsyncs = count_fsyncs(monkeypatch)
    done = await store.run(action(store, 1))
    assert len(fsyncs) == 1
    after = file_sizes(folder)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {JOURNAL_NAME}  # nothing else written: not the outbox's journal, not updates.log
    txs, _, _ = read_journal(folder / JOURNAL_NAME)
    kinds = [op[0] for op in txs[-1]]
    assert "put" in kinds and kinds.count("ob") == len(done.messages) == 2 and kinds[-1] == "ud"
    # live at once: the sender sees the acknowledgement and the office's message, the update is done
    assert [e.key for e in store.outbox.pending()] == [m.key for m in done.messages]
    assert store.updates.is_done(1001)
    assert store.notices.assignment("a1").progress == Progress.DONE


async def test_replies_together_share_one_fsync(store: DataStore, monkeypatch: pytest.MonkeyPatch) -> None:
    real = atomic._fsync
    fsyncs: list[int] = []

    def slow(fd: int) -> None:
        fsyncs.append(fd)
        time.sleep(0.02)
        real(fd)

    monkeypatch.setattr(atomic, "_fsync", slow)
    statuses = [Progress.IN_PROGRESS, Progress.BLOCKED]
    await asyncio.gather(*(store.run(action(store, n, statuses[n % 2])) for n in range(1, 21)))
    assert len(fsyncs) < 20  # group commit
    assert len(store.notices.reports()) == 20
    assert all(store.updates.is_done(1000 + n) for n in range(1, 21))


async def test_the_same_update_again_owes_nothing_new(store: DataStore, folder: Path, tmp_path: Path) -> None:
    first = await store.run(action(store, 1))
    again = await store.run(action(store, 1))
    assert not again.created
    assert [m.key for m in again.messages] == [m.key for m in first.messages]
    assert len(store.outbox.pending()) == 2  # the keys were there: not owed twice


async def test_a_kill_after_the_write_leaves_all_of_it(store: DataStore, folder: Path, tmp_path: Path) -> None:
    done = await store.run(action(store, 1))
    ack = store.outbox.get(done.messages[0].key)
    await store.outbox.mark_sent(ack, 77)  # the sender got Telegram's answer for the acknowledgement
    with DataStore.open(copy_of_disk(folder, tmp_path / "killed"), backups_kept=0) as crashed:
        assert [r.id for r in crashed.notices.reports()] == ["r1"]
        assert crashed.notices.assignment("a1").progress == Progress.DONE
        assert crashed.updates.is_done(1001)
        sent = crashed.outbox.get(done.messages[0].key)
        assert sent is not None and sent.state == "sent" and sent.message_id == 77  # never sent again
        assert [e.key for e in crashed.outbox.pending()] == [done.messages[1].key]  # the office's, still owed
    with DataStore.open(tmp_path / "killed", backups_kept=0) as again:  # adopted durably: the same
        assert again.outbox.get(done.messages[0].key).state == "sent"
        assert [e.key for e in again.outbox.pending()] == [done.messages[1].key]
        assert again.updates.is_done(1001)


async def test_a_kill_in_the_middle_of_the_append_leaves_all_or_nothing(store: DataStore, folder: Path,
                                                                        tmp_path: Path) -> None:
    await store.run(action(store, 1, Progress.IN_PROGRESS))
    journal = folder / JOURNAL_NAME
    start = journal.stat().st_size
    done = await store.run(action(store, 2, Progress.DONE))
    end = journal.stat().st_size
    rng = random.Random(5)
    cuts = sorted({start, start + 1, start + 9, end - 1, end, *rng.sample(range(start, end), 6)})
    for cut in cuts:
        copy = copy_of_disk(folder, tmp_path / f"cut-{cut}")
        os.truncate(copy / JOURNAL_NAME, cut)
        with DataStore.open(copy, backups_kept=0) as s:
            whole = cut == end
            assert [r.id for r in s.notices.reports()] == (["r1", "r2"] if whole else ["r1"]), cut
            assert s.notices.assignment("a1").progress == (Progress.DONE if whole else Progress.IN_PROGRESS)
            assert s.updates.is_done(1001) and s.updates.is_done(1002) == whole
            keys = {e.key for e in s.outbox.pending()}
            assert all((m.key in keys) == whole for m in done.messages), cut
            assert s.outbox.get(f"m:-100:101:ack") is not None  # the first action, whole
        with DataStore.open(copy, backups_kept=0) as s:  # and it stays so
            assert len(s.notices.reports()) == (2 if cut == end else 1)


async def test_a_failed_fsync_leaves_nothing_owed_and_the_update_not_done(store: DataStore,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = atomic._fsync
    monkeypatch.setattr(atomic, "_fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        await store.run(action(store, 1))
    monkeypatch.setattr(atomic, "_fsync", real)
    assert store.notices.reports() == [] and store.outbox.pending() == [] and not store.updates.is_done(1001)
    done = await store.run(action(store, 1))  # handled again: now stored and owed
    assert done.created and len(store.outbox.pending()) == 2 and store.updates.is_done(1001)


async def test_a_transaction_that_raises_owes_nothing(store: DataStore) -> None:
    def job():
        with store.transaction():
            store.owe([Outgoing(-100, "x", key="k-raise")])
            store.finish_update(5)
            raise ValueError("boom")

    with pytest.raises(ValueError):
        await store.run(job)
    assert store.outbox.get("k-raise") is None and not store.updates.is_done(5)
    await store.run(lambda: store.outbox.get("k-raise"))  # the writer goes on
    entries = await store.outbox.enqueue([Outgoing(-100, "x", key="k-raise")])
    assert entries[0].pending  # the key was never taken


async def test_compaction_and_close_write_the_side_files_first(store: DataStore, folder: Path,
                                                              tmp_path: Path) -> None:
    done = await store.run(action(store, 1))
    await store.run(store.compact)
    assert (folder / JOURNAL_NAME).stat().st_size == 0
    with DataStore.open(copy_of_disk(folder, tmp_path / "after-compaction"), backups_kept=0) as s:
        assert {e.key for e in s.outbox.pending()} == {m.key for m in done.messages}
        assert s.updates.is_done(1001)
    done2 = await store.run(action(store, 2, Progress.BLOCKED))
    store.close()
    assert (folder / JOURNAL_NAME).stat().st_size == 0
    with DataStore.open(folder, backups_kept=0) as s:
        assert {m.key for m in done2.messages} <= {e.key for e in s.outbox.pending()}
        assert s.updates.is_done(1002)


def test_sigkill_during_single_write_replies(tmp_path: Path) -> None:
    """A writer process makes replies as the bot does (one write each, every other acknowledgement
    marked sent); SIGKILLed at random moments: every reply it acknowledged is stored once with its
    assignment, owes its messages (sent ones stay sent) and its update is done."""
    folder = tmp_path / "data"
    rng = random.Random(20261202)
    acked: list[tuple[str, int]] = []
    for round_no in range(6):
        proc = subprocess.Popen([sys.executable, str(WRITER), str(folder), f"w{round_no}", "onewrite"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines = kill_after_first_line(proc, rng, 0.12)
        acked += [(rid, int(uid)) for rid, uid in (line.split() for line in lines)]
        with DataStore.open(folder, backups_kept=2) as store:
            reports = store.notices.reports()
            ids = [r.id for r in reports]
            assert len(ids) == len(set(ids))
            assert not [rid for rid, _ in acked if rid not in set(ids)], round_no
            assert not [uid for _, uid in acked if not store.updates.is_done(uid)], round_no
            acked_ids = {rid for rid, _ in acked}
            for r in reports:
                ack = store.outbox.get(f"{r.source_key}:ack")
                assert ack is not None, (round_no, r.id)  # every stored report owes its acknowledgement
                if r.id in acked_ids and int(r.id.rsplit("-", 1)[1]) % 2:  # marked sent before it was printed
                    assert ack.state == "sent", (round_no, r.id)  # never owed again
            for aid in ("a1", "a2"):
                mine = store.notices.reports(assignment_id=aid)
                if mine:
                    a = store.notices.assignment(aid)
                    assert a.progress == mine[-1].status and a.last_report_at == mine[-1].at, (round_no, aid)
            sent = [e for e in store.outbox._entries.values() if e.state == "sent"]
            assert sent and all(e.message_id for e in sent)
    assert len(acked) >= 6
