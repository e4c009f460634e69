"""The dashboard's HTTP server: aiohttp on the bot's own event loop, started and stopped with the application.

Routes (all relative to where the page is served, so any reverse-proxy prefix works):

* ``GET /`` the page, ``GET /app.js``, ``GET /app.css`` its files, ``GET /texts.json`` its words
  (no data in any of them);
* ``GET /api/overview``, ``GET /api/tasks``, ``GET /api/task/{task_id}``: data, only with
  ``Authorization: tma <initData>`` signed by Telegram for a user allowed to see it
  (401 without valid signed data, 403 for a user who may not see it).

The views run in a worker thread (the store is thread-safe), so a big one never stalls the bot.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from bot.dashboard import api
from bot.dashboard.auth import InitDataError, verify_init_data
from bot.texts import t

log = logging.getLogger("dondoc.dashboard")

STATIC = Path(__file__).parent / "static"
_FILES = {"index.html": "text/html", "app.js": "text/javascript", "app.css": "text/css"}
# Everything the page needs comes from the bot: the browser is told to load nothing from anywhere else.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'")
_SERVICES = web.AppKey("services", object)
_TOKEN = web.AppKey("token", str)
_CACHE = web.AppKey("cache", api.Cache)


def _calendar(svc: Any):
    cal = svc.extra.get("calendar")
    if cal is None:
        from bot.calendar import CalendarSettings, WorkingCalendar

        settings = svc.config.sections.get("calendar") or CalendarSettings(timezone=svc.config.timezone)
        cal = svc.extra["calendar"] = WorkingCalendar(settings)
    return cal


def _encode(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _json(data: Any, status: int = 200) -> web.Response:
    text = data if isinstance(data, str) else _encode(data)
    return web.Response(text=text, status=status, content_type="application/json",
                        headers={"Cache-Control": "no-store"})


def _error(status: int, key: str) -> web.Response:
    return _json({"error": t(f"dashboard.api_{key}"), "status": status}, status)


@web.middleware
async def _headers(request: web.Request, handler: Callable) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


async def _static(request: web.Request) -> web.StreamResponse:
    name = request.match_info.get("name") or "index.html"
    if name not in _FILES:
        raise web.HTTPNotFound()
    return web.Response(body=(STATIC / name).read_bytes(), content_type=_FILES[name], charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def _texts(request: web.Request) -> web.Response:
    return _json(api.page_texts())


def _viewer(request: web.Request) -> api.Viewer | web.Response:
    """The signed-in viewer, or the 401/403 answer."""
    svc = request.app[_SERVICES]
    header = request.headers.get("Authorization", "")
    scheme, _, init_data = header.partition(" ")
    if scheme.lower() != "tma" or not init_data.strip():
        log.info("dashboard: %s refused (no launch data)", request.path)
        return _error(401, "unauthorized")
    try:
        user = verify_init_data(init_data.strip(), request.app[_TOKEN], now=svc.now().timestamp())
    except InitDataError as exc:
        log.info("dashboard: %s refused (%s)", request.path, exc)
        return _error(401, "unauthorized")
    viewer = api.viewer_for(user.id, user.name, svc.config, svc.store)
    if viewer is None:
        log.info("dashboard: %s refused for user %s (not a leader, admin or agency contact)", request.path, user.id)
        return _error(403, "forbidden")
    return viewer


async def _view(request: web.Request, fn: Callable[..., dict], **kwargs: Any) -> web.Response:
    viewer = _viewer(request)
    if isinstance(viewer, web.Response):
        return viewer
    svc = request.app[_SERVICES]
    started = time.perf_counter()
    call = functools.partial(fn, svc.store, svc.directory, _calendar(svc), svc.now(), viewer,
                             cache=request.app[_CACHE], **kwargs)
    try:
        # Built and encoded in the worker thread (a province's view is ~150 KiB of JSON).
        data = await asyncio.get_running_loop().run_in_executor(None, lambda: _encode(call()))
    except api.Forbidden:
        log.info("dashboard: %s refused for user %s (outside their agency)", request.path, viewer.user_id)
        return _error(403, "forbidden")
    except api.NotFoundError:
        return _error(404, "not_found")
    log.info("dashboard: %s for user %s (%s) in %.0f ms", request.path, viewer.user_id, viewer.role,
             (time.perf_counter() - started) * 1000)
    return _json(data)


def _query(request: web.Request, name: str) -> str | None:
    value = request.query.get(name, "").strip()
    return value or None


async def _overview(request: web.Request) -> web.Response:
    return await _view(request, api.overview, notice=_query(request, "notice"), agency=_query(request, "agency"))


async def _tasks(request: web.Request) -> web.Response:
    return await _view(request, api.tasks, notice=_query(request, "notice"), agency=_query(request, "agency"),
                       category_id=_query(request, "category"))


async def _task(request: web.Request) -> web.Response:
    return await _view(request, api.task_history, task_id=request.match_info["task_id"])


def build_web_app(svc: Any, token: str) -> web.Application:
    """The aiohttp application of the dashboard over the bot's services (store, directory, config, clock)."""
    app = web.Application(middlewares=[_headers], client_max_size=64 * 1024)
    app[_SERVICES] = svc
    app[_TOKEN] = token
    app[_CACHE] = api.Cache()
    app.router.add_get("/", _static)
    app.router.add_get("/{name:(index\\.html|app\\.js|app\\.css)}", _static)
    app.router.add_get("/texts.json", _texts)
    app.router.add_get("/api/overview", _overview)
    app.router.add_get("/api/tasks", _tasks)
    app.router.add_get("/api/task/{task_id}", _task)
    return app


class DashboardServer:
    """The dashboard's site on ``listen:port``, on the running event loop."""

    def __init__(self, svc: Any, token: str, listen: str, port: int):
        self.web_app = build_web_app(svc, token)
        self.listen, self.port = listen, port
        self._runner: web.AppRunner | None = None
        self.warmed: asyncio.Future | None = None  # the state read once at start (see :func:`api.warm`)

    async def start(self) -> None:
        # The state is read before the port opens: every request that reaches the dashboard finds it
        # kept (at a year, the read takes ~0.3-0.6 s; a request during it would have waited for it).
        self.warmed = asyncio.ensure_future(self._warm())
        await asyncio.wait([self.warmed])
        self._runner = web.AppRunner(self.web_app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # port 0: the port the system chose
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("dashboard: serving on http://%s:%s/", self.listen, self.port)

    async def _warm(self) -> None:
        """Read the store once now, in a worker thread, so that the first leader is not the one who waits."""
        svc = self.web_app[_SERVICES]
        started = time.perf_counter()
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, api.warm, svc.store, svc.directory, _calendar(svc), svc.now(), self.web_app[_CACHE])
        except Exception as exc:  # the store closed meanwhile, ...: requests build the state themselves
            log.warning("dashboard: warm-up failed (%s: %s)", type(exc).__name__, exc)
            return
        log.info("dashboard: state read in %.0f ms", (time.perf_counter() - started) * 1000)

    async def stop(self) -> None:
        if self.warmed is not None:
            await asyncio.wait([self.warmed])
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            log.info("dashboard: stopped")

    @property
    def url(self) -> str:
        return f"http://{self.listen}:{self.port}/"
