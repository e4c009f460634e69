"""Properties: any text and any bytes never crash or hang; diacritics do not change the reading."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.directory import Directory
from bot.notices import NoticeFileError, extract_text, read_notice
from bot.notices.deadlines import find_deadlines, find_recurring
from bot.notices.normalize import fold, strip_diacritics
from tests.test_notice_sample import DATA, SAMPLE

DIRECTORY = Directory.load(DATA / "binh-dinh-2024.toml")
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
FORMS = (DATA / "binh-dinh-120-2024-forms.txt").read_text(encoding="utf-8")
FAST = settings(max_examples=40, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

_vi_letters = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
_notice_alphabet = _vi_letters + _vi_letters.upper() + "0123456789 \n\n.,;:-/()&¢€" + "–"
_words = st.sampled_from(["1.", "2.", "II.", "a)", "-", "Giao", "Sở Nội vụ", "chủ trì", "phối hợp với", "Sở Tài chính",
                          "trước ngày", "31/4/2024", "tháng 3 năm 2024", "quý II/2024", "thường xuyên", "các sở, ban, ngành",
                          "THÔNG BÁO", "Số: 1/TB-UBND", "./.", "Nơi nhận:", "\n", "\n\n", "và", ",", "ngày 5 tháng 6"])


def _check(reading: dict) -> None:
    assert set(reading) >= {"notice", "items", "warnings"}
    for item in reading["items"]:
        assert isinstance(item["ref"], str) and item["ref"]
        for a in item["lead"] + item["coordinate"]:
            assert set(a) == {"name", "agency_id", "group", "as_written"}


@FAST
@given(st.text(max_size=600))
def test_any_text_reads(text):
    _check(read_notice(text, DIRECTORY))


@FAST
@given(st.text(alphabet=_notice_alphabet, max_size=800))
def test_any_vietnamese_like_text_reads(text):
    _check(read_notice(text, DIRECTORY))


@FAST
@given(st.lists(_words, max_size=80).map(" ".join))
def test_notice_shaped_text_reads(text):
    _check(read_notice(text, DIRECTORY))
    find_deadlines(text)
    find_recurring(text)


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["a.txt", "a.pdf", "a.docx", "a.png", "a", "a.doc"]))
def test_any_bytes_extract_or_refuse_in_one_line(data, name):
    try:
        text = extract_text(data, name)
    except NoticeFileError as exc:
        assert exc.message and "\n" not in exc.message
    else:
        assert isinstance(text, str)


@FAST
@given(st.binary(max_size=300))
def test_damaged_pdf_and_docx_headers(tail):
    for head, name in ((b"%PDF-1.4\n", "x.pdf"), (b"PK\x03\x04", "x.docx")):
        try:
            extract_text(head + tail, name)
        except NoticeFileError as exc:
            assert "\n" not in exc.message


@FAST
@given(st.text(max_size=300))
def test_fold_positions_map_back(text):
    f = fold(text)
    assert len(f.pos) == len(f.text) + 1
    assert all(0 <= p < len(text) for p in f.pos[:-1])
    assert list(f.pos[:-1]) == sorted(f.pos[:-1])


def _summary(reading):
    return [(i["ref"], [(a["agency_id"], a["group"]) for a in i["lead"]],
             [(a["agency_id"], a["group"]) for a in i["coordinate"]], i["deadline"], i["recurring"])
            for i in reading["items"]]


@settings(max_examples=15, deadline=4000, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(st.integers(min_value=0, max_value=10_000), max_size=400))
def test_removing_diacritics_does_not_change_the_reading(positions):
    """Strip the diacritics of any subset of characters of a clean notice: same items, leads, deadlines."""
    chars = list(FORMS)
    for p in positions:
        if p < len(chars):
            chars[p] = strip_diacritics(chars[p])
    partly = "".join(chars)
    assert _summary(read_notice(partly, DIRECTORY)) == _summary(read_notice(FORMS, DIRECTORY))


def test_removing_all_diacritics_from_the_clean_notice():
    assert _summary(read_notice(strip_diacritics(FORMS), DIRECTORY)) == _summary(read_notice(FORMS, DIRECTORY))


def test_long_lines_do_not_hang():
    text = SAMPLE_TEXT + ("Sở Nội vụ, " * 3000) + "\n" + ("a" * 50_000)
    _check(read_notice(text, DIRECTORY))
