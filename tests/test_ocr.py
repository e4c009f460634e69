"""OCR of scanned notices (bot/notices/ocr.py) and the doubt checks (bot/notices/checks.py).

The scans are made here (tests/scanmaker.py): the test notices are typed into a PDF, rasterised,
degraded like an office scan (≈1° skew, blur, noise, JPEG) or photographed like a phone would
(perspective, uneven light, 1600 px, EXIF rotation), then read back. Each document is OCR'd once
per session (module fixtures), two at a time: about 17 s of making and reading scans on 2 cores.
"""

from __future__ import annotations

import io
import re
import stat
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from PIL import Image, ImageDraw, ImageFont

from bot.notices import ocr
from bot.notices.checks import doubt_checks
from bot.notices.ocr import (
    NoticeFileError,
    OcrError,
    OcrSettings,
    OcrUnavailable,
    ScanTooLarge,
    TooManyPages,
    check_ocr_available,
    estimate_skew,
    extract_or_ocr,
    ocr_document,
)
from tests import scanmaker

NOTICES = Path(__file__).parent / "data" / "notices"
ONE_PAGE = "ocr-01-quang-tri-dau-tu-cong"
TWO_PAGES = "ocr-02-ninh-thuan-chuyen-doi-so"
# Measured: 0.1 % (office scan, 300 dpi), 0.06 % (phone photo). Tesseract 5.3, Debian vie model.
MAX_CER_SCAN = 0.01
MAX_CER_PHOTO = 0.015

_tools = check_ocr_available() or scanmaker.missing_tools()
needs_ocr = pytest.mark.skipif(_tools is not None, reason=f"OCR tools missing: {_tools} "
                               "(run scripts/system-packages.sh as root)")
needs_poppler = pytest.mark.skipif(scanmaker.missing_tools() is not None,
                                   reason=f"{scanmaker.missing_tools()} (run scripts/system-packages.sh)")


def notice_text(name: str) -> str:
    return (NOTICES / f"{name}.txt").read_text(encoding="utf-8")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate, whitespace-insensitive (line breaks differ between typed and scanned)."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = _norm(reference), _norm(hypothesis)
    return Levenshtein.distance(ref, hyp) / max(len(ref), 1)


# --------------------------------------------------------------------------- scans, OCR'd once


@pytest.fixture(scope="module")
def scans() -> dict[str, bytes]:
    if _tools:
        pytest.skip(f"OCR tools missing: {_tools}")

    def photo() -> bytes:
        one = scanmaker.rasterise(scanmaker.render_pdf(notice_text(ONE_PAGE)), 200)
        assert len(one) == 1, "the one-page notice must stay on one page (the photo shows one page)"
        return scanmaker.phone_photo(one[0], seed=7, width=1600)

    makers = {
        f"{TWO_PAGES}.pdf": lambda: scanmaker.office_scan_pdf(notice_text(TWO_PAGES), dpi=300, seed=5, angle=-1.2),
        f"{ONE_PAGE}.pdf": lambda: scanmaker.office_scan_pdf(notice_text(ONE_PAGE), dpi=300, seed=3, angle=1.0),
        f"{ONE_PAGE}.jpg": photo,
    }
    with ThreadPoolExecutor(max_workers=2) as pool:  # poppler and PIL work outside the GIL: both cores
        futures = {name: pool.submit(make) for name, make in makers.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="module")
def read_back(scans) -> dict[str, tuple[str, bool, list[tuple[int, int]]]]:
    """filename → (text, used_ocr, progress calls), through extract_or_ocr (two documents at a time:
    each Tesseract runs on one core)."""
    def read(filename: str, data: bytes):
        calls: list[tuple[int, int]] = []
        text, used = extract_or_ocr(data, filename, OcrSettings(), progress=lambda p, n: calls.append((p, n)))
        return text, used, calls

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {filename: pool.submit(read, filename, data) for filename, data in scans.items()}
        return {filename: future.result() for filename, future in futures.items()}


