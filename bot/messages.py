"""Message plumbing shared by every message builder."""

from __future__ import annotations

TELEGRAM_LIMIT = 4096


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` characters.

    Splits at blank lines, then at line ends, then (for one overlong line) at
    spaces; never inside an HTML tag or entity the bot built, as long as tags
    do not span lines (the bot's builders never do that).
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single overlong line: cut at a space
            cut = line.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]
