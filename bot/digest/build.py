"""The weekly digest: the Telegram message(s) and the whole bundle with its files."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING
from collections.abc import Iterable, Mapping

from bot.calendar import WorkingCalendar
from bot.models import Agency, Assignment, Category, Notice, Report, Task
from bot.messages import MESSAGE_LIMIT, fmt_date, short_text, split_lines
from bot.texts import t
from bot.tracking import CATEGORY_ORDER, category_label

from .model import DigestData, DigestSettings, build_data

if TYPE_CHECKING:
    from .chart import ChartJob

__all__ = ["Digest", "build_digest", "digest_filename", "render_messages"]

_ICONS = {
    Category.DONE_ON_TIME: "✅",
    Category.DONE_LATE: "☑️",
    Category.OPEN_ON_TIME: "🔵",
    Category.OPEN_OVERDUE: "🔴",
    Category.ONGOING: "🔁",
}


@dataclasses.dataclass
class Digest:
    data: DigestData
    messages: list[str]  # Telegram HTML, each <= 4096 characters
    xlsx: bytes
    docx: bytes
    chart_png: bytes

    def files(self) -> dict[str, bytes]:
        """File name -> content, ready to send or to write to a folder."""
        return {
            digest_filename(self.data.now, "xlsx"): self.xlsx,
            digest_filename(self.data.now, "docx"): self.docx,
            digest_filename(self.data.now, "png"): self.chart_png,
        }


def digest_filename(now: dt.datetime | dt.date, ext: str, prefix: str = "bao-cao-tuan") -> str:
    """ "bao-cao-tuan-2024-03-15.xlsx" """
    day = now.date() if isinstance(now, dt.datetime) else now
    return f"{prefix}-{day.isoformat()}.{ext.lstrip('.')}"


def _more(lines: list[str], total: int, shown: int) -> None:
    if total > shown:
        lines.append(t("digest.more", count=total - shown))


def render_messages(data: DigestData, settings: DigestSettings | None = None,
                    limit: int = MESSAGE_LIMIT) -> list[str]:
    """The digest as Telegram HTML messages, split at line boundaries under ``limit``."""
    settings = settings or DigestSettings()
    cap = settings.max_items
    s = data.summary
    lines = [
        t("digest.title"),
        t("digest.period", start=data.week_start.strftime("%d/%m"),
          end=data.now.strftime("%d/%m/%Y"), time=data.now.strftime("%H:%M")),
        "",
        t("digest.summary_title", total=s.total, notices=data.notices),
    ]
    for c in CATEGORY_ORDER:
        lines.append(t("digest.count_line", icon=_ICONS[c], label=category_label(c), count=s.counts[c]))
    lines.append(t("digest.rate", rate=s.rate_text(), done=s.done, due=s.due))
    if s.standing:
        lines.append(t("standing.digest_line", count=s.standing_tasks, assignments=s.standing))
    lines += ["", t("digest.week_title")]
    agencies_reporting = len({r.agency_id for r, _ in data.new_reports})
    lines.append(t("digest.week_reports", count=len(data.new_reports), agencies=agencies_reporting))
    lines.append(t("digest.week_completed", count=len(data.completed)))
    for row in data.completed[:cap]:
        lines.append(t("digest.completed_item", code=row.code, agency=row.agency_name,
                       text=short_text(row.task_text, 80)))
    _more(lines, len(data.completed), cap)
    lines.append(t("digest.week_newly_overdue", count=len(data.newly_overdue)))
    for row in data.newly_overdue[:cap]:
        lines.append(t("digest.newly_overdue_item", code=row.code, agency=row.agency_name,
                       deadline=fmt_date(row.deadline)))
    _more(lines, len(data.newly_overdue), cap)
    lines.append(t("digest.week_extensions", count=len(data.extensions)))
    for ext, row in data.extensions[:cap]:
        lines.append(t("digest.extension_item", code=row.code, agency=row.agency_name,
                       old=fmt_date(ext.previous_deadline), new=fmt_date(ext.new_deadline),
                       reason=short_text(ext.reason, 80)))
    _more(lines, len(data.extensions), cap)

    lines += ["", t("digest.overdue_title", count=len(data.overdue))]
    if not data.overdue:
        lines.append(t("digest.nothing"))
    for row in data.overdue[:cap]:
        lines.append(t("digest.overdue_item", code=row.code, agency=row.agency_name,
                       days=row.days_overdue, deadline=fmt_date(row.deadline),
                       text=short_text(row.task_text, 100)))
    _more(lines, len(data.overdue), cap)

    if data.waiting:
        lines += ["", t("digest.waiting_title", count=len(data.waiting))]
        for row in data.waiting[:cap]:
            lines.append(t("digest.waiting_item", code=row.code, agency=row.agency_name,
                           deadline=fmt_date(row.deadline)))
        _more(lines, len(data.waiting), cap)

    lines += ["", t("digest.blockers_title", count=len(data.blockers))]
    if not data.blockers:
        lines.append(t("digest.nothing"))
    for row in data.blockers[:cap]:
        report = row.last_report
        lines.append(t("digest.blocker_item", code=row.code, agency=row.agency_name,
                       text=short_text(report.text if report else "", 120) or "—",
                       date=report.at.astimezone(data.now.tzinfo).strftime("%d/%m") if report else "—"))
    _more(lines, len(data.blockers), cap)

    lines += ["", t("digest.silent_title", count=len(data.silent))]
    if not data.silent:
        lines.append(t("digest.nothing"))
    for name, count in data.silent[: cap * 2]:
        lines.append(t("digest.silent_item", agency=name, count=count))
    _more(lines, len(data.silent), cap * 2)
    lines += ["", t("digest.footer")]
    return split_lines(lines, limit)


def build_digest(
    now: dt.datetime,
    notices: Mapping[str, Notice] | Iterable[Notice],
    tasks: Mapping[str, Task] | Iterable[Task],
    assignments: Iterable[Assignment],
    reports: Iterable[Report],
    agencies: Mapping[str, Agency] | Iterable[Agency],
    cal: WorkingCalendar | None = None,
    settings: DigestSettings | None = None,
    since: dt.datetime | None = None,
    last_reports: Mapping[str, Report] | None = None,
    chart_job: "ChartJob | None" = None,
) -> Digest:
    """The whole digest at ``now``: message(s), workbook, Word report and chart (see
    :func:`build_data` for ``reports`` and ``last_reports``). With ``chart_job`` the chart is drawn by
    that child process meanwhile (what the bot does), else here."""
    from .chart import render_chart
    from .docx import render_docx
    from .xlsx import render_xlsx

    cal = cal or WorkingCalendar()
    settings = settings or DigestSettings()
    data = build_data(now, notices, tasks, assignments, reports, agencies, cal, settings, since, last_reports)
    chart = chart_job
    if chart is not None:
        chart.send(data)
    messages = render_messages(data, settings)
    xlsx = render_xlsx(data)
    docx = render_docx(data, settings)
    return Digest(
        data=data,
        messages=messages,
        xlsx=xlsx,
        docx=docx,
        chart_png=chart.result() if chart is not None else render_chart(data),
    )
