"""The sender's order across chats: when Telegram's overall budget (30 a second) is the limit, an
answer someone waits for goes before a publish's backlog of cards; a chat's own order is kept."""

from __future__ import annotations

import asyncio

from bot.outgoing import Outgoing
from bot.pacer import PaceLimits, Pacer
from bot.sender import Sender
from storage.outbox import Outbox


class RecordingBot:
    """Just what the sender posts a text through (``Bot._post``): records the order of the sends."""

    rate_limiter = None
    callback_data_cache = None

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def _post(self, endpoint, data, api_kwargs=None):
        await asyncio.sleep(0.002)
        self.sent.append((data["chat_id"], data["text"]))
        return {"message_id": len(self.sent)}


async def test_an_answer_goes_before_a_backlog_of_cards_for_60_groups(tmp_path):
    box = Outbox(tmp_path / "outbox")
    bot = RecordingBot()
    # Windows scaled down 10 times (30 in 0.1 s overall), so the test takes a fraction of a second.
    sender = Sender(bot, box, Pacer(PaceLimits(overall=30, overall_seconds=0.1, group=20, group_seconds=6.0,
                                               private=1, private_seconds=0.1, margin=0.0)))
    try:
        cards = [Outgoing(-1000 - g, f"card {g}.{t}", key=f"card:{g}:{t}", kind="card")
                 for t in range(3) for g in range(60)]
        await box.enqueue(cards)
        await sender.start()
        await asyncio.sleep(0.01)  # the first cards are on their way
        await box.enqueue([Outgoing(4242, "answer", key="u1:0", kind="message"),
                           Outgoing(-1005, "ack in group 5", key="u2:0", kind="ack")])
        await asyncio.wait_for(sender.drain(timeout=30), 30)
        order = [text for _, text in bot.sent]
        assert len(order) == 182
        # sent within the first two overall windows (60 messages), not after the backlog's heads
        assert order.index("answer") < 60, order.index("answer")
        # group 5's acknowledgement keeps its place behind group 5's own cards
        group5 = [text for chat, text in bot.sent if chat == -1005]
        assert group5 == ["card 5.0", "card 5.1", "card 5.2", "ack in group 5"]
    finally:
        await sender.stop()
        box.close()
