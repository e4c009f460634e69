"""The notice as an Excel sheet (bot/sheet.py): writing, reading back, the diff against the tasks."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot import sheet, workflow
from bot.directory import Directory
from bot.models import Notice, Task

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = Directory.load(ROOT / "agencies.example.toml")
UTC = dt.timezone.utc


def agency(name: str) -> dict:
    ref = workflow.agency_ref(DIRECTORY, name)
    assert ref is not None, name
    return ref


def make_notice() -> tuple[Notice, list[Task]]:
    notice = Notice(id="n0test", number="0/TB-THU", issued_on=dt.date(2024, 3, 11), issuer="UBND tỉnh",
                    kind="Thông báo", title="Kết luận <thử>", created_at=dt.datetime(2024, 3, 11, tzinfo=UTC))
    tasks = [
        Task(id="n0test-1", notice_id="n0test", code="NV1", ref="1", text="Rà soát thủ tục hành chính.",
             lead=[agency("Sở Nội vụ")], coordinate=[agency("Sở Tài chính")], deadline=dt.date(2024, 3, 31),
             deadline_text="trước ngày 31/3/2024"),
        Task(id="n0test-2", notice_id="n0test", code="NV2", ref="2", text="=SUM(A1) không phải công thức",
             lead=[{"name": "Nhà đầu tư", "agency_id": None, "group": None, "as_written": "Nhà đầu tư"}],
             warnings=["doubtful:deadline", "Thời hạn đọc không rõ"]),
        Task(id="n0test-3", notice_id="n0test", code="NV3", ref="8.1", text="Báo cáo định kỳ.",
             lead=[agency("Công an tỉnh")], recurring="hằng tháng"),
        Task(id="n0test-4", notice_id="n0test", code="NV4", ref="9", text="Đã bỏ", dropped=True),
    ]
    return notice, tasks


def edit(data: bytes, change) -> bytes:
    """Open the bot's workbook as a clerk would, change it, save it."""
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rows_of(wb) -> list[list]:
    ws = wb["Nhiệm vụ"]
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


def new_ids():
    n = iter(range(1, 1000))
    return lambda: f"n0test-t{next(n)}"


# ------------------------------------------------------------------ writing

def test_written_sheet_is_readable_and_maps_back():
    notice, tasks = make_notice()
    data = sheet.write_sheet(notice, tasks)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Nhiệm vụ", "Thông báo"]
    ws = wb["Nhiệm vụ"]
    assert [c.value for c in ws[1]] == ["Mã", "Mục", "Nội dung", "Chủ trì", "Phối hợp", "Hạn", "Định kỳ", "Ghi chú"]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width >= 60 and ws["C2"].alignment.wrap_text
    rows = rows_of(wb)
    assert len(rows) == 3  # the dropped task is not in the sheet
    assert rows[0][:6] == ["NV1", "1", "Rà soát thủ tục hành chính.", "Sở Nội vụ", "Sở Tài chính",
                           dt.datetime(2024, 3, 31)]
    assert ws["F2"].number_format == "DD/MM/YYYY"
    assert ws["C3"].data_type == "s" and rows[1][2].startswith("=SUM")  # text, never a formula
    assert "Nhà đầu tư" in rows[1][7] and "hạn" in rows[1][7] and "Thời hạn đọc không rõ" in rows[1][7]
    assert rows[2][1] == "8.1" and rows[2][6] == "hằng tháng"
    head = {r[0]: r[1] for r in wb["Thông báo"].iter_rows(values_only=True) if r[0]}
    assert head["Số"] == "0/TB-THU" and head["Trích yếu"] == "Kết luận <thử>"
    assert head["Mã trong bot (không sửa)"] == "n0test" and wb.properties.identifier == "n0test"


def test_round_trip_changes_nothing():
    notice, tasks = make_notice()
    parsed = sheet.read_sheet(sheet.write_sheet(notice, tasks))
    assert parsed.head.notice_id == "n0test" and parsed.head.issued_on == dt.date(2024, 3, 11)
    assert [r.code for r in parsed.rows] == ["NV1", "NV2", "NV3"]
    result = sheet.diff(parsed, notice, tasks, DIRECTORY, new_task_id=new_ids())
    assert result.empty
    assert [t.code for t in result.tasks] == ["NV1", "NV2", "NV3", "NV4"]
    assert result.tasks[1].warnings == tasks[1].warnings  # the note left in place keeps the doubts


