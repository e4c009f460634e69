"""Webhook delivery, as Telegram does it: once setWebhook gave a URL, every update is POSTed there as
JSON (with ``X-Telegram-Bot-Api-Secret-Token`` when a secret was set), up to ``max_connections`` at
once; an update is forgotten only after a 2xx answer, else posted again a little later.

``emu.post_update(update_dict, secret=...)`` posts one body by hand (a forged or replayed post);
``emu.webhook_answers`` logs (update_id, HTTP status) of every delivery attempt.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def post(url: str, body: dict[str, Any], secret: str | None, timeout: float = 60.0) -> int:
    """POST ``body`` as Telegram would; the HTTP status (0 if nothing answered)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    if secret is not None:
        request.add_header(SECRET_HEADER, secret)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


class WebhookDelivery:
    """A background thread that delivers ``world.updates`` to ``world.webhook["url"]``."""

    retry_after = 0.2  # seconds before an update that failed is posted again (Telegram: longer)

    def __init__(self, world) -> None:
        self.world = world
        self.in_flight: set[int] = set()
        self.answers: list[tuple[int, int]] = []
        self._retry_at: dict[int, float] = {}
        self._thread = threading.Thread(target=self._run, name="emulator-webhook", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        w = self.world
        while True:
            with w.lock:
                while not w.closing:
                    url = w.webhook.get("url")
                    now = time.monotonic()
                    limit = int(w.webhook.get("max_connections", 40))
                    ready = [u for u in w.updates if u["update_id"] not in self.in_flight
                             and self._retry_at.get(u["update_id"], 0) <= now] if url else []
                    if ready and len(self.in_flight) < limit:
                        break
                    w.changed.wait(0.05)
                if w.closing:
                    return
                batch = ready[:limit - len(self.in_flight)]
                secret = w.webhook.get("secret_token")
                for u in batch:
                    self.in_flight.add(u["update_id"])
            for u in batch:
                threading.Thread(target=self._deliver, args=(url, u, secret), daemon=True).start()

    def _deliver(self, url: str, update: dict, secret: str | None) -> None:
        status = post(url, update, secret)
        w = self.world
        with w.lock:
            self.in_flight.discard(update["update_id"])
            self.answers.append((update["update_id"], status))
            if 200 <= status < 300:
                w.updates = [u for u in w.updates if u["update_id"] != update["update_id"]]
                w.delivered_upto = max(w.delivered_upto, update["update_id"])
                self._retry_at.pop(update["update_id"], None)
                w._last_activity = time.monotonic()
            else:
                self._retry_at[update["update_id"]] = time.monotonic() + self.retry_after
            w.changed.notify_all()
