"""The dashboard's views are kept between requests and brought up to date notice by notice: after any
sequence of writes (reports, confirmations, extensions, dropped tasks, new and withdrawn notices) and
any move of the clock, every view equals the same view rebuilt from scratch through the digest's
``build_data`` (tests/dashboard_reference.py), byte for byte."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calendar import WorkingCalendar
from bot.config import parse_config
from bot.dashboard import api
from bot.directory import Directory
from bot.models import Assignment, Extension, Notice, Progress, Report, Role, Task
from storage import DataStore
from tests import dashboard_reference as ref
from tests import dashboard_world as w
from tests.test_dashboard_api import ROOT, TOKEN

DIRECTORY = Directory.load(ROOT / "agencies.example.toml")
CFG = parse_config({"people": {"admins": [w.ADMIN], "leaders": [w.LEADER]}, "storage": {"path": "/nonexistent"}},
                   token=TOKEN)
CAL = WorkingCalendar(CFG.sections["calendar"])
AGENCIES = (w.SNV, w.STC, w.STP)
LIVE = ("a1", "a2", "a2c", "a3", "a4", "a5", "a6", "a9s", "a9t")

LEADER = api.Viewer(w.LEADER, "Lãnh đạo", "leader", None)
CONTACT = api.Viewer(w.CONTACT, "Lê Văn Tài", "agency", (w.STC,))
TWO = api.Viewer(7007, "Hai sở", "agency", (w.STC, w.STP))
VIEWS = [
    ("overview", LEADER, {}), ("overview", CONTACT, {}), ("overview", TWO, {}),
    ("overview", LEADER, {"agency": w.SNV}), ("overview", LEADER, {"notice": "n1"}),
    ("overview", TWO, {"notice": "n2"}), ("tasks", LEADER, {}), ("tasks", CONTACT, {}),
    ("tasks", LEADER, {"category_id": "open_overdue"}), ("tasks", TWO, {"category_id": "done_late"}),
    ("tasks", LEADER, {"agency": w.STP, "notice": "n2"}),
]

minutes = st.integers(min_value=0, max_value=12 * 24 * 60)
op = st.one_of(
    st.tuples(st.just("report"), st.sampled_from(LIVE), minutes, st.sampled_from(list(Progress))),
    st.tuples(st.just("confirm"), st.sampled_from(LIVE), minutes),
    st.tuples(st.just("done"), st.sampled_from(LIVE), minutes),
    st.tuples(st.just("extend"), st.sampled_from(LIVE), minutes, st.integers(min_value=-5, max_value=40)),
    st.tuples(st.just("close"), st.sampled_from(LIVE)),
    st.tuples(st.just("notice"), st.sampled_from(AGENCIES), st.integers(min_value=-30, max_value=30)),
    st.tuples(st.just("draft"), st.sampled_from(("n1", "n2", "n3"))),
    st.tuples(st.just("clock"), st.integers(min_value=0, max_value=4 * 24 * 60)),
)


class World:
    def __init__(self, folder: Path):
        self.store = DataStore.open(folder, backups_kept=0)
        w.build(self.store)
        self.now = w.NOW
        self.cache = api.Cache()
        self.serial = 0

    def apply(self, step: tuple) -> None:
        kind, *args = step
        notices = self.store.notices
        self.serial += 1
        if kind == "clock":
            self.now += dt.timedelta(minutes=args[0])
            return
        if kind == "notice":
            agency, days = args
            nid = f"x{self.serial}"
            task = Task(id=f"tx{self.serial}", notice_id=nid, code=f"NV{100 + self.serial}", ref="1",
                        text="Nhiệm vụ mới", deadline=(self.now + dt.timedelta(days=days)).date())
            notices.create_notice(Notice(id=nid, number=f"{self.serial}/TB-UBND", issued_on=self.now.date(),
                                         source_sha256=f"sha-{nid}",
                                         state="published", published_at=self.now), [task])
            notices.add_assignments([Assignment(id=f"ax{self.serial}", task_id=task.id, notice_id=nid,
                                                agency_id=agency, role=Role.LEAD, deadline=task.deadline,
                                                original_deadline=task.deadline, sent_at=self.now)])
            return
        if kind == "draft":
            n = notices.notice(args[0])
            notices.update_notice(dataclasses.replace(n, state="draft" if n.state == "published" else "published"))
            return
        a = notices.assignment(args[0])
        when = self.now - dt.timedelta(minutes=args[1]) if len(args) > 1 else None
        if kind == "report":
            r = Report(id=f"rx{self.serial}", assignment_id=a.id, notice_id=a.notice_id, agency_id=a.agency_id,
                       chat_id=w.TC_GROUP, message_id=1000 + self.serial, author_id=w.CONTACT,
                       author_name="Lê Văn Tài", at=when, text=f"Báo cáo {self.serial}", status=args[2])
            notices.record_report(r, dataclasses.replace(a, last_report_at=when))
        elif kind == "confirm":
            notices.update_assignment(dataclasses.replace(a, completed_at=when, done_reported_at=a.done_reported_at,
                                                          progress=Progress.DONE))
        elif kind == "done":
            notices.update_assignment(dataclasses.replace(a, done_reported_at=when, progress=Progress.DONE))
        elif kind == "extend":
            new = (self.now + dt.timedelta(days=args[2])).date()
            ext = Extension(requested_at=when, requested_by=w.CONTACT, new_deadline=new, reason="Chờ",
                            decision="approved", decided_by=w.ADMIN, decided_at=when, previous_deadline=a.deadline)
            notices.update_assignment(dataclasses.replace(a, deadline=new, extensions=[*a.extensions, ext]))
        elif kind == "close":
            notices.update_assignment(dataclasses.replace(a, closed=True))

    def check(self) -> None:
        for kind, viewer, kw in VIEWS:
            kept = getattr(api, kind)
            fresh = getattr(ref, kind)
            try:
                expected = fresh(self.store, DIRECTORY, CAL, self.now, viewer, **kw)
            except api.NotFoundError:
                try:
                    kept(self.store, DIRECTORY, CAL, self.now, viewer, cache=self.cache, **kw)
                except api.NotFoundError:
                    continue
                raise AssertionError(f"{kind} {kw}: the kept view found what is gone") from None
            got = kept(self.store, DIRECTORY, CAL, self.now, viewer, cache=self.cache, **kw)
            assert json.dumps(got, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False), (kind, viewer.role, kw)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=8), st.sampled_from([0, 4]))
def test_kept_views_equal_views_rebuilt_from_scratch(steps, few):
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp) / "data")
        world.cache.FEW = few  # report times read notice by notice, or all at once from the store's index
        try:
            world.check()
            for step in steps:
                world.apply(step)
                world.check()
        finally:
            world.store.close()


def test_unchanged_store_reads_nothing_again(tmp_path):
    world = World(tmp_path / "data")
    try:
        world.check()
        reads = world.cache.reads
        first = api.overview(world.store, DIRECTORY, CAL, world.now, LEADER, cache=world.cache)
        again = api.overview(world.store, DIRECTORY, CAL, world.now, LEADER, cache=world.cache)
        assert world.cache.reads == reads and again == first
        world.store.registry.add_contact(dataclasses.replace(world.store.registry.all_contacts()[0], name="Tài"))
        assert api.overview(world.store, DIRECTORY, CAL, world.now, LEADER, cache=world.cache) == first
        assert world.cache.reads == reads  # a write elsewhere in the store: no notice read again
        world.apply(("report", "a2", 5, Progress.IN_PROGRESS))
        after = api.overview(world.store, DIRECTORY, CAL, world.now, LEADER, cache=world.cache)
        assert world.cache.reads == reads + 1  # only the notice written to (n1)
        assert after["week"]["reports"] == first["week"]["reports"] + 1
    finally:
        world.store.close()


def test_every_write_to_a_notice_moves_its_stamp_only(tmp_path):
    """storage's per-notice change stamp, which the kept views rest on."""
    world = World(tmp_path / "data")
    notices = world.store.notices
    try:
        def moved(write) -> set[str]:
            before = notices.versions()
            write()
            after = notices.versions()
            return {nid for nid in after if after[nid] != before.get(nid)}

        a2 = notices.assignment("a2")
        report = Report(id="rs1", assignment_id="a2", notice_id="n1", agency_id=w.STC, chat_id=w.TC_GROUP,
                        message_id=5001, author_id=w.CONTACT, author_name="Tài", at=w.NOW, text="Đang làm")
        assert moved(lambda: notices.record_report(report, dataclasses.replace(a2, last_report_at=w.NOW))) == {"n1"}
        assert moved(lambda: notices.update_report(dataclasses.replace(report, text="Sửa"))) == {"n1"}
        assert moved(lambda: notices.update_assignment(dataclasses.replace(notices.assignment("a5"), closed=True))) \
            == {"n2"}
        assert moved(lambda: notices.update_notice(dataclasses.replace(notices.notice("n3"), title="X"))) == {"n3"}
        assert moved(lambda: notices.update_task(dataclasses.replace(notices.task("t3"), text="Y"))) == {"n1"}
        assert moved(lambda: world.apply(("notice", w.SNV, 3))) == {f"x{world.serial}"}
        assert moved(lambda: world.store.registry.add_contact(
            dataclasses.replace(world.store.registry.all_contacts()[0], name="Z"))) == set()
        stamps = notices.versions()
        world.store.close()
        reopened = DataStore.open(tmp_path / "data", backups_kept=0)
        try:  # read again from the disk: new stamps, never the old ones
            assert not set(reopened.notices.versions().values()) & set(stamps.values())
        finally:
            reopened.close()
    finally:
        if not world.store.closed:
            world.store.close()
