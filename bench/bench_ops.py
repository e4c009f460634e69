"""Operations benchmark: backup, restore and export of a year of one province's data.

    .venv/bin/python bench/bench_ops.py

Builds the year of bench_storage.py (50 notices, 3,000 assignments, 30,000 reports), then times,
side by side with a baseline of the same run (a plain ``shutil.copytree`` / ``tarfile`` of the
folder, which is not consistent while the bot writes):

- the consistent copy (copy + check pass), quiet and while a writer stores a report every 20 ms;
- ``dondoc backup`` (archive size), ``dondoc restore`` (verify + extract + store opens + swap);
- ``dondoc export`` (rows, time, peak memory of the process).
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import shutil
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_storage import build, report  # noqa: E402

from bot.ops import snapshot  # noqa: E402
from bot.ops.backup import create_backup, restore_backup  # noqa: E402


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-ops-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        assignments, n_reports = build(data, rng)
        size = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
        print(f"data: {len(assignments)} assignments, {n_reports} reports, {size / 1e6:.1f} MB")

        _, base = timed(shutil.copytree, data, tmp / "plain", ignore=shutil.ignore_patterns(".lock", "backups"))
        files, t = timed(snapshot.consistent_copy, data, tmp / "consistent")
        print(f"copy of the folder:     consistent {t * 1000:7.0f} ms   (baseline copytree {base * 1000:7.0f} ms)")

        # the same while a writer stores a report every 20 ms (the store's own writes)
        from storage import DataStore

        stop = threading.Event()
        writes = [0]

        def writer() -> None:
            with DataStore.open(data, backups_kept=0) as store:
                i = 10_000_000
                while not stop.is_set():
                    store.notices.add_report(report(i, rng.choice(assignments), rng))
                    writes[0] += 1
                    i += 1
                    time.sleep(0.02)

        th = threading.Thread(target=writer)
        th.start()
        while writes[0] < 5:  # the writer has opened the store and is writing
            time.sleep(0.05)
        try:
            during = writes[0]
            _, t = timed(snapshot.consistent_copy, data, tmp / "busy")
            during = writes[0] - during
        finally:
            stop.set()
            th.join()
        print(f"  while writing:        consistent {t * 1000:7.0f} ms   ({during} reports stored meanwhile)")

        out = tmp / "b.tar.gz"
        info, t = timed(create_backup, data, out)

        def plain_tar() -> None:
            with tarfile.open(tmp / "plain.tar.gz", "w:gz") as tar:
                tar.add(tmp / "plain", arcname="data")

        _, base = timed(plain_tar)
        print(f"backup:                 {t * 1000:7.0f} ms, {info.size / 1e6:.1f} MB in {info.files} files → "
              f"{out.stat().st_size / 1e6:.1f} MB   (baseline tar.gz {base * 1000:7.0f} ms)")
        _, t = timed(restore_backup, out, tmp / "restored")
        print(f"restore (empty folder): {t * 1000:7.0f} ms")
        _, t = timed(restore_backup, out, data, force=True)
        print(f"restore --force:        {t * 1000:7.0f} ms")

        # export as the command runs it, in its own process (its peak memory alone)
        import subprocess

        cfg = tmp / "config.toml"
        cfg.write_text(f'[people]\nadmins = [1]\n[storage]\npath = "{data}"\n', encoding="utf-8")
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "bot", "export", "--config", str(cfg), "--out", str(tmp / "x.xlsx")],
                           capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
        t = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"export (dondoc export): {t * 1000:7.0f} ms, {r.stdout.strip() or r.stderr.strip()}; "
              f"{(tmp / 'x.xlsx').stat().st_size / 1e6:.1f} MB; peak RSS of the process {rss:.0f} MB "
              f"(the data itself: {size / 1e6:.1f} MB on disk)")


if __name__ == "__main__":
    main()
