"""The digest chart: status by agency as stacked horizontal bars (PNG).

Uses matplotlib's object API with the Agg canvas directly (no pyplot, no global
backend switch, no display needed) and DejaVu Sans, which has every Vietnamese glyph.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.messages import short_text
from bot.texts import t
from bot.tracking import CATEGORY_ORDER, category_label
from bot.models import Category

from .model import DigestData

__all__ = ["render_chart", "MAX_BARS"]

MAX_BARS = 40  # the agencies with most overdue tasks; the rest are named in a note
COLORS = {
    Category.DONE_ON_TIME: "#2e7d32",
    Category.DONE_LATE: "#9ccc65",
    Category.OPEN_ON_TIME: "#1e88e5",
    Category.OPEN_OVERDUE: "#e53935",
    Category.ONGOING: "#b0bec5",
}


def _bars(data: DigestData) -> tuple[list[tuple[str, dict[Category, int]]], int]:
    """Bars for the agencies with most overdue tasks first, and how many were left out."""
    ranked = sorted(
        (p for p in data.agencies if p[1].total),  # only standing duties of every agency: no bar
        key=lambda p: (-p[1].counts[Category.OPEN_OVERDUE], -p[1].total, p[0]),
    )
    bars = [(short_text(name, 38), dict(s.counts)) for name, s in ranked[:MAX_BARS]]
    return bars, max(0, len(ranked) - MAX_BARS)


def render_chart(data: DigestData, dpi: int = 110) -> bytes:
    bars, left_out = _bars(data)
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        height = 1.6 + 0.36 * max(2, len(bars))
        fig = Figure(figsize=(10, height), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        names = [name for name, _ in bars][::-1]  # first bar on top
        counts = [c for _, c in bars][::-1]
        left = [0] * len(bars)
        rows = list(range(len(bars)))  # by position: two agencies whose names cut alike keep two bars
        for cat in CATEGORY_ORDER:
            values = [c[cat] for c in counts]
            ax.barh(rows, values, left=left, color=COLORS[cat], label=category_label(cat),
                    edgecolor="white", linewidth=0.5)
            for i, v in enumerate(values):
                if v >= 3:
                    ax.text(left[i] + v / 2, i, str(v), va="center", ha="center",
                            color="white", fontsize=8)
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(rows)
        ax.set_yticklabels(names)
        if not bars:
            ax.text(0.5, 0.5, t("digest.chart_empty"), transform=ax.transAxes, ha="center")
        ax.set_xlabel(t("digest.chart_xlabel"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle(t("digest.chart_title", date=data.now.strftime("%d/%m/%Y")),
                     fontsize=13, fontweight="bold")
        if left_out:
            ax.set_xlabel(t("digest.chart_xlabel") + "\n" + t("digest.chart_others", count=left_out))
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.margins(y=0.01)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False,
                  fontsize=9)
        # Margins in inches (title and legend above, axis label below); the saved image is cropped to
        # what is drawn (bbox_inches): tight_layout would measure every label once more (a third of the time).
        fig.subplots_adjust(left=0.2, right=0.97, top=1 - 1.05 / height, bottom=0.75 / height)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.2)
    return out.getvalue()
