"""Stage 2 of the reader: the header of a notice, and where its body runs.

Input: the page's lines (:func:`.page.page_lines`) and the :class:`.context.Context`.
Output: a :class:`Header` (number, date of issue, issuer, kind, title; the index of the first body
line), read from the block before the kind line ("THÔNG BÁO"): the national motto is cut out, the
number ("Số: 89/TB-UBND") and the place and date ("Bình Định, ngày ...") are taken, what is left is
the issuer; the lines after the kind line are the title. A directive with no kind line ("Công văn")
has its header in its first lines (the number and date there; a date further down is the body's).
:func:`body_lines` cuts the body at the closing formula ("... thông báo để ... biết", "./.", "Nơi
nhận:", "TL./KT./TM. ...").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.notices import deadlines as dl
from bot.notices.normalize import fold, fold_str, guess_plain, kw
from bot.notices.reading import lexicon as lex
from bot.notices.reading.context import Context
from bot.notices.reading.outline import _DASH_RE, _NUM_RE, _ROMAN_RE, _ends_sentence, _mostly_upper

__all__ = ["Header", "find_kind", "read_header", "body_lines"]


@dataclass
class Header:
    """What the header says; ``body_start`` is the index of the first line of the body."""

    number: str | None = None
    issued: dt.date | None = None
    issuer: str | None = None
    kind: str | None = None
    title: str | None = None
    body_start: int = 0

    def fields(self) -> dict:
        """The header's part of the reading's ``notice`` (``meeting_on`` is the preamble's)."""
        return {"number": self.number, "issued_on": self.issued.isoformat() if self.issued else None,
                "issuer": self.issuer, "kind": self.kind, "title": self.title}


# ---------------------------------------------------------------- places (issuer names)

_PROVINCES = [
    "Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế", "An Giang", "Bà Rịa - Vũng Tàu",
    "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre", "Bình Định", "Bình Dương", "Bình Phước",
    "Bình Thuận", "Cà Mau", "Cao Bằng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai",
    "Hà Giang", "Hà Nam", "Hà Tĩnh", "Hải Dương", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa",
    "Kiên Giang", "Kon Tum", "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An",
    "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh",
    "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế",
    "Tiền Giang", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
]
_PROVINCE_KEYS = {re.sub(r"[^a-z ]", "", fold_str(p)).replace("  ", " "): p for p in _PROVINCES}
_UNITS = {"tinh": "tỉnh", "thanh pho": "thành phố", "tp": "thành phố", "huyen": "huyện", "quan": "quận",
          "thi xa": "thị xã", "tx": "thị xã", "xa": "xã", "phuong": "phường", "thi tran": "thị trấn",
          "dac khu": "đặc khu"}


def _place_name(written: str) -> str:
    key = " ".join(re.findall(r"[a-z]+", guess_plain(written)))
    if key in _PROVINCE_KEYS:
        return _PROVINCE_KEYS[key]
    best, score = None, 0.0
    for k, name in _PROVINCE_KEYS.items():
        s = fuzz.ratio(key, k)
        if s > score:
            best, score = name, s
    if best and score >= 85:
        return best
    words = written.split()
    return " ".join(w[:1].upper() + w[1:].lower() for w in words)


# ---------------------------------------------------------------- patterns


# ---------------------------------------------------------------- patterns

_KIND_LINE = kw(r"(?P<k>thong bao(?: ket luan)?|ket luan|chi thi)(?P<rest>.*)", bounded=False)
_KINDS = {"thong bao": "Thông báo", "ket luan": "Kết luận", "chi thi": "Chỉ thị"}
_MOTTO = [kw(lex.MOTTO_NAME), kw(lex.MOTTO_WORDS)]
_NUMBER = re.compile(r"(?<![a-z])s[a-z*]{0,2}\s*[:.]?\s*(?P<n>\d{1,5})\s*/\s*(?P<s>[a-z0-9&*]+(?:\s*-\s*[a-z0-9&*]+)*)")
_NUMBER_BARE = re.compile(r"(?P<n>\d{1,5})\s*/\s*(?P<s>[A-ZĐ][A-ZĐ0-9&]*(?:\s*-\s*[A-ZĐ0-9&]+)*)")
_PLACE_DATE = re.compile(r"[^,\d\n]{2,40},\s*$")
_ISSUER_ORG = kw(r"(?:uy ban nhan dan|ubnd) (?P<u>tinh|thanh pho|tp|huyen|quan|thi xa|tx|xa|phuong|thi tran|dac khu)"
                 r"\s*(?P<name>.*)", bounded=False)
_BODY_OPENER = kw("(?:" + lex.alternation(lex.BODY_OPENERS) + ")(?![a-z*])", bounded=False)
_END_LINE = kw(lex.END_LINE, bounded=False)
_CLOSING = kw(lex.CLOSING, bounded=False)


# ---------------------------------------------------------------- the header


def find_kind(lines: list[str]) -> int | None:
    """The index of the kind line ("THÔNG BÁO", "KẾT LUẬN", "CHỈ THỊ") among the first lines, if any."""
    for i, ln in enumerate(lines[:80]):
        s = ln.strip()
        if not s or len(s) > 120:
            continue
        f = " ".join(fold_str(s).split())
        m = _KIND_LINE.match(f)
        if not m:
            continue
        rest = m.group("rest").strip(" :.-")
        if rest and not (_mostly_upper(s) and len(s) < 100):
            continue
        if not rest or _mostly_upper(s):
            return i
    return None


def read_header(lines: list[str], kind_at: int | None, ctx: Context) -> Header:
    """Read the header above the kind line at ``kind_at`` (None: a directive without one); sets
    ``ctx.issued``."""
    h = Header()
    head = lines[:kind_at] if kind_at is not None else lines[:12]
    joined = "\n".join(ln.strip() for ln in head if ln.strip())
    f = fold(joined)
    cut: list[tuple[int, int]] = []
    for pat in _MOTTO:
        for m in pat.finditer(f.text):
            cut.append((m.start(), m.end()))
    m = _NUMBER.search(f.text)
    if m:
        suffix = re.sub(r"\s+", "", f.span(m.start("s"), m.end("s"))).strip("-.,")
        h.number = f"{m.group('n')}/{suffix}"
        cut.append((m.start(), m.end()))
    for a, b, date in dl.find_dates(joined):
        if date is not None and h.issued is None:
            h.issued = date
        fa = next((i for i, p in enumerate(f.pos) if p >= a), len(f.text))
        fb = next((i for i, p in enumerate(f.pos) if p >= b), len(f.text))
        # the place before the date ("Bình Định, ngày ...") goes with it
        pm = _PLACE_DATE.search(f.text[:fa])
        cut.append((pm.start() if pm else fa, fb))
    cut.sort()
    keep, k = [], 0
    for a, b in cut:
        if a > k:
            keep.append(f.span(k, a))
        k = max(k, b)
    keep.append(f.span(k, len(f.text)))
    pieces: list[str] = []
    for line in "\n".join(keep).split("\n"):
        rest = " ".join(line.split()).strip(" ,-–_")
        if len(re.sub(r"[\W\d_]", "", rest)) >= 2:
            pieces.append(rest)
    if h.issued is None:
        joined = " ".join(ln.strip() for ln in head if ln.strip())
        for _, _, date in dl.find_dates(joined):
            if date is not None:
                h.issued = date
                break
    if h.number is None:
        for ln in head:
            m = _NUMBER_BARE.search(ln)
            if m:
                suffix = re.sub(r"\s+", "", m.group(2))
                h.number = f"{m.group(1)}/{suffix}"
                break
    h.issuer = _issuer([p for p in pieces if not re.fullmatch(r"[-_=.*\s]+", p)], ctx)
    ctx.issued = h.issued
    if kind_at is None:
        h.body_start = _body_start_without_kind(lines)
        return h
    # kind and title
    kline = lines[kind_at].strip()
    f = " ".join(fold_str(kline).split())
    m = _KIND_LINE.match(f)
    key = "thong bao" if kw("thong bao").match(m.group("k")) else (
        "ket luan" if kw("ket luan").match(m.group("k")) else "chi thi")
    h.kind = _KINDS[key]
    title_lines: list[str] = []
    first_rest = m.group("rest").strip(" :.-")
    if first_rest and key == "thong bao" and kw("ket luan").match(first_rest):
        first_rest = ""
    if first_rest:
        # the text after the kind word on the same line: cut from the original line
        ff = fold(kline)
        km = kw("thong bao|ket luan|chi thi").search(ff.text)
        if km:
            title_lines.append(ff.span(km.end(), len(ff.text)).strip(" :.-"))
    i = kind_at + 1
    while i < len(lines) and not lines[i].strip() and not title_lines and i < kind_at + 3:
        i += 1
    while i < len(lines):
        s = lines[i].strip()
        if not s:
            break
        if re.fullmatch(r"[-_=.*\s]{3,}", s):
            i += 1
            break
        if title_lines and (_BODY_OPENER.match(fold_str(s)) and re.search(r"\d", s[:30]) or
                            _NUM_RE.match(s) or _ROMAN_RE.match(s)):
            break
        if len(title_lines) >= 8:
            break
        title_lines.append(s)
        i += 1
    if title_lines:
        title = " ".join(" ".join(title_lines).split())
        if _mostly_upper(title):
            title = title[:1] + title[1:].lower()
        elif title[:1].islower() and not first_rest:
            # "KẾT LUẬN / của Chủ tịch UBND tỉnh tại ...": the kind starts the title
            title = f"{h.kind} {title}"
        h.title = title
    h.body_start = i
    return h


def _body_start_without_kind(lines: list[str]) -> int:
    seen_number = seen_date = False
    for i, ln in enumerate(lines[:40]):
        f = " ".join(fold_str(ln).split())
        if any(p.search(f) for p in _MOTTO):
            continue
        number, date = bool(_NUMBER.search(fold_str(ln))), bool(dl.find_dates(ln))
        if (number and not seen_number) or (date and not seen_date):
            # the header's number and date ("Số: 9387/UBND-KT   Lào Cai, ngày 15 tháng 9 năm 2026");
            # dates further down are the body's ("Thực hiện Kế hoạch số 77/KH-BYT ngày 20/10/2026 ...")
            seen_number, seen_date = seen_number or number, seen_date or date
            continue
        if (number or date) and not (seen_number and seen_date):
            continue
        if len(ln.strip()) > 60 and not _mostly_upper(ln):
            return i
    return 0


def _issuer(pieces: list[str], ctx: Context) -> str | None:
    if not pieces:
        return None
    joined = " ".join(pieces)
    f = " ".join(fold_str(joined).replace("*", "o").split())
    m = _ISSUER_ORG.search(f)
    if m:
        unit = " ".join(m.group("u").split())
        unit_vi = _UNITS.get(unit, unit)
        written = m.group("name").strip()
        # name as written: the same number of words at the end of the original
        name_words = written.split()
        orig_words = joined.split()
        name_orig = " ".join(orig_words[-len(name_words):]) if name_words else ""
        # the issuer's own office may follow ("UBND TỈNH X / VĂN PHÒNG"): keep it simple
        office = None
        if unit in ("tinh", "thanh pho", "tp"):
            words = name_orig.split()
            place = ""
            for k in range(len(words), 0, -1):  # "NGHỆ AN VĂN PHÒNG": the place, then an office
                cand = _place_name(" ".join(words[:k]))
                if cand in _PROVINCES:
                    place, office = cand, " ".join(words[k:])
                    break
            if not place:
                place = _place_name(name_orig) if name_orig else ""
        else:
            place = " ".join(w[:1].upper() + w[1:].lower() for w in name_orig.split())
        if office:
            if kw("van phong").fullmatch(" ".join(fold_str(office).split())):
                return f"Văn phòng Ủy ban nhân dân {unit_vi} {place}"
            m2 = ctx.resolve(office)
            if m2 is not None and getattr(m2, "sure", False) and getattr(m2, "agency", None) is not None:
                name = m2.agency.name
                return f"{name} {place}" if fold_str(name).endswith(unit) else f"{name} {unit_vi} {place}"
        return f"Ủy ban nhân dân {unit_vi} {place}".strip()
    m = ctx.resolve(pieces[-1])
    if m is not None and getattr(m, "sure", False) and getattr(m, "agency", None) is not None:
        return m.agency.name
    s = " ".join(joined.split())
    return s[:1] + s[1:].lower() if _mostly_upper(s) else s


# ---------------------------------------------------------------- the body


def body_lines(lines: list[str], start: int) -> list[str]:
    """The body's lines from ``start`` up to the closing formula."""
    body: list[str] = []
    prev_end = True
    prev_blank = True
    for ln in lines[start:]:
        s = ln.strip()
        f = " ".join(fold_str(s).split())
        if s and _END_LINE.search(f[:80]) and (not body or prev_end or prev_blank):
            break
        if s and (prev_blank or prev_end) and body and _CLOSING.match(f) and not _NUM_RE.match(s) \
                and not _DASH_RE.match(s):
            break
        if "./." in s:
            body.append(s[: s.index("./.") + 1])
            break
        body.append(ln)
        if s:
            prev_end = _ends_sentence(s)
            prev_blank = False
        else:
            prev_blank = True
    return body
