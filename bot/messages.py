"""Message plumbing shared by every message builder: limits, splitting, dates, short texts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from bot.texts import t

MESSAGE_LIMIT = 4096  # Telegram's limit for one message's text


def fmt_date(d: dt.date | None) -> str:
    """dd/mm/yyyy, or "không thời hạn" for no date."""
    return d.strftime("%d/%m/%Y") if d is not None else t("tracking.no_deadline")


def short_text(text: str | None, limit: int = 160) -> str:
    """One line of at most ``limit`` characters (whitespace collapsed, "…" if cut)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


def split_lines(lines: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines into messages of at most ``limit`` characters, cutting only between lines.

    Each line must be self-contained HTML (tags closed on the same line). A single
    line longer than ``limit`` is cut at a character boundary outside any tag/entity.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in _cut_line(line, limit):
            extra = len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                parts.append("\n".join(current).strip("\n"))
                current, size = [], 0
                extra = len(piece)
            current.append(piece)
            size += extra
    if current:
        text = "\n".join(current).strip("\n")
        if text:
            parts.append(text)
    return [p for p in parts if p.strip()]


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """A long text as messages of at most ``limit`` characters, cut between lines."""
    return split_lines(text.split("\n"), limit)


def _cut_line(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    plain = re.sub(r"<[^>]*>", "", line)  # drop the markup, keep the escaped text
    out = []
    while plain:
        chunk = plain[:limit]
        amp = chunk.rfind("&")
        if amp != -1 and ";" not in chunk[amp:] and len(plain) > limit:
            chunk = chunk[:amp]  # do not cut inside "&amp;"
        out.append(chunk)
        plain = plain[len(chunk):]
    return out
