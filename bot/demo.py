"""``dondoc demo``: the whole loop offline, against the built-in Bot API emulator.

No token and no network: a temporary data folder, the sample notice shipped with dondoc, an
office clerk, a leader and two agency groups played by a script. Only the clock and the network
are local: the bot is the real application (handlers, store, the follow-up job) talking HTTP to
the emulator; the script moves the clock and runs the follow-up job as the JobQueue would at
that time. The conversation is printed as each group sees it, scene by scene: registration,
import and preview, publish, replies (text, a PDF, buttons), an extension asked and approved, a
reminder before a deadline, an overdue reminder and the escalation to the office and leaders,
the Friday digest (its files are written to a folder the demo names) and a leader's /status.

Runtime dependencies only: nothing here imports pytest or a test library.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import tempfile
from pathlib import Path

SAMPLE = Path(__file__).parent / "data" / "sample-notice-89-TB-UBND-2024.txt"
ADMIN, LEADER, OFFICE = 1001, 1002, -1009000
SNV = ("Sở Nội vụ", -1002001, 2001, "Minh")
CA = ("Công an tỉnh", -1002002, 2002, "Tuấn")
GROUPS = [SNV, CA]
MAX_LINES = 12


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF saying ``text`` (ASCII), built by hand: no PDF library at run time."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _show(who: str, text: str) -> None:
    lines = text.strip().splitlines() or [""]
    print(f"\n[{who}] {lines[0]}")
    for line in lines[1:MAX_LINES]:
        print(f"    {line}")
    if len(lines) > MAX_LINES:
        print(f"    … ({len(lines) - MAX_LINES} more lines)")


def _scene(title: str) -> None:
    print(f"\n{'═' * 8} {title} {'═' * max(4, 70 - len(title))}")


async def _run(pause: float, out_dir: Path | None = None) -> Path:
    """Play the demo; returns the folder the digest's files were written to."""
    from telegram.ext import CallbackContext

    from bot.app import build_application
    from bot.services import services_of
    from bot.config import parse_config
    from bot.directory import Directory
    from bot.emulator import BotAPIEmulator
    from bot.emulator.runner import running
    from handlers.schedule import tick
    from storage import DataStore

    from bot.emulator import FloodLimits

    root = Path(__file__).resolve().parent.parent
    emu = BotAPIEmulator().start()
    # Three weeks play in a minute: Telegram's per-group budget (20 messages a minute) runs 60 times
    # faster, on both sides (the emulator's flood control, the bot's rate limiter); nothing else changes.
    emu.set_flood_limits(FloodLimits().scaled(60))
    out_dir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="dondoc-demo-digest-"))
    with tempfile.TemporaryDirectory(prefix="dondoc-demo-") as tmp:
        directory_file = root / "agencies.example.toml"
        cfg = parse_config({
            "telegram": {"base_url": emu.base_url, "base_file_url": emu.base_file_url, "poll_timeout": 1,
                         "group_time_period": 1.0, "overall_max_rate": 30.0},
            "storage": {"path": tmp},
            "people": {"admins": [ADMIN], "leaders": [LEADER]},
            "office": {"chat_id": OFFICE},
            "directory": {"file": str(directory_file)} if directory_file.exists() else {},
        }, token=emu.token)
        tz = cfg.tz
        # Monday 25/3/2024, two weeks after the notice: the office starts with dondoc that morning.
        clock_now = [dt.datetime(2024, 3, 25, 9, 0, tzinfo=tz)]
        store = DataStore.open(cfg.storage.path)
        app = build_application(cfg, store, Directory.load(cfg.directory.file), clock=lambda: clock_now[0])
        services_of(app).jobs_enabled = False  # the script runs the follow-up job when it moves the clock
        emu.add_user(ADMIN, "Hoa (Văn phòng)")
        emu.add_user(LEADER, "Giang (Phó Chủ tịch)")
        emu.add_group(OFFICE, "Văn phòng UBND tỉnh", members=[ADMIN, LEADER])
        emu.add_bot_to_group(OFFICE, by_user=ADMIN)
        seen: dict[int, int] = {}

        def title(chat: int) -> str:
            return f"bot → {emu.chats[chat].title}" if chat < 0 else f"bot → {emu.users[chat].first_name}, chat riêng"

        async def say(user: int, chat: int, text: str | None = None, who: str = "", **kw) -> dict:
            shown = text or kw.get("caption") or ""
            if kw.get("document"):
                shown = f"📎 {kw['document'][0]}" + (f" — {shown}" if shown else "")
            _show(who, shown)
            msg = emu.send(user, chat, text, **kw)
            await asyncio.sleep(pause)
            return msg

        async def press(user: int, chat: int, msg: dict, button: str, who: str) -> None:
            _show(who, f"(bấm {button})")
            before = len(emu.callback_answers)
            emu.press(user, chat, msg["message_id"], button=button)
            await emu.wait_until(lambda: len(emu.callback_answers) > before, timeout=30)
            answer = emu.callback_answers[-1].get("text")
            if answer:
                _show("Telegram hiện thông báo nhỏ", answer)
            await asyncio.sleep(pause)

        async def bot_says(chat: int, predicate=None, timeout: float = 30) -> dict:
            msg = await emu.wait_for_bot_message(chat, predicate, timeout=timeout, include_edits=True)
            _show(title(chat), msg.get("text") or msg.get("caption") or "")
            return msg

        def mark_all() -> None:
            for chat in (OFFICE, LEADER, ADMIN, *(g[1] for g in GROUPS)):
                seen[chat] = len(emu.bot_messages(chat))

        def show_new(chats) -> list[dict]:
            new = []
            for chat in chats:
                for m in emu.bot_messages(chat)[seen.get(chat, 0):]:
                    if m.get("document"):
                        _show(title(chat), f"📎 {m['document']['file_name']}")
                    else:
                        _show(title(chat), m.get("text") or "")
                    new.append(m)
                seen[chat] = len(emu.bot_messages(chat))
            return new

        def summary(chats) -> str:
            """One line: what each chat got since the last mark (then marked)."""
            parts = []
            for chat in chats:
                new = emu.bot_messages(chat)[seen.get(chat, 0):]
                seen[chat] = len(emu.bot_messages(chat))
                if new:
                    kinds = sorted({"digest" if m.get("document") or "BÁO CÁO TUẦN" in (m.get("text") or "")
                                    else "escalation" if "cần đôn đốc" in (m.get("text") or "")
                                    else "reminder" for m in new})
                    parts.append(f"{emu.chats[chat].title if chat < 0 else emu.users[chat].first_name}: "
                                 f"{'/'.join(kinds)}")
            return "; ".join(parts) if parts else "nothing due"

        def card(chat: int, ref: str) -> dict:
            return next(m for m in emu.bot_messages(chat) if f"mục {ref}\n" in m["text"])

        everyone = (OFFICE, LEADER, *(g[1] for g in GROUPS))
        try:
            async with running(app):
                sender = services_of(app).sender
                if sender is not None:  # idle includes the outbox: nothing left it would send soon
                    emu.idle_checks.append(sender.settled)
                _scene("1. Registration: each agency's group is bound to the bot by an invite link")
                emu.press_start(ADMIN)
                await bot_says(ADMIN)
                emu.press_start(LEADER)  # a leader opens the bot once, so it may write to them
                await emu.wait_for_bot_message(LEADER)
                for name, chat, user, first in GROUPS:
                    await say(ADMIN, ADMIN, f"/invite {name}", who="Hoa, chat riêng")
                    msg = await bot_says(ADMIN, lambda m: "startgroup=" in m["text"])
                    code = re.search(r"startgroup=([A-Z0-9]{8})", msg["text"]).group(1)
                    emu.add_user(user, first)
                    emu.add_group(chat, name, members=[user])
                    _show(f"{first}, nhóm {name}", f"(thêm bot vào nhóm qua liên kết …?startgroup={code})")
                    emu.add_bot_to_group(chat, by_user=user, start_param=code)
                    await bot_says(chat, lambda m: "đã được gắn" in m["text"])

                _scene("2. Import and preview: the clerk sends the notice file")
                await say(ADMIN, ADMIN, who="Hoa, chat riêng",
                          document=(SAMPLE.name, SAMPLE.read_bytes(), "text/plain"))
                preview = await bot_says(ADMIN, lambda m: bool(m.get("reply_markup")))

                _scene("3. Publish: every agency gets its tasks as cards in its group")
                await press(ADMIN, ADMIN, preview, "📢 Công bố", "Hoa, chat riêng")
                await bot_says(ADMIN, lambda m: "Đã công bố" in m["text"])
                name, snv_chat, snv_user, snv_first = SNV
                _, ca_chat, ca_user, ca_first = CA
                await emu.wait_idle()
                n_cards = {g[0]: sum(m["text"].startswith("📌") for m in emu.bot_messages(g[1])) for g in GROUPS}
                print("\n    " + ", ".join(f"{k}: {v} cards" for k, v in n_cards.items()))
                _show(f"bot → {name}", card(snv_chat, "8.1")["text"])

                _scene("4. Replies: a text, a PDF, a button")
                await say(snv_user, snv_chat, "Đang triển khai khảo sát, dự kiến xong trong tháng",
                          who=f"{snv_first}, nhóm {name} (trả lời thẻ mục 8.3)", reply_to=card(snv_chat, "8.3")["message_id"])
                await bot_says(snv_chat, lambda m: "Đã ghi nhận" in m["text"])
                await say(snv_user, snv_chat, who=f"{snv_first}, nhóm {name} (trả lời thẻ mục 8.1)",
                          reply_to=card(snv_chat, "8.1")["message_id"], caption="Đã hoàn thành, gửi kèm tờ trình",
                          document=("to-trinh-ban-chi-dao.pdf", tiny_pdf("To trinh hop nhat Ban chi dao"),
                                    "application/pdf"))
                await bot_says(snv_chat, lambda m: "Đã ghi nhận" in m["text"])
                ask = await bot_says(OFFICE, lambda m: "hoàn thành" in m["text"] and bool(m.get("reply_markup")))
                await press(ADMIN, OFFICE, ask, "✅ Xác nhận hoàn thành", "Hoa, nhóm Văn phòng")
                await bot_says(snv_chat, lambda m: "đã xác nhận" in m["text"])
                await press(ca_user, ca_chat, card(ca_chat, "8.1"), "🔄 Đang thực hiện",
                            f"{ca_first}, nhóm Công an tỉnh (thẻ mục 8.1, phối hợp)")

                _scene("5. Extension asked and approved")
                await press(snv_user, snv_chat, card(snv_chat, "8.2"), "📅 Đề nghị gia hạn",
                            f"{snv_first}, nhóm {name} (thẻ mục 8.2)")
                prompt = await bot_says(snv_chat, lambda m: "Đề nghị gia hạn" in m["text"])
                await say(snv_user, snv_chat, "30/4/2024 - chờ số liệu của các huyện", who=f"{snv_first}, nhóm {name}",
                          reply_to=prompt["message_id"])
                await bot_says(snv_chat, lambda m: "Đã gửi Văn phòng" in m["text"])
                req = await bot_says(OFFICE, lambda m: "gia hạn" in m["text"] and bool(m.get("reply_markup")))
                await press(ADMIN, OFFICE, req, "✅ Đồng ý gia hạn", "Hoa, nhóm Văn phòng")
                await bot_says(snv_chat, lambda m: "đồng ý gia hạn" in m["text"])
                await emu.wait_idle()

                # The clock moves on, working day by working day; the follow-up job runs each morning and
                # on Friday afternoons. The moments of interest are shown in full, the others in one line.
                _scene("6. The clock moves on: a reminder before the deadline (8.3 is due Sun 31/3, so Mon 1/4)")
                shown = {
                    dt.datetime(2024, 3, 27, 8, 5): "reminder, three working days before",
                    dt.datetime(2024, 4, 2, 8, 5): "overdue reminder, the day after the deadline",
                    dt.datetime(2024, 4, 4, 8, 5): "escalation to the office and the leaders after 3 working days",
                    dt.datetime(2024, 4, 5, 16, 5): "the Friday digest",
                }
                scenes = {dt.datetime(2024, 4, 2, 8, 5): "7. Overdue reminder, then escalation to the office and leaders",
                          dt.datetime(2024, 4, 5, 16, 5): "8. The Friday digest, with its files"}
                day, new = dt.date(2024, 3, 26), []
                while day <= dt.date(2024, 4, 5):
                    for hour in ((8, 5), (16, 5)) if day.weekday() == 4 else ((8, 5),):
                        moment = dt.datetime(day.year, day.month, day.day, *hour)
                        if day.weekday() >= 5:
                            continue
                        if moment in scenes:
                            _scene(scenes[moment])
                        clock_now[0] = moment.replace(tzinfo=tz)
                        mark_all()
                        await tick(CallbackContext(app))  # what the JobQueue runs every few minutes
                        await emu.wait_idle()
                        if moment in shown:
                            print(f"\n⏱  {moment.strftime('%a %d/%m/%Y %H:%M')}: {shown[moment]}")
                            new = show_new(everyone)
                            await asyncio.sleep(pause * 3)
                        else:
                            print(f"⏱  {moment.strftime('%a %d/%m/%Y %H:%M')}: " + summary(everyone))
                    day += dt.timedelta(days=1)
                out_dir.mkdir(parents=True, exist_ok=True)
                written = []
                for m in new:
                    if m.get("document") and m["chat"]["id"] == OFFICE:
                        path = out_dir / m["document"]["file_name"]
                        path.write_bytes(emu.file_bytes(m["document"]["file_id"]))
                        written.append(path.name)
                print(f"\n    The digest's files are written to {out_dir}: {', '.join(sorted(written)) or '(none)'}")

                _scene("9. A leader asks for the state of things")
                await say(LEADER, LEADER, "/status", who="Giang, chat riêng")
                await bot_says(LEADER, lambda m: "Tình hình" in m["text"])
                print("\nDemo finished: this is what happens in Telegram once DONDOC_TOKEN is set (see README).")
        finally:
            store.close()
            emu.stop()
    return out_dir


def cmd_demo(args: argparse.Namespace) -> int:
    import logging

    if not args.verbose:
        logging.getLogger().setLevel(logging.WARNING)  # the transcript is the output
    asyncio.run(_run(args.pause, Path(args.out) if args.out else None))
    return 0


def register(sub, parent) -> None:
    p = sub.add_parser("demo", help="play the whole loop offline against the built-in emulator (no token)")
    p.add_argument("--pause", type=float, default=1.2, help="seconds between the script's steps")
    p.add_argument("--out", metavar="DIR", help="folder for the digest's files (default: a new temporary folder)")
    p.set_defaults(func=cmd_demo)
