"""A small province for the dashboard's tests, written through the store's own repositories.

At NOW (Tue 12/03/2024 09:00, Asia/Ho_Chi_Minh) the lead assignments are, by official category:
done_on_time NV1 · done_late NV5 · open_on_time NV3, NV6 (deadline moved by an approved extension)
· open_overdue NV2 (21 days, two reports, a file) · ongoing NV4; a dropped task (NV7) and a draft
notice are not counted; NV9 is a standing duty of every agency (two assignments, counted apart).
Completion rate 2/3. Agency contact CONTACT belongs to Sở Tài chính.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from bot.models import (
    Assignment,
    ChatBinding,
    Contact,
    Extension,
    Notice,
    Progress,
    Report,
    ReportFile,
    Role,
    Task,
)

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2024, 3, 12, 9, 0, tzinfo=TZ)
ADMIN, LEADER, CONTACT, STRANGER = 1001, 1002, 3001, 4040
SNV, STC, STP = "so-noi-vu", "so-tai-chinh", "so-tu-phap"
TC_GROUP = -100300


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def build(store) -> dict[str, Task]:
    """Write the world into ``store``; returns tasks by code."""
    n1 = Notice(id="n1", number="89/TB-UBND", issued_on=dt.date(2024, 1, 15), title="Kết luận của Chủ tịch UBND tỉnh",
                source_sha256="sha-n1", state="published", published_at=at(2024, 1, 16, 9))
    n2 = Notice(id="n2", number="90/TB-UBND", issued_on=dt.date(2024, 1, 20), source_sha256="sha-n2",
                state="published", published_at=at(2024, 1, 21, 9))
    n3 = Notice(id="n3", number="91/TB-UBND", issued_on=dt.date(2024, 3, 1), source_sha256="sha-n3", state="draft")

    def task(tid, nid, code, ref, text, deadline=None, recurring=None):
        return Task(id=tid, notice_id=nid, code=code, ref=ref, text=text, deadline=deadline, recurring=recurring)

    tasks1 = [
        task("t1", "n1", "NV1", "1", "Rà soát thủ tục hành chính <b>nội bộ</b>", dt.date(2024, 3, 1)),
        task("t2", "n1", "NV2", "2", "Tham mưu phương án bố trí kinh phí chuyển đổi số", dt.date(2024, 2, 20)),
        task("t3", "n1", "NV3", "3", "Báo cáo kết quả thực hiện Đề án 06", dt.date(2024, 3, 30)),
        task("t4", "n1", "NV4", "4", "Thường xuyên cập nhật cơ sở dữ liệu cán bộ", None, "thường xuyên"),
        task("t7", "n1", "NV7", "5", "Nhiệm vụ đã bỏ", dt.date(2024, 2, 1)),
        task("t9", "n1", "NV9", "6", "Thủ trưởng các cơ quan, đơn vị quán triệt thực hiện nghiêm kỷ luật hành chính",
             None, "thường xuyên"),
    ]
    tasks2 = [
        task("t5", "n2", "NV5", "1", "Hoàn thiện quy chế phối hợp", dt.date(2024, 2, 1)),
        task("t6", "n2", "NV6", "2", "Đề xuất danh mục dự án đầu tư công", dt.date(2024, 3, 5)),
    ]
    tasks3 = [task("t8", "n3", "NV8", "1", "Nhiệm vụ của thông báo chưa công bố", dt.date(2024, 2, 1))]
    stored = {}
    for notice, tasks in ((n1, tasks1), (n2, tasks2), (n3, tasks3)):
        for t in store.notices.create_notice(notice, tasks):
            stored[t.code] = t
    sent = at(2024, 1, 16, 9, 30)

    def asg(aid, t, agency, role=Role.LEAD, **kw):
        return Assignment(id=aid, task_id=t.id, notice_id=t.notice_id, agency_id=agency, role=role,
                          deadline=kw.pop("deadline", t.deadline), original_deadline=t.deadline,
                          recurring=t.recurring, sent_at=sent, chat_id=TC_GROUP, **kw)

    T = stored
    assignments = [
        asg("a1", T["NV1"], SNV, progress=Progress.DONE, done_reported_at=at(2024, 2, 28, 10),
            completed_at=at(2024, 2, 29, 8), confirmed_by=ADMIN),
        asg("a2", T["NV2"], STC, progress=Progress.IN_PROGRESS),
        asg("a2c", T["NV2"], SNV, role=Role.COORDINATE),
        asg("a3", T["NV3"], STP),
        asg("a4", T["NV4"], SNV),
        asg("a7", T["NV7"], STC, closed=True),
        asg("a5", T["NV5"], STC, progress=Progress.DONE, done_reported_at=at(2024, 3, 8, 15),
            completed_at=at(2024, 3, 10, 9), confirmed_by=ADMIN,
            extensions=[Extension(requested_at=at(2024, 1, 30, 9), requested_by=CONTACT,
                                  new_deadline=dt.date(2024, 3, 30), reason="Chờ ý kiến Bộ Tài chính",
                                  decision="refused", decided_by=ADMIN, decided_at=at(2024, 1, 31, 9))]),
        asg("a6", T["NV6"], STP, deadline=dt.date(2024, 4, 5),
            extensions=[Extension(requested_at=at(2024, 3, 4, 9), requested_by=CONTACT,
                                  new_deadline=dt.date(2024, 4, 5), reason="Chờ phân bổ vốn",
                                  decision="approved", decided_by=ADMIN, decided_at=at(2024, 3, 6, 14),
                                  previous_deadline=dt.date(2024, 3, 5))]),
        asg("a8", T["NV8"], STC),
        asg("a9s", T["NV9"], SNV, standing=True),
        asg("a9t", T["NV9"], STP, standing=True),
    ]
    store.notices.add_assignments(assignments)

    def rep(rid, a, when, text, status=Progress.IN_PROGRESS, files=()):
        return Report(id=rid, assignment_id=a.id, notice_id=a.notice_id, agency_id=a.agency_id, chat_id=TC_GROUP,
                      message_id=int(rid[1:]) + 100, author_id=CONTACT, author_name="Lê Văn Tài", at=when,
                      text=text, status=status, files=list(files))

    reports = [
        rep("r1", assignments[1], at(2024, 2, 10, 10), "Đang tổng hợp số liệu"),
        rep("r2", assignments[1], at(2024, 3, 8, 16), "Đang xin ý kiến các sở <script>x</script>",
            files=[ReportFile(file_id="f1", name="du-thao-phuong-an.pdf", size=1234, mime_type="application/pdf")]),
        rep("r3", assignments[6], at(2024, 3, 8, 15), "Đã hoàn thành, gửi kèm quy chế", Progress.DONE,
            files=[ReportFile(file_id="f2", name="quy-che.docx")]),
        rep("r4", assignments[0], at(2024, 2, 28, 10), "Xong", Progress.DONE),
    ]
    for r in reports:
        store.notices.add_report(r)
        a = store.notices.assignment(r.assignment_id)
        store.notices.update_assignment(dataclasses.replace(a, last_report_at=r.at))
    store.registry.bind_chat(ChatBinding(chat_id=TC_GROUP, agency_id=STC, title="Sở Tài chính"))
    store.registry.add_contact(Contact(user_id=CONTACT, agency_id=STC, name="Lê Văn Tài", chat_id=TC_GROUP))
    return stored
