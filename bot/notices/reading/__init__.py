"""The notice reader's stages (issue 10).

- :mod:`.page`: the text's lines without page furniture; task tables cut out (stage 1);
- :mod:`.outline`: the body's tree of sections and items, marker rules in a registry (stage 3);
- :mod:`.lexicon`: the Vietnamese cue words of the whole project, as data.

Header, classification, addressees, tables and items are read by :mod:`bot.notices.reader`
(``read_notice``, whose JSON is the contract) on the outline these stages build.
"""
