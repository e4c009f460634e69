"""Names in a sentence (part of the addressees stage): agencies written one after the other
("Sở Tài chính, Sở Xây dựng và UBND các xã"), cut through the directory (``resolve`` and its
``rest``); collective addressees ("các sở, ban, ngành, địa phương") by patterns and
``resolve_group``; named lists ("UBND các xã: A, B, C"); parties the directory does not know
(a company, a ministry, "Nhà đầu tư của 02 dự án ...", "Ban Quản lý dự án ... số 1") kept as written.

Input: folded text (:class:`bot.notices.normalize.Folded`) and a span of it, the :class:`.context.Context`.
Output: agencies as the reading's JSON writes them (``{"name", "agency_id", "group", "as_written"}``)
and where the list ends (:func:`read_names`).
"""

from __future__ import annotations

import re

from bot.directory import DEFAULT_GROUP_LABELS
from bot.notices.normalize import Folded, fold_str, kw
from bot.notices.reading import lexicon as lex
from bot.notices.reading.context import Context, _w
from bot.notices.reading.outline import _mostly_upper

__all__ = ["read_names", "merge_all", "same"]


# parties written in lower case in a sentence: "đơn vị tư vấn lập quy hoạch", "nhà đầu tư"
_LOWER_PARTY = lex.rx(lex.LOWER_PARTIES)
_SEP = re.compile(r"\s*[,;&]\s*(?:(?:va|cung|voi)(?![a-z0-9*])\s*)?|(?:\s+|(?<=\s))(?:va|cung|voi|hoac)\s+")
_HARD_STOP = re.compile(r"[.;:(\n]|\s-\s|\s–\s")
# the head of an agency's name ("Sở", "Trung tâm", "Công ty"; "Bộ Tài chính", a ministry: kept as written)
_AGENCYISH = kw("(?:" + lex.alternation(lex.AGENCY_HEADS, not_before=lex.HEAD_NOT_BEFORE) + "|bo(?= (?:"
                + lex.alternation(lex.MINISTRY_FIELDS) + ")))(?![a-z0-9*])", bounded=False, strict=True)
# an investor named by its project: "Nhà đầu tư của 02 dự án đường bộ cao tốc Tân Phú – Bảo Lộc và Bảo Lộc
# – Liên Khương", "Nhà đầu tư 02 dự án", "Chủ đầu tư Dự án cao tốc Tân Phú - Bảo Lộc"
_ROLE_PARTY = kw("(?:" + lex.alternation(lex.ROLE_PARTIES) + ")(?![a-z0-9*])", bounded=False, strict=True)
_ROLE_PROJECT = kw(r"\s+(?:cua\s+)?(?:cac\s+)?(?:\d{1,3}\s+)?(?:" + lex.alternation(lex.PROJECT_WORDS)
                   + ")(?![a-z0-9*])", bounded=False, strict=True)
