"""Read scanned notices: image-only PDFs and phone photos, with Tesseract's Vietnamese model.

Pages are rasterised with ``pdftoppm -gray`` (PDF) or opened with Pillow (JPEG, PNG, TIFF, WebP),
turned upright (EXIF orientation), flattened (uneven phone lighting), deskewed (projection-profile
search over ±5°) and read by the ``tesseract`` command line with ``OMP_THREAD_LIMIT=1`` (its own
threads only fight on a small machine). The text is Tesseract's own text output, page by page: it
keeps the reading order of lines (``pdftotext`` on an OCR'd PDF scrambles skewed lines).

Everything here is synchronous and CPU-bound, without shared state: the bot calls
:func:`ocr_document` / :func:`extract_or_ocr` from a worker thread (``asyncio.to_thread``) and
forwards ``progress(page, total)`` to the chat. Errors are :class:`NoticeFileError` subclasses
with a one-line Vietnamese ``message``.

System packages (Debian): tesseract-ocr, tesseract-ocr-vie, poppler-utils
(``scripts/system-packages.sh`` installs them).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from bot.texts import t

from bot.notices.extract import NeedsOCR, NoticeFileError, TooLarge, extract_text

__all__ = [
    "OcrSettings",
    "OcrError",
    "OcrUnavailable",
    "TooManyPages",
    "ScanTooLarge",
    "check_ocr_available",
    "ocr_document",
    "extract_or_ocr",
    "is_image",
    "MAX_BYTES",
]

MAX_BYTES = 20 * 1024 * 1024  # files over 20 MB are refused
MAX_SIDE_PX = 5000  # a page is never rasterised/read larger than this on its long side
MAX_IMAGE_PIXELS = 80_000_000  # refuse images above this (decompression bombs)
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".gif", ".bmp"}

Progress = Callable[[int, int], None]


@dataclass
class OcrSettings:
    max_pages: int = 30  # longer scans are refused
    dpi: int = 300  # rasterisation of PDF pages (200 reads nearly as well, ~1.6x faster)
    language: str = "vie"  # Tesseract model(s), e.g. "vie" or "vie+eng"
    timeout_per_page: int = 120  # seconds for one page (rasterising and reading)
    psm: int = 4  # Tesseract page segmentation: 4 = one column of variable-size text


class OcrError(NoticeFileError):
    """A scan could not be read; ``message`` says why in one line."""

    def __init__(self, message: str) -> None:
        message = " ".join(str(message).split())
        Exception.__init__(self, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class OcrUnavailable(OcrError):
    """Tesseract, its Vietnamese model or poppler is not installed."""


class TooManyPages(OcrError):
    """More pages than ``OcrSettings.max_pages``."""


class ScanTooLarge(OcrError, TooLarge):
    """File over :data:`MAX_BYTES` or an image with too many pixels."""

    def __init__(self, message: str) -> None:
        OcrError.__init__(self, message)


# --------------------------------------------------------------------------- availability


def _debian_package(language: str) -> str:
    return "tesseract-ocr-" + language.lower().replace("_", "-")


def check_ocr_available(*, pdf: bool = True, language: str = "vie") -> str | None:
    """None when scans can be read, else a one-line Vietnamese message naming the Debian package.

    ``pdf=False`` skips the poppler check (photos do not need it). Not cached: PATH may change.
    """
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return t("ocr.missing_tesseract")
    try:
        out = subprocess.run([tesseract, "--list-langs"], capture_output=True, text=True,
                             timeout=30, env=_tesseract_env())
    except (OSError, subprocess.SubprocessError) as exc:
        return t("ocr.broken_tesseract", reason=_one_line(str(exc)))
    installed = {line.strip() for line in (out.stdout + "\n" + out.stderr).splitlines()}
    for lang in language.split("+"):
        if lang and lang not in installed:
            return t("ocr.missing_language", language=lang, package=_debian_package(lang))
    if pdf and shutil.which("pdftoppm") is None:
        return t("ocr.missing_poppler")
    return None


# --------------------------------------------------------------------------- format detection


def _kind(data: bytes, filename: str) -> str | None:
    """"pdf", "image", "heic" or None, by magic bytes first, then by extension."""
    head = data[:16]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if (head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n")
            or head[:4] in (b"II*\x00", b"MM\x00*") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or head[:6] in (b"GIF87a", b"GIF89a") or (head[:2] == b"BM" and len(data) > 26)):
        return "image"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "heic"
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    if suffix in (".heic", ".heif"):
        return "heic"
    return None


def is_image(data: bytes, filename: str) -> bool:
    """True for photos and scanned images (JPEG, PNG, TIFF, WebP, HEIC), by content or name."""
    return _kind(data, filename) in ("image", "heic")


# --------------------------------------------------------------------------- public API


def ocr_document(data: bytes, filename: str, settings: OcrSettings | None = None,
                 progress: Progress | None = None) -> str:
    """The text of a scanned PDF or an image, read with Tesseract; pages separated by a blank line.

    Calls ``progress(page, total)`` before reading each page (exceptions from it propagate).
    Raises :class:`OcrError` subclasses (one-line Vietnamese ``message``): missing tools, file
    over 20 MB, more than ``settings.max_pages`` pages, unreadable file, a page over its timeout.
    Safe to call from several threads at once.
    """
    settings = _sane(settings or OcrSettings())
    name = Path(filename or "").name or "tệp"
    if len(data) > MAX_BYTES:
        raise ScanTooLarge(t("ocr.too_large", name=name, size=f"{len(data) / 1024 / 1024:.1f}",
                             limit=MAX_BYTES // (1024 * 1024)))
    kind = _kind(data, filename)
    if kind is None:
        raise OcrError(t("ocr.not_a_scan", name=name))
    if kind == "heic":
        raise OcrError(t("ocr.heic", name=name))
    # cheap checks first (page count, readable file), then the tools, then the slow part
    pages = _pdf_pages(data, name, settings) if kind == "pdf" else _image_pages(data, name, settings)
    problem = check_ocr_available(pdf=kind == "pdf", language=settings.language)
    if problem:
        raise OcrUnavailable(problem)
    texts: list[str] = []
    with contextlib.closing(pages):  # removes the temporary copy even when a page fails
        for number, total, render in pages:
            if progress is not None:
                progress(number, total)
            image, dpi = render()
            texts.append(_read_page(image, dpi, number, settings))
    text = "\n\n".join(p for p in texts if p)
    if sum(ch.isalpha() for ch in text) < 10:
        raise OcrError(t("ocr.no_text", name=name))
    return text


def _sane(settings: OcrSettings) -> OcrSettings:
    """Settings from a config file, kept within what makes sense (a typo must not hang the bot)."""
    def num(value, default, low, high):
        try:
            return min(max(int(value), low), high)
        except (TypeError, ValueError):
            return default

    return OcrSettings(
        max_pages=num(settings.max_pages, 30, 1, 500),
        dpi=num(settings.dpi, 300, 70, 600),
        language=settings.language if isinstance(settings.language, str) and re.fullmatch(
            r"[A-Za-z_]+(\+[A-Za-z_]+)*", settings.language) else "vie",
        timeout_per_page=num(settings.timeout_per_page, 120, 5, 3600),
        psm=num(settings.psm, 4, 0, 13),
    )


def extract_or_ocr(data: bytes, filename: str, settings: OcrSettings | None = None,
                   progress: Progress | None = None) -> tuple[str, bool]:
    """``(text, used_ocr)``: the text layer when the file has one, else OCR of the scan."""
    if is_image(data, filename):
        return ocr_document(data, filename, settings, progress), True
    try:
        return extract_text(data, filename), False
    except NeedsOCR:
        return ocr_document(data, filename, settings, progress), True


# --------------------------------------------------------------------------- pages

PageRender = Callable[[], "tuple[object, int | None]"]


def _pdf_pages(data: bytes, name: str, settings: OcrSettings) -> Iterator[tuple[int, int, PageRender]]:
    """Checks the PDF now (pages, limit); the returned iterator rasterises page by page."""
    sizes = _pdf_page_sizes(data, name)
    total = len(sizes)
    if total == 0:
        raise OcrError(t("ocr.bad_pdf", name=name))
    if total > settings.max_pages:
        raise TooManyPages(t("ocr.too_many_pages", name=name, pages=total, limit=settings.max_pages))
    return _pdf_page_iter(data, name, settings, sizes)


def _pdf_page_iter(data: bytes, name: str, settings: OcrSettings,
                   sizes: list[tuple[float, float]]) -> Iterator[tuple[int, int, PageRender]]:
    total = len(sizes)
    with tempfile.TemporaryDirectory(prefix="dondoc-ocr-") as tmp:
        path = Path(tmp) / "scan.pdf"
        path.write_bytes(data)
        for index, (width_pt, height_pt) in enumerate(sizes, start=1):
            longest_in = max(width_pt, height_pt, 1.0) / 72.0
            dpi = max(50, min(settings.dpi, int(MAX_SIDE_PX / longest_in)))

            def render(index: int = index, dpi: int = dpi) -> tuple[object, int]:
                return _rasterise(path, index, dpi, settings.timeout_per_page, name), dpi

            yield index, total, render


def _pdf_page_sizes(data: bytes, name: str) -> list[tuple[float, float]]:
    """Width and height in points of every page (pypdf: no poppler needed to count)."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    if not reader.decrypt(""):
                        raise OcrError(t("ocr.encrypted", name=name))
                except OcrError:
                    raise
                except Exception:
                    raise OcrError(t("ocr.encrypted", name=name)) from None
            sizes = []
            for page in reader.pages:
                box = page.mediabox
                rotated = int(page.get("/Rotate", 0) or 0) % 180 == 90
                w, h = abs(float(box.width)), abs(float(box.height))
                sizes.append((h, w) if rotated else (w, h))
            return sizes
    except OcrError:
        raise
    except (PdfReadError, ValueError, TypeError, KeyError, AttributeError, OSError, RecursionError,
            AssertionError, IndexError, ZeroDivisionError):
        raise OcrError(t("ocr.bad_pdf", name=name)) from None


