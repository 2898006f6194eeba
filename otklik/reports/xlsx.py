"""The monthly summary's data as XLSX, for those who work on the figures (no queries).

One sheet per table; a title row, then a frozen, filterable header row; numbers, changes and
dates are typed cells with Russian-looking number formats; column widths fit their content.
Text from outside is written as a typed string with Excel's quote prefix, so a summary that starts
with ``=`` stays text (``safe.py``).
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import tables as t
from .queries import MonthlyReport
from .safe import XLSX_CELL_LIMIT, clean, is_formula_like

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDE7F0")
_WRAP = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "DD.MM.YYYY HH:MM"
SIGNED_FORMAT = "+0;-0;0"


def _put(cell: XlCell, value: t.Cell) -> None:
    """A typed cell: text is cleaned and can never become a formula."""
    if isinstance(value, str):
        text = clean(value, limit=XLSX_CELL_LIMIT)
        formula_like = is_formula_like(value) or is_formula_like(text)
        if formula_like:
            text = text.lstrip("\t\r\n")
        cell.value = text
        cell.data_type = "s"  # openpyxl would otherwise take a leading «=» for a formula
        if formula_like:
            cell.quotePrefix = True  # Excel and LibreOffice keep it text when the cell is edited
        return
    cell.value = value
    if isinstance(value, dt.datetime):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, t.Signed):
        cell.value = int(value)
        cell.number_format = SIGNED_FORMAT
    elif isinstance(value, float):
        cell.number_format = "0.0#"


def _width(value: t.Cell) -> int:
    if isinstance(value, str):
        return min(len(value), 60)
    return len(t.text(value))


def _sheet(ws: Worksheet, title: str, headers: list[str], rows: list[list[t.Cell]]) -> None:
    _put(ws.cell(row=1, column=1), title)
    ws.cell(row=1, column=1).font = Font(bold=True, size=12)
    for j, header in enumerate(headers, start=1):
        cell = ws.cell(row=2, column=j)
        _put(cell, header)
        cell.font, cell.fill, cell.alignment = _HEAD, _FILL, _WRAP
    for i, values in enumerate(rows, start=3):
        for j, value in enumerate(values, start=1):
            _put(ws.cell(row=i, column=j), value)
    for j, header in enumerate(headers, start=1):
        longest = max([len(w) for w in header.split()] + [_width(r[j - 1]) for r in rows])
        ws.column_dimensions[get_column_letter(j)].width = min(max(longest + 2, 9), 62)
    ws.row_dimensions[2].height = 45 if any(len(h) > 14 for h in headers) else 18
    ws.freeze_panes = "B3"
    ws.print_title_rows = "2:2"  # printed, each page repeats the header and fits the width
    ws.page_setup.orientation = "landscape" if len(headers) > 6 else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A2:{last}{max(len(rows) + 2, 3)}"


def render_xlsx(report: MonthlyReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Сводка"
    _sheet(
        ws,
        f"{report.administration}: сводка за {report.label}",
        ["Показатель", "Значение"],
        [list(r) for r in t.summary_rows(report)],
    )
    _sheet(wb.create_sheet("Подразделения"), "Своевременность по подразделениям", t.DEPARTMENT_HEADERS,
           t.department_rows(report))  # fmt: skip
    rows = [["Всего", *r[:]] for r in t.stage_rows(report)]
    for name, stage_rows in t.department_stage_rows(report):
        rows += [[name, *r] for r in stage_rows]
    _sheet(wb.create_sheet("Этапы"), "Соблюдение сроков по этапам", ["Подразделение", *t.STAGE_HEADERS], rows)
    for sheet, what, items in (
        ("Тематики", "Тематика", report.topics),
        ("Места", "Место", report.places),
        ("Сети", "Сеть", report.networks),
    ):
        _sheet(wb.create_sheet(sheet), f"Динамика обращений: {what.lower()}", t.dynamics_headers(report, what),
               t.dynamics_rows(items))  # fmt: skip
    _sheet(wb.create_sheet("Просрочки"), "Наиболее просроченные обращения", t.OVERDUE_HEADERS, t.overdue_rows(report))
    about = wb.create_sheet("Сведения")
    _sheet(
        about,
        "Сведения о справке",
        ["Сведение", "Значение"],
        [
            ["Администрация", report.administration],
            ["Период с", dt.datetime.combine(report.start, dt.time())],
            ["Период по", dt.datetime.combine(report.end, dt.time())],
            ["Сформировано", report.generated_at.replace(tzinfo=None)],
            ["Примечание", t.NOTES],
        ],
    )
    for row in (4, 5):
        about.cell(row=row, column=2).number_format = "DD.MM.YYYY"
    about.cell(row=7, column=2).alignment = _WRAP
    about.column_dimensions["B"].width = 80
    wb.properties.title = clean(f"Сводка за {report.label}", limit=200)
    wb.properties.creator = "Отклик"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
