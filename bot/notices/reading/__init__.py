"""The notice reader's parts (issue 10). :mod:`.lexicon` holds the Vietnamese cue words of the whole
project as data; the reading itself is :func:`bot.notices.reader.read_notice`."""
