"""Official categories, overdue days, summaries and reply keywords at fixed dates."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar import WorkingCalendar
from bot.models import Assignment, Category, Progress, Role
from bot.tracking import (
    category,
    category_label,
    completion_day,
    days_overdue,
    detect_progress,
    summarize,
    summarize_by_agency,
    working_days_overdue,
)

D = dt.date
TZ = dt.timezone(dt.timedelta(hours=7))


def at(y, m, d, h=9):
    return dt.datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


def asg(id="a1", deadline=D(2024, 3, 31), role=Role.LEAD, agency="snv", **kw):
    return Assignment(
        id=id, task_id="t" + id, notice_id="n1", agency_id=agency, role=role, deadline=deadline, **kw
    )


def test_open_on_time_until_the_shifted_deadline(cal):
    a = asg()  # 31/3/2024 is a Sunday -> ends Monday 1/4
    assert category(a, D(2024, 3, 31), cal) == Category.OPEN_ON_TIME
    assert category(a, D(2024, 4, 1), cal) == Category.OPEN_ON_TIME
    assert category(a, D(2024, 4, 2), cal) == Category.OPEN_OVERDUE
    assert days_overdue(a, D(2024, 4, 2), cal) == 1
    assert days_overdue(a, D(2024, 4, 8), cal) == 7  # calendar days
    assert working_days_overdue(a, D(2024, 4, 8), cal) == 5


def test_done_on_time_and_late(cal):
    on_time = asg(completed_at=at(2024, 4, 1, 17))
    assert category(on_time, D(2024, 5, 1), cal) == Category.DONE_ON_TIME
    late = asg(completed_at=at(2024, 4, 3))
    assert category(late, D(2024, 5, 1), cal) == Category.DONE_LATE
    assert days_overdue(late, D(2024, 5, 1), cal) == 2  # frozen at completion


def test_office_slow_confirmation_does_not_make_agency_late(cal):
    a = asg(done_reported_at=at(2024, 3, 29), completed_at=at(2024, 4, 5))
    assert completion_day(a, cal) == D(2024, 3, 29)
    assert category(a, D(2024, 4, 10), cal) == Category.DONE_ON_TIME


def test_done_reported_but_not_confirmed_is_still_open(cal):
    a = asg(done_reported_at=at(2024, 3, 29), progress=Progress.DONE)
    assert category(a, D(2024, 4, 2), cal) == Category.OPEN_OVERDUE


def test_extension_moves_deadline(cal):
    a = asg(deadline=D(2024, 4, 30), original_deadline=D(2024, 3, 31))
    assert category(a, D(2024, 4, 10), cal) == Category.OPEN_ON_TIME
    a.completed_at = at(2024, 4, 20)
    assert category(a, D(2024, 4, 25), cal) == Category.DONE_ON_TIME


def test_ongoing(cal):
    assert category(asg(deadline=None), D(2024, 4, 2), cal) == Category.ONGOING
    rec = asg(deadline=None, recurring="thường xuyên")
    assert category(rec, D(2024, 6, 1), cal) == Category.ONGOING
    assert days_overdue(rec, D(2024, 6, 1), cal) == 0


def test_recurring_duty_with_a_deadline_is_followed_on_its_deadline_then_ongoing(cal):
    # The sample's 8.2: "... trước ngày 31 tháng 3 năm 2024. Thường xuyên theo dõi ..."
    a = asg(recurring="thường xuyên")
    assert category(a, D(2024, 3, 27), cal) == Category.OPEN_ON_TIME
    assert category(a, D(2024, 4, 1), cal) == Category.OPEN_ON_TIME  # due Monday 1/4 (art. 148)
    assert category(a, D(2024, 4, 5), cal) == Category.OPEN_OVERDUE
    assert days_overdue(a, D(2024, 4, 5), cal) == 4
    assert working_days_overdue(a, D(2024, 4, 5), cal) == 4
    a.completed_at = at(2024, 4, 3)  # the dated part done: the recurring duty goes on
    assert category(a, D(2024, 4, 5), cal) == Category.ONGOING
    assert working_days_overdue(a, D(2024, 4, 5), cal) == 0
    assert category(asg(deadline=None, completed_at=at(2024, 4, 1)), D(2024, 4, 2), cal) == (
        Category.DONE_ON_TIME
    )


def test_summary_and_completion_rate_over_lead_assignments(cal):
    today = D(2024, 4, 10)
    items = [
        asg("1", completed_at=at(2024, 3, 20)),  # done on time
        asg("2", completed_at=at(2024, 4, 5)),  # done late
        asg("3"),  # overdue
        asg("4", deadline=D(2024, 5, 31)),  # open on time (not due)
        asg("5", deadline=None),  # ongoing
        asg("6", role=Role.COORDINATE),  # coordinating: not in official counts
        asg("7", closed=True),  # dropped task
    ]
    s = summarize(items, today, cal)
    assert s.counts == {
        Category.DONE_ON_TIME: 1,
        Category.DONE_LATE: 1,
        Category.OPEN_ON_TIME: 1,
        Category.OPEN_OVERDUE: 1,
        Category.ONGOING: 1,
    }
    assert (s.total, s.due, s.done) == (5, 3, 2)
    assert s.completion_rate == pytest.approx(2 / 3)
    assert s.rate_text() == "66,7%"
    everyone = summarize(items, today, cal, lead_only=False)
    assert everyone.total == 6 and everyone.counts[Category.OPEN_OVERDUE] == 2


def test_completion_rate_none_when_nothing_due(cal):
    s = summarize([asg(deadline=D(2024, 12, 31))], D(2024, 4, 1), cal)
    assert s.completion_rate is None and s.rate_text() == "—"


def test_by_agency_includes_coordinating(cal):
    items = [asg("1", agency="snv"), asg("2", agency="stc", role=Role.COORDINATE)]
    per = summarize_by_agency(items, D(2024, 4, 10), cal)
    assert per["stc"].counts[Category.OPEN_OVERDUE] == 1
    assert "stc" not in summarize_by_agency(items, D(2024, 4, 10), cal, include_coordinating=False)


def test_labels():
    assert category_label(Category.DONE_ON_TIME) == "Đã hoàn thành đúng hạn"
    assert category_label(Category.OPEN_OVERDUE) == "Chưa hoàn thành, quá hạn"
    assert category_label(Category.ONGOING) == "Thường xuyên / không thời hạn"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Đã hoàn thành", Progress.DONE),
        ("da hoan thanh", Progress.DONE),
        ("ĐÃ HOÀN THÀNH nhiệm vụ, gửi kèm báo cáo", Progress.DONE),
        ("Xong", Progress.DONE),
        ("xong rồi ạ", Progress.DONE),
        ("Hoàn thành 100%", Progress.DONE),
        ("hoan thanh 100 %", Progress.DONE),
        ("Đã hoàn tất", Progress.DONE),
        ("Hoàn thành 80%", Progress.IN_PROGRESS),
        ("Chưa hoàn thành", Progress.IN_PROGRESS),
        ("chua hoan thanh", Progress.IN_PROGRESS),
        ("Chưa xong", Progress.IN_PROGRESS),
        ("Dự kiến hoàn thành trước 15/4", Progress.IN_PROGRESS),
        ("Đang triển khai", Progress.IN_PROGRESS),
        ("dang trien khai", Progress.IN_PROGRESS),
        ("Đang thực hiện theo kế hoạch", Progress.IN_PROGRESS),
        ("Còn vướng", Progress.BLOCKED),
        ("Vướng mắc về kinh phí", Progress.BLOCKED),
        ("vuong mac ve mat bang", Progress.BLOCKED),
        ("Gặp khó khăn do thiếu nhân lực", Progress.BLOCKED),
        ("Đang triển khai nhưng còn khó khăn", Progress.BLOCKED),
        ("Đề nghị gia hạn đến 30/4", Progress.EXTENSION),
        ("xin lui thoi han den 30/4", Progress.EXTENSION),
        ("Xin lùi thời hạn hoàn thành đến 30/4/2024", Progress.EXTENSION),
        ("Đã hoàn thành, không có vướng mắc", Progress.DONE),
        ("Không khó khăn gì, đang thực hiện", Progress.IN_PROGRESS),
        ("Xong chưa?", None),
        ("Kính gửi Văn phòng báo cáo kèm theo", None),
        ("Ông Nguyễn Văn Vương phụ trách", None),  # a name, not "vướng"
        ("", None),
        ("   ", None),
    ],
)
def test_detect_progress(text, expected):
    assert detect_progress(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_detect_progress_never_crashes(text):
    assert detect_progress(text) in (None, *Progress)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["chưa", "hoàn", "thành", "xong", "không", "vướng", "gia", "hạn",
                                 "100%", "đang", "triển", "khai", ",", "CHUA", "Xong"]), max_size=20))
def test_detect_progress_keyword_soup(words):
    assert detect_progress(" ".join(words)) in (None, *Progress)
