"""dondoc export: every assignment and every progress report in a workbook, while the bot runs."""

from __future__ import annotations

import asyncio
import datetime as dt
import stat

import openpyxl

from bot.cli import main
from tests.harness import bot_env
from tests.test_e2e_tracking import CA_GROUP, CA_USER, SNV_GROUP, SNV_USER, card_for, published_env
from tests.test_ops_backup import one_line_error, write_config

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


async def test_export_while_the_bot_runs(emulator, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
    cfg = write_config(tmp_path)
    out = tmp_path / "archive.xlsx"
    async with bot_env(emulator, tmp_path) as env:
        _snv, _ca, tasks, _ = await published_env(env)
        code = {t.ref: t.code for t in tasks}
        card = card_for(emulator, SNV_GROUP, "8.1")
        emulator.send(SNV_USER, SNV_GROUP, "Đang triển khai, đã họp các phòng", reply_to=card["message_id"])
        await emulator.wait_for_bot_message(SNV_GROUP, lambda m: "Đã ghi nhận" in m["text"])
        card = card_for(emulator, CA_GROUP, "1")
        emulator.send(CA_USER, CA_GROUP, "Báo cáo kết quả", reply_to=card["message_id"],
                      document=("bao-cao-CA.pdf", PDF, "application/pdf"))
        await emulator.wait_for_bot_message(CA_GROUP, lambda m: "Đã ghi nhận" in m["text"])
        await emulator.wait_idle()
        n_assignments = len(env.store.notices.assignments())
        assert await asyncio.to_thread(main, ["export", "--config", str(cfg), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{n_assignments} assignments, 2 progress reports" in printed
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Giao việc", "Báo cáo tiến độ"]
    rows = list(wb["Giao việc"].iter_rows(values_only=True))
    head = rows[0]
    for col in ("Số thông báo", "Ngày thông báo", "Mã NV", "Cơ quan", "Vai trò", "Thời hạn", "Tình trạng",
                "Báo cáo gần nhất", "Ngày báo cáo gần nhất"):
        assert col in head, col
    col = {name: i for i, name in enumerate(head)}
    body = rows[1:]
    assert len(body) == n_assignments
    assert {r[col["Số thông báo"]] for r in body} == {"89/TB-UBND"}
    assert {r[col["Ngày thông báo"]].date() for r in body} == {dt.date(2024, 3, 11)}
    snv_81 = next(r for r in body if r[col["Mã NV"]] == code["8.1"] and r[col["Cơ quan"]] == "Sở Nội vụ")
    assert snv_81[col["Vai trò"]] == "Chủ trì"
    assert snv_81[col["Thời hạn"]].date() == dt.date(2024, 3, 31)
    assert "họp các phòng" in snv_81[col["Báo cáo gần nhất"]]
    assert snv_81[col["Ngày báo cáo gần nhất"]] == dt.datetime(2024, 3, 12, 9, 0)
    assert snv_81[col["Tình trạng"]]
    reports = list(wb["Báo cáo tiến độ"].iter_rows(values_only=True))
    rh = {name: i for i, name in enumerate(reports[0])}
    for name in ("Thời gian", "Cơ quan", "Mã NV", "Người báo cáo", "Nội dung báo cáo", "Tệp đính kèm"):
        assert name in rh, name
    got = {(r[rh["Cơ quan"]], r[rh["Mã NV"]], r[rh["Người báo cáo"]]): r for r in reports[1:]}
    assert set(got) == {("Sở Nội vụ", code["8.1"], "Minh"), ("Công an tỉnh", code["1"], "Tuấn")}
    assert got[("Công an tỉnh", code["1"], "Tuấn")][rh["Tệp đính kèm"]] == "bao-cao-CA.pdf"
    assert got[("Sở Nội vụ", code["8.1"], "Minh")][rh["Nội dung báo cáo"]] == "Đang triển khai, đã họp các phòng"


def test_export_refusals(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DONDOC_TOKEN", raising=False)
    cfg = write_config(tmp_path)
    assert main(["export", "--config", str(cfg), "--out", str(tmp_path / "a.xlsx")]) == 2
    one_line_error(capsys.readouterr().err)  # no data yet
    assert main(["export", "--config", str(cfg), "--out", str(tmp_path / "a.csv")]) == 2
    assert ".xlsx" in capsys.readouterr().err
    assert main(["export", "--config", str(cfg), "--out", str(tmp_path / "nope" / "a.xlsx")]) == 2
    assert "does not exist" in capsys.readouterr().err
