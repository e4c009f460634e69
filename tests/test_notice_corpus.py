"""Notices of other shapes, each with its expected reading; the same notices without diacritics
and through simulated OCR noise read the same."""

from __future__ import annotations

import json
import random
import textwrap
import unicodedata
from pathlib import Path

import pytest

from bot.directory import Directory
from bot.notices import extract_text, read_notice
from bot.notices.normalize import guess_plain, strip_diacritics
from tests.test_notice_sample import DATA, names

CASES = sorted(p.name.replace(".expected.json", "") for p in DATA.glob("*.expected.json")
               if not p.name.startswith("notice-89"))


def _load(case: str) -> tuple[str, dict, Directory]:
    if (DATA / f"{case}.docx").exists():  # a Word notice: read through the extractor
        text = extract_text((DATA / f"{case}.docx").read_bytes(), f"{case}.docx")
    else:
        text = (DATA / f"{case}.txt").read_text(encoding="utf-8")
    expected = json.loads((DATA / f"{case}.expected.json").read_text(encoding="utf-8"))
    dirf = expected.get("directory")
    directory = Directory.load(DATA / dirf, national=expected.get("national", True)) if dirf else Directory.load(None)
    return text, expected, directory


def _names(agencies: list[dict]) -> list[str]:
    """Resolved agencies by name; names kept as written compared without diacritics."""
    return [n if (a["agency_id"] or a["group"]) else guess_plain(n) for a, n in zip(agencies, names(agencies))]


def _summary(reading: dict) -> list[tuple]:
    return [(i["ref"], _names(i["lead"]), _names(i["coordinate"]), i["deadline"], i["recurring"])
            for i in reading["items"]]


def _close(got: list[tuple], want: list[tuple]) -> bool:
    """Summaries equal, except that names kept as written (OCR noise and all) need only be close."""
    from rapidfuzz import fuzz

    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if (g[0], g[3], g[4]) != (w[0], w[3], w[4]) or len(g[1]) != len(w[1]) or len(g[2]) != len(w[2]):
            return False
        for a, b in zip(g[1] + g[2], w[1] + w[2]):
            if a != b and fuzz.ratio(a, b) < 85:
                return False
    return True


def test_there_are_at_least_four_own_notices():
    assert len(CASES) >= 4


@pytest.mark.parametrize("case", CASES)
def test_reads_as_expected(case):
    text, expected, directory = _load(case)
    reading = read_notice(text, directory)
    assert reading["notice"] == expected["notice"]
    assert [i["ref"] for i in reading["items"]] == [e["ref"] for e in expected["items"]]
    for item, exp in zip(reading["items"], expected["items"]):
        ref = exp["ref"]
        assert names(item["lead"]) == exp["lead"], ref
        assert names(item["coordinate"]) == exp["coordinate"], ref
        assert item["deadline"] == exp["deadline"], ref
        assert item["deadline_text"] == exp["deadline_text"], ref
        assert item["recurring"] == exp.get("recurring"), ref
        assert len(item["warnings"]) == exp.get("warnings", 0), (ref, item["warnings"])
        for part in exp.get("warnings_contain", []):
            assert any(part in w for w in item["warnings"]), (ref, part, item["warnings"])
        if "text_starts" in exp:
            assert item["text"].startswith(exp["text_starts"]), (ref, item["text"])
    assert [s["ref"] for s in reading["skipped"]] == expected["skipped"]


@pytest.mark.parametrize("case", CASES)
def test_without_diacritics_reads_the_same(case):
    text, _, directory = _load(case)
    clean = read_notice(text, directory)
    plain = read_notice(strip_diacritics(text), directory)
    assert _summary(plain) == _summary(clean)
    for key in ("number", "issued_on", "kind", "meeting_on"):
        assert plain["notice"][key] == clean["notice"][key], key
    # province names get their diacritics back, a ward's name cannot
    assert guess_plain(plain["notice"]["issuer"]) == guess_plain(clean["notice"]["issuer"])


# ---------------------------------------------------------------- simulated OCR without Vietnamese

_OCR_CHOICES = {
    "ơ": ["¢", "&", "o", "6"], "ô": ["o6", "6", "o", "b"], "ư": ["w", "u"], "ă": ["d", "i", "a"],
    "â": ["A", "é", "a"], "ê": ["é", "€", "e"], "đ": ["d"], "Đ": ["P", "D"], "ờ": ["&"],
}