@needs_ocr
@pytest.mark.parametrize("name", [ONE_PAGE, TWO_PAGES])
def test_office_scan_reads_the_text_closely(read_back, name):
    text, used_ocr, calls = read_back[f"{name}.pdf"]
    assert used_ocr
    rate = cer(notice_text(name), text)
    assert rate < MAX_CER_SCAN, f"CER {rate:.2%}\n{text}"
    pages = 1 if name == ONE_PAGE else 2
    assert calls == [(p, pages) for p in range(1, pages + 1)]


@needs_ocr
def test_phone_photo_reads_the_text_closely(read_back):
    text, used_ocr, calls = read_back[f"{ONE_PAGE}.jpg"]
    assert used_ocr and calls == [(1, 1)]
    rate = cer(notice_text(ONE_PAGE), text)
    assert rate < MAX_CER_PHOTO, f"CER {rate:.2%}\n{text}"
    assert "Giao Sở Tài chính chủ trì" in text
    assert "30/9/2025" in text


def _key(agency: dict) -> str:
    return agency.get("agency_id") or agency.get("group") or agency.get("name") or ""


def _same_reading(typed: dict, scanned: dict) -> list[str]:
    """Differences between two readings, ignoring fields the doubt checks flagged on the scan."""
    problems = []
    t_items, s_items = typed["items"], scanned["items"]
    if len(t_items) != len(s_items):
        return [f"{len(t_items)} items typed, {len(s_items)} scanned: "
                f"{[i['ref'] for i in t_items]} vs {[i['ref'] for i in s_items]}"]
    for a, b in zip(t_items, s_items):
        doubtful = set(b.get("doubtful") or [])
        checks = {
            "ref": (a["ref"], b["ref"]),
            "lead": (sorted(map(_key, a["lead"])), sorted(map(_key, b["lead"]))),
            "coordinate": (sorted(map(_key, a["coordinate"])), sorted(map(_key, b["coordinate"]))),
            "deadline": ((a["deadline"], a.get("recurring")), (b["deadline"], b.get("recurring"))),
        }
        for field, (want, got) in checks.items():
            if field not in doubtful and want != got:
                problems.append(f"item {a['ref']} {field}: typed {want!r}, scanned {got!r}")
    return problems


@needs_ocr
@pytest.mark.parametrize("filename", [f"{ONE_PAGE}.pdf", f"{TWO_PAGES}.pdf", f"{ONE_PAGE}.jpg"])
def test_scan_reads_like_the_typed_text(read_back, filename):
    reader = pytest.importorskip("bot.notices.reader", reason="the notice reader (issue 3) is not there yet")
    from bot.directory import Directory

    directory = Directory.load()
    name = filename.rsplit(".", 1)[0]
    typed = doubt_checks(reader.read_notice(notice_text(name), directory), notice_text(name), directory)
    text, _, _ = read_back[filename]
    scanned = doubt_checks(reader.read_notice(text, directory), text, directory)
    assert typed["items"], "the typed notice reads no items"
    assert _same_reading(typed, scanned) == []
    assert scanned["notice"]["number"] == typed["notice"]["number"]
    assert scanned["notice"]["issued_on"] == typed["notice"]["issued_on"]


@needs_poppler
def test_pdf_with_a_text_layer_keeps_it():
    pytest.importorskip("bot.notices.extract", reason="the text extractor (issue 3) is not there yet")
    typed = scanmaker.render_pdf(notice_text(ONE_PAGE))
    text, used_ocr = extract_or_ocr(typed, "notice.pdf")
    assert not used_ocr
    assert "Thanh tra tỉnh" in text


# --------------------------------------------------------------------------- small images, threads


def _line_image(text: str, size: int = 42) -> bytes:
    font = ImageFont.truetype(str(scanmaker.font_path()), size)
    img = Image.new("L", (60 + int(font.getlength(text)), size * 3), 255)
    ImageDraw.Draw(img).text((30, size), text, font=font, fill=0)
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