def test_template_has_no_rows_and_no_id():
    data = sheet.write_sheet(None, [])
    parsed = sheet.read_sheet(data)
    assert parsed.rows == [] and parsed.head.notice_id is None and parsed.head.number is None
    assert sheet.file_name(None).endswith(".xlsx")


def test_file_name_is_safe():
    notice, _ = make_notice()
    assert sheet.file_name(notice) == "0-TB-THU.xlsx"


# ------------------------------------------------------------------ the clerk's changes

def test_add_delete_split_rewrite_and_change_lead():
    notice, tasks = make_notice()

    def change(wb):
        ws = wb["Nhiệm vụ"]
        ws["C2"] = "Rà soát, đơn giản hóa thủ tục hành chính."  # NV1 rewritten
        ws["D4"] = "Sở Tài chính"  # NV3's lead changed
        ws["F4"] = "30/6/2024"  # typed as text
        ws.delete_rows(3)  # NV2 removed
        ws.append([None, "10", "Nhiệm vụ mới bổ sung", "Sở KH&ĐT", "Sở Nội vụ; Công an tỉnh", "15/7", None, None])
        ws.append(["NV1", "1b", "Phần tách ra của mục 1", "Sở Nội vụ", None, None, None, None])  # a split

    parsed = sheet.read_sheet(edit(sheet.write_sheet(notice, tasks), change))
    result = sheet.diff(parsed, notice, tasks, DIRECTORY, new_task_id=new_ids())
    kinds = [(c.kind, c.task.code or c.task.ref, c.fields) for c in result.changes]
    assert ("changed", "NV1", ["text"]) in kinds
    assert ("changed", "NV3", ["lead", "deadline"]) in kinds
    assert ("removed", "NV2", []) in kinds
    added = [c.task for c in result.changes if c.kind == "added"]
    assert [t.ref for t in added] == ["10", "1b"] and all(t.code == "" for t in added)
    new = added[0]
    assert new.lead[0]["agency_id"] == agency("Sở Kế hoạch và Đầu tư")["agency_id"]
    assert [r["agency_id"] for r in new.coordinate] == [agency("Sở Nội vụ")["agency_id"], agency("Công an tỉnh")["agency_id"]]
    assert new.deadline == dt.date(2024, 7, 15)  # no year: the notice's year
    nv3 = next(t for t in result.tasks if t.code == "NV3")
    assert nv3.deadline == dt.date(2024, 6, 30) and nv3.lead[0]["name"] == "Sở Tài chính"
    # Order: the sheet's rows, then the removed task (kept, dropped) and the one dropped before.
    assert [t.code or t.ref for t in result.tasks] == ["NV1", "NV3", "10", "1b", "NV2", "NV4"]
    assert next(t for t in result.tasks if t.code == "NV2").dropped
    assert (result.count("added"), result.count("changed"), result.count("removed")) == (2, 2, 1)


def test_unknown_names_are_kept_as_written_and_groups_resolved():
    notice, tasks = make_notice()

    def change(wb):
        ws = wb["Nhiệm vụ"]
        ws["D2"] = "Công ty Cổ phần Xây dựng Thử Nghiệm"
        ws["E2"] = "- Các sở, ban, ngành\n- UBND các huyện"

    parsed = sheet.read_sheet(edit(sheet.write_sheet(notice, tasks), change))
    result = sheet.diff(parsed, notice, tasks, DIRECTORY, new_task_id=new_ids())
    nv1 = result.tasks[0]
    assert nv1.lead == [{"name": "Công ty Cổ phần Xây dựng Thử Nghiệm", "agency_id": None, "group": None,
                         "as_written": "Công ty Cổ phần Xây dựng Thử Nghiệm"}]
    assert workflow.unresolved(nv1)  # flagged in the preview
    assert [r["group"] for r in nv1.coordinate] == ["so-ban-nganh", "huyen"]


def test_emptied_note_clears_doubts_and_a_changed_field_clears_its_own():
    notice, tasks = make_notice()
    parsed = sheet.read_sheet(edit(sheet.write_sheet(notice, tasks), lambda wb: wb["Nhiệm vụ"].__setitem__("H3", None)))
    result = sheet.diff(parsed, notice, tasks, DIRECTORY, new_task_id=new_ids())
    assert result.tasks[1].warnings == []
    parsed = sheet.read_sheet(edit(sheet.write_sheet(notice, tasks),
                                   lambda wb: wb["Nhiệm vụ"].__setitem__("F3", "31/12/2024")))
    result = sheet.diff(parsed, notice, tasks, DIRECTORY, new_task_id=new_ids())
    assert result.tasks[1].warnings == ["Thời hạn đọc không rõ"] and result.tasks[1].deadline == dt.date(2024, 12, 31)