def _rasterise(path: Path, page: int, dpi: int, timeout: int, name: str):
    from PIL import Image

    try:
        proc = subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), "-singlefile", str(path)],
            capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise OcrError(t("ocr.timeout", page=page, seconds=timeout)) from None
    except OSError as exc:
        raise OcrUnavailable(t("ocr.missing_poppler")) from exc
    if proc.returncode != 0 or not proc.stdout:
        raise OcrError(t("ocr.bad_page", name=name, page=page,
                         reason=_one_line(proc.stderr.decode("utf-8", "replace")) or f"pdftoppm {proc.returncode}"))
    with Image.open(io.BytesIO(proc.stdout)) as img:
        return img.convert("L")


def _image_pages(data: bytes, name: str, settings: OcrSettings) -> Iterator[tuple[int, int, PageRender]]:
    """Checks the image now (opens, size, frames); the returned iterator yields its frames."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            img.size  # noqa: B018 - forces the header to be parsed
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ScanTooLarge(t("ocr.image_too_big", name=name)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise OcrError(t("ocr.bad_image", name=name)) from None
    try:
        if img.width * img.height > MAX_IMAGE_PIXELS:
            raise ScanTooLarge(t("ocr.image_too_big", name=name))
        try:
            total = int(getattr(img, "n_frames", 1) or 1)
        except (OSError, ValueError, SyntaxError, EOFError):
            raise OcrError(t("ocr.bad_image", name=name)) from None
        if total > settings.max_pages:
            raise TooManyPages(t("ocr.too_many_pages", name=name, pages=total, limit=settings.max_pages))
    except BaseException:
        img.close()
        raise
    return _image_page_iter(img, name, total)


def _image_page_iter(img, name: str, total: int) -> Iterator[tuple[int, int, PageRender]]:
    from PIL import ImageOps

    with img:
        for index in range(total):

            def render(index: int = index) -> tuple[object, int | None]:
                try:
                    img.seek(index)
                    img.load()
                    frame = ImageOps.exif_transpose(img) or img
                    dpi = _image_dpi(img)
                    gray = _to_gray(frame)
                except (OSError, ValueError, SyntaxError, EOFError):
                    raise OcrError(t("ocr.bad_image", name=name)) from None
                return gray, dpi

            yield index + 1, total, render


def _image_dpi(img) -> int | None:
    """The resolution stored in the image, if plausible for a scan (phone photos say 72)."""
    dpi = img.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    return value if value and 150 <= value <= 1200 else None


def _to_gray(img):
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        import numpy as np

        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.full_like(arr, 255.0)
        return Image.fromarray(arr.astype("uint8"), "L")
    if img.mode == "1":
        return img.convert("L")
    return img.convert("L")


# --------------------------------------------------------------------------- image preparation


def prepare_page(img, dpi: int | None = None) -> tuple[object, int | None]:
    """Grayscale page → (image ready for Tesseract, its dpi): size capped, lighting flattened, deskewed."""
    from PIL import Image

    img = img.convert("L")
    longest = max(img.size)
    if longest > MAX_SIDE_PX:
        scale = MAX_SIDE_PX / longest
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
        dpi = round(dpi * scale) if dpi else None
    img = flatten_lighting(img)
    angle = estimate_skew(img)
    if abs(angle) >= 0.15:
        img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    return img, dpi


def flatten_lighting(img):
    """Divide the page by its paper brightness so shadows and gradients of phone photos go white.

    The background is estimated on a 1/8 copy with a max filter (text is dark and thin, paper is
    bright and wide), blurred and scaled back up. A clean scan stays as it is.
    """
    import numpy as np
    from PIL import Image, ImageFilter

    if min(img.size) < 64:
        return img
    factor = 8
    small = img.reduce(factor)
    background = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(4))
    background = background.resize(img.size, Image.BILINEAR)
    page = np.asarray(img, dtype=np.uint8)
    paper = np.asarray(background, dtype=np.uint8)
    out = np.empty(page.shape, dtype=np.uint8)
    step = 256  # rows per strip: keeps the float copies small on 300-dpi pages
    for top in range(0, page.shape[0], step):
        strip = page[top:top + step].astype(np.float32)
        light = np.maximum(paper[top:top + step].astype(np.float32), 1.0)
        np.divide(strip, light, out=strip)
        strip *= 255.0
        np.clip(strip, 0, 255, out=strip)
        out[top:top + step] = strip.astype(np.uint8)
    return Image.fromarray(out, "L")


def estimate_skew(img, max_angle: float = 5.0) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal.

    Projection profile: on a ~1000 px binarised copy, the angle whose row sums are the most
    peaked (sum of squared differences between neighbouring rows) wins; coarse 0.5° steps over
    ±``max_angle``, then 0.1° steps around the best. 0.0 when the page has too little ink.
    """
    import numpy as np
    from PIL import Image

    scale = 1000 / max(img.width, 1)
    small = img if scale >= 1 else img.resize((1000, max(1, round(img.height * scale))), Image.BILINEAR)
    arr = np.asarray(small, dtype=np.uint8)
    ink = arr < min(160, int(arr.mean()) - 30)
    if ink.mean() < 0.002:
        return 0.0
    binary = Image.fromarray((ink * 255).astype(np.uint8), "L")

    def score(angle: float) -> float:
        rotated = np.asarray(binary.rotate(angle, resample=Image.NEAREST, expand=False, fillcolor=0))
        rows = rotated.sum(axis=1, dtype=np.float64)
        return float(np.sum(np.diff(rows) ** 2))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    best = max(fine, key=score)
    return round(float(best), 2)


