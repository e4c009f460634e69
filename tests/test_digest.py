"""Weekly digest: message content and splitting, workbook, Word report and chart read back."""

import datetime as dt
import io

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.calendar import WorkingCalendar
from bot.digest import DigestSettings, DigestSettingsError, build_data, build_digest, digest_filename
from bot.digest.build import render_messages
from bot.models import Agency, Assignment, Extension, Notice, Progress, Report, Role, Task

D = dt.date
TZ = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 4, 12, 16, 0, tzinfo=TZ)  # Friday 16:00


def at(y, m, d, h=9):
    return dt.datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


def world():
    notices = [Notice(id="n1", number="89/TB-UBND", issued_on=D(2024, 3, 11))]
    tasks = [
        Task(id="t1", notice_id="n1", code="NV1", ref="8.1", text="Tham mưu hợp nhất <b>Ban Chỉ đạo</b>"),
        Task(id="t2", notice_id="n1", code="NV2", ref="8.2", text="Rà soát kế hoạch CCHC & PAR Index"),
        Task(id="t3", notice_id="n1", code="NV3", ref="8.3", text="Khảo sát PAPI độc lập"),
        Task(id="t4", notice_id="n1", code="NV4", ref="1", text="Quán triệt cải cách hành chính",
             recurring="thường xuyên"),
        Task(id="t5", notice_id="n1", code="NV5", ref="10", text="Báo cáo chỉ số", deadline=D(2024, 4, 5)),
    ]
    agencies = [
        Agency(id="snv", name="Sở Nội vụ"),
        Agency(id="stc", name="Sở Tài chính"),
        Agency(id="sxd", name="Sở Xây dựng <test>"),
    ]
    sent = at(2024, 3, 15)

    def a(id, task, agency, deadline, role=Role.LEAD, **kw):
        return Assignment(id=id, task_id=task, notice_id="n1", agency_id=agency, role=role,
                          deadline=deadline, sent_at=sent, **kw)

    assignments = [
        a("a1", "t1", "snv", D(2024, 3, 31), completed_at=at(2024, 4, 10),
          done_reported_at=at(2024, 4, 9)),  # done late, completed this week
        a("a2", "t1", "stc", D(2024, 3, 31), role=Role.COORDINATE, progress=Progress.BLOCKED),
        a("a3", "t2", "snv", D(2024, 3, 31)),  # overdue since 2/4
        a("a4", "t3", "sxd", D(2024, 4, 30), original_deadline=D(2024, 3, 31),
          extensions=[Extension(requested_at=at(2024, 4, 1), requested_by=7, new_deadline=D(2024, 4, 30),
                                reason="Chờ ý kiến <Bộ>", decision="approved", decided_by=1,
                                decided_at=at(2024, 4, 8), previous_deadline=D(2024, 3, 31))]),
        a("a5", "t4", "stc", None, recurring="thường xuyên"),
        a("a6", "t5", "stc", D(2024, 4, 5), progress=Progress.BLOCKED),  # newly overdue, blocked
        a("a7", "t5", "snv", D(2024, 4, 5), role=Role.COORDINATE, closed=True),
    ]
    reports = [
        Report(id="r1", assignment_id="a1", notice_id="n1", agency_id="snv", chat_id=-1, message_id=1,
               author_id=5, author_name="A", at=at(2024, 4, 9), text="Đã hoàn thành", status=Progress.DONE),
        Report(id="r2", assignment_id="a6", notice_id="n1", agency_id="stc", chat_id=-2, message_id=2,
               author_id=6, author_name="B", at=at(2024, 4, 10),
               text="Vướng <b>kinh phí</b> & nhân lực", status=Progress.BLOCKED),
        Report(id="r3", assignment_id="a2", notice_id="n1", agency_id="stc", chat_id=-2, message_id=3,
               author_id=6, author_name="B", at=at(2024, 3, 20), text="Vướng mắc cũ", status=Progress.BLOCKED),
    ]
    return notices, tasks, assignments, reports, agencies


