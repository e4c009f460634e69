"""Stage 3 of the reader: the outline of a notice's body.

Input: the body's lines (after the header, without page furniture, tables replaced by markers).
Output: a tree of :class:`Node` (Roman sections, numbered items, sub-numbers, letters, dashes,
paragraphs) and the preamble (the lines before the first item), built by :class:`Outline`, whose
marker rules sit in a registry (:attr:`Outline.RULES`, in the manner of Python-Markdown's block
processors): Roman, sub-number, number, garbled number (OCR), letter, dash. A marker counts only
at a sentence boundary, so wrapped lines never start items. A directive with no numbering is read
paragraph by paragraph after its opening ("... có ý kiến chỉ đạo như sau:").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.notices.normalize import fold_str, kw
from bot.notices.reading import lexicon as lex

__all__ = ["Node", "Outline", "build_outline", "outline_body", "OutlineResult"]

_ROMAN_RE = re.compile(r"^\s*(?P<m>[IVX]{1,5})\s*[.):/-]\s*(?P<rest>\S.*)?$")
_NUM_RE = re.compile(r"^\s*(?P<m>\d{1,3})\s*[.)]\s*(?P<rest>[^\d\s.].*)?$")
_SUBNUM_RE = re.compile(r"^\s*(?P<n>\d{1,2})\.(?P<s>\d{1,2})\.?\s+(?P<rest>\S.*)$")
_LETTER_RE = re.compile(r"^\s*(?P<m>[a-zđ])\s*\)\s*(?P<rest>\S.*)$")
_DASH_RE = re.compile(r"^\s*[-–—•+*·]\s*(?P<rest>\S.*)$")
_LETTERS = "abcdđeghiklmnopqrstuvxy"
# letters as offices really use them, "f" too (after "e"): a lettered item may skip letters or run
# out of order ("a, b, c, e", "e, g, f") and keeps its own letter
_LETTERS_ALL = "abcdđefghijklmnopqrstuvwxyz"
# an item number as OCR may print it ("l." for "1.", "Z." for "2."), and what each digit is confused with
_GARBLED_NUM_RE = re.compile(r"^\s*(?P<m>[0-9lIi|!ZzSsOoBGgqT]{1,2})\s*(?P<sep>[.)])\s+(?P<rest>\S.*)$")
_CONFUSABLE = {"1": "lIi|!7T", "2": "Zz7", "3": "8B", "4": "A", "5": "Ss6", "6": "bG58", "7": "1T",
               "8": "B369", "9": "gq8", "0": "OoDQ"}

_TIME_LINE = kw(lex.TIME_LINE, bounded=False)
_OPEN_ENDED = set(lex.OPEN_ENDED)
_OPENER = kw(lex.OPENER, bounded=False)
_GIAO_START = kw(r"giao(?![a-z0-9*])", bounded=False, strict=True)



@dataclass
class Node:
    kind: str  # roman | num | sub | letter | dash | para (a paragraph after sub-items) | top
    label: str
    lines: list[str] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    parent: "Node | None" = None
    ref: str = ""
    value: int = 0
    gap_from: int | None = None
    misread: str | None = None  # the marker as written, when OCR garbled it
    para_task: bool | None = None  # for a "para": does it assign a task of its own
    tables: list[int] = field(default_factory=list)  # tables of tasks under this node
    breaks: set[int] = field(default_factory=set)  # lines that start a new sentence after a heading

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.lines).split())

    @property
    def atext(self) -> str:
        """The text for reading names and times: a heading and the sentence after it stay apart
        ("3. Về cải cách tổ chức bộ máy" / "Giao Sở Nội vụ:"), so that neither glues onto a name."""
        if not self.breaks:
            return self.text
        parts: list[list[str]] = [[]]
        for k, ln in enumerate(self.lines):
            if k in self.breaks and parts[-1]:
                parts.append([])
            parts[-1].append(ln)
        return "\n".join(" ".join(" ".join(p).split()) for p in parts)


def _roman_value(s: str) -> int:
    vals = {"I": 1, "V": 5, "X": 10, "L": 50}
    total = 0
    for i, c in enumerate(s):
        v = vals[c]
        total += -v if i + 1 < len(s) and vals[s[i + 1]] > v else v
    return total


def _to_roman(n: int) -> str:
    out = []
    for v, s in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def _ends_sentence(line: str) -> bool:
    s = line.rstrip()
    return not s or s[-1] in ".:;!?…\"”’)»"


def _mostly_upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.7 * len(letters)


class Outline:
    def __init__(self, lines: list[str], allow_top_dashes: bool, paragraphs: bool = False) -> None:
        self.root = Node("top", "")
        self.preamble: list[str] = []
        self.lines = lines
        self.allow_top_dashes = allow_top_dashes
        self.section: Node | None = None
        self.item: Node | None = None  # current numbered item
        self.letter: Node | None = None
        self.dash: Node | None = None
        self.sub: Node | None = None  # current sub-number (8.1., 8.2., ...) of the numbered item
        self.spara: Node | None = None  # current plain paragraph of a section without numbering
        self.current: Node | None = None
        self.last_num = 0
        self.section_nums = 0
        self.restarts = False
        self.prev_line: str | None = None
        self.prev_blank = True
        self.prev_heading = False
        self.prev_marker = False
        self.median: int | None = None
        # a directive written in plain paragraphs ("Giao Sở X ...", "Đề nghị Y ..."): after the opening
        # ("... có ý kiến chỉ đạo như sau:"), each paragraph is an item
        self.paragraphs = paragraphs
        self.opened = False
        indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
        self.base_indent = min(indents) if indents else 0
        self.indented = sum(1 for k in indents if k >= self.base_indent + 3) >= 2

    def _paragraph_start(self, raw: str, line: str) -> bool:
        """In a directive of plain paragraphs: a line after the opening that starts a paragraph (after a
        sentence's end, and indented when the text shows paragraphs by indenting)."""
        if not self.opened or not line[:1].isupper():
            return False
        if self.prev_line is None:
            return True
        if not (_ends_sentence(self.prev_line) or self.prev_blank):
            return False
        if self.indented:
            return len(raw) - len(raw.lstrip()) >= self.base_indent + 3 or self.prev_blank
        return True

    def _short_heading(self, line: str) -> bool:
        """A line without final punctuation, clearly shorter than the text's lines (a paragraph of its
        own, not a line wrapped at the page's width) and not ending on a word that needs more
        ("... phối hợp với"): "5. Về xây dựng chính quyền điện tử, chính quyền số"."""
        if self.median is None:
            lengths = sorted(len(ln.strip()) for ln in self.lines if len(ln.strip()) > 20)
            self.median = lengths[len(lengths) // 2] if lengths else 0
        s = line.rstrip()
        last = fold_str(s.split()[-1]) if s.split() else ""
        return (len(s.split()) <= 16 and len(s) < 0.7 * self.median and not s.endswith((",", "-", "–"))
                and last not in _OPEN_ENDED)

    @staticmethod
    def _marker_with_capital(line: str) -> bool:
        for rx in (_NUM_RE, _LETTER_RE, _DASH_RE):
            m = rx.match(line)
            if m and (m.group("rest") or "")[:1].isupper():
                return True
        return False

    def _attach(self, node: Node, parent: Node) -> None:
        node.parent = parent
        parent.children.append(node)
        self.current = node

    def run(self) -> Node:
        for i, raw in enumerate(self.lines):
            self.i = i
            line = raw.strip()
            if not line:
                self.prev_blank = True
                continue
            boundary = self.prev_line is None or _ends_sentence(self.prev_line) or self.prev_heading
            if self.prev_blank and self.prev_line is not None and line[:1].isupper():
                boundary = True
            if not boundary and self.prev_marker and self._marker_with_capital(line):
                # "7. Trách nhiệm của các sở, ban, ngành, UBND các xã" then "a) Khi ...": the line
                # that opened an item and the marker line below it are a heading and its first item
                boundary = True
            heading = self._try_marker(line, boundary)
            self.prev_marker = heading is not None
            if heading is None and self.paragraphs and self.current is None and not self.preamble \
                    and _GIAO_START.match(fold_str(line)):
                self.opened = True  # the body starts with its first task ("Giao Sở X ...")
            if heading is None and self.paragraphs and self._paragraph_start(raw, line):
                node = Node("para", "", [line])
                self._attach(node, self.root)
                heading = False
            elif heading is None and self.paragraphs and self.current is None and line.rstrip().endswith(":") \
                    and _OPENER.search(fold_str(" ".join(self.preamble[-3:] + [line]))):
                self.preamble.append(line)
                self.opened = True
                heading = False
            elif heading is None:  # a continuation line
                if self.current is None:
                    self.preamble.append(line)
                elif self._section_paragraph(raw, line):
                    # a section whose items lost their numbering (or never had any): after its opening
                    # ("..., Phó Chủ tịch UBND tỉnh yêu cầu:"), each paragraph is an item
                    node = Node("para", "", [line])
                    self._attach(node, self.section)
                    self.spara, self.dash, self.letter = node, None, None
                elif self._new_paragraph(line):
                    # a paragraph after the last dash/lettered item belongs to their header, not to it
                    parent = self.current.parent
                    node = Node("para", "", [line])
                    self._attach(node, parent)
                    if self.dash is not None and self.dash.parent is parent:
                        self.dash = None
                    if self.letter is not None and self.letter.parent is parent:
                        self.letter = None
                else:
                    if self.prev_heading and line[:1].isupper():
                        self.current.breaks.add(len(self.current.lines))
                    self.current.lines.append(line)
                heading = False
            self.prev_heading = heading
            self.prev_line = line
            self.prev_blank = False
        return self.root

    def _section_paragraph(self, raw: str, line: str) -> bool:
        """Whether a line without a marker starts an item of a Roman section that has no numbered or
        lettered items: the section's opening ended with ":" (or an item of this kind came before), the
        line starts a paragraph (the line above ended a sentence or a list's heading, and it is indented
        where the text shows paragraphs by indenting) with a capital."""
        sec = self.section
        if sec is None or self.item is not None or not line[:1].isupper():
            return False
        if any(c.kind in ("num", "letter", "sub") for c in sec.children):
            return False
        cur = self.current
        at_section = cur is sec or (cur is not None and cur.kind == "para" and cur.parent is sec) or (
            cur is not None and cur.kind == "dash" and cur.parent is not None and cur.parent is self.spara)
        if not at_section:
            return False
        opened = sec.lines and sec.lines[-1].rstrip().endswith(":") or any(c is self.spara for c in sec.children)
        if not opened:
            return False
        prev = (self.prev_line or "").rstrip()
        if not (prev.endswith((".", ":", ";", "!", "…")) or self.prev_blank) or prev.endswith("./."):
            return False
        if _TIME_LINE.match(fold_str(line)):
            return False
        if self.indented:
            return len(raw) - len(raw.lstrip()) >= self.base_indent + 3 or self.prev_blank
        return True

    def _new_paragraph(self, line: str) -> bool:
        """Whether a line without a marker, after a dash or lettered item, starts a paragraph of its own:
        the item ended a sentence with a full stop (a list's last item: "...; ...; ...."), the line
        starts with a capital, and a blank line came between or the earlier items ended with ";"/","."""
        node = self.current
        if node is None or node.kind not in ("dash", "letter") or node.parent is None:
            return False
        prev = (self.prev_line or "").rstrip()
        if not prev.endswith((".", "!", "…")) or prev.endswith("./.") or not line[:1].isupper():
            return False
        if _TIME_LINE.match(fold_str(line)):
            return False  # "Thời gian: trong Quý III/2025." below an item is that item's deadline
        if self.prev_blank:
            return True
        siblings = [c for c in node.parent.children if c.kind == node.kind and c is not node]
        if not siblings:
            return False
        return all(c.lines and c.lines[-1].rstrip()[-1:] in ";," for c in siblings[-3:])

    def _lookahead_number(self) -> int | None:
        """The number of the next numbered item below the current line (for a garbled marker)."""
        for ln in self.lines[self.i + 1:self.i + 300]:
            m = _NUM_RE.match(ln)
            if m and m.group("rest") is not None and m.group("rest")[:1].isupper():
                return int(m.group("m"))
        return None

    def _garbled_number(self, line: str) -> bool:
        """"l. Sở Tài chính ..." where "2." or "1." was printed: an item marker OCR misread, taken as the
        expected next number when it looks like it, or when the next item below is the one after."""
        m = _GARBLED_NUM_RE.match(line)
        if not m or not m.group("rest")[:1].isupper():
            return False
        written = m.group("m")
        restart = self.section is not None and self.section_nums == 0 and self.restarts
        expected = 1 if restart else self.last_num + 1
        if written == str(expected):
            return False
        want = str(expected)
        confusable = len(written) == len(want) and all(
            a == b or a in _CONFUSABLE.get(b, "") for a, b in zip(written, want))
        if m.group("sep") == ")" and not written.isdigit():
            return False  # "l)" is a lettered item
        ahead = self._lookahead_number()
        if not ((self.last_num >= 1 and (confusable or ahead == expected + 1)) or (confusable and ahead == expected + 1)):
            return False
        node = Node("num", str(expected), [m.group("rest")], value=expected)
        node.misread = written
        self._attach(node, self.section or self.root)
        self.item, self.letter, self.dash = node, None, None
        self.last_num = expected
        self.section_nums += 1
        return True

    def _try_marker(self, line: str, boundary: bool) -> bool | None:
        """Start a new node if ``line`` opens one (the first rule of :attr:`RULES` that takes it);
        True when it is a heading (no final punctuation), None for a continuation line."""
        if not boundary:
            return None
        for rule in self.RULES:
            heading = rule(self, line)
            if heading is not None:
                return heading
        return None

    def _rule_roman(self, line: str) -> bool | None:
        """A Roman section: I., II., ... in order."""
        m = _ROMAN_RE.match(line)
        if m:
            value = _roman_value(m.group("m"))
            expected = (_roman_value(self.section.label) + 1) if self.section else 1
            late = self.section is None and self.last_num >= 1 and not (
                _mostly_upper(line) or (not _ends_sentence(line) and len(line.split()) <= 12))
            if value == expected and (m.group("rest") or "")[:1] not in ("/",) and not late:
                node = Node("roman", m.group("m"), [m.group("rest") or ""], value=value)
                self._attach(node, self.root)
                self.section, self.item, self.letter, self.dash, self.sub = node, None, None, None, None
                self.spara = None
                self.section_nums = 0
                return not _ends_sentence(line) or _mostly_upper(line)
        return None

    def _rule_subnum(self, line: str) -> bool | None:
        """A sub-number under the current item: 8.1., 8.2., ..."""
        m = _SUBNUM_RE.match(line)
        if m and self.item is not None and int(m.group("n")) == self.item.value:
            s = int(m.group("s"))
            subs = [c for c in self.item.children if c.kind == "sub"]
            if s == len(subs) + 1:
                node = Node("sub", f"{m.group('n')}.{s}", [m.group("rest")], value=s)
                self._attach(node, self.item)
                self.letter, self.dash, self.sub = node, None, node
                return False
        return None

    def _rule_num(self, line: str) -> bool | None:
        """A numbered item: the next number, 1 again in a new Roman section (numbering restarts), or a small gap."""
        m = _NUM_RE.match(line)
        if m and m.group("rest") is not None:
            n = int(m.group("m"))
            ok = n == self.last_num + 1
            gap = None
            if not ok and n == 1 and self.section is not None and self.section_nums == 0 and self.last_num > 0:
                ok = True
                self.restarts = True
            if not ok and self.last_num < n <= self.last_num + 3 and self.last_num > 0 and \
                    _ends_sentence(self.prev_line or ".") and m.group("rest")[:1].isupper():
                ok, gap = True, self.last_num
            if ok:
                node = Node("num", str(n), [m.group("rest")], value=n, gap_from=gap)
                self._attach(node, self.section or self.root)
                self.item, self.letter, self.dash, self.sub = node, None, None, None
                self.spara = None
                self.last_num = n
                self.section_nums += 1
                # "1. Về phát triển du lịch" with "a) ..." below: a heading
                return not _ends_sentence(line) and (_mostly_upper(line) or len(line.split()) <= 10
                                                     or self._short_heading(line))
        return None

    def _rule_garbled_number(self, line: str) -> bool | None:
        """"l. Sở Tài chính ...": a number marker OCR misread (see :meth:`_garbled_number`)."""
        return False if self._garbled_number(line) else None

    def _rule_letter(self, line: str) -> bool | None:
        """A lettered item: a), b), ...; letters may skip or run back one and keep their letters."""
        m = _LETTER_RE.match(line)
        if m:
            # "2.1. Sở X:" then "a) ...": the letters are the sub-number's
            parent = self.sub or self.item or self.section or self.root
            letters = [c for c in parent.children if c.kind == "letter"]
            letter = m.group("m")
            prev = letters[-1].label if letters else None
            used = {c.label for c in letters}
            step = _LETTERS_ALL.find(letter) - _LETTERS_ALL.find(prev) if prev is not None else 0
            nxt_ok = (prev is None and letter == "a") or (
                prev is not None and (_LETTERS.find(letter) == _LETTERS.find(prev) + 1
                                      or (prev == "d" and letter == "e")
                                      or (letter not in used and (1 <= step <= 3 or step == -1)
                                          and m.group("rest")[:1].isupper())))
            if nxt_ok and (parent is not self.root or self.current is not None or letter == "a"):
                node = Node("letter", letter, [m.group("rest")])
                self._attach(node, parent)
                self.letter, self.dash = node, None
                return False
        return None

    def _rule_dash(self, line: str) -> bool | None:
        """A dash item; a "+" under a dash is that dash's detail."""
        m = _DASH_RE.match(line)
        if m:
            mark = line.lstrip()[:1]
            if self.dash is not None and self.current is self.dash and mark != self.dash.label \
                    and mark in "+*•·" and self.dash.label in "-–—":
                # "+ Đối với dự án ...: ..." under "- Chủ trì ..., trong đó:": details of that dash
                self.dash.breaks.add(len(self.dash.lines))
                self.dash.lines.append(line)
                return False
            cur = self.current
            if mark == "+" and cur is not None and cur.kind in ("num", "sub", "letter") and not cur.children \
                    and cur.lines and (cur.lines[-1].rstrip().endswith(":") or any(
                        cur.lines[k].lstrip().startswith("+") for k in cur.breaks if k < len(cur.lines))):
                # "2. Trung tâm X chủ trì ... lập phương án, trong đó:" then "+ Phương án của xã A ...": the
                # "+" lines are details of that item, not items of their own
                cur.breaks.add(len(cur.lines))
                cur.lines.append(line)
                return False
            parent = self.letter or self.item or (self.spara if self.current is self.spara or (
                self.current is not None and self.current.parent is self.spara) else None) or self.section
            if parent is None and self.allow_top_dashes:
                parent = self.root
            if parent is not None:
                node = Node("dash", mark if mark in "-–—+*•·" else "-", [m.group("rest")])
                self._attach(node, parent)
                self.dash = node
                return False
        return None

    #: The marker rules, tried in this order (a registry: a new kind of marker is one more rule).
    RULES: tuple = ()



Outline.RULES = (Outline._rule_roman, Outline._rule_subnum, Outline._rule_num, Outline._rule_garbled_number, Outline._rule_letter, Outline._rule_dash)


@dataclass
class OutlineResult:
    root: Node
    preamble: list[str]
    restarts: bool  # numbering restarts in each Roman section (refs take the section as prefix)


def build_outline(lines: list[str], *, allow_top_dashes: bool, paragraphs: bool = False) -> OutlineResult:
    """The outline of a body (see the module docstring)."""
    parser = Outline(lines, allow_top_dashes, paragraphs)
    root = parser.run()
    return OutlineResult(root, parser.preamble, parser.restarts)


def outline_body(lines: list[str]) -> OutlineResult:
    """The outline of a notice's body: dashes count as top items only where nothing is numbered, and a
    body with no marker at all (a directive) is read paragraph by paragraph."""
    has_numbers = any(_NUM_RE.match(ln) for ln in lines)
    return build_outline(lines, allow_top_dashes=not has_numbers, paragraphs=not has_numbers and not any(
        _LETTER_RE.match(ln) or _is_roman(ln) for ln in lines))


def _is_roman(line: str) -> bool:
    """A Roman section's marker, not "V/v ..." (a Công văn's subject line, left in the body when OCR
    garbled the header around it)."""
    m = _ROMAN_RE.match(line)
    return bool(m) and not (m.group("rest") or "").startswith("/") and not re.match(r"\s*V\s*/", line)