_ROLE_WORDS = kw(r"\s+(?:" + lex.alternation(lex.PROJECT_NAME_WORDS) + ")(?![a-z0-9*])", bounded=False, strict=True)
_PREFIX = r"(?:(?:" + lex.alternation(lex.TITLES) + r")\s+)?"
_ONTERR = r"(?:\s+(?:thuoc tinh|thuoc thanh pho|cua tinh|tren dia ban(?:\s+(?:tinh|thanh pho|toan tinh))?))?"
_UB = r"(?:uy ban nhan dan|ubnd)"
_GROUP_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (kw(_PREFIX + r"cac (?:so,? (?:ban,? )?nganh|co quan(?:,? don vi)?|don vi|dia phuong|"
        r"co quan,? don vi,? dia phuong|so,? (?:ban,? )?nganh,? dia phuong)(?: co)? lien quan" + _ONTERR), "lien-quan"),
    (kw(r"(?:co quan|don vi)(?:,? (?:don vi|dia phuong))* (?:co )?lien quan"), "lien-quan"),
    (kw(r"(?:" + _UB + r" )?(?:cac )?dia phuong (?:co )?lien quan"), "lien-quan"),
    (kw(_PREFIX + r"cac (?:so|co quan),? (?:ban,? )?(?:nganh|don vi)(?:,? (?:hoi,? )?doan the)?(?:,? (?:cac )?"
        r"(?:hoi,? )?doan the)?,? (?:va )?" + _PREFIX + r"(?:cac )?(?:dia phuong|" + _UB +
        r" cac huyen(?:,? (?:thi xa|tx|thanh pho|tp))*|" + _UB + r" cac xa(?:,? (?:phuong|thi tran|dac khu))*)" + _ONTERR),
     "all"),
    (kw(_PREFIX + r"cac co quan,? don vi,? dia phuong" + _ONTERR), "all"),
    (kw(r"cac cap,? cac nganh" + _ONTERR), "all"),
    (kw(_PREFIX + r"cac co quan (?:trung uong|tu)" + _ONTERR), "trung-uong"),
    (kw(_PREFIX + r"cac so,? (?:ban,? )?nganh" + _ONTERR), "so-ban-nganh"),
    (kw(_PREFIX + r"cac co quan,? don vi" + _ONTERR), "all"),
    (kw(r"cac don vi(?! (?:co )?lien quan)" + _ONTERR), "lien-quan"),
    # a Government Office notice's parties: kept as written, they are no group of the province
    (kw(r"cac bo,? (?:co quan )?nganh(?:,? (?:co quan )?(?:trung uong|dia phuong))*(?: (?:co )?lien quan)?"),
     "as-written"),
    (kw(r"(?:" + _UB + r" )?cac tinh,? thanh pho(?: truc thuoc trung uong)?(?: (?:co )?lien quan)?"), "as-written"),
    (kw(r"cac bo,? co quan(?: (?:trung uong|chu chuong trinh|chu quan|chu tri))*(?: (?:co )?lien quan)?"), "as-written"),
    (kw(_PREFIX + _UB + r" cac huyen(?:,? (?:thi xa|tx|thanh pho|tp))*" + _ONTERR), "huyen"),
    (kw(_PREFIX + r"cac huyen(?:,? (?:thi xa|tx|thanh pho|tp))+" + _ONTERR), "huyen"),
    (kw(_PREFIX + _UB + r" cac (?:xa|phuong)(?:,? (?:xa|phuong|thi tran|dac khu))*" + _ONTERR), "xa"),
    (kw(_PREFIX + r"cac xa,? phuong(?:,? (?:thi tran|dac khu))*" + _ONTERR), "xa"),
    (kw(_PREFIX + r"cac dia phuong" + _ONTERR), "dia-phuong"),
    (kw(r"dia phuong(?! (?:va|hoac) (?:cac )?(?:so|co quan|don vi))" + _ONTERR), "dia-phuong"),
]
# "UBND các xã: Đức Trọng, Hiệp Thạnh, Đinh Văn Lâm Hà", "các sở: Nông nghiệp và Môi trường, Tài chính":
# a named list, one agency each
_NAMED_LIST = kw(r"(?P<ub>(?:uy ban nhan dan|ubnd)\s+)?cac\s+(?P<unit>xa|phuong|huyen|thi xa|thi tran|tinh|"
                 r"thanh pho|so|ban|bo)(?:\s*:\s*|\s+)", bounded=False)
# what may follow a known agency's name and belongs to it: its area ("khu vực XIV"), or the nation
_NAME_TAIL = re.compile(r"\s*(?:khu vuc\s+(?:[ivxl]{1,6}|\d{1,2})|"
                        r"(?P<nation>viet nam(?! (?:tinh|thanh pho|huyen|xa|phuong|chi nhanh))))(?![a-z0-9*])")
# what starts another party after a named list (not a place: "Hội Phú" is a ward)
_OTHER_PARTY = kw("(?:" + lex.alternation(lex.OTHER_PARTY_HEADS) + ")(?![a-z0-9*])", bounded=False, strict=True)
_UNIT_WORD = {"xa": "xã", "phuong": "phường", "huyen": "huyện", "thi xa": "thị xã", "thi tran": "thị trấn",
              "tinh": "tỉnh", "thanh pho": "thành phố", "so": "Sở", "ban": "Ban", "bo": "Bộ"}
