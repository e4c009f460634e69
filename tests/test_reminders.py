"""Reminder planning at fixed moments across weeks: before/after Tết 2025, make-up
Saturday, restart in the middle, escalation, silent nudge, extension."""

import datetime as dt

import pytest

from bot.calendar import CalendarSettings, WorkingCalendar
from bot.models import Agency, Assignment, Notice, Progress, Role, Task
from bot.messages import split_lines
from bot.reminders import (
    Reminder,
    ReminderSettings,
    ReminderSettingsError,
    plan_reminders,
    render_reminder,
    render_reminder_parts,
)

D = dt.date
TZ = dt.timezone(dt.timedelta(hours=7))
CHATS = {"snv": [-1001], "stc": [-1002], "sxd": [-1003]}
OFFICE = [-9000, 42]


def at(d: dt.date, hh=8, mm=0):
    return dt.datetime(d.year, d.month, d.day, hh, mm, tzinfo=TZ)


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar()


def asg(id="a1", deadline=D(2024, 3, 31), agency="snv", role=Role.LEAD, sent=D(2024, 3, 15), **kw):
    return Assignment(
        id=id, task_id="t" + id, notice_id="n1", agency_id=agency, role=role, deadline=deadline,
        sent_at=at(sent, 9) if sent else None, **kw,
    )


class Log:
    def __init__(self):
        self.keys: set[str] = set()

    def __call__(self, key):
        return key in self.keys

    def run(self, now, assignments, cal, settings=None, chats=CHATS):
        plan = plan_reminders(now, assignments, chats, self, settings, cal, office_chat_ids=OFFICE)
        for r in plan:
            for k in r.keys:
                assert k not in self.keys, f"{k} planned twice"
                self.keys.add(k)
        return plan


def days(start, end):
    d = start
    while d <= end:
        yield d
        d += dt.timedelta(days=1)


def timeline(assignments, start, end, cal, settings=None, skip=(), log=None):
    """Run the planner at 08:00 every calendar day; return [(date, agency, kind, item kinds)]."""
    log = log or Log()
    out = []
    for d in days(start, end):
        if d in skip:
            continue
        for r in log.run(at(d), assignments, cal, settings):
            out.append((d, r.agency_id or "office", [(i.assignment.id, i.kind) for i in r.items]))
    return out


def test_sample_deadline_sunday_full_cycle(cal):
    # 31/3/2024 is a Sunday: effective deadline Monday 1/4/2024.
    got = timeline([asg()], D(2024, 3, 18), D(2024, 4, 12), cal)
    assert got == [
        (D(2024, 3, 27), "snv", [("a1", "before")]),  # 3 working days before
        (D(2024, 3, 29), "snv", [("a1", "before")]),  # 1 working day before (silent settled)
        (D(2024, 4, 1), "snv", [("a1", "due")]),
        (D(2024, 4, 2), "snv", [("a1", "overdue")]),
        (D(2024, 4, 3), "snv", [("a1", "overdue")]),
        (D(2024, 4, 4), "snv", [("a1", "overdue")]),
        (D(2024, 4, 4), "office", [("a1", "escalation")]),  # 3 working days overdue
        (D(2024, 4, 5), "snv", [("a1", "overdue")]),
        (D(2024, 4, 8), "snv", [("a1", "overdue")]),
        (D(2024, 4, 9), "snv", [("a1", "overdue")]),
        (D(2024, 4, 10), "snv", [("a1", "overdue")]),
        (D(2024, 4, 11), "snv", [("a1", "overdue")]),
        (D(2024, 4, 12), "snv", [("a1", "overdue")]),
    ]


def test_sample_8_2_deadline_and_recurring_duty(cal):
    """The sample's 8.2: "... trước ngày 31 tháng 3 năm 2024. Thường xuyên theo dõi ...": reminded on
    Wednesday 27/3 and on Monday 1/4 (the Sunday deadline shifts, art. 148), overdue, escalated; once its
    dated part is done and confirmed, nothing more."""
    a = asg(recurring="thường xuyên")
    got = timeline([a], D(2024, 3, 18), D(2024, 4, 5), cal)
    assert got[:3] == [
        (D(2024, 3, 27), "snv", [("a1", "before")]),
        (D(2024, 3, 29), "snv", [("a1", "before")]),
        (D(2024, 4, 1), "snv", [("a1", "due")]),
    ]
    assert (D(2024, 4, 4), "office", [("a1", "escalation")]) in got
    done = asg(recurring="thường xuyên", completed_at=at(D(2024, 3, 28), 10))
    assert timeline([done], D(2024, 3, 18), D(2024, 4, 30), cal) == []


