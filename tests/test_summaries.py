"""Summaries kept beside the store's indexes (storage/summaries.py) equal a full recomputation, and
every write that touches a notice moves its change stamp (and no other notice's)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calendar import WorkingCalendar
from bot.models import Assignment, Extension, Progress, Role
from bot.tracking import combine, summarize, summarize_by_agency
from storage import DataStore
from tests.crash_writer import T0, TZ, make_assignment, make_notice, make_report, make_task

CAL = WorkingCalendar()
DAY0 = dt.date(2024, 5, 1)

_spec = st.fixed_dictionaries({
    "notice": st.integers(0, 2),
    "agency": st.sampled_from(["snv", "stc", "skhdt", "ubnd-a"]),
    "role": st.sampled_from([Role.LEAD, Role.COORDINATE]),
    "deadline": st.one_of(st.none(), st.integers(-60, 60)),
    "reported": st.one_of(st.none(), st.integers(-80, 40)),
    "confirmed_after": st.one_of(st.none(), st.integers(0, 10)),
    "closed": st.booleans(),
    "standing": st.booleans(),
    "recurring": st.booleans(),
    "extended": st.one_of(st.none(), st.integers(1, 40)),
    "blocked": st.booleans(),
})


def _assignment(i: int, spec: dict) -> Assignment:
    nid = f"n{spec['notice']}"
    deadline = DAY0 + dt.timedelta(days=spec["deadline"]) if spec["deadline"] is not None else None
    a = Assignment(id=f"a{i}", task_id=f"{nid}-t{i % 5}", notice_id=nid, agency_id=spec["agency"], role=spec["role"],
                   deadline=deadline, original_deadline=deadline, closed=spec["closed"], standing=spec["standing"],
                   recurring="thường xuyên" if spec["recurring"] else None, sent_at=T0 - dt.timedelta(days=90),
                   progress=Progress.BLOCKED if spec["blocked"] else Progress.NONE)
    if spec["reported"] is not None:
        a.done_reported_at = dt.datetime.combine(DAY0, dt.time(10), tzinfo=TZ) + dt.timedelta(days=spec["reported"])
        a.progress = Progress.DONE
        if spec["confirmed_after"] is not None:
            a.completed_at = a.done_reported_at + dt.timedelta(days=spec["confirmed_after"])
    if spec["extended"] is not None and deadline is not None:
        new = deadline + dt.timedelta(days=spec["extended"])
        a.extensions.append(Extension(requested_at=T0, requested_by=1, new_deadline=new, reason="chờ",
                                      decision="approved", decided_by=2, decided_at=T0, previous_deadline=deadline))
        a.deadline = new
    return a


def _world(folder: Path, specs: list[dict]) -> tuple[DataStore, list[Assignment]]:
    store = DataStore.open(folder, now=T0)
    assignments = [_assignment(i, s) for i, s in enumerate(specs)]
    for n in range(3):
        nid = f"n{n}"
        notice = dataclasses.replace(make_notice(nid), state="published", number=f"{n + 1}/TB-UBND")
        store.notices.create_notice(notice, [make_task(f"{nid}-t{k}", nid) for k in range(5)])
    if assignments:
        store.notices.add_assignments(assignments)
    return store, assignments


def _check(store: DataStore, assignments: list[Assignment], today: dt.date) -> None:
    province = store.notices.summaries.province(today, CAL)
    assert province.official == summarize(assignments, today, CAL)
    assert province.agencies == summarize_by_agency(assignments, today, CAL)
    assert province.lead_agencies == summarize_by_agency(assignments, today, CAL, include_coordinating=False)
    for n in range(3):
        own = [a for a in assignments if a.notice_id == f"n{n}"]
        s = store.notices.summaries.notice(f"n{n}", today, CAL)
        assert s.official == summarize(own, today, CAL)
        assert s.version == store.notices.version(f"n{n}")
        from bot.tracking import category
        assert s.categories == {a.id: category(a, today, CAL) for a in own if not a.closed}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(_spec, max_size=25), days=st.lists(st.integers(-70, 90), min_size=1, max_size=3),
       changes=st.lists(st.tuples(st.integers(0, 24), _spec), max_size=4))
def test_summaries_equal_a_full_recomputation(specs, days, changes):
    with tempfile.TemporaryDirectory() as tmp:
        store, assignments = _world(Path(tmp) / "data", specs)
        try:
            for d in days:
                _check(store, assignments, DAY0 + dt.timedelta(days=d))
            for index, spec in changes:  # writes: only the notices they touch are summed again
                if not assignments:
                    break
                old = assignments[index % len(assignments)]
                new = dataclasses.replace(_assignment(int(old.id[1:]), {**spec, "notice": int(old.notice_id[1:])}),
                                          task_id=old.task_id, agency_id=old.agency_id)
                before = store.notices.versions()
                store.notices.update_assignment(new)
                after = store.notices.versions()
                assert [nid for nid in before if before[nid] != after[nid]] == [old.notice_id]
                assignments[assignments.index(old)] = new
                _check(store, assignments, DAY0 + dt.timedelta(days=days[-1]))
        finally:
            store.close()


def test_combine_adds_up_disjoint_summaries():
    a = [_assignment(i, {"notice": 0, "agency": "snv", "role": Role.LEAD, "deadline": d, "reported": r,
                         "confirmed_after": 1, "closed": False, "standing": False, "recurring": False,
                         "extended": None, "blocked": False})
         for i, (d, r) in enumerate([(-5, None), (10, None), (-3, -4), (-3, 2), (None, None)])]
    whole = summarize(a, DAY0, CAL)
    assert combine([summarize(a[:2], DAY0, CAL), summarize(a[2:], DAY0, CAL)]) == whole
    assert combine([]) == summarize([], DAY0, CAL)


@pytest.fixture
def store(tmp_path: Path):
    s = DataStore.open(tmp_path / "data", now=T0)
    for nid in ("n1", "n2"):
        s.notices.create_notice(make_notice(nid), [make_task(f"{nid}-t1", nid), make_task(f"{nid}-t2", nid)])
        s.notices.add_assignments([make_assignment(f"{nid}-a1", f"{nid}-t1", nid)])
    yield s
    s.close()


def test_every_write_moves_the_stamp_of_its_notice_only(store: DataStore):
    n = store.notices
    writes = [
        lambda: n.update_notice(dataclasses.replace(n.notice("n1"), title="Kết luận mới")),
        lambda: n.update_task(dataclasses.replace(n.task("n1-t1"), text="Rà soát lại")),
        lambda: n.add_assignments([make_assignment("n1-a2", "n1-t2", "n1")]),
        lambda: n.update_assignment(dataclasses.replace(n.assignment("n1-a1"), progress=Progress.BLOCKED)),
        lambda: n.add_report(make_report("r1", "n1-a1", "n1", message_id=5)),
        lambda: n.update_report(dataclasses.replace(n.report("r1"), text="sửa")),
        lambda: n.record_report(make_report("r2", "n1-a1", "n1", message_id=6),
                                dataclasses.replace(n.assignment("n1-a1"), progress=Progress.IN_PROGRESS)),
        lambda: n.save_report(dataclasses.replace(n.report("r2"), text="sửa lại"), n.assignment("n1-a1")),
        lambda: n.update_assignments([dataclasses.replace(n.assignment("n1-a1"), progress=Progress.NONE)]),
        lambda: n.save_tasks(n.notice("n1"), n.tasks("n1")),
    ]
    seen = {n.version("n1")}
    for write in writes:
        before = n.versions()
        write()
        after = n.versions()
        assert after["n1"] > before["n1"] and after["n1"] not in seen
        assert after["n2"] == before["n2"]
        seen.add(after["n1"])
    assert n.version("nobody") == 0
    # a repeated report (the same update again) writes nothing: the stamp stays
    before = n.version("n1")
    n.add_report(make_report("r1", "n1-a1", "n1", message_id=5))
    assert n.version("n1") == before


def test_a_new_day_or_a_write_recomputes_else_the_summary_is_kept(store: DataStore):
    s1 = store.notices.summaries.notice("n1", DAY0, CAL)
    assert store.notices.summaries.notice("n1", DAY0, CAL) is s1
    assert store.notices.summaries.notice("n1", DAY0 + dt.timedelta(days=90), CAL) is not s1
    late = store.notices.summaries.notice("n1", DAY0 + dt.timedelta(days=90), CAL)
    assert late.official.overdue == 1 and s1.official.overdue == 0
    a = store.notices.assignment("n1-a1")
    store.notices.update_assignment(dataclasses.replace(a, completed_at=T0, done_reported_at=T0))
    done = store.notices.summaries.notice("n1", DAY0 + dt.timedelta(days=90), CAL)
    assert done.official.done == 1 and done.version == store.notices.version("n1")
    assert store.notices.summaries.notice("nobody", DAY0, CAL) is None


def test_stamps_are_new_after_a_reload(store: DataStore):
    before = store.notices.versions()
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.notices.update_assignment(dataclasses.replace(store.notices.assignment("n1-a1"),
                                                                progress=Progress.BLOCKED))
            raise RuntimeError("half-way")
    after = store.notices.versions()
    assert set(after) == set(before)
    assert all(after[k] > before[k] for k in before)  # memory rebuilt: nothing kept for old stamps is reused
    assert store.notices.assignment("n1-a1").progress == Progress.NONE


def test_report_heads_and_last_report_ids(store: DataStore):
    n = store.notices
    for i, days in enumerate([1, 3, 8]):
        n.add_report(make_report(f"r{i}", "n1-a1", "n1", message_id=10 + i, at=T0 + dt.timedelta(days=days)))
    n.add_report(make_report("r9", "n2-a1", "n2", message_id=20, at=T0 + dt.timedelta(days=2)))
    heads = n.report_heads(since=T0 + dt.timedelta(days=1), until=T0 + dt.timedelta(days=8))
    assert [h.id for h in heads] == ["r9", "r1", "r2"]  # since excluded, until included, oldest first
    assert heads[0].agency_id == "snv" and heads[0].assignment_id == "n2-a1" and heads[0].notice_id == "n2"
    assert [h.id for h in n.report_heads(notice_ids=["n2"])] == ["r9"]
    assert n.last_report_ids() == {"n1-a1": "r2", "n2-a1": "r9"}
    assert n.last_report_ids(["n2-a1", "zz"]) == {"n2-a1": "r9"}
