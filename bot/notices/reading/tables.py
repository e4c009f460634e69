"""The tables stage: rows of a table of tasks as items.

Input: a table cut out by :func:`.page.find_tables` (``{"header", "rows", "cols"}``), the ref prefix,
what a heading above passes down, the :class:`.context.Context`. Output: the items (JSON dicts).
The ref comes from the STT column, lead and coordinators from their columns, the deadline from the
time column, the text from the content column; Roman or capital-letter rows are sections; rows
numbered "a", "-" or blank under a numbered row are its sub-items.
"""

from __future__ import annotations

import re

from bot.notices import deadlines as dl
from bot.notices.normalize import fold, fold_str
from bot.notices.reading.addressees import assignees
from bot.notices.reading.classify import _NOT_TASK, assigns_after
from bot.notices.reading.context import Context, _w
from bot.notices.reading.fields import Passed, deadline_warnings, item_fields
from bot.notices.reading.names import read_names, same
from bot.notices.reading.outline import Node
from bot.notices.reading.page import _ROMAN_CELL, _TABLE_HEADER_AGAIN, TABLE_MARK

__all__ = ["table_items", "place_tables"]


def place_tables(node: Node, tables: list[dict], placed: set[int]) -> None:
    """Move table markers out of the nodes' text: ``node.tables`` lists the tables it heads."""
    for c in node.children:
        keep = []
        for ln in c.lines:
            m = TABLE_MARK.fullmatch(ln.strip())
            if m and int(m.group(1)) < len(tables):
                c.tables.append(int(m.group(1)))
                placed.add(int(m.group(1)))
            else:
                keep.append(ln)
        c.lines = keep
        place_tables(c, tables, placed)


def _cell_names(ctx: Context, cell: str, warnings: list[str]) -> list[dict]:
    cell = " ".join(cell.split()).strip(" .;")
    if not cell or cell in ("-", "x", "X"):
        return []
    f = fold(cell)
    out: list[dict] = []
    pos = 0
    while pos < len(f.text):
        names, end = read_names(ctx, f, pos, len(f.text), warnings, require_first=False)
        for a in names:
            if not any(same(a, b) for b in out):
                out.append(a)
        nxt = re.search(r"[;,(\n]|\s-\s|\s(?:va|voi)\s", f.text[end:])
        if not nxt or end >= len(f.text):
            break
        pos = end + nxt.end()
    return out


def _cell_deadline(ctx: Context, cell: str) -> tuple[list[dl.Deadline], list[dl.Recurring]]:
    """A deadline column holds a bare period ("Quý III/2024", "30/6/2024", "Tháng 9"): the cue is the
    column's name."""
    cell = " ".join(cell.split())
    if not cell:
        return [], []
    found = dl.find_deadlines(cell, issued_on=ctx.issued)
    if not found:
        cue = "trong "
        found = dl.find_deadlines(cue + cell, issued_on=ctx.issued)
        for d in found:  # the cue was ours: not part of what is written
            if d.text.startswith(cue):
                d.text = d.text[len(cue):]
            if d.as_written.startswith(cue):
                d.as_written = d.as_written[len(cue):]
    return found, dl.find_recurring(cell)