def test_data_view(cal):
    data = build_data(NOW, *world(), cal)
    s = data.summary
    assert (s.total, s.due, s.done) == (5, 3, 1)  # lead only, closed excluded
    assert [r.code for r in data.overdue] == ["NV2", "NV5"]  # longest first
    assert data.overdue[0].days_overdue == 11  # 1/4 (effective) -> 12/4
    assert [r.assignment.id for r in data.completed] == ["a1"]
    assert [r.assignment.id for r in data.newly_overdue] == ["a6"]
    assert [e.new_deadline for e, _ in data.extensions] == [D(2024, 4, 30)]
    assert {r.assignment.id for r in data.blockers} == {"a2", "a6"}
    assert [r.id for r, _ in data.new_reports] == ["r1", "r2"]
    assert dict(data.silent) == {"Sở Xây dựng <test>": 1}  # snv and stc reported this week
    assert len(data.rows) == 6
    assert [r.ref for r in data.rows][:3] == ["1", "8.1", "8.1"]  # natural item order, lead first
    assert data.rows[1].role == Role.LEAD


def test_message_content_and_escaping(cal):
    digest = build_digest(NOW, *world(), cal)
    text = "\n".join(digest.messages)
    assert "Đã hoàn thành quá hạn: <b>1</b>" in text
    assert "Chưa hoàn thành, quá hạn: <b>2</b>" in text
    assert "33,3%" in text and "(1/3 nhiệm vụ đến hạn)" in text
    assert "quá hạn 11 ngày" in text
    assert text.index("NV2") < text.index("<b>NV5</b> Sở Tài chính — <b>quá hạn")
    assert "Vướng &lt;b&gt;kinh phí&lt;/b&gt; &amp; nhân lực" in text
    assert "<b>kinh phí</b>" not in text
    assert "Sở Xây dựng &lt;test&gt;" in text
    assert "Chờ ý kiến &lt;Bộ&gt;" in text
    assert all(len(m) <= 4096 for m in digest.messages)


def _many(n_agencies=60, per_agency=20):
    notices = [Notice(id="n1", number="12/TB-UBND", issued_on=D(2024, 1, 5))]
    agencies = [Agency(id=f"ag{i}", name=f"Ủy ban nhân dân huyện <Số {i}> & phụ cận") for i in range(n_agencies)]
    tasks, assignments, reports = [], [], []
    for i in range(n_agencies):
        for j in range(per_agency):
            tid = f"t{i}-{j}"
            tasks.append(Task(id=tid, notice_id="n1", code=f"NV{i * per_agency + j}", ref=f"{i}.{j}",
                              text="Triển khai <script>nhiệm vụ</script> " * 10))
            assignments.append(Assignment(id=f"a{i}-{j}", task_id=tid, notice_id="n1", agency_id=f"ag{i}",
                                          role=Role.LEAD, deadline=D(2024, 2, 1) + dt.timedelta(days=j),
                                          sent_at=at(2024, 1, 10),
                                          progress=Progress.BLOCKED if j % 3 == 0 else Progress.IN_PROGRESS))
            reports.append(Report(id=f"r{i}-{j}", assignment_id=f"a{i}-{j}", notice_id="n1",
                                  agency_id=f"ag{i}", chat_id=-i, message_id=j, author_id=1, author_name="x",
                                  at=at(2024, 4, 10) if i % 2 else at(2024, 3, 1), text="<b>" * 50))
    return notices, tasks, assignments, reports, agencies


def test_long_digest_splits_under_4096_at_line_boundaries(cal):
    digest = build_digest(NOW, *_many(), cal, DigestSettings(max_items=200))
    assert len(digest.messages) > 1
    for m in digest.messages:
        assert len(m) <= 4096
        assert m.count("<b>") == m.count("</b>")  # no tag cut in half
        assert "<script>" not in m
    # nothing lost between messages: every overdue code appears
    text = "\n".join(digest.messages)
    assert text.count("quá hạn") >= 200
    assert "mục khác" in text  # lists are capped, the rest is in the workbook


