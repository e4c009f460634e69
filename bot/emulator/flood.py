"""Telegram's flood limits, as sliding windows, answered with 429 and an integer retry_after.

Telegram documents: about 30 messages per second for a bot overall, at most 20 messages per
minute in one group, and about one message per second in one private chat ("we may allow short
bursts that go over this limit, but eventually you'll begin receiving 429 errors"), so the
private window defaults to 5 messages in 5 seconds: 1/s on average, bursts of 5.
Only messages count (sendMessage, sendDocument, sendPhoto, ...), not edits or answers.
"""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from typing import Callable


@dataclass(frozen=True)
class FloodLimits:
    """Each limit is `count` messages per `seconds` sliding window; count 0 disables it."""

    bot_count: int = 30
    bot_seconds: float = 1.0
    group_count: int = 20
    group_seconds: float = 60.0
    private_count: int = 5
    private_seconds: float = 5.0
    enabled: bool = True

    @classmethod
    def off(cls) -> "FloodLimits":
        return cls(enabled=False)

    def scaled(self, factor: float) -> "FloodLimits":
        """The same counts over windows `factor` times shorter (tests: 20/min becomes 20/(60/f) s)."""
        return replace(self, bot_seconds=self.bot_seconds / factor, group_seconds=self.group_seconds / factor,
                       private_seconds=self.private_seconds / factor)


class FloodControl:
    """Counts messages per bot and per chat; thread-safe."""

    def __init__(self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic):
        self.limits = limits or FloodLimits()
        self.clock = clock
        self.refused = 0  # number of 429 answers
        self.refusals: list[tuple[int, int]] = []  # (chat id, retry_after) of each 429
        self._bot: deque[float] = deque()
        self._chats: dict[int, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._bot.clear()
            self._chats.clear()

    def admit(self, chat_id: int, is_private: bool) -> int | None:
        """Record one message to `chat_id`, or return retry_after (whole seconds) if it is refused."""
        lim = self.limits
        if not lim.enabled:
            return None
        with self._lock:
            now = self.clock()
            windows = [(self._bot, lim.bot_count, lim.bot_seconds)]
            if is_private:
                windows.append((self._chats[chat_id], lim.private_count, lim.private_seconds))
            else:
                windows.append((self._chats[chat_id], lim.group_count, lim.group_seconds))
            wait = 0.0
            for stamps, count, seconds in windows:
                while stamps and stamps[0] <= now - seconds:
                    stamps.popleft()
                if count and len(stamps) >= count:
                    wait = max(wait, stamps[len(stamps) - count] + seconds - now)
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                self.refused += 1
                self.refusals.append((chat_id, retry_after))
                return retry_after
            for stamps, _, _ in windows:
                stamps.append(now)
            return None