# a group followed by "liên quan" is only the related ones: "các sở, ngành và UBND các xã liên quan"
_THEN_RELATED = kw(r"\s*(?:co )?lien quan", bounded=False)
# words that narrow a group to some of its members ("UBND các xã vùng đồng bào dân tộc thiểu số",
# "UBND các xã, phường có dự án"): such an addressee is not the whole group
_SUBSET = re.compile(r"\s*(?:" + lex.alternation(lex.SUBSET_WORDS, not_before=lex.SUBSET_NOT_BEFORE)
                     + r")(?![a-z0-9*])")  # exact words: "bi" is not "bao"
# Labels of collective addressees; "related agencies" stays lower-case, as it is written in a sentence.
_GROUP_LABELS = {**DEFAULT_GROUP_LABELS, "lien-quan": "các cơ quan, đơn vị liên quan"}
# verbs and function words that end a name when the directory cannot tell where it stops
_STOP_WORDS = lex.rx(lex.STOP_VERBS)
_BARE_HEAD = kw("(?:" + lex.alternation(lex.BARE_HEADS) + ")", bounded=False, strict=True)
# a unit's name often ends with its level: "... thông minh tỉnh", "... xây dựng huyện"
_UNIT_SUFFIX = kw(r"(?<![a-z0-9*])(?:tinh|huyen|thi xa|thanh pho|(?<!lien )quan)(?![a-z0-9*])(?! (?:uy|hoi|doi|don|"
                  r"lo))", bounded=False, strict=True)
_COMMA_VA = re.compile(r",\s*|(?<![a-z])va\s+(?![a-z])|(?<![a-z])va\s+")
# units named after what they do ("Ban Chỉ đạo", "Trung tâm Giám sát", "Hội đồng Thẩm định")
_FUNCTION_HEAD = kw("(?:" + lex.alternation(lex.FUNCTION_HEADS) + ")(?![a-z0-9*])", bounded=False, strict=True)
# more verbs, to end a qualifier after a group ("UBND các xã có dự án tháo gỡ vướng mắc ...")
_QUAL_VERBS = lex.rx(lex.QUALIFIER_VERBS)
_STOP_EXACT = re.compile(r"(?<![a-z0-9*])(?:" + lex.alternation(lex.STOP_EXACT, not_before=lex.STOP_EXACT_NOT_BEFORE,
                                                              not_after=lex.STOP_EXACT_NOT_AFTER) + r")(?![a-z0-9*])")
_ASSIGNS = lex.rx(lex.ASSIGN_ANY)
_ASSIGNS_STRONG = lex.rx(lex.ASSIGN_STRONG)


def same(a: dict, b: dict) -> bool:
    if a.get("agency_id") and a.get("agency_id") == b.get("agency_id"):
        return True
    if a.get("group") and a.get("group") == b.get("group"):
        return True
    return not a.get("agency_id") and not a.get("group") and fold_str(a["name"]) == fold_str(b["name"])


def _group_at(f: Folded, pos: int) -> tuple[int, str] | None:
    for pat, gid in _GROUP_PATTERNS:
        m = pat.match(f.text, pos)
        if m:
            if gid == "all" and _THEN_RELATED.match(f.text, m.end()):
                continue
            end = m.end()
            if gid != "lien-quan":
                rel = _THEN_RELATED.match(f.text, end)
                if rel:  # "UBND các xã liên quan": the related ones, as written
                    return rel.end(), "lien-quan"
            return end, gid
    return None