def test_workbook_reads_back(cal):
    digest = build_digest(NOW, *world(), cal)
    wb = load_workbook(io.BytesIO(digest.xlsx))
    ws = wb["Nhiệm vụ"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:5] == ("STT", "Số thông báo", "Mục", "Mã NV", "Nội dung nhiệm vụ")
    assert len(rows) == 1 + 6
    by_code = {(r[3], r[5]): r for r in rows[1:]}
    r = by_code[("NV2", "Sở Nội vụ")]
    assert r[1] == "89/TB-UBND" and r[2] == "8.2" and r[6] == "Chủ trì"
    assert r[7].date() == D(2024, 4, 1)  # effective deadline
    assert r[8] == "Chưa hoàn thành, quá hạn" and r[9] == 11
    r = by_code[("NV5", "Sở Tài chính")]
    assert r[11] == "Vướng <b>kinh phí</b> & nhân lực"  # raw text in the workbook
    assert r[12] == dt.datetime(2024, 4, 10, 9, 0)
    assert by_code[("NV1", "Sở Tài chính")][6] == "Phối hợp"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:M7"
    assert ws.column_dimensions["E"].width >= 50
    assert ws["E2"].alignment.wrap_text and ws["E7"].alignment.wrap_text
    assert ws["H7"].number_format == "DD/MM/YYYY" and not ws["A7"].alignment.wrap_text
    summary = wb["Tổng hợp theo cơ quan"]
    srows = list(summary.iter_rows(values_only=True))
    assert srows[0][1] == "Cơ quan" and len(srows) == 1 + 3 + 1
    assert srows[-1][1].startswith("Toàn tỉnh") and srows[-1][2] == 5


def test_word_report_reads_back(cal):
    digest = build_digest(NOW, *world(), cal, DigestSettings(issuer_parent="UBND tỉnh Bình Định"))
    doc = Document(io.BytesIO(digest.docx))
    head = doc.tables[0]
    left = head.rows[0].cells[0].text
    right = head.rows[0].cells[1].text
    assert "UBND TỈNH BÌNH ĐỊNH" in left and "VĂN PHÒNG" in left and "Số:" in left and "/BC-VP" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right
    assert "ngày" in right and "tháng" in right and "năm" in right
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO" in body and "Tình hình thực hiện nhiệm vụ" in body
    assert "33,3%" in body and "NV2" in body
    table = doc.tables[1]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0][1] == "Cơ quan" and cells[0][3] == "Đã hoàn thành đúng hạn"
    assert [row[1] for row in cells[1:-1]] == ["Sở Nội vụ", "Sở Tài chính", "Sở Xây dựng <test>"]
    stc = cells[2]
    assert stc[2] == "3"  # coordinating included per agency
    assert cells[-1][2] == "5"
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.text.strip()}
    assert fonts == {"Times New Roman"}
    sizes = {r.font.size.pt for p in doc.paragraphs for r in p.runs if r.text.strip()}
    assert sizes <= {12.0, 13.0, 14.0}


def test_chart_renders_png(cal):
    digest = build_digest(NOW, *world(), cal)
    assert digest.chart_png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    img = Image.open(io.BytesIO(digest.chart_png))
    assert img.width >= 800 and img.height >= 200
    big = build_digest(NOW, *_many(), cal)
    img = Image.open(io.BytesIO(big.chart_png))
    assert img.height > 1000  # 40 bars, the rest named in a note


def test_empty_world(cal):
    digest = build_digest(NOW, [], [], [], [], [], cal)
    assert digest.messages and "(không có)" in digest.messages[0]
    assert digest.chart_png.startswith(b"\x89PNG")
    assert load_workbook(io.BytesIO(digest.xlsx))["Nhiệm vụ"].max_row == 1


