"""Charts of the monthly summary (matplotlib, Agg, DejaVu Sans for Cyrillic) as PNG bytes.

Labels are wrapped, never cut; legends sit below the plot, never over the data; the figure grows
with the number of rows and is saved with a tight bounding box. Takes the ``MonthlyReport``
dataclass; never queries.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .queries import MonthlyReport
from .safe import clean

plt.rcParams["font.family"] = "DejaVu Sans"

ON_TIME, LATE, OVERDUE = "#2e7d32", "#c62828", "#f9a825"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return buf.getvalue()


def wrap(name: str, width: int = 28, lines: int = 3) -> str:
    """A label on up to ``lines`` lines of ``width`` characters (the last one ends in «…» if cut)."""
    return textwrap.fill(clean(name, one_line=True), width=width, max_lines=lines, placeholder="…")


def _legend_below(fig: Figure, ax: object, ncol: int) -> None:
    handles, labels = ax.get_legend_handles_labels()  # type: ignore[attr-defined]
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.02))


def timeliness_chart(report: MonthlyReport) -> bytes:
    """Answers on time and late per department (stacked bars), overdue unanswered alongside."""
    rows = report.departments
    names = [wrap(r.name) for r in rows] or ["—"]
    on_time = [r.answered_on_time for r in rows] or [0]
    late = [r.answered_late for r in rows] or [0]
    overdue = [r.overdue_unanswered for r in rows] or [0]
    fig, ax = plt.subplots(figsize=(8, 0.55 * max(len(names), 3) + 1.6))
    y = list(range(len(names)))
    ax.barh(y, on_time, color=ON_TIME, label="в срок")
    ax.barh(y, late, left=on_time, color=LATE, label="с нарушением срока")
    ax.barh(y, overdue, left=[a + b for a, b in zip(on_time, late, strict=True)], color=OVERDUE,
            label="просрочено, ответа нет")  # fmt: skip
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("обращений")
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(bottom=0.22)
    _legend_below(fig, ax, 3)
    return _png(fig)


def dynamics_chart(report: MonthlyReport, *, top: int = 8) -> bytes:
    """Cases by topic: this period, the previous one and a year before (grouped bars)."""
    rows = report.topics[:top]
    names = [wrap(r.name, 14, 3) for r in rows] or ["—"]
    series = (
        (report.year_ago_label, [r.year_ago for r in rows] or [0], "#b0bec5"),
        (report.previous_label, [r.previous for r in rows] or [0], "#64b5f6"),
        (report.label, [r.current for r in rows] or [0], "#1565c0"),
    )
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.27
    for i, (label, values, color) in enumerate(series):
        ax.bar([x + (i - 1) * width for x in range(len(names))], values, width, label=label, color=color)
    ax.set_xticks(list(range(len(names))), names, fontsize=7)
    ax.set_ylabel("обращений")
    ax.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(bottom=0.2)
    _legend_below(fig, ax, 3)
    return _png(fig)


def all_charts(report: MonthlyReport) -> list[tuple[str, bytes]]:
    """(title, PNG): the title is the document's, the picture has none of its own."""
    return [
        (f"Своевременность ответов по подразделениям — {report.label}", timeliness_chart(report)),
        ("Динамика обращений по тематикам", dynamics_chart(report)),
    ]
