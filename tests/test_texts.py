"""The text catalogue: keys used by the code exist, templates format and are valid Telegram HTML,
the English catalogue matches the Vietnamese one, and language switching falls back to Vietnamese.

Keys are found in the source by reading its syntax tree (no import side effects): calls
``t("a.b")`` / ``texts.t("a.b")`` / ``has("a.b")``, any string constant shaped like a key of a
known section (``"progress.forged"`` returned by a checker, ``EditError("notice.bad_date")``), the
bare keys given to the two helpers that prefix a section (``_w`` in the notice reader,
``_text`` in the directory), the ``key = "..."`` class attributes of notice file errors, and
f-string keys, expanded from the table ``FSTRING_VARIANTS`` below. An f-string key that is not in
the table fails the test: add its variants there.
"""
from __future__ import annotations

import ast
import re
import string
import warnings
from pathlib import Path

import pytest

from bot import texts
from bot.emulator.text import EntityParseError, parse_html
from bot.models import Category, Progress, Role

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ["bot", "handlers", "storage"]
SKIP_DIRS = {ROOT / "bot" / "emulator", ROOT / "bot" / "texts"}

VI = texts._catalogue("vi")
EN = texts._catalogue("en")
SECTIONS = {key.split(".", 1)[0] for key in VI}


def _fstring_variants() -> dict[str, list[str]]:
    """f-string key shape ("{}" for each formatted value) -> the values it takes."""
    from bot.app import ADMIN_COMMANDS, GROUP_COMMANDS, LEADER_COMMANDS, PRIVATE_COMMANDS
    from bot.dashboard.api import PAGE_KEYS
    from bot.digest.xlsx import HEADERS
    from storage.errors import InviteError

    return {
        # bot/notices/extract.py: ZipLimit.reason of bot/uploads.py.
        "upload_limits.{}": ["total", "member", "ratio", "doctype", "too_many_members"],
        # bot/app.py: command menus per scope.
        "commands.{}": sorted({*PRIVATE_COMMANDS, *GROUP_COMMANDS, *ADMIN_COMMANDS, *LEADER_COMMANDS}),
        # bot/cards.py: doubtful fields, guarded by `if f in ("lead", "coordinate", "deadline", "ref")`.
        "notice.field_{}": ["lead", "coordinate", "deadline", "ref"],
        # bot/digest/xlsx.py: column headers.
        "digest.{}": list(HEADERS),
        # bot/tracking.py: labels of the enums.
        "tracking.category_{}": [c.value for c in Category],
        "tracking.progress_{}": [p.value for p in Progress],
        "tracking.role_{}": [r.value for r in Role],
        # handlers/registration.py: InviteError.reason.
        "registration.register_code_{}": list(InviteError.REASONS),
        # handlers/notices.py: Notice.state (models.py: draft | published).
        "notice.state_{}": ["draft", "published"],
        # handlers/tracking.py: the office confirms or returns a completion.
        "progress.{}_office": ["confirmed", "returned"],
        "progress.{}_agency": ["confirmed", "returned"],
        # handlers/tracking.py: answer to an extension request.
        "progress.{}": ["extension_approved_agency", "extension_refused_agency"],
        # bot/cards.py: Extension.decision (models.py: None → pending | approved | refused | superseded).
        "progress.decision_{}": ["pending", "approved", "refused", "superseded"],
        # bot/dashboard: viewer roles, API refusals, the page's words (bot/dashboard/api.py PAGE_KEYS).
        "dashboard.role_{}": ["admin", "leader", "agency"],
        "dashboard.api_{}": ["unauthorized", "forbidden", "not_found"],
        "dashboard.page.{}": list(PAGE_KEYS),
        # Built from a helper's bare key / a class attribute: the keys are collected from those.
        "notice_reader.{}": [],
        "directory.{}": [],
        "notice_file.{}": [],
    }