def test_days_carried_by_items(cal):
    log = Log()
    a = asg()
    log.run(at(D(2024, 3, 26)), [a], cal)
    (r,) = log.run(at(D(2024, 3, 27)), [a], cal)
    assert r.items[0].days == 3 and r.items[0].deadline == D(2024, 4, 1)
    for d in days(D(2024, 3, 28), D(2024, 4, 8)):
        plan = log.run(at(d), [a], cal)
    (agency_msg, office_msg) = plan if len(plan) == 2 else (plan[0], None)
    assert agency_msg.items[0].days == 7  # calendar days after 1/4
    assert agency_msg.items[0].working_days == 5


def test_around_tet_2025(cal):
    # 31/1/2025 falls in the Tết break (25/1-2/2): the deadline ends Monday 3/2/2025.
    a = asg(deadline=D(2025, 1, 31), sent=D(2025, 1, 2))
    got = timeline([a], D(2025, 1, 20), D(2025, 2, 7), cal, ReminderSettings(silent_after=0))
    assert [(d, who, items[0][1]) for d, who, items in got] == [
        (D(2025, 1, 22), "snv", "before"),
        (D(2025, 1, 24), "snv", "before"),
        (D(2025, 2, 3), "snv", "due"),
        (D(2025, 2, 4), "snv", "overdue"),
        (D(2025, 2, 5), "snv", "overdue"),
        (D(2025, 2, 6), "snv", "overdue"),
        (D(2025, 2, 6), "office", "escalation"),
        (D(2025, 2, 7), "snv", "overdue"),
    ]
    assert all(not (D(2025, 1, 25) <= d <= D(2025, 2, 2)) for d, _, _ in got)


def test_nothing_on_tet_days_even_with_open_overdue_work(cal):
    a = asg(deadline=D(2025, 1, 10), sent=D(2025, 1, 2))
    log = Log()
    for d in days(D(2025, 1, 25), D(2025, 2, 2)):
        assert log.run(at(d, 9), [a], cal) == []


def test_makeup_saturday_is_a_reminder_day():
    cal = WorkingCalendar(CalendarSettings(makeup_days=[D(2024, 3, 23)]))  # office's own swap
    a = asg(deadline=D(2024, 3, 25), sent=D(2024, 3, 1))  # Monday
    got = timeline([a], D(2024, 3, 18), D(2024, 3, 26), cal, ReminderSettings(silent_after=0))
    assert [(d, items[0][1]) for d, _, items in got] == [
        (D(2024, 3, 21), "before"),  # 3 working days back: 23 (Sat), 22, 21
        (D(2024, 3, 23), "before"),  # the make-up Saturday is the last working day before
        (D(2024, 3, 25), "due"),
        (D(2024, 3, 26), "overdue"),
    ]


def test_package_makeup_saturday_2025(cal):
    # 26/4/2025 (Saturday) was worked in exchange for 2/5/2025.
    a = asg(deadline=D(2025, 4, 28), sent=D(2025, 4, 1))
    got = timeline([a], D(2025, 4, 21), D(2025, 5, 6), cal, ReminderSettings(silent_after=0))
    assert [(d, items[0][1]) for d, who, items in got if who == "snv"] == [
        (D(2025, 4, 24), "before"),
        (D(2025, 4, 26), "before"),
        (D(2025, 4, 28), "due"),
        (D(2025, 4, 29), "overdue"),
        (D(2025, 5, 5), "overdue"),  # 30/4, 1/5, 2/5 are days off
        (D(2025, 5, 6), "overdue"),
    ]


