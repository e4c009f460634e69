"""From an uploaded file to a stored draft notice: shared by the bot and ``dondoc notice import``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from bot import workflow
from bot.directory import Directory
from bot.models import Notice, Task

Progress = Callable[[int, int], None]


def read_any(data: bytes, filename: str, directory: Directory, *, ocr_settings: Any = None,
             progress: Progress | None = None) -> tuple[dict, bool]:
    """The reader's JSON for a file of any supported kind, OCR included; (reading, used_ocr).

    Raises ``bot.notices.NoticeFileError`` (one-line message) for files it cannot read, and
    ``NoTasks`` for a file in which no task is found.
    """
    from bot.notices.checks import doubt_checks
    from bot.notices.ocr import OcrSettings, extract_or_ocr
    from bot.notices.reader import read_notice

    text, used_ocr = extract_or_ocr(data, filename, ocr_settings or OcrSettings(), progress)
    reading = read_notice(text, directory)
    if not reading.get("items"):
        from bot.notices.extract import NoTasks

        raise NoTasks.for_file(filename)  # a file that is no notice never becomes a draft
    return doubt_checks(reading, text, directory), used_ocr


@dataclasses.dataclass
class Imported:
    notice: Notice
    tasks: list[Task]
    created: bool  # False: the same file was imported before


def store_draft(store: Any, reading: dict, *, source: bytes, source_name: str, now: dt.datetime,
                by: int) -> Imported:
    """Store the reading as a draft notice, or find the notice imported from the same file."""
    existing = store.notices.find_notice_by_sha(workflow.sha256(source))
    head = reading.get("notice", {})
    if existing is None and head.get("number") and head.get("issued_on"):
        # The same notice from another file (a PDF then its scan, a re-saved copy): same number and date.
        same = store.notices.find_notice_by_number(head["number"])
        if same is not None and same.issued_on is not None and same.issued_on.isoformat() == head["issued_on"]:
            existing = same
    if existing is not None:
        return Imported(existing, store.notices.tasks(existing.id), created=False)
    notice_id = workflow.notice_id_for(source)
    notice = workflow.notice_from_reading(reading, notice_id=notice_id, source=source, source_name=source_name,
                                          now=now, by=by)
    tasks = workflow.tasks_from_reading(reading, notice_id=notice_id, next_code=lambda: "")
    stored = store.notices.create_notice(notice, tasks)
    return Imported(notice, stored, created=True)


def new_assignment_id() -> str:
    from storage import new_id

    return new_id("a")


def new_report_id() -> str:
    from storage import new_id

    return new_id("r")


def new_task_id(notice_id: str) -> str:
    """An id for a task the clerk added (the reader's tasks are ``<notice>-<ref>``)."""
    from storage import new_id

    return new_id(f"{notice_id}-t")
