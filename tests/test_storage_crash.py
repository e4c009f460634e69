"""THE crash test: SIGKILL a writer at random moments; every acknowledged write survives."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from storage import DataStore

ROOT = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).resolve().parent / "crash_writer.py"
KILLS = 30


def test_sigkill_never_loses_an_acknowledged_write(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    rng = random.Random(20240503)
    acked: list[str] = []
    cleaned = 0
    early_kills = 0
    for round_no in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(WRITER), str(folder), f"k{round_no}"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            if round_no % 6 == 5:
                # anywhere, including while the store opens, backs up or creates its first files
                time.sleep(rng.uniform(0.0, 0.4))
            else:
                first = proc.stdout.readline()
                assert first.endswith(b"\n"), proc.stderr.read().decode(errors="replace")
                acked.append(first.decode().strip())
                time.sleep(rng.uniform(0.0, 0.08))
            os.kill(proc.pid, signal.SIGKILL)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL, err.decode(errors="replace")
        lines = out.decode().split("\n")
        acked += [line for line in lines[:-1] if line]  # the last piece has no newline: not acknowledged
        if not out and round_no % 6 == 5:
            early_kills += 1

        store = DataStore.open(folder, backups_kept=2)
        try:
            cleaned += len(store.cleaned)
            stored = {r.id for r in store.notices.reports(assignment_id="a1")}
            missing = [rid for rid in acked if rid not in stored]
            assert not missing, f"round {round_no}: {len(missing)} acknowledged reports lost, e.g. {missing[:3]}"
            for rid in acked:
                if int(rid.rsplit("-", 1)[1]) % 7 == 0:
                    assert store.sentlog.was_sent(f"k-{rid}"), rid
        finally:
            store.close()
    assert len(acked) >= KILLS
    print(f"\n{KILLS} kills, {len(acked)} acknowledged reports all present, "
          f"{cleaned} temp files left by kills mid-write, {early_kills} kills before the first write")
