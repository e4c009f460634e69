"""Time to read the sample notice and synthetic long notices; reading must be linear in length.

    .venv/bin/python bench/bench_reader.py [--against REV]

Prints the time for the sample (89/TB-UBND, OCR text) and for synthetic notices of 10, 25 and
50 pages (each page ~ 8 numbered items with dash sub-items, agencies, deadlines, OCR noise),
and the time per page at each size: a constant time per page means linear. Times are the best
CPU time of three readings.

``--against REV`` also reads the same texts, in the same run and alternately, with the reader of
git revision REV (its tree exported to a temporary directory, read by a child process) and prints
both side by side: e.g. ``--against 44dd813`` (the reader before its stages, issue 10).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.directory import Directory  # noqa: E402
from bot.notices.deadlines import find_dates  # noqa: E402
from bot.notices.normalize import fold  # noqa: E402
from bot.notices.reader import read_notice  # noqa: E402

DATA = ROOT / "tests" / "data" / "notices"
AGENCIES = ["Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Y tế", "Công an tỉnh", "Sở Xây dựng",
            "Sở Giáo dục và Đào tạo", "Văn phòng UBND tỉnh", "Sở Văn hóa, Thể thao và Du lịch",
            "Sở Nông nghiệp và Môi trường", "UBND các xã, phường", "Sở KH&ĐT", "Sở LĐ-TB&XH"]
DEADLINES = ["trước ngày 30/6/2025", "trong tháng 9 năm 2025", "trong quý IV/2025", "chậm nhất ngày 15/11/2025",
             "thường xuyên", "định kỳ hằng tháng trước ngày 25", "trong năm 2025"]
HEADER = """ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
TỈNH GIA LAI                          Độc lập - Tự do - Hạnh phúc
Số: 321/TB-UBND                      Gia Lai, ngày 15 tháng 5 năm 2025

THÔNG BÁO
Kết luận của Chủ tịch UBND tỉnh tại hội nghị tổng kết

Ngày 10 tháng 5 năm 2025, Chủ tịch UBND tỉnh chủ trì hội nghị. UBND tỉnh yêu cầu các sở, ban, ngành, địa phương thực hiện các nhiệm vụ sau:
"""


def synthetic(pages: int, seed: int = 7) -> str:
    rnd = random.Random(seed)
    out = [HEADER]
    n = 0
    for page in range(pages):
        for _ in range(8):
            n += 1
            lead, c1, c2 = rnd.sample(AGENCIES, 3)
            if rnd.random() < 0.25:
                out.append(f"{n}. Giao {lead} chủ trì, phối hợp với {c1}, {c2} thực hiện các nhiệm vụ sau:")
                for _ in range(3):
                    out.append(f"- Rà soát, tham mưu đề xuất nội dung về cải cách hành chính và chuyển đổi số, "
                               f"báo cáo UBND tỉnh {rnd.choice(DEADLINES)}.")
            else:
                out.append(f"{n}. {lead} chủ trì, phối hợp với {c1} và {c2} tổ chức triển khai kế hoạch "
                           f"năm 2025 của tỉnh về cải cách hành chính, tăng cường kỷ luật, kỷ cương hành chính "
                           f"trong thực thi công vụ, hoàn thành {rnd.choice(DEADLINES)}.")
        out.append(f"\n{page + 2}\n")
    out.append("UBND tỉnh thông báo để các cơ quan, đơn vị, địa phương biết, thực hiện./.\n\nNơi nhận:\n- Như trên;")
    return "\n".join(out)


def timed(text: str, directory: Directory, repeat: int = 3) -> tuple[float, dict]:
    """The best CPU time of this process over ``repeat`` readings (CPU time, not wall time: other
    processes on a shared machine do not count)."""
    best = float("inf")
    reading: dict = {}
    for _ in range(repeat):
        t0 = time.process_time()
        reading = read_notice(text, directory)
        best = min(best, time.process_time() - t0)
    return best, reading


def baseline(text: str, repeat: int = 3) -> float:
    """The same run's yardstick: one linear pass the reader cannot do without (folding the text and
    finding its dates). The reader's time over it, per size, shows whether the reader stays linear."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fold(text)
        find_dates(text)
        best = min(best, time.process_time() - t0)
    return max(best, 1e-6)