def ocr_noise(text: str, seed: int, rate: float = 0.5, width: int = 68) -> str:
    """What an OCR engine without Vietnamese prints: marks lost or turned into look-alikes, lines
    re-wrapped mid-sentence, page numbers in the flow."""
    rnd = random.Random(seed)
    out = []
    for ch in unicodedata.normalize("NFC", text):
        d = unicodedata.normalize("NFD", ch)
        base_shape = unicodedata.normalize("NFC", d[0] + "".join(c for c in d[1:] if c in "\u0302\u0306\u031b"))
        key = base_shape if base_shape in _OCR_CHOICES else (ch if ch in _OCR_CHOICES else None)
        if key and rnd.random() < rate:
            out.append(rnd.choice(_OCR_CHOICES[key]))
        elif len(d) > 1 and rnd.random() < 0.3:
            out.append(d[0] + ("6" if d[0] in "aeo" and rnd.random() < 0.3 else ""))  # "No6i" for "Nội"
        else:
            out.append(strip_diacritics(ch) if rnd.random() < 0.85 else ch)
    noisy = "".join(out)
    lines = []
    for para in noisy.split("\n"):
        if len(para) <= width:
            lines.append(para)
        else:
            lines.extend(textwrap.wrap(para, width, break_on_hyphens=False, break_long_words=False))
    # a page break with its page number after roughly two thirds
    k = len(lines) * 2 // 3
    while k < len(lines) and not lines[k].strip():
        k += 1
    return "\n".join(lines[:k] + ["", "2", ""] + lines[k:])


@pytest.mark.parametrize("case", ["quang-ngai-215-2025", "binh-dinh-120-2024-forms"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_heavy_ocr_noise_reads_the_same(case, seed):
    text, _, directory = _load(case)
    clean = read_notice(text, directory)
    noisy_text = ocr_noise(text, seed)
    assert noisy_text != text
    noisy = read_notice(noisy_text, directory)
    assert _close(_summary(noisy), _summary(clean))
    for key in ("number", "issued_on", "issuer", "kind"):
        assert noisy["notice"][key] == clean["notice"][key], key


def test_decomposed_unicode_reads_the_same():
    text, _, directory = _load("quang-ngai-215-2025")
    assert _summary(read_notice(unicodedata.normalize("NFD", text), directory)) == \
        _summary(read_notice(text, directory))


def test_page_furniture_is_removed():
    text, _, directory = _load("binh-dinh-120-2024-forms")
    lines = text.split("\n")
    paged = []
    for i, ln in enumerate(lines, 1):
        paged.append(ln)
        if i % 8 == 0:
            paged += ["", f"- {i // 8 + 1} -", "UBND tỉnh Bình Định - Thông báo 120/TB-UBND", ""]
    assert _summary(read_notice("\n".join(paged), directory)) == _summary(read_notice(text, directory))


def test_works_with_a_minimal_directory():
    """The reader needs only ``resolve(text) -> Match``: here a fake that knows one agency."""

    class FakeAgency:
        id, name = "so-noi-vu", "Sở Nội vụ"

    class FakeMatch:
        def __init__(self, text, sure):
            self.agency, self.sure, self.candidates = (FakeAgency(), True, []) if sure else (None, False, [])

    class Fake:
        def resolve(self, text):
            return FakeMatch(text, strip_diacritics(text).lower().strip(" ,.") == "so noi vu")

    reading = read_notice("THÔNG BÁO\nKết luận\n\n1. Giao Sở Nội vụ, Sở Hư Cấu rà soát, báo cáo trước 30/6/2024.",
                          Fake())
    (item,) = reading["items"]
    assert [a["agency_id"] for a in item["lead"]] == ["so-noi-vu"]
    assert [a["name"] for a in item["coordinate"]] == ["Sở Hư Cấu"]
    assert item["deadline"] == "2024-06-30"


def test_long_notice_with_more_than_99_items():
    body = "\n".join(f"{n}. Sở Tư pháp rà soát văn bản số {n}, hoàn thành trong quý III/2025." for n in range(1, 131))
    reading = read_notice("THÔNG BÁO\nKết luận\n\n" + body, Directory.load(None))
    assert [i["ref"] for i in reading["items"]] == [str(n) for n in range(1, 131)]
    assert {i["deadline"] for i in reading["items"]} == {"2025-09-30"}
