"""The monthly summary for the Head as DOCX: the look of an official Russian document.

Times New Roman 14 (tables 10), A4 with the usual margins (left 30 mm), the addressee block on the
right, a centred title «СПРАВКА», numbered sections, tables, charts, and the curator's signature
line. Takes the ``MonthlyReport`` dataclass; never queries.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from . import tables as t
from .charts import all_charts
from .queries import MONTHS_GENITIVE, MonthlyReport

FONT = "Times New Roman"


def _font(run, size: float = 14, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _para(doc, text: str = "", *, size: float = 14, bold: bool = False, align=None, indent: bool = False):  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(0)
    fmt.space_before = Pt(0)
    if indent:
        fmt.first_line_indent = Mm(12.5)
    if text:
        _font(p.add_run(text), size, bold)
    return p


def _table(doc, headers: list[str], rows: list[list[t.Cell]], *, size: float = 10, bold_last: bool = False) -> None:  # type: ignore[no-untyped-def]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(header), size, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, values in enumerate(rows):
        cells = table.add_row().cells
        bold = bold_last and i == len(rows) - 1
        for j, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(t.text(value)), size, bold=bold)
            if j:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if not rows:
        cells = table.add_row().cells
        merged = cells[0].merge(cells[-1])
        _font(merged.paragraphs[0].add_run("Нет данных за период"), size)
    _para(doc)


def render_docx(report: MonthlyReport) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    core = doc.core_properties
    core.title = f"Справка о работе с сообщениями из открытых источников — {report.label}"
    core.author = "Отклик"
    core.language = "ru-RU"

    _para(doc, "Главе", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, report.administration, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc)
    _para(doc, "СПРАВКА", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(
        doc,
        "о своевременности и качестве работы структурных подразделений с сообщениями "
        f"из открытых источников за {report.label}",
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _para(doc, "(пункт 21 Регламента)", size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc)

    total = report.total
    assert total is not None
    if report.is_empty:
        _para(doc, f"За {report.label} сообщений, требующих реагирования, не поступало.", indent=True)
    else:
        _para(
            doc,
            f"За {report.label} поступило сообщений из открытых источников: {report.messages_received}; "
            f"выявлено сообщений, требующих реагирования: {report.cases_detected}. Дано ответов: "
            f"{total.answered}, из них в установленный срок — {total.answered_on_time}, с нарушением срока — "
            f"{total.answered_late}; на конец периода просрочено без ответа — {total.overdue_unanswered}. "
            f"Медиана времени ответа (рабочих часов) — {t.text(total.median_hours)}, 90-й процентиль — "
            f"{t.text(total.p90_hours)}.",
            indent=True,
        )
    _para(doc)
    _para(doc, "1. Общие показатели", bold=True)
    _table(doc, ["Показатель", "Значение"], [list(r) for r in t.summary_rows(report)], size=11)

    _para(doc, "2. Своевременность по подразделениям", bold=True)
    _table(doc, t.DEPARTMENT_HEADERS, t.department_rows(report), size=8, bold_last=True)

    _para(doc, "3. Соблюдение сроков по этапам", bold=True)
    _table(doc, t.STAGE_HEADERS, t.stage_rows(report), size=9)
    for name, rows in t.department_stage_rows(report):
        _para(doc, name, size=12, bold=True)
        _table(doc, t.STAGE_HEADERS, rows, size=9)

    _para(doc, "4. Динамика обращений", bold=True)
    for what, items in (("Тематика", report.topics), ("Место", report.places), ("Сеть", report.networks)):
        _table(doc, t.dynamics_headers(report, what), t.dynamics_rows(items), size=9)

    _para(doc, "5. Наиболее просроченные обращения", bold=True)
    _table(doc, t.OVERDUE_HEADERS, t.overdue_rows(report), size=9)

    _para(doc, "6. Диаграммы", bold=True)
    for title, png in all_charts(report):
        _para(doc, title, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)
        doc.add_picture(io.BytesIO(png), width=Mm(160))
    _para(doc)
    _para(doc, t.NOTES, size=10, indent=True)
    _para(doc)
    _para(doc)
    _para(doc, "Куратор                                                  ________________ / ________________")
    generated = report.generated_at
    _para(
        doc,
        f"«{generated.day:02d}» {MONTHS_GENITIVE[generated.month - 1]} {generated.year} г.",
        size=12,
    )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
