"""Charts of the monthly summary (matplotlib, Agg, DejaVu Sans for Cyrillic) as PNG bytes.

Takes the ``MonthlyReport`` dataclass; never queries.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .queries import MonthlyReport

plt.rcParams["font.family"] = "DejaVu Sans"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    return buf.getvalue()


def _short(name: str, width: int = 22) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def timeliness_chart(report: MonthlyReport) -> bytes:
    """Answers on time and late per department (stacked bars), overdue unanswered alongside."""
    rows = report.departments
    names = [_short(r.name, 34) for r in rows] or ["—"]
    on_time = [r.answered_on_time for r in rows] or [0]
    late = [r.answered_late for r in rows] or [0]
    overdue = [r.overdue_unanswered for r in rows] or [0]
    fig, ax = plt.subplots(figsize=(8, 0.5 * max(len(names), 3) + 1.5))
    y = range(len(names))
    ax.barh(y, on_time, color="#2e7d32", label="в срок")
    ax.barh(y, late, left=on_time, color="#c62828", label="с нарушением срока")
    ax.barh(y, overdue, left=[a + b for a, b in zip(on_time, late, strict=True)], color="#f9a825",
            label="просрочено, ответа нет")  # fmt: skip
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set_xlabel("обращений")
    ax.set_title(f"Своевременность ответов — {report.label}")
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def dynamics_chart(report: MonthlyReport, *, top: int = 8) -> bytes:
    """Cases by topic: this period, the previous one and a year before (grouped bars)."""
    rows = report.topics[:top]
    names = [_short(r.name, 16) for r in rows] or ["—"]
    series = (
        (report.year_ago_label, [r.year_ago for r in rows] or [0], "#b0bec5"),
        (report.previous_label, [r.previous for r in rows] or [0], "#64b5f6"),
        (report.label, [r.current for r in rows] or [0], "#1565c0"),
    )
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.27
    for i, (label, values, color) in enumerate(series):
        ax.bar([x + (i - 1) * width for x in range(len(names))], values, width, label=label, color=color)
    ax.set_xticks(list(range(len(names))), names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("обращений")
    ax.set_title("Динамика по тематикам")
    ax.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.legend(fontsize=8)
    return _png(fig)


def all_charts(report: MonthlyReport) -> list[tuple[str, bytes]]:
    return [
        ("Своевременность ответов по подразделениям", timeliness_chart(report)),
        ("Динамика обращений по тематикам", dynamics_chart(report)),
    ]
