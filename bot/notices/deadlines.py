"""Deadlines and recurring duties in the text of one task.

Every form the offices write, also in noisy OCR text (matching runs on the
folded text of :mod:`bot.notices.normalize`):

* a day: "trước ngày 31 tháng 3 năm 2024", "chậm nhất ngày 31/3/2024", "31-3-2024",
  "hạn chót 31.3.2024", a day without a year ("trước ngày 30/6": the notice's year);
* a month: "trong tháng 3 năm 2024", "trong tháng 3/2024" (its last day);
  "trước tháng 6/2024" (the day before it starts);
* a quarter: "trong quý II/2024", "quý 2 năm 2024" (its last day); half year:
  "6 tháng đầu năm 2024"; a year: "trong năm 2024" (31 December);
* a relative delay: "trong 15 ngày" (from the notice's date, also "kể từ ngày ký"); from another
  event ("kể từ ngày nhận được hồ sơ", ``problem="from_event"``) or in working days ("trong 10 ngày
  làm việc", ``problem="working_days"``: the reader has no holiday calendar) it has no date, and the
  whole phrase is kept in ``text``;
* recurring duties: "thường xuyên", "hằng tháng"/"hàng tháng", "hằng quý",
  "định kỳ ... trước ngày 25" (no single deadline from those).

A date is only a deadline when a cue introduces it (trước, chậm nhất, hạn,
trong, hoàn thành, ...): "Nghị định số 60/2021/NĐ-CP ngày 21 tháng 6 năm 2021"
is a reference, not a deadline. An impossible date ("31/4/2024") is reported
with ``problem="impossible"`` and no date: never guessed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from bot.notices.normalize import Folded, fold, kw
from bot.notices.reading import lexicon as lex

__all__ = ["Deadline", "Recurring", "find_deadlines", "find_recurring", "find_dates", "pick_deadline"]


@dataclass
class Deadline:
    start: int  # span in the original text
    end: int
    date: dt.date | None
    text: str  # canonical Vietnamese ("trong tháng 3 năm 2024")
    as_written: str
    kind: str  # day | month | quarter | half | year | relative
    problem: str | None = None  # impossible | no_year | working_days | from_event | before_issue | next_year
    year_assumed: bool = False


@dataclass
class Recurring:
    start: int
    end: int
    text: str  # canonical Vietnamese ("định kỳ hằng tháng, trước ngày 25")
    as_written: str
    period: str  # ongoing | daily | weekly | monthly | quarterly | half_yearly | yearly | periodic


_WORDS = {
    "truoc": "trước", "cham": "chậm", "nhat": "nhất", "la": "là", "vao": "vào", "han": "hạn",
    "chot": "chót", "thoi": "thời", "gian": "gian", "hoan": "hoàn", "thanh": "thành", "den": "đến",
    "het": "hết", "xong": "xong", "trong": "trong", "cuoi": "cuối", "vong": "vòng",
    "thuc": "thực", "hien": "hiện", "tien": "tiến", "do": "độ",
}

_Y = r"(?:(?:,? nam |\s*[/.-]\s*)(?P<{}>\d{{4}}))"
_DAY_W = r"(?P<dw>(?:ngay\s*)?(?P<d>\d{1,2}) thang (?P<m>\d{1,2})" + _Y.format("y") + r"?)(?!\s*[/.-]?\s*\d)"
_DAY_N = (r"(?P<dn>(?:ngay\s*)?(?P<d2>\d{1,2})\s*[/.-]\s*(?P<m2>\d{1,2})"
          r"(?:\s*[/.-]\s*(?P<y2>\d{4}|\d{2}))?)(?![\d/.-]*\d)")
_MONTH = r"(?P<mo>thang (?P<mm>\d{1,2})" + _Y.format("my") + r"?)(?!\s*[/.-]?\s*\d)"
_QUARTER = r"(?P<qu>quy (?P<q>[ivl1]{1,4}|[1-4])" + _Y.format("qy") + r"?)(?![a-z0-9*])"
_HALF = r"(?P<ha>(?:6|06|sau) thang (?P<hw>dau|cuoi) nam(?:\s*(?P<hy>\d{4}))?)"
_YEAR = r"(?P<ye>nam (?P<yy>\d{4}))"
_REL = r"(?P<re>(?:vong |thoi han )?(?P<rel>\d{1,3}) ngay(?P<lv> lam viec)?)"
_CUE = (r"(?P<cue>truoc|cham nhat(?: la)?(?: vao)?(?: truoc)?|han chot(?: la)?|"
        r"thoi han(?: hoan thanh)?(?:\s*:)?(?: la)?(?: truoc)?|thoi gian hoan thanh(?:\s*:)?(?: truoc)?|"
        r"thoi gian(?: thuc hien)?\s*:(?: truoc)?|tien do\s*:(?: truoc)?|"
        r"den het|den|xong truoc|hoan thanh(?: truoc| trong| vao| xong truoc)?|trong|cuoi|het)")
_TIME = r"(?:(?P<hh>\d{1,2})\s*(?:gio|h)(?:\s*(?P<mi>\d{1,2})(?:\s*phut)?)?\s*(?:sang|chieu|toi)?,?\s*)?"
_DEADLINE = kw(_CUE + r"\s*:?\s*" + _TIME + r"(?:" + "|".join([_HALF, _DAY_W, _DAY_N, _MONTH, _QUARTER, _YEAR]) + ")")
_RELATIVE = kw(r"trong " + _REL)
_VISION = kw(r"(?:tam nhin|dinh huong|giai doan|muc tieu|\d{4}\s*-|tu nam \d{4})\s*,?\s*$", bounded=False)
# look-alike deadlines: a planned start or a scope ("dự kiến khởi công trước ngày 30/4/2026", "các vị trí
# triển khai thi công trong tháng 4/2026", "là nhiệm vụ hàng đầu trong năm 2026"), unless the clause
# says something is to be finished ("hoàn thành thi công trước ngày 30/6")
_PLAN = lex.rx(lex.PLANS)
_BUILT_IN = kw(r"(?:trien khai )?thi cong\s*$", bounded=False)  # "các vị trí triển khai thi công trong tháng 4"
_COMPLETE = lex.rx(lex.COMPLETION)
_GOAL = lex.rx(("phan dau", "muc tieu"))


def _looks_alike(s: str, at: int) -> bool:
    start = max(0, at - 80)
    for c in ",;.:(\n":
        start = max(start, s.rfind(c, 0, at) + 1)
    clause = s[start:at]
    return bool(_PLAN.search(clause) or _BUILT_IN.search(clause)) and not _COMPLETE.search(clause)


def _year_scope(s: str, at: int) -> bool:
    """"trong năm 2026" in a goal that says how much is to be done that year, not that something is
    finished ("phấn đấu giải ngân trên 95% kế hoạch vốn trong năm 2026"): the year of the target, no
    deadline. "Phấn đấu hoàn thành trong năm 2026" is one."""
    start = max(0, at - 80)
    for c in ",;.:(\n":
        start = max(start, s.rfind(c, 0, at) + 1)
    clause = s[start:at]
    return bool(_GOAL.search(clause)) and not _COMPLETE.search(clause)


# what a relative delay counts from: "(kể từ ngày nhận được văn bản)", ", tính từ ngày ký"
_SINCE = re.compile(r"\s*[,(]?\s*(?P<since>" + kw(r"(?:ke|tinh) tu", bounded=False).pattern +
                    r"(?![a-z0-9*])[^.;:()\n]{1,80}?)(?=\s*(?:[.;:()\n]|,\s*(?:" +
                    kw(r"bao cao|trinh|gui|hoan thanh|dong thoi|va", bounded=False).pattern + r")|$))")
_FROM_ISSUE = kw(r"(?:ke|tinh) tu (?:ngay )?(?:ky|ban hanh|thong bao nay|ky thong bao|ky ban hanh)(?![a-z0-9*])"
                 r"(?! (?:ket|hop dong))", bounded=False)
# a plain date, for headers ("Bình Định, ngày 11 tháng 03 năm 2024", "Hà Nội, 11/3/2024")
_DATE = kw("(?:" + _DAY_W + "|" + _DAY_N + ")")

_ROMAN_Q = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_ROMAN_OUT = {1: "I", 2: "II", 3: "III", 4: "IV"}


def _canon_cue(cue: str) -> str:
    words = re.findall(r"[a-z*]+|:", cue)
    out = []
    for w in words:
        if w == ":":
            out[-1:] = [out[-1] + ":"] if out else []
            continue
        if w in _WORDS:
            out.append(_WORDS[w])
            continue
        for plain, vi in sorted(_WORDS.items(), key=lambda kv: -len(kv[0])):
            if kw(plain).fullmatch(w):
                out.append(vi)
                break
        else:
            out.append(w)
    return " ".join(out)


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _safe_year(y: int) -> bool:
    return 1900 <= y <= 2200


def _date_of(m: re.Match[str], year: int | None) -> tuple[str, dt.date | None, str, str | None, bool]:
    """(kind, date, canonical date phrase, problem, year_assumed) for one matched form."""
    g = m.groupdict()
    before = _canon_cue(g["cue"]).endswith("trước") if g.get("cue") else False
    if g.get("ha"):
        y = int(g["hy"]) if g.get("hy") else year
        first = kw("dau").fullmatch(g["hw"]) is not None
        phrase = f"6 tháng {'đầu' if first else 'cuối'} năm" + (f" {g['hy']}" if g.get("hy") else "")
        if y is None:
            return "half", None, phrase, "no_year", False
        if not _safe_year(y):
            return "half", None, phrase, "impossible", False
        return "half", dt.date(y, 6, 30) if first else dt.date(y, 12, 31), phrase, None, not g.get("hy")
    if g.get("dw") or g.get("dn"):
        words = bool(g.get("dw"))
        d = int(g["d"] if words else g["d2"])
        mth = int(g["m"] if words else g["m2"])
        ys = g["y"] if words else g["y2"]
        raw = (g["dw"] if words else g["dn"])
        has_ngay = raw.lstrip().startswith("ng")
        y = None
        if ys:
            y = int(ys) if len(ys) == 4 else 2000 + int(ys)
        if words:
            phrase = f"ngày {d} tháng {mth}" + (f" năm {y}" if y else "")
        else:
            phrase = ("ngày " if has_ngay else "") + f"{d}/{mth}" + (f"/{y}" if y else "")
        assumed = False
        if y is None:
            if year is None:
                return "day", None, phrase, "no_year", False
            y, assumed = year, True
        if not (1 <= mth <= 12) or not _safe_year(y) or not (1 <= d <= calendar.monthrange(y, mth)[1]):
            return "day", None, phrase, "impossible", assumed
        return "day", dt.date(y, mth, d), phrase, None, assumed
    if g.get("mo"):
        mth = int(g["mm"])
        ys = g.get("my")
        slash = ys is not None and "/" in g["mo"]
        phrase = f"tháng {mth}" + ((f"/{ys}" if slash else f" năm {ys}") if ys else "")
        y = int(ys) if ys else year
        if y is None:
            return "month", None, phrase, "no_year", False
        if not (1 <= mth <= 12) or not _safe_year(y):
            return "month", None, phrase, "impossible", not ys
        if before:
            return "month", dt.date(y, mth, 1) - dt.timedelta(days=1), phrase, None, not ys
        return "month", _last_day(y, mth), phrase, None, not ys
    if g.get("qu"):
        q = _ROMAN_Q.get(g["q"].replace("l", "i").replace("1", "i") if len(g["q"]) > 1 else g["q"].replace("l", "i"))
        ys = g.get("qy")
        slash = ys is not None and "/" in g["qu"]
        qtxt = _ROMAN_OUT.get(q or 0, g["q"].upper())
        phrase = f"quý {qtxt}" + ((f"/{ys}" if slash else f" năm {ys}") if ys else "")
        y = int(ys) if ys else year
        if q is None:
            return "quarter", None, phrase, "impossible", False
        if y is None:
            return "quarter", None, phrase, "no_year", False
        if not _safe_year(y):
            return "quarter", None, phrase, "impossible", False
        if before:
            return "quarter", dt.date(y, 3 * q - 2, 1) - dt.timedelta(days=1), phrase, None, not ys
        return "quarter", _last_day(y, 3 * q), phrase, None, not ys
    y = int(g["yy"])
    phrase = f"năm {y}"
    if not _safe_year(y):
        return "year", None, phrase, "impossible", False
    return "year", dt.date(y - 1 if before else y, 12, 31), phrase, None, False


def find_deadlines(text: str, year: int | None = None, issued_on: dt.date | None = None,
                   folded: Folded | None = None) -> list[Deadline]:
    """Every deadline expression in ``text``, in order."""
    f = folded or fold(text)
    found: list[Deadline] = []
    if year is None and issued_on is not None:
        year = issued_on.year
    for m in _DEADLINE.finditer(f.text):
        if _VISION.search(f.text, max(0, m.start() - 40), m.start()) and kw("den|den het").fullmatch(m.group("cue")):
            continue  # "giai đoạn 2026 - 2030, tầm nhìn đến năm 2045": the horizon of a plan, not a deadline
        if _looks_alike(f.text, m.start()):
            continue  # "dự kiến khởi công trước ngày 30/4", "là nhiệm vụ hàng đầu trong năm 2026"
        kind, date, phrase, problem, assumed = _date_of(m, year)
        if kind == "year" and kw("trong").fullmatch(m.group("cue")) and _year_scope(f.text, m.start()):
            continue  # "giải ngân trên 95% kế hoạch vốn trong năm 2026": the year the work is in, no deadline
        at = ""
        if m.group("hh"):
            at = f" {int(m.group('hh'))} giờ" + (f" {int(m.group('mi'))} phút" if m.group("mi") else "")
        canon = f"{_canon_cue(m.group('cue'))}{at} {phrase}"
        if date is not None and issued_on is not None and date < issued_on:
            if kind in ("month", "quarter", "year", "half") and not assumed:
                continue  # "kết quả trong năm 2023": a past period, not a deadline
            if assumed:
                date = date.replace(year=date.year + 1) if not (date.month == 2 and date.day == 29) else None
                problem = "next_year" if date else "impossible"
            else:
                problem = "before_issue"
        found.append(Deadline(f.start(m.start()), f.end(m.end()), date, canon,
                              f.span(m.start(), m.end()), kind, problem, assumed))
    for m in _RELATIVE.finditer(f.text):
        n = int(m.group("rel"))
        working = bool(m.group("lv"))
        canon = f"trong {n} ngày" + (" làm việc" if working else "")
        end = m.end()
        since = _SINCE.match(f.text, end)
        from_issue = True
        if since:
            # "kể từ ngày nhận được văn bản": the phrase goes with the delay; only the notice's own
            # date ("kể từ ngày ký") is known here
            end = since.end()
            canon += " " + " ".join(f.span(since.start("since"), end).split())
            from_issue = bool(_FROM_ISSUE.match(f.text, since.start("since")))
        date = None
        problem = "working_days" if working else None
        if not working:
            if not from_issue:
                problem = "from_event"
            elif issued_on is None:
                problem = "no_year"
            elif n <= 3650:
                date = issued_on + dt.timedelta(days=n)
        found.append(Deadline(f.start(m.start()), f.end(end), date, canon,
                              f.span(m.start(), end), "relative", problem, False))
    found.sort(key=lambda d: d.start)
    return found


def pick_deadline(found: list[Deadline]) -> Deadline | None:
    """The task's deadline among several: the first due (the earliest valid date; the others are
    later milestones the warnings name), else the first written."""
    valid = [d for d in found if d.date is not None]
    if valid:
        return min(valid, key=lambda d: (d.date, d.start))
    return found[0] if found else None


def find_dates(text: str, year: int | None = None) -> list[tuple[int, int, dt.date | None]]:
    """Plain dates (no cue needed), for headers: (start, end, date or None if impossible)."""
    f = fold(text)
    out = []
    for m in _DATE.finditer(f.text):
        _, date, _, _, _ = _date_of(m, year)
        out.append((f.start(m.start()), f.end(m.end()), date))
    return out


# ---------------------------------------------------------------- recurring duties

_PERIOD_RE = kw("(?P<p>hang ngay|moi ngay|hang tuan|moi tuan|hang thang|moi thang|hang quy|moi quy|"
                "(?:6|06|sau) thang(?: mot lan)?|nua nam|hang nam|moi nam)")
_ONGOING = kw("thuong xuyen|lien tuc")
_PERIODIC = kw("dinh ky")
_DAY_OF = kw(r"truoc ngay (?P<dd>\d{1,2})(?!\s*(?:[/.-]\s*\d|thang))")


def _period(p: str) -> tuple[str, str]:
    if kw("hang ngay|moi ngay").fullmatch(p):
        return "daily", "hằng ngày"
    if kw("hang tuan|moi tuan").fullmatch(p):
        return "weekly", "hằng tuần"
    if kw("hang thang|moi thang").fullmatch(p):
        return "monthly", "hằng tháng"
    if kw("hang quy|moi quy").fullmatch(p):
        return "quarterly", "hằng quý"
    if kw("hang nam|moi nam").fullmatch(p):
        return "yearly", "hằng năm"
    return "half_yearly", "6 tháng"


def find_recurring(text: str, folded: Folded | None = None) -> list[Recurring]:
    """Recurring duties in ``text`` ("thường xuyên", "hằng tháng", "định kỳ ... trước ngày 25")."""
    f = folded or fold(text)
    s = f.text
    out: list[Recurring] = []
    taken: list[tuple[int, int]] = []

    def add(a: int, b: int, canon: str, period: str) -> None:
        if any(a < y and x < b for x, y in taken):
            return
        taken.append((a, b))
        out.append(Recurring(f.start(a), f.end(b), canon, f.span(a, b), period))

    for m in _PERIODIC.finditer(s):
        a, b = m.start(), m.end()
        # "định kỳ hằng tháng báo cáo kết quả về Phòng Tài chính - Kế hoạch trước ngày 25": the day may
        # come late in the same clause
        clause = re.search(r"[;\n]|\.(?!\d)", s[b:])
        window_end = min(len(s), b + 120, b + clause.start() if clause else len(s))
        head = "định kỳ"
        period = "periodic"
        end = b
        p = _PERIOD_RE.search(s, b, window_end)
        if p and p.start() - b <= 40:
            period, word = _period(p.group("p"))
            head += " " + word
            end = max(end, p.end())
        d = _DAY_OF.search(s, b, window_end)
        parts = [head]
        if d:
            parts.append(f"trước ngày {int(d.group('dd'))}")
            end = max(end, d.end())
        add(a, end, ", ".join(parts), period)
    for m in _PERIOD_RE.finditer(s):
        period, word = _period(m.group("p"))
        if period == "half_yearly" and not kw("mot lan|nua nam").search(m.group()):
            # "6 tháng đầu năm" is a half year, not a recurrence; "báo cáo 6 tháng" is
            if kw("dau|cuoi").match(s, m.end() + 1):
                continue
            if not kw("bao cao|dinh ky|hang").search(s, max(0, m.start() - 30), m.start()):
                continue
        a, b = m.start(), m.end()
        parts = [word]
        d = _DAY_OF.search(s, b, min(len(s), b + 40))
        back = kw("truoc ngay (?P<dd>\\d{1,2})$").search(s, max(0, a - 25), a - 1 if a else 0)
        if d and d.start() - b <= 5:
            parts.append(f"trước ngày {int(d.group('dd'))}")
            b = d.end()
        elif back:
            parts.append(f"trước ngày {int(back.group('dd'))}")
            a = back.start()
        add(a, b, ", ".join(parts), period)
    for m in _ONGOING.finditer(s):
        add(m.start(), m.end(), "thường xuyên" if kw("thuong xuyen").fullmatch(m.group()) else "liên tục",
            "ongoing")
    out.sort(key=lambda r: r.start)
    return out