def test_restart_in_the_middle_nothing_missed_nothing_repeated(cal):
    settings = ReminderSettings(overdue_every=2, silent_after=0)
    # Mon 1/4 .. Fri 5/4/2024; the bot is down on Thursday 4/4.
    items = [
        asg("over", deadline=D(2024, 3, 29)),  # overdue 1st wd = 1/4, next on 3/4, 5/4
        asg("esc", deadline=D(2024, 3, 29), agency="stc"),  # escalation falls due on Wed 3/4
        asg("esc2", deadline=D(2024, 4, 1), agency="stc"),  # escalation falls due on Thu 4/4
        asg("b1", deadline=D(2024, 4, 8), agency="sxd"),  # before3 on 3/4, before1 on Fri 5/4
        asg("due", deadline=D(2024, 4, 4), agency="sxd"),  # due on Thursday: down
    ]
    full = timeline(items, D(2024, 4, 1), D(2024, 4, 5), cal, settings)
    down = timeline(items, D(2024, 4, 1), D(2024, 4, 5), cal, settings, skip={D(2024, 4, 4)})
    thursday = [x for x in full if x[0] == D(2024, 4, 4)]
    assert thursday  # something was due on the missing day
    friday = {(who, tuple(i)) for d, who, items in down if d == D(2024, 4, 5) for i in items}
    # the missed escalation still goes; the missed "due" becomes the first "overdue"
    assert ("office", ("esc2", "escalation")) in friday
    assert ("sxd", ("due", "overdue")) in friday
    assert ("sxd", ("b1", "before")) in friday
    # nothing repeated: every (assignment, kind, day) at most once over the whole run
    seen = [(who, i, d) for d, who, items in down for i in items]
    assert len(seen) == len(set(seen))
    # escalations: each once
    esc = [i for d, who, items in down if who == "office" for i in items]
    assert sorted(esc) == [("esc", "escalation"), ("esc2", "escalation"), ("over", "escalation")]


def test_restart_same_day_and_late_start(cal):
    a = asg()
    log = Log()
    assert log.run(at(D(2024, 4, 1), 7, 59), [a], cal) == []  # before the hour
    first = log.run(at(D(2024, 4, 1), 10, 30), [a], cal)  # came up late: still sent
    assert [r.kind for r in first] == ["due"]
    assert log.run(at(D(2024, 4, 1), 15, 0), [a], cal) == []  # restarted again: not twice


def test_before_missed_sends_most_recent_only(cal):
    # deadline Thu 4/4/2024: before3 = Mon 1/4, before1 = Wed 3/4; down Mon-Tue, back Wed.
    a = asg(deadline=D(2024, 4, 4))
    log = Log()
    (r,) = log.run(at(D(2024, 4, 3)), [a], cal, ReminderSettings(silent_after=0))
    assert r.items[0].key == "before1:a1:2024-04-04" and r.items[0].days == 1
    # back on Tuesday instead: "3 days" goes (2 left), then "1 day" on Wednesday
    log = Log()
    (r,) = log.run(at(D(2024, 4, 2)), [a], cal, ReminderSettings(silent_after=0))
    assert r.items[0].key == "before3:a1:2024-04-04" and r.items[0].days == 2
    (r,) = log.run(at(D(2024, 4, 3)), [a], cal, ReminderSettings(silent_after=0))
    assert r.items[0].key == "before1:a1:2024-04-04"


def test_before_reminder_not_for_days_before_publication(cal):
    a = asg(deadline=D(2024, 4, 4), sent=D(2024, 4, 2))  # published after before3 (1/4)
    log = Log()
    assert log.run(at(D(2024, 4, 2)), [a], cal) == []
    assert [r.kind for r in log.run(at(D(2024, 4, 3)), [a], cal)] == ["before"]


def test_escalation_after_k_days_and_config(cal):
    a = asg(deadline=D(2024, 3, 1))  # Friday
    s = ReminderSettings(escalate_after=5, silent_after=0)
    got = timeline([a], D(2024, 3, 4), D(2024, 3, 15), cal, s)
    esc = [d for d, who, _ in got if who == "office"]
    assert esc == [D(2024, 3, 8)]  # 4,5,6,7,8 March: 5 working days overdue
    off = timeline([a], D(2024, 3, 4), D(2024, 3, 15), cal, ReminderSettings(escalate_after=0))
    assert all(who != "office" for _, who, _ in off)


def test_overdue_every_n(cal):
    a = asg(deadline=D(2024, 3, 1))
    got = timeline([a], D(2024, 3, 4), D(2024, 3, 15), cal,
                   ReminderSettings(overdue_every=3, escalate_after=0, silent_after=0))
    assert [d for d, _, _ in got] == [D(2024, 3, 4), D(2024, 3, 7), D(2024, 3, 12), D(2024, 3, 15)]


