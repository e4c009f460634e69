"""The notice reader's stages (issue 10), each a module with typed input and output:

- :mod:`.context`: the one explicit context of a reading (resolver, date of issue, warnings, tables);
- :mod:`.page`: the text's lines without page furniture; task tables cut out (stage 1);
- :mod:`.header`: number, date of issue, issuer, kind, title; where the body runs (stage 2);
- :mod:`.outline`: the body's tree of sections and items, marker rules in a registry (stage 3);
- :mod:`.lexicon`: the Vietnamese cue words of the whole project, as data.

Classification, addressees, tables and items are read by :mod:`bot.notices.reader`
(``read_notice``, whose JSON is the contract) on the outline these stages build.
"""