def _named_list(ctx: Context, f: Folded, pos: int, end: int, warnings: list[str]) -> tuple[list[dict], int] | None:
    """"UBND các xã: Đức Trọng, Hiệp Thạnh, Đinh Văn Lâm Hà" from folded ``pos``: one agency per name
    (resolved, else kept as written with its unit: "UBND xã Đức Trọng"); None if no such list."""
    m = _NAMED_LIST.match(f.text, pos, end)
    if not m or m.end() >= len(f.text) or not f.original[f.start(m.end())].isupper():
        return None
    unit = " ".join(m.group("unit").split())
    # the unit as OCR may print it ("xa*"): the key it stands for
    unit = next((k for k in _UNIT_WORD if kw(k).fullmatch(unit)), unit)
    head = ("UBND " if m.group("ub") else "") + _UNIT_WORD.get(unit, unit)
    local = unit not in ("so", "ban", "bo")
    s = f.text
    out: list[dict] = []
    k = m.end()
    while k < end:
        stop = _hard_stop(f, k, end)
        seg_end = stop
        for pat in (re.compile(r","), _STOP_WORDS, _STOP_EXACT, re.compile(r"\s(?:va|hoac)\s+(?=\S)")):
            for mm in pat.finditer(s, k + 1, seg_end):
                ch = f.original[f.start(mm.start())] if mm.group()[:1].isalpha() else ""
                if ch.isupper():
                    continue  # "Đức Trọng" is a name, not "trong"
                seg_end = mm.start()
                break
        if local:  # names of places are capitalised: a lower-case word ends the list
            for w in re.finditer(r"\S+", s[k:seg_end]):
                ch = f.original[f.start(k + w.start())]
                if ch.isalpha() and not ch.isupper():
                    seg_end = k + w.start()
                    break
        if not local:
            # "các sở: Nông nghiệp và Môi trường, Tài chính": a department's name may hold "và";
            # a ministry's is the department's ("Bộ Khoa học và Công nghệ")
            whole_end = _hard_stop(f, k, end)
            for pat in (re.compile(r","), _STOP_WORDS, _STOP_EXACT):
                mm = pat.search(s, k + 1, whole_end)
                if mm:
                    whole_end = mm.start()
            whole = " ".join(f.span(k, whole_end).split()).strip(" ,;:-–")
            if whole_end > seg_end and whole:
                r = ctx.resolve(f"Sở {whole}")
                if r is not None and getattr(r, "sure", False) and getattr(r, "agency", None) is not None \
                        and not getattr(r, "rest", ""):
                    seg_end = whole_end
        name = " ".join(f.span(k, seg_end).split()).strip(" ,;:-–")
        if not name:
            break
        written = f"{head} {name}"
        r = ctx.resolve(written)
        ag = getattr(r, "agency", None) if r is not None else None
        if ag is not None and getattr(r, "sure", False) and not getattr(r, "rest", ""):
            out.append({"name": ag.name, "agency_id": ag.id, "group": None, "as_written": written})
        else:
            warnings.append(_w("unresolved", name=written))
            out.append({"name": written, "agency_id": None, "group": None, "as_written": written})
        k = seg_end
        sep = re.match(r"\s*,\s*|\s+(?:va|hoac)\s+", s[k:end])
        if not sep:
            break
        nxt = k + sep.end()
        if nxt >= end or not f.original[f.start(nxt)].isupper() or _OTHER_PARTY.match(s, nxt) \
                or _group_at(f, nxt):
            break  # "... Đinh Văn Lâm Hà và đơn vị tư vấn", "... Tài chính và UBND các xã": another party
        k = nxt
    return (out, k) if out else None


def _role_party_end(f: Folded, pos: int, end: int) -> int | None:
    """Where "Nhà đầu tư [của] [02] dự án <name>" ends, from folded ``pos``; None if not such a party."""
    s = f.text
    m = _ROLE_PARTY.match(s, pos, end)
    if not m:
        return None
    k = m.end()
    pj = _ROLE_PROJECT.match(s, k, end)
    if not pj:
        return k
    k = pj.end()
    while k < end:
        w = _ROLE_WORDS.match(s, k, end)
        if w:
            k = w.end()
            continue
        nxt = re.match(r"\s*(?:[-–]\s*|(?:va|hoac)\s+)?(?=\S)", s[k:end])
        j = k + (nxt.end() if nxt else 0)
        if j < end and f.original[f.start(j)].isupper():
            wm = re.match(r"\S+", s[j:end])
            k = j + wm.end()
            continue
        if j < end and s[j].isdigit() and k > pj.end():
            wm = re.match(r"\d+", s[j:end])
            k = j + wm.end()
            continue
        break
    return k


def _group_agency(ctx: Context, as_written: str, gid: str) -> dict:
    if gid == "as-written":
        return {"name": as_written, "agency_id": None, "group": None, "as_written": as_written}
    group = gid
    resolve_group = getattr(ctx.directory, "resolve_group", None)
    if resolve_group is not None:
        try:
            other = resolve_group(as_written)
        except Exception:  # noqa: BLE001
            other = None
        if other and not (gid == "lien-quan") and other != "lien-quan":
            group = other
    label = _GROUP_LABELS.get(group)
    if group != "lien-quan":
        label_of = getattr(ctx.directory, "group_label", None)
        if label_of is not None:
            try:
                label = label_of(group) or label
            except Exception:  # noqa: BLE001
                pass
    return {"name": label or group, "agency_id": None, "group": group, "as_written": as_written}


