"""Debian's headless chromium driven over the DevTools protocol (aiohttp's websocket client, no selenium).

``async with Browser.launch() as b: page = await b.open(url, width=390, height=844)`` emulates a phone
screen (Chromium's headless window cannot be narrower than 500 px, so --window-size alone cannot),
waits until the page says it is done (``#app[data-state]``), and lets a test evaluate JS, read the DOM,
take a screenshot and list every URL the page requested.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars"]


def available() -> bool:
    return CHROMIUM.exists()


class Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self._ids = itertools.count(1)
        self.requests: list[str] = []

    async def call(self, method: str, params: dict | None = None, timeout: float = 20) -> dict:
        msg_id = next(self._ids)
        await self.ws.send_str(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"DevTools connection closed ({msg.type})")
                data = json.loads(msg.data)
                if data.get("method") == "Network.requestWillBeSent":
                    self.requests.append(data["params"]["request"]["url"])
                if data.get("id") == msg_id:
                    if "error" in data:
                        raise RuntimeError(f"{method}: {data['error']}")
                    return data.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                      "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"JS error: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_done(self, timeout: float = 20) -> str:
        """The page's final state (``ready``, ``refused``, ``error``) once it is not loading any more."""
        expr = "(document.getElementById('app') || {dataset: {}}).dataset.state || ''"
        async with asyncio.timeout(timeout):
            while True:
                state = await self.evaluate(expr)
                if state and state != "loading":
                    await self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    return state
                await asyncio.sleep(0.05)

    async def goto(self, url: str) -> str:
        await self.call("Page.navigate", {"url": url})
        return await self.wait_done()

    async def click(self, selector: str) -> str:
        """Click the first element matching ``selector`` and wait for the page to be done again."""
        await self.evaluate(f"document.getElementById('app').dataset.state = 'loading';"
                            f"document.querySelector({json.dumps(selector)}).click()")
        return await self.wait_done()

    async def html(self) -> str:
        return await self.evaluate("document.documentElement.outerHTML")

    async def screenshot(self, path: Path) -> Path:
        data = await self.call("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(data["data"]))
        return path


class Browser:
    def __init__(self, proc: asyncio.subprocess.Process, port: int, profile: str, session: aiohttp.ClientSession):
        self.proc, self.port, self.profile, self.session = proc, port, profile, session

    @classmethod
    @contextlib.asynccontextmanager
    async def launch(cls):
        profile = tempfile.mkdtemp(prefix="dondoc-chromium-")
        proc = await asyncio.create_subprocess_exec(
            str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0", "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        session = aiohttp.ClientSession()
        try:
            port = None
            async with asyncio.timeout(30):
                while port is None:
                    line = await proc.stderr.readline()
                    if not line:
                        raise RuntimeError("chromium exited before DevTools listened")
                    m = re.search(rb"DevTools listening on ws://[^:]+:(\d+)/", line)
                    if m:
                        port = int(m.group(1))
            drain = asyncio.create_task(_drain(proc.stderr))
            try:
                yield cls(proc, port, profile, session)
            finally:
                drain.cancel()
        finally:
            await session.close()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            shutil.rmtree(profile, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def page(self, *, width: int = 390, height: int = 844, scale: float = 2):
        async with self.session.put(f"http://127.0.0.1:{self.port}/json/new?about:blank") as r:
            target = await r.json()
        ws = await self.session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(ws)
        try:
            await page.call("Network.enable")
            await page.call("Page.enable")
            await page.call("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": True})
            yield page
        finally:
            await ws.close()
            async with self.session.get(f"http://127.0.0.1:{self.port}/json/close/{target['id']}") as r:
                await r.read()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass
