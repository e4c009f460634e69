"""The agency directory: who the province's agencies are, and lookup by any written form.

The office edits a TOML file (see ``agencies.example.toml`` for the format). dondoc also
ships the standard names of provincial departments nationwide, before and after the 2025
reorganisation (``bot/data/national_agencies.toml``), so common names resolve in any
province; the province file adds its own agencies and overrides national entries with the
same id or the same name.

Lookup (:meth:`Directory.resolve`) accepts any written form: canonical name, short forms
and abbreviations ("Sở KH&ĐT", "SKHĐT", "VP UBND tỉnh"), no diacritics, decomposed
Unicode, and OCR noise ("S¢ No6i vu", "S& Ké hoach va Pau tu"). It says when it is unsure
(``Match.sure``) instead of guessing. :meth:`Directory.resolve_group` recognises collective
addressees ("các sở, ban, ngành, địa phương" → ``"all"``).

Resolution steps: (1) exact match of the normalised text (diacritics stripped, lowercase,
"&"/"và"/"-" unified, "UBND"/"VP"/"TP"/"TX"/"TW" expanded, leading words such as "Giao",
"phối hợp với" skipped, "tỉnh <our province>" dropped) against every written form, the
compact form ("sokhdt") and initials generated from names; (2) the same after OCR folding
(6→o, ¢/&→ơ, P→Đ, w→ư, 1→l/i ...; short forms of one or two words are not folded, so
"của tỉnh" never becomes "CA tỉnh"); (2b) a locality under another district-level unit
("huyện Hoài Nhơn" is now the thị xã); (3) a collective group (:meth:`resolve_group`);
(4) exact match of a leading part, the words after it in ``Match.rest``; (5) fuzzy scoring
(rapidfuzz ratio on OCR-folded text, forms of 3+ real words only). A fuzzy guess is sure
only when it scores high and no other agency is close, unless the words that tell the two
apart match the guess ("An Nhơn" / "Hoài Nhơn"); below 92 its words must also agree in
their consonants (OCR garbles vowels, rarely consonants: "chu tai chinh" is not "Sở Tài
chính"), and a commune's or district's body is never the province's ("Hội Nông dân xã").
A name read across "," or ";" is unsure unless the name itself has a break there.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any, Iterable

from rapidfuzz import fuzz, process

from bot.models import Agency, AgencyKind
from bot.notices.reading import lexicon as _lexicon

NATIONAL_FILE = Path(__file__).parent / "data" / "national_agencies.toml"

#: Group ids with a fixed meaning (DESIGN.md). Provinces may define more in ``[groups]``.
STANDARD_GROUPS = ("all", "so-ban-nganh", "dia-phuong", "huyen", "xa", "trung-uong", "lien-quan")
DEFAULT_GROUP_LABELS = {
    "all": "Các sở, ban, ngành, địa phương",
    "so-ban-nganh": "Các sở, ban, ngành",
    "dia-phuong": "Các địa phương",
    "huyen": "UBND các huyện, thị xã, thành phố",
    "xa": "UBND các xã, phường, thị trấn",
    "trung-uong": "Các cơ quan Trung ương trên địa bàn tỉnh",
    "lien-quan": "Các cơ quan, đơn vị liên quan",
}

#: Scores (0..100) of the fuzzy step.
SURE_SCORE = 86.0  # at or above: sure, if no other agency is close
MARGIN = 7.0  # the best agency must beat the next one by this much to be sure
PLAUSIBLE_ABOVE = 92.0  # below: the words of the best guess must agree in their consonants
ALONE_SCORE = 80.0  # enough when no other agency is a candidate, or the telling words match
CANDIDATE_SCORE = 62.0  # below: not even a candidate
MAX_CANDIDATES = 5

_AGENCY_KEYS = {"id", "name", "kind", "short", "groups", "replaces", "formerly"}
_TOP_KEYS = {"agency", "groups", "province"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_KINDS = ", ".join(k.value for k in AgencyKind)


#: Head words of different levels that a spelling distance must never bridge: a ministry ("Bộ Tài
#: chính") is never the province's department ("Sở Tài chính"), nor the other way round.
_LEVEL_HEADS = {"bo": "so", "so": "bo"}


def _head_clash(first: str, key_first: list[str]) -> bool:
    return bool(key_first) and _LEVEL_HEADS.get(first) == key_first[0]


class DirectoryError(Exception):
    """A problem in a directory file; the message is one line naming the file and key."""


@dataclasses.dataclass
class Match:
    """What :meth:`Directory.resolve` found for a written name."""

    as_written: str
    agency: Agency | None  # the agency when sure, else None
    score: float  # 0..100
    sure: bool  # False → unsure: show ``candidates`` to a human
    candidates: list[Agency] = dataclasses.field(default_factory=list)  # best few, best first
    note: str | None = None  # plain text, e.g. "đã hợp nhất vào Sở Tài chính"
    group: str | None = None  # a collective addressee ("all", "huyen", ...) instead of one agency
    rest: str = ""  # text after the name that was not part of it ("chủ trì, ...")
    listed: bool = True  # False: the agency is a national name the province file does not list

    @property
    def agency_id(self) -> str | None:
        return self.agency.id if self.agency else None


# ---------------------------------------------------------------------------- normalising

# Whole-token expansions of common abbreviations (applied after stripping diacritics).
_EXPAND = {
    "ubnd": "uy ban nhan dan",
    "ub": "uy ban",
    "hdnd": "hoi dong nhan dan",
    "vp": "van phong",
    "tp": "thanh pho",
    "tx": "thi xa",
    "tw": "trung uong",
    "mttq": "mat tran to quoc",
    "ubmttq": "uy ban mat tran to quoc",
    "ubmttqvn": "uy ban mat tran to quoc viet nam",
    "vpubnd": "van phong uy ban nhan dan",
    "vpub": "van phong uy ban",
    "vn": "viet nam",
    "bql": "ban quan ly",
    "kkt": "khu kinh te",
    "kcn": "khu cong nghiep",
    "dh": "dai hoc",
    "dbqh": "dai bieu quoc hoi",
    "nd": "nhan dan",
}
_EXPAND_SPLIT = {k: tuple(v.split()) for k, v in _EXPAND.items()}

# Characters OCR produces for Vietnamese letters it cannot read.
_OCR_CHARS = str.maketrans(
    {
        "¢": "o", "©": "o", "°": "o", "º": "o", "€": "e", "£": "e", "¥": "y", "$": "s", "§": "s",
        "|": "l", "¡": "i", "ß": "b", "ø": "o", "Ø": "o", "æ": "a", "œ": "o", "ı": "i", "ł": "l",
        "Ł": "l", "µ": "u", "@": "a",
    }
)
_OCR_DIGITS = str.maketrans({"0": "o", "1": "l", "3": "a", "4": "a", "5": "s", "6": "o", "8": "b"})
_VOWELS = set("aeiouy")
_WORD_RE = re.compile(r"[^\s,;:.()\[\]{}\"'“”‘’/\\\-–—_+*=<>!?]+")
# leading words around a name that are not part of it (the shared lexicon of cue words)
_FILLER = tuple(tuple(phrase.split()) for phrase in _lexicon.NAME_FILLER)


def strip_diacritics(text: str, *, lower: bool = True) -> str:
    """Lowercase ASCII-ish text: diacritics removed, đ → d (keeps other characters)."""
    text = unicodedata.normalize("NFD", text)
    text = text.replace("đ", "d").replace("Đ", "D").replace("Ð", "D").replace("ð", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower() if lower else text




def _fold_token(tok: str) -> str:
    """Map common OCR confusions of one (diacritics-free) token to base letters."""
    if any(c.isalpha() for c in tok):
        if "1" in tok:  # "1am" = "làm" (l only starts a syllable), "t1nh" = "tỉnh"
            tok = tok[0].replace("1", "l") + tok[1:].replace("1", "i")
        tok = tok.translate(_OCR_DIGITS)
    tok = tok.replace("w", "u").replace("j", "i").replace("ir", "u").replace("ea", "a")
    tok = tok.replace("ey", "ay")  # "Xéy" = "Xây": "ey" is not Vietnamese
    if "y" in tok:  # "dYng" = "dựng", "cyc" = "cục": y before a consonant is an OCR'd ư/ụ
        tok = re.sub(r"(?<!u)y(?=[bcdghklmnpqrstvx])", "u", tok)
    if "p" in tok:  # Vietnamese has "ph" and a final "p" after a vowel; other p's are an OCR'd Đ
        chars = list(tok)
        for i, c in enumerate(chars):
            if c == "p":
                nxt = chars[i + 1] if i + 1 < len(chars) else ""
                prev = chars[i - 1] if i else ""
                if nxt != "h" and prev not in _VOWELS:
                    chars[i] = "d"
        tok = "".join(chars)
    if not any(c in _VOWELS for c in tok):
        return tok  # an abbreviation: "tttt" stays
    out = []
    for c in tok:  # collapse repeats: "nooi" (from "No6i") → "noi"
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=1 << 16)
def _word_tokens(word: str, ocr: bool) -> tuple[str, ...]:
    """Normalised tokens of one written word (a word may give 0..n tokens). Cached: the same words
    recur in every name of a directory and every sentence the reader resolves."""
    w = strip_diacritics(word, lower=False).translate(_OCR_CHARS)
    if "&" in w:
        if ocr:  # "S&" = "Sở", "P&" = "Đề", "Nh&n" = "Nhơn"; "KH&ĐT": & means "và"
            w = re.sub(r"(?:(?<=^[A-Za-z])|(?<=[a-z]))&", "o", w)
        w = w.replace("&", " ")
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", w):
        if not part:
            continue
        low = part.lower()
        if low == "tw" and part[1] == "w":  # "Tw" is an OCR'd "Tư"; "TW" means "Trung ương"
            expanded: tuple[str, ...] = (low,)
        else:
            expanded = _EXPAND_SPLIT.get(low, (low,))
        for tok in expanded:
            if ocr:
                tok = _fold_token(tok)
                for t2 in _EXPAND_SPLIT.get(tok, (tok,)):
                    out.append(t2)
            else:
                out.append(tok)
    return tuple(t for t in out if t != "va")


def _tokens(text: str, ocr: bool = False) -> tuple[list[str], list[int]]:
    """Tokens of ``text`` and, for each, the end offset in ``text`` of the word it came from."""
    toks: list[str] = []
    ends: list[int] = []
    for m in _WORD_RE.finditer(text):
        for t in _word_tokens(m.group(), ocr):
            toks.append(t)
            ends.append(m.end())
    return toks, ends


def normalise(text: str, *, ocr: bool = False) -> str:
    """The comparison form of a name: "Sở KH&ĐT" → "so kh dt"; ``ocr`` also folds OCR noise."""
    return " ".join(_tokens(unicodedata.normalize("NFC", text), ocr)[0])


_NOT_CONSONANT = re.compile(r"[aeiouy]+")
_HARD_STOP = re.compile(r"[,;]")
_FORM_BREAK = re.compile(r"[,;\-–—]")


def _breaks(text: str, stop: re.Pattern) -> tuple[list[str], set[int]]:
    """Tokens of ``text`` and the token counts after which ``stop`` punctuation occurs."""
    toks: list[str] = []
    out: set[int] = set()
    pos = 0
    for w in _WORD_RE.finditer(text):
        if toks and stop.search(text[pos:w.start()]):
            out.add(len(toks))
        toks.extend(_word_tokens(w.group(), False))
        pos = w.end()
    return toks, out


def _skeleton(key: str) -> str:
    """The consonants of a folded key: "van phong uy ban" → "vn phng  bn"."""
    return _NOT_CONSONANT.sub("", key)


_UNITS = (("thanh", "pho"), ("thi", "xa"), ("huyen",), ("quan",))


def _drop_units(toks: list[str]) -> list[str] | None:
    """The tokens without a district-level unit word, or None when there is none."""
    for i in range(len(toks)):
        for u in _UNITS:
            if tuple(toks[i:i + len(u)]) == u and len(toks) > i + len(u):
                return toks[:i] + toks[i + len(u):]
    return None


def _wordy(toks: list[str]) -> bool:
    """Is a short form made of real words ("Quy Nhơn", "NHNN tỉnh"), not of bits ("CA tỉnh")?"""
    rest = [t for t in toks if t != "tinh"]
    return bool(rest) and all(len(t) >= 3 for t in rest)


def _unit_level(toks: list[str]) -> str | None:
    """"district" (huyện, thị xã, thành phố, quận), "commune" (xã, phường, thị trấn) or None."""
    for i, t in enumerate(toks):
        prev = toks[i - 1] if i else ""
        if t in ("huyen", "quan") or (t == "xa" and prev == "thi") or (t == "pho" and prev == "thanh"):
            return "district"
        if t in ("phuong",) or (t == "xa" and prev != "thi") or (t == "tran" and prev == "thi"):
            return "commune"
    return None


def _plausible(query: list[str], key: str, strict: bool = True) -> bool:
    """Could OCR have turned ``key`` into ``query``? Word by word, consonants must mostly agree."""
    ktoks = key.split()
    qu, ku = _unit_level(query), _unit_level(ktoks)
    if qu and ku and qu != ku:
        return False  # "UBND xã Hoài Nhơn" is not "UBND thị xã Hoài Nhơn"
    if not strict or len(ktoks) != len(query):
        return True  # words split or joined: leave it to the whole-string score
    for q, k in zip(query, ktoks):
        if q == k:
            continue
        sq, sk = _skeleton(q), _skeleton(k)
        if sq == sk:
            continue
        if not sq or not sk:
            if fuzz.ratio(q, k) < 50:
                return False
        elif fuzz.ratio(sq, sk) < 60:
            return False
    return True


def _acronyms(tokens: list[str]) -> list[str]:
    """Initials of a name's syllables: "so ke hoach dau tu" → "skhdt", "sokhdt"."""
    if len(tokens) < 2:
        return []
    initials = "".join(t[0] for t in tokens)
    out = [initials]
    if tokens[0] in ("so", "ban"):
        out.append(tokens[0] + initials[1:])
    return [a for a in out if len(a) >= 3]