def test_header_fields_change_the_notice():
    notice, tasks = make_notice()

    def change(wb):
        hs = wb["Thông báo"]
        hs["B5"] = "Kết luận mới"

    parsed = sheet.read_sheet(edit(sheet.write_sheet(notice, tasks), change))
    result = sheet.diff(parsed, notice, tasks, DIRECTORY, new_task_id=new_ids())
    assert result.head == {"title": "Kết luận mới"} and not result.empty


def test_a_dropped_task_brought_back_by_its_row_is_added_again():
    notice, tasks = make_notice()
    data = edit(sheet.write_sheet(notice, tasks),
                lambda wb: wb["Nhiệm vụ"].append(["NV4", "9", "Đã bỏ", "Sở Nội vụ", None, None, None, None]))
    result = sheet.diff(sheet.read_sheet(data), notice, tasks, DIRECTORY, new_task_id=new_ids())
    back = next(c for c in result.changes if c.task.code == "NV4")
    assert back.kind == "added" and not back.task.dropped


# ------------------------------------------------------------------ refusals

def test_bad_date_refused_with_its_row_number():
    notice, tasks = make_notice()
    data = edit(sheet.write_sheet(notice, tasks), lambda wb: wb["Nhiệm vụ"].__setitem__("F3", "31/13/2024"))
    with pytest.raises(sheet.SheetError) as err:
        sheet.read_sheet(data)
    assert err.value.errors == [("sheet.row_bad_date", {"line": "3", "value": "31/13/2024"})]


def test_several_problems_each_named():
    notice, tasks = make_notice()

    def change(wb):
        ws = wb["Nhiệm vụ"]
        ws["F2"] = "sớm nhất có thể"
        ws["C4"] = None  # a row with names but no text
    with pytest.raises(sheet.SheetError) as err:
        sheet.read_sheet(edit(sheet.write_sheet(notice, tasks), change))
    assert [(k, v["line"]) for k, v in err.value.errors] == [("sheet.row_bad_date", "2"), ("sheet.row_no_text", "4")]


def test_a_code_of_another_notice_is_refused():
    notice, tasks = make_notice()
    data = edit(sheet.write_sheet(notice, tasks), lambda wb: wb["Nhiệm vụ"].__setitem__("A2", "NV999"))
    with pytest.raises(sheet.SheetError) as err:
        sheet.diff(sheet.read_sheet(data), notice, tasks, DIRECTORY, new_task_id=new_ids())
    assert err.value.errors == [("sheet.row_unknown_code", {"line": "2", "code": "NV999"})]


@pytest.mark.parametrize("data,key", [
    (b"not a zip at all", "sheet.not_xlsx"),
    (b"PK\x03\x04" + b"\x00" * 100, "sheet.not_xlsx"),
    (b"x" * (sheet.MAX_BYTES + 1), "sheet.too_big"),
])
def test_files_that_are_no_workbook(data, key):
    with pytest.raises(sheet.SheetError) as err:
        sheet.read_sheet(data)
    assert err.value.errors[0][0] == key


