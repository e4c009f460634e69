"""dondoc agencies import: the office's spreadsheet (Vietnamese or English headers) → agencies.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import openpyxl
import pytest

from bot.cli import main
from bot.directory import Directory
from bot.ops.agencies_import import fold, slug

VN_CSV = """\
STT,Tên cơ quan,Viết tắt,Loại,Nhóm
1,Sở Nội vụ,Sở NV; SNV,"Sở, ban, ngành",so-ban-nganh
2,Sở Kế hoạch và Đầu tư,Sở KH&ĐT,sở ban ngành,"Các sở, ban, ngành"
3,,SXX,sở,
4,UBND huyện Tuy Phước,,Địa phương,huyen; dia-phuong
5,Báo Bình Định,,khác,Khối báo chí
6,Sở Văn hóa,SNV,sở,so-ban-nganh
7,Cục Thuế tỉnh,,trung ương,trung-uong
8,Trường Chính trị tỉnh,,trường học,

9,Đài Phát thanh và Truyền hình tỉnh,Đài PT-TH,khac,
"""


def run(*argv, capsys):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def check_config_accepts(tmp_path, toml_path, capsys) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[people]\nadmins = [1]\n[directory]\nfile = "{toml_path}"\n', encoding="utf-8")
    code, out, err = run("check-config", "--config", str(cfg), capsys=capsys)
    assert code == 0, err
    assert "OK" in out


def test_vietnamese_csv_with_bad_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
    src = tmp_path / "danh-ba.csv"
    src.write_text(VN_CSV, encoding="utf-8")
    out = tmp_path / "agencies.toml"
    code, printed, err = run("agencies", "import", str(src), "--out", str(out), "--province", "Bình Định",
                             capsys=capsys)
    assert code == 0
    problems = err.strip().splitlines()
    # the spreadsheet's row numbers (the header is row 1): 4 no name, 7 SNV twice, 9 unknown kind
    assert [p.split(":")[1].strip() for p in problems] == ["row 4", "row 7", "row 9"], problems
    assert "SNV" in problems[1] and "row 2" in problems[1]
    assert "trường học" in problems[2]
    assert "6 agencies written" in printed
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    assert data["province"] == "Bình Định"
    by_name = {a["name"]: a for a in data["agency"]}
    assert by_name["Sở Nội vụ"] == {"id": "so-noi-vu", "name": "Sở Nội vụ", "kind": "department",
                                   "short": ["Sở NV", "SNV"], "groups": ["so-ban-nganh"]}
    assert by_name["Sở Kế hoạch và Đầu tư"]["groups"] == ["so-ban-nganh"]  # a standard label, commas and all
    assert by_name["UBND huyện Tuy Phước"]["kind"] == "locality"
    assert by_name["UBND huyện Tuy Phước"]["groups"] == ["huyen", "dia-phuong"]
    assert by_name["Báo Bình Định"]["groups"] == ["khoi-bao-chi"]
    assert data["groups"] == {"khoi-bao-chi": "Khối báo chí"}
    assert by_name["Cục Thuế tỉnh"]["kind"] == "central"
    assert by_name["Đài Phát thanh và Truyền hình tỉnh"]["id"] == "dai-phat-thanh-va-truyen-hinh-tinh"
    check_config_accepts(tmp_path, out, capsys)
    directory = Directory.load(out)
    assert directory.resolve("SKHĐT").agency.id == by_name["Sở Kế hoạch và Đầu tư"]["id"]
    assert not directory.warnings


@pytest.mark.parametrize("header", [
    ["Name", "Short", "Kind", "Groups"],
    ["TEN", "VIET TAT", "LOAI", "NHOM"],
    ["tên", "viết tắt", "loại", "nhóm"],
])
def test_xlsx_with_english_or_diacritics_free_headers(tmp_path, capsys, header, monkeypatch):
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Danh bạ cơ quan tỉnh (cập nhật 2024)"])  # a title above the header
    ws.append(header)
    ws.append(["Sở Tài chính", "STC, Sở TC", "department", "so-ban-nganh"])
    ws.append(["UBND thị xã An Nhơn", None, "locality", "huyen"])
    ws.append(["Công an tỉnh", "CA tỉnh", "central", None])
    src = tmp_path / "agencies.xlsx"
    wb.save(src)
    out = tmp_path / "agencies.toml"
    code, printed, err = run("agencies", "import", str(src), "--out", str(out), capsys=capsys)
    assert code == 0 and not err.strip(), err
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    assert [a["id"] for a in data["agency"]] == ["so-tai-chinh", "ubnd-thi-xa-an-nhon", "cong-an-tinh"]
    assert data["agency"][0]["short"] == ["STC", "Sở TC"]
    assert [a["kind"] for a in data["agency"]] == ["department", "locality", "central"]
    check_config_accepts(tmp_path, out, capsys)


def test_nothing_taken_exits_2_and_writes_nothing(tmp_path, capsys):
    src = tmp_path / "a.csv"
    src.write_text("Tên,Loại\n,sở\nSở Y tế,không rõ\n", encoding="utf-8")
    out = tmp_path / "agencies.toml"
    code, _printed, err = run("agencies", "import", str(src), "--out", str(out), capsys=capsys)
    assert code == 2 and not out.exists()
    assert "row 2" in err and "row 3" in err
    src.write_text("Cơ sở,Địa chỉ\nX,Y\n", encoding="utf-8")  # no column of names
    code, _printed, err = run("agencies", "import", str(src), "--out", str(out), capsys=capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "tên / name" in err
    code, _printed, err = run("agencies", "import", str(tmp_path / "missing.csv"), "--out", str(out), capsys=capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_semicolon_csv_in_a_windows_encoding_as_a_process(tmp_path):
    src = tmp_path / "a.csv"
    src.write_bytes("Tên;Viết tắt;Loại\nSở Y tế;SYT;Sở\n".encode("utf-8-sig"))
    out = tmp_path / "agencies.toml"
    r = subprocess.run([sys.executable, "-m", "bot", "agencies", "import", str(src), "--out", str(out)],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert tomllib.loads(out.read_text(encoding="utf-8"))["agency"][0]["short"] == ["SYT"]


def test_fold_and_slug():
    assert fold("  Viết  Tắt ") == "viet tat" and fold("ĐỊA PHƯƠNG") == "dia phuong"
    assert slug("Sở Kế hoạch & Đầu tư") == "so-ke-hoach-va-dau-tu"
    assert len(slug("Ban Quản lý Khu kinh tế tỉnh và các khu công nghiệp trên địa bàn")) <= 40