def test_files_and_settings():
    assert digest_filename(dt.datetime(2024, 3, 15, 16, tzinfo=TZ), "xlsx") == "bao-cao-tuan-2024-03-15.xlsx"
    assert DigestSettings().ptb_day == 5  # PTB 22 run_daily: Sunday = 0, Friday = 5
    assert DigestSettings(weekday="Monday").ptb_day == 1
    with pytest.raises(DigestSettingsError, match="weekday"):
        DigestSettings(weekday="fri")
    with pytest.raises(DigestSettingsError, match="time"):
        DigestSettings(time="4pm")


def test_render_messages_small_limit(cal):
    data = build_data(NOW, *world(), cal)
    parts = render_messages(data, limit=300)
    assert len(parts) > 3 and all(len(p) <= 300 for p in parts)


def _with_standing_and_a_second_notice():
    notices, tasks, assignments, reports, agencies = world()
    notices = [*notices, Notice(id="n2", number="120/TB-UBND", issued_on=D(2024, 3, 20),
                                title="Kết luận về chuyển đổi số")]
    tasks = [*tasks,
             Task(id="t6", notice_id="n1", code="NV6", ref="2", text="Thủ trưởng các cơ quan quán triệt"),
             Task(id="t7", notice_id="n2", code="NV7", ref="1", text="Số hóa hồ sơ", deadline=D(2024, 5, 31))]
    sent = at(2024, 3, 15)
    standing = [Assignment(id=f"s{i}", task_id="t6", notice_id="n1", agency_id=ag, role=Role.LEAD,
                           deadline=None, sent_at=sent, standing=True)
                for i, ag in enumerate(("snv", "stc", "sxd"))]
    other = Assignment(id="b1", task_id="t7", notice_id="n2", agency_id="stc", role=Role.LEAD,
                       deadline=D(2024, 5, 31), sent_at=sent)
    return notices, tasks, [*assignments, *standing, other], reports, agencies


def test_standing_duties_of_every_agency_are_counted_apart(cal):
    world2 = _with_standing_and_a_second_notice()
    data = build_data(NOW, *world2, cal)
    s = data.summary
    assert (s.total, s.due, s.done) == (6, 3, 1)  # the 3 standing duties are not in the categories
    assert (s.standing, s.standing_tasks) == (3, 1)
    # sxd's standing duty does not make it "silent" twice: only its real task counts.
    assert dict(data.silent) == {"Sở Xây dựng <test>": 1}
    per = dict(data.agencies)
    assert per["Sở Xây dựng <test>"].total == 1 and per["Sở Xây dựng <test>"].standing == 1
    digest = build_digest(NOW, *world2, cal)
    text = "\n".join(digest.messages)
    assert "Nhiệm vụ chung cho tất cả cơ quan: <b>1</b> (3 lượt giao" in text
    wb = load_workbook(io.BytesIO(digest.xlsx))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert sum(1 for r in rows if r[8] == "Nhiệm vụ chung (thường xuyên)") == 3
    srows = list(wb.worksheets[1].iter_rows(values_only=True))
    assert srows[0][-1] == "Nhiệm vụ chung (thường xuyên)"
    assert srows[-1][1].startswith("Toàn tỉnh") and srows[-1][2] == 6 and srows[-1][-1] == 3
    doc = Document(io.BytesIO(digest.docx))
    agencies = [[c.text for c in r.cells] for r in doc.tables[1].rows]
    assert agencies[0][-1] == "Nhiệm vụ chung (thường xuyên)" and agencies[-1][-1] == "3"
    assert [r[-1] for r in agencies[1:-1]] == ["1", "1", "1"]
    body = "\n".join(p.text for p in Document(io.BytesIO(digest.docx)).paragraphs)
    assert "1 nhiệm vụ chung giao cho tất cả các cơ quan" in body and "(3 lượt giao)" in body