_GENERIC_HEADS = {tuple(phrase.split()) for phrase in _lexicon.GENERIC_HEADS}
# A name part is followed by one of these when it continues ("UBND" + "huyện Tuy Phước").
_CONTINUES = set(_lexicon.NAME_CONTINUES)


def _is_abbreviation(text: str, end: int) -> bool:
    """Is the word of ``text`` ending at ``end`` written like an abbreviation ("SNV", "KH&ĐT")?"""
    m = re.search(r"[^\s,;:.()]+$", text[:end])
    word = m.group() if m else ""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= len(letters) - 1


def _strippable_tinh(toks: list[str]) -> bool:
    """Can a trailing "tỉnh" be dropped ("Công an tỉnh" → "Công an") without losing the meaning?"""
    return len(toks) > 2 and toks[-1] == "tinh" and tuple(toks[:-1]) not in _GENERIC_HEADS


# ---------------------------------------------------------------------------- groups

# collective addressees and the words before them: data in the shared lexicon
_GROUP_FORMS = _lexicon.GROUP_FORMS
_GROUP_LEAD = tuple(tuple(phrase.split()) for phrase in _lexicon.GROUP_LEAD)


def _strip_lead(tokens: list[str], phrases: Iterable[tuple[str, ...]], fuzzy: bool = False) -> int:
    """How many leading tokens are filler phrases (``fuzzy``: OCR-damaged ones too)."""
    i = 0
    changed = True
    while changed:
        changed = False
        for ph in phrases:
            n = len(ph)
            if len(tokens) <= i + n:
                continue
            head = tuple(tokens[i:i + n])
            if head == ph or (fuzzy and n > 1 and fuzz.ratio(" ".join(head), " ".join(ph)) >= 80):
                i += n
                changed = True
                break
    return i