# Helpers that prefix a section to a bare key: (file relative to ROOT, function name) -> section.
PREFIX_HELPERS = {("bot/notices/reader.py", "_w"): "notice_reader", ("bot/directory.py", "_text"): "directory",
                  # the reader's stages (bot/notices/reading/*.py) warn through the same helper
                  **{(p.relative_to(ROOT).as_posix(), "_w"): "notice_reader"
                     for p in sorted((ROOT / "bot" / "notices" / "reading").glob("*.py"))}}
# Files whose classes carry the bare key of a section in a `key = "..."` attribute.
CLASS_KEY_FILES = {"bot/notices/extract.py": "notice_file"}

_KEY_RE = re.compile(r"^([a-z][a-z_]*)\.((?:[a-z][a-z0-9_]*\.)*([a-z][a-z0-9_]*))$")
_NOT_KEY_SUFFIXES = {"txt", "pdf", "docx", "doc", "xlsx", "png", "jpg", "json", "html", "toml", "py", "log"}


def _sources() -> list[Path]:
    files = []
    for d in SOURCE_DIRS:
        for path in sorted((ROOT / d).rglob("*.py")):
            if not any(skip in path.parents for skip in SKIP_DIRS):
                files.append(path)
    return files


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _fstring_shape(node: ast.JoinedStr) -> str:
    parts = []
    for value in node.values:
        parts.append(value.value if isinstance(value, ast.Constant) else "{}")
    return "".join(parts)