def read_names(ctx: Context, f: Folded, pos: int, end: int, warnings: list[str], *, require_first: bool = False
           ) -> tuple[list[dict], int]:
    """Agencies written one after the other from folded ``pos``; (agencies, folded end of the list)."""
    out: list[dict] = []
    s = f.text
    while pos < end:
        # skip separators between names
        if out:
            m = _SEP.match(s, pos, end)
            if not m or m.end() == pos:
                break
            pos = m.end()
        while pos < end and s[pos] in " \n":
            pos += 1
        if pos >= end:
            break
        nl = _named_list(ctx, f, pos, end, warnings)
        if nl is not None:
            out.extend(nl[0])
            pos = nl[1]
            continue
        rp = _role_party_end(f, pos, end)
        if rp is not None:
            written = " ".join(f.span(pos, rp).split()).strip(" ,;:-–")
            if written:
                out.append({"name": written, "agency_id": None, "group": None, "as_written": written})
                pos = rp
                continue
        g = _group_at(f, pos)
        if g and g[0] <= end:
            a, b = pos, g[0]
            q = _SUBSET.match(s, b, end) if g[1] != "lien-quan" else None
            if q and q.end() > b + 1:
                # only some members of the group: kept as written, never the whole group
                b = _qualifier_end(s, q.end(), end)
                whole = " ".join(f.span(a, b).split()).strip(" ,")
                label = _group_agency(ctx, whole, g[1])["name"]
                warnings.append(_w("extra.subset", name=whole, group=label))
                out.append({"name": whole, "agency_id": None, "group": None, "as_written": whole})
                pos = b
                continue
            out.append(_group_agency(ctx, " ".join(f.span(a, b).split()), g[1]))
            pos = b
            continue
        stop = _hard_stop(f, pos, end)
        window = s[pos:stop]
        words = list(re.finditer(r"\S+", window))
        if len(words) > 24:
            stop = pos + words[23].end()
        written = " ".join(f.span(pos, stop).split())
        if not written:
            break
        m = ctx.resolve(written)
        agency = getattr(m, "agency", None) if m is not None else None
        if m is not None and getattr(m, "sure", False) and (agency is not None or getattr(m, "group", None)):
            rest = getattr(m, "rest", "") or ""
            used = written[: len(written) - len(rest)] if rest and written.endswith(rest) else written
            if rest and not written.endswith(rest):
                k = written.rfind(rest)
                used = written[:k] if k > 0 else written
            used = used.rstrip(" ,;:-–")
            # folded length of the used part
            nxt = _advance(f, pos, stop, used)
            if agency is not None:
                unit = re.match(r"\s*(?:thuoc |cua )?(tinh|thanh pho)(?![a-z0-9*])", s[nxt:stop])
                if unit and fold_str(agency.name).endswith(unit.group(1)):
                    nxt += unit.end()
                    used = " ".join(f.span(pos, nxt).split())
                tail = _NAME_TAIL.match(s, nxt, stop)
                if tail:
                    # "Kho bạc Nhà nước khu vực XIV": the unit's area is part of its name; "Ngân hàng Nhà nước
                    # Việt Nam": a national body, no agency of the province (kept as written)
                    nxt = tail.end()
                    used = " ".join(f.span(pos, nxt).split())
                    if tail.group("nation") and "viet nam" not in fold_str(agency.name):
                        out.append({"name": used, "agency_id": None, "group": None, "as_written": used})
                        warnings.append(_w("unresolved", name=used))
                        pos = nxt
                        continue
            if agency is not None:
                out.append({"name": agency.name, "agency_id": agency.id, "group": None, "as_written": used})
                note = getattr(m, "note", None)
                if note:
                    warnings.append(_w("note", name=used, note=note))
            else:
                out.append(_group_agency(ctx, used, m.group))
            pos = nxt
            continue
        # not resolvable: cut at the next comma, "và" or verb, keep it if it looks like an agency
        piece_end = _unknown_name_end(f, pos, stop)
        piece = " ".join(f.span(pos, piece_end).split()).strip(" ,;:-–")
        if piece and piece != written:
            m_piece = ctx.resolve(piece)
            if m_piece is not None and getattr(m_piece, "sure", False) and \
                    getattr(m_piece, "agency", None) is not None and not getattr(m_piece, "rest", ""):
                ag = m_piece.agency
                out.append({"name": ag.name, "agency_id": ag.id, "group": None, "as_written": piece})
                note = getattr(m_piece, "note", None)
                if note:
                    warnings.append(_w("note", name=piece, note=note))
                pos = piece_end
                continue
            m = m_piece if m_piece is not None else m
        head = _AGENCYISH.match(s, pos)
        # "Phòng, chống dịch": a head noun alone is no name
        bare = head is not None and _BARE_HEAD.fullmatch(s[pos:piece_end].strip(" ,;:-")) is not None
        if piece and head and not bare and len(piece.split()) <= 22 and _name_cased(ctx, f, pos):
            cands = [c.name for c in (getattr(m, "candidates", None) or [])][:3] if m is not None else []
            if cands:
                warnings.append(_w("unsure", name=piece, candidates=", ".join(cands)))
            else:
                warnings.append(_w("unresolved", name=piece))
            out.append({"name": piece, "agency_id": None, "group": None, "as_written": piece})
            pos = piece_end
            continue
        if require_first and not out:
            return [], pos
        break
    return out, pos


