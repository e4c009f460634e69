"""Time Directory.load() and Directory.resolve() on the sample province (Bình Định + national names).

Run:  .venv/bin/python bench/bench_directory.py
Prints the load time and the mean time per resolve() call, cold (no cache) and cached, for
clean names, abbreviations, OCR-noisy names, spans with trailing words and garbage.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.directory import Directory  # noqa: E402

SETS = {
    "clean": ["Sở Nội vụ", "Sở Tài chính", "Công an tỉnh", "Văn phòng Ủy ban nhân dân tỉnh",
              "UBND huyện Tuy Phước", "Sở Giáo dục và Đào tạo", "Trường Đại học Quy Nhơn"],
    "abbrev": ["SNV", "Sở KH&ĐT", "VP UBND tỉnh", "Sở LĐ-TB&XH", "Sở TT&TT", "CA tỉnh", "SKHĐT"],
    "ocr": ["S¢ No6i vu", "S& Thong tin va Truyén thong", "S& Ké hoach va Pau tu", "Cong an tinh",
            "Vin phong Uy ban nhéan dan tinh", "UBND huyén Tuy Phwéc", "S& Gido duc va Pao tao"],
    "span+rest": ["S¢ No6i vu - Co quan Thuong truc Ban chi dao cai cach hanh chinh",
                  "Vin\nphong Uy ban nhéan dan tinh dé& xudt hop nhat",
                  "Sở Nội vụ chủ trì, phối hợp"],
    "group": ["các sở, ban, ngành, địa phương", "UBND cac huyén, TX, TP", "cac co quan, don vi lién quan"],
    "garbage": ["Sở Ngoại giao mặt trăng", "nhiệm vụ cải cách hành chính năm 2024",
                "Công ty TNHH Mặt Trời", "xyz qwerty"],
}


def main() -> None:
    t0 = time.perf_counter()
    for _ in range(5):
        d = Directory.load(ROOT / "agencies.example.toml")
    load_ms = (time.perf_counter() - t0) / 5 * 1000
    n_entries = len(d._entries)
    print(f"directory: {len(d.agencies)} province agencies, {n_entries} known in all "
          f"(with national names), load {load_ms:.1f} ms")
    print(f"{'set':<10} {'cold mean':>10} {'cold max':>10} {'cached':>10}   (per resolve() call)")
    all_cold = []
    for name, texts in SETS.items():
        cold = []
        for _ in range(20):
            for t in texts:
                d._cache.clear()
                s = time.perf_counter()
                d.resolve(t)
                cold.append(time.perf_counter() - s)
        s = time.perf_counter()
        for _ in range(200):
            for t in texts:
                d.resolve(t)
        cached = (time.perf_counter() - s) / (200 * len(texts))
        all_cold += cold
        print(f"{name:<10} {statistics.mean(cold)*1e3:>8.3f}ms {max(cold)*1e3:>8.3f}ms {cached*1e6:>8.1f}µs")
    all_cold.sort()
    p95 = all_cold[int(len(all_cold) * 0.95)]
    print(f"all cold: mean {statistics.mean(all_cold)*1e3:.3f} ms, p95 {p95*1e3:.3f} ms "
          f"(target < 1 ms)")


if __name__ == "__main__":
    main()
