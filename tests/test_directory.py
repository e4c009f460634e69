"""Agency directory: loading, validation, lookup by any written form, groups."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.directory import Directory, DirectoryError, Match, normalise, strip_diacritics
from bot.models import Agency, AgencyKind

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "agencies.example.toml"


@pytest.fixture(scope="module")
def bd() -> Directory:
    """Bình Định 2024 (the sample province) on top of the national names."""
    return Directory.load(EXAMPLE)


@pytest.fixture(scope="module")
def nat() -> Directory:
    """National names only (a province that has not written its file yet)."""
    return Directory.load(None)


def write(tmp_path: Path, text: str, name: str = "agencies.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- the written forms

@pytest.mark.parametrize("written", ["So Noi vu", "sở nội vụ", "SNV", "Sở Nội vụ", "SỞ NỘI VỤ",
                                     "Sở NV", "snv", "So  noi   vu", "Sở Nội vụ tỉnh Bình Định",
                                     unicodedata.normalize("NFD", "Sở Nội vụ")])
def test_so_noi_vu_any_form(bd, written):
    m = bd.resolve(written)
    assert m.sure and m.agency_id == "so-noi-vu", m
    assert m.as_written == written


@pytest.mark.parametrize("written,expected", [
    ("Sở KH&ĐT", "so-ke-hoach-dau-tu"), ("Sở KHĐT", "so-ke-hoach-dau-tu"),
    ("SKHĐT", "so-ke-hoach-dau-tu"), ("Sở KH và ĐT", "so-ke-hoach-dau-tu"),
    ("Sở Kế hoạch - Đầu tư", "so-ke-hoach-dau-tu"), ("So Ke hoach va Dau tu", "so-ke-hoach-dau-tu"),
    ("Sở TT&TT", "so-thong-tin-truyen-thong"), ("Sở TTTT", "so-thong-tin-truyen-thong"),
    ("Sở LĐ-TB&XH", "so-lao-dong-tbxh"), ("Sở LĐTBXH", "so-lao-dong-tbxh"),
    ("Sở Lao động, Thương binh và Xã hội", "so-lao-dong-tbxh"),
    ("VP UBND tỉnh", "van-phong-ubnd-tinh"), ("VPUBND", "van-phong-ubnd-tinh"),
    ("Văn phòng Ủy ban nhân dân tỉnh", "van-phong-ubnd-tinh"),
    ("Van phong Uy ban nhan dan tinh", "van-phong-ubnd-tinh"),
    ("Văn phòng UBND tỉnh Bình Định", "van-phong-ubnd-tinh"),
    ("Sở NN&PTNT", "so-nong-nghiep-ptnt"), ("Sở TN&MT", "so-tai-nguyen-moi-truong"),
    ("Sở GD&ĐT", "so-giao-duc-dao-tao"), ("Sở GTVT", "so-giao-thong-van-tai"),
    ("Sở KH&CN", "so-khoa-hoc-cong-nghe"), ("CA tỉnh", "cong-an-tinh"),
    ("Công an tỉnh Bình Định", "cong-an-tinh"), ("Bộ CHQS tỉnh", "bo-chi-huy-quan-su-tinh"),
    ("Sở Tài chính", "so-tai-chinh"), ("Sở Tư pháp", "so-tu-phap"), ("Sở Y tế", "so-y-te"),
    ("UBND huyện Tuy Phước", "h-tuy-phuoc"), ("Ủy ban nhân dân huyện Phù Cát", "h-phu-cat"),
    ("huyện Hoài Ân", "h-hoai-an"), ("TP. Quy Nhơn", "tp-quy-nhon"), ("UBND TP Quy Nhơn", "tp-quy-nhon"),
    ("UBND thị xã An Nhơn", "tx-an-nhon"), ("TX Hoài Nhơn", "tx-hoai-nhon"),
    ("Trường ĐH Quy Nhơn", "dai-hoc-quy-nhon"), ("Đài PT&TH tỉnh", "dai-phat-thanh-truyen-hinh-tinh"),
    ("Báo Bình Định", "bao-binh-dinh"), ("Ủy ban MTTQ Việt Nam tỉnh", "uy-ban-mttq-tinh"),
    ("UBMTTQVN tỉnh", "uy-ban-mttq-tinh"), ("UBND tỉnh", "ubnd-tinh"),
    ("Ban QL Khu kinh tế", "ban-quan-ly-khu-kinh-te"), ("Thanh tra tỉnh", "thanh-tra-tinh"),
])
def test_abbreviations_and_plain_forms(bd, written, expected):
    m = bd.resolve(written)
    assert m.sure and m.agency_id == expected, m


def test_auto_initials_without_listing_them():
    d = Directory.from_agencies([Agency("x", "Sở Giáo dục và Đào tạo", AgencyKind.DEPARTMENT)])
    for written in ("SGDĐT", "Sở GDĐT", "sgddt"):
        assert d.resolve(written).agency_id == "x"


# ---------------------------------------------------------------- the sample's OCR noise

@pytest.mark.parametrize("written,expected", [
    ("S¢ No6i vu", "so-noi-vu"),
    ("S& Thong tin va Truyén thong", "so-thong-tin-truyen-thong"),
    ("S& Ké hoach va Pau tu", "so-ke-hoach-dau-tu"),
    ("Cong an tinh", "cong-an-tinh"),
    ("Vin phong Uy ban nhéan dan tinh", "van-phong-ubnd-tinh"),
    ("Vin\nphong Uy ban nhéan dan tinh", "van-phong-ubnd-tinh"),
    ("Truong Pai hoc Quy Nhon", "dai-hoc-quy-nhon"),
    ("Pai PT&TH tinh", "dai-phat-thanh-truyen-hinh-tinh"),
    ("Bao Binh Dinh", "bao-binh-dinh"),
    ("Uy ban MTTQ Viét Nam tinh", "uy-ban-mttq-tinh"),
    ("S0 Tai chinh", "so-tai-chinh"),
    ("Sé Tw phap", "so-tu-phap"),
    ("S& Gido duc va Pao tao", "so-giao-duc-dao-tao"),
    ("S& Lao dong - Thuong binh va X4 hoi", "so-lao-dong-tbxh"),
    ("UBND huyén Tuy Phwéc", "h-tuy-phuoc"),
])
def test_sample_ocr_noise(bd, written, expected):
    m = bd.resolve(written)
    assert m.sure and m.agency_id == expected, m


def test_span_with_trailing_words_gives_rest(bd):
    m = bd.resolve("S¢ No6i vu - Co quan Thuong truc Ban chi dao cai cach hanh chinh")
    assert m.sure and m.agency_id == "so-noi-vu"
    assert m.rest.startswith("Co quan Thuong truc")
    m = bd.resolve("Vin\nphong Uy ban nhéan dan tinh dé& xudt")
    assert m.sure and m.agency_id == "van-phong-ubnd-tinh" and m.rest == "dé& xudt"
    m = bd.resolve("Sở Nội vụ chủ trì")
    assert m.agency_id == "so-noi-vu" and m.rest == "chủ trì"


def test_leading_filler_words(bd):
    assert bd.resolve("Giao Sở Nội vụ").agency_id == "so-noi-vu"
    assert bd.resolve("phối hợp với Sở Tài chính").agency_id == "so-tai-chinh"
    assert bd.resolve("Chủ tịch UBND huyện Tây Sơn").agency_id == "h-tay-son"
    assert bd.resolve("Giám đốc Sở Y tế").agency_id == "so-y-te"


# ---------------------------------------------------------------- unsure, garbage, near names

def test_tai_chinh_is_not_tu_phap(bd):
    assert bd.resolve("Sở Tài chính").agency_id == "so-tai-chinh"
    assert bd.resolve("Sở Tư pháp").agency_id == "so-tu-phap"
    m = bd.resolve("Sở Tài chánh")
    assert m.agency_id != "so-tu-phap"


@pytest.mark.parametrize("garbage", ["Sở Ngoại giao mặt trăng", "xyz", "Sở", "Hội nông dân xã",
                                     "Công ty TNHH Mặt Trời", "1234", "—", "Bộ Quốc phòng Sao Hỏa",
                                     "nhiệm vụ cải cách hành chính"])
def test_garbage_not_confident(bd, garbage):
    m = bd.resolve(garbage)
    assert not m.sure and m.agency is None and m.group is None, m


def test_unsure_lists_candidates(bd):
    m = bd.resolve("Sở Ngoại giao mặt trăng")
    assert not m.sure and m.agency is None
    assert all(isinstance(c, Agency) for c in m.candidates)


def test_ambiguous_written_form_is_unsure():
    d = Directory.from_agencies([
        Agency("a", "Sở Văn hóa và Thể thao", AgencyKind.DEPARTMENT),
        Agency("b", "Sở Văn hóa và Thông tin", AgencyKind.DEPARTMENT),
    ])
    m = d.resolve("Sở VHTT")  # initials of both
    assert not m.sure and m.agency is None and {c.id for c in m.candidates} == {"a", "b"}


def test_close_fuzzy_candidates_are_unsure():
    d = Directory.from_agencies([
        Agency("a", "Sở Nội vụ", AgencyKind.DEPARTMENT),
        Agency("b", "Sở Ngoại vụ", AgencyKind.DEPARTMENT),
    ])
    m = d.resolve("Sở Ngi vụ")  # OCR lost the letters that tell them apart
    assert not m.sure and m.agency is None and {c.id for c in m.candidates} == {"a", "b"}


def test_close_names_told_apart_by_their_distinct_words(bd):
    # whole names are 90+% alike; the words that differ decide
    assert bd.resolve("UBND huyen Vén Canh").agency_id == "h-van-canh"
    assert bd.resolve("uBNd huyện Phu cét").agency_id == "h-phu-cat"
    assert bd.resolve("ubnd thJ xa an Nh&n").agency_id == "tx-an-nhon"
    assert bd.resolve("Uy ban nhén dan thi xa Hoai Nh&n").agency_id == "tx-hoai-nhon"


def test_abbreviation_prefix_does_not_split_a_word(bd):
    m = bd.resolve("So Tc&lT")  # a mangled "Sở TT&TT", not "Sở TC" + "&lT"
    assert m.agency_id != "so-tai-chinh"
    m = bd.resolve("Sở c te")
    assert m.agency_id != "so-cong-thuong"


# ---------------------------------------------------------------- 2025 mergers

def test_pre_2025_names_in_a_2024_province(bd):
    for written, aid in [("Sở KH&ĐT", "so-ke-hoach-dau-tu"), ("Sở TT&TT", "so-thong-tin-truyen-thong"),
                         ("Sở LĐ-TB&XH", "so-lao-dong-tbxh"), ("Sở GTVT", "so-giao-thong-van-tai")]:
        m = bd.resolve(written)
        assert m.agency_id == aid and m.note is None and m.listed


def test_post_2025_name_unknown_to_a_2024_province(bd):
    m = bd.resolve("Sở Nông nghiệp và Môi trường")
    assert m.agency_id == "so-nong-nghiep-moi-truong" and not m.listed and m.note
    assert bd.get("so-nong-nghiep-moi-truong") is not None
    assert "so-nong-nghiep-moi-truong" not in {a.id for a in bd.members("so-ban-nganh")}


MERGED = """
province = "Quảng Ngãi"
[[agency]]
id = "so-tai-chinh"
name = "Sở Tài chính"
kind = "department"
groups = ["so-ban-nganh"]
[[agency]]
id = "so-khcn"
name = "Sở Khoa học và Công nghệ"
kind = "department"
groups = ["so-ban-nganh"]
[[agency]]
id = "so-nnmt"
name = "Sở Nông nghiệp và Môi trường"
kind = "department"
groups = ["so-ban-nganh"]
[[agency]]
id = "so-noi-vu"
name = "Sở Nội vụ"
kind = "department"
groups = ["so-ban-nganh"]
[[agency]]
id = "so-xd"
name = "Sở Xây dựng"
kind = "department"
formerly = ["Sở Giao thông vận tải"]
"""


@pytest.mark.parametrize("written,successor", [
    ("Sở Kế hoạch và Đầu tư", "so-tai-chinh"), ("Sở KH&ĐT", "so-tai-chinh"),
    ("S& Ké hoach va Pau tu", "so-tai-chinh"),
    ("Sở Thông tin và Truyền thông", "so-khcn"), ("S& Thong tin va Truyén thong", "so-khcn"),
    ("Sở NN&PTNT", "so-nnmt"), ("Sở Tài nguyên và Môi trường", "so-nnmt"),
    ("Sở LĐ-TB&XH", "so-noi-vu"), ("Sở Giao thông vận tải", "so-xd"),
])
def test_old_names_resolve_to_successor_in_a_merged_province(tmp_path, written, successor):
    d = Directory.load(write(tmp_path, MERGED))
    m = d.resolve(written)
    assert m.sure and m.agency_id == successor and m.listed, m
    assert m.note == f"đã hợp nhất vào {d.get(successor).name}"


def test_national_only_directory(nat):
    ids = {a.id for a in nat.agencies}
    assert "so-tai-chinh" in ids and "so-ke-hoach-dau-tu" not in ids  # replaced in 2025
    m = nat.resolve("Sở KH&ĐT")
    assert m.agency_id == "so-tai-chinh" and m.note == "đã hợp nhất vào Sở Tài chính"
    assert nat.resolve("Sở Dân tộc và Tôn giáo").agency_id == "so-dan-toc-ton-giao"
    assert nat.resolve("Ban Dân tộc").agency_id == "so-dan-toc-ton-giao"
    assert nat.resolve("SNN&MT").agency_id == "so-nong-nghiep-moi-truong"


def test_successor_api(tmp_path):
    d = Directory.load(write(tmp_path, MERGED))
    assert d.successor("so-ke-hoach-dau-tu").id == "so-tai-chinh"
    assert d.successor("so-tai-chinh") is None


def test_replaces_in_province_file(tmp_path):
    p = write(tmp_path, """
