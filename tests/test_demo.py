"""The offline demo (what ./run.sh runs without a token) plays the whole loop, with runtime
dependencies only, and writes the digest's files to the folder it names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Test-only packages made unimportable: the demo must run on what `pip install .` installs.
BLOCK = "import sys\nfor m in ('pytest', 'hypothesis', 'fpdf', '_pytest'):\n    sys.modules[m] = None\n"


def test_demo_plays_the_whole_loop(tmp_path):
    out = tmp_path / "digest"
    code = BLOCK + f"from bot.cli import main\nsys.exit(main(['demo', '--pause', '0', '--out', {str(out)!r}]))\n"
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=240,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr[-3000:]
    text = r.stdout
    assert "Traceback" not in r.stderr
    # registration, import and preview, publish
    assert "startgroup=" in text and "đã được gắn với Sở Nội vụ" in text and "Đã công bố 89/TB-UBND" in text
    # replies: a text, a PDF, a button, and the office's confirmation
    assert "Đã ghi nhận báo cáo của Sở Nội vụ" in text and "📎 to-trinh-ban-chi-dao.pdf" in text
    assert "Tệp đính kèm: 1" in text and "Đã ghi nhận: Đang thực hiện" in text and "đã xác nhận" in text
    # an extension asked and approved
    assert "đề nghị gia hạn" in text and "Văn phòng đồng ý gia hạn" in text
    # a reminder before the deadline, an overdue one, the escalation to the office and to a leader
    assert "còn 3 ngày làm việc" in text and "quá hạn 1 ngày" in text
    assert "[bot → Văn phòng UBND tỉnh] ⚠️ Nhiệm vụ quá hạn cần đôn đốc" in text
    assert "[bot → Giang (Phó Chủ tịch), chat riêng] ⚠️ Nhiệm vụ quá hạn cần đôn đốc" in text
    # the Friday digest and its files, in the folder it names
    assert "BÁO CÁO TUẦN" in text and f"The digest's files are written to {out}" in text
    files = sorted(out.iterdir())
    assert [p.suffix for p in files] == [".docx", ".png", ".xlsx"], files
    assert files[0].read_bytes()[:2] == b"PK" and files[2].read_bytes()[:2] == b"PK"
    assert files[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Tình hình thực hiện nhiệm vụ" in text and text.rstrip().endswith("(see README).")


def test_tiny_pdf_is_a_pdf():
    import io

    import pypdf

    from bot.demo import tiny_pdf

    reader = pypdf.PdfReader(io.BytesIO(tiny_pdf("Bao cao")))
    assert len(reader.pages) == 1 and "Bao cao" in reader.pages[0].extract_text()