def test_word_report_names_each_notice_with_its_tasks_under_it(cal):
    digest = build_digest(NOW, *_with_standing_and_a_second_notice(), cal)
    doc = Document(io.BytesIO(digest.docx))
    body = [p.text for p in doc.paragraphs]
    first = next(i for i, p in enumerate(body) if p.startswith("Thông báo số 89/TB-UBND ngày 11/03/2024"))
    second = next(i for i, p in enumerate(body) if p.startswith("Thông báo số 120/TB-UBND ngày 20/03/2024"))
    assert first < second and "(Kết luận về chuyển đổi số)" in body[second]
    t1 = [[c.text for c in r.cells] for r in doc.tables[2].rows]
    t2 = [[c.text for c in r.cells] for r in doc.tables[3].rows]
    assert t1[0][2] == "Nhiệm vụ" and t1[0][3] == "Cơ quan chủ trì"
    assert [r[1] for r in t1[1:]] == ["1", "2", "8.1", "8.2", "8.3", "10"]  # one row per task, item order
    assert [r[2].split(".")[0] for r in t1[1:]] == ["NV4", "NV6", "NV1", "NV2", "NV3", "NV5"]
    row82 = t1[4]
    assert row82[3] == "Sở Nội vụ" and row82[4] == "01/04/2024" and row82[5].startswith("Chưa hoàn thành, quá hạn")
    assert t1[2][3].startswith("Tất cả cơ quan") and t1[2][5] == "Nhiệm vụ chung (thường xuyên)"
    assert [r[2].split(".")[0] for r in t2[1:]] == ["NV7"]  # the other notice's task under it only


def test_an_agency_with_only_standing_duties_gets_no_empty_bar(cal):
    from bot.digest.chart import _bars

    notices, tasks, assignments, reports, agencies = _with_standing_and_a_second_notice()
    agencies = [*agencies, Agency(id="sx", name="UBND huyện X")]
    only = Assignment(id="s9", task_id="t6", notice_id="n1", agency_id="sx", role=Role.LEAD, deadline=None,
                      sent_at=at(2024, 3, 15), standing=True)
    data = build_data(NOW, notices, tasks, [*assignments, only], reports, agencies, cal)
    assert dict(data.agencies)["UBND huyện X"].standing == 1
    names = [name for name, _ in _bars(data)[0]]
    assert "UBND huyện X" not in names and "Sở Nội vụ" in names


# ------------------------------------------------------------------ from the store's indexes = from everything