[[agency]]
id = "stc"
name = "Sở Tài chính"
kind = "department"
replaces = ["skhdt"]
""")
    d = Directory.load(p, national=False)
    assert d.resolve("Sở Tài chính").agency_id == "stc"


# ---------------------------------------------------------------- province overrides national

def test_province_overrides_national_by_id(tmp_path):
    p = write(tmp_path, """
[[agency]]
id = "so-noi-vu"
name = "Sở Nội vụ"
kind = "department"
short = ["Sở Nội vụ BĐ"]
groups = ["khoi-noi-chinh"]
[groups]
khoi-noi-chinh = "Khối nội chính"
""")
    d = Directory.load(p)
    assert d.get("so-noi-vu").groups == ["khoi-noi-chinh"]
    assert d.resolve("Sở Nội vụ BĐ").agency_id == "so-noi-vu"
    assert [a.id for a in d.agencies] == ["so-noi-vu"]
    assert d.group_label("khoi-noi-chinh") == "Khối nội chính"
    assert d.warnings == []


def test_province_overrides_national_by_name(tmp_path):
    p = write(tmp_path, """
[[agency]]
id = "snv"
name = "Sở Nội vụ"
kind = "department"
""")
    d = Directory.load(p)
    assert d.resolve("SNV").agency_id == "snv"
    assert d.resolve("sở nội vụ").agency_id == "snv"
    assert d.get("so-noi-vu").id == "snv"  # the national id is an alias
    # the national Sở Nội vụ replaced Sở LĐ-TB&XH: that still leads to the province's entry
    assert d.resolve("Sở LĐ-TB&XH").agency_id == "snv"


def test_province_form_beats_national_form(tmp_path):
    p = write(tmp_path, """
