"""The HTTP side: a ThreadingHTTPServer on 127.0.0.1 speaking the Bot API, and BotAPIEmulator."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from .flood import FloodLimits
from .methods import BotApiMethods
from .spec import SpecChecker, UploadedFile
from .world import ApiError

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:AAEmulatorTestTokenForDondocBotApi0"
_SPEC: SpecChecker | None = None


@dataclasses.dataclass
class Fault:
    """One injected fault: the next ``times`` matching requests (after ``skip`` of them) get it.

    kind: "error" (answer ``status``, e.g. 500, without doing anything), "429" (answer 429 with
    ``retry_after``, nothing done), "drop" (close the connection without an answer, nothing done),
    "slow" (do it, then wait ``delay`` seconds before answering), "drop_after" (do it, then close the
    connection without an answer: the client cannot know it arrived).
    method: a Bot API method name, "messages" (every method that posts a message) or None (any
    but getUpdates); chat_id: only requests to this chat; probability: of hitting a matching request
    (seeded random, so runs repeat).
    """

    kind: str
    method: str | None = "messages"
    chat_id: int | None = None
    times: int = 1
    skip: int = 0
    status: int = 500
    retry_after: int = 1
    delay: float = 0.0
    probability: float = 1.0
    hits: int = 0
    seen: int = 0

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.hits >= self.times:
            return False
        if self.method == "messages":
            if method not in MESSAGE_METHODS:
                return False
        elif self.method is None:
            if method == "getUpdates":
                return False
        elif self.method != method:
            return False
        if self.chat_id is not None and str(self.chat_id) != str(chat_id):
            return False
        return True


MESSAGE_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "sendVideo", "sendAudio", "sendVoice",
                             "sendAnimation", "sendSticker", "sendMediaGroup", "sendLocation", "sendContact",
                             "sendPoll", "sendDice", "sendVenue", "copyMessage", "forwardMessage"})


def _spec() -> SpecChecker:
    global _SPEC
    if _SPEC is None:
        _SPEC = SpecChecker()
    return _SPEC


class BotAPIEmulator(BotApiMethods):
    """A local Telegram Bot API server plus a driver for tests. See the package docstring."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "dondoc_test_bot",
                 bot_name: str = "Đôn đốc", flood: FloodLimits | None = None,
                 clock: Callable[[], float] = time.time, port: int = 0):
        super().__init__(token, bot_username, bot_name, flood, clock)
        self._port = port
        self.spec = _spec()
        self.requests: list[tuple[str, dict]] = []
        self.responses: list[tuple[str, dict]] = []
        self.spec_errors: list[str] = []
        self.spec_notes: list[str] = []
        self.unsupported: list[str] = []
        self._in_flight = 0
        self._returned: set[tuple[int, int, int]] = set()  # messages wait_for_bot_message gave out
        self._last_activity = time.monotonic()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.closing = False
        self.idle_checks: list[Callable[[], bool]] = []  # the client's own "nothing left to send" probes
        self.faults: list[Fault] = []
        self.fault_log: list[tuple[str, str, Any]] = []  # (kind, method, chat_id) of each fault applied
        self._fault_random = random.Random(1234)

    # ------------------------------------------------------------------ fault injection
    def inject(self, kind: str, **kw: Any) -> Fault:
        """Add a fault (see :class:`Fault`); e.g. ``emu.inject("error", times=3)``,
        ``emu.inject("slow", delay=2.0, chat_id=-100)``, ``emu.inject("429", times=50, retry_after=2)``."""
        fault = Fault(kind, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def _take_fault(self, method: str, chat_id: Any) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, chat_id):
                    fault.seen += 1
                    if fault.seen <= fault.skip:
                        continue
                    if fault.probability < 1.0 and self._fault_random.random() >= fault.probability:
                        continue
                    fault.hits += 1
                    self.fault_log.append((fault.kind, method, chat_id))
                    return fault
        return None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "BotAPIEmulator":
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="bot-api-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.lock:
            self.closing = True
            self.changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "BotAPIEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "call start() first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------ one request
    def handle(self, method: str, raw: dict[str, Any], files: dict[str, UploadedFile], *, form: bool,
               token: str) -> tuple[int, dict]:
        """Answer one Bot API call: (HTTP status, JSON body)."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        checked = self.spec.check(method, raw, files, form=form)
        name = self.spec.method_name(method) or method
        polling = name == "getUpdates"
        with self.lock:
            self.requests.append((name, checked.params))
            self.spec_notes.extend(checked.notes)
            self.spec_errors.extend(checked.errors)
            if not polling:
                self._in_flight += 1
                self._last_activity = time.monotonic()
        try:
            if self.spec.method_name(method) is None:
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            if checked.errors:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: " + checked.errors[0]}
            impl = getattr(self, f"api_{name}", None)
            if impl is None:
                with self.lock:
                    self.unsupported.append(name)
                return 400, {"ok": False, "error_code": 400,
                             "description": f"Bad Request: {name} is not emulated (bot.emulator)"}
            try:
                with self.lock:
                    result = impl(checked.params)
            except ApiError as exc:
                return exc.code, exc.payload()
            except Exception as exc:  # an emulator bug: answer 500, keep serving
                log.exception("emulator failed on %s", name)
                return 500, {"ok": False, "error_code": 500, "description": f"Internal Server Error: {exc}"}
            with self.lock:
                self.responses.append((name, result))
            return 200, {"ok": True, "result": result}
        finally:
            with self.lock:
                if not polling:
                    self._in_flight -= 1
                    self._last_activity = time.monotonic()
                self.changed.notify_all()

    # ------------------------------------------------------------------ observing
    def calls(self, method: str) -> list[dict]:
        """Parameters of every request to `method`, in order."""
        with self.lock:
            return [p for m, p in self.requests if m == method]

    @property
    def pending_updates(self) -> int:
        """Updates created but not yet handed to the bot (by getUpdates, or answered 2xx to the webhook)."""
        with self.lock:
            if self.webhook["url"]:
                return len(self.updates)
            return sum(1 for u in self.updates if u["update_id"] > self.delivered_upto)

    @property
    def webhook_answers(self) -> list[tuple[int, int]]:
        """(update_id, HTTP status) of every webhook delivery attempt, in order."""
        with self.lock:
            return list(getattr(self.webhook_delivery, "answers", []))

    def post_update(self, update: dict, *, secret: str | None, url: str | None = None) -> int:
        """POST one update body to the webhook URL (or ``url``) by hand, e.g. forged; the HTTP status.
        Blocking: call it with ``asyncio.to_thread`` from the bot's event loop."""
        from .webhook import post

        return post(url or self.webhook["url"], update, secret)

    # ------------------------------------------------------------------ async waiters
    async def wait_until(self, cond: Callable[[], Any], timeout: float = 5.0, *, what: str = "") -> Any:
        """Wait (without blocking the loop) until cond() is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                value = cond()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"emulator: timed out after {timeout}s waiting for "
                                   f"{what or getattr(cond, '__name__', 'condition')}; {self._state()}")
            await asyncio.sleep(0.005)

    async def wait_for_bot_message(self, chat_id: int | None = None,
                                   predicate: Callable[[dict], bool] | None = None, timeout: float = 5.0,
                                   *, since: int | None = None, include_edits: bool = False) -> dict:
        """The first message the bot sent to `chat_id` (any chat if None) after the last driver
        action (or after `since`, a `seq` value) that satisfies `predicate` and that no earlier
        call returned: two calls in a row give two successive messages, in any order of predicates.
        With include_edits, a message edited after that point also matches (as it is now)."""
        mark = self.mark if since is None else since
        key = "changed_seq" if include_edits else "seq"

        def find():
            for m in self.bot_messages(chat_id):
                if m[key] > mark and (m["chat"]["id"], m["message_id"], m[key]) not in self._returned \
                        and (predicate is None or predicate(m)):
                    return m
            return None
        found = await self.wait_until(find, timeout, what=f"a bot message in chat {chat_id}")
        with self.lock:
            self._returned.add((found["chat"]["id"], found["message_id"], found[key]))
        return found

    async def wait_idle(self, quiet: float = 0.15, timeout: float = 10.0) -> None:
        """Wait until the bot has fetched every pending update and made no request for `quiet` s
        (and every probe in `idle_checks`, e.g. the bot's outbox sender, says it is idle)."""
        def idle():
            if self.pending_updates or self._in_flight:
                return False
            if not all(check() for check in list(self.idle_checks)):
                self._last_activity = time.monotonic()
                return False
            return time.monotonic() - self._last_activity >= quiet
        await self.wait_until(idle, timeout, what="the bot to go idle")

    def _state(self) -> str:
        recent = [f"{m}({_brief(p)})" for m, p in self.requests[-5:]]
        sent = [(m["chat"]["id"], (m.get("text") or m.get("caption") or "")[:40]) for m in self.bot_messages()[-3:]]
        return (f"pending updates {self.pending_updates}, last requests {recent}, last bot messages {sent}, "
                f"spec errors {self.spec_errors[:3]}")


def _brief(params: dict) -> str:
    keep = {k: v for k, v in params.items() if k in ("chat_id", "text", "message_id", "offset", "callback_query_id")}
    text = ", ".join(f"{k}={v!r}" for k, v in keep.items())
    return text if len(text) < 80 else text[:77] + "..."


_BOT_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


class _Handler(BaseHTTPRequestHandler):
    emulator: BotAPIEmulator
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    timeout = 60
    server_version = "telegram-bot-api-emulator"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # the client went away between requests (a killed bot's kept-alive connection)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client died mid-request (a killed bot): nothing was asked
            self.close_connection = True
            return
        m = _FILE_PATH.match(url.path)
        if m:
            return self._download(unquote(m.group("token")), unquote(m.group("path")))
        m = _BOT_PATH.match(url.path)
        if not m:
            return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        raw: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
        files: dict[str, UploadedFile] = {}
        ctype = self.headers.get("Content-Type", "")
        form = True
        try:
            if ctype.startswith("application/json"):
                if body.strip():
                    data = json.loads(body)
                    if not isinstance(data, dict):
                        raise ValueError("JSON body is not an object")
                    raw.update(data)
                    form = False
            elif ctype.startswith("multipart/form-data"):
                fields, files = parse_multipart(body, ctype)
                raw.update(fields)
            elif body:
                raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except ValueError as exc:
            return self._reply(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"})
        emu = self.emulator
        fault = emu._take_fault(emu.spec.method_name(m.group("method")) or m.group("method"), raw.get("chat_id")) \
            if emu.faults else None
        if fault is not None and fault.kind in ("error", "429", "drop"):
            if fault.kind == "drop":
                return self._drop()
            if fault.kind == "429":
                return self._reply(429, {"ok": False, "error_code": 429,
                                         "description": f"Too Many Requests: retry after {fault.retry_after}",
                                         "parameters": {"retry_after": fault.retry_after}})
            return self._reply(fault.status, {"ok": False, "error_code": fault.status,
                                              "description": "Internal Server Error"})
        status, payload = emu.handle(m.group("method"), raw, files, form=form, token=unquote(m.group("token")))
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "drop_after":
            return self._drop()
        self._reply(status, payload)

    def _drop(self) -> None:
        """Close the connection without an answer (a proxy or the network failing)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _download(self, token: str, path: str) -> None:
        data = self.emulator.file_by_path(path) if token == self.emulator.token else None
        if data is None:
            return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. a cancelled long poll)


_PARAM_RE = re.compile(r';\s*([a-zA-Z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into text fields and file parts."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        raise ValueError("multipart body without boundary")
    delimiter = b"--" + m.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part[2:] if part.startswith(b"\r\n") else part
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        params = {k.lower(): v.strip('"').replace('\\"', '"')
                  for k, v in _PARAM_RE.findall(";" + headers.get("content-disposition", "").partition(";")[2])}
        name = params.get("name")
        if name is None:
            continue
        if "filename*" in params and "''" in params["filename*"]:
            params["filename"] = unquote(params["filename*"].split("''", 1)[1])
        if "filename" in params:
            files[name] = UploadedFile(unquote(params["filename"]) if "%" in params["filename"] else params["filename"],
                                       content, headers.get("content-type", "application/octet-stream"))
        else:
            fields[name] = content.decode("utf-8")
    return fields, files
