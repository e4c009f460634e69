"""Message text as Telegram sees it: HTML parse mode and automatic entities.

`parse_html()` turns the bot's HTML into plain text plus entities, and rejects what Telegram
rejects ("Bad Request: can't parse entities: ..."), so a bot that forgets to escape a "<" in a
user-supplied name fails in tests exactly as it would in production.
`auto_entities()` finds the bot_command and mention entities Telegram adds to user messages.
Offsets and lengths are in UTF-16 code units, as in the Bot API.
"""
from __future__ import annotations

import html
import re

_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
    "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_NAME_RE = re.compile(r"[^\s>]*")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot);")
_COMMAND_RE = re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[a-zA-Z0-9_]{5,32}")


class EntityParseError(ValueError):
    """The HTML is not accepted by Telegram. str() is Telegram's description tail."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Plain text and entities from Telegram-flavoured HTML; raises EntityParseError."""
    out: list[str] = []
    pos16 = 0  # UTF-16 length of the text produced so far
    stack: list[tuple[str, int, dict]] = []
    entities: list[dict] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "<":
            offset = len(source[:i].encode("utf-8"))
            if source.startswith("</", i):
                close = source.find(">", i)
                if close < 0:
                    raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
                name = source[i + 2:close].strip().lower()
                if not stack:
                    raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
                open_name, start16, attrs = stack.pop()
                if name and name != open_name:  # "</>" closes the innermost tag
                    raise EntityParseError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{open_name}>", found "</{name}>"')
                if pos16 > start16:
                    entities.append(_entity(open_name, start16, pos16 - start16, attrs))
                i = close + 1
                continue
            m = _TAG_NAME_RE.match(source, i + 1)
            name = m.group(0).lower()
            if m.end() >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
            if name not in _TAGS:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
            close = source.find(">", m.end())
            if close < 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
            attrs = {a.group(1).lower(): html.unescape(a.group(2) or a.group(3) or a.group(4) or "")
                     for a in _ATTR_RE.finditer(source[m.end():close].rstrip("/")) if a.group(1)}
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
            stack.append((name, pos16, attrs))
            i = close + 1
            continue
        if ch == "&":
            m = _ENTITY_RE.match(source, i)
            if m:
                piece = html.unescape(m.group(0))
                out.append(piece)
                pos16 += utf16_len(piece)
                i = m.end()
                continue
        out.append(ch)
        pos16 += utf16_len(ch)
        i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity(tag: str, offset: int, length: int, attrs: dict) -> dict:
    entity: dict = {"type": _TAGS[tag], "offset": offset, "length": length}
    if tag == "a":
        entity["url"] = attrs.get("href", "")
    if tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    if tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


def auto_entities(text: str) -> list[dict]:
    """bot_command and mention entities, as Telegram adds them to a user's message."""
    found = []
    for regex, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention")):
        for m in regex.finditer(text):
            found.append({"type": kind, "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group(0))})
    found.sort(key=lambda e: e["offset"])
    return found


def commands(text: str) -> list[tuple[str, str | None]]:
    """(command, addressed bot username or None) for each bot command in a text."""
    result = []
    for m in _COMMAND_RE.finditer(text or ""):
        cmd, _, bot = m.group(0)[1:].partition("@")
        result.append((cmd, bot or None))
    return result


def mentions(text: str) -> list[str]:
    return [m.group(0)[1:] for m in _MENTION_RE.finditer(text or "")]
