"""OCR speed and memory: seconds per page at 300 and 200 dpi, peak memory, a 20-page estimate.

    .venv/bin/python bench/bench_ocr.py [--pages 4]

Makes an image-only scan of the test notices (tests/scanmaker.py: ~1° skew, blur, noise, JPEG),
then reads it in a fresh process per setting with ``bot.notices.ocr.ocr_document``. Peak memory:
ru_maxrss of that Python process, and VmHWM of pdftoppm and tesseract polled from /proc
(RUSAGE_CHILDREN would report the Python parent's size: Linux keeps ru_maxrss across exec).
Also CER at 300/200 dpi and a phone photo. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOTICES = ROOT / "tests" / "data" / "notices"


def make(folder: str, pages: int) -> None:
    """Child mode: write the scans and their reference texts into ``folder``."""
    from tests import scanmaker

    out = Path(folder)
    texts = [p.read_text(encoding="utf-8") for p in sorted(NOTICES.glob("ocr-*.txt"))]
    body = "\n\n".join(texts)  # repeat the notices until the typed PDF has enough pages
    while len(scanmaker.rasterise(scanmaker.render_pdf(body), 20)) < pages:
        body += "\n\n" + "\n\n".join(texts)
    for dpi in (300, 200):
        images = scanmaker.rasterise(scanmaker.render_pdf(body), dpi)[:pages]
        scan = scanmaker.image_pdf([scanmaker.degrade(p, seed=i, angle=1.0 if i % 2 else -0.8)
                                    for i, p in enumerate(images)], dpi)
        (out / f"scan-{dpi}.pdf").write_bytes(scan)
        (out / f"one-{dpi}.pdf").write_bytes(scanmaker.office_scan_pdf(texts[0], dpi=dpi, seed=11))
    page = scanmaker.rasterise(scanmaker.render_pdf(texts[0]), 200)[0]
    (out / "photo.jpg").write_bytes(scanmaker.phone_photo(page, seed=2, width=1600))
    (out / "one.txt").write_text(texts[0], encoding="utf-8")


def measure(path: str, dpi: int, reference: str | None) -> None:
    """Child mode: read ``path`` once and print a JSON line of figures."""
    import re

    from rapidfuzz.distance import Levenshtein

    from bot.notices.ocr import OcrSettings, ocr_document

    data = Path(path).read_bytes()
    stamps: list[float] = []
    start = time.perf_counter()
    text = ocr_document(data, Path(path).name, OcrSettings(dpi=dpi),
                        progress=lambda page, total: stamps.append(time.perf_counter()))
    elapsed = time.perf_counter() - start
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cer = None
    if reference:
        norm = lambda s: re.sub(r"\s+", " ", s).strip()  # noqa: E731
        ref = norm(Path(reference).read_text(encoding="utf-8"))
        cer = Levenshtein.distance(ref, norm(text)) / len(ref)
    print(json.dumps({"seconds": elapsed, "pages": len(stamps), "self_mb": self_kb / 1024,
                      "child_mb": child_kb / 1024, "cer": cer}))


def _peak_mb(cmd: list[str], env: dict | None = None) -> float:
    """Peak RSS (VmHWM) of a tool, polled from /proc while it runs: its own mm, not inherited."""
    import os

    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    return peak / 1024


def tools(folder: str) -> None:
    """Child mode: peak memory of pdftoppm and tesseract alone on one 300-dpi page."""
    import os

    from PIL import Image

    from bot.notices.ocr import prepare_page

    out = Path(folder)
    pdftoppm = _peak_mb(["pdftoppm", "-r", "300", "-gray", "-f", "1", "-l", "1", "-singlefile",
                         str(out / "scan-300.pdf"), str(out / "page")])
    with Image.open(out / "page.pgm") as img:
        page, _ = prepare_page(img.convert("L"), 300)
    page.save(out / "page.png")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    tesseract = _peak_mb(["tesseract", str(out / "page.png"), str(out / "page"), "-l", "vie",
                          "--psm", "4", "--dpi", "300"], env)
    print(json.dumps({"pdftoppm_mb": pdftoppm, "tesseract_mb": tesseract}))


def run_child(*args: object) -> dict:
    # a fresh process per measurement, started from this small parent: on Linux ru_maxrss
    # survives exec, so a big parent would inflate the child's figure
    out = subprocess.run([sys.executable, __file__, *map(str, args)], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4, help="pages of the generated scan (default 4)")
    parser.add_argument("--make", nargs=2, metavar=("DIR", "PAGES"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    parser.add_argument("--tools", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tools:
        tools(args.tools)
        return 0
    if args.make:
        make(args.make[0], int(args.make[1]))
        return 0
    if args.measure:
        measure(args.measure[0], int(args.measure[1]), args.measure[2] if len(args.measure) > 2 else None)
        return 0

    check = subprocess.run([sys.executable, "-c", "from bot.notices.ocr import check_ocr_available as c; "
                            "from tests.scanmaker import missing_tools as m; print(c() or m() or '')"],
                           capture_output=True, text=True, cwd=ROOT)
    if check.stdout.strip() or check.returncode:
        print(f"cannot bench OCR: {check.stdout.strip() or check.stderr.strip()}")
        return 1
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-") as tmp:
        t0 = time.perf_counter()
        run_child("--make", tmp, args.pages)
        print(f"scans made in {time.perf_counter() - t0:.1f} s")
        folder = Path(tmp)
        results = {}
        for dpi in (300, 200):
            path = folder / f"scan-{dpi}.pdf"
            fig = results[dpi] = run_child("--measure", path, dpi)
            print(f"{dpi} dpi scan, {fig['pages']} pages, {path.stat().st_size / 1e6:.1f} MB: "
                  f"OCR {fig['seconds']:.1f} s = {fig['seconds'] / fig['pages']:.2f} s/page; "
                  f"peak memory: python {fig['self_mb']:.0f} MB, "
                  f"RUSAGE_CHILDREN {fig['child_mb']:.0f} MB (includes what exec inherited)")
        fig = run_child("--tools", tmp)
        print(f"peak memory of the tools alone on a 300-dpi page: pdftoppm {fig['pdftoppm_mb']:.0f} MB, "
              f"tesseract {fig['tesseract_mb']:.0f} MB")
        reference = folder / "one.txt"
        for dpi in (300, 200):
            fig = run_child("--measure", folder / f"one-{dpi}.pdf", dpi, reference)
            print(f"{dpi} dpi, 1-page notice: CER {fig['cer']:.2%}, {fig['seconds']:.1f} s")
        fig = run_child("--measure", folder / "photo.jpg", 300, reference)
        print(f"phone photo 1600 px: CER {fig['cer']:.2%}, {fig['seconds']:.1f} s, "
              f"peak python {fig['self_mb']:.0f} MB")
        for dpi, fig in results.items():
            per_page = fig["seconds"] / fig["pages"]
            print(f"estimate, 20-page notice at {dpi} dpi: {20 * per_page:.0f} s "
                  f"(one page at a time, OMP_THREAD_LIMIT=1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
