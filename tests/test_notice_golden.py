"""The reader's JSON for every notice under tests/data/notices is the one recorded in
tests/data/notices/golden/ (see tests/golden_readings.py): a restructuring of the reader changes
no reading; a fix that is meant to change one re-records it (``python -m tests.golden_readings
--update``) in the same commit."""

from __future__ import annotations

import pytest

from tests.golden_readings import GOLDEN, compare, key, notices

CASES = notices()


def test_every_notice_has_its_golden_reading():
    assert len(CASES) >= 20
    recorded = {p.name.removesuffix(".json") for p in GOLDEN.glob("*.json")}
    assert recorded == {key(p) for p in CASES}


@pytest.mark.parametrize("path", CASES, ids=key)
def test_reading_is_the_recorded_one(path):
    assert compare(path) == []
