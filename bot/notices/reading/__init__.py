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
"""
