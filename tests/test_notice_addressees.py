"""The addressees stage (bot/notices/reading/addressees.py and names.py): who leads and coordinates an
item, from its own text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from bot.directory import Directory
from bot.notices.normalize import fold
from bot.notices.reading.addressees import Assignees, addressee, assignees, audience
from bot.notices.reading.context import Context
from bot.notices.reading.names import merge_all, read_names, same

DIRECTORY = Directory.load(None)


def _ctx() -> Context:
    return Context(DIRECTORY, "Giao Sở Tài chính chủ trì")


def _names(agencies: list[dict]) -> list[str]:
    return [a["group"] or a["name"] for a in agencies]


def test_names_one_after_the_other():
    f = fold("Sở Tài chính, Sở Xây dựng và Công an tỉnh tổ chức thực hiện")
    names, end = read_names(_ctx(), f, 0, len(f.text), [])
    assert _names(names) == ["Sở Tài chính", "Sở Xây dựng", "Công an tỉnh"]
    assert f.text[end:].strip().startswith("to chuc")


def test_a_named_list_is_one_agency_each():
    f = fold("UBND các xã: Đức Trọng, Hiệp Thạnh và đơn vị tư vấn")
    warnings: list[str] = []
    names, _ = read_names(_ctx(), f, 0, len(f.text), warnings)
    assert [a["name"] for a in names][:2] == ["UBND xã Đức Trọng", "UBND xã Hiệp Thạnh"]


def test_groups_and_parties_beyond_the_directory():
    f = fold("các sở, ban, ngành, địa phương")
    (g,), _ = read_names(_ctx(), f, 0, len(f.text), [])
    assert g["group"] == "all"
    f = fold("Nhà đầu tư của 02 dự án đường bộ cao tốc Tân Phú – Bảo Lộc và Bảo Lộc – Liên Khương")
    (p,), _ = read_names(_ctx(), f, 0, len(f.text), [])
    assert p["agency_id"] is None and p["name"].startswith("Nhà đầu tư của 02 dự án")


@pytest.mark.parametrize("text, lead, coords", [
    ("Giao Sở Tài chính chủ trì, phối hợp với Sở Xây dựng rà soát các dự án.", "Sở Tài chính", ["Sở Xây dựng"]),
    ("Sở Y tế chủ trì, phối hợp với Công an tỉnh kiểm tra an toàn thực phẩm.", "Sở Y tế", ["Công an tỉnh"]),
    ("Đề nghị Sở Xây dựng khẩn trương hoàn thiện hồ sơ.", "Sở Xây dựng", []),
    ("Sở Nội vụ tham mưu kiện toàn tổ chức bộ máy.", "Sở Nội vụ", []),
])
def test_lead_and_coordinators(text, lead, coords):
    got = assignees(_ctx(), text, [])
    assert isinstance(got, Assignees)
    assert _names(got.lead) == [lead]
    assert _names(got.coordinate) == coords


def test_several_leads_keep_the_first_and_flag():
    warnings: list[str] = []
    got = assignees(_ctx(), "Giao Sở Tài chính, Sở Xây dựng rà soát các dự án.", warnings)
    assert _names(got.lead) == ["Sở Tài chính"] and _names(got.coordinate) == ["Sở Xây dựng"]
    assert warnings


def test_the_party_an_item_is_addressed_to():
    got = addressee(_ctx(), fold("Trung tâm Phát triển quỹ đất tỉnh: Đẩy nhanh việc bàn giao mặt bằng"), [],
                    bare=False)
    assert [a["name"] for a in got] == ["Trung tâm Phát triển quỹ đất tỉnh"]
    assert addressee(_ctx(), fold("Rà soát các dự án: khẩn trương"), [], bare=False) == []


def test_the_preambles_audience():
    got = audience(_ctx(), "UBND tỉnh yêu cầu các sở, ban, ngành, địa phương thực hiện các nhiệm vụ sau:")
    assert [a["group"] for a in got] == ["all"]
    assert audience(_ctx(), "Hội nghị đã thảo luận.") == []


def test_same_and_merge_all():
    a = {"name": "Sở Tài chính", "agency_id": "stc", "group": None, "as_written": "STC"}
    assert same(a, dict(a, as_written="Sở TC")) and not same(a, {"name": "Sở Y tế", "agency_id": "syt", "group": None})
    parts = [{"name": "các sở", "agency_id": None, "group": "so-ban-nganh", "as_written": "các sở"},
             {"name": "các xã", "agency_id": None, "group": "xa", "as_written": "UBND các xã"}]
    assert [x["group"] for x in merge_all(parts)] == ["all"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=120))
def test_any_text_gives_at_most_one_lead(text):
    got = assignees(_ctx(), text, [])
    assert len(got.lead) <= 1
    assert not any(same(a, b) for a in got.lead for b in got.coordinate)