def test_silent_nudge_for_recurring_task(cal):
    a = asg(deadline=None, recurring="thường xuyên", sent=D(2024, 3, 1),
            last_report_at=at(D(2024, 3, 4), 15))
    got = timeline([a], D(2024, 3, 4), D(2024, 4, 5), cal)
    # 10 working days after Monday 4/3: Monday 18/3; again 10 later: Tue 2/4
    assert [(d, items[0][1]) for d, _, items in got] == [
        (D(2024, 3, 18), "silent"),
        (D(2024, 4, 1), "silent"),
    ]
    # a report resets the count
    a.last_report_at = at(D(2024, 3, 15), 10)
    got = timeline([a], D(2024, 3, 4), D(2024, 4, 5), cal)
    assert [d for d, _, _ in got] == [D(2024, 3, 29)]


def test_standing_duty_of_every_agency_is_never_silent(cal):
    a = asg(deadline=None, sent=D(2024, 3, 1), standing=True)
    assert timeline([a], D(2024, 3, 4), D(2024, 5, 31), cal) == []
    a.standing = False  # the same duty given to this agency by name is nudged
    assert timeline([a], D(2024, 3, 4), D(2024, 3, 29), cal)


def test_extension_moves_the_deadline(cal):
    a = asg(deadline=D(2024, 3, 29), sent=D(2024, 3, 1))
    log = Log()
    s = ReminderSettings(silent_after=0)
    assert [r.kind for r in log.run(at(D(2024, 4, 1)), [a], cal, s)] == ["overdue"]
    # office approves an extension to 30/4/2024 (a Tuesday)
    a.original_deadline, a.deadline = a.deadline, D(2024, 4, 30)
    got = timeline([a], D(2024, 4, 2), D(2024, 5, 6), cal, s, log=log)
    # 30/4 and 1/5/2024 are holidays (29/4 swapped too): the extended deadline ends Thu 2/5
    assert [(d, items[0][1]) for d, _, items in got] == [
        (D(2024, 4, 24), "before"),
        (D(2024, 4, 26), "before"),
        (D(2024, 5, 2), "due"),
        (D(2024, 5, 3), "overdue"),
        (D(2024, 5, 4), "overdue"),  # make-up Saturday 4/5/2024
        (D(2024, 5, 6), "overdue"),
        (D(2024, 5, 6), "escalation"),  # keyed on the new deadline
    ]


def test_completed_and_waiting_confirmation_get_nothing(cal):
    items = [
        asg("done", completed_at=at(D(2024, 3, 28))),
        asg("waiting", done_reported_at=at(D(2024, 3, 28)), progress=Progress.DONE),
        asg("closed", closed=True),
        asg("open"),
    ]
    got = timeline(items, D(2024, 3, 25), D(2024, 4, 10), cal)
    ids = {i for _, _, its in got for i, _ in its}
    assert ids == {"open"}


def test_lead_and_coordinating_each_get_their_part(cal):
    items = [
        asg("lead", agency="snv"),
        asg("coord", agency="stc", role=Role.COORDINATE),
        asg("lead2", agency="snv", deadline=D(2024, 4, 3)),
    ]
    log = Log()
    for d in days(D(2024, 4, 1), D(2024, 4, 3)):
        plan = log.run(at(d), items, cal)
    by = {r.agency_id: r for r in plan}
    assert [i.assignment.id for i in by["snv"].items] == ["lead", "lead2"]  # one message, 2 items
    assert [i.kind for i in by["snv"].items] == ["overdue", "due"]
    assert [i.assignment.id for i in by["stc"].items] == ["coord"]
    plan = log.run(at(D(2024, 4, 4)), items, cal)
    esc = [r for r in plan if r.agency_id is None][0]
    assert [i.assignment.id for i in esc.items] == ["lead"]  # coordinating parts not escalated
    assert esc.chat_ids == OFFICE


def test_unbound_agency_waits_but_is_escalated(cal):
    a = asg(agency="nobody")
    log = Log()
    for d in days(D(2024, 4, 1), D(2024, 4, 4)):
        plan = log.run(at(d), [a], cal)
    assert [r.agency_id for r in plan] == [None]
    assert not any(k.startswith("overdue") for k in log.keys)