# ---------------------------------------------------------------------------- the directory

@dataclasses.dataclass
class _Entry:
    agency: Agency
    tier: int  # 0 = province, 1 = national
    replaces: list[str]
    formerly: list[str]


class Directory:
    """The province's agencies plus the national names, with lookup by any written form."""

    def __init__(self) -> None:
        self.agencies: list[Agency] = []  # the province's agencies (members of groups)
        self.warnings: list[str] = []  # non-fatal problems found while loading
        self.province: str | None = None
        self._label = "agencies"  # the province file, for messages
        self._entries: dict[str, _Entry] = {}  # every known agency id → entry
        self._listed: set[str] = set()
        self._alias: dict[str, str] = {}  # national id shadowed by a province id
        self._successor: dict[str, str] = {}  # old id → id of the agency that replaced it
        self._labels: dict[str, str] = dict(DEFAULT_GROUP_LABELS)
        self._exact: dict[str, list[tuple[str, int, bool]]] = {}  # key → (id, priority, former)
        self._folded: dict[str, list[tuple[str, int, bool]]] = {}
        self._compact: dict[str, list[tuple[str, int, bool]]] = {}
        self._unitless: dict[str, list[tuple[str, int, bool]]] = {}  # localities without huyện/thị xã/...
        self._fuzzy_keys: list[str] = []
        self._fuzzy_ids: list[tuple[str, bool]] = []
        self._fuzzy_by_len: dict[int, tuple[list[str], list[int]]] = {}
        self._max_key_tokens = 1
        self._province_tail: tuple[str, ...] = ()
        self._province_names: set[tuple[str, ...]] = set()
        self._cache: dict[str, Match] = {}
        self._group_keys: dict[str, str] = {}
        self._group_list: list[str] = []
        self._group_ids: list[str] = []

    # ------------------------------------------------------------------ construction

    @classmethod
    def load(cls, path: Path | str | None = None, *, national: bool = True) -> "Directory":
        """Read the province file ``path`` (optional) on top of the national names."""
        parts: list[tuple[str, dict[str, Any]]] = []
        if national:
            parts.append(("national_agencies.toml", _read_toml(NATIONAL_FILE, "national_agencies.toml")))
        if path is not None:
            parts.append((str(path), _read_toml(Path(path), str(path))))
        d = cls()
        national_raw = parts[0] if national else None
        province_raw = parts[-1] if path is not None else None
        national_entries = (_parse(*national_raw, d.warnings, national=True)
                            if national_raw else ([], {}, None))
        d._province_names = set(_provinces(national_raw[1])) if national_raw else set()
        province_entries = _parse(*province_raw, d.warnings) if province_raw else None
        d._label = str(path) if path is not None else "national_agencies.toml"
        d._build(national_entries, province_entries)
        return d

    @classmethod
    def from_agencies(
        cls,
        agencies: list[Agency],
        *,
        national: bool = False,
        replaces: dict[str, list[str]] | None = None,
        formerly: dict[str, list[str]] | None = None,
        province: str | None = None,
    ) -> "Directory":
        """A directory of ``agencies`` (as the province's list), e.g. for tests."""
        entries = [
            (dataclasses.replace(a, kind=AgencyKind(a.kind), short=list(a.short), groups=list(a.groups)),
             list((replaces or {}).get(a.id, [])), list((formerly or {}).get(a.id, [])))
            for a in agencies
        ]
        d = cls()
        nat = ([], {}, None)
        if national:
            raw = _read_toml(NATIONAL_FILE, "national_agencies.toml")
            nat = _parse("national_agencies.toml", raw, d.warnings, national=True)
            d._province_names = set(_provinces(raw))
        d._build(nat, (entries, {}, province))
        return d

    def _build(self, national, province) -> None:
        nat_entries, nat_labels, _ = national
        self._labels.update(nat_labels)
        prov_entries, prov_labels, self.province = province if province else ([], {}, None)
        self._labels.update(prov_labels)
        if self.province:
            self._province_tail = tuple(normalise(self.province).split())

        prov_ids = {a.id for a, _, _ in prov_entries}
        prov_names = {self._name_key(a.name): a.id for a, _, _ in prov_entries}
        national_replaces: list[tuple[str, list[str]]] = []
        for a, rep, former in nat_entries:
            national_replaces.append((a.id, rep))
            if a.id in prov_ids:
                continue
            shadow = prov_names.get(self._name_key(a.name))
            if shadow:  # same agency under the province's own id
                self._alias[a.id] = shadow
                continue
            self._entries[a.id] = _Entry(a, 1, rep, former)
        for a, rep, former in prov_entries:
            self._entries[a.id] = _Entry(a, 0, rep, former)

        if province:
            self.agencies = [a for a, _, _ in prov_entries]
        else:
            replaced = {old for e in self._entries.values() for old in e.replaces}
            self.agencies = [e.agency for e in self._entries.values() if e.agency.id not in replaced]
        self._listed = {a.id for a in self.agencies}

        # Successors: the national ones, then the province's declarations (they win).
        declared = national_replaces + [(a.id, rep) for a, rep, _ in prov_entries]
        for new_id, olds in declared:
            new_id = self._alias.get(new_id, new_id)
            for old in olds:
                old = self._alias.get(old, old)
                if old != new_id:
                    self._successor[old] = new_id
        for e in self._entries.values():
            if e.tier == 0:
                for old in e.replaces:
                    if old in self._listed:
                        self.warnings.append(
                            f"{self._label}: agency {e.agency.id!r} replaces {old!r}, which is still listed"
                        )
        self._index()

    @staticmethod
    def _name_key(name: str) -> str:
        toks = normalise(name).split()
        if _strippable_tinh(toks):
            toks = toks[:-1]
        return " ".join(toks)

    def _index(self) -> None:
        fuzzy: dict[tuple[str, str], bool] = {}

        def add(table, key: str, aid: str, prio: int, former: bool) -> None:
            if not key:
                return
            hits = table.setdefault(key, [])
            if not any(h[0] == aid for h in hits):
                hits.append((aid, prio, former))

        # Province entries last so they are looked at after national ones when merging hits.
        for e in sorted(self._entries.values(), key=lambda e: -e.tier):
            a = e.agency
            forms = [(a.name, False)] + [(s, False) for s in a.short] + [(f, True) for f in e.formerly]
            for form, former in forms:
                for toks in self._variants(normalise(form).split()):
                    prio = e.tier * 2
                    add(self._exact, " ".join(toks), a.id, prio, former)
                    add(self._compact, "".join(toks), a.id, prio, former)
                    if form is a.name or former:  # initials of full names only
                        for acr in _acronyms(toks):
                            add(self._compact, acr, a.id, prio + 1, former)
                if a.kind is AgencyKind.LOCALITY:
                    for ocr in (False, True):
                        toks = _drop_units(normalise(form, ocr=ocr).split())
                        if toks is not None and len(toks) >= 2:
                            add(self._unitless, " ".join(toks), a.id, e.tier * 2, former)
                for toks in self._variants(normalise(form, ocr=True).split()):
                    key = " ".join(toks)
                    # Short forms of one or two words ("CA tỉnh", "Tây Sơn") only match as
                    # written: OCR-folded they would catch ordinary words ("của tỉnh" → "caa tinh").
                    if form is a.name or former or len(toks) >= 3 or _wordy(toks):
                        add(self._folded, key, a.id, e.tier * 2, former)
                        # fuzzy: forms of 3+ real words; not abbreviations ("BNC Tỉnh ủy") nor
                        # two-word names ("Tỉnh Đoàn" would catch "tỉnh đã")
                        if len(toks) >= 3 and all(_VOWELS & set(t) for t in toks):
                            fuzzy[(key, a.id)] = former or fuzzy.get((key, a.id), False)
        self._fuzzy_keys = [k for k, _ in fuzzy]
        self._fuzzy_ids = [(aid, former) for (_, aid), former in fuzzy.items()]
        by_len: dict[int, tuple[list[str], list[int]]] = {}
        for i, k in enumerate(self._fuzzy_keys):
            n = k.count(" ") + 1
            self._max_key_tokens = max(self._max_key_tokens, n)
            keys, idx = by_len.setdefault(n, ([], []))
            keys.append(k)
            idx.append(i)
        self._fuzzy_by_len = by_len

        for gid, forms in _GROUP_FORMS.items():
            for f in forms:
                self._group_keys[f] = gid
                self._group_keys[" ".join(_fold_token(t) for t in f.split())] = gid
        for label_gid, label in self._labels.items():
            self._group_keys.setdefault(normalise(label), label_gid)
        self._group_list = list(self._group_keys)
        self._group_ids = [self._group_keys[k] for k in self._group_list]

    def _variants(self, toks: list[str]) -> list[list[str]]:
        """A form and its variants: without a trailing "tỉnh", without the province's name."""
        out = [toks]
        tail = self._province_tail
        if tail and len(toks) > len(tail) + 1 and tuple(toks[-len(tail):]) == tail:
            out.append(toks[: -len(tail)])
        for t in list(out):
            if _strippable_tinh(t):
                out.append(t[:-1])
        return out

    # ------------------------------------------------------------------ queries

    def get(self, agency_id: str) -> Agency | None:
        """The agency with this id (the province's, a national one or an outside party), or None."""
        e = self._entries.get(agency_id) or self._entries.get(self._alias.get(agency_id, ""))
        if e is None:
            return self.__dict__.setdefault("_outside", {}).get(agency_id)
        return e.agency

    def add_outside(self, name: str) -> Agency:
        """A party beyond the directory (a ministry, an investor, a company), kept as written.

        Its id is made from its name, so the same name always gives the same party: the tasks a
        notice gives it wait until someone registers a group for it (``/invite`` with that name).
        It is no member of any group and is never what :meth:`resolve` answers.
        """
        shown = " ".join(str(name).split())
        agency_id = outside_id(shown)
        outside = self.__dict__.setdefault("_outside", {})
        return outside.setdefault(agency_id, Agency(id=agency_id, name=shown, kind=AgencyKind.OTHER))

    def outside_parties(self) -> list[Agency]:
        return sorted(self.__dict__.get("_outside", {}).values(), key=lambda a: a.name)

    def is_listed(self, agency_id: str) -> bool:
        """True when the agency is one of the province's (not only a national name)."""
        return agency_id in self._listed

    def successor(self, agency_id: str) -> Agency | None:
        """The agency that replaced ``agency_id`` (after the 2025 mergers), if any."""
        seen = {agency_id}
        cur = self._alias.get(agency_id, agency_id)
        nxt = self._successor.get(cur)
        while nxt and nxt not in seen:
            seen.add(nxt)
            if nxt in self._listed or nxt not in self._successor:
                return self.get(nxt)
            nxt = self._successor.get(nxt)
        return None

    def members(self, group: str) -> list[Agency]:
        """The province's agencies in ``group``; ``"all"`` is every department and locality."""
        if group == "all":
            wanted = {"all", "so-ban-nganh", "dia-phuong", "huyen"}
            return [a for a in self.agencies if wanted & set(a.groups)
                    or a.kind in (AgencyKind.DEPARTMENT, AgencyKind.LOCALITY)]
        if group == "lien-quan":
            return []
        return [a for a in self.agencies if group in a.groups]

    def groups(self) -> dict[str, str]:
        """Every known group id and its Vietnamese label."""
        labels = dict(self._labels)
        for a in self.agencies:
            for g in a.groups:
                labels.setdefault(g, g)
        return labels

    def group_label(self, group: str) -> str:
        """The Vietnamese label of a group: "huyen" → "UBND các huyện, thị xã, thành phố"."""
        return self._labels.get(group, group)

    def resolve_group(self, text: str) -> str | None:
        """The group id of a collective addressee ("các sở, ban, ngành" → "so-ban-nganh")."""
        toks = _tokens(unicodedata.normalize("NFC", text), True)[0]
        if not toks:
            return None
        toks = toks[_strip_lead(toks, _GROUP_LEAD, fuzzy=True):]
        while len(toks) > 2 and toks[-1] in ("tinh", "thuoc", "tren", "dia", "ban", "cua"):
            key = " ".join(toks)
            if key in self._group_keys:
                return self._group_keys[key]
            if toks[-3:] == ["tren", "dia", "ban"] or toks[-2:] == ["dia", "ban"]:
                toks = toks[:-3] if toks[-3:] == ["tren", "dia", "ban"] else toks[:-2]
            else:
                toks = toks[:-1]
        key = " ".join(toks)
        if key in self._group_keys:
            return self._group_keys[key]
        if not key.startswith(("cac", "uy ban", "cap", "ca")) or len(key) < 8:
            return None
        for form, score, i in process.extract(key, self._group_list, scorer=fuzz.ratio,
                                              score_cutoff=88, limit=3):
            if len(key) >= len(form) - 2:  # a cut-off phrase ("UBND các") is not a group
                return self._group_ids[i]
        return None

    def resolve(self, text: str) -> Match:
        """Find the agency (or group) a written name means; see the module docstring."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        cached = self._cache.get(text)
        if cached is not None:
            return dataclasses.replace(cached, candidates=list(cached.candidates))
        m = self._resolve(text)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[text] = m
        return dataclasses.replace(m, candidates=list(m.candidates))

    def _resolve(self, text: str) -> Match:
        src = unicodedata.normalize("NFC", text)
        clean, clean_ends = _tokens(src, False)
        folded, folded_ends = _tokens(src, True)
        if not clean and not folded:
            return Match(text, None, 0.0, False)

        # 1-2. exact on the whole text (and without leading filler words)
        for toks, table in ((clean, self._exact), (folded, self._folded)):
            start = _strip_lead(toks, _FILLER)
            for s in ((0, start) if start else (0,)):
                m = self._exact_hit(text, toks[s:], table, 100.0 if table is self._exact else 98.0)
                if m:
                    return self._check_boundaries(m, src)

        # 2b. a locality under its former unit ("huyện Hoài Nhơn", now a thị xã)
        for toks in (clean, folded):
            start = _strip_lead(toks, _FILLER)
            rest = _drop_units(toks[start:])
            if rest is not None and len(rest) >= 2:
                m = self._exact_hit(text, rest, self._unitless, 96.0)
                if m:
                    return self._check_boundaries(m, src)

        # 3. a collective addressee
        group = self.resolve_group(src)
        if group:
            return Match(text, None, 100.0, True, group=group)

        # 4. exact on a leading part: "Sở Nội vụ chủ trì, ..." → Sở Nội vụ + rest
        for toks, ends, table, score in ((clean, clean_ends, self._exact, 95.0),
                                         (folded, folded_ends, self._folded, 93.0)):
            start = _strip_lead(toks, _FILLER)
            for n in range(min(len(toks) - 1, start + self._max_key_tokens + 1), start, -1):
                part = toks[start:n]
                if len(part) == 1 and not _is_abbreviation(src, ends[start]):
                    break  # one ordinary word ("Báo", "Sở") is not a name
                if not self._can_cut(toks, n, ends):
                    continue
                m = self._exact_hit(text, part, table, score)
                if m:
                    m.rest = src[ends[n - 1]:].lstrip(" \t\r\n,;:.-–—")
                    return m

        # 5. fuzzy
        return self._check_boundaries(self._fuzzy(text, src, folded, folded_ends), src)

    def _check_boundaries(self, m: Match, src: str) -> Match:
        """A name read across "," or ";" is doubtful unless the name has a break there too
        ("Sở Lao động, Thương binh và Xã hội" is fine; "tỉnh, Ủy ..." is not "Tỉnh ủy")."""
        if not m.sure or m.agency is None:
            return m
        used = src[: len(src) - len(m.rest)] if m.rest else src
        used = used.strip(" \t\r\n,;.:-–—")
        if not _HARD_STOP.search(used):
            return m
        toks, stops = _breaks(used, _HARD_STOP)
        skip = _strip_lead(toks, _FILLER)
        stops = {p - skip for p in stops if p > skip}
        if not stops:
            return m
        ok: set[int] = set()
        ids = {m.agency.id} | {old for old, new in self._successor.items() if new == m.agency.id}
        for aid in ids:
            e = self._entries.get(aid)
            if e:
                for form in (e.agency.name, *e.agency.short, *e.formerly):
                    ok |= _breaks(form, _FORM_BREAK)[1]
        if stops <= ok:
            return m
        m.sure = False
        m.agency = None
        m.note = None
        return m

    def _same_level(self, query: list[str], agency_id: str) -> bool:
        """A commune's or district's body ("Hội Nông dân xã") is not the province's one."""
        q = _unit_level(query)
        if q is None:
            return True
        e = self._entries.get(agency_id)
        if e is None:
            return True
        toks = normalise(e.agency.name).split()
        level = _unit_level(toks) or ("province" if "tinh" in toks else None)
        return level is None or level == q

    def _can_cut(self, toks: list[str], n: int, ends: list[int]) -> bool:
        """May a name end after ``toks[:n]``, the rest being other words?"""
        if ends[n - 1] == ends[n]:
            return False  # the cut would split a written word ("Tc&lT")
        nxt, last = toks[n], toks[n - 1]
        if last == "tinh":  # "Sở Y tế tỉnh | Quảng Nam", "Ban Tuyên giáo tỉnh | ủy"
            return nxt not in ("uy", "doan") and not self._other_province(toks, n)
        if nxt == "tinh":
            # "Sở Nội vụ | tỉnh Quảng Nam" is another province's, unless we do not know ours
            return not (self._province_tail and self._other_province(toks, n + 1))
        return nxt not in _CONTINUES

    def _other_province(self, toks: list[str], i: int) -> bool:
        """Do ``toks[i:]`` start with the name of a province that is not ours?"""
        for k in (1, 2, 3, 4):
            name = tuple(toks[i:i + k])
            if len(name) == k and name in self._province_names:
                return name != self._province_tail
        return False

    def _exact_hit(self, text: str, toks: list[str], table, score: float) -> Match | None:
        if not toks:
            return None
        variants = [toks]
        tail = self._province_tail
        if tail and len(toks) > len(tail) and tuple(toks[-len(tail):]) == tail:
            variants.append(toks[: -len(tail)])
        for v in list(variants):
            if _strippable_tinh(v):
                variants.append(v[:-1])
        hits = None
        for v in variants:
            hits = table.get(" ".join(v))
            if not hits and table is self._exact:
                hits = self._compact.get("".join(v))
            if hits:
                break
        if not hits:
            return None
        best = min(h[1] for h in hits)
        chosen = [h for h in hits if h[1] == best]
        results: dict[str, tuple[Agency, str | None, bool]] = {}
        for aid, _, former in chosen:
            ag, note, listed = self._final(aid, former)
            results.setdefault(ag.id, (ag, note, listed))
        if len(results) == 1:
            ag, note, listed = next(iter(results.values()))
            return Match(text, ag, score, True, [ag], note=note, listed=listed)
        cands = [r[0] for r in results.values()]
        return Match(text, None, score, False, cands[:MAX_CANDIDATES])

    def _final(self, aid: str, former: bool) -> tuple[Agency, str | None, bool]:
        """The agency to report for a hit on ``aid``: itself or its successor, with a note."""
        entry = self._entries[aid]
        if aid in self._listed or (not self._listed):
            if former:
                return entry.agency, _text("merged_into", name=entry.agency.name), True
            return entry.agency, None, True
        succ = self.successor(aid)
        if succ is not None and succ.id in self._listed:
            return succ, _text("merged_into", name=succ.name), True
        if former:
            return entry.agency, _text("merged_into", name=entry.agency.name), False
        return entry.agency, _text("not_listed"), False

    def _fuzzy(self, text: str, src: str, folded: list[str], ends: list[int]) -> Match:
        start = _strip_lead(folded, _FILLER)
        toks = folded[start:] or folded
        if not toks:
            return Match(text, None, 0.0, False)
        # final agency id → (score, key index, query length in tokens)
        scores: dict[str, tuple[float, int, int]] = {}
        n_total = len(toks)
        top = min(n_total, self._max_key_tokens + 1)
        for n in range(top, 0, -1):
            query = " ".join(toks[:n])
            if len(query) < 4 or (n < n_total and not self._can_cut(folded, start + n, ends)):
                continue
            penalty = 0.0 if n == n_total else 3.0 + 2.0 * min(n_total - n, 3)
            for klen in (n - 1, n, n + 1):
                bucket = self._fuzzy_by_len.get(klen)
                if not bucket:
                    continue
                # a key with fewer words leaves a query word unexplained ("Hội Nông dân | xã")
                short_key = 4.0 if klen < n else 0.0
                keys, idx = bucket
                for _, sc, j in process.extract(query, keys, scorer=fuzz.ratio, limit=8,
                                                score_cutoff=CANDIDATE_SCORE - 10):
                    k = idx[j]
                    aid, former = self._fuzzy_ids[k]
                    sc = sc - penalty - short_key - (1.0 if self._entries[aid].tier else 0.0)
                    fin = self._final(aid, former)[0].id
                    if fin not in scores or sc > scores[fin][0]:
                        scores[fin] = (sc, k, n)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])
        ranked = [(fid, v) for fid, v in ranked if v[0] >= CANDIDATE_SCORE
                  and not _head_clash(toks[0], self._fuzzy_keys[v[1]].split()[:1])]
        # a best guess whose words disagree in their consonants is a different phrase
        # ("chu tai chinh" is "tự chủ tài chính", not "Sở Tài chính")
        while ranked and not (
                _plausible(toks[:ranked[0][1][2]], self._fuzzy_keys[ranked[0][1][1]],
                           strict=ranked[0][1][0] < PLAUSIBLE_ABOVE)
                and self._same_level(toks[:ranked[0][1][2]], ranked[0][0])):
            demoted = ranked.pop(0)
            if not ranked or ranked[0][1][0] < demoted[1][0] - MARGIN:
                cands = [self.get(demoted[0])] + [self.get(f) for f, _ in ranked[:MAX_CANDIDATES - 1]]
                return Match(text, None, round(demoted[1][0], 1), False, cands)
        if not ranked:
            return Match(text, None, round(max((v[0] for v in scores.values()), default=0.0), 1), False)
        cands = [self.get(fid) for fid, _ in ranked[:MAX_CANDIDATES]]
        best_id, (best, key_i, used) = ranked[0]
        alone = ALONE_SCORE if sum(map(len, toks[:used])) >= 10 else SURE_SCORE
        if len(ranked) == 1:  # nothing else comes near
            sure = best >= alone
        else:
            second, key2, _ = ranked[1][1]
            sure = best >= SURE_SCORE and best - second >= MARGIN
            if not sure and best >= alone:
                sure = self._distinct(toks[:used], key_i, key2)
        if not sure:
            return Match(text, None, round(best, 1), False, cands)
        aid, former = self._fuzzy_ids[key_i]
        ag, note, listed = self._final(aid, former)
        rest = ""
        if used < n_total:
            rest = src[ends[start + used - 1]:].lstrip(" \t\r\n,;:.-–—")
        return Match(text, ag, round(best, 1), True, cands, note=note, rest=rest, listed=listed)

    def _distinct(self, query: list[str], key1: int, key2: int) -> bool:
        """Do the words that tell two close names apart ("An Nhơn" / "Hoài Nhơn") match the first?"""
        t1 = self._fuzzy_keys[key1].split()
        t2 = self._fuzzy_keys[key2].split()
        cp = 0
        while cp < min(len(t1), len(t2)) and t1[cp] == t2[cp]:
            cp += 1
        cs = 0
        while cs < min(len(t1), len(t2)) - cp and t1[-1 - cs] == t2[-1 - cs]:
            cs += 1
        if cp + cs == 0 or len(query) - cs <= cp:
            return False
        d1 = " ".join(t1[cp:len(t1) - cs])
        d2 = " ".join(t2[cp:len(t2) - cs])
        dq = " ".join(query[cp:len(query) - cs])
        r1 = fuzz.ratio(dq, d1)
        r2 = fuzz.ratio(dq, d2)
        return r1 >= 60 and r1 - r2 >= 20


