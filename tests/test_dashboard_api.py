"""The dashboard's HTTP API through aiohttp's test client: who may see what, and the numbers /status counts."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Services
from bot.calendar import WorkingCalendar
from bot.config import parse_config
from bot.dashboard.auth import sign_init_data
from bot.dashboard.server import build_web_app
from bot.directory import Directory
from bot.tracking import summarize
from storage import DataStore
from tests import dashboard_world as w

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def init_data(user_id: int, *, age: int = 60, token: str = TOKEN) -> str:
    return sign_init_data(token, user={"id": user_id, "first_name": "Người", "last_name": "Dùng"},
                          auth_date=int(w.NOW.timestamp()) - age)


@pytest.fixture
def world(tmp_path):
    store = DataStore.open(tmp_path / "data")
    w.build(store)
    cfg = parse_config({"people": {"admins": [w.ADMIN], "leaders": [w.LEADER]},
                        "storage": {"path": str(tmp_path / "data")}}, token=TOKEN)
    svc = Services(config=cfg, store=store, directory=Directory.load(ROOT / "agencies.example.toml"),
                   clock=lambda: w.NOW)
    yield svc
    store.close()


@contextlib.asynccontextmanager
async def client(svc):
    async with TestClient(TestServer(build_web_app(svc, TOKEN))) as c:
        yield c


async def get(c, path: str, user: int | None = None, *, raw: str | None = None):
    headers = {}
    if raw is not None:
        headers["Authorization"] = raw
    elif user is not None:
        headers["Authorization"] = "tma " + init_data(user)
    r = await c.get(path, headers=headers)
    return r.status, (await r.json() if r.content_type == "application/json" else await r.text())


async def test_page_and_files_carry_no_data_and_no_outside_address(world):
    async with client(world) as c:
        for path in ("/", "/app.js", "/app.css", "/texts.json"):
            r = await c.get(path)
            assert r.status == 200, path
            body = await r.text()
            assert "http://" not in body and "https://" not in body, path
            for secret in ("Sở Tài chính", "NV2", "89/TB-UBND"):
                assert secret not in body, (path, secret)
            assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        html = await (await c.get("/")).text()
        assert 'name="viewport"' in html and 'href="app.css"' in html and 'src="app.js"' in html
        assert (await c.get("/../config.toml")).status == 404
        assert (await c.get("/static/app.js")).status == 404


@pytest.mark.parametrize("path", ["/api/overview", "/api/tasks", "/api/task/t2"])
async def test_no_data_without_valid_signed_launch_data(world, path):
    forged = init_data(w.LEADER)[:-4] + "beef"
    async with client(world) as c:
        assert (await get(c, path))[0] == 401
        assert (await get(c, path, raw="Bearer " + init_data(w.LEADER)))[0] == 401
        assert (await get(c, path, raw="tma " + forged))[0] == 401
        assert (await get(c, path, raw="tma " + init_data(w.LEADER, age=25 * 3600)))[0] == 401
        other_bot = init_data(w.LEADER, token="987654321:ZZZdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
        assert (await get(c, path, raw="tma " + other_bot))[0] == 401
        status, body = await get(c, path, w.STRANGER)
        assert status == 403 and "quyền" in body["error"]
        assert "NV2" not in str(body) and "Sở" not in str(body)


async def test_leader_sees_the_province_as_status_counts_it(world):
    async with client(world) as c:
        status, d = await get(c, "/api/overview", w.LEADER)
    assert status == 200
    assert d["me"]["role"] == "leader" and d["scope"]["lead_only"] is True
    assert d["summary"]["counts"] == {"done_on_time": 1, "done_late": 1, "open_on_time": 2, "open_overdue": 1,
                                      "ongoing": 1}
    assert (d["summary"]["done"], d["summary"]["due"], d["summary"]["rate_text"]) == (2, 3, "66,7%")
    # The same numbers as the domain function behind /status.
    cal = WorkingCalendar(world.config.sections["calendar"])
    published = [a for n in ("n1", "n2") for a in world.store.notices.assignments(notice_id=n)]
    s = summarize(published, w.NOW.date(), cal)
    assert d["summary"]["counts"] == {c.value: n for c, n in s.counts.items()}
    assert [r["name"] for r in d["agencies"]][:2] == ["Sở Nội vụ", "Sở Tài chính"]  # overdue first
    assert [r["overdue"] for r in d["agencies"]] == [1, 1, 0]
    assert [(o["code"], o["days_overdue"], o["agency_name"]) for o in d["overdue"]] == [("NV2", 21, "Sở Tài chính")]
    latest = d["overdue"][0]["last_report"]
    assert latest["text"].startswith("Đang xin ý kiến") and latest["files"] == ["du-thao-phuong-an.pdf"]
    assert (d["week"]["reports"], d["week"]["completed"], d["week"]["extensions"]) == (2, 1, 1)
    assert [i["code"] for i in d["week"]["completed_items"]] == ["NV5"]
    assert {n["number"] for n in d["filters"]["notices"]} == {"89/TB-UBND", "90/TB-UBND"}  # no draft
    assert "NV7" not in str(d) and "NV8" not in str(d)  # dropped task, draft notice
    # The standing duty of every agency is counted apart, as /status counts it.
    assert (d["summary"]["standing"], d["summary"]["standing_tasks"], s.standing) == (2, 1, 2)


async def test_filters_by_notice_agency_and_category(world):
    async with client(world) as c:
        _, d = await get(c, "/api/overview?notice=n2", w.ADMIN)
        assert d["summary"]["total"] == 2 and d["summary"]["counts"]["done_late"] == 1
        _, d = await get(c, "/api/overview?agency=so-noi-vu", w.ADMIN)
        assert d["scope"]["lead_only"] is False and d["summary"]["total"] == 3  # lead and coordinating
        assert d["week"]["reports"] == 0  # its only report is older than a week
        _, d = await get(c, "/api/tasks?category=open_overdue", w.ADMIN)
        assert sorted((t["code"], t["agency"]) for t in d["tasks"]) == [("NV2", w.SNV), ("NV2", w.STC)]
        _, d = await get(c, "/api/tasks?agency=so-tu-phap&notice=n2", w.ADMIN)
        assert [t["code"] for t in d["tasks"]] == ["NV6"] and d["tasks"][0]["deadline"] == "2024-04-05"
        _, d = await get(c, "/api/tasks", w.ADMIN)
        assert d["tasks"][0]["category"] == "open_overdue"  # overdue first
        assert {t["code"] for t in d["tasks"] if t["standing"]} == {"NV9"}
        _, d = await get(c, "/api/tasks?category=ongoing", w.ADMIN)
        assert [t["code"] for t in d["tasks"]] == ["NV4"]  # as many as the card counts
        assert (await get(c, "/api/tasks?category=bogus", w.ADMIN))[0] == 404
        assert (await get(c, "/api/overview?notice=n3", w.ADMIN))[0] == 404  # a draft


async def test_task_history(world):
    async with client(world) as c:
        status, d = await get(c, "/api/task/t5", w.LEADER)
        assert status == 200 and d["task"]["code"] == "NV5"
        a = d["assignments"][0]
        assert a["confirmed"] and a["completed_at"].startswith("2024-03-10") and a["category"] == "done_late"
        assert [r["files"] for r in a["reports"]] == [["quy-che.docx"]]
        assert [(e["decision"], e["new_deadline"]) for e in a["extensions"]] == [("refused", "2024-03-30")]
        _, d = await get(c, "/api/task/t6", w.LEADER)
        ext = d["assignments"][0]["extensions"][0]
        assert (ext["decision"], ext["previous_deadline"]) == ("approved", "2024-03-05")
        assert (await get(c, "/api/task/t8", w.LEADER))[0] == 404  # draft notice
        assert (await get(c, "/api/task/nope", w.LEADER))[0] == 404


async def test_agency_contact_sees_their_own_agency_only(world):
    async with client(world) as c:
        status, d = await get(c, "/api/overview", w.CONTACT)
        assert status == 200 and d["me"]["role"] == "agency"
        assert d["me"]["agencies"] == [{"id": w.STC, "name": "Sở Tài chính"}]
        assert d["summary"]["total"] == 2 and [a["id"] for a in d["agencies"]] == [w.STC]
        assert (d["week"]["reports"], d["week"]["completed"]) == (2, 1)
        assert [a["id"] for a in d["filters"]["agencies"]] == [w.STC]
        assert "Sở Tư pháp" not in str(d) and "Sở Nội vụ" not in str(d)
        _, d = await get(c, "/api/tasks", w.CONTACT)
        assert {t["agency"] for t in d["tasks"]} == {w.STC}
        assert (await get(c, "/api/overview?agency=so-tu-phap", w.CONTACT))[0] == 403
        assert (await get(c, "/api/tasks?agency=so-noi-vu", w.CONTACT))[0] == 403
        assert (await get(c, "/api/task/t3", w.CONTACT))[0] == 403  # Sở Tư pháp's task
        status, d = await get(c, "/api/task/t2", w.CONTACT)  # shared task: only their own part
        assert status == 200 and [a["agency"] for a in d["assignments"]] == [w.STC]


async def test_auth_date_is_checked_against_the_bots_clock(world):
    world.clock = lambda: w.NOW.replace(day=14)  # two days later: the same launch data has expired
    async with client(world) as c:
        assert (await get(c, "/api/overview", w.LEADER))[0] == 401


def test_real_time_signature_with_default_now():
    from bot.dashboard.auth import verify_init_data

    raw = sign_init_data(TOKEN, user={"id": 5, "first_name": "A"})
    assert verify_init_data(raw, TOKEN).id == 5
    assert verify_init_data(raw, TOKEN, now=time.time() + 100).id == 5


@pytest.mark.parametrize("section, problem", [
    ({"enabled": True}, "dashboard.public_url: set the https address"),
    ({"enabled": True, "public_url": "http://dondoc.example/mini/"}, "dashboard.public_url: must be an https://"),
    ({"public_url": "https://dondoc.example/mini/?x=1"}, "dashboard.public_url: must be an https://"),
    ({"port": 70000}, "dashboard.port: must be 1 to 65535"),
    ({"listen": ""}, "dashboard.listen:"),
    ({"enabled": "yes"}, "dashboard.enabled: must be true or false"),
    ({"colour": "red"}, "dashboard.colour: unknown key"),
])
def test_check_config_one_line_per_bad_setting(tmp_path, section, problem):
    from bot.config import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_config({"people": {"admins": [1]}, "storage": {"path": str(tmp_path / "d")}, "dashboard": section},
                     token=TOKEN)
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems
    assert all("\n" not in p for p in err.value.problems)


def test_config_defaults_and_trailing_slash(tmp_path):
    cfg = parse_config({"people": {"admins": [1]}, "storage": {"path": str(tmp_path / "d")},
                        "dashboard": {"enabled": True, "public_url": "https://dondoc.example/mini"}}, token=TOKEN)
    d = cfg.dashboard
    assert (d.enabled, d.listen, d.port, d.public_url) == (True, "127.0.0.1", 8090, "https://dondoc.example/mini/")
    assert parse_config({"people": {"admins": [1]}, "storage": {"path": str(tmp_path / "d")}},
                        token=TOKEN).dashboard.enabled is False


async def test_a_write_to_the_store_shows_at_the_next_request(world):
    """Views are cached per state of the store: a confirmation recorded a moment ago is counted."""
    import dataclasses

    async with client(world) as c:
        _, before = await get(c, "/api/overview", w.LEADER)
        _, again = await get(c, "/api/overview", w.LEADER)
        assert again["summary"] == before["summary"]
        a = world.store.notices.assignment("a2")
        done = w.at(2024, 3, 11, 15)
        world.store.notices.update_assignment(dataclasses.replace(a, completed_at=done, done_reported_at=done))
        _, after = await get(c, "/api/overview", w.LEADER)
        assert after["summary"]["counts"]["open_overdue"] == 0 and after["summary"]["counts"]["done_late"] == 2
        assert after["summary"]["rate_text"] == "100,0%" and after["overdue"] == []
        _, d = await get(c, "/api/tasks?category=done_late", w.LEADER)
        assert {t["code"] for t in d["tasks"]} == {"NV2", "NV5"}


async def test_latest_report_of_an_overdue_task_is_the_newest(world):
    from bot.models import Progress, Report

    world.store.notices.add_report(Report(
        id="r9", assignment_id="a2", notice_id="n1", agency_id=w.STC, chat_id=w.TC_GROUP, message_id=999,
        author_id=w.CONTACT, author_name="Lê Văn Tài", at=w.at(2024, 3, 11, 10), text="Đã trình UBND tỉnh",
        status=Progress.IN_PROGRESS))
    async with client(world) as c:
        _, d = await get(c, "/api/overview", w.LEADER)
    assert d["overdue"][0]["last_report"]["text"] == "Đã trình UBND tỉnh" and d["week"]["reports"] == 3


async def test_long_task_lists_are_cut_with_their_total(world, monkeypatch):
    from bot.dashboard import api

    monkeypatch.setattr(api, "TASKS_LIMIT", 2)
    async with client(world) as c:
        _, d = await get(c, "/api/tasks", w.LEADER)
    assert d["total"] == 9 and len(d["tasks"]) == 2 and d["tasks"][0]["category"] == "open_overdue"