def _docx_text(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    out = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        out += [" | ".join(c.text for c in row.cells) for row in table.rows]
    return out


def _sheet_values(data: bytes) -> list[list]:
    wb = load_workbook(io.BytesIO(data))
    return [[list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets]


@pytest.mark.parametrize("seed", [1, 2])
def test_digest_from_the_store_equals_a_full_recomputation(seed, cal, tmp_path, monkeypatch):
    """make_digest reads this week's report heads and each assignment's latest report from the store's
    indexes; the digest is the same as one built from every report of every notice."""
    import random

    import bot.digest.chart
    from bot.followup import make_digest
    from storage import DataStore

    # (the chart shows data.agencies, compared below: not drawn here, to keep the test fast)
    monkeypatch.setattr(bot.digest.chart, "render_chart", lambda data: b"png")

    rng = random.Random(seed)
    agencies = [Agency(id=f"ag{i}", name=f"Sở số {i}") for i in range(6)]
    notices, tasks, assignments, reports = [], [], [], []
    for n in range(3):
        nid = f"n{n}"
        notices.append(Notice(id=nid, number=f"{n + 1}/TB-UBND", issued_on=D(2024, 1, 10 + n), state="published"))
        for k in range(6):
            deadline = None if rng.random() < 0.2 else D(2024, 3, 1) + dt.timedelta(days=rng.randint(0, 60))
            tasks.append(Task(id=f"{nid}-t{k}", notice_id=nid, code=f"NV{n * 6 + k + 1}", ref=f"{k + 1}",
                              text=f"Nhiệm vụ {k} của thông báo {n}", deadline=deadline))
            for r, role in enumerate([Role.LEAD, Role.COORDINATE]):
                a = Assignment(id=f"{nid}-t{k}-{r}", task_id=f"{nid}-t{k}", notice_id=nid,
                               agency_id=rng.choice(agencies).id, role=role, deadline=deadline,
                               sent_at=at(2024, 1, 15), closed=rng.random() < 0.1,
                               progress=rng.choice([Progress.NONE, Progress.BLOCKED, Progress.IN_PROGRESS]))
                if rng.random() < 0.3:
                    a.done_reported_at = at(2024, 3, 1) + dt.timedelta(days=rng.randint(0, 45))
                    if rng.random() < 0.7 and a.done_reported_at <= NOW:
                        a.completed_at = a.done_reported_at + dt.timedelta(days=rng.randint(0, 3))
                assignments.append(a)
    for i in range(120):  # a few after now (a clock behind), many this week, the rest earlier
        a = rng.choice(assignments)
        when = NOW - dt.timedelta(hours=rng.randint(-30, 24 * 40))
        reports.append(Report(id=f"r{i}", assignment_id=a.id, notice_id=a.notice_id, agency_id=a.agency_id,
                              chat_id=-100, message_id=i, author_id=7, author_name="Cán bộ", at=when,
                              text=f"báo cáo {i}", status=Progress.IN_PROGRESS))
    notices.append(Notice(id="draft", number="9/TB-UBND", issued_on=D(2024, 4, 1)))  # not published: not shown
    store = DataStore.open(tmp_path / "data")
    try:
        for notice in notices:
            store.notices.create_notice(notice, [tk for tk in tasks if tk.notice_id == notice.id])
        store.notices.add_assignments(assignments)
        for r in reports:
            store.notices.add_report(r)

        class Dir:
            def __init__(self):
                self.agencies = agencies

            def get(self, agency_id):
                return next((ag for ag in agencies if ag.id == agency_id), None)

        settings = DigestSettings(max_items=5, chart_process=False)
        since = NOW - dt.timedelta(days=6, hours=3)
        for start in (None, since):
            got = make_digest(store, Dir(), NOW, cal, settings, since=start)
            published = [n for n in notices if n.state == "published"]
            stored_tasks = [tk for n in published for tk in store.notices.tasks(n.id)]
            full = build_digest(NOW, published, stored_tasks, [a for a in assignments], reports, agencies, cal,
                                settings, since=start)
            assert got.messages == full.messages
            assert [(r.assignment.id, r.last_report and r.last_report.id) for r in got.data.rows] == \
                   [(r.assignment.id, r.last_report and r.last_report.id) for r in full.data.rows]
            assert [r.id for r, _ in got.data.new_reports] == [r.id for r, _ in full.data.new_reports]
            assert got.data.summary == full.data.summary and got.data.agencies == full.data.agencies
            assert _sheet_values(got.xlsx) == _sheet_values(full.xlsx)
            assert _docx_text(got.docx) == _docx_text(full.docx)
            assert any(r.last_report for r in got.data.rows) and got.data.new_reports
    finally:
        store.close()


def test_chart_in_a_child_process_is_the_same_png_and_falls_back_when_the_child_fails(cal, monkeypatch, caplog):
    from bot.digest import chart

    data = build_data(NOW, *world(), cal)
    here = chart.render_chart(data)
    job = chart.ChartJob()
    job.send(data)
    assert job.result() == here
    monkeypatch.setattr(chart.sys, "executable", "/bin/false")  # a child that fails at once
    job = chart.ChartJob()
    job.send(data)
    assert job.result() == here
    assert "drawn in the bot" in caplog.text
    monkeypatch.setattr(chart.sys, "executable", "/nonexistent/python")  # no child at all
    job = chart.ChartJob()
    job.send(data)
    assert job.result().startswith(b"\x89PNG")
    job = chart.ChartJob()
    job.cancel()  # the digest failed before its chart: the child is ended
