"""The dashboard in a real browser (Debian's headless chromium over the DevTools protocol) at 390 × 844:
the numbers a leader reads, an agency contact's own view, refusals for forged, expired and outsider
launch data, Telegram's theme, no request leaving the bot, and nothing wider than the phone screen."""

from __future__ import annotations

import contextlib
import functools
import json
import struct
from urllib.parse import quote

import pytest
import pytest_asyncio

from bot.app import Services
from bot.config import parse_config
from bot.dashboard.auth import sign_init_data
from bot.dashboard.server import DashboardServer
from bot.directory import Directory
from storage import DataStore
from tests import chromium
from tests import dashboard_world as w
from tests.test_dashboard_api import ROOT, TOKEN

pytestmark = [pytest.mark.skipif(not chromium.available(), reason="Debian's chromium is not installed "
                                 "(/usr/bin/chromium; scripts/system-packages.sh installs it as root)"),
              pytest.mark.asyncio(loop_scope="module")]
DARK = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499", "link_color": "#6ab3f3",
        "button_color": "#5288c1", "button_text_color": "#ffffff", "secondary_bg_color": "#232e3c"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    """One browser for the module (a page per test): starting chromium is most of a test's time."""
    async with chromium.Browser.launch() as b:
        yield b


@pytest.fixture
def served(browser):
    return functools.partial(_served, browser)


@contextlib.asynccontextmanager
async def _served(browser, tmp_path):
    store = DataStore.open(tmp_path / "data")
    w.build(store)
    cfg = parse_config({"people": {"admins": [w.ADMIN], "leaders": [w.LEADER]},
                        "storage": {"path": str(tmp_path / "data")}}, token=TOKEN)
    svc = Services(config=cfg, store=store, directory=Directory.load(ROOT / "agencies.example.toml"),
                   clock=lambda: w.NOW)
    server = DashboardServer(svc, TOKEN, "127.0.0.1", 0)
    await server.start()
    try:
        yield server, browser
    finally:
        await server.stop()
        store.close()


def launch_url(server, user_id: int | None, *, age: int = 60, token: str = TOKEN, theme=None, tamper=None) -> str:
    """The page's address as a Telegram client opens it: the launch data in the fragment."""
    data = sign_init_data(token, user={"id": user_id, "first_name": "Giang", "last_name": "Lâm"},
                          auth_date=int(w.NOW.timestamp()) - age)
    if tamper:
        data = tamper(data)
    fragment = f"tgWebAppData={quote(data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=android"
    if theme:
        fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    return server.url + "#" + fragment


# Measured by the test itself, not by the page: every element's box against the screen, except what
# sits inside a box that scrolls sideways on its own (wide tables), and those boxes themselves.
LAYOUT = """(() => {
  const vw = document.documentElement.clientWidth, bad = [];
  const scrolls = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || scrolls(el)) continue;
    if (r.right > vw + 0.5 || r.left < -0.5)
      bad.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  return {vw, innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
          bodyWidth: document.body.scrollWidth, bad, elements: document.body.querySelectorAll('*').length,
          viewport: (document.querySelector('meta[name=viewport]') || {}).content || ''};
})()"""


async def layout_ok(page) -> None:
    m = await page.evaluate(LAYOUT)
    assert m["vw"] == 390 and m["innerWidth"] == 390, m  # the phone's width, not a desktop's
    assert "width=device-width" in m["viewport"]
    assert not m["bad"], f"wider than the 390 px screen: {m['bad']}"
    assert m["scrollWidth"] <= 390 and m["bodyWidth"] <= 390, "the page scrolls sideways"
    assert m["elements"] > 3


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_leader_reads_the_province(tmp_path, served):
    async with served(tmp_path) as (server, browser), browser.page() as page:
        assert await page.goto(launch_url(server, w.LEADER, theme=DARK)) == "ready"
        counts = await page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('[data-count]')].filter(e => e.closest('#summary'))"
            ".map(e => [e.dataset.count, e.textContent]))")
        assert counts == {"done_on_time": "1", "done_late": "1", "open_on_time": "2", "open_overdue": "1",
                          "ongoing": "1"}
        text = await page.evaluate("document.body.innerText")
        assert "66,7%" in text and "Đã hoàn thành đúng hạn" in text and "Chưa hoàn thành, quá hạn" in text
        assert "NV2" in text and "quá hạn 21 ngày" in text and "du-thao-phuong-an.pdf" in text
        assert "Nhiệm vụ chung cho tất cả cơ quan: 1" in text  # counted apart
        assert "<script>x</script>" in text  # a report's text shown as text, never run as HTML
        rows = await page.evaluate("[...document.querySelectorAll('#agency-table tbody tr')].map(r => r.dataset.agency)")
        assert rows[:2] == [w.SNV, w.STC] and len(rows) == 3  # overdue first
        bars = await page.evaluate("[...document.querySelectorAll('#chart rect')].map(r => r.dataset.agency + ':' + r.dataset.cat + ':' + r.dataset.n)")
        assert f"{w.STC}:done_late:1" in bars and f"{w.STP}:open_on_time:2" in bars
        # Telegram's theme from the fragment.
        assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(23, 33, 43)"
        await layout_ok(page)
        shot = await page.screenshot(tmp_path / "leader-390x844.png")
        assert png_size(shot.read_bytes()) == (780, 1688)
        # Sort by name, then open an agency's tasks, then a task's history.
        await page.evaluate("document.querySelector('th[data-key=name]').click()")
        rows = await page.evaluate("[...document.querySelectorAll('#agency-table tbody tr')].map(r => r.dataset.agency)")
        assert rows == [w.SNV, w.STC, w.STP]
        assert await page.click(f"#agency-table tr[data-agency='{w.STC}']") == "ready"
        codes = await page.evaluate("[...document.querySelectorAll('#tasks article')].map(a => a.querySelector('.code').textContent)")
        assert codes == ["NV2", "NV5"]
        await layout_ok(page)
        assert await page.click("#tasks article[data-task='t5']") == "ready"
        text = await page.evaluate("document.body.innerText")
        assert "quy-che.docx" in text and "Văn phòng đã xác nhận hoàn thành" in text and "không đồng ý" in text
        await layout_ok(page)
        # Filter by notice.
        assert await page.click("#back") == "ready"
        assert await page.click("#back") == "ready"
        await page.evaluate("const s = document.getElementById('f-notice'); s.value = 'n2';"
                            "document.getElementById('app').dataset.state = 'loading';"
                            "s.dispatchEvent(new Event('change'))")
        assert await page.wait_done() == "ready"
        assert await page.evaluate("document.getElementById('summary').dataset.total") == "2"
        # Nothing but the bot's own address was ever asked for.
        assert page.requests and all(u.startswith(server.url) for u in page.requests), page.requests


