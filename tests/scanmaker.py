"""Make test scans of notice texts: typed PDF, degraded office scan, image-only PDF, phone photo.

Used by tests/test_ocr.py and bench/bench_ocr.py; also runnable by hand to look at the scans:

    python -m tests.scanmaker tests/data/notices/ocr-01-quang-tri-dau-tu-cong.txt /tmp/scans

Layout conventions of the notice texts (one paragraph per line):
- a line with three or more spaces is two columns (the header "ỦY BAN NHÂN DÂN   CỘNG HÒA ...",
  the "Nơi nhận:   TL. CHỦ TỊCH" block), each half centred in its column;
- the "THÔNG BÁO" line and the title lines under it (up to the blank line) are centred and bold;
- every other line is a justified paragraph with a first-line indent, like an office document.

Needs fpdf2, Pillow, numpy, the DejaVu fonts (Debian fonts-dejavu-core) and pdftoppm (poppler-utils).
"""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
A4_MM = (210.0, 297.0)
# Nghị định 30/2020/NĐ-CP margins: top/bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
MARGINS_MM = {"left": 30.0, "right": 18.0, "top": 20.0, "bottom": 22.0}
FONT_SIZE = 13
LINE_MM = 5.8


class ScanToolMissing(RuntimeError):
    """The fonts or poppler are not installed: tests skip with this message."""


def font_path(bold: bool = False) -> Path:
    names = ["DejaVuSerif-Bold.ttf", "DejaVuSans-Bold.ttf"] if bold else ["DejaVuSerif.ttf", "DejaVuSans.ttf"]
    for folder in FONT_DIRS:
        for name in names:
            if (folder / name).exists():
                return folder / name
    raise ScanToolMissing("DejaVu fonts missing: install the Debian package fonts-dejavu-core")


def missing_tools() -> str | None:
    """None when scans can be made, else what to install."""
    try:
        font_path()
    except ScanToolMissing as exc:
        return str(exc)
    if shutil.which("pdftoppm") is None:
        return "pdftoppm missing: install the Debian package poppler-utils"
    return None


# --------------------------------------------------------------------------- typed PDF


def render_pdf(text: str) -> bytes:
    """The notice as an A4 PDF with a text layer, set like an office document."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGINS_MM["left"], MARGINS_MM["top"], MARGINS_MM["right"])
    pdf.set_auto_page_break(True, margin=MARGINS_MM["bottom"])
    pdf.add_font("Doc", "", str(font_path()))
    pdf.add_font("Doc", "B", str(font_path(bold=True)))
    pdf.add_page()
    width = A4_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]
    in_title = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            in_title = False
            pdf.ln(LINE_MM * 0.5)
            continue
        columns = re.split(r"\s{3,}", line.strip())
        if len(columns) >= 2:
            pdf.set_font("Doc", "", FONT_SIZE - 1)
            half = width * 0.42
            pdf.cell(half, LINE_MM, columns[0], align="C")
            pdf.cell(width - half, LINE_MM, " ".join(columns[1:]), align="C", new_x="LMARGIN", new_y="NEXT")
            continue
        if line.strip() == line.strip().upper() and line.strip().startswith("THÔNG BÁO"):
            in_title = True
            pdf.ln(LINE_MM * 0.5)
        if in_title:
            pdf.set_font("Doc", "B", FONT_SIZE + (1 if line.strip().startswith("THÔNG BÁO") else 0))
            pdf.multi_cell(width, LINE_MM, line.strip(), align="C", new_x="LMARGIN", new_y="NEXT")
            continue
        if line.startswith("- "):
            # recipients list: small, left aligned, no indent
            pdf.set_font("Doc", "", FONT_SIZE - 2)
            pdf.multi_cell(width, LINE_MM * 0.85, line, align="L", new_x="LMARGIN", new_y="NEXT")
            continue
        bold = bool(re.match(r"^[IVX]+\.\s", line))
        pdf.set_font("Doc", "B" if bold else "", FONT_SIZE)
        indent = "" if bold else "    "
        pdf.multi_cell(width, LINE_MM, indent + line.strip(), align="L" if bold else "J",
                       new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


# --------------------------------------------------------------------------- rasterise / degrade


def rasterise(pdf: bytes, dpi: int = 300) -> list[Image.Image]:
    """Every page of ``pdf`` as a grayscale image (pdftoppm)."""
    if shutil.which("pdftoppm") is None:
        raise ScanToolMissing("pdftoppm missing: install the Debian package poppler-utils")
    with tempfile.TemporaryDirectory(prefix="dondoc-scan-") as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(src), str(Path(tmp) / "p")],
                       check=True, capture_output=True)
        pages = sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        images = []
        for page in pages:
            with Image.open(page) as im:
                images.append(im.convert("L").copy())
        return images


def degrade(page: Image.Image, *, seed: int = 0, angle: float = 1.0, blur: float = 0.7,
            noise: float = 10.0, quality: int = 70) -> Image.Image:
    """An office scan of ``page``: rotated by ``angle`` degrees, blurred, noisy, JPEG-compressed."""
    rng = np.random.default_rng(seed)
    img = page.convert("L").rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        arr = np.asarray(img, dtype=np.float32)
        arr = arr + rng.normal(0.0, noise, arr.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    return jpeg_roundtrip(img, quality)


def jpeg_roundtrip(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as out:
        return out.copy()


def image_pdf(pages: list[Image.Image], dpi: int = 300) -> bytes:
    """An image-only PDF (no text layer) of ``pages``, like a scanner produces."""
    buf = io.BytesIO()
    first, rest = pages[0], pages[1:]
    first.save(buf, "PDF", resolution=float(dpi), save_all=True, append_images=rest)
    return buf.getvalue()


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping output points ``dst`` to input ``src``."""
    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array([c for p in src for c in p], dtype=np.float64)
    return list(np.linalg.solve(a, b))