def test_disabled_and_weekend(cal):
    a = asg()
    assert plan_reminders(at(D(2024, 4, 1)), [a], CHATS, lambda k: False,
                          ReminderSettings(enabled=False), cal) == []
    assert plan_reminders(at(D(2024, 4, 6)), [a], CHATS, lambda k: False, None, cal) == []


def test_keys_are_stable_across_restarts(cal):
    a = asg()
    k1 = [r.keys for r in plan_reminders(at(D(2024, 4, 2)), [a], CHATS, lambda k: False, None, cal)]
    k2 = [r.keys for r in plan_reminders(at(D(2024, 4, 2), 16), [a], CHATS, lambda k: False, None, cal)]
    # the silent nudge due since 29/3 is settled by the overdue reminder
    assert k1 == k2 == [["overdue:a1:2024-04-02", "silent:a1:2024-03-29"]]


def test_settings_errors():
    assert ReminderSettings(hour="8h30").time == dt.time(8, 30)
    with pytest.raises(ReminderSettingsError, match="hour"):
        ReminderSettings(hour="25:00")
    with pytest.raises(ReminderSettingsError, match="before_days"):
        ReminderSettings(before_days=[0])
    with pytest.raises(ReminderSettingsError, match="silent_after"):
        ReminderSettings(silent_after=-1)


# ------------------------------------------------------------------ rendering

TASKS = {"ta1": Task(id="ta1", notice_id="n1", code="NV12", ref="8.1",
                     text="Tham mưu <b>hợp nhất</b> Ban Chỉ đạo & báo cáo Chủ tịch")}
NOTICES = {"n1": Notice(id="n1", number="89/TB-UBND", issued_on=D(2024, 3, 11))}
AGENCIES = [Agency(id="snv", name="Sở Nội vụ"), Agency(id="stc", name="Sở Tài chính <HCM>")]


def test_render_agency_reminder(cal):
    log = Log()
    a = asg()
    for d in days(D(2024, 4, 1), D(2024, 4, 4)):
        plan = log.run(at(d), [a], cal)
    agency = [r for r in plan if r.agency_id][0]
    text = render_reminder(agency, TASKS, NOTICES, AGENCIES)
    assert "Sở Nội vụ" in text and "<b>NV12</b>" in text
    assert "&lt;b&gt;hợp nhất&lt;/b&gt;" in text and "&amp; báo cáo" in text
    assert "<b>hợp nhất</b>" not in text
    assert "01/04/2024" in text and "quá hạn 3 ngày" in text and "89/TB-UBND" in text
    office = [r for r in plan if r.agency_id is None][0]
    text = render_reminder(office, TASKS, NOTICES, AGENCIES)
    assert "Sở Nội vụ" in text and "NV12" in text and "quá hạn 3 ngày" in text


def test_render_long_reminder_fits(cal):
    many = [asg(f"x{i}", deadline=D(2024, 3, 1)) for i in range(300)]
    tasks = {f"tx{i}": Task(id=f"tx{i}", notice_id="n1", code=f"NV{i}", ref=str(i),
                            text="Nội dung nhiệm vụ rất dài " * 20) for i in range(300)}
    (r,) = plan_reminders(at(D(2024, 3, 4)), many, CHATS, lambda k: False,
                          ReminderSettings(escalate_after=0), cal)
    one = render_reminder(r, tasks, NOTICES, AGENCIES)
    assert len(one) <= 4096 and "nhiệm vụ khác" in one
    parts = render_reminder_parts(r, tasks, NOTICES, AGENCIES)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    joined = "\n".join(parts)
    assert all(f"<b>NV{i}</b>" in joined for i in range(300))


def test_split_message_cuts_between_lines():
    lines = [f"<b>dòng {i}</b> " + "x" * 50 for i in range(500)]
    parts = split_lines(lines, 1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts).split("\n") == lines
    assert split_lines(["a" * 2500], 1000) == ["a" * 1000, "a" * 1000, "a" * 500]
    assert all("&amp;"[:k] not in p[-k:] for p in split_lines(["&amp;" * 600], 1000)
               for k in (1,) if p.endswith("&"))
