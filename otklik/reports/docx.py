"""The monthly summary for the Head as DOCX: the look of an official Russian document.

Times New Roman 14 (tables 8–11), A4 with the usual margins (left 30 mm), the addressee block on
the right, a centred title «СПРАВКА», numbered sections, tables, charts, and the curator's
signature block. Wide tables get a landscape section of their own, with column widths that fit
their content; headings keep with their tables, table rows do not split, header rows repeat.
Text is left-aligned and figures right-aligned. Takes the ``MonthlyReport`` dataclass; never
queries. Text from outside goes through ``safe``.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from . import tables as t
from .charts import all_charts
from .queries import MONTHS_GENITIVE, MonthlyReport
from .safe import cell_text, clean

FONT = "Times New Roman"
PORTRAIT = (Mm(210), Mm(297))
MARGINS = (Mm(30), Mm(15), Mm(20), Mm(20))  # left, right, top, bottom
CELL_LIMIT = 400


def _font(run: Any, size: float = 14, bold: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _para(
    doc: Any,
    text: str = "",
    *,
    size: float = 14,
    bold: bool = False,
    align: Any = None,
    indent: bool = False,
    keep_with_next: bool = False,
) -> Any:
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(0)
    fmt.space_before = Pt(0)
    fmt.keep_with_next = keep_with_next
    if indent:
        fmt.first_line_indent = Mm(12.5)
    if text:
        _font(p.add_run(clean(text)), size, bold)
    return p


def _heading(doc: Any, text: str, size: float = 14) -> None:
    p = _para(doc, text, size=size, bold=True, keep_with_next=True)
    p.paragraph_format.space_before = Pt(6)
    p.paragraph_format.space_after = Pt(3)


def _usable_width(doc: Any) -> int:
    section = doc.sections[-1]
    return int(section.page_width - section.left_margin - section.right_margin)


def _section(doc: Any, *, landscape: bool) -> None:
    """A new page in the orientation asked for (or keep the current section if it already is)."""
    current = doc.sections[-1]
    is_landscape = current.orientation == WD_ORIENT.LANDSCAPE
    if is_landscape == landscape:
        return
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    width, height = PORTRAIT
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = (
        (Mm(20), Mm(20), Mm(30), Mm(15)) if landscape else MARGINS
    )


CELL_MARGIN = Mm(0.9)


def column_widths(
    headers: list[str], rows: list[list[str]], total: int, text_columns: set[int], *, size: float, head_size: float
) -> list[int]:
    """Widths (EMU) that fit the content: a figure column as wide as its longest header word or
    value (no word is broken), the text columns sharing the rest by what they typically hold."""
    head_char, body_char = Pt(head_size * 0.56), Pt(size * 0.5)  # Times New Roman: bold Cyrillic, digits
    slack = 2 * CELL_MARGIN + Mm(1)
    widths = [0] * len(headers)
    wants = {}
    for j, header in enumerate(headers):
        longest_word = max((len(w) for w in header.split()), default=1)
        values = [len(r[j]) for r in rows] or [1]
        if j in text_columns:
            typical = sorted(values)[len(values) * 3 // 4]  # the 75th percentile, not the outlier
            wants[j] = max(min(typical, 40), longest_word, 10)
        else:
            widths[j] = int(max(longest_word * head_char, max(values) * body_char) + slack)
    rest = total - sum(widths)
    minimum = {j: int(max((len(w) for w in headers[j].split()), default=1) * head_char + slack) for j in wants}
    if rest < sum(minimum.values()):  # too many figures for the page: shrink them evenly
        figures = total - sum(minimum.values())
        scale = figures / sum(widths)
        widths = [int(w * scale) for w in widths]
        rest = total - sum(widths)
    for j, want in wants.items():
        widths[j] = int(rest * want / sum(wants.values()))
    twip = 635  # Word keeps widths in twentieths of a point: round down to them, so the sum still fits
    return [w // twip * twip for w in widths]


def _cell_margins(table: Any) -> None:
    props = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        node = OxmlElement(f"w:{side}")
        node.set(qn("w:w"), str(int(CELL_MARGIN.twips)))
        node.set(qn("w:type"), "dxa")
        margins.append(node)
    props.append(margins)


def _repeat_header(row: Any) -> None:
    props = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    props.append(header)


def _no_split(row: Any) -> None:
    props = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    props.append(cant)


def _table(
    doc: Any,
    headers: list[str],
    rows: list[list[t.Cell]],
    *,
    size: float = 10,
    bold_last: bool = False,
    text_columns: set[int] | None = None,
) -> None:
    text_columns = {0} if text_columns is None else text_columns
    head_size = max(size - 1, 7)
    cells_text = [[t.text(cell_text(v, limit=CELL_LIMIT)) for v in values] for values in rows]
    widths = column_widths(headers, cells_text, _usable_width(doc), text_columns, size=size, head_size=head_size)
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid (LibreOffice reads it); the cells' own widths are for Word
    head = table.rows[0]
    _repeat_header(head)
    _no_split(head)
    for j, (cell, header) in enumerate(zip(head.cells, headers, strict=True)):
        cell.text = ""
        cell.width = widths[j]
        paragraph = cell.paragraphs[0]
        _font(paragraph.add_run(header), head_size, bold=True)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = True
    for i, values in enumerate(cells_text):
        row = table.add_row()
        _no_split(row)
        bold = bold_last and i == len(cells_text) - 1
        for j, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.text = ""
            cell.width = widths[j]
            paragraph = cell.paragraphs[0]
            _font(paragraph.add_run(value), size, bold=bold)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if j in text_columns else WD_ALIGN_PARAGRAPH.RIGHT
            if i < 2:  # the heading, the header and the first rows stay on one page
                paragraph.paragraph_format.keep_with_next = True
    if not rows:
        cells = table.add_row().cells
        merged = cells[0].merge(cells[-1])
        _font(merged.paragraphs[0].add_run("Нет данных за период"), size)
    _para(doc)


def render_docx(report: MonthlyReport) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PORTRAIT
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = MARGINS
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    core = doc.core_properties
    core.title = clean(f"Справка о работе с сообщениями из открытых источников — {report.label}", limit=250)
    core.author = "Отклик"
    core.language = "ru-RU"

    right = WD_ALIGN_PARAGRAPH.RIGHT
    _para(doc, "Главе", align=right)
    _para(doc, clean(report.administration, limit=300), align=right)
    if report.addressee:
        _para(doc, report.addressee, align=right)
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
            f"Доля ответов в срок — {t.text(total.on_time_percent)} %. "
            f"Медиана времени ответа (рабочих часов) — {t.text(total.median_hours)}, 90-й процентиль — "
            f"{t.text(total.p90_hours)}.",
            indent=True,
        )
    _para(doc)
    _heading(doc, "1. Общие показатели")
    _table(doc, ["Показатель", "Значение"], [list(r) for r in t.summary_rows(report)], size=11)

    _section(doc, landscape=True)
    _heading(doc, "2. Своевременность по подразделениям")
    _table(doc, t.DEPARTMENT_HEADERS, t.department_rows(report), size=8, bold_last=True)
    _heading(doc, "3. Наиболее просроченные обращения")
    _table(doc, t.OVERDUE_HEADERS, t.overdue_rows(report), size=9, text_columns=t.TEXT_COLUMNS["overdue"])

    _section(doc, landscape=False)
    _heading(doc, "4. Соблюдение сроков по этапам")
    _table(doc, t.STAGE_HEADERS, t.stage_rows(report), size=9)
    for name, rows in t.department_stage_rows(report):
        _heading(doc, clean(name, limit=200), size=12)
        _table(doc, t.STAGE_HEADERS, rows, size=9)
    _heading(doc, "5. Динамика обращений")
    for what, items in (("Тематика", report.topics), ("Место", report.places), ("Сеть", report.networks)):
        _table(doc, t.dynamics_headers(report, what), t.dynamics_rows(items), size=9)

    _heading(doc, "6. Диаграммы")
    for title, png in all_charts(report):
        _para(doc, title, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, keep_with_next=True)
        picture = _para(doc, align=WD_ALIGN_PARAGRAPH.CENTER)
        picture.add_run().add_picture(io.BytesIO(png), width=Mm(160))
    _para(doc)
    _para(doc, t.NOTES, size=10, indent=True)
    _signature(doc, report)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _signature(doc: Any, report: MonthlyReport) -> None:
    _para(doc)
    _para(doc, keep_with_next=True)
    name = report.signatory or "________________"
    _para(doc, f"Куратор\t\t\t\t________________ / {name}", keep_with_next=True)
    generated = report.generated_at
    _para(doc, f"«{generated.day:02d}» {MONTHS_GENITIVE[generated.month - 1]} {generated.year} г.", size=12)
