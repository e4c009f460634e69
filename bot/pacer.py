"""Sliding-window pacing of outgoing messages: Telegram's limits in ANY window, bursts included.

Telegram answers 429 above about 30 messages a second for a bot, 20 a minute in one group and
one a second in one private chat. Leaky or token buckets (AIORateLimiter) allow a full bucket plus
the rate inside one window (60 in a second, 40 in a minute per group); this pacer keeps the time of
each message sent and lets a new one go only while every window it falls in (the last second
overall, the last minute of its group, the last second of its private chat) holds fewer than the
limit. So the first 20 cards of a group go out at once and the 21st waits until the first is a
minute old. A message counts from the moment it goes (in flight: as if it arrived now) and, once
answered, is dated by its answer (never earlier than its arrival at Telegram): the windows hold as
Telegram counts them whatever the network's delays. ``margin`` lengthens each window a little more.

Pure (no Telegram, no event loop in the core): ``wait(chat, now)`` says how long until a message to
``chat`` may go, ``take(chat)`` counts one in flight, ``done(chat, at)`` dates it by its answer.
``acquire`` is the async convenience.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import deque
from typing import Callable


@dataclasses.dataclass(frozen=True)
class PaceLimits:
    overall: int = 30
    overall_seconds: float = 1.0
    group: int = 20
    group_seconds: float = 60.0
    private: int = 1
    private_seconds: float = 1.0
    margin: float = 0.02  # seconds added to every window

    def window(self, chat_id: int) -> tuple[int, float]:
        """(count, seconds) of a chat's own window: private chats have positive ids."""
        return (self.private, self.private_seconds) if chat_id > 0 else (self.group, self.group_seconds)


IN_FLIGHT_POLL = 0.02  # seconds: the wait while the window is full of messages still in flight


class Pacer:
    """Counts each message in the windows from the moment it is taken (``take``, before the request
    goes) to the moment Telegram answered (``done``): while in flight it counts as sent "now", and
    once answered it is dated by the answer, which is never earlier than its arrival at Telegram.
    So the windows hold as Telegram counts them, whatever the network's delays."""

    def __init__(self, limits: PaceLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or PaceLimits()
        self.clock = clock
        self._overall: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self._in_flight: dict[int, int] = {}
        self._overall_in_flight = 0
        self._taken = 0

    @staticmethod
    def _wait(stamps: deque[float] | None, in_flight: int, count: int, seconds: float, now: float) -> float:
        if stamps:
            while stamps and stamps[0] <= now - seconds:
                stamps.popleft()
        answered = len(stamps) if stamps else 0
        total = answered + in_flight
        if count <= 0 or total < count:
            return 0.0
        k = total - count  # this many answered messages must leave the window first
        if k >= answered:
            return IN_FLIGHT_POLL
        return stamps[k] + seconds - now  # > 0: stamps[k] is still in the window

    def wait_overall(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        lim = self.limits
        return self._wait(self._overall, self._overall_in_flight, lim.overall, lim.overall_seconds + lim.margin, now)

    def wait(self, chat_id: int, now: float | None = None) -> float:
        """Seconds until one more message to ``chat_id`` keeps every window within its limit."""
        now = self.clock() if now is None else now
        lim = self.limits
        count, seconds = lim.window(chat_id)
        overall = self._wait(self._overall, self._overall_in_flight, lim.overall, lim.overall_seconds + lim.margin,
                             now)
        own = self._wait(self._chats.get(chat_id), self._in_flight.get(chat_id, 0), count, seconds + lim.margin, now)
        return max(overall, own)

    def take(self, chat_id: int, now: float | None = None) -> None:
        """A message to ``chat_id`` is about to go: it counts from now on; call :meth:`done` after."""
        self._overall_in_flight += 1
        self._in_flight[chat_id] = self._in_flight.get(chat_id, 0) + 1

    def done(self, chat_id: int, at: float | None = None) -> None:
        """Telegram answered (or the request failed) at ``at``: the message counts as sent then."""
        at = self.clock() if at is None else at
        self._overall_in_flight = max(0, self._overall_in_flight - 1)
        n = self._in_flight.get(chat_id, 0) - 1
        if n > 0:
            self._in_flight[chat_id] = n
        else:
            self._in_flight.pop(chat_id, None)
        _append_sorted(self._overall, at)
        _append_sorted(self._chats.setdefault(chat_id, deque()), at)
        self._taken += 1
        if self._taken % 1000 == 0:
            self._forget(at)

    def record(self, chat_id: int, at: float | None = None) -> None:
        """One message sent and answered at ``at`` (take and done at once)."""
        self.take(chat_id, at)
        self.done(chat_id, at)

    def try_take(self, chat_id: int, now: float | None = None) -> float:
        """Take a slot now if there is one (returns 0.0), else return the wait without taking."""
        now = self.clock() if now is None else now
        wait = self.wait(chat_id, now)
        if wait <= 0:
            self.take(chat_id, now)
        return wait

    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to ``chat_id`` may go, and take its slot (call :meth:`done` after)."""
        while True:
            wait = self.try_take(chat_id)
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def _forget(self, now: float) -> None:
        """Drop chats whose windows are empty (memory stays bounded by recent chats)."""
        longest = max(self.limits.group_seconds, self.limits.private_seconds) + self.limits.margin
        for chat_id in [c for c, s in self._chats.items()
                        if (not s or s[-1] <= now - longest) and c not in self._in_flight]:
            del self._chats[chat_id]


def _append_sorted(stamps: deque[float], at: float) -> None:
    """Answers may be dated a hair out of order (several clocks reads): keep the deque sorted."""
    if not stamps or stamps[-1] <= at:
        stamps.append(at)
        return
    stamps.append(at)
    ordered = sorted(stamps)
    stamps.clear()
    stamps.extend(ordered)