@needs_ocr
def test_ocr_is_safe_from_worker_threads():
    lines = ["Sở Tài chính chủ trì, phối hợp với Sở Xây dựng", "hoàn thành trước ngày 30 tháng 9 năm 2025"]
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = ocr_document(_line_image(lines[i]), f"line{i}.png", OcrSettings(psm=7))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    for i, line in enumerate(lines):
        assert cer(line, results[i]) < 0.05, results[i]


@needs_poppler
def test_deskew_finds_the_rotation():
    page = scanmaker.rasterise(scanmaker.render_pdf(notice_text(ONE_PAGE)), 100)[0]
    for angle in (1.0, -2.5):
        rotated = page.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
        assert estimate_skew(rotated) == pytest.approx(-angle, abs=0.2)
    assert estimate_skew(Image.new("L", (800, 1000), 255)) == 0.0


# --------------------------------------------------------------------------- refusals (no Tesseract needed)


def _blank_pdf(pages: int) -> bytes:
    return scanmaker.image_pdf([Image.new("L", (100, 140), 255) for _ in range(pages)], dpi=20)


def _one_line(message: str) -> None:
    assert message and "\n" not in message and "Traceback" not in message


def test_too_many_pages_refused_before_reading():
    calls = []
    with pytest.raises(TooManyPages) as err:
        ocr_document(_blank_pdf(3), "scan.pdf", OcrSettings(max_pages=2), progress=lambda p, n: calls.append(p))
    assert isinstance(err.value, NoticeFileError)
    _one_line(err.value.message)
    assert "3 trang" in err.value.message and "2 trang" in err.value.message
    assert calls == []


def test_too_many_tiff_frames_refused():
    frames = [Image.new("L", (50, 50), 255) for _ in range(4)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(TooManyPages):
        ocr_document(buf.getvalue(), "scan.tif", OcrSettings(max_pages=3))


def test_over_20_mb_refused():
    data = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    photo = b"\xff\xd8\xff\xe0" + b"0" * (20 * 1024 * 1024)
    for call in (lambda: ocr_document(data, "big.pdf"), lambda: extract_or_ocr(photo, "big.jpg")):
        with pytest.raises(NoticeFileError) as err:
            call()
        _one_line(err.value.message)
        assert "20 MB" in err.value.message
    with pytest.raises(ScanTooLarge):
        ocr_document(data, "big.pdf")


@pytest.mark.parametrize("data, filename, words", [
    (b"\xff\xd8\xff\xe0 not really a jpeg", "photo.jpg", "ảnh"),
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "cut.pdf", "PDF"),
    (b"hello", "notes.txt", "không phải PDF hay ảnh"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "IMG_0001.HEIC", "HEIC"),
    (b"", "empty.png", "ảnh"),
])
def test_bad_files_get_one_line(data, filename, words):
    with pytest.raises(OcrError) as err:
        ocr_document(data, filename)
    _one_line(err.value.message)
    assert words in err.value.message


def test_missing_tesseract_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    message = check_ocr_available()
    _one_line(message)
    assert "tesseract-ocr" in message and "tesseract-ocr-vie" in message
    with pytest.raises(OcrUnavailable) as err:
        ocr_document(_line_image("Thông báo"), "x.png")
    assert err.value.message == message


