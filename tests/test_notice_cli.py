"""``dondoc notice parse FILE [--json] [--directory FILE]``."""

from __future__ import annotations

import json

from bot.cli import main
from tests.test_notice_sample import DATA, SAMPLE


def test_parse_table(capsys):
    assert main(["notice", "parse", str(SAMPLE), "--directory", str(DATA / "binh-dinh-2024.toml")]) == 0
    out = capsys.readouterr().out
    assert "89/TB-UBND" in out and "8.2" in out and "Sở Kế hoạch và Đầu tư" in out
    assert "11 nhiệm vụ." in out


def test_parse_json(capsys):
    assert main(["notice", "parse", str(SAMPLE), "--json", "--directory", str(DATA / "binh-dinh-2024.toml")]) == 0
    reading = json.loads(capsys.readouterr().out)
    assert reading["notice"]["number"] == "89/TB-UBND"
    assert [i["ref"] for i in reading["items"]][-4:] == ["8.1", "8.2", "8.3", "9"]


def test_parse_national_directory_by_default(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config.toml here
    assert main(["notice", "parse", str(SAMPLE), "--json"]) == 0
    reading = json.loads(capsys.readouterr().out)
    assert reading["items"][7]["coordinate"][0]["agency_id"] == "so-khoa-hoc-cong-nghe"


def test_errors_are_one_line(capsys, tmp_path):
    img = tmp_path / "anh.png"
    img.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    assert main(["notice", "parse", str(img)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "anh.png" in err  # read as a photo (OCR), refused as a broken file
    assert main(["notice", "parse", str(tmp_path / "missing.pdf")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("[[agency]]\nid = 1\n", encoding="utf-8")
    assert main(["notice", "parse", str(SAMPLE), "--directory", str(bad)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_parse_reads_scans_and_photos_like_the_bots_import(capsys, tmp_path, monkeypatch):
    """An image-only PDF, a .jpg and a .png go through the bot's own import path (OCR), not refused."""
    import bot.notices.ocr as ocr

    seen = []

    def fake_ocr(data, filename, settings, progress=None):  # the OCR itself is tested in test_ocr.py
        seen.append(filename)
        return SAMPLE.read_text(encoding="utf-8"), True

    monkeypatch.setattr(ocr, "extract_or_ocr", fake_ocr)
    for name in ("scan.pdf", "anh.jpg", "anh.png"):
        (tmp_path / name).write_bytes(b"not read: the fake OCR answers")
        assert main(["notice", "parse", str(tmp_path / name), "--json", "--directory",
                     str(DATA / "binh-dinh-2024.toml")]) == 0, capsys.readouterr().err
        reading = json.loads(capsys.readouterr().out)
        assert reading["notice"]["number"] == "89/TB-UBND" and len(reading["items"]) == 11
    assert seen == ["scan.pdf", "anh.jpg", "anh.png"]


def test_parse_a_real_photo_with_ocr(capsys, tmp_path):
    """A .png of a typed notice, read by Tesseract through ``dondoc notice parse``."""
    import pytest

    from bot.notices.ocr import check_ocr_available
    from tests import scanmaker

    missing = check_ocr_available() or scanmaker.missing_tools()
    if missing:
        pytest.skip(f"{missing} (run scripts/system-packages.sh)")
    text = (DATA / "ocr-01-quang-tri-dau-tu-cong.txt").read_text(encoding="utf-8")
    page = scanmaker.rasterise(scanmaker.render_pdf(text), 200)[0]
    page.save(tmp_path / "thong-bao.png")
    assert main(["notice", "parse", str(tmp_path / "thong-bao.png"), "--json"]) == 0, capsys.readouterr().err
    reading = json.loads(capsys.readouterr().out)
    assert reading["notice"]["number"] and len(reading["items"]) >= 3
