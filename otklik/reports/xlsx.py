"""The monthly summary's data as XLSX: one sheet per table, numbers as numbers (no queries)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import tables as t
from .queries import MonthlyReport

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDE7F0")


def _sheet(ws: Worksheet, title: str, headers: list[str], rows: list[list[t.Cell]]) -> None:
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(headers)
    for cell in ws[2]:
        cell.font = _HEAD
        cell.fill = _FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(list(row))
    for i, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(t.text(r[i - 1])) for r in rows]) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 10), 60)
    ws.freeze_panes = "B3"


def render_xlsx(report: MonthlyReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Сводка"
    _sheet(
        ws,
        f"{report.administration}: сводка за {report.label}",
        ["Показатель", "Значение"],
        [list(r) for r in t.summary_rows(report)],
    )
    ws.append([])
    ws.append(["Период", f"{report.start:%d.%m.%Y} — {report.end:%d.%m.%Y}"])
    ws.append(["Сформировано", t.moment_ru(report.generated_at, report.generated_at)])
    ws.append(["Примечание", t.NOTES])

    _sheet(wb.create_sheet("Подразделения"), "Своевременность по подразделениям", t.DEPARTMENT_HEADERS,
           t.department_rows(report))  # fmt: skip
    rows = [["Всего", *r[:]] for r in t.stage_rows(report)]
    for name, stage_rows in t.department_stage_rows(report):
        rows += [[name, *r] for r in stage_rows]
    _sheet(wb.create_sheet("Этапы"), "Соблюдение сроков по этапам", ["Подразделение", *t.STAGE_HEADERS], rows)
    dyn = wb.create_sheet("Динамика")
    dyn_rows: list[list[t.Cell]] = []
    for what, items in (("Тематика", report.topics), ("Место", report.places), ("Сеть", report.networks)):
        dyn_rows += [[what, *r] for r in t.dynamics_rows(items)]
    headers = ["Разрез", *t.dynamics_headers(report, "Значение")]
    _sheet(dyn, "Динамика обращений", headers, dyn_rows)
    _sheet(wb.create_sheet("Просрочки"), "Наиболее просроченные обращения", t.OVERDUE_HEADERS, t.overdue_rows(report))
    wb.properties.title = f"Сводка за {report.label}"
    wb.properties.creator = "Отклик"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
