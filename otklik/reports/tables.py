"""The report's tables as plain rows, shared by the DOCX, XLSX and PDF formatters (no queries).

Cells are typed: numbers, ``Signed`` changes («+1»), ``datetime`` (local, naive), ``None`` (no
data) or strings; ``text(cell)`` renders one the Russian way (decimal comma, «—» for no data), and
the XLSX writer keeps the types. Strings may come from outside (summaries, names): every
formatter passes them through ``safe``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .queries import DepartmentRow, DynamicsRow, MonthlyReport, StageStats
from .safe import clean

Cell = Any


class Signed(int):
    """A change against the previous period, shown with its sign («+1», «−2», «0»)."""

    def __str__(self) -> str:
        return f"{int(self):+d}" if self else "0"


#: Columns that hold text (left-aligned); the others hold figures (right-aligned).
TEXT_COLUMNS = {
    "department": {0},
    "stage": {0},
    "stage_by_department": {0, 1},
    "dynamics": {0},
    "overdue": {1, 2, 3, 6},
    "summary": {0},
}

DEPARTMENT_HEADERS = [
    "Подразделение",
    "Поступило",
    "Отвечено",
    "В срок",
    "С нарушением срока",
    "Просрочено, ответа нет",
    "Доля в срок, %",
    "Медиана, раб. ч",
    "90-й процентиль, раб. ч",
    "Возвращено на доработку",
    "Возвращено куратору (п. 9)",
    "Промежуточных ответов",
    "Повторных (п. 17)",
    "Не подлежит обработке (п. 19)",
]

STAGE_HEADERS = [
    "Этап",
    "Завершено",
    "В срок",
    "С нарушением",
    "Доля в срок, %",
    "Медиана, раб. ч",
    "90-й процентиль, раб. ч",
]
DYNAMICS_HEADERS_TAIL = ["Изменение к пред. периоду"]
OVERDUE_HEADERS = ["№", "Суть", "Подразделение", "Этап", "Срок", "Просрочка, раб. ч", "Состояние"]


def text(cell: Cell) -> str:
    if cell is None:
        return "—"
    if isinstance(cell, dt.datetime):
        return cell.strftime("%d.%m.%Y %H:%M")
    if isinstance(cell, Signed):
        return str(cell)
    if isinstance(cell, float):
        return f"{cell:.2f}".rstrip("0").rstrip(".").replace(".", ",") if cell != int(cell) else f"{int(cell)}"
    return str(cell)


def department_cells(r: DepartmentRow) -> list[Cell]:
    return [
        r.name,
        r.received,
        r.answered,
        r.answered_on_time,
        r.answered_late,
        r.overdue_unanswered,
        r.on_time_percent,
        r.median_hours,
        r.p90_hours,
        r.returns_for_rework,
        r.returns_to_curator,
        r.interim,
        r.repeats,
        r.refusals,
    ]


def department_rows(report: MonthlyReport) -> list[list[Cell]]:
    rows = [department_cells(r) for r in report.departments]
    if report.curator is not None:
        rows.append(department_cells(report.curator))
    if report.total is not None:
        rows.append(department_cells(report.total))
    return rows


def stage_cells(s: StageStats, title: str | None = None) -> list[Cell]:
    return [title or s.title, s.total, s.on_time, s.late, s.on_time_percent, s.median_hours, s.p90_hours]


def stage_rows(report: MonthlyReport) -> list[list[Cell]]:
    return [stage_cells(s) for s in report.stages]


def department_stage_rows(report: MonthlyReport) -> list[tuple[str, list[list[Cell]]]]:
    """Per department (and the curator): its stages with data, in the report's stage order."""
    order = [s.key for s in report.stages]
    out = []
    for r in [*report.departments, *([report.curator] if report.curator else [])]:
        rows = [stage_cells(r.stages[k]) for k in order if k in r.stages]
        if rows:
            out.append((r.name, rows))
    return out


def dynamics_headers(report: MonthlyReport, what: str) -> list[str]:
    return [what, report.label, report.previous_label, report.year_ago_label, *DYNAMICS_HEADERS_TAIL]


def dynamics_rows(rows: list[DynamicsRow]) -> list[list[Cell]]:
    return [[r.name, r.current, r.previous, r.year_ago, Signed(r.change)] for r in rows]


def overdue_rows(report: MonthlyReport) -> list[list[Cell]]:
    return [
        [
            c.number,
            clean(c.summary, limit=120, one_line=True),
            c.department,
            c.stage,
            c.due_at.replace(tzinfo=None),
            c.overdue_hours,
            c.state + (" (не завершён)" if c.still_open else ""),
        ]
        for c in report.worst_overdue
    ]


def summary_rows(report: MonthlyReport) -> list[tuple[str, Cell]]:
    total = report.total
    assert total is not None
    return [
        ("Поступило сообщений из открытых источников", report.messages_received),
        ("Выявлено сообщений, требующих реагирования (обращений)", report.cases_detected),
        ("Из них социально значимых (п. 23)", report.significant),
        ("Повторных сообщений (п. 17)", report.repeats),
        ("Не подлежит обработке (п. 19)", report.refusals),
        ("Дано ответов (п. 10)", total.answered),
        ("из них в установленный срок", total.answered_on_time),
        ("с нарушением срока", total.answered_late),
        ("Просрочено, ответ не дан на конец периода", total.overdue_unanswered),
        ("Доля ответов в срок, %", total.on_time_percent),
        ("Медиана времени ответа, рабочих часов", total.median_hours),
        ("90-й процентиль времени ответа, рабочих часов", total.p90_hours),
        ("Промежуточных ответов (п. 15)", total.interim),
        ("Проектов возвращено на доработку (п. 12)", total.returns_for_rework),
        ("Возвращено куратору как не относящихся к компетенции (п. 9)", total.returns_to_curator),
    ]


NOTES = (
    "Время считается в рабочих часах по графику администрации и производственному календарю. "
    "«Отвечено» — размещён первый ответ (окончательный или промежуточный) в установленный п. 10 срок "
    "или с его нарушением; ответ относится к подразделению, готовившему общий ответ. Доля в срок — ответы, "
    "данные в срок, от всех ответов периода и ответов, просроченных и не данных на конец периода. "
    "Этапы «направление» "
    "и «согласование» выполняет куратор. 90-й процентиль — время, в которое уложились 90 % ответов."
)
