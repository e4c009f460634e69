"""The fields of one item of the reading (the JSON shape of ``read_notice``) and the warnings
its deadlines raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.notices.reading.context import _w


@dataclass
class Passed:
    """What a heading passes to the items below it (a header item, a section, an annex's pointer):
    its lead and coordinators (and the warnings reading them raised), the deadlines and recurring
    duties it gives them, its text as their ``heading``."""

    lead: list[dict] = field(default_factory=list)
    coordinate: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    deadlines: list = field(default_factory=list)
    recurring: list = field(default_factory=list)
    heading: str | None = None


def item_fields(ref, text, heading, leads, coords, chosen, rec, warnings) -> dict:
    """The fields of one item of the reading (the JSON shape of the issue, plus heading and as-written)."""
    return {
        "ref": ref,
        "text": text,
        "heading": heading or None,
        "lead": leads,
        "coordinate": coords,
        "deadline": chosen.date.isoformat() if chosen and chosen.date else None,
        "deadline_text": chosen.text if chosen else None,
        "deadline_as_written": chosen.as_written if chosen else None,
        "recurring": "; ".join(dict.fromkeys(r.text for r in rec)) if rec else None,
        "warnings": list(dict.fromkeys(warnings)),
    }


def deadline_warnings(found: list, chosen: Any, warnings: list[str]) -> None:
    distinct = {d.date for d in found if d.date is not None}
    if len(distinct) > 1:
        warnings.append(_w("several_deadlines", texts="; ".join(d.text for d in found)))
    for d in found:
        if d.problem == "impossible":
            warnings.append(_w("impossible_date", text=d.as_written))
        elif d.problem == "no_year":
            warnings.append(_w("no_year", text=d.as_written))
        elif d.problem == "working_days":
            warnings.append(_w("working_days", text=d.text))
        elif d.problem == "from_event":
            warnings.append(_w("extra.from_event", text=d.text))
        elif d.problem == "before_issue" and d is chosen:
            warnings.append(_w("before_issue", text=d.as_written))
        elif d.problem == "next_year" and d is chosen and d.date:
            warnings.append(_w("next_year", text=d.as_written, date=d.date.strftime("%d/%m/%Y")))
