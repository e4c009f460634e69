"""The addressees stage: who leads and who coordinates one item, from its own text.

"Giao X ...", "X chủ trì ...", "Đề nghị X ...", the party an item is addressed to ("UBND xã X: ...",
"Đối với Nhà đầu tư ...: ..."), the subject of the first clause; "phối hợp với Y, Z" and "...; Y, Z
phối hợp". Input: one item's text and the :class:`.context.Context`; output: :class:`Assignees`.
:func:`audience` reads the preamble's addressee ("UBND tỉnh yêu cầu các sở, ban, ngành ..."), the
lead of items that name nobody.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.notices.normalize import Folded, fold, kw
from bot.notices.reading import lexicon as lex
from bot.notices.reading.context import Context, _w
from bot.notices.reading.names import (
    _AGENCYISH, _ASSIGNS_STRONG, _NAMED_LIST, _QUAL_VERBS, _ROLE_PARTY, _STOP_EXACT, _STOP_WORDS, merge_all, read_names, same,
)

__all__ = ["Assignees", "assignees", "addressee", "audience"]


_FOR = kw(lex.FOR, bounded=False)
# "7. Trách nhiệm của các sở, ban, ngành, UBND các xã, phường, đặc khu": the parties of the items below
_DUTY_OF = kw(lex.DUTY_OF, bounded=False)
_GIAO_RX = kw(lex.GIAO, bounded=False, strict=True).pattern
_GIAO = re.compile(_GIAO_RX)
_GIAO_NOT_AFTER = kw(r"(?:" + lex.alternation(lex.GIAO_NOT_AFTER) + r")\s*$", bounded=False)
# "chủ trì" through OCR noise, never "chi trả" (to pay: "bố trí đủ vốn chi trả", every land-clearance notice)
_CHU_TRI = re.compile(r"(?!" + lex.NOT_CHU_TRI + ")" + kw(lex.CHU_TRI).pattern)
_PHOI_HOP = kw(lex.PHOI_HOP)
_PHU_HOP = kw(r"phu{1,2} hop voi (?:" + lex.alternation(lex.IN_KEEPING_WITH) + ")", bounded=False, strict=True)
_LEAD_WORDS = re.compile("(?:" + _GIAO_RX + "|" + kw(lex.alternation(lex.LEAD_WORDS)).pattern + r")\s+")
_TOPIC = kw(lex.TOPIC, bounded=False)
_ROLE_GROUP = kw(lex.ROLE_GROUP, bounded=False)
_AUDIENCE = re.compile(kw(lex.alternation(lex.AUDIENCE_VERBS)).pattern + "|" + _GIAO_RX)


def addressee(ctx: Context, f: Folded, warnings: list[str], *, bare: bool) -> list[dict]:
    """The party an item or heading is addressed to: "UBND xã Bảo Lâm 2: Rà soát ...", "Đối với Nhà
    đầu tư Dự án X: Khẩn trương ...", "Nhà đầu tư của 02 dự án ...:" and, for a heading (``bare``), a
    name alone ("a) Trung tâm Phát triển quỹ đất tỉnh" above its dashes). The whole name before the
    colon is the party: resolved when the directory knows it, else kept as written."""
    s = f.text
    p = len(s) - len(s.lstrip())
    dv = _FOR.match(s, p)
    if dv:
        p = dv.end()
    rg = _ROLE_GROUP.match(s, p)
    if rg:
        written = " ".join(f.span(p, rg.end() - 1).split()).strip(" ,-–:")
        return [{"name": written, "agency_id": None, "group": None, "as_written": written}]
    if not (_AGENCYISH.match(s, p) or _ROLE_PARTY.match(s, p)):
        return []
    stops = [k for k in (s.find(c, p) for c in ".;\n") if k != -1]
    nl = _NAMED_LIST.match(s, p)
    # "UBND các xã: A, B, C: ..." / "UBND các xã: A, B, C tập trung ...": the list's own colon is no
    # addressee's colon; the party is the list, read as names
    colon = s.find(":", nl.end() if nl else p)
    if colon != -1 and (not stops or colon < min(stops)):
        seg_end = colon
    elif bare and not stops and colon == -1:
        seg_end = len(s.rstrip(" ."))
    else:
        return []
    seg = s[p:seg_end]
    if not seg.strip() or len(seg.split()) > 25 or _GIAO.search(seg) or _ASSIGNS_STRONG.search(seg) or \
            _STOP_EXACT.search(seg):
        return []
    tmp: list[str] = []
    names, e = read_names(ctx, f, p, seg_end, tmp, require_first=True)
    if names:
        if s[e:seg_end].strip(" ,"):
            return []  # "Sở Y tế tổ chức thực hiện:": a clause, its subject is read as such
        warnings.extend(tmp)
        return names
    if _STOP_WORDS.search(seg) or _QUAL_VERBS.search(seg):
        return []
    written = " ".join(f.span(p, seg_end).split()).strip(" ,-–")
    m = ctx.resolve(written)
    ag = getattr(m, "agency", None) if m is not None else None
    if ag is not None and getattr(m, "sure", False) and not getattr(m, "rest", ""):
        return [{"name": ag.name, "agency_id": ag.id, "group": None, "as_written": written}]
    warnings.append(_w("unresolved", name=written))
    return [{"name": written, "agency_id": None, "group": None, "as_written": written}]


class Assignees(NamedTuple):
    """Who an item's own text assigns: one lead at most (more are flagged, the others coordinate),
    the coordinators, and whether "chủ trì" stands there without a subject."""

    lead: list[dict]
    coordinate: list[dict]
    orphan_chu_tri: bool = False


def assignees(ctx: Context, text: str, warnings: list[str], *, heading: bool = False) -> Assignees:
    """The lead and coordinators written in one item's own text (``heading``: the item heads others,
    and a bare name or "Trách nhiệm của X" is enough); warnings about the names go to ``warnings``."""
    f = fold(text)
    s = f.text
    n = len(s)
    leads: list[dict] = []
    coords: list[dict] = []
    lead_spans: list[tuple[int, int]] = []
    orphan_chu_tri = False
    # 1. "Giao X"
    for m in _GIAO.finditer(s):
        if _GIAO_NOT_AFTER.search(s, max(0, m.start() - 14, s.rfind("\n", 0, m.start()) + 1), m.start()):
            continue
        names, end = read_names(ctx, f, m.end(), n, warnings, require_first=True)
        if names:
            leads = names
            lead_spans.append((m.start(), end))
            break
    # 2. "X chủ trì"
    for m in _CHU_TRI.finditer(s):
        clause_start = max(s.rfind(c, 0, m.start()) for c in ".;:\n(") + 1
        for a, b in lead_spans:
            if a <= m.start() <= b + 3:
                clause_start = m.start()
        subject = s[clause_start:m.start()].strip(" ,")
        if not subject or _GIAO.fullmatch(subject.strip()):
            if not leads:
                orphan_chu_tri = True
            continue
        lw = _LEAD_WORDS.match(s, clause_start + (len(s[clause_start:]) - len(s[clause_start:].lstrip())))
        p = lw.end() if lw else clause_start
        names, _ = read_names(ctx, f, p, m.start(), warnings, require_first=True)
        if names and not leads:
            leads = names
        if leads:
            break
    # 3. the party the item is addressed to ("UBND xã X: ...", "Đối với Nhà đầu tư ...: ...")
    if not leads:
        leads = addressee(ctx, f, warnings, bare=heading)
    if not leads and heading:
        dm = _DUTY_OF.match(s, len(s) - len(s.lstrip()))
        if dm:
            leads, _ = read_names(ctx, f, dm.end(), n, warnings, require_first=True)
    # 4. the subject of the first clause
    if not leads:
        p = len(s) - len(s.lstrip())
        tm = _TOPIC.match(s, p)
        if tm:
            p = tm.end()
        lw = _LEAD_WORDS.match(s, p)
        if lw:
            p = lw.end()
        # "Phối hợp với Sở X kiểm tra ...": who is named after "phối hợp" is a coordinator; the clause has
        # no subject of its own (the heading's party leads)
        names = [] if _PHOI_HOP.match(s, p) else read_names(ctx, f, p, n, warnings, require_first=True)[0]
        if names:
            leads = names
    # 4. coordinators: "phối hợp với Y, Z", or "...; Y, Z phối hợp"
    for m in _PHOI_HOP.finditer(s):
        if _PHU_HOP.match(s, m.start()):
            continue  # "phù hợp với quy định" read through OCR noise as "phối hợp với"
        names, _ = read_names(ctx, f, m.end(), n, warnings, require_first=True)
        if not names:
            # "phối hợp Công an tỉnh": OCR-tolerant "cùng" must not eat "Công"
            bare = re.match(r"\S+ \S+(?: ch\S* ch\S*)?", s[m.start():m.end()])
            if bare and m.start() + bare.end() < m.end():
                names, _ = read_names(ctx, f, m.start() + bare.end(), n, warnings, require_first=True)
        if not names:
            clause_start = max(s.rfind(c, 0, m.start()) for c in ".;:\n(") + 1
            p = clause_start + len(s[clause_start:m.start()]) - len(s[clause_start:m.start()].lstrip())
            if p < m.start() and not any(a <= p < b for a, b in lead_spans):
                tmp: list[str] = []
                before, end_b = read_names(ctx, f, p, m.start(), tmp, require_first=True)
                if before and not s[end_b:m.start()].strip(" ,"):
                    names = before
                    warnings.extend(tmp)
                elif _AGENCYISH.match(s, p) and before and before[-1]["agency_id"] is None \
                        and not before[-1]["group"]:
                    # an unknown name running up to "phối hợp": the whole clause is the name
                    whole = " ".join(f.span(p, m.start()).split()).strip(" ,")
                    names = before[:-1] + [{"name": whole, "agency_id": None, "group": None, "as_written": whole}]
                    warnings.extend(w for w in tmp if before[-1]["name"] not in w)
                    warnings.append(_w("unresolved", name=whole))
        for a in names:
            if not any(same(a, b) for b in coords + leads):
                coords.append(a)
    unique: list[dict] = []
    for a in merge_all(leads):
        if not any(same(a, b) for b in unique):
            unique.append(a)
    leads = unique
    coords = merge_all(coords)
    if len(leads) > 1:
        warnings.append(_w("several_leads", names=", ".join(a["name"] for a in leads), lead=leads[0]["name"]))
        extra = [a for a in leads[1:] if not any(same(a, b) for b in coords)]
        coords = extra + coords
        leads = leads[:1]
    coords = [a for a in coords if not any(same(a, b) for b in leads)]
    return Assignees(leads, coords, orphan_chu_tri)


def audience(ctx: Context, preamble: str) -> list[dict]:
    f = fold(preamble)
    found: list[dict] = []
    for m in _AUDIENCE.finditer(f.text):
        names, _ = read_names(ctx, f, m.end(), len(f.text), [], require_first=True)
        if names:
            found = names[:1]
    return found
