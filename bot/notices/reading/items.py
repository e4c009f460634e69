"""The items stage: the outline's leaves as the reading's items.

Input: the outline (:class:`.outline.Node` tree), the tables, the preamble's audience, the
:class:`.context.Context`. Output: ``items`` and ``skipped`` of the reading (:func:`read_items`).
Refs follow the markers (a Roman section's prefix when numbering restarts in each section); a
header item passes its lead, coordinators and (when it introduces them with it) its time to the
items below (:func:`heading_context`); an item naming nobody inherits its header's lead, then the
lettered item's above, then the preamble's audience; tables sit in the item that heads them, in the
preamble, or in an annex.
"""

from __future__ import annotations

import dataclasses

from bot.notices import deadlines as dl
from bot.notices.normalize import fold, fold_str, kw
from bot.notices.reading import lexicon as lex
from bot.notices.reading.addressees import _GIAO, assignees
from bot.notices.reading.classify import (
    leaf_reason, narrative_section, para_is_task, para_kind, plain_list, section_leaf_reason, section_reason,
)
from bot.notices.reading.context import Context, _w
from bot.notices.reading.fields import Passed, deadline_warnings, item_fields
from bot.notices.reading.names import same
from bot.notices.reading.outline import _LETTERS, Node, OutlineResult, _mostly_upper
from bot.notices.reading.page import TABLE_MARK
from bot.notices.reading.tables import place_tables, table_items

__all__ = ["read_items", "assign_refs", "walk", "heading_context"]


_ANNEX_POINTER = kw(lex.ANNEX_POINTER)
# a time that is a goal or a plan, not a deadline of the items below ("phấn đấu", "các năm tiếp theo")
_GOAL = lex.rx(lex.GOALS)


def assign_refs(ctx: Context, root: Node, restarts: bool) -> None:
    top_dash = 0
    top_letter = 0
    for node in root.children:
        if node.kind == "roman":
            node.ref = node.label
            _child_refs(ctx, node, restarts)
        elif node.kind == "num":
            node.ref = node.label
            _child_refs(ctx, node, restarts)
        elif node.kind == "dash" or (node.kind == "para" and para_is_task(ctx, node)):
            top_dash += 1
            node.ref = str(top_dash)
            _child_refs(ctx, node, restarts)
        elif node.kind == "letter":
            top_letter += 1
            node.ref = node.label
            _child_refs(ctx, node, restarts)


def _child_refs(ctx: Context, node: Node, restarts: bool) -> None:
    k = 0
    for c in node.children:
        if c.kind == "num":
            c.ref = f"{node.ref}.{c.label}" if restarts and node.kind == "roman" else c.label
        elif c.kind == "sub":
            c.ref = c.label
        elif c.kind == "letter":
            c.ref = f"{node.ref}.{c.label}" if node.kind != "roman" or restarts else c.label
            if node.kind == "roman" and not restarts:
                c.ref = f"{node.ref}.{c.label}"
        elif c.kind == "dash":
            k += 1
            c.ref = f"{node.ref}.{k}"
        elif c.kind == "para" and para_is_task(ctx, c):
            # a paragraph assigning a task of its own after the sub-items: the next sub-item
            letters = [x.label for x in node.children[:node.children.index(c)] if x.kind == "letter"]
            if letters and letters[-1] in _LETTERS[:-1] and not k:
                label = _LETTERS[_LETTERS.index(letters[-1]) + 1]
                c.ref = f"{node.ref}.{label}" if node.kind != "roman" or restarts else f"{node.ref}.{label}"
            elif node.kind == "roman" and not restarts:
                # a section's plain paragraphs (numbering lost, or none): numbered by order, without the
                # section (like numbers that do not restart)
                k += 1
                c.ref = str(k)
            else:
                k += 1
                c.ref = f"{node.ref}.{k}"
        _child_refs(ctx, c, restarts)