def test_a_workbook_without_a_task_table():
    wb = Workbook()
    wb.active.append(["Họ tên", "Điện thoại"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(sheet.SheetError) as err:
        sheet.read_sheet(out.getvalue())
    assert err.value.errors[0][0] == "sheet.no_table"


# ------------------------------------------------------------------ typed from scratch

def test_a_sheet_typed_from_scratch():
    """Columns in another order, a title row above the header, dates as Excel dates and serials."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Bảng"
    ws.append(["DANH MỤC NHIỆM VỤ"])
    ws.append(["STT", "Nội dung nhiệm vụ", "Thời hạn", "Cơ quan chủ trì", "Phối hợp"])
    ws.append([1, "Kiểm tra an toàn thực phẩm", dt.datetime(2024, 5, 31), "Sở Y tế", None])
    ws.append([2, "Báo cáo kết quả", 45473, "Sở Nội vụ", "Sở Y tế"])  # 45473 = 30/6/2024
    ws.append([None, None, None, None, None])
    hs = wb.create_sheet("Thông báo")
    hs.append(["Số", "0/TB-MOI"])
    hs.append(["Ngày", "5/4/2024"])
    hs.append(["Trích yếu", "Kết luận giao ban"])
    out = io.BytesIO()
    wb.save(out)
    parsed = sheet.read_sheet(out.getvalue())
    assert parsed.head.number == "0/TB-MOI" and parsed.head.issued_on == dt.date(2024, 4, 5)
    assert [(r.line, r.ref, r.deadline) for r in parsed.rows] == [(3, "1", dt.date(2024, 5, 31)),
                                                                   (4, "2", dt.date(2024, 6, 30))]
    notice = sheet.new_notice(parsed, notice_id="n0new", source=b"x", source_name="x.xlsx",
                              now=dt.datetime(2024, 4, 5, tzinfo=UTC), by=1)
    assert notice.kind == "Thông báo" and notice.state == "draft"
    result = sheet.diff(parsed, None, [], DIRECTORY, new_task_id=new_ids())
    assert [t.lead[0]["name"] for t in result.tasks] == ["Sở Y tế", "Sở Nội vụ"]


def test_a_new_notice_needs_a_number():
    wb = Workbook()
    wb.active.append(["Mục", "Nội dung", "Chủ trì"])
    wb.active.append(["1", "Việc gì đó", "Sở Y tế"])
    out = io.BytesIO()
    wb.save(out)
    parsed = sheet.read_sheet(out.getvalue())
    with pytest.raises(sheet.SheetError) as err:
        sheet.new_notice(parsed, notice_id="n0", source=b"", source_name="", now=dt.datetime.now(UTC), by=1)
    assert err.value.errors[0][0] == "sheet.new_no_number"


# ------------------------------------------------------------------ storage of a rewritten notice

def test_save_tasks_keeps_order_gives_codes_and_loses_nothing(tmp_path):
    from storage import DataStore

    notice, tasks = make_notice()
    store = DataStore.open(tmp_path / "data")
    try:
        stored = store.notices.create_notice(notice, [dataclasses_replace(t, code="") for t in tasks])
        assert [t.code for t in stored] == ["NV1", "NV2", "NV3", "NV4"]
        new = Task(id="n0test-tnew", notice_id="n0test", code="", ref="1b", text="mới")
        order = [stored[2], new, stored[0], stored[1], stored[3]]
        saved = store.notices.save_tasks(notice, order)
        assert [t.code for t in saved] == ["NV3", "NV5", "NV1", "NV2", "NV4"]
        assert store.notices.task_by_code("NV5").text == "mới"
        with pytest.raises(ValueError):
            store.notices.save_tasks(notice, order[:2])
    finally:
        store.close()
    store = DataStore.open(tmp_path / "data")  # durable, same order after a restart
    try:
        assert [t.code for t in store.notices.tasks("n0test")] == ["NV3", "NV5", "NV1", "NV2", "NV4"]
    finally:
        store.close()


def dataclasses_replace(task: Task, **kw) -> Task:
    import dataclasses

    return dataclasses.replace(task, **kw)


def test_a_zip_bomb_is_refused_before_it_is_expanded():
    import zipfile

    notice, tasks = make_notice()
    good = sheet.write_sheet(notice, tasks)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"</sheetData>" + b" " * (8 * 1024 * 1024))
            dst.writestr(info, data)
    with pytest.raises(sheet.SheetError) as err:
        sheet.read_sheet(out.getvalue())
    assert err.value.errors[0][0].startswith("upload_limits.")


@pytest.mark.parametrize("written,date", [
    ("Quý II/2024", dt.date(2024, 6, 30)),
    ("trong tháng 6/2024", dt.date(2024, 6, 30)),
    ("Trước ngày 15/7/2024", dt.date(2024, 7, 15)),
    ("31/3", dt.date(2024, 3, 31)),
])
def test_deadlines_written_in_words_as_notices_write_them(written, date):
    notice, tasks = make_notice()
    data = edit(sheet.write_sheet(notice, tasks), lambda wb: wb["Nhiệm vụ"].__setitem__("F3", written))
    result = sheet.diff(sheet.read_sheet(data), notice, tasks, DIRECTORY, new_task_id=new_ids())
    nv2 = result.tasks[1]
    assert nv2.deadline == date and nv2.deadline_text == written