[[agency]]
id = "so-ngoai-vu-x"
name = "Sở Ngoại vụ và Du lịch"
kind = "department"
short = ["Sở DL"]
""")
    d = Directory.load(p)
    assert d.resolve("Sở DL").agency_id == "so-ngoai-vu-x"


# ---------------------------------------------------------------- groups

@pytest.mark.parametrize("written,group", [
    ("các sở, ban, ngành, địa phương", "all"),
    ("Các sở, ban, ngành, địa phương trên địa bàn tỉnh", "all"),
    ("các cơ quan, đơn vị, địa phương", "all"),
    ("Thủ trưởng các cơ quan, đơn vị, địa phương", "all"),
    ("Thu truong cac co quan, don vi, dia phuong trén dia ban tinh", "all"),
    ("Nguoi dimg dau cac cO quan, don vi, dia phuong trén dia ban tinh", "all"),
    ("các sở, ban, ngành", "so-ban-nganh"),
    ("Céac s0, ban, nganh thudc tinh", "so-ban-nganh"),
    ("UBND các huyện, thị xã, thành phố", "huyen"),
    ("UBND các huyện, TX, TP", "huyen"),
    ("UBND cac huyén, TX, TP", "huyen"),
    ("Ủy ban nhân dân các huyện, thị xã, thành phố", "huyen"),
    ("UBND các xã, phường, thị trấn", "xa"),
    ("UBND céc x4, phuong, thi trin", "xa"),
    ("UBND các xã, phường", "xa"),
    ("các cơ quan Trung ương trên địa bàn", "trung-uong"),
    ("Cac co quan TW trén dia ban tinh", "trung-uong"),
    ("các cơ quan, đơn vị liên quan", "lien-quan"),
    ("cac co quan, don vi lién quan", "lien-quan"),
    ("các cơ quan, đơn vị có liên quan", "lien-quan"),
])
def test_resolve_group(bd, written, group):
    assert bd.resolve_group(written) == group
    m = bd.resolve(written)
    assert m.group == group and m.sure and m.agency is None


@pytest.mark.parametrize("written", ["Sở Nội vụ", "UBND huyện Tuy Phước", "các nhiệm vụ", "", "cải cách hành chính"])
def test_not_a_group(bd, written):
    assert bd.resolve_group(written) is None


def test_group_labels(bd):
    assert bd.group_label("huyen") == "UBND các huyện, thị xã, thành phố"
    assert bd.group_label("all") == "Các sở, ban, ngành, địa phương"
    assert bd.group_label("lien-quan") == "Các cơ quan, đơn vị liên quan"
    assert bd.group_label("unknown-x") == "unknown-x"
    assert set(bd.groups()) >= {"all", "so-ban-nganh", "dia-phuong", "huyen", "xa", "trung-uong"}


def test_members(bd):
    huyen = {a.id for a in bd.members("huyen")}
    assert len(huyen) == 11 and "tp-quy-nhon" in huyen and "h-hoai-an" in huyen
    sbn = {a.id for a in bd.members("so-ban-nganh")}
    assert {"so-noi-vu", "van-phong-ubnd-tinh", "cong-an-tinh", "thanh-tra-tinh"} <= sbn
    assert not sbn & huyen
    everyone = {a.id for a in bd.members("all")}
    assert sbn | huyen <= everyone
    assert "bao-binh-dinh" not in everyone and "dai-hoc-quy-nhon" not in everyone
    assert "dai-hoc-quy-nhon" in {a.id for a in bd.members("trung-uong")}
    assert bd.members("lien-quan") == [] and bd.members("xa") == []
    # only the province's agencies are members, never national-only names
    assert "so-nong-nghiep-moi-truong" not in everyone


# ---------------------------------------------------------------- the example file

def test_example_file_loads_clean(bd):
    assert bd.warnings == []
    assert bd.province == "Bình Định"
    kinds = {a.id: a.kind for a in bd.agencies}
    assert kinds["so-noi-vu"] is AgencyKind.DEPARTMENT
    assert kinds["tx-an-nhon"] is AgencyKind.LOCALITY
    assert kinds["uy-ban-mttq-tinh"] is AgencyKind.OTHER
    assert sum(k is AgencyKind.LOCALITY for k in kinds.values()) == 11
    for a in bd.agencies:
        assert a.name == unicodedata.normalize("NFC", a.name)
        assert bd.resolve(a.name).agency_id == a.id, a.name
        for s in a.short:
            assert bd.resolve(s).agency_id == a.id, s


def test_national_file_forms_are_unambiguous(nat):
    for a in [nat.get(i) for i in nat._entries]:
        m = nat.resolve(a.name)
        assert m.sure, a.name


def test_get(bd):
    assert bd.get("so-noi-vu").name == "Sở Nội vụ"
    assert bd.get("nope") is None


# ---------------------------------------------------------------- validation: one-line errors

@pytest.mark.parametrize("body,expected", [
    ('[[agency]]\nid = "snv"\nname = "Sở Nội vụ"\nkind = "sở"\n',
     "agencies.toml: agency 'snv': 'kind' must be one of department, locality, central, other"),
    ('[[agency]]\nid = "snv"\nname = "Sở Nội vụ"\nshrot = ["SNV"]\n',
     "agencies.toml: agency 'snv': unknown key 'shrot'"),
    ('[[agency]]\nid = "a"\nname = "Sở A"\n[[agency]]\nid = "a"\nname = "Sở B"\n',
     "agencies.toml: agency 'a': duplicate id"),
    ('[[agency]]\nid = "a"\nname = "Sở Nội vụ"\nshort = ["SNV"]\n[[agency]]\nid = "b"\nname = "Sở Ngoại vụ"\nshort = ["snv"]\n',
     "agencies.toml: agency 'b': 'snv' is also a name of agency 'a'"),
    ('[[agency]]\nname = "Sở A"\n', "agencies.toml: agency #1: missing 'id'"),
    ('[[agency]]\nid = "a"\n', "agencies.toml: agency 'a': missing 'name'"),
    ('[[agency]]\nid = "Sở A"\nname = "Sở A"\n', "agencies.toml: agency 'Sở A': 'id' must be"),
    ('[[agency]]\nid = "a"\nname = "Sở A"\nshort = [1, 2]\n', "agencies.toml: agency 'a': 'short' must be a list"),
    ('[[agency]]\nid = "a"\nname = "Sở A"\ngroups = ["Sở Ban"]\n', "agencies.toml: agency 'a': bad group id"),
    ('[[agency]]\nid = "a"\nname = "Sở A"\nreplaces = ["a"]\n', "agencies.toml: agency 'a': 'replaces' lists the agency itself"),
    ('agencies = []\n', "agencies.toml: unknown key 'agencies'"),
    ('[agency]\nid = "a"\n', "agencies.toml: 'agency' must be written as [[agency]] tables"),
    ('[[agency]\nid = "a"\n', "agencies.toml: not valid TOML"),
    ('province = 3\n', "agencies.toml: 'province' must be"),
    ('[groups]\nx = 3\n', "agencies.toml: groups: 'x' must be a label"),
    ('[[agency]]\nid = "a"\nname = "---"\n', "agencies.toml: agency 'a': form '---' has no letters"),
])
def test_validation_errors_are_one_line(tmp_path, monkeypatch, body, expected):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, body)
    with pytest.raises(DirectoryError) as exc:
        Directory.load(Path("agencies.toml"), national=False)
    msg = str(exc.value)
    assert msg.startswith(expected), msg
    assert "\n" not in msg


def test_unreadable_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DirectoryError, match=r"^missing\.toml: file not found$"):
        Directory.load(Path("missing.toml"))
    (tmp_path / "bad.toml").write_bytes("[[agency]]\nid = \"a\"\nname = \"S\xf4\"\n".encode("cp1258"))
    with pytest.raises(DirectoryError, match=r"^bad\.toml: not UTF-8 text$"):
        Directory.load(Path("bad.toml"))
    with pytest.raises(DirectoryError, match="is a folder"):
        Directory.load(tmp_path)


def test_unknown_group_is_a_warning(tmp_path):
    p = write(tmp_path, '[[agency]]\nid = "a"\nname = "Sở A"\ngroups = ["so-ban-ngan"]\n')
    d = Directory.load(p, national=False)
    assert len(d.warnings) == 1 and "so-ban-ngan" in d.warnings[0] and "\n" not in d.warnings[0]


def test_same_short_form_on_one_agency_is_fine(tmp_path):
    p = write(tmp_path, '[[agency]]\nid = "a"\nname = "Sở Nội vụ"\nshort = ["SNV", "snv", "S.N.V"]\n')
    Directory.load(p, national=False)


# ---------------------------------------------------------------- normalising

def test_normalise():
    assert normalise("Sở KH&ĐT") == "so kh dt"
    assert normalise("Sở Kế hoạch và Đầu tư") == "so ke hoach dau tu"
    assert normalise("VP UBND tỉnh") == "van phong uy ban nhan dan tinh"
    assert normalise("TP. Quy Nhơn") == "thanh pho quy nhon"
    assert normalise("S¢ No6i vu", ocr=True) == "so noi vu"
    assert normalise("S& Ké hoach va Pau tu", ocr=True) == "so ke hoach dau tu"
    assert strip_diacritics("Đài Phát thanh") == "dai phat thanh"


def test_match_is_a_copy(bd):
    m = bd.resolve("Sở Nội vụ")
    m.candidates.clear()
    m.agency = None
    assert bd.resolve("Sở Nội vụ").agency_id == "so-noi-vu"
    assert isinstance(m, Match)


# ---------------------------------------------------------------- properties

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_resolve_never_crashes(bd, text):
    m = bd.resolve(text)
    assert 0.0 <= m.score <= 100.0
    assert not (m.sure and m.agency is None and m.group is None)
    if m.agency is not None:
        assert bd.get(m.agency.id) is not None
    bd.resolve_group(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_without_diacritics_same_agency(bd, data):
    a = data.draw(st.sampled_from(bd.agencies))
    form = data.draw(st.sampled_from([a.name, *a.short]))
    how = data.draw(st.sampled_from(["plain", "PLAIN", "nfd", "UPPER"]))
    written = {"plain": strip_diacritics(form), "PLAIN": strip_diacritics(form).upper(),
               "nfd": unicodedata.normalize("NFD", form), "UPPER": form.upper()}[how]
    m = bd.resolve(written)
    assert m.sure and m.agency_id == a.id, (form, written, m)


TAILS = ["chủ trì, phối hợp với các cơ quan liên quan", "tham mưu UBND tỉnh", "báo cáo kết quả",
         "đề xuất Chủ tịch", "triển khai thực hiện", "và Sở Y tế", "phối hợp"]


def test_every_name_followed_by_other_words(bd):
    """What the reader passes: a name, then the rest of the sentence (with and without marks)."""
    failures = []
    for a in bd.agencies:
        for form in [a.name, *a.short]:
            for tail in TAILS:
                for f, t in ((form, tail), (strip_diacritics(form), strip_diacritics(tail))):
                    if f != form and len(f.split()) == 1:
                        continue  # a lowercased abbreviation ("snv") is only an abbreviation alone
                    m = bd.resolve(f"{f} {t}")
                    if not (m.sure and m.agency_id == a.id and m.rest == t):
                        failures.append((f, t, m.agency_id, m.rest))
    assert failures == []


# ---------------------------------------------------------------- ordinary phrases are not agencies

@pytest.mark.parametrize("phrase", [
    "chu tai chinh",          # "tự chủ tài chính", not Sở Tài chính
    "ngan sach nha nuoc",     # "ngân sách nhà nước", not Ngân hàng Nhà nước
    "con mang tinh",          # "còn mang tính", not Công an tỉnh
    "cia tinh", "caa tinh", "của tỉnh",
    "thanh tra",              # the activity, not Thanh tra tỉnh
    "tinh, Uy",               # across a comma, not Tỉnh ủy
    "tỉnh thành",
    "sd, xay dung",           # "số, xây dựng"
    "Bao",
])
def test_ordinary_phrases_are_not_confident(bd, phrase):
    m = bd.resolve(phrase)
    assert not m.sure or m.group, m


def test_commas_inside_a_name_are_fine(bd):
    assert bd.resolve("Sở Lao động, Thương binh và Xã hội").agency_id == "so-lao-dong-tbxh"
    assert bd.resolve("Sở Văn hóa, Thể thao và Du lịch").agency_id == "so-van-hoa-the-thao-du-lich"
    m = bd.resolve("Sở Nội vụ, Sở Tài chính")  # two names: the first, and the rest
    assert m.agency_id == "so-noi-vu" and m.rest == "Sở Tài chính"


# the recipients block ("Nơi nhận") of the sample notice, as the OCR gave it
RECIPIENTS = [
    ("Uy ban MTTQ Viét Nam tinh", "uy-ban-mttq-tinh", None),
    ("Céac s0, ban, nganh thudc tinh", None, "so-ban-nganh"),
    ("Cac co quan TW trén dia ban tinh", None, "trung-uong"),
    ("Truong Pai hoc Quy Nhon", "dai-hoc-quy-nhon", None),
    ("Pai PT&TH tinh", "dai-phat-thanh-truyen-hinh-tinh", None),
    ("Bao Binh Dinh", "bao-binh-dinh", None),
    ("UBND cac huyén, TX, TP", None, "huyen"),
    ("UBND céc x4, phuong, thi trin", None, "xa"),
    ("TT Tinh uy", None, None),
]


@pytest.mark.parametrize("written,agency_id,group", RECIPIENTS)
def test_sample_recipients(bd, written, agency_id, group):
    m = bd.resolve(written)
    if agency_id is None and group is None:
        return
    assert m.sure and m.agency_id == agency_id and m.group == group, m


# ---------------------------------------------------------------- places and levels

def test_locality_under_its_former_unit(bd):
    # Hoài Nhơn became a thị xã in 2020; old notices say "huyện Hoài Nhơn"
    m = bd.resolve("UBND huyện Hoài Nhơn")
    assert m.sure and m.agency_id == "tx-hoai-nhon"
    assert bd.resolve("UBND thành phố An Nhơn").agency_id == "tx-an-nhon"


def test_commune_is_not_the_district(bd):
    assert not bd.resolve("UBND xã Hoài Nhơn").sure
    assert not bd.resolve("Hội nông dân xã").sure
    assert not bd.resolve("Công an huyện Tuy Phước").sure


def test_another_province(bd, nat):
    assert bd.resolve("Sở Y tế tỉnh Bình Định").agency_id == "so-y-te"  # ours
    m = bd.resolve("Sở Nội vụ tỉnh Quảng Nam")  # not ours
    assert not m.sure and [c.id for c in m.candidates][:1] == ["so-noi-vu"]
    m = nat.resolve("Sở Nội vụ tỉnh Quảng Nam phối hợp")  # province unknown: the name, and the rest
    assert m.agency_id == "so-noi-vu" and m.rest == "tỉnh Quảng Nam phối hợp"


def test_party_bodies_are_not_departments(bd):
    m = bd.resolve("Ban Tuyên giáo Tỉnh ủy")
    assert m.agency_id == "ban-tuyen-giao-tinh-uy" and not m.listed
    assert bd.resolve("Ban Tuyen giao Tinh uy").agency_id == "ban-tuyen-giao-tinh-uy"
    assert bd.resolve("Ban Tôn giáo").agency_id == "ban-ton-giao"
    assert bd.resolve("Tỉnh ủy").agency_id == "tinh-uy"
    assert not bd.resolve("tỉnh đã").sure


def test_two_names_in_one_span(bd):
    m = bd.resolve("Sở Y tế và Sở Tài chính")
    assert m.agency_id == "so-y-te" and m.rest == "và Sở Tài chính"


def test_rest_is_a_suffix_of_the_text(bd):
    for text in ("Sở Nội vụ chủ trì.", "S¢ No6i vu - Co quan Thuong truc,", "Công an tỉnh; Sở Y tế"):
        m = bd.resolve(text)
        assert m.sure and text.endswith(m.rest) and m.rest, m


# ---------------------------------------------------------------- a province after the 2025 reorganisation

def test_national_names_without_diacritics(nat):
    """Every national name, stripped of diacritics, finds what the name itself finds."""
    for aid in list(nat._entries):
        a = nat.get(aid)
        want = nat.resolve(a.name)
        got = nat.resolve(strip_diacritics(a.name))
        assert got.sure and got.agency_id == want.agency_id, a.name


def test_replacing_a_listed_agency_is_a_warning(tmp_path):
    p = write(tmp_path, """
[[agency]]
id = "stc"
name = "Sở Tài chính"
replaces = ["skhdt"]
[[agency]]
id = "skhdt"
name = "Sở Kế hoạch và Đầu tư"
""")
    d = Directory.load(p, national=False)
    assert d.warnings == [f"{p}: agency 'stc' replaces 'skhdt', which is still listed"]
    assert d.resolve("Sở KH&ĐT").agency_id == "skhdt"  # still listed: itself


def test_empty_and_odd_inputs(bd):
    for text in ("", " ", "\n\t", "---", ",,,", "&", "¢", "0", None):
        m = bd.resolve(text)  # type: ignore[arg-type]
        assert not m.sure and m.agency is None
    assert Directory.load(None, national=False).resolve("Sở Nội vụ").agency is None