def _hard_stop(f: Folded, pos: int, end: int) -> int:
    """Where the text that may hold names ends: punctuation, or a dash between words; not a dash
    inside a name, between capitalised words ("Phòng Tài chính - Kế hoạch", "Sở Lao động - Thương
    binh và Xã hội")."""
    for m in _HARD_STOP.finditer(f.text, pos, end):
        if m.group().strip() in ("-", "–") and m.start() > pos:
            k = m.end()
            while k < len(f.text) and f.text[k] == " ":
                k += 1
            before = f.original[f.start(m.start() - 1)] if m.start() > 0 else ""
            if k < len(f.text) and f.original[f.start(k)].isupper() and before.isalpha() and \
                    not _mostly_upper(f.span(pos, m.start())):
                continue
        return m.start()
    return end


def _name_cased(ctx: Context, f: Folded, pos: int) -> bool:
    """An unknown name starts with a capital ("Phòng Tài chính"), not "phòng, chống dịch"; a notice
    written all in lower case, and "các ..." (the "các thôn, tổ dân phố"), are let through."""
    ch = f.original[f.start(pos)] if pos < len(f.text) else ""
    if not ch.isalpha() or ch.isupper() or f.text.startswith("cac", pos) or _LOWER_PARTY.match(f.text, pos):
        return True
    return ctx.lowercase


