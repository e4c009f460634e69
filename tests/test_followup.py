"""When the weekly digest is due (pure)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from bot.calendar import WorkingCalendar
from bot.digest import DigestSettings
from bot.followup import digest_due

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar()
FRIDAY_16 = DigestSettings()


def due(y, m, d, hh, mm, sent=()):
    return digest_due(dt.datetime(y, m, d, hh, mm, tzinfo=TZ), CAL, FRIDAY_16, lambda k: k in sent)


def test_due_from_friday_afternoon_once():
    assert due(2024, 3, 29, 15, 59, sent={"digest:2024-03-22"}) is None
    assert due(2024, 3, 29, 15, 59) == "digest:2024-03-22"  # last week's, if it never went out
    assert due(2024, 3, 29, 16, 0) == "digest:2024-03-29"
    assert due(2024, 3, 29, 16, 5, sent={"digest:2024-03-29"}) is None


def test_missed_while_down_is_sent_after_the_weekend():
    assert due(2024, 4, 1, 8, 30) == "digest:2024-03-29"  # Monday morning, Friday's not sent
    assert due(2024, 4, 1, 8, 30, sent={"digest:2024-03-29"}) is None


def test_a_friday_off_moves_the_digest_to_the_next_working_day():
    # Friday 31/1/2025 is in the Tết break: the digest is due on Monday 3/2/2025 at 16:00.
    assert due(2025, 1, 31, 16, 30, sent={"digest:2025-01-24"}) is None
    assert due(2025, 2, 3, 15, 0, sent={"digest:2025-01-24"}) is None
    assert due(2025, 2, 3, 16, 0, sent={"digest:2025-01-24"}) == "digest:2025-01-31"


def test_the_weekly_digest_covers_everything_since_the_previous_one():
    from bot.followup import previous_slot_time

    # Tết 2025: the digest of Friday 31/1 goes on Monday 3/2; it covers from Friday 24/1 16:00.
    since = previous_slot_time(dt.datetime(2025, 2, 3, 16, 5, tzinfo=TZ), CAL, FRIDAY_16)
    assert since == dt.datetime(2025, 1, 24, 16, 0, tzinfo=TZ)
    since = previous_slot_time(dt.datetime(2024, 3, 29, 16, 5, tzinfo=TZ), CAL, FRIDAY_16)
    assert since == dt.datetime(2024, 3, 22, 16, 0, tzinfo=TZ)


def test_work_waiting_for_confirmation_is_not_the_agency_s_delay():
    from bot.digest import build_data
    from bot.digest.build import render_messages
    from bot.models import Agency, Assignment, Notice, Progress, Role, Task

    now = dt.datetime(2024, 1, 24, 16, 0, tzinfo=TZ)
    a = Assignment(id="a1", task_id="t1", notice_id="n1", agency_id="snv", role=Role.LEAD,
                   deadline=dt.date(2024, 1, 10), progress=Progress.DONE,
                   done_reported_at=dt.datetime(2024, 1, 9, 9, tzinfo=TZ),
                   sent_at=dt.datetime(2024, 1, 2, 9, tzinfo=TZ))
    data = build_data(now, [Notice(id="n1", number="1/TB-UBND", issued_on=dt.date(2024, 1, 2))],
                      [Task(id="t1", notice_id="n1", code="NV1", ref="1", text="Báo cáo")], [a], [],
                      [Agency(id="snv", name="Sở Nội vụ")], CAL)
    assert data.overdue == [] and data.silent == [] and [r.code for r in data.waiting] == ["NV1"]
    assert "Chờ Văn phòng xác nhận" in "\n".join(render_messages(data))


def test_chart_keeps_agencies_whose_names_cut_alike_apart():
    from bot.digest.chart import render_chart
    from bot.digest import build_data
    from bot.models import Agency, Assignment, Notice, Role, Task

    long = "Ban Quản lý dự án đầu tư xây dựng các công trình "
    agencies = [Agency(id="a", name=long + "dân dụng"), Agency(id="b", name=long + "giao thông")]
    assignments = [Assignment(id=f"x{i}", task_id="t1", notice_id="n1", agency_id=ag.id, role=Role.LEAD,
                              deadline=dt.date(2024, 1, 10)) for i, ag in enumerate(agencies)]
    data = build_data(dt.datetime(2024, 1, 24, 16, 0, tzinfo=TZ),
                      [Notice(id="n1", number="1/TB-UBND", issued_on=dt.date(2024, 1, 2))],
                      [Task(id="t1", notice_id="n1", code="NV1", ref="1", text="x")], assignments, [], agencies, CAL)
    from matplotlib.axes import Axes

    positions = []
    real_barh = Axes.barh

    def barh(self, y, *args, **kwargs):  # record where each agency's bar goes
        positions.append(list(y))
        return real_barh(self, y, *args, **kwargs)

    Axes.barh = barh
    try:
        png = render_chart(data)
    finally:
        Axes.barh = real_barh
    assert png.startswith(b"\x89PNG")
    assert all(len(set(map(str, ys))) == 2 for ys in positions)  # two bars, not one on top of the other


def test_a_missed_digest_is_not_sent_at_night():
    hours = (dt.time(8, 0), dt.time(17, 30))

    def due_h(*args):
        return digest_due(dt.datetime(*args, tzinfo=TZ), CAL, FRIDAY_16, lambda k: False, hours)

    assert due_h(2024, 3, 29, 16, 30) == "digest:2024-03-29"
    assert due_h(2024, 3, 29, 22, 30) is None  # back late on Friday evening: wait
    assert due_h(2024, 3, 30, 9, 0) is None  # Saturday
    assert due_h(2024, 4, 1, 8, 30) == "digest:2024-03-29"  # Monday morning


def test_reminders_are_not_made_up_at_night():
    from bot.reminders import ReminderSettings, plan_reminders
    from bot.models import Assignment, Role

    a = Assignment(id="a1", task_id="t1", notice_id="n1", agency_id="snv", role=Role.LEAD,
                   deadline=dt.date(2024, 4, 1), sent_at=dt.datetime(2024, 3, 1, 9, tzinfo=TZ))
    plan = lambda hh, mm: plan_reminders(dt.datetime(2024, 4, 1, hh, mm, tzinfo=TZ), [a], {"snv": [-1]},  # noqa: E731
                                         lambda k: False, ReminderSettings(), CAL)
    assert plan(9, 0) and plan(17, 30) and not plan(17, 31) and not plan(7, 59)


def test_with_the_art_148_shift_off_a_sunday_deadline_is_reminded_on_friday():
    from bot.calendar import CalendarSettings, WorkingCalendar
    from bot.models import Assignment, Role
    from bot.reminders import ReminderSettings, plan_reminders

    cal = WorkingCalendar(CalendarSettings(shift_deadlines=False))
    a = Assignment(id="a1", task_id="t1", notice_id="n1", agency_id="snv", role=Role.LEAD,
                   deadline=dt.date(2024, 3, 31), sent_at=dt.datetime(2024, 3, 1, 9, tzinfo=TZ))  # a Sunday
    sent: set[str] = set()

    def run(day):
        plan = plan_reminders(dt.datetime(2024, 3, day, 8, 5, tzinfo=TZ), [a], {"snv": [-1]}, sent.__contains__,
                              ReminderSettings(), cal)
        for r in plan:
            sent.update(r.keys)
        return [(item.kind, item.days) for r in plan for item in r.items]

    assert run(26) == [("before", 3)]  # Tuesday: 3 working days before Friday 29/3
    assert run(28) == [("before", 1)]
    assert run(29) == [("due", 0)]  # Friday, the last working day before the Sunday deadline


def test_no_digest_for_a_week_before_the_bot_existed():
    hours = (dt.time(8, 0), dt.time(17, 30))
    first = dt.datetime(2024, 3, 12, 9, 0, tzinfo=TZ)  # first started on Tuesday 12/3/2024

    def due_f(*args, sent=()):
        return digest_due(dt.datetime(*args, tzinfo=TZ), CAL, FRIDAY_16, lambda k: k in sent, hours, first)

    assert due_f(2024, 3, 12, 9, 5) is None  # Friday 8/3's slot was before the first start
    assert due_f(2024, 3, 15, 15, 0) is None
    assert due_f(2024, 3, 15, 16, 1) == "digest:2024-03-15"  # the first real week
    assert due_f(2024, 3, 18, 9, 0) == "digest:2024-03-15"  # missed after the start: still owed
    # Started at 16:30 on a Friday, after that day's slot: nothing owed until next Friday.
    late = dt.datetime(2024, 3, 15, 16, 30, tzinfo=TZ)
    assert digest_due(late, CAL, FRIDAY_16, lambda k: False, hours, late) is None


def test_first_start_is_recorded_once_and_counts_older_data():
    from bot.followup import FIRST_START_KEY, first_start
    from storage import DataStore
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = DataStore.open(tmp)
        try:
            t1 = dt.datetime(2024, 3, 12, 9, 0, tzinfo=TZ)
            assert first_start(store, t1) == t1
            assert first_start(store, t1 + dt.timedelta(days=30)) == t1
            assert store.sentlog.was_sent(FIRST_START_KEY)
        finally:
            store.close()
    with tempfile.TemporaryDirectory() as tmp:  # a data folder from before the record: its oldest entry
        store = DataStore.open(tmp)
        try:
            old = dt.datetime(2024, 1, 5, 8, 0, tzinfo=TZ)
            store.sentlog.mark_sent("due:x:2024-01-05", old)
            assert first_start(store, dt.datetime(2024, 3, 12, 9, 0, tzinfo=TZ)) == old
        finally:
            store.close()


def test_calendar_warning_once_from_december_in_working_hours():
    from bot.followup import calendar_warning_due

    hours = (dt.time(8, 0), dt.time(17, 30))

    def w(*args, sent=()):
        return calendar_warning_due(dt.datetime(*args, tzinfo=TZ), CAL, lambda k: k in sent, hours)

    assert w(2026, 11, 30, 9, 0) is None  # 2027 missing, but not December yet
    assert w(2026, 12, 1, 9, 0) == ("calendar-missing:2027", 2027)
    assert w(2026, 12, 1, 9, 0, sent={"calendar-missing:2027"}) is None
    assert w(2026, 12, 1, 21, 0) is None  # not at night
    assert w(2026, 12, 5, 9, 0) is None  # Saturday
    assert w(2025, 12, 1, 9, 0) is None  # 2026 is in the data
