"""The catalogue of every user-facing text.

Texts live in ``<language>.toml`` beside this file, one ``[section]`` per concern
(registration, notice, tracking, reminder, digest, ocr, ...). Look one up with
``t("section.key", name=value)``. Every keyword value is HTML-escaped unless it
is wrapped in :class:`Raw` (use that only for HTML the bot built itself).
An English catalogue (``en.toml``) can sit beside the Vietnamese one; missing
keys fall back to Vietnamese.
"""

from __future__ import annotations

import html
import tomllib
from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "vi"
_language = DEFAULT_LANGUAGE


def escape(value: str) -> str:
    """HTML-escape user-supplied text for Telegram's HTML parse mode."""
    return html.escape(value, quote=False)


class Raw(str):
    """A string that is already safe HTML: not escaped by :func:`t`."""


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = _DIR / f"{language}.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict) -> None:
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = value

    walk("", data)
    return flat


def available_languages() -> list[str]:
    return sorted(p.stem for p in _DIR.glob("*.toml"))


def set_language(language: str) -> None:
    global _language
    _language = language


def has(key: str) -> bool:
    return key in _catalogue(_language) or key in _catalogue(DEFAULT_LANGUAGE)


def plain(key: str, /, **values: object) -> str:
    """The text ``key`` formatted for a plain-text place (a file, a chart, a warning shown later
    through :func:`t`): values are not escaped."""
    return t(key, **{k: Raw(v) if isinstance(v, str) else v for k, v in values.items()})


def t(key: str, /, **values: object) -> str:
    """The text ``key`` in the current language, formatted with escaped values."""
    template = _catalogue(_language).get(key)
    if template is None:
        template = _catalogue(DEFAULT_LANGUAGE).get(key)
    if template is None:
        raise KeyError(f"no text {key!r} in the catalogue")
    safe = {
        k: (v if isinstance(v, Raw) or not isinstance(v, str) else html.escape(v, quote=False))
        for k, v in values.items()
    }
    return template.format(**safe) if safe or "{" in template else template
