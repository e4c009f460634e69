"""From the text of a conclusion notice to its tasks.

``read_notice(text, directory)`` returns the JSON shape of issue 3::

    {"notice": {"number", "issued_on", "issuer", "kind", "title", "meeting_on"},
     "items": [{"ref", "text", "heading", "lead", "coordinate", "deadline", "deadline_text",
                "deadline_as_written", "recurring", "warnings"}],
     "skipped": [{"ref", "text", "reason"}],
     "warnings": [...]}

How it reads (all keyword matching on OCR-folded text, see :mod:`.normalize`):

1. page furniture goes (page numbers, running headers repeated on every page);
2. the header block (everything before the kind line "THÔNG BÁO") gives the number,
   the date of issue and the issuer (the national motto is cut out); the lines after
   the kind line, up to the first blank line or the body, are the title;
3. the body runs to the closing formula ("... thông báo để ... biết", "./.",
   "Nơi nhận:", "TL./KT./TM. ..."); it is cut into items at line-start markers that
   follow each other (Roman sections, "1.", "8.1.", "a)", dashes), a marker counting
   only where the previous line ended a sentence, so wrapped lines never start items;
4. leaves of that tree are the tasks (a header item "Giao Sở X ... sau đây:" passes its
   lead, coordinators and deadline to its dash sub-items); items that only approve or
   acknowledge ("Đồng ý ...", "Ghi nhận ...") are skipped;
5. assignees: "Giao X", "X chủ trì", X as the subject of the first clause, "phối hợp
   với Y, Z"; names are cut one after the other through ``directory.resolve`` (its
   ``rest``), collective addressees ("các sở, ban, ngành, địa phương") by patterns and
   ``directory.resolve_group``; an item naming nobody inherits its header's lead, then
   the audience of the preamble ("UBND tỉnh yêu cầu các sở, ban, ngành, địa phương ...");
6. deadlines and recurring duties: :mod:`.deadlines`.

Warnings are plain text (not HTML): escape them before showing them in Telegram HTML.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from bot.directory import DEFAULT_GROUP_LABELS
from bot.notices import deadlines as dl
from bot.notices.reading import lexicon as lex
from bot.notices.reading.context import Context
from bot.notices.reading.header import body_lines, find_kind, read_header
from bot.notices.reading.page import TABLE_MARK as _TABLE_MARK, find_tables, page_lines, row_cells as _row_cells
from bot.notices.reading.page import _ROMAN_CELL, _TABLE_HEADER_AGAIN  # noqa: F401
from bot.notices.reading.outline import (  # noqa: F401  (the outline stage; names kept for the reader)
    _CONFUSABLE, _DASH_RE, _GARBLED_NUM_RE, _LETTER_RE, _LETTERS, _LETTERS_ALL, _NUM_RE, _OPEN_ENDED, _OPENER,
    _ROMAN_RE, _SUBNUM_RE, _TIME_LINE, Node as _Node, Outline as _Parser, _ends_sentence, _mostly_upper,
    _roman_value, _to_roman,
)
from bot.notices.extract import task_table_columns
from bot.notices.normalize import Folded, clean_text, fold, fold_str, guess_plain, kw, p_as_d
from bot.texts import Raw, t

__all__ = ["read_notice", "read_notice_file"]


def _w(key: str, **values: object) -> str:
    return t(f"notice_reader.{key}", **{k: Raw(str(v)) for k, v in values.items()})



_NOT_TASK = kw(r"(?:" + lex.alternation(lex.NOT_TASK) + r")(?![a-z*])", bounded=False)
_ASSIGNS = lex.rx(lex.ASSIGN_ANY)
_ANNEX_POINTER = kw(r"(?:tai|theo|o|trong) (?:cac )?phu luc|phu luc (?:kem theo|dinh kem|chi tiet)|"
                    r"(?:bieu|bang|danh muc) (?:chi tiet )?kem theo")
_ASSIGNS_STRONG = lex.rx(lex.ASSIGN_STRONG)
_ASSESSMENT = lex.rx(lex.ASSESSMENT)
_TASKISH = lex.rx(lex.TASKISH)
# a time that is a goal or a plan, not a deadline of the items below ("phấn đấu", "các năm tiếp theo")
_GOAL = lex.rx(lex.GOALS)
_FOR = kw(r"doi voi\s+", bounded=False)
_TO = kw(r"\s*kinh gui\s*:?", bounded=False)
# a directive's last words to everyone, not a task: "Yêu cầu các cơ quan, đơn vị nghiêm túc triển khai thực hiện./."
_EXHORTATION = kw(r"(?:nghiem tuc |khan truong |to chuc )?(?:trien khai )?thuc hien(?: nghiem tuc)?\s*[./]*\s*$",
                  bounded=False)
# words after which a line goes on (a wrapped line, not a heading)
# parties written in lower case in a sentence: "đơn vị tư vấn lập quy hoạch", "nhà đầu tư"
_LOWER_PARTY = lex.rx(lex.LOWER_PARTIES)
# "7. Trách nhiệm của các sở, ban, ngành, UBND các xã, phường, đặc khu": the parties of the items below
_DUTY_OF = kw(r"(?:trach nhiem|nhiem vu) (?:cua|thuoc)\s+", bounded=False)
_TASKISH_GIAO = re.compile(r"(?<![a-z0-9*])gia[o*](?![a-z0-9*])")

_GIAO_RX = (r"(?<![a-z0-9*])gia[o*](?:\s+cho)?(?![a-z0-9*])"
            r"(?!\s+ban\s+(?:th[a-z*]{2,3}g|tuan|quy|n[a-z*]{1,2}m|dinh|truc|cong|lan|\d))")
_GIAO = re.compile(_GIAO_RX)
_GIAO_NOT_AFTER = kw(r"(?:duoc|da|ban|chuyen|so|bo|nganh|phong|cuc|linh vuc|ve|hoac|dang|moi|vua|se)\s*$",
                     bounded=False)
_CHU_TRI = kw(r"chu tri")
_PHOI_HOP = kw(r"(?:phoi hop(?: chat che)?(?: voi| cung)?|voi su phoi hop cua|cung voi)")
_PHU_HOP = re.compile(r"ph[u*]{1,2} h[o*]p v[o*]i (?:quy|yeu cau|thuc te|tinh hinh|dieu kien|nhu cau|tieu chuan|"
                      r"chu truong|dinh huong|chuc nang|thuc tien|dac diem|dac thu|ke hoach|phap luat)")
_LEAD_WORDS = re.compile("(?:" + _GIAO_RX + "|" + kw(r"de nghi|yeu cau|dong thoi|va").pattern + r")\s+")
_TOPIC = kw(r"(?:ve|doi voi)\s+[^:;.]{1,120}:\s*", bounded=False)
_AUDIENCE = re.compile(kw(r"yeu cau|de nghi|chi dao").pattern + "|" + _GIAO_RX)
_SEP = re.compile(r"\s*[,;&]\s*(?:(?:va|cung|voi)(?![a-z0-9*])\s*)?|(?:\s+|(?<=\s))(?:va|cung|voi|hoac)\s+")
_HARD_STOP = re.compile(r"[.;:(\n]|\s-\s|\s–\s")
_AGENCYISH = re.compile(
    r"(?:s[o*]|ban|ubnd|[uo*]y ban|c[o*]ng an|b[o*] ch[i*] huy|bch|v[a*]n ph[o*]ng|vp|thanh tra|chi c[u*]c|c[u*]c|"
    r"kho b[a*]c|ng[a*]n h[a*]ng|b[a*]o(?! (?:d[a*]m|c[a*]o|v[e*]|t[o*]n|qu[a*]n|h[i*][e*]m))|d[a*]i|tr[u*][o*]ng|h[o*]i|li[e*]n d[o*][a*]n|t[i*]nh d[o*][a*]n|"
    r"m[a*]t tr[a*]n|vi[e*]n|trung t[a*]m|b[e*]nh vi[e*]n|c[o*]ng ty|bhxh|b[a*]o hi[e*]m|qu[y*](?! (?:d[i*]nh|ch[e*]|ho[a*]ch|tr[i*]nh|m[o*]|t[a*]c|ph[a*]m|chu[a*]n|lu[a*]t|[u*][o*]c|n[a*]p|tr[a*]ch))|chi nh[a*]nh|"
    r"hdnd|h[o*]i d[o*]ng|t[o*]a [a*]n|tand|vksnd|t[i*]nh [u*]y|huy[e*]n [u*]y|th[a*]nh [u*]y|ph[o*]ng|"
    r"t[o*]ng c[u*]c|ubmttq|mttq|dang [u*]y|d[a*]ng [u*]y|(?:c[a*]c )?t[o*] d[a*]n ph[o*]|(?:c[a*]c )?th[o*]n|"
    r"(?:c[a*]c )?khu ph[o*]|nh[a*] d[a*]u t[u*]|ch[u*] d[a*]u t[u*]|t[a*]p do[a*]n|t[o*]ng c[o*]ng ty|"
    r"doanh nghi[e*]p|d[o*]n v[i*] t[u*] v[a*]n|"
    # a ministry ("Bộ Tài chính", "Bộ Xây dựng"): kept as written, never the province's Sở
    r"b[o*](?= (?:t[a*]i|x[a*]y|c[o*]ng|n[o*]i|ng[o*][a*]i|gi[a*]o|y|t[u*]|k[e*]|n[o*]ng|qu[o*]c|v[a*]n|khoa|"
    r"l[a*]o|th[o*]ng|d[a*]n|ch[i*]nh|ph[o*]ng|giao)))(?![a-z0-9*])")
# an investor named by its project: "Nhà đầu tư của 02 dự án đường bộ cao tốc Tân Phú – Bảo Lộc và Bảo Lộc
# – Liên Khương", "Nhà đầu tư 02 dự án", "Chủ đầu tư Dự án cao tốc Tân Phú - Bảo Lộc"
_ROLE_PARTY = re.compile(r"(?:nh[a*]|ch[u*]) d[a*]u t[u*](?![a-z0-9*])")
_ROLE_PROJECT = re.compile(r"\s+(?:c[u*]a\s+)?(?:c[a*]c\s+)?(?:\d{1,3}\s+)?(?:d[u*] [a*]n|tuy[e*]n)(?![a-z0-9*])")
_ROLE_WORDS = re.compile(r"\s+(?:d[u*][o*]ng b[o*]|cao t[o*]c|d[u*][o*]ng|tuy[e*]n|khu|c[u*]m|nh[a*] m[a*]y)(?![a-z0-9*])")
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
                 r"thanh pho|so|ban|bo)\s*:\s*", bounded=False)
# what starts another party after a named list (not a place: "Hội Phú" is a ward)
_OTHER_PARTY = re.compile(r"(?:ubnd|[uo*]y ban|s[o*] |trung t[a*]m|c[o*]ng an|ban qu[a*]n l[y*]|b[o*] ch[i*] huy|"
                          r"v[a*]n ph[o*]ng|nh[a*] d[a*]u t[u*]|c[o*]ng ty)(?![a-z0-9*])")
_UNIT_WORD = {"xa": "xã", "phuong": "phường", "huyen": "huyện", "thi xa": "thị xã", "thi tran": "thị trấn",
              "tinh": "tỉnh", "thanh pho": "thành phố", "so": "Sở", "ban": "Ban", "bo": "Bộ"}
# a group followed by "liên quan" is only the related ones: "các sở, ngành và UBND các xã liên quan"
_THEN_RELATED = kw(r"\s*(?:co )?lien quan", bounded=False)
# words that narrow a group to some of its members ("UBND các xã vùng đồng bào dân tộc thiểu số",
# "UBND các xã, phường có dự án"): such an addressee is not the whole group
_SUBSET = re.compile(r"\s*(?:vung|co(?! trach nhiem| lien quan| y kien)|thuoc|ven|bien gioi|mien nui|noi|khu vuc|"
                     r"dac biet|trong (?:vung|dien|khu|danh sach|pham vi)|nam (?:trong|tren|o|doc)|"
                     r"duoc (?:chon|lua chon|phe duyet)|chua|dat chuan|xay ra|bi|thi diem|ngheo|kho khan|ngoai|giap|"
                     r"tiep giap|doc|thuoc dien|la dia ban)(?![a-z0-9*])")  # exact words: "bi" is not "bao"
# Labels of collective addressees; "related agencies" stays lower-case, as it is written in a sentence.
_GROUP_LABELS = {**DEFAULT_GROUP_LABELS, "lien-quan": "các cơ quan, đơn vị liên quan"}


def _item_fields(ref, text, heading, leads, coords, chosen, rec, warnings) -> dict:
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

# verbs and function words that end a name when the directory cannot tell where it stops
_STOP_WORDS = lex.rx(lex.STOP_VERBS)
_BARE_HEAD = re.compile(r"(?:ban|trung t[a*]m|h[o*]i d[o*]ng|chi c[u*]c|t[o*]ng c[u*]c|c[u*]c|vi[e*]n|ph[o*]ng|qu[y*]|"
                        r"h[o*]i|d[a*]i|b[a*]o|tr[u*][o*]ng|s[o*]|c[o*]ng ty|chi nh[a*]nh)")
# a unit's name often ends with its level: "... thông minh tỉnh", "... xây dựng huyện"
_UNIT_SUFFIX = re.compile(r"(?<![a-z0-9*])(?:t[i*]nh|huy[e*]n|th[i*] x[a*]|th[a*]nh ph[o*]|(?<!li[e*]n )qu[a*]n)(?![a-z0-9*])"
                          r"(?! (?:[u*]y|h[o*]i|d[o*]i|d[o*]n|l[o*]))")
_COMMA_VA = re.compile(r",\s*|(?<![a-z])va\s+(?![a-z])|(?<![a-z])va\s+")
# units named after what they do ("Ban Chỉ đạo", "Trung tâm Giám sát", "Hội đồng Thẩm định")
_FUNCTION_HEAD = re.compile(r"(?:ban|trung t[a*]m|h[o*]i d[o*]ng|chi c[u*]c|t[o*]ng c[u*]c|c[u*]c|vi[e*]n|ph[o*]ng|"
                            r"t[o*] c[o*]ng t[a*]c|qu[y*])(?![a-z0-9*])")
# more verbs, to end a qualifier after a group ("UBND các xã có dự án tháo gỡ vướng mắc ...")
_QUAL_VERBS = lex.rx(lex.QUALIFIER_VERBS)
# a sub-item that starts with one of these is a task, not an entry of a plain list
_TASK_VERB = re.compile("|".join(p.pattern for p in (_STOP_WORDS, _QUAL_VERBS, lex.rx(lex.TASK_VERBS))))
_STOP_EXACT = re.compile(r"(?<![a-z0-9*])(?:de|nham|can(?! tho)|theo|ve viec|sau khi|truoc|trong|la|duoc|phai|se|"
                         r"dang|gui|(?<!cong )(?<!chuong )(?<!quy )(?<!lo )(?<!to )(?<!tien )trinh|lam)"
                         r"(?![a-z0-9*])")


# ---------------------------------------------------------------- the reader


class _Reader:
    def __init__(self, text: str, directory: Any) -> None:
        self.directory = directory
        self.text = clean_text(text if isinstance(text, str) else "")
        self.ctx = Context(directory, self.text)
        self.warnings: list[str] = self.ctx.warnings
        self.notice: dict[str, Any] = {"number": None, "issued_on": None, "issuer": None, "kind": None,
                                       "title": None, "meeting_on": None}
        self.issued: dt.date | None = None
        self._resolve_cache: dict[str, Any] = {}
        self._lowercase: bool | None = None
        self._tables_ref: list[dict] = []

    # ------------------------------------------------------------ names

    def _safe_resolve(self, text: str):
        return self.ctx.resolve(text)

    def _group_at(self, f: Folded, pos: int) -> tuple[int, str] | None:
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

    def _named_list(self, f: Folded, pos: int, end: int, warnings: list[str]) -> tuple[list[dict], int] | None:
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
            stop = self._hard_stop(f, k, end)
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
                whole_end = self._hard_stop(f, k, end)
                for pat in (re.compile(r","), _STOP_WORDS, _STOP_EXACT):
                    mm = pat.search(s, k + 1, whole_end)
                    if mm:
                        whole_end = mm.start()
                whole = " ".join(f.span(k, whole_end).split()).strip(" ,;:-–")
                if whole_end > seg_end and whole:
                    r = self._safe_resolve(f"Sở {whole}")
                    if r is not None and getattr(r, "sure", False) and getattr(r, "agency", None) is not None \
                            and not getattr(r, "rest", ""):
                        seg_end = whole_end
            name = " ".join(f.span(k, seg_end).split()).strip(" ,;:-–")
            if not name:
                break
            written = f"{head} {name}"
            r = self._safe_resolve(written)
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
                    or self._group_at(f, nxt):
                break  # "... Đinh Văn Lâm Hà và đơn vị tư vấn", "... Tài chính và UBND các xã": another party
            k = nxt
        return (out, k) if out else None

    def _role_party_end(self, f: Folded, pos: int, end: int) -> int | None:
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

    def _group_agency(self, as_written: str, gid: str) -> dict:
        if gid == "as-written":
            return {"name": as_written, "agency_id": None, "group": None, "as_written": as_written}
        group = gid
        resolve_group = getattr(self.directory, "resolve_group", None)
        if resolve_group is not None:
            try:
                other = resolve_group(as_written)
            except Exception:  # noqa: BLE001
                other = None
            if other and not (gid == "lien-quan") and other != "lien-quan":
                group = other
        label = _GROUP_LABELS.get(group)
        if group != "lien-quan":
            label_of = getattr(self.directory, "group_label", None)
            if label_of is not None:
                try:
                    label = label_of(group) or label
                except Exception:  # noqa: BLE001
                    pass
        return {"name": label or group, "agency_id": None, "group": group, "as_written": as_written}

    def _names(self, f: Folded, pos: int, end: int, warnings: list[str], *, require_first: bool = False
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
            nl = self._named_list(f, pos, end, warnings)
            if nl is not None:
                out.extend(nl[0])
                pos = nl[1]
                continue
            rp = self._role_party_end(f, pos, end)
            if rp is not None:
                written = " ".join(f.span(pos, rp).split()).strip(" ,;:-–")
                if written:
                    out.append({"name": written, "agency_id": None, "group": None, "as_written": written})
                    pos = rp
                    continue
            g = self._group_at(f, pos)
            if g and g[0] <= end:
                a, b = pos, g[0]
                q = _SUBSET.match(s, b, end) if g[1] != "lien-quan" else None
                if q and q.end() > b + 1:
                    # only some members of the group: kept as written, never the whole group
                    b = self._qualifier_end(s, q.end(), end)
                    whole = " ".join(f.span(a, b).split()).strip(" ,")
                    label = self._group_agency(whole, g[1])["name"]
                    warnings.append(_w("extra.subset", name=whole, group=label))
                    out.append({"name": whole, "agency_id": None, "group": None, "as_written": whole})
                    pos = b
                    continue
                out.append(self._group_agency(" ".join(f.span(a, b).split()), g[1]))
                pos = b
                continue
            stop = self._hard_stop(f, pos, end)
            window = s[pos:stop]
            words = list(re.finditer(r"\S+", window))
            if len(words) > 24:
                stop = pos + words[23].end()
            written = " ".join(f.span(pos, stop).split())
            if not written:
                break
            m = self._safe_resolve(written)
            agency = getattr(m, "agency", None) if m is not None else None
            if m is not None and getattr(m, "sure", False) and (agency is not None or getattr(m, "group", None)):
                rest = getattr(m, "rest", "") or ""
                used = written[: len(written) - len(rest)] if rest and written.endswith(rest) else written
                if rest and not written.endswith(rest):
                    k = written.rfind(rest)
                    used = written[:k] if k > 0 else written
                used = used.rstrip(" ,;:-–")
                # folded length of the used part
                nxt = self._advance(f, pos, stop, used)
                if agency is not None:
                    unit = re.match(r"\s*(?:thuoc |cua )?(tinh|thanh pho)(?![a-z0-9*])", s[nxt:stop])
                    if unit and fold_str(agency.name).endswith(unit.group(1)):
                        nxt += unit.end()
                        used = " ".join(f.span(pos, nxt).split())
                if agency is not None:
                    out.append({"name": agency.name, "agency_id": agency.id, "group": None, "as_written": used})
                    note = getattr(m, "note", None)
                    if note:
                        warnings.append(_w("note", name=used, note=note))
                else:
                    out.append(self._group_agency(used, m.group))
                pos = nxt
                continue
            # not resolvable: cut at the next comma, "và" or verb, keep it if it looks like an agency
            piece_end = self._unknown_name_end(f, pos, stop)
            piece = " ".join(f.span(pos, piece_end).split()).strip(" ,;:-–")
            if piece and piece != written:
                m_piece = self._safe_resolve(piece)
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
            if piece and head and not bare and len(piece.split()) <= 22 and self._name_cased(f, pos):
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

    @staticmethod
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

    def _name_cased(self, f: Folded, pos: int) -> bool:
        """An unknown name starts with a capital ("Phòng Tài chính"), not "phòng, chống dịch"; a notice
        written all in lower case, and "các ..." (the "các thôn, tổ dân phố"), are let through."""
        ch = f.original[f.start(pos)] if pos < len(f.text) else ""
        if not ch.isalpha() or ch.isupper() or f.text.startswith("cac", pos) or _LOWER_PARTY.match(f.text, pos):
            return True
        if self._lowercase is None:
            letters = [c for c in self.text if c.isalpha()]
            self._lowercase = sum(c.isupper() for c in letters) < 0.002 * max(1, len(letters))
        return self._lowercase

    @staticmethod
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
        nm = re.match(r"(?P<mid>[^,;:.()\n]{0,60}?)(?<![a-z0-9*])s[o*] (?P<n>\d{1,3})(?![\d/.,]\d|[\d/])", s[piece_end:stop])
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

    @staticmethod
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

    @staticmethod
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

    # ------------------------------------------------------------ assignees

    def _addressee(self, f: Folded, warnings: list[str], *, bare: bool) -> list[dict]:
        """The party an item or heading is addressed to: "UBND xã Bảo Lâm 2: Rà soát ...", "Đối với Nhà
        đầu tư Dự án X: Khẩn trương ...", "Nhà đầu tư của 02 dự án ...:" and, for a heading (``bare``), a
        name alone ("a) Trung tâm Phát triển quỹ đất tỉnh" above its dashes). The whole name before the
        colon is the party: resolved when the directory knows it, else kept as written."""
        s = f.text
        p = len(s) - len(s.lstrip())
        dv = _FOR.match(s, p)
        if dv:
            p = dv.end()
        if not (_AGENCYISH.match(s, p) or _ROLE_PARTY.match(s, p)):
            return []
        stops = [k for k in (s.find(c, p) for c in ".;\n") if k != -1]
        colon = s.find(":", p)
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
        names, e = self._names(f, p, seg_end, tmp, require_first=True)
        if names:
            if s[e:seg_end].strip(" ,"):
                return []  # "Sở Y tế tổ chức thực hiện:": a clause, its subject is read as such
            warnings.extend(tmp)
            return names
        if _STOP_WORDS.search(seg) or _QUAL_VERBS.search(seg):
            return []
        written = " ".join(f.span(p, seg_end).split()).strip(" ,-–")
        m = self._safe_resolve(written)
        ag = getattr(m, "agency", None) if m is not None else None
        if ag is not None and getattr(m, "sure", False) and not getattr(m, "rest", ""):
            return [{"name": ag.name, "agency_id": ag.id, "group": None, "as_written": written}]
        warnings.append(_w("unresolved", name=written))
        return [{"name": written, "agency_id": None, "group": None, "as_written": written}]

    @staticmethod
    def _merge_all(agencies: list[dict]) -> list[dict]:
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

    def _assignees(self, text: str, warnings: list[str], *, heading: bool = False
                   ) -> tuple[list[dict], list[dict], bool]:
        """(leads, coordinators, chu_tri_without_subject) written in one item's own text."""
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
            names, end = self._names(f, m.end(), n, warnings, require_first=True)
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
            names, _ = self._names(f, p, m.start(), warnings, require_first=True)
            if names and not leads:
                leads = names
            if leads:
                break
        # 3. the party the item is addressed to ("UBND xã X: ...", "Đối với Nhà đầu tư ...: ...")
        if not leads:
            leads = self._addressee(f, warnings, bare=heading)
        if not leads and heading:
            dm = _DUTY_OF.match(s, len(s) - len(s.lstrip()))
            if dm:
                leads, _ = self._names(f, dm.end(), n, warnings, require_first=True)
        # 4. the subject of the first clause
        if not leads:
            p = len(s) - len(s.lstrip())
            tm = _TOPIC.match(s, p)
            if tm:
                p = tm.end()
            lw = _LEAD_WORDS.match(s, p)
            if lw:
                p = lw.end()
            names, _ = self._names(f, p, n, warnings, require_first=True)
            if names:
                leads = names
        # 4. coordinators: "phối hợp với Y, Z", or "...; Y, Z phối hợp"
        for m in _PHOI_HOP.finditer(s):
            if _PHU_HOP.match(s, m.start()):
                continue  # "phù hợp với quy định" read through OCR noise as "phối hợp với"
            names, _ = self._names(f, m.end(), n, warnings, require_first=True)
            if not names:
                # "phối hợp Công an tỉnh": OCR-tolerant "cùng" must not eat "Công"
                bare = re.match(r"\S+ \S+(?: ch\S* ch\S*)?", s[m.start():m.end()])
                if bare and m.start() + bare.end() < m.end():
                    names, _ = self._names(f, m.start() + bare.end(), n, warnings, require_first=True)
            if not names:
                clause_start = max(s.rfind(c, 0, m.start()) for c in ".;:\n(") + 1
                p = clause_start + len(s[clause_start:m.start()]) - len(s[clause_start:m.start()].lstrip())
                if p < m.start() and not any(a <= p < b for a, b in lead_spans):
                    tmp: list[str] = []
                    before, end_b = self._names(f, p, m.start(), tmp, require_first=True)
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
                if not any(_same(a, b) for b in coords + leads):
                    coords.append(a)
        unique: list[dict] = []
        for a in self._merge_all(leads):
            if not any(_same(a, b) for b in unique):
                unique.append(a)
        leads = unique
        coords = self._merge_all(coords)
        if len(leads) > 1:
            warnings.append(_w("several_leads", names=", ".join(a["name"] for a in leads), lead=leads[0]["name"]))
            extra = [a for a in leads[1:] if not any(_same(a, b) for b in coords)]
            coords = extra + coords
            leads = leads[:1]
        coords = [a for a in coords if not any(_same(a, b) for b in leads)]
        return leads, coords, orphan_chu_tri

    def _audience(self, preamble: str) -> list[dict]:
        f = fold(preamble)
        found: list[dict] = []
        for m in _AUDIENCE.finditer(f.text):
            names, _ = self._names(f, m.end(), len(f.text), [], require_first=True)
            if names:
                found = names[:1]
        return found

    # ------------------------------------------------------------ main

    def read(self) -> dict:
        lines = page_lines(self.text)
        kind_at = find_kind(lines)
        header = read_header(lines, kind_at, self.ctx)
        self.notice.update(header.fields())
        self.issued = header.issued
        start = header.body_start
        lines, tables = find_tables(lines, start)
        body = body_lines(lines, start)
        if self.notice["number"] is None:
            self.warnings.append(_w("no_number"))
        if self.issued is None:
            self.warnings.append(_w("no_date"))
        body, recipients = self._recipients(body)
        has_numbers = any(_NUM_RE.match(ln) for ln in body)
        parser = _Parser(body, allow_top_dashes=not has_numbers, paragraphs=not has_numbers and not any(
            _LETTER_RE.match(ln) or _ROMAN_RE.match(ln) for ln in body))
        root = parser.run()
        preamble = " ".join(" ".join(parser.preamble).split())
        if preamble:
            dates = dl.find_dates(preamble[:120])
            if dates and dates[0][2] is not None and dates[0][0] < 25:
                self.notice["meeting_on"] = dates[0][2].isoformat()
        audience = self._audience(preamble) if preamble else []
        self._refs(root, parser.restarts)
        items: list[dict] = []
        skipped: list[dict] = []
        # tables: inside an item (its rows are its sub-items), in the preamble, or in an annex
        placed: set[int] = set()
        self._tables_ref = tables
        self._place_tables(root, tables, placed)
        top_tables = [k for k in range(len(tables)) if k not in placed]
        in_preamble = [k for k in top_tables if any(_TABLE_MARK.fullmatch(ln.strip()) and
                                                    int(_TABLE_MARK.fullmatch(ln.strip()).group(1)) == k
                                                    for ln in parser.preamble)]
        for k in in_preamble:
            items.extend(self._table_items(tables[k], "", None, audience, skipped))
        self._walk(root, items, skipped, audience, inherited=None, skip_reason=None)
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
                pointer = {"lead": pointer["lead"], "coordinate": pointer["coordinate"],
                           "heading": pointer["text"], "warnings": [],
                           "deadlines": dl.find_deadlines(pointer["text"], issued_on=self.issued),
                           "recurring": dl.find_recurring(pointer["text"])}
        for n, k in enumerate(annex):
            rows = self._table_items(tables[k], "", pointer, audience, skipped)
            taken = {i["ref"] for i in items}
            if any(r["ref"] in taken for r in rows):
                prefix = "PL." if len(annex) == 1 else f"PL{n + 1}."
                for r in rows:
                    r["ref"] = prefix + r["ref"]
            items.extend(rows)
        if not items:
            self.warnings.append(_w("no_items"))
        skipped[:0] = [{"ref": "", "text": r, "reason": "recipients"} for r in recipients]
        return {"notice": dict(self.notice), "items": items, "skipped": skipped, "warnings": self.warnings}

    @staticmethod
    def _recipients(body: list[str]) -> tuple[list[str], list[str]]:
        """Cut a letter's addressees out of the body: "Kính gửi: - Sở A; - Sở B." (on one line or one a
        line) are recipients, not tasks."""
        out: list[str] = []
        recipients: list[str] = []
        i = 0
        while i < len(body):
            head = body[i].lstrip()[:1]
            m = _TO.match(fold_str(body[i])) if head in ("K", "k") else None  # folding every line costs
            if not m:
                out.append(body[i])
                i += 1
                continue
            rest = body[i].strip()[len(body[i].strip()) - len(fold_str(body[i]).strip()[m.end():].strip()):].strip()
            if rest:
                recipients.extend(x.strip(" -–;.") for x in re.split(r";\s*|\s+-\s+", rest) if x.strip(" -–;."))
            i += 1
            while i < len(body):
                ln = body[i].strip()
                if not ln:
                    i += 1
                    continue
                if _DASH_RE.match(ln) and len(ln) <= 120 or (ln.endswith((";", ".")) and len(ln) <= 80
                                                            and not recipients[-1:] == [] and not rest):
                    recipients.append(ln.lstrip("-–—•+* ").rstrip(" ;."))
                    i += 1
                    continue
                break
            out.append("")
        return out, recipients

    # ------------------------------------------------------------ tables of tasks

    def _place_tables(self, node: _Node, tables: list[dict], placed: set[int]) -> None:
        """Move table markers out of the nodes' text: ``node.tables`` lists the tables it heads."""
        for c in node.children:
            keep = []
            for ln in c.lines:
                m = _TABLE_MARK.fullmatch(ln.strip())
                if m and int(m.group(1)) < len(tables):
                    c.tables.append(int(m.group(1)))
                    placed.add(int(m.group(1)))
                else:
                    keep.append(ln)
            c.lines = keep
            self._place_tables(c, tables, placed)

    def _cell_names(self, cell: str, warnings: list[str]) -> list[dict]:
        cell = " ".join(cell.split()).strip(" .;")
        if not cell or cell in ("-", "x", "X"):
            return []
        f = fold(cell)
        out: list[dict] = []
        pos = 0
        while pos < len(f.text):
            names, end = self._names(f, pos, len(f.text), warnings, require_first=False)
            for a in names:
                if not any(_same(a, b) for b in out):
                    out.append(a)
            nxt = re.search(r"[;,(\n]|\s-\s|\s(?:va|voi)\s", f.text[end:])
            if not nxt or end >= len(f.text):
                break
            pos = end + nxt.end()
        return out

    def _cell_deadline(self, cell: str) -> tuple[list[dl.Deadline], list[dl.Recurring]]:
        """A deadline column holds a bare period ("Quý III/2024", "30/6/2024", "Tháng 9"): the cue is the
        column's name."""
        cell = " ".join(cell.split())
        if not cell:
            return [], []
        found = dl.find_deadlines(cell, issued_on=self.issued)
        if not found:
            cue = "trong "
            found = dl.find_deadlines(cue + cell, issued_on=self.issued)
            for d in found:  # the cue was ours: not part of what is written
                if d.text.startswith(cue):
                    d.text = d.text[len(cue):]
                if d.as_written.startswith(cue):
                    d.as_written = d.as_written[len(cue):]
        return found, dl.find_recurring(cell)

    def _table_items(self, table: dict, prefix: str, inherited: dict | None, audience: list[dict],
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
            items.append(self._table_item(e["row"], get, ref, parent_row, e["section"], inherited, audience,
                                          skipped))
        return [i for i in items if i is not None]

    def _table_item(self, row: list[str], get, ref: str, parent_row: list[str] | None, section: dict | None,
                    inherited: dict | None, audience: list[dict], skipped: list[dict]) -> dict | None:
        warnings: list[str] = []
        content = " ".join(get(row, "content").split())
        if not content:
            rest = " ".join(x for x in row if x.strip() and x.strip() != get(row, "ref"))
            if not rest:
                return None
            warnings.append(_w("extra.table_no_content", ref=ref))
            content = rest
        nt = _NOT_TASK.match(fold_str(content))
        if nt and not get(row, "lead") and not self._assigns_after(fold_str(content), nt.end()):
            skipped.append({"ref": ref, "text": content, "reason": "not_task"})
            self.warnings.append(_w("not_task", ref=ref, start=" ".join(content.split()[:4])))
            return None
        leads = self._cell_names(get(row, "lead"), warnings)
        coords = self._cell_names(get(row, "coordinate"), warnings)
        if not leads and parent_row is not None:
            leads = self._cell_names(get(parent_row, "lead"), [])
            if not coords:
                coords = self._cell_names(get(parent_row, "coordinate"), [])
        if not leads:
            own_leads, own_coords, _ = self._assignees(content, warnings)
            leads = own_leads
            coords = coords or own_coords
        elif not coords:
            coords = self._assignees(content, [])[1]
        if not leads and inherited and inherited.get("lead"):
            leads = [dict(a) for a in inherited["lead"]]
            if not coords:
                coords = [dict(a) for a in inherited.get("coordinate", [])]
        if not leads and audience:
            leads = [dict(a) for a in audience]
        if len(leads) > 1:
            warnings.append(_w("several_leads", names=", ".join(a["name"] for a in leads), lead=leads[0]["name"]))
            coords = [a for a in leads[1:] if not any(_same(a, b) for b in coords)] + coords
            leads = leads[:1]
        if not leads:
            warnings.append(_w("no_lead"))
        coords = [a for a in coords if not any(_same(a, b) for b in leads)]
        found, rec = self._cell_deadline(get(row, "deadline"))
        if not found and not rec and parent_row is not None:
            found, rec = self._cell_deadline(get(parent_row, "deadline"))
        if not found and not rec:
            found = dl.find_deadlines(content, issued_on=self.issued)
            rec = dl.find_recurring(content)
        if not found and not rec and inherited:
            found = inherited.get("deadlines") or []
            rec = inherited.get("recurring") or []
        chosen = dl.pick_deadline(found)
        self._deadline_warnings(found, chosen, warnings)
        item = {
            **_item_fields(ref, content, (section or {}).get("heading") or (inherited or {}).get("heading"),
                           leads, coords, chosen, rec, warnings),
        }
        product = " ".join(get(row, "product").split())
        if product:
            item["product"] = product
        return item

    def _refs(self, root: _Node, restarts: bool) -> None:
        top_dash = 0
        top_letter = 0
        for node in root.children:
            if node.kind == "roman":
                node.ref = node.label
                self._child_refs(node, restarts)
            elif node.kind == "num":
                node.ref = node.label
                self._child_refs(node, restarts)
            elif node.kind == "dash" or (node.kind == "para" and self._para_is_task(node)):
                top_dash += 1
                node.ref = str(top_dash)
                self._child_refs(node, restarts)
            elif node.kind == "letter":
                top_letter += 1
                node.ref = node.label
                self._child_refs(node, restarts)

    def _child_refs(self, node: _Node, restarts: bool) -> None:
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
            elif c.kind == "para" and self._para_is_task(c):
                # a paragraph assigning a task of its own after the sub-items: the next sub-item
                letters = [x.label for x in node.children[:node.children.index(c)] if x.kind == "letter"]
                if letters and letters[-1] in _LETTERS[:-1] and not k:
                    label = _LETTERS[_LETTERS.index(letters[-1]) + 1]
                    c.ref = f"{node.ref}.{label}" if node.kind != "roman" or restarts else f"{node.ref}.{label}"
                else:
                    k += 1
                    c.ref = f"{node.ref}.{k}"
            self._child_refs(c, restarts)

    def _para_is_task(self, node: _Node) -> bool:
        """A paragraph after sub-items is a task when it names who does it ("Giao Văn phòng UBND tỉnh
        theo dõi, đôn đốc ..."); one that only sets a time ("Các nhiệm vụ trên hoàn thành trước ngày
        30/9/2024.") gives it to the items above; anything else is narrative."""
        if node.para_task is None:
            text = node.atext
            leads = self._assignees(text, [])[0] if text else []
            closing = _EXHORTATION.search(fold_str(text)) and len(text.split()) <= 25 and \
                not dl.find_deadlines(text, issued_on=self.issued)
            node.para_task = bool(leads) and not _NOT_TASK.match(fold_str(text)) and not closing
        return node.para_task

    def _walk(self, node: _Node, items: list[dict], skipped: list[dict], audience: list[dict],
              inherited: dict | None, skip_reason: str | None) -> None:
        first_item = len(items)
        above: list[dict] | None = None  # the lead of the lettered/dash item above
        for c in node.children:
            reason = skip_reason
            if c.kind == "para" and not self._para_is_task(c):
                self._para_note(c, items[first_item:], skipped)
                continue
            if c.children and self._plain_list(c):
                # "Sở Y tế triển khai các nội dung: - tiêm chủng; - an toàn thực phẩm.": one task
                c = _Node(c.kind, c.label, [c.text] + ["- " + d.text for d in c.children], parent=c.parent,
                          ref=c.ref, value=c.value, gap_from=c.gap_from, misread=c.misread)
            if c.kind == "roman" and c.children:
                heading = fold_str(c.lines[0] if c.lines else "")
                if _ASSESSMENT.search(heading) and not _TASKISH.search(heading) and not _TASKISH_GIAO.search(heading):
                    reason = "assessment"
                    if self._assigns_below(c):
                        # a heading read as an assessment ("ĐÁNH GIÁ", "HẠN CHẾ" ...) over items that assign
                        # ("Giao Sở X ...", "... chủ trì"): perhaps a garbled title; the items stay tasks
                        reason = None
                        self.warnings.append(_w("real.heading_doubt", ref=c.ref,
                                                heading=" ".join((c.lines[0] if c.lines else "").split()[:8])))
            if c.gap_from is not None:
                self.warnings.append(_w("numbering_gap", previous=c.gap_from, ref=c.ref))
            own_text = c.text
            if c.tables and not reason:
                # "2. Giao các cơ quan thực hiện các nhiệm vụ sau:" and a table: the rows are its tasks
                ctx = self._context(c, inherited)
                for k in c.tables:
                    items.extend(self._table_items(self._tables_ref[k], c.ref, ctx, audience, skipped))
                if c.children:
                    self._walk(c, items, skipped, audience, ctx, reason)
                continue
            if c.children:
                ctx = self._context(c, inherited)
                self._walk(c, items, skipped, audience, ctx, reason)
                continue
            if c.kind == "roman" and (not own_text or (len(own_text.split()) <= 12 and _mostly_upper(own_text))):
                continue  # an empty section heading
            if c.kind == "roman" and not reason and self._narrative_section(c):
                reason = "assessment"  # "I. ĐÁNH GIÁ CHUNG" followed by a paragraph of results
            if reason:
                skipped.append({"ref": c.ref, "text": own_text, "reason": reason})
                continue
            if not own_text:
                continue
            first = fold_str(own_text)
            if _ASSESSMENT.match(first) and not self._assigns_after(first, 0) and \
                    not dl.find_deadlines(own_text, issued_on=self.issued) and not dl.find_recurring(own_text):
                # "Tình hình kinh tế - xã hội tháng 5 tiếp tục chuyển biến tích cực.": an assessment
                skipped.append({"ref": c.ref, "text": own_text, "reason": "assessment"})
                continue
            nt = _NOT_TASK.match(first)
            if nt and not self._assigns_after(first, nt.end()):
                skipped.append({"ref": c.ref, "text": own_text, "reason": "not_task"})
                self.warnings.append(_w("not_task", ref=c.ref, start=" ".join(own_text.split()[:4])))
                continue
            items.append(self._item(c, own_text, inherited, audience, above))
            if c.kind in ("letter", "dash"):
                above = items[-1]["lead"] if items[-1]["lead"] and items[-1]["lead"] is not audience else None

    def _assigns_below(self, node: _Node) -> bool:
        """Whether items below a section assign work: "Giao X", "X chủ trì", "đề nghị X", "phối hợp với"."""
        for c in node.children:
            if c.kind == "para":
                continue
            f = fold_str(c.text)
            if _GIAO.search(f) or _ASSIGNS_STRONG.search(f) or self._assigns_below(c):
                return True
        return False

    def _para_note(self, para: _Node, siblings: list[dict], skipped: list[dict]) -> None:
        """A paragraph after sub-items that assigns nothing: its deadline or recurrence goes to the
        items above that have none; otherwise it is narrative."""
        text = para.text
        found = dl.find_deadlines(text, issued_on=self.issued)
        rec = dl.find_recurring(text)
        chosen = dl.pick_deadline(found)
        if chosen is None and not rec:
            skipped.append({"ref": "", "text": text, "reason": "narrative"})
            return
        for item in siblings:
            if item["deadline"] or item["deadline_text"] or item["recurring"]:
                continue
            if chosen is not None:
                item["deadline"] = chosen.date.isoformat() if chosen.date else None
                item["deadline_text"] = chosen.text
                item["deadline_as_written"] = chosen.as_written
            if rec:
                item["recurring"] = "; ".join(dict.fromkeys(r.text for r in rec))

    def _plain_list(self, node: _Node) -> bool:
        """Dashes under an item that only list things (no assignee, no deadline, no verb to start
        with: "- tiêm chủng mở rộng; - an toàn thực phẩm."): the item is one task, not one per dash."""
        dashes = [c for c in node.children if c.kind == "dash"]
        if not dashes or len(dashes) != len(node.children) or not node.text or node.kind == "top":
            return False
        for d in dashes:
            text = d.text
            f = fold_str(text)
            if d.children or len(text.split()) > 20:
                return False
            head = " ".join(f.split()[:4])
            if _TASK_VERB.search(head) or _GIAO.search(head):
                return False
            if dl.find_deadlines(text, issued_on=self.issued) or dl.find_recurring(text):
                return False
            if self._assignees(text, [])[0]:
                return False
        return True

    @staticmethod
    def _assigns_after(folded: str, pos: int) -> bool:
        """Whether an item that starts by approving ("Thống nhất nội dung báo cáo của Sở X") goes on to
        assign something: "giao", "chủ trì", "đề nghị", ... anywhere, or a verb such as "tổ chức
        thực hiện" in a later clause ("...; Sở X tổ chức thực hiện")."""
        if _GIAO.search(folded, pos) or _ASSIGNS_STRONG.search(folded, pos):
            return True
        clause = re.search(r"[;.:]\s*\S", folded[pos:])
        return bool(clause and _ASSIGNS.search(folded, pos + clause.start()))

    @staticmethod
    def _narrative_section(node: _Node) -> bool:
        """A Roman section with no items of its own whose heading announces an assessment
        ("ĐÁNH GIÁ CHUNG", "Kết quả đạt được", "Tình hình ..."), not tasks."""
        heading = node.lines[0] if node.lines else ""
        title = re.split(r"[:.]", heading, maxsplit=1)[0]
        if title != heading and len(title.split()) <= 8:
            heading = title  # "I. Đánh giá chung: Trong quý I ..."
        elif not heading or _ends_sentence(heading) and not _mostly_upper(heading):
            return False
        h = fold_str(heading)
        return bool(_ASSESSMENT.search(h)) and not _TASKISH.search(h) and not _TASKISH_GIAO.search(h)

    def _context(self, node: _Node, inherited: dict | None) -> dict:
        """What a header item passes to its sub-items: lead, coordinators, deadline, recurring."""
        warnings: list[str] = []
        text = node.atext
        leads, coords, _ = self._assignees(text, warnings, heading=True) if text else ([], [], False)
        found = dl.find_deadlines(text, issued_on=self.issued) if text else []
        rec = dl.find_recurring(text) if text else []
        ctx = dict(inherited or {})
        if leads:
            ctx["lead"], ctx["coordinate"], ctx["warnings"] = leads, coords, warnings
        # a time in a section's opening or in the goals ("phấn đấu đến hết ngày 30/6 ...", "trong năm
        # 2026 và các năm tiếp theo") is no deadline of the items below: only a heading that
        # introduces them with its time ("Giao Sở X, hoàn thành trước ngày 30/9/2024:") gives it
        found = [d for d in found if self._gives_time(node, text, d.start)]
        rec = [r for r in rec if self._gives_time(node, text, r.start)]
        ctx.pop("deadlines", None) if found else None
        if found:
            ctx["deadlines"] = found
        if rec:
            ctx["recurring"] = rec
        ctx["heading"] = node.text
        return ctx

    @staticmethod
    def _gives_time(node: _Node, text: str, at: int) -> bool:
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

    def _item(self, node: _Node, text: str, inherited: dict | None, audience: list[dict],
              above: list[dict] | None = None) -> dict:
        warnings: list[str] = []
        atext = node.atext if text == node.text else text
        leads, coords, _orphan = self._assignees(atext, warnings)
        if not leads and inherited and inherited.get("lead"):
            leads = [dict(a) for a in inherited["lead"]]
            if not coords:
                coords = [dict(a) for a in inherited.get("coordinate", [])]
            for w in inherited.get("warnings", []):
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
        coords = [a for a in coords if not any(_same(a, b) for b in leads)]
        f = fold(text)
        found = dl.find_deadlines(text, issued_on=self.issued, folded=f)
        rec = dl.find_recurring(text, folded=f)
        if rec and found and all(d.kind in ("year", "half", "quarter", "month") and d.text.startswith("trong")
                                 for d in found):
            # "Thường xuyên theo dõi, đôn đốc ... giải ngân trong năm 2026": an ongoing duty over a period
            found = []
        if not found and inherited and inherited.get("deadlines"):
            found = inherited["deadlines"]
        chosen = dl.pick_deadline(found)
        self._deadline_warnings(found, chosen, warnings)
        if not rec and inherited and inherited.get("recurring"):
            rec = inherited["recurring"]
        item = {
            **_item_fields(node.ref, text, (inherited or {}).get("heading"), leads, coords, chosen, rec, warnings),
        }
        return item

    def _deadline_warnings(self, found: list, chosen: Any, warnings: list[str]) -> None:
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


def _same(a: dict, b: dict) -> bool:
    if a.get("agency_id") and a.get("agency_id") == b.get("agency_id"):
        return True
    if a.get("group") and a.get("group") == b.get("group"):
        return True
    return not a.get("agency_id") and not a.get("group") and fold_str(a["name"]) == fold_str(b["name"])


def read_notice(text: str, directory: Any) -> dict:
    """Read a notice's text into its header and tasks (see the module docstring)."""
    return _Reader(text, directory).read()


def read_notice_file(data: bytes, filename: str, directory: Any) -> dict:
    """:func:`bot.notices.extract.extract_text` then :func:`read_notice`."""
    from bot.notices.extract import extract_text

    return read_notice(extract_text(data, filename), directory)
