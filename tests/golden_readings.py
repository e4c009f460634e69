"""The safety net of the reader's restructuring (issue 10): ``read_notice``'s JSON for every notice
under tests/data/notices (own notices, the sample, OCR texts, styles, real documents, Word files),
each read with the national directory, with the Bình Định province file, and with the directory its
expected reading names, as written and without diacritics and through seeded OCR noise. The readings
are stored in tests/data/notices/golden/ (one file per notice); tests/test_notice_golden.py fails on
any difference.

    .venv/bin/python -m tests.golden_readings            # compare, print what differs
    .venv/bin/python -m tests.golden_readings --update   # record (only when a reading is meant to change)

A change of reading that is meant (a misread fixed) is recorded with ``--update`` in the same commit,
and the diff of the golden files shows what changed.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

from bot.directory import Directory
from bot.notices import extract_text, read_notice
from bot.notices.normalize import strip_diacritics

DATA = Path(__file__).parent / "data" / "notices"
GOLDEN = DATA / "golden"
SOURCES = (".txt", ".docx")


def notices() -> list[Path]:
    """Every notice file under tests/data/notices (not the golden readings, not scoring sources)."""
    out = []
    for p in sorted(DATA.rglob("*")):
        if GOLDEN in p.parents or p.suffix not in SOURCES or p.name.endswith(".source.txt"):
            continue
        out.append(p)
    return out


def key(path: Path) -> str:
    return str(path.relative_to(DATA)).replace("/", "__")


@lru_cache(maxsize=None)
def _directory(name: str | None, national: bool) -> Directory:
    return Directory.load(DATA / name, national=national) if name else Directory.load(None)


def directories(path: Path) -> dict[str, Directory]:
    dirs = {"national": _directory(None, True), "binh-dinh": _directory("binh-dinh-2024.toml", True)}
    exp = path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json")
    if exp.exists():
        e = json.loads(exp.read_text(encoding="utf-8"))
        if e.get("directory") and (e["directory"], e.get("national", True)) != ("binh-dinh-2024.toml", True):
            dirs["own"] = _directory(e["directory"], e.get("national", True))
    return dirs


def text_of(path: Path) -> str:
    if path.suffix == ".docx":
        return extract_text(path.read_bytes(), path.name)
    return path.read_text(encoding="utf-8")


def readings(path: Path) -> dict:
    from tests.test_notice_corpus import ocr_noise

    text = text_of(path)
    variants = {"as-is": text, "plain": strip_diacritics(text), "ocr-noise": ocr_noise(text, 3)}
    dirs = directories(path)
    if path.suffix == ".docx" and path.with_suffix(".txt").exists():
        # its text twin is read every way: the Word file once, through the extractor (a fast suite)
        variants, dirs = {"as-is": text}, {"national": dirs["national"]}
    out: dict = {}
    for dname, d in dirs.items():
        for vname, v in variants.items():
            if dname != "national" and vname != "as-is":
                continue  # the variants once, with the national directory
            out[f"{dname}/{vname}"] = read_notice(v, d)
    return out


def dump(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def compare(path: Path) -> list[str]:
    """What differs between the stored readings of ``path`` and today's (empty: the same)."""
    file = GOLDEN / f"{key(path)}.json"
    if not file.exists():
        return [f"{key(path)}: no golden reading (run with --update)"]
    want = json.loads(file.read_text(encoding="utf-8"))
    got = json.loads(dump(readings(path)))
    diffs = []
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            diffs.append(f"{key(path)} [{k}]: {_first_difference(want.get(k), got.get(k))}")
    return diffs


def _first_difference(a, b, where: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{where}.{k}")
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
        if len(a) != len(b):
            return f"{where}: {len(a)} entries recorded, {len(b)} now"
    return f"{where}: recorded {json.dumps(a, ensure_ascii=False)[:300]} / now {json.dumps(b, ensure_ascii=False)[:300]}"


def main(argv: list[str]) -> int:
    update = "--update" in argv
    GOLDEN.mkdir(exist_ok=True)
    bad = 0
    for p in notices():
        if update:
            (GOLDEN / f"{key(p)}.json").write_text(dump(readings(p)), encoding="utf-8")
            continue
        for d in compare(p):
            bad += 1
            print(d)
    if not update:
        print("golden readings:", "all the same" if not bad else f"{bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