def walk(ctx: Context, node: Node, items: list[dict], skipped: list[dict], audience: list[dict],
          inherited: Passed | None, skip_reason: str | None) -> None:
    first_item = len(items)
    above: list[dict] | None = None  # the lead of the lettered/dash item above
    for c in node.children:
        reason = skip_reason
        if c.kind == "para":
            kind = para_kind(ctx, c)
            if kind == "narrative":
                skipped.append({"ref": "", "text": c.text, "reason": "narrative"})
                continue
            if kind == "deadline-only":
                _para_note(ctx, c, items[first_item:])
                continue
        if c.children and plain_list(ctx, c):
            # "Sở Y tế triển khai các nội dung: - tiêm chủng; - an toàn thực phẩm.": one task
            c = Node(c.kind, c.label, [c.text] + ["- " + d.text for d in c.children], parent=c.parent,
                      ref=c.ref, value=c.value, gap_from=c.gap_from, misread=c.misread)
        if c.kind == "roman" and c.children:
            verdict = section_reason(ctx, c)
            if verdict is not None:
                reason = "assessment" if verdict == "assessment" else None
        if c.gap_from is not None:
            ctx.warnings.append(_w("numbering_gap", previous=c.gap_from, ref=c.ref))
        own_text = c.text
        if c.tables and not reason:
            # "2. Giao các cơ quan thực hiện các nhiệm vụ sau:" and a table: the rows are its tasks
            passed = heading_context(ctx, c, inherited)
            for k in c.tables:
                items.extend(table_items(ctx, ctx.tables[k], c.ref, passed, audience, skipped))
            if c.children:
                walk(ctx, c, items, skipped, audience, passed, reason)
            continue
        if c.children:
            passed = heading_context(ctx, c, inherited)
            walk(ctx, c, items, skipped, audience, passed, reason)
            continue
        if c.kind == "roman" and (not own_text or (len(own_text.split()) <= 12 and _mostly_upper(own_text))):
            continue  # an empty section heading
        if c.kind == "roman" and not reason and narrative_section(c):
            reason = "assessment"  # "I. ĐÁNH GIÁ CHUNG" followed by a paragraph of results
        if reason:
            skipped.append({"ref": c.ref, "text": own_text, "reason": reason})
            continue
        if not own_text:
            continue
        reason = leaf_reason(ctx, c, own_text) or (
            section_leaf_reason(ctx, c, own_text) if c.kind in ("roman", "num") else None)
        if reason:
            skipped.append({"ref": c.ref, "text": own_text, "reason": reason})
            continue
        items.append(_item(ctx, c, own_text, inherited, audience, above))
        if c.kind in ("letter", "dash"):
            above = items[-1]["lead"] if items[-1]["lead"] and items[-1]["lead"] is not audience else None


def _para_note(ctx: Context, para: Node, siblings: list[dict]) -> None:
    """A paragraph after sub-items that only sets a time: its deadline or recurrence goes to the
    items above that have none."""
    text = para.text
    found = dl.find_deadlines(text, issued_on=ctx.issued)
    rec = dl.find_recurring(text)
    chosen = dl.pick_deadline(found)
    for item in siblings:
        if item["deadline"] or item["deadline_text"] or item["recurring"]:
            continue
        if chosen is not None:
            item["deadline"] = chosen.date.isoformat() if chosen.date else None
            item["deadline_text"] = chosen.text
            item["deadline_as_written"] = chosen.as_written
        if rec:
            item["recurring"] = "; ".join(dict.fromkeys(r.text for r in rec))


def heading_context(ctx: Context, node: Node, inherited: Passed | None) -> Passed:
    """What a header item passes to its sub-items: lead, coordinators, deadline, recurring."""
    warnings: list[str] = []
    text = node.atext
    leads, coords, _ = assignees(ctx, text, warnings, heading=True) if text else ([], [], False)
    found = dl.find_deadlines(text, issued_on=ctx.issued) if text else []
    rec = dl.find_recurring(text) if text else []
    passed = dataclasses.replace(inherited) if inherited else Passed()
    if leads:
        passed.lead, passed.coordinate, passed.warnings = leads, coords, warnings
    # a time in a section's opening or in the goals ("phấn đấu đến hết ngày 30/6 ...", "trong năm
    # 2026 và các năm tiếp theo") is no deadline of the items below: only a heading that
    # introduces them with its time ("Giao Sở X, hoàn thành trước ngày 30/9/2024:") gives it
    found = [d for d in found if _gives_time(node, text, d.start)]
    rec = [r for r in rec if _gives_time(node, text, r.start)]
    if found:
        passed.deadlines = found
    if rec:
        passed.recurring = rec
    passed.heading = node.text
    return passed


def _gives_time(node: Node, text: str, at: int) -> bool:
    """Whether a time at ``at`` in a heading's ``text`` is the time of the items below it: the
    heading of a numbered or lettered item (not a Roman section's opening), in the sentence that
    introduces the list (ending with ":"), not a goal or a plan."""
    if node.kind in ("roman", "top"):
        return False
    body = text.rstrip()
    if not body.endswith(":"):
        return False
    start = max(body.rfind(". ", 0, at), body.rfind("\n", 0, at), body.rfind("; ", 0, at)) + 1
    return not _GOAL.search(fold_str(body[start:]))


