"""Webhook mode: Telegram POSTs each update to us (aiohttp, on the bot's own event loop).

TLS is the reverse proxy's job (README: nginx, Caddy); this listens on plain HTTP, usually on
127.0.0.1. A POST is accepted only with the secret token given to setWebhook in its
``X-Telegram-Bot-Api-Secret-Token`` header (401 without it, 403 with a wrong one, logged, never
processed), and is answered only once the update is handled and its effects are durable, so that
Telegram posts it again if the bot fails before.

The pieces are reusable: :func:`webhook_routes` gives the route to add to any aiohttp application
(a dashboard on the same server, say), :func:`webhook_app` an application with just that route,
:func:`start_site` / :func:`stop_site` run one on ``listen:port``.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.runtime import parse_update

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("dondoc.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few KB; Telegram never posts files


def webhook_routes(runtime: "Runtime", *, url_path: str, secret_token: str) -> list[web.RouteDef]:
    """The POST route that takes Telegram's updates (``/<url_path>``)."""
    expected = secret_token.encode()

    async def receive(request: web.Request) -> web.StreamResponse:
        got = request.headers.get(SECRET_HEADER)
        if got is None:
            log.warning("webhook: POST from %s without the secret token refused", request.remote)
            return web.Response(status=401, text="secret token missing")
        if not hmac.compare_digest(got.encode(), expected):
            log.warning("webhook: POST from %s with a wrong secret token refused", request.remote)
            return web.Response(status=403, text="wrong secret token")
        try:
            data = json.loads(await request.read())
            update = parse_update(data, runtime.app.bot) if isinstance(data, dict) else None
        except Exception:  # not JSON, or not an update
            update = None
        if update is None or not isinstance(update.update_id, int):
            log.warning("webhook: POST from %s is not an update; refused", request.remote)
            return web.Response(status=400, text="not an update")
        if runtime.stopping:
            return web.Response(status=503, text="stopping")  # Telegram posts it again later
        await runtime.handle(update)
        return web.Response(status=200)

    return [web.post("/" + url_path.strip("/"), receive)]


def webhook_app(runtime: "Runtime", *, url_path: str, secret_token: str) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app.add_routes(webhook_routes(runtime, url_path=url_path, secret_token=secret_token))
    return app


async def start_site(app: web.Application, listen: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, listen, port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int | None:
    """The port a site listens on (useful with port 0)."""
    for site in runner.sites:
        server = getattr(site, "_server", None)
        for sock in getattr(server, "sockets", None) or []:
            return sock.getsockname()[1]
    return None


async def stop_site(runner: web.AppRunner) -> None:
    await runner.cleanup()