# --------------------------------------------------------------------------- tesseract


def _tesseract_env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _read_page(image, dpi: int | None, number: int, settings: OcrSettings) -> str:
    """Prepare one page and run tesseract on it (stdin → stdout, text)."""
    prepared, dpi = prepare_page(image, dpi)
    buf = io.BytesIO()
    prepared.save(buf, "PNG", compress_level=1)
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise OcrUnavailable(t("ocr.missing_tesseract"))
    cmd = [tesseract, "stdin", "stdout", "-l", settings.language, "--psm", str(settings.psm)]
    if dpi:
        cmd += ["--dpi", str(dpi)]
    try:
        proc = subprocess.run(cmd, input=buf.getvalue(), capture_output=True,
                              timeout=settings.timeout_per_page, env=_tesseract_env())
    except subprocess.TimeoutExpired:
        raise OcrError(t("ocr.timeout", page=number, seconds=settings.timeout_per_page)) from None
    except OSError as exc:
        raise OcrUnavailable(t("ocr.missing_tesseract")) from exc
    if proc.returncode != 0:
        raise OcrError(t("ocr.tesseract_failed", page=number,
                         reason=_one_line(proc.stderr.decode("utf-8", "replace")) or str(proc.returncode)))
    return clean_text(proc.stdout.decode("utf-8", "replace"))


_JUNK_LINE = re.compile(r"^[\W_]{1,4}$")


def clean_text(text: str) -> str:
    """NFC, no form feeds, no trailing spaces, lines of lone punctuation (page edges) dropped."""
    text = unicodedata.normalize("NFC", text.replace("\f", "\n"))
    lines = []
    for line in text.splitlines():
        line = line.rstrip()
        if _JUNK_LINE.match(line.strip()):
            continue
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _one_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else "")[:200]
