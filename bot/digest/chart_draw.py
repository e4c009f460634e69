"""Draws the digest chart from its spec (see :func:`bot.digest.chart.chart_spec`): matplotlib only.

Run as a script (``python bot/digest/chart_draw.py`` with the spec as JSON on stdin, the PNG on
stdout), it imports nothing of dondoc: the bot draws its weekly chart in a short-lived child
process, so matplotlib and numpy (about 55 MB) never stay in the bot's memory, and the chart is
drawn on another core while the bot writes the workbook and the Word report.

Uses matplotlib's object API with the Agg canvas directly (no pyplot, no global backend switch,
no display needed) and DejaVu Sans, which has every Vietnamese glyph.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any


def draw(spec: dict[str, Any], dpi: int = 110) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    bars = spec["bars"]  # [[name, [count per category]]], first bar on top
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        height = 1.6 + 0.36 * max(2, len(bars))
        fig = Figure(figsize=(10, height), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        names = [name for name, _ in bars][::-1]  # first bar on top
        counts = [c for _, c in bars][::-1]
        left = [0] * len(bars)
        rows = list(range(len(bars)))  # by position: two agencies whose names cut alike keep two bars
        for k, (label, color) in enumerate(zip(spec["labels"], spec["colors"])):
            values = [c[k] for c in counts]
            ax.barh(rows, values, left=left, color=color, label=label, edgecolor="white", linewidth=0.5)
            for i, v in enumerate(values):
                if v >= 3:
                    ax.text(left[i] + v / 2, i, str(v), va="center", ha="center", color="white", fontsize=8)
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(rows)
        ax.set_yticklabels(names)
        if not bars:
            ax.text(0.5, 0.5, spec["empty"], transform=ax.transAxes, ha="center")
        ax.set_xlabel(spec["xlabel"])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle(spec["title"], fontsize=13, fontweight="bold")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.margins(y=0.01)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False, fontsize=9)
        # Margins in inches (title and legend above, axis label below); the saved image is cropped to
        # what is drawn (bbox_inches): tight_layout would measure every label once more (a third of the time).
        fig.subplots_adjust(left=0.2, right=0.97, top=1 - 1.05 / height, bottom=0.75 / height)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.2)
    return out.getvalue()


def main() -> None:
    import matplotlib.backends.backend_agg  # noqa: F401 - imported while the bot still gathers the data
    import matplotlib.figure  # noqa: F401

    spec = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdout.buffer.write(draw(spec, int(spec.get("dpi", 110))))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
