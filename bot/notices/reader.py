"""From the text of a conclusion notice to its tasks.

``read_notice(text, directory)`` returns the JSON shape of issue 3::

    {"notice": {"number", "issued_on", "issuer", "kind", "title", "meeting_on"},
     "items": [{"ref", "text", "heading", "lead", "coordinate", "deadline", "deadline_text",
                "deadline_as_written", "recurring", "warnings"}],
     "skipped": [{"ref", "text", "reason"}],
     "warnings": [...]}

How it reads: the stages of :mod:`bot.notices.reading`, one after the other, each a module with
typed input and output, all on one explicit :class:`~bot.notices.reading.context.Context`
(directory, date of issue, warnings, tables); keyword matching is on OCR-folded text
(:mod:`.normalize`), the cue words are the lexicon's (:mod:`bot.notices.reading.lexicon`):

1. page (:mod:`~bot.notices.reading.page`): page furniture goes (page numbers, running headers);
   task tables are cut out and marked;
2. header (:mod:`~bot.notices.reading.header`): number, date of issue, issuer, kind and title; the
   body runs to the closing formula;
3. recipients (:func:`~bot.notices.reading.classify.cut_recipients`): a letter's "Kính gửi: ..." is
   cut out of the body;
4. outline (:mod:`~bot.notices.reading.outline`): the body's tree of sections and items, marker
   rules in a registry (Roman, number, sub-number, letter, dash, garbled number), a marker counting
   only at a sentence boundary;
5. classify (:mod:`~bot.notices.reading.classify`): task, narrative, recipients, deadline-only;
6. addressees (:mod:`~bot.notices.reading.addressees`, :mod:`~bot.notices.reading.names`) and
   tables (:mod:`~bot.notices.reading.tables`): who leads and coordinates each item;
7. items (:mod:`~bot.notices.reading.items`): refs, what a header item passes to its sub-items,
   deadlines and recurring duties (:mod:`.deadlines`), the JSON of each item
   (:mod:`~bot.notices.reading.fields`).

Warnings are plain text (not HTML): escape them before showing them in Telegram HTML.
"""

from __future__ import annotations

from typing import Any

from bot.notices import deadlines as dl
from bot.notices.normalize import clean_text
from bot.notices.reading.addressees import audience as read_audience
from bot.notices.reading.classify import cut_recipients
from bot.notices.reading.context import Context
from bot.notices.reading.header import body_lines, find_kind, read_header
from bot.notices.reading.items import read_items
from bot.notices.reading.outline import outline_body
from bot.notices.reading.page import find_tables, page_lines

__all__ = ["read_notice", "read_notice_file"]


def read_notice(text: str, directory: Any) -> dict:
    """Read a notice's text into its header and tasks (see the module docstring): the stages of
    :mod:`bot.notices.reading` one after the other, on one :class:`~bot.notices.reading.context.Context`."""
    ctx = Context(directory, clean_text(text if isinstance(text, str) else ""))
    lines = page_lines(ctx.text)
    header = read_header(lines, find_kind(lines), ctx)
    notice = {**header.fields(), "meeting_on": None}
    lines, ctx.tables = find_tables(lines, header.body_start)
    body = body_lines(lines, header.body_start)
    if header.number is None:
        ctx.warn("no_number")
    if ctx.issued is None:
        ctx.warn("no_date")
    body, recipients = cut_recipients(body)
    outline = outline_body(body)
    preamble = " ".join(" ".join(outline.preamble).split())
    if preamble:
        dates = dl.find_dates(preamble[:120])
        if dates and dates[0][2] is not None and dates[0][0] < 25:
            notice["meeting_on"] = dates[0][2].isoformat()
    audience = read_audience(ctx, preamble) if preamble else []
    items, skipped = read_items(ctx, outline, audience)
    if not items:
        ctx.warn("no_items")
    skipped[:0] = [{"ref": "", "text": r, "reason": "recipients"} for r in recipients]
    return {"notice": notice, "items": items, "skipped": skipped, "warnings": ctx.warnings}


def read_notice_file(data: bytes, filename: str, directory: Any) -> dict:
    """:func:`bot.notices.extract.extract_text` then :func:`read_notice`."""
    from bot.notices.extract import extract_text

    return read_notice(extract_text(data, filename), directory)