def _fake_tesseract(folder: Path, langs: list[str]) -> None:
    script = folder / "tesseract"
    listing = "\\n".join(["List of available languages (%d):" % len(langs), *langs])
    script.write_text(f"#!/bin/sh\nprintf '{listing}\\n'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_missing_vietnamese_model_names_the_package(monkeypatch, tmp_path):
    _fake_tesseract(tmp_path, ["eng", "osd"])
    monkeypatch.setenv("PATH", str(tmp_path))
    message = check_ocr_available()
    _one_line(message)
    assert "tesseract-ocr-vie" in message


def test_missing_poppler_only_matters_for_pdf(monkeypatch, tmp_path):
    _fake_tesseract(tmp_path, ["eng", "osd", "vie"])
    monkeypatch.setenv("PATH", str(tmp_path))
    message = check_ocr_available()
    _one_line(message)
    assert "poppler-utils" in message
    assert check_ocr_available(pdf=False) is None


def test_system_packages_script_is_quiet_when_installed():
    if _tools:
        pytest.skip("packages not installed here")
    import subprocess

    script = Path(__file__).parent.parent / "scripts" / "system-packages.sh"
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


# --------------------------------------------------------------------------- doubt checks (pure)


def _item(ref: str, text: str = "", deadline=None, deadline_text=None, lead=None, coordinate=None) -> dict:
    return {"ref": ref, "text": text, "lead": lead or [], "coordinate": coordinate or [],
            "deadline": deadline, "deadline_text": deadline_text, "recurring": None, "warnings": []}


def _result(items: list[dict], issued: str | None = "2024-04-05") -> dict:
    return {"notice": {"number": "47/TB-UBND", "issued_on": issued, "issuer": None, "kind": None,
                       "title": None}, "items": items, "warnings": []}


def _doubtful(result: dict) -> dict[str, list[str]]:
    return {it["ref"]: it["doubtful"] for it in result["items"] if it.get("doubtful")}


def test_number_out_of_sequence_is_flagged():
    text = "1. A\n2. B\n3. C\n9. D\n5. E\n"
    result = _result([_item(r) for r in ("1", "2", "3", "9", "5")])
    out = doubt_checks(result, text)
    assert _doubtful(out) == {"9": ["ref"]}
    assert any("có thể là mục 4" in w for w in out["items"][3]["warnings"])
    assert out["warnings"] and "1 mục" in out["warnings"][-1]
    assert "doubtful" not in result["items"][3], "the input is not modified"


def test_last_number_misread_is_flagged():
    text = "1. A\n2. B\n3. C\n4. D\n9. E\n"
    out = doubt_checks(_result([_item(r) for r in ("1", "2", "3", "4", "9")]), text)
    assert _doubtful(out) == {"9": ["ref"]}


def test_number_without_its_dot_flags_the_item_that_swallowed_it():
    text = "1. Sở Nội vụ rà soát quy chế.\n2 Tập trung rà soát, sửa đổi cơ chế.\n3. Công an tỉnh triển khai.\n"
    out = doubt_checks(_result([_item("1"), _item("3")]), text)
    assert _doubtful(out) == {"1": ["ref", "text"]}
    assert "Mục 2" in out["items"][0]["warnings"][0]


def test_gap_of_a_non_task_item_is_not_flagged():
    # item 2 is an approval ("Đồng ý ..."): the reader saw "2." and made no task of it
    text = "1. Giao Sở Tài chính ...\n2. Đồng ý chủ trương ...\n3. Sở Xây dựng ...\n"
    assert _doubtful(doubt_checks(_result([_item("1"), _item("3")]), text)) == {}


def test_sub_items_and_sections_follow_their_own_numbering():
    items = [_item(r) for r in ("1.a", "1.b", "2", "3.1", "3.2", "4")]
    assert _doubtful(doubt_checks(_result(items), "")) == {}
    items = [_item(r) for r in ("I.1", "I.2", "II.1", "II.2", "II.8", "II.4")]
    assert _doubtful(doubt_checks(_result(items), "")) == {"II.8": ["ref"]}


def test_quarter_before_the_date_of_issue_is_flagged():
    # "quý II/2024" read as "quý I/2024" in a notice of 5 April 2024
    item = _item("2", "trình UBND tỉnh trong quý I/2024.", "2024-03-31", "trong quý I/2024")
    out = doubt_checks(_result([item]), "")
    assert _doubtful(out) == {"2": ["deadline"]}
    assert "05/04/2024" in out["items"][0]["warnings"][0]


def test_quarter_disagreeing_with_a_date_in_the_item_is_flagged():
    item = _item("3", "Hoàn thành trong quý I/2024; tổ chức hội nghị sơ kết trước ngày 15/5/2024.",
                 "2024-03-31", "trong quý I/2024")
    out = doubt_checks(_result([item], issued="2024-01-10"), "")
    assert _doubtful(out) == {"3": ["deadline"]}
    assert "15/05/2024" in out["items"][0]["warnings"][0]
    # an earlier date (a document cited) is no disagreement
    fine = _item("3", "Theo Kết luận số 62-KL/TW ngày 02 tháng 10 năm 2023, hoàn thành trong quý II/2024.",
                 "2024-06-30", "trong quý II/2024")
    assert _doubtful(doubt_checks(_result([fine], issued="2024-01-10"), "")) == {}


def test_month_disagreeing_with_a_date_is_flagged():
    item = _item("1", "Báo cáo trong tháng 3 năm 2024, gửi kèm số liệu đến ngày 20 tháng 4 năm 2024.",
                 "2024-03-31", "trong tháng 3 năm 2024")
    assert _doubtful(doubt_checks(_result([item], issued="2024-02-01"), "")) == {"1": ["deadline"]}


def test_garbled_quarter_numeral_is_flagged():
    item = _item("3", "hoàn thành trong quý II1/2025.", None, None)
    out = doubt_checks(_result([item], issued="2025-07-14"), "")
    assert _doubtful(out) == {"3": ["deadline"]}
    assert "quý II1/2025" in out["items"][0]["warnings"][0]


def _agency(name, agency_id, written=None, group=None):
    return {"name": name, "agency_id": agency_id, "group": group, "as_written": written or name}


def test_agency_near_misses_are_flagged():
    from bot.directory import Directory

    directory = Directory.load()
    items = [
        _item("1", lead=[_agency("Sở Tài chính", "so-tai-chinh")],
              coordinate=[_agency("Sở Xây dựng", "so-xay-dung")]),
        _item("2", lead=[_agency("Sở Nội vụ", "so-noi-vu", "S¢ No6i vu")]),
        _item("3", lead=[_agency("Sở Tài nguyên", None, "Sở Tài ngyuên")]),
        _item("4", lead=[_agency("các sở, ban, ngành, địa phương", None, group="all")]),
    ]
    out = doubt_checks(_result(items), "1. a\n2. b\n3. c\n4. d\n", directory)
    assert _doubtful(out) == {"2": ["lead"], "3": ["lead"]}
    # without a directory only the unresolved one is doubtful
    assert _doubtful(doubt_checks(_result(items), "", None)) == {"3": ["lead"]}
    # the reader's own sure/score keys count too
    unsure = _item("1", lead=[{**_agency("Sở Y tế", "so-y-te"), "sure": False}])
    assert _doubtful(doubt_checks(_result([unsure]), "")) == {"1": ["lead"]}


def test_a_clean_reading_has_no_doubts():
    items = [
        _item("1", "Giao Sở Tài chính ... trước ngày 31/7/2025.", "2025-07-31", "trước ngày 31/7/2025",
              lead=[_agency("Sở Tài chính", "so-tai-chinh")]),
        _item("2", "... trong tháng 8 năm 2025.", "2025-08-31", "trong tháng 8 năm 2025"),
        _item("3", "... trong quý III/2025.", "2025-09-30", "trong quý III/2025"),
    ]
    out = doubt_checks(_result(items, issued="2025-07-14"), "1. x\n2. y\n3. z\n")
    assert _doubtful(out) == {} and out["warnings"] == []


refs = st.one_of(st.none(), st.integers(), st.text(max_size=6),
                 st.from_regex(r"(I|II|III)?\.?[0-9]{1,2}(\.[a-d1-3])?", fullmatch=True))
items = st.fixed_dictionaries({
    "ref": refs,
    "text": st.one_of(st.none(), st.text(max_size=80)),
    "deadline": st.one_of(st.none(), st.text(max_size=12), st.dates().map(str)),
    "deadline_text": st.one_of(st.none(), st.sampled_from(["trong quý I/2024", "trong tháng 3/2024", ""])),
    "lead": st.one_of(st.none(), st.lists(st.dictionaries(st.sampled_from(
        ["name", "agency_id", "group", "as_written", "sure", "score"]), st.one_of(st.none(), st.text(max_size=8),
                                                                                   st.booleans()), max_size=6),
        max_size=2)),
})


@hsettings(max_examples=150, deadline=None)
@given(st.lists(items, max_size=8), st.text(max_size=200), st.one_of(st.none(), st.text(max_size=12)))
def test_doubt_checks_never_crash(items, text, issued):
    out = doubt_checks({"notice": {"issued_on": issued}, "items": items, "warnings": []}, text)
    assert len(out["items"]) == len(items)


def test_past_period_dropped_by_the_reader_is_flagged():
    # the reader reads no deadline from a period already over at the date of issue;
    # on a scan that is most likely "quý III" read as "quý II"
    item = _item("3", "hoàn thành trong quý II/2025.", None, None)
    out = doubt_checks(_result([item], issued="2025-07-14"), "")
    assert _doubtful(out) == {"3": ["deadline"]}
    # a past year is narrative, not a misread
    old = _item("3", "phát huy kết quả đạt được trong quý II/2024.", None, None)
    assert _doubtful(doubt_checks(_result([old], issued="2025-07-14"), "")) == {}
    narrative = _item("I", "Trong quý I năm 2024, các cơ quan đã tích cực triển khai.", None, None)
    assert _doubtful(doubt_checks(_result([narrative], issued="2024-04-05"), "")) == {}


# --------------------------------------------------------------------------- through the bot (emulator)


@needs_ocr
async def test_admin_sends_a_scan_and_a_photo_and_gets_previews(emulator, tmp_path, scans):
    pytest.importorskip("bot.notices.reader", reason="the notice reader (issue 3) is not there yet")
    import datetime as dt

    from tests.harness import ADMIN, TZ, bot_env

    async with bot_env(emulator, tmp_path, now=dt.datetime(2024, 4, 8, 9, 0, tzinfo=TZ)) as env:
        emu = env.emu
        emu.send(ADMIN, ADMIN, document=(f"{TWO_PAGES}.pdf", scans[f"{TWO_PAGES}.pdf"], "application/pdf"))
        await emu.wait_for_bot_message(ADMIN, lambda m: "trang 2/2" in m.get("text", ""), include_edits=True,
                                       timeout=60)
        preview = await emu.wait_for_bot_message(ADMIN, lambda m: bool(m.get("reply_markup")), timeout=60)
        shown = "\n".join(m["text"] for m in emu.bot_messages(ADMIN)[-3:])
        assert "47/TB-UBND" in shown
        notices = env.store.notices.all_notices()
        assert len(notices) == 1
        refs = [t.ref for t in env.store.notices.tasks(notices[0].id)]
        assert {"1.a", "1.b", "2", "3", "4", "5"} <= set(refs)
        assert preview

        emu.send(ADMIN, ADMIN, photo=scans[f"{ONE_PAGE}.jpg"])
        await emu.wait_for_bot_message(
            ADMIN, lambda m: bool(m.get("reply_markup")) and "152/TB-UBND" in m.get("text", ""), timeout=60)
        notices = env.store.notices.all_notices()
        assert len(notices) == 2
        photo_notice = next(n for n in notices if n.number == "152/TB-UBND")
        assert [t.ref for t in env.store.notices.tasks(photo_notice.id)] == ["1", "2", "3", "4", "5"]