def phone_photo(page: Image.Image, *, seed: int = 1, width: int = 1600, quality: int = 82,
                exif_rotate: bool = True) -> bytes:
    """A phone photo of ``page`` as JPEG bytes.

    The page lies on a darker desk, seen slightly from one side (perspective), lit unevenly,
    downscaled to about ``width`` pixels, with a little sensor noise. With ``exif_rotate`` the
    pixels are stored sideways and the EXIF Orientation tag says how to turn them, as phones do.
    """
    rng = np.random.default_rng(seed)
    w, h = page.size
    margin_x, margin_y = int(w * 0.05), int(h * 0.04)
    canvas_w, canvas_h = w + 2 * margin_x, h + 2 * margin_y
    # corners of the page in the photo: a mild trapezoid (camera a bit low and to the left)
    jitter = lambda s: float(rng.uniform(-s, s))  # noqa: E731
    dst = [
        (margin_x + w * 0.02 + jitter(8), margin_y + h * 0.01 + jitter(8)),
        (margin_x + w * 0.985 + jitter(8), margin_y + jitter(8)),
        (margin_x + w + jitter(8), margin_y + h + jitter(8)),
        (margin_x - w * 0.005 + jitter(8), margin_y + h * 0.99 + jitter(8)),
    ]
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    coeffs = _perspective_coeffs(src, dst)
    rgb = page.convert("RGB")
    # paper is slightly warm, the desk darker
    warped = rgb.transform((canvas_w, canvas_h), Image.PERSPECTIVE, coeffs, Image.BICUBIC,
                           fillcolor=(92, 80, 70))
    arr = np.asarray(warped, dtype=np.float32)
    # uneven light: brighter top-left, a shadow towards the bottom right
    yy, xx = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
    light = 1.0 - 0.28 * (xx / canvas_w) * (yy / canvas_h) - 0.08 * (yy / canvas_h)
    arr = arr * light[..., None] * np.array([1.0, 0.97, 0.92], dtype=np.float32)
    arr = arr + rng.normal(0.0, 4.0, arr.shape)
    photo = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    photo = photo.resize((width, round(canvas_h * width / canvas_w)), Image.LANCZOS)
    photo = photo.filter(ImageFilter.GaussianBlur(0.5))
    buf = io.BytesIO()
    if exif_rotate:
        # stored rotated 90° clockwise; Orientation 8 tells the viewer to rotate it back
        stored = photo.transpose(Image.ROTATE_270)
        exif = Image.Exif()
        exif[0x0112] = 8
        stored.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    else:
        photo.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


# --------------------------------------------------------------------------- one-stop


def office_scan_pdf(text: str, *, dpi: int = 300, seed: int = 0, angle: float = 1.0) -> bytes:
    """``text`` typed, printed, scanned at ``dpi`` with ~1° skew, blur, noise and JPEG: image-only PDF."""
    pages = rasterise(render_pdf(text), dpi)
    rng = random.Random(seed)
    degraded = [degrade(p, seed=seed + i, angle=angle * (1 if i % 2 == 0 else -0.7) + rng.uniform(-0.2, 0.2))
                for i, p in enumerate(pages)]
    return image_pdf(degraded, dpi)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.scanmaker NOTICE.txt OUTDIR", file=sys.stderr)
        return 2
    src, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    text = src.read_text(encoding="utf-8")
    typed = render_pdf(text)
    (out / f"{src.stem}.typed.pdf").write_bytes(typed)
    pages = rasterise(typed, 300)
    (out / f"{src.stem}.scan.pdf").write_bytes(office_scan_pdf(text))
    for i, page in enumerate(pages, 1):
        degrade(page, seed=i).save(out / f"{src.stem}.scan-{i}.png")
        (out / f"{src.stem}.photo-{i}.jpg").write_bytes(phone_photo(page, seed=i))
    print(f"{len(pages)} page(s) written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
