"""The one lexicon of Vietnamese cue words (bot/notices/reading/lexicon.py)."""

from __future__ import annotations

import re

import pytest

from bot import directory, tracking
from bot.notices import deadlines, reader
from bot.notices.reading import addressees, classify, header, items, names, outline, tables
from bot.notices.normalize import fold_str, kw
from bot.notices.reading import lexicon as lex

LISTS = {name: value for name, value in vars(lex).items()
         if name.isupper() and isinstance(value, tuple) and value and isinstance(value[0], str)}


def test_lists_are_clean():
    assert {"ASSIGN_STRONG", "STOP_VERBS", "NOT_TASK", "NAME_FILLER", "NEGATIONS"} <= set(LISTS)
    for name, words in LISTS.items():
        assert len(set(words)) == len(words), name
        assert all(w == w.strip() and w for w in words), name


@pytest.mark.parametrize("name", [n for n in LISTS if n not in ("NEGATIONS", "NOT_YET", "CLAUSE_BREAKS")])
def test_reader_lists_are_folded_and_compile_through_kw(name):
    for w in LISTS[name]:
        assert w == fold_str(w), (name, w)  # written as kw() expects: no diacritics, lower case
    pat = lex.rx(LISTS[name])
    strict = kw(lex.alternation(LISTS[name]), strict=True)
    for w in LISTS[name]:
        plain = w.replace("[", "").replace("]", "")  # "ho[i]": a vowel that must be exact
        assert pat.search(plain) and strict.search(plain), (name, w)


def test_strict_lists_tolerate_a_lost_vowel_only():
    heads = kw("(?:" + lex.alternation(lex.AGENCY_HEADS, not_before=lex.HEAD_NOT_BEFORE) + ")", strict=True)
    assert heads.fullmatch("so") and heads.fullmatch("s*") and heads.fullmatch("trung t*m")
    assert not heads.fullmatch("sa") and not heads.fullmatch("ho*")  # "hồ sơ" through noise is no "Hội"
    assert heads.match("bao cao") is None and heads.match("bao chi")  # "báo cáo" is no newspaper
    assert not kw(lex.alternation(lex.AGENCY_HEADS, not_before=lex.HEAD_NOT_BEFORE), strict=True).match("quy dinh")
    stop = re.compile("(?:" + lex.alternation(lex.STOP_EXACT, not_after=lex.STOP_EXACT_NOT_AFTER) + ")")
    assert stop.search("trinh ubnd") and not stop.search("cong trinh")


def test_kw_makes_them_tolerant_of_ocr_noise():
    assert lex.rx(lex.ASSIGN_STRONG).search(fold_str("S¢ Tài chính ch* trì, phôi hợp với"))


def test_the_directory_and_the_progress_detector_take_their_words_from_it():
    assert directory._GROUP_FORMS is lex.GROUP_FORMS
    assert directory._FILLER == tuple(tuple(p.split()) for p in lex.NAME_FILLER)
    assert [(k.value, p) for k, p in tracking._PHRASES] == list(lex.PROGRESS_PHRASES)
    assert tracking._NEGATIONS == set(lex.NEGATIONS)
    assert all(w in tracking._CLAUSE.pattern for w in lex.CLAUSE_BREAKS)
    assert directory._CONTINUES == set(lex.NAME_CONTINUES)
    assert directory._GENERIC_HEADS == {tuple(p.split()) for p in lex.GENERIC_HEADS}
    assert names._ASSIGNS_STRONG is lex.rx(lex.ASSIGN_STRONG)
    assert deadlines._PLAN is lex.rx(lex.PLANS)


def test_no_cue_list_is_kept_twice():
    """The reader and the directory no longer spell the big lists out themselves."""
    for module in (reader, directory, tracking, deadlines, header, outline, names, addressees, classify, tables, items):
        src = open(module.__file__, encoding="utf-8").read()
        assert not re.search(r"chu tri\|phoi hop\|tham muu", src), module.__name__
        assert "(Progress.BLOCKED, \"vướng" not in src, module.__name__
