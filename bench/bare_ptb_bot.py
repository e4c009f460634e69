"""A bare python-telegram-bot bot, the baseline of bench/bench_replies_apart.py: one MessageHandler
answering every reply with a fixed acknowledgement and buttons (reply_text), polling.

    DONDOC_TOKEN=... BENCH_BASE_URL=http://127.0.0.1:port/bot BENCH_ACK='{"text": ..., "buttons": [[[label, data]]]}' \\
        python bench/bare_ptb_bot.py

Runs until SIGTERM/SIGINT. Not part of dondoc."""

from __future__ import annotations

import json
import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


def main() -> None:
    ack = json.loads(os.environ["BENCH_ACK"])
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                   for row in ack["buttons"]])

    async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(ack["text"], parse_mode="HTML", reply_markup=markup)

    app = (Application.builder().token(os.environ["DONDOC_TOKEN"]).base_url(os.environ["BENCH_BASE_URL"])
           .base_file_url(os.environ.get("BENCH_BASE_FILE_URL", os.environ["BENCH_BASE_URL"])).build())
    app.add_handler(MessageHandler(filters.REPLY, on_reply))
    print("bare bot ready", flush=True)
    app.run_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