def _item(ctx: Context, node: Node, text: str, inherited: Passed | None, audience: list[dict],
          above: list[dict] | None = None) -> dict:
    warnings: list[str] = []
    atext = node.atext if text == node.text else text
    leads, coords, _orphan = assignees(ctx, atext, warnings)
    if leads and inherited and inherited.lead and node.kind in ("letter", "dash", "sub"):
        # "a) Cam kết tiến độ ..., gửi UBND tỉnh trước ngày 15/11; quá thời hạn mà không có cam kết, giao Sở
        # Tài chính tham mưu xử lý": under a heading that names its party, an assignment in a later clause
        # is what follows if that party fails, not the item's lead (flagged, the heading's party leads)
        head, sep, rest = atext.partition(";")
        if sep and _GIAO.search(fold_str(rest)) and not _GIAO.search(fold_str(head)) and \
                not assignees(ctx, head, [])[0]:
            warnings.append(_w("several_leads", names=", ".join(a["name"] for a in inherited.lead + leads),
                               lead=inherited.lead[0]["name"]))
            leads = []
    if not leads and inherited and inherited.lead:
        leads = [dict(a) for a in inherited.lead]
        if not coords:
            coords = [dict(a) for a in inherited.coordinate]
        for w in inherited.warnings:
            if w not in warnings:
                warnings.append(w)
    if not leads and above and node.kind in ("letter", "dash"):
        # "a) Yêu cầu Nhà đầu tư lập hồ sơ ...; b) Hồ sơ ... phải đảm bảo ...": the same party goes on
        leads = [dict(a) for a in above]
        warnings.append(_w("real.lead_from_above", ref=node.ref, name=leads[0]["name"]))
    if not leads and audience:
        leads = [dict(a) for a in audience]
    if not leads:
        warnings.append(_w("no_lead"))
    if node.misread:
        warnings.append(_w("extra.misread_number", written=node.misread, ref=node.ref))
    coords = [a for a in coords if not any(same(a, b) for b in leads)]
    f = fold(text)
    found = dl.find_deadlines(text, issued_on=ctx.issued, folded=f)
    rec = dl.find_recurring(text, folded=f)
    if rec and found and all(d.kind in ("year", "half", "quarter", "month") and d.text.startswith("trong")
                             for d in found):
        # "Thường xuyên theo dõi, đôn đốc ... giải ngân trong năm 2026": an ongoing duty over a period
        found = []
    if not found and inherited and inherited.deadlines:
        found = inherited.deadlines
    chosen = dl.pick_deadline(found)
    deadline_warnings(found, chosen, warnings)
    if not rec and inherited and inherited.recurring:
        rec = inherited.recurring
    item = {
        **item_fields(node.ref, text, inherited.heading if inherited else None, leads, coords, chosen, rec, warnings),
    }
    return item


def read_items(ctx: Context, outline: OutlineResult, audience: list[dict]) -> tuple[list[dict], list[dict]]:
    """The reading's ``items`` and ``skipped`` from the body's outline; the tables of tasks
    (``ctx.tables``) sit inside the item that heads them (its rows are its sub-items), in the preamble,
    or in an annex."""
    root = outline.root
    tables = ctx.tables
    assign_refs(ctx, root, outline.restarts)
    items: list[dict] = []
    skipped: list[dict] = []
    placed: set[int] = set()
    place_tables(root, tables, placed)
    top_tables = [k for k in range(len(tables)) if k not in placed]
    in_preamble = [k for k in top_tables if any(TABLE_MARK.fullmatch(ln.strip()) and
                                                int(TABLE_MARK.fullmatch(ln.strip()).group(1)) == k
                                                for ln in outline.preamble)]
    for k in in_preamble:
        items.extend(table_items(ctx, tables[k], "", None, audience, skipped))
    walk(ctx, root, items, skipped, audience, inherited=None, skip_reason=None)
    annex = [k for k in top_tables if k not in in_preamble]
    pointer = None
    if annex:
        # "... thực hiện các nhiệm vụ tại Phụ lục kèm theo": that item is the annex's header, not a task
        for it in items:
            if _ANNEX_POINTER.search(fold_str(it["text"])):
                pointer = it
                break
        if pointer is not None:
            items.remove(pointer)
            skipped.append({"ref": pointer["ref"], "text": pointer["text"], "reason": "annex"})
            pointer = Passed(lead=pointer["lead"], coordinate=pointer["coordinate"], heading=pointer["text"],
                             deadlines=dl.find_deadlines(pointer["text"], issued_on=ctx.issued),
                             recurring=dl.find_recurring(pointer["text"]))
    for n, k in enumerate(annex):
        rows = table_items(ctx, tables[k], "", pointer, audience, skipped)
        taken = {i["ref"] for i in items}
        if any(r["ref"] in taken for r in rows):
            prefix = "PL." if len(annex) == 1 else f"PL{n + 1}."
            for r in rows:
                r["ref"] = prefix + r["ref"]
        items.extend(rows)
    return items, skipped
