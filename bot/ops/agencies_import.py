"""``dondoc agencies import``: the office's spreadsheet of agencies → a directory file.

Offices keep their directory in Excel or CSV. The first row names the columns, in Vietnamese
or English, with or without diacritics, any case: ``tên``/``name`` (required), ``viết
tắt``/``short``, ``loại``/``kind``, ``nhóm``/``groups``, and optionally ``mã``/``id``. Several
short forms or groups in one cell are separated by ``;`` or ``,``. A kind may be written
in English (department, locality, central, other) or in Vietnamese ("sở, ban, ngành",
"địa phương", "trung ương", "khác", ...). A group may be an id ("so-ban-nganh") or a label
("Các sở, ban, ngành", "Khối kinh tế": a new label becomes a ``[groups]`` entry).

The result has the format of ``agencies.example.toml`` and is checked by loading it as the
bot does. Rows that cannot be taken are reported one per line with their row number.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bot.ops import OpsError

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

# normalised header → field
HEADERS = {
    "name": {"ten", "name", "ten co quan", "ten don vi", "co quan", "don vi", "agency", "agency name",
             "full name", "ten day du"},
    "short": {"viet tat", "ten viet tat", "short", "short name", "short names", "short forms", "abbreviation",
              "abbreviations", "ten goi khac", "ten khac"},
    "kind": {"loai", "kind", "type", "loai co quan", "loai hinh", "phan loai"},
    "groups": {"nhom", "groups", "group", "nhom co quan", "khoi", "thuoc nhom"},
    "id": {"id", "ma", "ma co quan", "ma don vi", "code"},
}

KINDS = {
    "department": {"department", "so", "ban", "nganh", "so ban nganh", "so, ban, nganh", "so nganh",
                   "co quan chuyen mon"},
    "locality": {"locality", "dia phuong", "huyen", "xa", "phuong", "thi tran", "thi xa", "thanh pho",
                 "ubnd huyen", "ubnd xa", "ubnd cap huyen", "ubnd cap xa", "cap huyen", "cap xa"},
    "central": {"central", "trung uong", "co quan trung uong", "tw", "nganh doc"},
    "other": {"other", "khac", "to chuc khac", "doan the", ""},
}


def fold(text: str) -> str:
    """Lowercase, no diacritics (đ → d), spaces collapsed, for comparing headers and kinds."""
    text = unicodedata.normalize("NFD", str(text).strip().lower()).replace("đ", "d")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[_\s]+", " ", text)
    return text.strip(" .:*")


def slug(text: str, limit: int = 40) -> str:
    """``"Sở Kế hoạch và Đầu tư"`` → ``"so-ke-hoach-va-dau-tu"`` (a-z, 0-9, -; at most ``limit``)."""
    words = re.findall(r"[a-z0-9]+", fold(text).replace("&", " va "))
    out = ""
    for w in words:
        nxt = f"{out}-{w}" if out else w
        if len(nxt) > limit:
            break
        out = nxt
    return out or (words[0][:limit] if words else "")


def _split(cell: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;,\n|]", cell or "") if p.strip()]


@dataclass
class ImportResult:
    agencies: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "row N: ..."
    group_labels: dict[str, str] = field(default_factory=dict)
    toml: str = ""


def _rows_csv(data: bytes, name: str) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1258", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise OpsError(f"{name}: not a text file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _rows_xlsx(data: bytes, name: str) -> list[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise OpsError(f"{name}: not a readable .xlsx workbook ({exc})") from None
    try:
        ws = wb.worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def read_rows(path: Path) -> list[list[str]]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OpsError(f"{path}: {exc.strerror}") from None
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data[:2] == b"PK":
        return _rows_xlsx(data, path.name)
    if suffix in (".xls",) or data[:4] == b"\xd0\xcf\x11\xe0":
        raise OpsError(f"{path.name}: old Excel format (.xls); save it as .xlsx or .csv first")
    return _rows_csv(data, path.name)


def _columns(header: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, h in enumerate(header):
        key = fold(h)
        for fld, names in HEADERS.items():
            if key in names and fld not in cols:
                cols[fld] = i
    return cols


def convert(rows: list[list[str]], *, province: str | None = None) -> ImportResult:
    """Rows of the spreadsheet (the first row with a name column is the header) → directory entries."""
    from bot.directory import DEFAULT_GROUP_LABELS, STANDARD_GROUPS, normalise

    res = ImportResult()
    header_at = next((i for i, r in enumerate(rows[:20]) if "name" in _columns(r)), None)
    if header_at is None:
        raise OpsError("no header row naming the column of names (tên / name) in the first 20 rows")
    cols = _columns(rows[header_at])
    label_to_group = {fold(label): gid for gid, label in DEFAULT_GROUP_LABELS.items()}
    ids: dict[str, int] = {}
    forms: dict[str, tuple[int, str]] = {}

    def get(row: list[str], fld: str) -> str:
        i = cols.get(fld)
        return unicodedata.normalize("NFC", row[i].strip()) if i is not None and i < len(row) and row[i] else ""

    for n, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(str(c).strip() for c in row):
            continue  # blank line
        name = " ".join(get(row, "name").split())
        if not name:
            res.problems.append(f"row {n}: no name (column {rows[header_at][cols['name']]!r} is empty)")
            continue
        if not normalise(name):
            res.problems.append(f"row {n}: name {name!r} has no letters")
            continue
        kind_text = get(row, "kind")
        kind = next((k for k, names in KINDS.items() if fold(kind_text) in names), None)
        if kind is None:
            res.problems.append(f"row {n}: {name}: unknown kind {kind_text!r} "
                                "(department/sở ban ngành, locality/địa phương, central/trung ương, other/khác)")
            continue
        aid = get(row, "id").lower()
        if aid and not _ID_RE.match(aid):
            res.problems.append(f"row {n}: {name}: id {aid!r} must be 1-40 characters a-z, 0-9 and -")
            continue
        if aid and aid in ids:
            res.problems.append(f"row {n}: {name}: id {aid!r} is also the id of row {ids[aid]}")
            continue
        if not aid:
            base = slug(name) or "co-quan"
            aid, k = base, 1
            while aid in ids:
                k += 1
                aid = f"{base[:36]}-{k}"
        short = []
        for s in _split(get(row, "short")):
            if s not in short and normalise(s):
                short.append(s)
        groups: list[str] = []
        bad_group = None
        gcell = get(row, "groups")
        parts = [gcell] if fold(gcell) in label_to_group else _split(gcell)
        for g in parts:
            gid = g if _ID_RE.match(g) else label_to_group.get(fold(g)) or slug(g)
            if not gid:
                bad_group = g
                break
            if gid not in STANDARD_GROUPS and not _ID_RE.match(g):
                res.group_labels.setdefault(gid, g)  # a label of the office's own: declare it
            if gid not in groups:
                groups.append(gid)
        if bad_group is not None:
            res.problems.append(f"row {n}: {name}: group {bad_group!r} has no letters or digits")
            continue
        clash = None
        for form in [name, *short]:
            other = forms.get(normalise(form))
            if other is not None:
                clash = (form, other)
                break
        if clash:
            form, (row_no, other_name) = clash
            res.problems.append(f"row {n}: {name}: {form!r} is also a name of row {row_no} ({other_name}); "
                                "a written form must mean one agency")
            continue
        ids[aid] = n
        for form in [name, *short]:
            forms[normalise(form)] = (n, name)
        res.agencies.append({"id": aid, "name": name, "kind": kind, "short": short, "groups": groups})
    res.toml = render_toml(res.agencies, res.group_labels, province)
    return res


def _q(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string


def render_toml(agencies: list[dict], group_labels: dict[str, str], province: str | None) -> str:
    out = ["# Agency directory of the province, made by `dondoc agencies import`.",
           "# Format: see agencies.example.toml. Check it with: dondoc check-config", ""]
    if province:
        out += [f"province = {_q(province)}", ""]
    if group_labels:
        out.append("[groups]")
        out += [f"{gid} = {_q(label)}" for gid, label in sorted(group_labels.items())]
        out.append("")
    for a in agencies:
        out.append("[[agency]]")
        out.append(f"id = {_q(a['id'])}")
        out.append(f"name = {_q(a['name'])}")
        out.append(f"kind = {_q(a['kind'])}")
        if a["short"]:
            out.append("short = [" + ", ".join(_q(s) for s in a["short"]) + "]")
        if a["groups"]:
            out.append("groups = [" + ", ".join(_q(g) for g in a["groups"]) + "]")
        out.append("")
    return "\n".join(out)


def import_file(src: Path, out: Path, *, province: str | None = None) -> ImportResult:
    """Convert ``src`` and, if any row was taken, write ``out`` (atomically), checked as the bot loads it."""
    from bot.directory import Directory, DirectoryError

    res = convert(read_rows(src), province=province)
    if not res.agencies:
        return res
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        tmp.write_text(res.toml, encoding="utf-8")
        try:
            Directory.load(tmp)
        except DirectoryError as exc:  # a rule this converter does not know: say it, write nothing
            raise OpsError(f"the directory made from {Path(src).name} is not valid: "
                           f"{str(exc).replace(str(tmp), str(out))}") from None
        os.replace(tmp, out)
    except OSError as exc:
        raise OpsError(f"--out: cannot write {out}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return res