async def test_agency_contact_sees_their_agency_only(tmp_path, served):
    async with served(tmp_path) as (server, browser), browser.page() as page:
        assert await page.goto(launch_url(server, w.CONTACT)) == "ready"
        text = await page.evaluate("document.body.innerText")
        assert "Sở Tài chính" in text and "Sở Tư pháp" not in text and "Sở Nội vụ" not in text
        assert await page.evaluate("document.getElementById('summary').dataset.total") == "2"
        await layout_ok(page)
        # The check can fail: a box wider than the screen outside a scrolling box is found.
        await page.evaluate("const d = document.createElement('div'); d.style.width = '600px'; d.textContent = 'x';"
                            "document.getElementById('app').appendChild(d)")
        with pytest.raises(AssertionError):  # (the phone zooms out to show it: the page is wider than the screen)
            await layout_ok(page)


async def test_forged_expired_and_outsider_launch_data_get_nothing(tmp_path, served):
    forge = lambda data: data.replace("%22id%22%3A3001", "%22id%22%3A1002")  # noqa: E731 contact poses as leader
    async with served(tmp_path) as (server, browser), browser.page() as page:
        cases = {
            "no launch data": server.url,
            "forged": launch_url(server, w.CONTACT, tamper=forge),
            "expired": launch_url(server, w.LEADER, age=25 * 3600),
            "outsider": launch_url(server, w.STRANGER),
            "another bot": launch_url(server, w.LEADER, token="987654321:ZZZdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
        }
        for name, url in cases.items():
            await page.call("Page.navigate", {"url": "about:blank"})
            assert await page.goto(url) == "refused", name
            text = await page.evaluate("document.body.innerText")
            assert "Không có quyền truy cập" in text, name
            for leaked in ("NV2", "Sở", "89/TB-UBND", "66,7"):
                assert leaked not in text, (name, leaked)
            assert await page.evaluate("document.querySelectorAll('[data-count], table, svg').length") == 0, name
            await layout_ok(page)


async def test_launch_data_from_an_injected_telegram_webapp(tmp_path, served):
    """When a Telegram client provides window.Telegram.WebApp, its initData and themeParams are used."""
    async with served(tmp_path) as (server, browser), browser.page() as page:
        data = sign_init_data(TOKEN, user={"id": w.LEADER, "first_name": "Giang"}, auth_date=int(w.NOW.timestamp()))
        await page.call("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__ready = 0; window.Telegram = {WebApp: {initData: %s, themeParams: {bg_color: '#102030'},"
            " ready() { window.__ready++; }, expand() {}, onEvent() {}}};" % json.dumps(data))})
        assert await page.goto(server.url) == "ready"
        assert await page.evaluate("document.getElementById('summary').dataset.total") == "6"
        assert await page.evaluate("window.__ready") == 1
        assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(16, 32, 48)"


async def test_telegram_clients_bridge_theme_changes_and_back_button(tmp_path, served):
    """Without Telegram's script the page talks to the client through its documented bridge: it says it is
    ready, shows and hides Telegram's own back button, follows a theme change and goes back on its press."""
    async with served(tmp_path) as (server, browser), browser.page() as page:
        await page.call("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__events = []; window.TelegramWebviewProxy = {postEvent(type, data) {"
            " window.__events.push([type, JSON.parse(data)]); }};")})
        assert await page.goto(launch_url(server, w.LEADER)) == "ready"
        events = await page.evaluate("window.__events")
        assert ["web_app_ready", {}] in events and ["web_app_request_theme", {}] in events
        assert events[-1] == ["web_app_setup_back_button", {"is_visible": False}]
        await page.evaluate("window.Telegram.WebView.receiveEvent('theme_changed', {theme_params: "
                            "{bg_color: '#102030', text_color: '#fafafa'}})")
        assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(16, 32, 48)"
        assert await page.click(f"#agency-table tr[data-agency='{w.STC}']") == "ready"
        assert (await page.evaluate("window.__events"))[-1] == ["web_app_setup_back_button", {"is_visible": True}]
        await page.evaluate("document.getElementById('app').dataset.state = 'loading';"
                            "window.Telegram.WebView.receiveEvent('back_button_pressed', null)")
        assert await page.wait_done() == "ready"
        assert await page.evaluate("!!document.getElementById('overview')")
        assert (await page.evaluate("window.__events"))[-1] == ["web_app_setup_back_button", {"is_visible": False}]
