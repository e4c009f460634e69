"""OCR-tolerant folding of Vietnamese text, for keyword matching.

Text reaches the reader in every state: clean Unicode (composed or decomposed),
no diacritics at all, or OCR output from an engine without Vietnamese where
"Sở Nội vụ" reads "S¢ No6i vu", "Đầu tư" reads "Pau tu" and "trước" reads
"trwéc". Matching keywords on such text needs both sides folded the same way:

* :func:`fold` turns text into lowercase ASCII plus ``*`` (an unknown vowel),
  and keeps, for every folded character, the index of the original character it
  came from, so that a span found in the folded text can be cut from the
  original text (``Folded.span``).
* :func:`kw` compiles a keyword pattern written in plain ASCII ("phoi hop voi")
  into a regex on folded text where every vowel slot also accepts the usual OCR
  stand-ins (``*``, and ``b``/``d`` which OCR engines print for stacked vowels:
  "phbi hop", "ndm", "cdc").

Nothing here knows about notices; it is shared by the reader and the deadline
finder.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Folded", "fold", "fold_str", "kw", "clean_text", "strip_diacritics", "guess_plain", "p_as_d", "VOWELS"]

VOWELS = "aeiouy"
_VOWEL_SLOT = "[aeiouy*bd]"  # a vowel in a pattern accepts OCR stand-ins
_VOWEL_SLOT_INITIAL = "[aeiouy*]"
_WORD = "a-z0-9*"

# Characters OCR engines print for Vietnamese vowels with stacked marks.
_STANDIN = {"¢": "o", "€": "e", "£": "e", "¥": "y", "©": "o", "®": "o", "@": "a", "$": "s", "ø": "o", "œ": "o"}
_SPACES = {"\u00a0", "\u2007", "\u202f", "\u2009", "\u200a", "\u2002", "\u2003", "\t", "\u3000"}
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_DASHES = {"\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"}


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One character folded: '' (dropped), or one character."""
    if ch in _INVISIBLE:
        return ""
    if ch in _SPACES:
        return " "
    if ch in _DASHES:
        return "-"
    if ch in "\r\n":
        return "\n"
    if ch in ("đ", "Đ", "ð", "Ð"):
        return "d"
    if ch in _STANDIN:
        return _STANDIN[ch]
    if ch == "w" or ch == "W":
        return "u"  # no w in Vietnamese: OCR prints it for ư
    base = unicodedata.normalize("NFD", ch)
    if not base:
        return ""
    first = base[0]
    if unicodedata.combining(first):
        return ""
    first = first.lower()
    if len(first) != 1:
        first = first[0]
    if first.isascii():
        return first
    # other letters with no ASCII base (ı, ł, ...): keep something word-like
    if first.isalpha():
        return "*"
    if first.isdigit():
        return "0"
    return first if first.isspace() else "."


@dataclass(frozen=True)
class Folded:
    """Folded text plus, for each folded character, its index in the original."""

    original: str
    text: str
    pos: tuple[int, ...]  # len(text) + 1 entries; the last is len(original)

    def start(self, i: int) -> int:
        return self.pos[i]

    def end(self, j: int) -> int:
        """Original end index for a folded end index ``j`` (exclusive)."""
        if j <= 0:
            return self.pos[0]
        return self.pos[j - 1] + 1

    def span(self, i: int, j: int) -> str:
        """The original text behind folded ``text[i:j]``."""
        if j <= i:
            return ""
        return self.original[self.start(i):self.end(j)]


_TOKEN = re.compile(r"[a-z0-9*&]+")
_P_AS_D = re.compile(r"(?<![a-z0-9*])p(?=[aeiouy*])")


def fold(text: str) -> Folded:
    """Fold ``text`` for matching; see the module docstring."""
    chars: list[str] = []
    pos: list[int] = []
    for i, ch in enumerate(text):
        f = _fold_char(ch)
        if f:
            chars.append(f)
            pos.append(i)
    s = "".join(chars)
    out = list(s)
    # '&' glued to the end of a word is a vowel ("S&" = Sở, "K&" = Kế); between letters it is
    # an abbreviation ("KH&ĐT") and stays.
    for m in _TOKEN.finditer(s):
        tok = m.group()
        a = m.start()
        if "&" in tok:
            for k, c in enumerate(tok):
                if c != "&" or k == 0:
                    continue
                if k == len(tok) - 1:
                    out[a + k] = "*"
                else:
                    # "KH&ĐT" (capitals around) is an abbreviation; "thu&ng" is a vowel
                    left, right = text[pos[a + k - 1]], text[pos[a + k + 1]]
                    if not (left.isupper() or left == "Đ") or not (right.isupper() or right == "Đ"):
                        out[a + k] = "*"
        digits = [k for k, c in enumerate(tok) if c.isdigit()]
        letters = sum(1 for c in tok if c.isalpha() or c == "*")
        if len(digits) == 1 and letters and len(tok) <= 8:
            k = digits[0]
            c = tok[k]
            prev = out[a + k - 1] if k > 0 else ""
            nxt = tok[k + 1] if k + 1 < len(tok) else ""
            if c == "1" and nxt.isalpha():
                out[a + k] = "l"
            elif c == "0":
                out[a + k] = "o"
            else:
                # a vowel ("s6" = số) or a diacritic after one ("No6i" = Nội): an unknown vowel either
                # way; pattern vowel slots accept one extra
                out[a + k] = "*"
    s2 = "".join(out)
    if len(s2) != len(s):  # some characters dropped: rebuild positions
        pos = [p for p, c in zip(pos, out) if c]
        s2 = "".join(c for c in out if c)
    s2 = _P_AS_D.sub("d", s2)
    pos.append(len(text))
    return Folded(text, s2, tuple(pos))


