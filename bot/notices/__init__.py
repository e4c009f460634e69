"""Reading conclusion notices: file → text (:mod:`.extract`) → tasks (:mod:`.reader`).

Public API::

    extract_text(data: bytes, filename: str) -> str          # NoticeFileError subclasses on bad files
    read_notice(text: str, directory) -> dict                 # the JSON shape of issue 3
    read_notice_file(data: bytes, filename: str, directory) -> dict
"""

from bot.notices.extract import (
    CorruptFile,
    EmptyFile,
    Encrypted,
    NeedsOCR,
    NoticeFileError,
    TooLarge,
    UnknownFormat,
    extract_text,
)

__all__ = [
    "NoticeFileError", "NeedsOCR", "TooLarge", "Encrypted", "UnknownFormat", "EmptyFile", "CorruptFile",
    "extract_text", "read_notice", "read_notice_file",
]


def read_notice(text: str, directory) -> dict:
    from bot.notices.reader import read_notice as _read

    return _read(text, directory)


def read_notice_file(data: bytes, filename: str, directory) -> dict:
    from bot.notices.reader import read_notice_file as _read_file

    return _read_file(data, filename, directory)