def table_items(ctx: Context, table: dict, prefix: str, inherited: Passed | None, audience: list[dict],
                 skipped: list[dict]) -> list[dict]:
    """The rows of a table of tasks as items: ref from the STT column (under ``prefix``), lead and
    coordinators from their columns, deadline from the time column, text from the content column.
    A row with a Roman numeral or a capital letter and nothing else is a section; rows numbered
    "a", "-" or left blank under a numbered row are its sub-items (the numbered row passes them
    its lead and deadline)."""
    cols = table["cols"]
    width = len(table["header"])

    def get(row: list[str], col: str) -> str:
        k = cols.get(col)
        return row[k].strip() if k is not None and k < len(row) else ""

    entries: list[dict] = []  # {"ref", "row", "parent", "section", "children"}
    section = None
    sections_seen: dict[str, set[str]] = {}
    restarts = False
    last_top: dict | None = None
    auto = 0
    for row in table["rows"]:
        stt = get(row, "ref").strip().rstrip(".):").strip()
        content = get(row, "content")
        others = [get(row, c) for c in ("lead", "coordinate", "deadline")]
        if not any(x.strip() for x in row):
            continue
        if (len(row) < width and len(row) <= 2) or (
                (_ROMAN_CELL.fullmatch(stt) or re.fullmatch(r"[A-ZĐ]", stt)) and not any(others)):
            label = stt or (row[0].split()[0].rstrip(".") if row and row[0].split() else "")
            m = _ROMAN_CELL.match(label) or re.match(r"[A-ZĐ]\b", label)
            section = {"label": m.group(0) if m else "", "heading": content or " ".join(row)}
            continue
        if _TABLE_HEADER_AGAIN(row, table["header"]):
            continue  # the header repeated on a new page
        entry = {"row": row, "parent": None, "section": section, "children": [], "stt": stt}
        if re.fullmatch(r"\d{1,3}(?:\.\d{1,3})*", stt) and not (last_top and stt == last_top["stt"]):
            if "." in stt and last_top and stt.startswith(last_top["stt"] + "."):
                entry["parent"] = last_top
                entry["ref"] = stt
                last_top["children"].append(entry)
            else:
                key = section["label"] if section else ""
                if any(stt in seen for lab, seen in sections_seen.items() if lab != key):
                    restarts = True
                sections_seen.setdefault(key, set()).add(stt)
                entry["ref"] = stt
                last_top = entry
        elif last_top is not None and (re.fullmatch(r"[a-zđ]", stt) or stt in ("", "-", "+", "*", "•")
                                       or stt == last_top["stt"]):
            entry["parent"] = last_top
            kids = last_top["children"]
            entry["ref"] = f"{last_top['stt']}.{stt}" if re.fullmatch(r"[a-zđ]", stt) else \
                f"{last_top['stt']}.{len(kids) + 1}"
            kids.append(entry)
        else:
            auto += 1
            entry["ref"] = stt if stt and len(stt) <= 8 else str(auto)
            last_top = entry
            entry["stt"] = entry["ref"]
        entries.append(entry)
    items: list[dict] = []
    for e in entries:
        if e["children"]:
            continue  # a header row: its sub-rows are the tasks
        ref = e["ref"]
        if restarts and e["section"] and e["section"]["label"]:
            ref = f"{e['section']['label']}.{ref}"
        if prefix:
            ref = f"{prefix}.{ref}"
        parent_row = e["parent"]["row"] if e["parent"] else None
        items.append(_table_item(ctx, e["row"], get, ref, parent_row, e["section"], inherited, audience,
                                      skipped))
    return [i for i in items if i is not None]


def _table_item(ctx: Context, row: list[str], get, ref: str, parent_row: list[str] | None, section: dict | None,
                inherited: Passed | None, audience: list[dict], skipped: list[dict]) -> dict | None:
    warnings: list[str] = []
    content = " ".join(get(row, "content").split())
    if not content:
        rest = " ".join(x for x in row if x.strip() and x.strip() != get(row, "ref"))
        if not rest:
            return None
        warnings.append(_w("extra.table_no_content", ref=ref))
        content = rest
    nt = _NOT_TASK.match(fold_str(content))
    if nt and not get(row, "lead") and not assigns_after(fold_str(content), nt.end()):
        skipped.append({"ref": ref, "text": content, "reason": "not_task"})
        ctx.warnings.append(_w("not_task", ref=ref, start=" ".join(content.split()[:4])))
        return None
    leads = _cell_names(ctx, get(row, "lead"), warnings)
    coords = _cell_names(ctx, get(row, "coordinate"), warnings)
    if not leads and parent_row is not None:
        leads = _cell_names(ctx, get(parent_row, "lead"), [])
        if not coords:
            coords = _cell_names(ctx, get(parent_row, "coordinate"), [])
    if not leads:
        own_leads, own_coords, _ = assignees(ctx, content, warnings)
        leads = own_leads
        coords = coords or own_coords
    elif not coords:
        coords = assignees(ctx, content, [])[1]
    if not leads and inherited and inherited.lead:
        leads = [dict(a) for a in inherited.lead]
        if not coords:
            coords = [dict(a) for a in inherited.coordinate]
    if not leads and audience:
        leads = [dict(a) for a in audience]
    if len(leads) > 1:
        warnings.append(_w("several_leads", names=", ".join(a["name"] for a in leads), lead=leads[0]["name"]))
        coords = [a for a in leads[1:] if not any(same(a, b) for b in coords)] + coords
        leads = leads[:1]
    if not leads:
        warnings.append(_w("no_lead"))
    coords = [a for a in coords if not any(same(a, b) for b in leads)]
    found, rec = _cell_deadline(ctx, get(row, "deadline"))
    if not found and not rec and parent_row is not None:
        found, rec = _cell_deadline(ctx, get(parent_row, "deadline"))
    if not found and not rec:
        found = dl.find_deadlines(content, issued_on=ctx.issued)
        rec = dl.find_recurring(content)
    if not found and not rec and inherited:
        found = inherited.deadlines
        rec = inherited.recurring
    chosen = dl.pick_deadline(found)
    deadline_warnings(found, chosen, warnings)
    item = {
        **item_fields(ref, content, (section or {}).get("heading") or (inherited.heading if inherited else None),
                       leads, coords, chosen, rec, warnings),
    }
    product = " ".join(get(row, "product").split())
    if product:
        item["product"] = product
    return item
