"""The reading's one context (bot/notices/reading/context.py): resolver with its cache, date of issue,
warnings."""

from __future__ import annotations

from bot.directory import Directory
from bot.notices.reading.context import Context, Rebased


class _Counting:
    def __init__(self) -> None:
        self.calls = 0

    def resolve(self, text):
        self.calls += 1
        return None


def test_resolve_is_cached_per_reading():
    d = _Counting()
    ctx = Context(d)
    assert ctx.resolve("Sở X") is None and ctx.resolve("Sở X") is None
    assert d.calls == 1
    assert Context(d).resolve("Sở X") is None and d.calls == 2  # a new reading, a new cache


def test_a_failing_or_missing_directory_loses_nothing():
    class Broken:
        def resolve(self, text):
            raise RuntimeError("bug")

    assert Context(Broken()).resolve("Sở Tài chính") is None
    assert Context(None).resolve("Sở Tài chính") is None
    assert Context(object()).resolve("Sở Tài chính") is None


def test_noisy_text_resolves_through_its_plain_reading():
    ctx = Context(Directory.load(None))
    m = ctx.resolve("S¢ Tài chính")
    assert m is not None and m.sure and m.agency.name == "Sở Tài chính"
    assert ctx.sure_agency("Sở Tài chính").name == "Sở Tài chính"
    assert ctx.sure_agency("Sở Tài chính chủ trì") is None  # not all of it
    assert ctx.sure_agency("Sở Tài chính chủ trì", whole=False).name == "Sở Tài chính"


def test_rebased_maps_the_rest_back_to_the_original_words():
    class M:
        agency, score, sure, candidates, note, group, listed = "A", 100, True, [], None, None, True
        rest = "chu tri"

    r = Rebased(M(), "S¢ Tài chính chủ trì", "so tai chinh chu tri")
    assert r.rest == "chủ trì" and r.sure and r.as_written == "S¢ Tài chính chủ trì"


def test_warnings_and_case():
    ctx = Context(None, "sở tài chính rà soát các dự án")
    ctx.warn("no_number")
    assert len(ctx.warnings) == 1 and ctx.warnings[0]
    assert ctx.lowercase
    assert not Context(None, "Sở Tài chính rà soát").lowercase