_CHILD = """
import json, sys, time
from bot.directory import Directory
from bot.notices.reader import read_notice
texts = json.load(open(sys.argv[1], encoding="utf-8"))
d = Directory.load(None)
out = {}
for name, text in texts.items():
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        read_notice(text, d)
        best = min(best, time.process_time() - t0)
    out[name] = best
print(json.dumps(out))
"""


def against(rev: str) -> None:
    """The same texts read by this tree's reader and by revision ``rev``'s, alternately, side by side."""
    texts = {"sample": (DATA / "notice-89-TB-UBND-2024.txt").read_text(encoding="utf-8")}
    texts.update({f"synthetic {p} pages": synthetic(p) for p in (10, 25, 50)})
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        (Path(tmp) / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        runs = {"this tree": [], rev: []}
        for _ in range(2):  # alternately, so that the machine's load falls on both
            for who, cwd in (("this tree", ROOT), (rev, tree)):
                got = subprocess.run([sys.executable, "-c", _CHILD, str(Path(tmp) / "texts.json")], cwd=cwd,
                                     check=True, capture_output=True, text=True, env={"PYTHONPATH": str(cwd)})
                runs[who].append(json.loads(got.stdout))
    best = {who: {k: min(r[k] for r in rs) for k in texts} for who, rs in runs.items()}
    print(f"\n{'CPU ms (best of 6)':<22} {rev:>12} {'this tree':>12}")
    for k in texts:
        print(f"{k:<22} {best[rev][k] * 1000:12.1f} {best['this tree'][k] * 1000:12.1f}")
    for who in (rev, "this tree"):
        b = best[who]
        print(f"{who}: time per page at 50 pages / at 10 pages: "
              f"{(b['synthetic 50 pages'] / 50) / (b['synthetic 10 pages'] / 10):.2f} (1.0 = linear)")


def main() -> None:
    if "--against" in sys.argv:
        against(sys.argv[sys.argv.index("--against") + 1])
        return
    national = Directory.load(None)
    sample = (DATA / "notice-89-TB-UBND-2024.txt").read_text(encoding="utf-8")
    secs, reading = timed(sample, Directory.load(DATA / "binh-dinh-2024.toml"))
    print(f"sample 89/TB-UBND: {len(sample):>7} chars  {len(reading['items']):>4} items  {secs * 1000:8.1f} ms CPU"
          f"  (baseline {baseline(sample) * 1000:.1f} ms; target < 200 ms)")
    per_page = []
    for pages in (10, 25, 50):
        text = synthetic(pages)
        secs, reading = timed(text, national)
        base = baseline(text)
        per_page.append(secs / pages)
        print(f"synthetic {pages:>2} pages: {len(text):>7} chars  {len(reading['items']):>4} items  "
              f"{secs * 1000:8.1f} ms  ({secs / pages * 1000:.1f} ms/page)  baseline {base * 1000:6.1f} ms  "
              f"reader/baseline {secs / base:5.1f}")
    ratio = per_page[-1] / per_page[0]
    print(f"time per page at 50 pages / at 10 pages: {ratio:.2f} (1.0 = linear)")
    # a task table (an annex of 400 rows, ~ 20 pages), as a .docx would give it
    rows = ["| STT | Nội dung nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành |"]
    rnd = random.Random(3)
    for n in range(1, 401):
        lead, c1 = rnd.sample(AGENCIES, 2)
        rows.append(f"| {n} | Rà soát, tham mưu nội dung cải cách hành chính số {n} | {lead} | {c1} | "
                    f"{rnd.choice(['Quý III/2025', '30/9/2025', 'Tháng 11/2025', 'Thường xuyên'])} |")
    text = HEADER + "\n".join(rows) + "\n\nUBND tỉnh thông báo để các cơ quan biết, thực hiện./."
    secs, reading = timed(text, national)
    print(f"task table 400 rows: {len(text):>7} chars  {len(reading['items']):>4} items  {secs * 1000:8.1f} ms")
    real = DATA / "real"  # the real notices of issue 10 (Lâm Đồng, Lào Cai)
    for path in (sorted(DATA.glob("real-*.txt")) + sorted(DATA.glob("real-*.docx")) + sorted(real.glob("*.docx"))
                 + [p for p in sorted(real.glob("*.txt")) if not p.with_suffix(".docx").exists()
                    and not p.name.endswith(".source.txt")]):
        from bot.notices import read_notice_file

        t0 = time.process_time()
        reading = read_notice_file(path.read_bytes(), path.name, national)
        print(f"{path.name:<45} {len(reading['items']):>3} items  {(time.process_time() - t0) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
