"""The digest chart: status by agency as stacked horizontal bars (PNG).

:func:`chart_spec` says what to draw (bars, labels, title: plain data), :mod:`.chart_draw` draws it
with matplotlib. :func:`render_chart` draws in this process; :class:`ChartJob` in a child process
(what the bot does: matplotlib and numpy never stay in its memory, and the chart is drawn on
another core meanwhile), falling back to this process if the child fails.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.messages import short_text
from bot.models import Category
from bot.texts import t
from bot.tracking import CATEGORY_ORDER, category_label

from .chart_draw import draw
from .model import DigestData

__all__ = ["COLORS", "ChartJob", "MAX_BARS", "chart_spec", "render_chart"]

log = logging.getLogger("dondoc.digest")

MAX_BARS = 40  # the agencies with most overdue tasks; the rest are named in a note
COLORS = {
    Category.DONE_ON_TIME: "#2e7d32",
    Category.DONE_LATE: "#9ccc65",
    Category.OPEN_ON_TIME: "#1e88e5",
    Category.OPEN_OVERDUE: "#e53935",
    Category.ONGOING: "#b0bec5",
}
CHILD_TIMEOUT = 120  # seconds


def _bars(data: DigestData) -> tuple[list[tuple[str, dict[Category, int]]], int]:
    """Bars for the agencies with most overdue tasks first, and how many were left out."""
    ranked = sorted(
        (p for p in data.agencies if p[1].total),  # only standing duties of every agency: no bar
        key=lambda p: (-p[1].counts[Category.OPEN_OVERDUE], -p[1].total, p[0]),
    )
    bars = [(short_text(name, 38), dict(s.counts)) for name, s in ranked[:MAX_BARS]]
    return bars, max(0, len(ranked) - MAX_BARS)


def chart_spec(data: DigestData, dpi: int = 110) -> dict[str, Any]:
    """What the chart shows, as JSON-ready data (every text already in the catalogue's language)."""
    bars, left_out = _bars(data)
    xlabel = t("digest.chart_xlabel")
    if left_out:
        xlabel += "\n" + t("digest.chart_others", count=left_out)
    return {
        "dpi": dpi,
        "title": t("digest.chart_title", date=data.now.strftime("%d/%m/%Y")),
        "xlabel": xlabel,
        "empty": t("digest.chart_empty"),
        "labels": [category_label(c) for c in CATEGORY_ORDER],
        "colors": [COLORS[c] for c in CATEGORY_ORDER],
        "bars": [[name, [counts[c] for c in CATEGORY_ORDER]] for name, counts in bars],
    }


def render_chart(data: DigestData, dpi: int = 110) -> bytes:
    """The chart, drawn in this process."""
    return draw(chart_spec(data, dpi), dpi)


class ChartJob:
    """The chart drawn by a child process: started first (it loads matplotlib while the bot gathers
    the data), given the data (:meth:`send`), then :meth:`result` waits for its PNG."""

    def __init__(self) -> None:
        self.spec: dict[str, Any] | None = None
        self.proc: subprocess.Popen | None = None
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}  # no secrets
            self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("chart_draw.py"))],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         env=env)
        except OSError as exc:
            log.warning("digest chart: no child process (%s); drawn in the bot", exc)

    def send(self, data: DigestData, dpi: int = 110) -> None:
        self.spec = chart_spec(data, dpi)
        if self.proc is None:
            return
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(self.spec, ensure_ascii=False).encode("utf-8"))
            self.proc.stdin.close()
        except OSError as exc:  # the child died already: result() says why and draws here
            log.warning("digest chart: cannot hand the data to the child process (%s)", exc)
        self.proc.stdin = None  # written and closed: communicate() only reads

    def cancel(self) -> None:
        """Not needed after all (the digest failed before its chart)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            self.proc.communicate()

    def result(self) -> bytes:
        proc = self.proc
        if proc is not None:
            try:
                png, err = proc.communicate(timeout=CHILD_TIMEOUT)
                if proc.returncode == 0 and png.startswith(b"\x89PNG"):
                    return png
                last = err.decode("utf-8", "replace").strip().splitlines()[-1:]
                log.warning("digest chart: child process failed (exit %s%s); drawn in the bot", proc.returncode,
                            f": {last[0]}" if last else "")
            except (OSError, subprocess.SubprocessError) as exc:
                proc.kill()
                proc.communicate()
                log.warning("digest chart: child process failed (%s); drawn in the bot", exc)
        assert self.spec is not None, "ChartJob.result() before send()"
        return draw(self.spec, int(self.spec["dpi"]))
