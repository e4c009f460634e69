"""The notice reader's stages (issue 10), each a module with typed input and output, all on one
explicit :class:`.context.Context` (resolver, date of issue, warnings, tables):

- :mod:`.page`: the text's lines without page furniture; task tables cut out (stage 1);
- :mod:`.header`: number, date of issue, issuer, kind, title; where the body runs (stage 2);
- :mod:`.outline`: the body's tree of sections and items, marker rules in a registry (stage 3);
- :mod:`.classify`: recipients, task, narrative, deadline-only, assessment, approval (stage 4);
- :mod:`.addressees` (with :mod:`.names`): who leads and coordinates an item (stage 5);
- :mod:`.tables`: the rows of a table of tasks as items (stage 5);
- :mod:`.items`: the outline's leaves as items, what a header passes down, annexes (stage 6);
- :mod:`.fields`: the JSON fields of one item;
- :mod:`.lexicon`: the Vietnamese cue words of the whole project, as data.

:func:`bot.notices.reader.read_notice` runs them in this order; its JSON is the contract.

To fix a misread: find the stage that makes it (the header's number or date: :mod:`.header`; an
item cut wrong or a marker not seen: a rule of :attr:`.outline.Outline.RULES`; a task taken for
narrative or an approval: :mod:`.classify`; a name cut wrong or the wrong lead: :mod:`.names`,
:mod:`.addressees`; a deadline: :mod:`bot.notices.deadlines`), add the cue word to the lexicon
rather than a pattern to the stage, test it in that stage's unit tests (tests/test_notice_*.py) and
in a notice, then re-record the golden readings (``python -m tests.golden_readings --update``): the
diff of tests/data/notices/golden/ shows every reading the fix changed, meant or not.
"""