def fold_str(text: str) -> str:
    return fold(text).text


def guess_plain(text: str) -> str:
    """A best-effort plain lowercase ASCII reading of noisy text ("S¢ No6i vu" → "so noi vu")."""
    s = re.sub(r"(?<=[aeiouy])\*", "", fold_str(text)).replace("*", "o")
    return re.sub(r"\s+", " ", s).strip()


_CAPS_TOKEN = re.compile(r"\b[A-ZĐ&-]*P[A-ZĐ&-]*\b")


def p_as_d(text: str) -> str:
    """OCR prints "Đ" as "P": "LP-TB&XH" → "LĐ-TB&XH", in upper-case tokens only."""
    def fix(m: re.Match[str]) -> str:
        tok = m.group()
        if len(tok) < 2 or tok in ("TP", "TTP"):
            return tok
        return tok[0] + tok[1:].replace("P", "Đ")

    return _CAPS_TOKEN.sub(fix, text)


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics, keeping case ("Đầu tư" → "Dau tu")."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def clean_text(text: str) -> str:
    """Unicode-normalise text as it arrives: NFC, one kind of newline, no invisible characters, odd
    spaces made plain (tabs kept)."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n").replace("\v", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    for ch in _INVISIBLE:
        if ch in text:
            text = text.replace(ch, "")
    for ch in _SPACES:
        if ch in text and ch != "\t":  # tabs stay: they separate the cells of a table written as text
            text = text.replace(ch, " ")
    # other control characters are noise
    return re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", " ", text)


# ---------------------------------------------------------------- keyword patterns

_VOWEL_RUN = re.compile(r"[aeiouy]+")


def _fuzz_word(word: str) -> str:
    out = []
    k = 0
    for m in _VOWEL_RUN.finditer(word):
        out.append(re.escape(word[k:m.start()]))
        n = len(m.group())
        lo, hi = (n - 1 if n >= 3 else n), n + 1
        # "b"/"d" stand in for a stacked vowel inside a word ("phbi"), never at its start: "yeu cau"
        # must not match "bao cao"
        slot = _VOWEL_SLOT if m.start() else _VOWEL_SLOT_INITIAL
        out.append(f"{slot}{{{lo},{hi}}}")
        k = m.end()
    out.append(re.escape(word[k:]))
    return "".join(out)


_SYNTAX = re.compile(
    r"\\.|\[[^\]]*\]|\(\?P<\w+>|\(\?:|\(\?[=!<][=!]?|\{\d*,?\d*\}|[a-z]+|[ ]+|,|.",
    re.S,
)


@lru_cache(maxsize=None)
def kw(pattern: str, bounded: bool = True, strict: bool = False) -> re.Pattern[str]:
    """Compile an ASCII keyword pattern into an OCR-tolerant regex on folded text.

    The pattern is a regex whose plain lowercase letter runs are fuzzed (vowel slots
    accept OCR stand-ins), a space means "some whitespace", a comma "an optional
    comma with spaces". Escapes, classes, groups and quantifiers pass through.

    ``strict``: only a vowel that folding could not read is tolerated (each vowel is itself
    or "*": "so" is ``s[o*]``), spaces and commas stay literal; for the heads of names
    ("sở", "cục", "trung tâm"), where a looser match would take common words for agencies.
    """
    out = []
    for m in _SYNTAX.finditer(pattern):
        tok = m.group()
        if strict:
            if tok[0].isalpha() and tok.islower() and not tok.startswith("\\"):
                out.append("".join(f"[{c}*]" if c in "aeiouy" else re.escape(c) for c in tok))
            else:
                out.append(tok)
            continue
        if tok[0].isalpha() and tok.islower() and not tok.startswith("\\"):
            out.append(_fuzz_word(tok))
        elif tok.startswith(" "):
            out.append(r"\s+")
        elif tok == ",":
            out.append(r"\s*,?\s*")
        else:
            out.append(tok)
    body = "".join(out)
    if bounded:
        body = f"(?<![{_WORD}])(?:{body})(?![{_WORD}])"
    return re.compile(body)