def used_keys(files: list[Path] | None = None, root: Path = ROOT
              ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(key -> places it is used, unknown f-string shape -> places) in ``files`` (default: the project)."""
    keys: dict[str, list[str]] = {}
    unknown_shapes: dict[str, list[str]] = {}
    shapes_seen: set[str] = set()

    def add(key: str, where: str) -> None:
        keys.setdefault(key, []).append(where)

    for path in _sources() if files is None else files:
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        in_fstring: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                in_fstring.update(id(v) for v in node.values)
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and node.args:
                name = _call_name(node)
                first = node.args[0]
                if name in ("t", "has"):
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        add(first.value, where)  # must exist, whatever its shape
                    elif isinstance(first, ast.JoinedStr):
                        shape = _fstring_shape(first)
                        shapes_seen.add(shape)
                        if shape not in FSTRING_VARIANTS:
                            unknown_shapes.setdefault(shape, []).append(where)
                        for variant in FSTRING_VARIANTS.get(shape, []):
                            add(shape.replace("{}", variant), where)
                section = PREFIX_HELPERS.get((rel, name))
                if section and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    add(f"{section}.{first.value}", where)
            if rel in CLASS_KEY_FILES and isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                            and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == "key"
                            and isinstance(stmt.value, ast.Constant)):
                        add(f"{CLASS_KEY_FILES[rel]}.{stmt.value.value}", f"{rel}:{stmt.lineno}")
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstring):
                m = _KEY_RE.match(node.value)
                if m and m.group(1) in SECTIONS and m.group(3) not in _NOT_KEY_SUFFIXES:
                    add(node.value, where)
    return keys, unknown_shapes


FSTRING_VARIANTS = _fstring_variants()


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def dummy_values(template: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for _, field, spec, _ in string.Formatter().parse(template):
        if field is not None:
            values[field] = 7 if spec else f"V{len(values)}"
    return values


# ------------------------------------------------------------------------------ Telegram HTML

ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#[xX][0-9a-fA-F]+);")


def html_problems(text: str) -> list[str]:
    """Why ``text`` is not clean Telegram HTML (empty when it is)."""
    problems = []
    stack: list[str] = []
    pos = 0
    outside = []
    for m in _TAG_RE.finditer(text):
        outside.append(text[pos:m.start()])
        pos = m.end()
        closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3).strip()
        if name not in ALLOWED_TAGS:
            problems.append(f"tag <{closing}{name}> not allowed")
            continue
        if closing:
            if attrs:
                problems.append(f"attributes on </{name}>")
            if not stack or stack[-1] != name:
                problems.append(f"</{name}> does not close {('<' + stack[-1] + '>') if stack else 'anything'}")
            else:
                stack.pop()
        else:
            if name == "a":
                if not re.fullmatch(r'href="[^"<>]+"', attrs):
                    problems.append(f"<a {attrs}> needs exactly href=\"...\"")
            elif attrs:
                problems.append(f"attributes on <{name}>")
            stack.append(name)
    outside.append(text[pos:])
    if stack:
        problems.append(f"unclosed <{'>, <'.join(stack)}>")
    for piece in outside:
        for ch in "<>":
            if ch in piece:
                problems.append(f"unescaped {ch!r} in {piece.strip()[:40]!r}")
        for m in re.finditer("&", piece):
            if not _ENTITY_RE.match(piece, m.start()):
                problems.append(f"unescaped '&' in {piece.strip()[:40]!r}")
    if not problems:
        try:
            parse_html(text)
        except EntityParseError as exc:  # what Telegram would answer
            problems.append(f"Telegram refuses it: {exc}")
    return problems


# Texts that never go through Telegram's HTML parser: they must not contain tags or entities.
PLAIN_SECTIONS = {"commands", "tracking", "ocr", "directory", "notice_file", "notice_reader"}
PLAIN_DIGEST_PREFIXES = ("sheet_", "col_", "total_lead", "doc_", "chart_")  # Excel, Word, chart
# Shown as a callback query answer (alert): plain text, at most 200 characters.
CALLBACK_ANSWERS = ["common.not_allowed", "progress.forged", "progress.not_bound", "progress.not_your_task",
                    "progress.task_closed", "progress.ack_button", "progress.only_office",
                    "progress.already_decided", "notice.already_published", "common.stale_button"]


def is_plain(key: str) -> bool:
    section, name = key.split(".", 1)
    return (section in PLAIN_SECTIONS or (section == "digest" and name.startswith(PLAIN_DIGEST_PREFIXES))
            or ".button_" in key or key in CALLBACK_ANSWERS)


CATALOGUES = {"vi": VI, "en": EN}


# ------------------------------------------------------------------------------ tests


def test_catalogues_load_and_english_is_available():
    assert len(VI) > 100
    assert "en" in texts.available_languages()
    assert len(EN) > 100
    for lang, cat in CATALOGUES.items():
        for key, value in cat.items():
            assert isinstance(value, str), f"{lang}: {key} is not a string"
            assert value.strip(), f"{lang}: {key} is empty"


def test_key_finder_sees_direct_indirect_and_fstring_keys():
    keys, _ = used_keys()
    assert "progress.forged" in keys  # returned by a checker, passed to t() later
    assert "notice.bad_date" in keys  # EditError("notice.bad_date")
    assert "notice_reader.note" in keys  # _w("note")
    assert "directory.not_listed" in keys  # _text("not_listed")
    assert "notice_file.needs_ocr" in keys  # class attribute
    assert "tracking.category_open_overdue" in keys  # f-string, enum
    assert "registration.register_code_expired" in keys  # f-string, InviteError.REASONS
    assert "digest.col_days_overdue" in keys  # f-string, xlsx headers
    assert len(keys) > 200


def test_every_key_used_in_the_code_exists():
    keys, unknown_shapes = used_keys()
    assert not unknown_shapes, (
        "f-string text keys with unknown values (add them to FSTRING_VARIANTS in tests/test_texts.py): "
        + "; ".join(f"{shape} at {', '.join(where)}" for shape, where in unknown_shapes.items()))
    missing = {key: where for key, where in keys.items() if key not in VI}
    assert not missing, "keys used in the code but absent from vi.toml: " + "; ".join(
        f"{key} ({', '.join(where[:3])})" for key, where in sorted(missing.items()))


def test_key_finder_reports_typos_and_unknown_fstrings(tmp_path):
    source = tmp_path / "handlers" / "typo.py"
    source.parent.mkdir()
    source.write_text(
        "from bot import texts\n"
        "def check(x):\n"
        "    if x:\n"
        "        return 'progress.forgedd'\n"  # typo in an indirect key
        "    texts.t('progres.forged')\n"  # typo in the section of a direct key
        "    texts.t(f'progress.{x}_nowhere')\n"  # an f-string key nobody listed
        "    return 'notice.pdf'\n",  # a file name, not a key
        encoding="utf-8")
    keys, unknown = used_keys([source], root=tmp_path)
    assert {k for k in keys if k not in VI} == {"progress.forgedd", "progres.forged"}
    assert list(unknown) == ["progress.{}_nowhere"]
    assert unknown["progress.{}_nowhere"] == ["handlers/typo.py:6"]


def test_fstring_table_has_no_stale_entries():
    """Every shape in the table is still used somewhere: the table does not rot."""
    shapes = set()
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _call_name(node) in ("t", "has") and node.args \
                    and isinstance(node.args[0], ast.JoinedStr):
                shapes.add(_fstring_shape(node.args[0]))
    assert set(FSTRING_VARIANTS) <= shapes, set(FSTRING_VARIANTS) - shapes


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_templates_format_with_identifier_placeholders(lang):
    bad = []
    for key, template in CATALOGUES[lang].items():
        try:
            fields = placeholders(template)
            template.format(**dummy_values(template))
        except (ValueError, KeyError, IndexError) as exc:
            bad.append(f"{key}: {exc}")
            continue
        bad += [f"{key}: placeholder {{{f}}} is not a name" for f in fields if not f.isidentifier()]
    assert not bad, f"{lang}.toml: " + "; ".join(bad)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_templates_are_clean_telegram_html(lang):
    bad = []
    for key, template in CATALOGUES[lang].items():
        text = template.format(**dummy_values(template))
        problems = html_problems(text)
        if is_plain(key) and ("<" in text or "&" in text):
            problems.append("plain text (buttons, alerts, files, exception messages) must not use HTML")
        bad += [f"{key}: {p}" for p in problems]
    assert not bad, f"{lang}.toml: " + "; ".join(bad)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_telegram_length_limits(lang):
    cat = CATALOGUES[lang]
    for key, template in cat.items():
        text = template.format(**{k: "NV12" for k in dummy_values(template)})
        if key.startswith("commands."):
            assert 1 <= len(text) <= 256, f"{lang}: {key}: a command description is 1-256 characters"
        if ".button_" in key:
            assert len(text) <= 40, f"{lang}: {key}: a button label this long is cut on phones"
        if key.startswith("digest.sheet_"):
            assert len(text) <= 31 and not set(text) & set("[]:*?/\\"), f"{lang}: {key}: not a valid Excel sheet name"
        if key in CALLBACK_ANSWERS:
            assert len(text) <= 200, f"{lang}: {key}: a callback answer is at most 200 characters"
        assert len(text) <= 4096, f"{lang}: {key}"


def test_html_checker_catches_what_it_should():
    assert html_problems("<b>x</b> &lt;a&gt; &amp; <a href=\"https://t.me/x?start=A\">y</a>") == []
    assert html_problems("<b>x</i>")
    assert html_problems("<b>x")
    assert html_problems("a < b")
    assert html_problems("a > b")
    assert html_problems("Sở KH&ĐT")
    assert html_problems("<br>")
    assert html_problems("<strong>x</strong>")
    assert html_problems("<a>x</a>")


def test_english_keys_exist_in_vietnamese_with_the_same_placeholders():
    extra = sorted(set(EN) - set(VI))
    assert not extra, f"en.toml keys absent from vi.toml: {extra}"
    differ = [f"{key}: en {sorted(placeholders(EN[key]))} vs vi {sorted(placeholders(VI[key]))}"
              for key in EN if placeholders(EN[key]) != placeholders(VI[key])]
    assert not differ, "; ".join(differ)
    untranslated = sorted(set(VI) - set(EN))
    if untranslated:  # falls back to Vietnamese: not an error, but worth translating
        warnings.warn(f"{len(untranslated)} text(s) not in en.toml yet: {', '.join(untranslated)}")


def test_english_keeps_the_markup_of_vietnamese():
    """Same tags in the same numbers: a message is not bold in one language and plain in the other."""
    differ = []
    for key in EN:
        tags_en = sorted(m.group(0) for m in re.finditer(r"</?[a-z-]+", EN[key]))
        tags_vi = sorted(m.group(0) for m in re.finditer(r"</?[a-z-]+", VI[key]))
        if tags_en != tags_vi:
            differ.append(f"{key}: en {tags_en} vs vi {tags_vi}")
    assert not differ, "; ".join(differ)


def test_english_is_english():
    """No Vietnamese left untranslated, except proper names (agency names, the notice's own words)."""
    vietnamese_letters = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
    names = re.compile(r"\([^()]*\)|«[^»]*»|\"[^\"]*\"|“[^”]*”|Sở [A-ZĐ]\w+( [a-zđ]\w+)*|UBND|Thông báo kết luận"
                       r"|Văn phòng UBND tỉnh|thường xuyên|hằng tháng|quý [IV]+|tesseract-ocr-vie|<code>[^<]*</code>")
    leftover = []
    for key, value in EN.items():
        rest = names.sub("", value)
        if vietnamese_letters.search(rest):
            leftover.append(f"{key}: {rest.strip()[:60]!r}")
    assert not leftover, "; ".join(leftover)


@pytest.fixture
def english():
    texts.set_language("en")
    try:
        yield
    finally:
        texts.set_language(texts.DEFAULT_LANGUAGE)


def test_set_language_english_and_fallback(english, monkeypatch):
    assert texts.t("common.yes") == EN["common.yes"] != VI["common.yes"]
    assert texts.t("tracking.days_overdue", days=3) == EN["tracking.days_overdue"].format(days=3)
    assert "Sở A &amp; B" in texts.t("registration.unregister_done", agency="Sở A & B")
    # A key the English catalogue lacks falls back to Vietnamese.
    monkeypatch.setitem(texts._catalogue("vi"), "test_only.vi_only", "Chỉ có tiếng Việt {x}")
    assert texts.t("test_only.vi_only", x="<1>") == "Chỉ có tiếng Việt &lt;1&gt;"
    assert texts.has("test_only.vi_only")
    with pytest.raises(KeyError):
        texts.t("test_only.nowhere")


def test_language_is_restored_after_english(english):
    texts.set_language("vi")
    assert texts.t("common.yes") == VI["common.yes"]


def test_default_language_is_vietnamese():
    assert texts._language == "vi"
    assert texts.t("common.yes") == "Có"


def test_config_accepts_english():
    """bot/config.py checks the language against the catalogues present."""
    from bot.config import ConfigError, parse_config

    assert {"vi", "en"} <= set(texts.available_languages())
    good = {"people": {"admins": [1]}}
    token = "123456:" + "A" * 35
    assert parse_config({**good, "language": "en"}, token=token).language == "en"
    with pytest.raises(ConfigError, match="'fr' has no catalogue"):
        parse_config({**good, "language": "fr"}, token=token)


def test_plain_texts_are_not_escaped_and_html_texts_are():
    from bot.texts import plain, t

    assert "Sở KH&ĐT" in plain("digest.doc_overdue_item", code="NV1", agency="Sở KH&ĐT", days=3, deadline="x",
                                text="a < b")
    assert "Sở KH&amp;ĐT" in t("progress.ack", agency="Sở KH&ĐT", code="NV1", status="x", files="")


def test_doubt_warnings_are_plain_text_escaped_once_when_shown():
    from bot.notices.checks import doubt_checks

    result = {"notice": {"issued_on": "2024-03-11"}, "items": [
        {"ref": "1", "text": "Giao Sở A & B", "lead": [{"name": "Sở A & B", "agency_id": None, "group": None,
                                                      "as_written": "Sở A & B"}],
         "coordinate": [], "deadline": None, "warnings": []}], "warnings": []}
    out = doubt_checks(result, "1. Giao Sở A & B", None)
    flagged = [w for w in out["items"][0]["warnings"] if "Sở A" in w]
    assert flagged and all("&amp;" not in w for w in flagged)
