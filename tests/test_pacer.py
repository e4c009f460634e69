"""The sliding-window pacer: no window of any length-W interval ever holds more than its limit."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from bot.pacer import PaceLimits, Pacer

LIMITS = PaceLimits(overall=30, overall_seconds=1.0, group=20, group_seconds=60.0, private=1,
                    private_seconds=1.0, margin=1e-6)  # a microsecond: float rounding at window edges


def simulate(arrivals: list[tuple[float, int]], limits: PaceLimits = LIMITS) -> list[tuple[float, int]]:
    """Send each message (arrival time, chat) as early as the pacer allows, in arrival order per
    chat, earliest-possible first across chats (as the sender does); returns (sent at, chat)."""
    pacer = Pacer(limits, clock=lambda: 0.0)
    waiting = sorted(arrivals)
    sent: list[tuple[float, int]] = []
    now = 0.0
    queues: dict[int, list[float]] = {}
    for at, chat in waiting:
        queues.setdefault(chat, []).append(at)
    while any(queues.values()):
        best = None
        for chat, q in queues.items():
            if not q:
                continue
            t = max(q[0], now)
            t += pacer.wait(chat, t)
            if best is None or t < best[0]:
                best = (t, chat)
        t, chat = best
        # the wait is exact: taking at t must be allowed
        assert pacer.wait(chat, t) <= 1e-9
        pacer.record(chat, t)
        sent.append((t, chat))
        queues[chat].pop(0)
        now = t
    return sent


def max_in_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - seconds:
            j += 1
        best = max(best, i - j + 1)
    return best


arrivals = st.lists(st.tuples(st.floats(min_value=0, max_value=120, allow_nan=False),
                              st.sampled_from([-1, -2, -3, -4, 5, 6, 7])), min_size=1, max_size=150)


@settings(max_examples=60, deadline=None)
@given(arrivals)
def test_no_window_ever_exceeds_its_limit(arr):
    sent = simulate(arr)
    assert len(sent) == len(arr)
    assert max_in_window([t for t, _ in sent], 1.0) <= 30
    for chat in {c for _, c in sent}:
        times = [t for t, c in sent if c == chat]
        if chat < 0:
            assert max_in_window(times, 60.0) <= 20
        else:
            assert max_in_window(times, 1.0) <= 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), min_size=1, max_size=120))
def test_bursts_into_many_groups_use_the_whole_budget(times):
    """Every message goes at the earliest moment a window allows (nothing waits for nothing)."""
    arr = [(t, -(i % 50) - 1) for i, t in enumerate(times)]
    sent = simulate(arr)
    assert max_in_window([t for t, _ in sent], 1.0) <= 30


def test_first_twenty_cards_of_a_group_go_at_once_and_the_21st_a_minute_later():
    sent = simulate([(0.0, -5)] * 21)
    assert [t for t, _ in sent[:20]] == [0.0] * 20
    assert abs(sent[20][0] - 60.0) < 1e-3


def test_600_cards_to_60_groups_take_the_floor():
    arr = [(0.0, -(g + 1)) for _ in range(10) for g in range(60)]
    sent = simulate(arr)
    assert abs(max(t for t, _ in sent) - 19.0) < 1e-3  # 30 a second: the 20th second starts at 19 s
    assert max_in_window([t for t, _ in sent], 1.0) == 30


def test_private_chat_one_a_second_and_margin_lengthens_windows():
    sent = simulate([(0.0, 9)] * 3)
    assert [round(t, 3) for t, _ in sent] == [0.0, 1.0, 2.0]
    sent = simulate([(0.0, 9)] * 2, PaceLimits(margin=0.05))
    assert abs(sent[1][0] - 1.05) < 1e-6


def test_messages_in_flight_count_until_answered_then_from_their_answer():
    pacer = Pacer(PaceLimits(group=2, group_seconds=10.0, margin=0.0), clock=lambda: 0.0)
    pacer.take(-1, 0.0)
    pacer.take(-1, 0.0)
    assert pacer.wait(-1, 5.0) > 0  # both still in flight: the window is full
    pacer.done(-1, 3.0)  # answered late: counts from 3 s (it may have arrived just before)
    pacer.done(-1, 4.0)
    assert abs(pacer.wait(-1, 5.0) - 8.0) < 1e-6  # the first leaves the window at 13 s