def _unknown_name_end(f: Folded, pos: int, stop: int) -> int:
    """Where a name the directory does not know ends, from folded ``pos``.

    At the first comma, "và" or verb, except: a verb capitalised as part of a proper name
    ("Trung tâm Giám sát", "Ban Quản lý dự án Đầu tư Xây dựng"), a verb right after the unit's
    head noun ("Ban chỉ đạo"), and a name that visibly runs on to the province ("Ban Quản lý dự án
    đầu tư xây dựng các công trình giao thông tỉnh", "Trung tâm Giám sát, điều hành đô thị thông
    minh tỉnh"): then up to "tỉnh"."""
    s = f.text
    head = _FUNCTION_HEAD.match(s, pos)
    after_head = head.end() if head else pos
    nxt = re.match(r"\s*\S+", s[after_head:stop])
    free_until = after_head + nxt.end() if nxt else after_head  # the word after the head noun
    caps_ok = not _mostly_upper(f.span(pos, stop))
    piece_end = stop
    for pat in (_STOP_WORDS, _STOP_EXACT, _COMMA_VA):
        for mm in pat.finditer(s, pos + 1, piece_end):
            if pat is _COMMA_VA:
                # "Phòng Tài nguyên và Môi trường", "Trung tâm Văn hóa, Thông tin": a capitalised word
                # that starts no other name goes on with this one; "HĐND và UBND" is one office
                k = mm.end()
                if caps_ok and k < len(s) and f.original[f.start(k)].isupper() and \
                        (not _AGENCYISH.match(s, k) or re.search(r"hdnd\s+va\s+ubnd", s[max(0, mm.start() - 6):k + 5])):
                    continue
            else:
                if mm.start() < free_until:
                    continue
                if caps_ok and f.original[f.start(mm.start())].isupper():
                    continue
            piece_end = mm.start()
            break
    # a numbered unit: "Ban Quản lý dự án đầu tư xây dựng số 1" (the name runs on to its number)
    nm = re.match(kw(r"(?P<mid>[^,;:.()\n]{0,60}?)(?<![a-z0-9*])so (?P<n>\d{1,3})(?![\d/.,]\d|[\d/])", bounded=False, strict=True).pattern, s[piece_end:stop])
    if nm and len(nm.group("mid").split()) <= 6 and not _ASSIGNS.search(nm.group("mid")) \
            and not _STOP_EXACT.search(nm.group("mid")) and not _COMMA_VA.search(nm.group("mid")) \
            and head is not None:
        return piece_end + nm.end()
    # a name running on to the province's name: "... thông minh tỉnh" (not "... của tỉnh")
    tm = None
    for m in _UNIT_SUFFIX.finditer(s[:stop]):
        if m.start() <= piece_end:
            continue
        tm = m
        break
    if tm is not None:
        span = s[pos:tm.start()]
        words = span.split()
        bad = (len(words) > 22 or not words
               or re.search(r"(?<![a-z0-9*])(?:cua|toan|ban|dia|va|hoac|tren)$", span.rstrip())
               or _STOP_EXACT.search(s, piece_end, tm.start())
               or _ASSIGNS_STRONG.search(s, max(piece_end, free_until), tm.start())
               or re.search(r"(?<![a-z0-9*])(?:" + _AGENCYISH.pattern + ")", s[max(piece_end, free_until):tm.start()])
               or re.search(r"[,;]\s*(?:cac\s)?(?=" + _AGENCYISH.pattern + ")", span)
               or re.search(r"\s(?:va|hoac)\s+(?=" + _AGENCYISH.pattern + ")", span))
        if not bad:
            # every comma inside must be followed by a lowercase word (not a new name)
            for cm in re.finditer(r",\s*", span):
                k = pos + cm.end()
                if k < len(s) and f.original[f.start(k)].isupper():
                    bad = True
                    break
        if not bad:
            piece_end = tm.end()
    return piece_end


def _qualifier_end(s: str, pos: int, end: int) -> int:
    """Where a qualifier after a group ("vùng đồng bào dân tộc thiểu số") ends: at punctuation, a verb,
    "và" before another name, or after 10 words."""
    stop = end
    for pat in (_HARD_STOP, re.compile(r","), _STOP_WORDS, _STOP_EXACT, _QUAL_VERBS,
                re.compile(r"\s(?:va|hoac)\s+(?=" + _AGENCYISH.pattern + ")")):
        m = pat.search(s, pos, stop)
        if m:
            stop = m.start()
    words = list(re.finditer(r"\S+", s[pos:stop]))
    if len(words) > 10:
        stop = pos + words[9].end()
    while stop > pos and s[stop - 1] in " \n":
        stop -= 1
    return stop


def _advance(f: Folded, pos: int, stop: int, used: str) -> int:
    """The folded index after the original text ``used`` that starts at folded ``pos``."""
    target = fold_str(used).replace(" ", "")
    k = pos
    n = 0
    while k < stop and n < len(target):
        if f.text[k] not in " \n":
            n += 1
        k += 1
    return k


def merge_all(agencies: list[dict]) -> list[dict]:
    """"Các sở, ban, ngành thuộc tỉnh, Công an tỉnh, ..., UBND các xã, phường": the departments and the
    localities named in one list are every agency ("all")."""
    kinds = [a.get("group") for a in agencies]
    if "so-ban-nganh" not in kinds or not any(k in ("xa", "huyen", "dia-phuong") for k in kinds):
        return agencies
    parts = [a for a in agencies if a.get("group") in ("so-ban-nganh", "xa", "huyen", "dia-phuong")]
    merged = {"name": _GROUP_LABELS["all"], "agency_id": None, "group": "all",
              "as_written": "; ".join(a["as_written"] for a in parts)}
    out: list[dict] = []
    for a in agencies:
        if a in parts:
            if a is parts[0]:
                out.append(merged)
            continue
        out.append(a)
    return out