def _text(key: str, **values: str) -> str:
    """A plain-text (unescaped) note from the catalogue, with a built-in fallback."""
    from bot.texts import Raw, has, t

    fallback = {"merged_into": "đã hợp nhất vào {name}",
                "not_listed": "chưa có trong danh bạ cơ quan của tỉnh"}
    try:
        if has(f"directory.{key}"):
            return t(f"directory.{key}", **{k: Raw(v) for k, v in values.items()})
    except Exception:  # a broken catalogue must not break name lookup
        pass
    return fallback[key].format(**values)


# ---------------------------------------------------------------------------- reading files

def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise DirectoryError(f"{label}: file not found") from None
    except IsADirectoryError:
        raise DirectoryError(f"{label}: is a folder, not a file") from None
    except PermissionError:
        raise DirectoryError(f"{label}: cannot read (permission denied)") from None
    except UnicodeDecodeError:
        raise DirectoryError(f"{label}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError(f"{label}: not valid TOML: {str(exc).splitlines()[0]}") from None
    except OSError as exc:
        raise DirectoryError(f"{label}: cannot read ({exc.strerror or exc})") from None


def _str_list(label: str, where: str, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DirectoryError(f"{label}: {where}: '{key}' must be a list of non-empty strings")
    return [v.strip() for v in value]


def _provinces(data: dict[str, Any]) -> list[tuple[str, ...]]:
    """The province names listed in the national file, as token tuples."""
    names = data.get("provinces", [])
    return [tuple(normalise(n).split()) for n in names if isinstance(n, str) and normalise(n)]


def _parse(label: str, data: dict[str, Any], warnings: list[str], *, national: bool = False):
    """Validate one file: ([(Agency, replaces, formerly)], group labels, province name)."""
    unknown = sorted(set(data) - _TOP_KEYS - ({"provinces"} if national else set()))
    if unknown:
        raise DirectoryError(
            f"{label}: unknown key {unknown[0]!r} (known: agency, groups, province)"
        )
    province = data.get("province")
    if province is not None and (not isinstance(province, str) or not province.strip()):
        raise DirectoryError(f"{label}: 'province' must be the province's name, e.g. \"Bình Định\"")
    labels_raw = data.get("groups", {})
    if not isinstance(labels_raw, dict):
        raise DirectoryError(f"{label}: 'groups' must be a table: group-id = \"label\"")
    labels: dict[str, str] = {}
    for gid, glabel in labels_raw.items():
        if not _ID_RE.match(gid):
            raise DirectoryError(f"{label}: groups: bad group id {gid!r} (use a-z, 0-9 and -)")
        if not isinstance(glabel, str) or not glabel.strip():
            raise DirectoryError(f"{label}: groups: '{gid}' must be a label in Vietnamese")
        labels[gid] = glabel.strip()
    raw = data.get("agency", [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise DirectoryError(f"{label}: 'agency' must be written as [[agency]] tables")

    out = []
    ids: dict[str, int] = {}
    forms: dict[str, tuple[str, str]] = {}  # normalised form → (agency id, form as written)
    known_groups = set(STANDARD_GROUPS) | set(labels)
    for n, r in enumerate(raw, 1):
        aid = r.get("id")
        where = f"agency #{n}" if not isinstance(aid, str) else f"agency {aid!r}"
        bad = sorted(set(r) - _AGENCY_KEYS)
        if bad:
            raise DirectoryError(
                f"{label}: {where}: unknown key {bad[0]!r} "
                f"(known: id, name, kind, short, groups, replaces, formerly)"
            )
        if not isinstance(aid, str) or not aid:
            raise DirectoryError(f"{label}: {where}: missing 'id'")
        if not _ID_RE.match(aid):
            raise DirectoryError(
                f"{label}: {where}: 'id' must be 1-40 characters a-z, 0-9 and - (e.g. \"so-noi-vu\")"
            )
        if aid in ids:
            raise DirectoryError(f"{label}: {where}: duplicate id (also agency #{ids[aid]})")
        ids[aid] = n
        name = r.get("name")
        if not isinstance(name, str) or not name.strip():
            raise DirectoryError(f"{label}: {where}: missing 'name' (the full name with diacritics)")
        kind_raw = r.get("kind", "other")
        try:
            kind = AgencyKind(kind_raw)
        except (ValueError, TypeError):
            raise DirectoryError(f"{label}: {where}: 'kind' must be one of {_KINDS}") from None
        short = _str_list(label, where, "short", r.get("short", []))
        groups = _str_list(label, where, "groups", r.get("groups", []))
        for g in groups:
            if not _ID_RE.match(g):
                raise DirectoryError(f"{label}: {where}: bad group id {g!r} (use a-z, 0-9 and -)")
            if g not in known_groups:
                warnings.append(
                    f"{label}: {where}: group {g!r} is not a known group "
                    f"(known: {', '.join(sorted(known_groups))}; add it under [groups])"
                )
        replaces = _str_list(label, where, "replaces", r.get("replaces", []))
        formerly = _str_list(label, where, "formerly", r.get("formerly", []))
        if aid in replaces:
            raise DirectoryError(f"{label}: {where}: 'replaces' lists the agency itself")
        name = unicodedata.normalize("NFC", name.strip())
        short = [unicodedata.normalize("NFC", s) for s in short]
        formerly = [unicodedata.normalize("NFC", s) for s in formerly]
        for form in [name, *short, *formerly]:
            key = normalise(form)
            if not key:
                raise DirectoryError(f"{label}: {where}: form {form!r} has no letters")
            other = forms.get(key)
            if other and other[0] != aid:
                raise DirectoryError(
                    f"{label}: {where}: {form!r} is also a name of agency {other[0]!r} "
                    f"({other[1]!r}); a written form must mean one agency"
                )
            forms[key] = (aid, form)
        out.append((Agency(aid, name, kind, short, groups), replaces, formerly))
    return out, labels, province.strip() if province else None


__all__ = [
    "Directory", "DirectoryError", "Match", "NATIONAL_FILE", "STANDARD_GROUPS", "normalise",
    "strip_diacritics",
]


OUTSIDE_PREFIX = "ngoai-"


def outside_id(name: str) -> str:
    """The id of a party beyond the directory: "ngoai-" and its name folded ("ngoai-cong-ty-tnhh-abc")."""
    s = unicodedata.normalize("NFD", name).replace("đ", "d").replace("Đ", "D")
    s = "".join(c for c in s if unicodedata.category(c) != "Mn").lower()
    slug = "-".join(re.findall(r"[a-z0-9]+", s))[:60].strip("-")
    return OUTSIDE_PREFIX + (slug or "khong-ten")
