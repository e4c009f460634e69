"""Real notices written by provincial offices (tests/data/notices/real/, see its README), scored the way
``score.py`` beside them scores ``dondoc notice parse``: the mean of item F1, lead accuracy, assignee
F1, deadline accuracy and header. The scoring functions are score.py's own (imported, not copied);
the reading is done in-process with the national directory, as the CLI does without a config."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from bot.directory import Directory
from bot.notices import read_notice_file

REAL = Path(__file__).parent / "data" / "notices" / "real"
_spec = importlib.util.spec_from_file_location("real_score", REAL / "score.py")
S = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(S)

CASES = sorted(p.name.replace(".expected.json", "") for p in REAL.glob("*.expected.json"))
# each document's floor: raised as the reader improves, never lowered
FLOOR = {"D01": 0.95, "R04": 0.95, "R06": 0.95, "R08": 0.95}
MEAN_FLOOR = 0.98


def _file(case: str) -> Path:
    return next(p for p in (REAL / f"{case}.docx", REAL / f"{case}.txt") if p.exists())


def score_reading(got: dict, exp: dict) -> tuple[float, dict]:
    """score.py's ``score`` on a reading already made (same formula, same helpers)."""
    gi = {S.ref(i.get("ref")): i for i in got.get("items", [])}
    ei = {S.ref(i["ref"]): i for i in exp["items"]}
    common = [r for r in ei if r in gi]
    items = S.f1(len(common), len(ei), len(gi))
    lead = sum(S.found(ei[r]["lead"][0], S.forms(gi[r].get("lead"))) for r in common) / len(ei)
    tp = n_exp = n_got = 0
    for r, e in ei.items():
        want = e["lead"] + e["coordinate"]
        have = S.forms(gi[r].get("lead")) + S.forms(gi[r].get("coordinate")) if r in gi else []
        n_exp, n_got, tp = n_exp + len(want), n_got + len(have), tp + sum(S.found(x, have) for x in want)
    n_got += sum(len(S.forms(i.get("lead"))) + len(S.forms(i.get("coordinate")))
                 for r, i in gi.items() if r not in ei)
    assignees = S.f1(tp, n_exp, n_got)
    deadlines = sum((gi[r].get("deadline") or None) == (ei[r].get("deadline") or None) for r in common) / len(ei)
    h, eh = got.get("notice", {}), exp["notice"]
    header = ((S.fold(h.get("number")) == S.fold(eh.get("number"))) + (h.get("issued_on") == eh.get("issued_on"))) / 2
    parts = {"items": items, "lead": lead, "assignees": assignees, "deadlines": deadlines, "header": header,
             "missing": [r for r in ei if r not in gi], "extra": [r for r in gi if r not in ei]}
    return (items + lead + assignees + deadlines + header) / 5, parts


def _score(case: str) -> tuple[float, dict]:
    path = _file(case)
    exp = json.loads((REAL / f"{case}.expected.json").read_text(encoding="utf-8"))
    got = read_notice_file(path.read_bytes(), path.name, Directory.load(None))
    return score_reading(got, exp)


def test_the_real_documents_are_here():
    assert len(CASES) >= 4
    for case in CASES:
        assert (REAL / f"{case}.source.txt").exists(), case


@pytest.mark.parametrize("case", CASES)
def test_real_document_scores_at_least_its_floor(case):
    total, parts = _score(case)
    assert total >= FLOOR[case[:3]], (round(total, 3), parts)


def test_real_documents_mean():
    scores = [_score(c)[0] for c in CASES]
    assert sum(scores) / len(scores) >= MEAN_FLOOR, [round(s, 3) for s in scores]


STYLES = Path(__file__).parent / "data" / "notices" / "styles"
STYLE_CASES = sorted(p.name.replace(".expected.json", "") for p in STYLES.glob("*.expected.json"))


@pytest.mark.parametrize("case", STYLE_CASES)
def test_own_notices_in_the_real_styles(case):
    """Notices we wrote in the styles of the real ones (new text, same habits): the rules generalise."""
    path = STYLES / f"{case}.txt"
    exp = json.loads((STYLES / f"{case}.expected.json").read_text(encoding="utf-8"))
    got = read_notice_file(path.read_bytes(), path.name, Directory.load(None))
    total, parts = score_reading(got, exp)
    assert total >= 0.97, (round(total, 3), parts)


def test_the_scorer_can_fail():
    """The in-process scorer gives less than 1 to a reading that drops items and deadlines."""
    exp = json.loads((REAL / f"{CASES[0]}.expected.json").read_text(encoding="utf-8"))
    perfect = {"notice": exp["notice"], "items": [
        {"ref": i["ref"], "lead": [{"name": n, "as_written": n} if n != "all" else {"group": "all"}
                                   for n in i["lead"]],
         "coordinate": [{"name": n, "as_written": n} if n != "all" else {"group": "all"} for n in i["coordinate"]],
         "deadline": i["deadline"]} for i in exp["items"]]}
    assert score_reading(perfect, exp)[0] == pytest.approx(1.0)
    broken = {"notice": {}, "items": [dict(perfect["items"][0], deadline="2000-01-01")]}
    assert score_reading(broken, exp)[0] < 0.6
