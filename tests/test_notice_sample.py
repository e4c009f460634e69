"""The sample notice 89/TB-UBND (an OCR scan with broken diacritics) reads as its expected JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from bot.directory import Directory
from bot.notices import read_notice, read_notice_file
from bot.notices.normalize import guess_plain

DATA = Path(__file__).parent / "data" / "notices"
SAMPLE = DATA / "notice-89-TB-UBND-2024.txt"
EXPECTED = json.loads((DATA / "notice-89-TB-UBND-2024.expected.json").read_text(encoding="utf-8"))


def names(agencies: list[dict]) -> list[str]:
    """Agencies as the expected JSON writes them: the group id "all", else the name."""
    return ["all" if a["group"] == "all" else a["name"] for a in agencies]


def assert_title(got: str | None, expected: str, *, min_ratio: float = 90.0) -> None:
    """Titles are compared without diacritics: OCR text cannot get its diacritics back."""
    assert got is not None
    assert fuzz.ratio(guess_plain(got), guess_plain(expected)) >= min_ratio, got


def assert_reads_as_expected(reading: dict, expected: dict = EXPECTED, *, title_ratio: float = 90.0) -> None:
    exp_notice = expected["notice"]
    got = reading["notice"]
    for key in ("number", "issued_on", "issuer", "kind"):
        assert got[key] == exp_notice[key], key
    if "meeting_on" in exp_notice:
        assert got["meeting_on"] == exp_notice["meeting_on"]
    assert_title(got["title"], exp_notice["title"], min_ratio=title_ratio)
    assert [i["ref"] for i in reading["items"]] == [i["ref"] for i in expected["items"]]
    for item, exp in zip(reading["items"], expected["items"]):
        ref = exp["ref"]
        assert names(item["lead"]) == exp["lead"], ref
        assert names(item["coordinate"]) == exp["coordinate"], ref
        assert item["deadline"] == exp["deadline"], ref
        assert item["deadline_text"] == exp.get("deadline_text"), ref
        if exp.get("recurring"):
            assert item["recurring"] and item["recurring"].startswith(exp["recurring"].split(" (")[0]), ref
        else:
            assert item["recurring"] is None, ref


@pytest.fixture(scope="module")
def directory_2024() -> Directory:
    return Directory.load(DATA / "binh-dinh-2024.toml")


@pytest.fixture(scope="module")
def national() -> Directory:
    return Directory.load(None)


def test_sample_reads_exactly(directory_2024):
    reading = read_notice(SAMPLE.read_text(encoding="utf-8"), directory_2024)
    assert_reads_as_expected(reading)
    assert reading["warnings"] == []
    by_ref = {i["ref"]: i for i in reading["items"]}
    assert by_ref["8.1"]["lead"][0]["agency_id"] == "so-noi-vu"
    assert by_ref["8.1"]["lead"][0]["as_written"].startswith("S¢ No6i vu")
    assert [a["agency_id"] for a in by_ref["8.1"]["coordinate"]] == [
        "so-thong-tin-truyen-thong", "cong-an-tinh", "van-phong-ubnd-tinh"]
    assert by_ref["8.3"]["coordinate"][0]["group"] == "lien-quan"
    assert by_ref["1"]["lead"][0] == {"name": "Các sở, ban, ngành, địa phương", "agency_id": None, "group": "all",
                                      "as_written": by_ref["1"]["lead"][0]["as_written"]}
    assert "dia phuong" in guess_plain(by_ref["1"]["lead"][0]["as_written"])
    # the text of an item is what the notice says, and stops before the next item and the closing
    assert by_ref["9"]["text"].endswith("trén dia ban tinh.")
    assert "thong bao" not in guess_plain(by_ref["9"]["text"])
    assert by_ref["8.2"]["heading"].startswith("Giao S¢ No6i vu")
    for item in reading["items"]:
        assert item["warnings"] == [], item["ref"]


def test_sample_with_national_names_only(national):
    """Without the province file, merged departments resolve to their successors, with a note."""
    reading = read_notice(SAMPLE.read_text(encoding="utf-8"), national)
    by_ref = {i["ref"]: i for i in reading["items"]}
    assert [a["agency_id"] for a in by_ref["8.1"]["coordinate"]] == [
        "so-khoa-hoc-cong-nghe", "cong-an-tinh", "van-phong-ubnd-tinh"]
    assert any("hợp nhất" in w for w in by_ref["8.1"]["warnings"])
    assert by_ref["8.2"]["coordinate"][0]["agency_id"] == "so-tai-chinh"
    assert names(by_ref["8.1"]["lead"]) == ["Sở Nội vụ"]
    assert reading["notice"]["number"] == "89/TB-UBND"


def test_sample_file_bytes(directory_2024):
    reading = read_notice_file(SAMPLE.read_bytes(), SAMPLE.name, directory_2024)
    assert_reads_as_expected(reading)


def test_reading_is_json_ready(directory_2024):
    reading = read_notice(SAMPLE.read_text(encoding="utf-8"), directory_2024)
    again = json.loads(json.dumps(reading, ensure_ascii=False))
    assert again == reading
    for item in reading["items"]:
        assert set(item) >= {"ref", "text", "lead", "coordinate", "deadline", "deadline_text", "recurring",
                             "warnings"}
        for a in item["lead"] + item["coordinate"]:
            assert set(a) == {"name", "agency_id", "group", "as_written"}
