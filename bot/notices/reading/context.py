"""The one explicit context of a reading: the directory (resolver), the date of issue, the warnings
of the notice, the tables cut out of the text. Every stage takes it; no stage keeps state of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.notices.normalize import guess_plain, p_as_d
from bot.texts import Raw, t

__all__ = ["Context", "Rebased", "_w"]


def _w(key: str, **values: object) -> str:
    """A warning of the reader, from the texts catalogue (section ``notice_reader``)."""
    return t(f"notice_reader.{key}", **{k: Raw(str(v)) for k, v in values.items()})


@dataclass
class Context:
    """What every stage of one reading shares.

    ``directory`` resolves names (``resolve``, ``resolve_group``, ``group_label``; any of them may be
    missing or fail: a directory bug must not lose the notice); ``text`` is the cleaned text;
    ``issued`` the date of issue once the header is read; ``warnings`` the notice's own warnings;
    ``tables`` the tables of tasks cut out of the text (markers in the lines point into it)."""

    directory: Any
    text: str = ""
    issued: dt.date | None = None
    warnings: list[str] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    _resolved: dict[str, Any] = field(default_factory=dict, repr=False)
    _lowercase: bool | None = field(default=None, repr=False)

    def warn(self, key: str, **values: object) -> None:
        self.warnings.append(_w(key, **values))

    @property
    def lowercase(self) -> bool:
        """Whether the notice is written all in lower case (then names need no capital)."""
        if self._lowercase is None:
            letters = [c for c in self.text if c.isalpha()]
            self._lowercase = sum(c.isupper() for c in letters) < 0.002 * max(1, len(letters))
        return self._lowercase

    def resolve(self, text: str):
        """``directory.resolve(text)``, cached; on noisy text, the plain reading (and "P" read as "Đ" in
        abbreviations: "LP-TB&XH") when that one is sure. None when there is no directory or it fails."""
        if text in self._resolved:
            return self._resolved[text]
        try:
            m = self.directory.resolve(text) if self.directory is not None else None
        except Exception:  # noqa: BLE001 - a directory bug must not lose the whole notice
            m = None
        if m is not None and not getattr(m, "sure", False):
            for variant in dict.fromkeys((guess_plain(text), guess_plain(p_as_d(text)), p_as_d(text))):
                if not variant or variant == text:
                    continue
                try:
                    m2 = self.directory.resolve(variant)
                except Exception:  # noqa: BLE001
                    m2 = None
                if m2 is not None and getattr(m2, "sure", False):
                    m = Rebased(m2, text, variant)
                    break
        self._resolved[text] = m
        return m

    def sure_agency(self, text: str, *, whole: bool = True):
        """The agency ``text`` surely names (all of it when ``whole``), else None."""
        m = self.resolve(text)
        ag = getattr(m, "agency", None) if m is not None else None
        if ag is None or not getattr(m, "sure", False) or (whole and getattr(m, "rest", "")):
            return None
        return ag


class Rebased:
    """A Match found on the plain reading of noisy text, with ``rest`` mapped back to the original."""

    def __init__(self, m: Any, original: str, plain: str) -> None:
        self.__dict__.update({k: getattr(m, k, None) for k in ("agency", "score", "sure", "candidates", "note",
                                                               "group", "listed")})
        rest = getattr(m, "rest", "") or ""
        self.as_written = original
        if rest and plain.endswith(rest):
            words_used = len(plain[: len(plain) - len(rest)].split())
            self.rest = " ".join(original.split()[words_used:])
        else:
            self.rest = ""
