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
    assert err.count("\n") == 1 and "OCR" in err
    assert main(["notice", "parse", str(tmp_path / "missing.pdf")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("[[agency]]\nid = 1\n", encoding="utf-8")
    assert main(["notice", "parse", str(SAMPLE), "--directory", str(bad)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
