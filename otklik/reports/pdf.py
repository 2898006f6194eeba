"""The monthly summary as PDF (fpdf2; DejaVu Sans shipped with matplotlib for Cyrillic, never
downloaded), laid out like the DOCX: the addressee block, «СПРАВКА», numbered sections, the
curator's signature block.

Layout rules: a heading never ends a page — it moves to the next page with the start of its table
or chart (``_keep``); wide tables (the 14 columns by department, the worst overdue cases) go on
landscape pages, the rest on portrait ones; text is left-aligned and figures right-aligned;
charts are scaled to fit the page whole. Takes the dataclass; never queries; text from outside
goes through ``safe``.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout
from fpdf.fonts import FontFace
from PIL import Image

from . import tables as t
from .charts import all_charts
from .queries import MONTHS_GENITIVE, MonthlyReport
from .safe import cell_text, clean

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting chatters at INFO
CELL_LIMIT = 300
HEAD_FILL = (221, 231, 240)


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.cell(0, 8, f"{self.footer_text} — стр. {self.page_no()}", align="C")


def _keep(pdf: FPDF, needed: float) -> None:
    """Start a new page (same orientation) unless ``needed`` mm still fit on this one."""
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page(orientation=str(pdf.cur_orientation.value))


def _orientation(pdf: FPDF, orientation: str) -> None:
    """Continue on a page of ``orientation`` ("P" or "L"): a new page if this one is the other."""
    if str(pdf.cur_orientation.value) != orientation:
        pdf.add_page(orientation=orientation)


def _heading(pdf: FPDF, text: str, *, size: float = 12, then: float = 30) -> None:
    """A heading kept with at least ``then`` mm of what follows it."""
    _keep(pdf, size * 0.5 + 4 + then)
    pdf.set_font("DejaVu", "B", size)
    pdf.multi_cell(0, size * 0.5, clean(text, limit=300), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


PADDING = 0.8
HEAD_SCALE = 0.85  # header rows a little smaller than the figures, so no header word breaks


def column_widths(
    pdf: FPDF, headers: list[str], cells: list[list[str]], text_columns: set[int], size: float
) -> tuple[float, ...]:
    """Figure columns as wide as their longest header word or value (no word is broken); the
    text columns share the rest by what they typically hold."""
    pdf.set_font("DejaVu", "B", size * HEAD_SCALE)
    word = [max(pdf.get_string_width(w) for w in (h.split() or [" "])) for h in headers]
    pdf.set_font("DejaVu", "", size)
    longest = [max([pdf.get_string_width(r[j]) for r in cells] or [0]) for j in range(len(headers))]
    extra = 2 * PADDING + 1.2
    widths = [0.0] * len(headers)
    for j in range(len(headers)):
        if j not in text_columns:
            widths[j] = max(word[j], longest[j]) + extra
    rest = pdf.epw - sum(widths)
    wants = {j: max(min(longest[j], 90.0), word[j], 20.0) for j in text_columns}
    if rest < sum(word[j] + extra for j in text_columns):  # too many figures: shrink them evenly
        figures = pdf.epw - sum(word[j] + extra for j in text_columns)
        scale = figures / sum(w for j, w in enumerate(widths) if j not in text_columns)
        widths = [w * scale for w in widths]
        rest = pdf.epw - sum(widths)
    total_wants = sum(wants.values())
    for j, want in wants.items():
        widths[j] = rest * want / total_wants
    return tuple(widths)


def _table(
    pdf: FPDF,
    headers: list[str],
    rows: list[list[t.Cell]],
    *,
    size: float = 8,
    text_columns: set[int] | None = None,
) -> None:
    text_columns = {0} if text_columns is None else text_columns
    align = tuple("LEFT" if j in text_columns else "RIGHT" for j in range(len(headers)))
    cells = [[t.text(cell_text(v, limit=CELL_LIMIT)) for v in values] for values in rows]
    widths = column_widths(pdf, headers, cells, text_columns, size)
    pdf.set_font("DejaVu", size=size)
    head = FontFace(emphasis="BOLD", fill_color=HEAD_FILL, size_pt=size * HEAD_SCALE)
    with pdf.table(
        col_widths=widths,
        headings_style=head,
        line_height=size * 0.5,
        text_align=align,
        borders_layout=TableBordersLayout.ALL,
        repeat_headings=1,
        padding=PADDING,
    ) as table:
        table.row(headers, style=head)
        for values in cells:
            table.row(values)
        if not rows:
            row = table.row()
            row.cell("Нет данных за период", colspan=len(headers), align=Align.L)
    pdf.ln(4)


def _para(pdf: FPDF, text: str, *, size: float = 11, bold: bool = False, align: str = "J") -> None:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, clean(text), align=align, new_x="LMARGIN", new_y="NEXT")


def render_pdf(report: MonthlyReport) -> bytes:
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(clean(f"Справка за {report.label}", limit=200))
    pdf.set_author("Отклик")
    pdf.set_lang("ru")
    pdf.footer_text = clean(f"{report.administration}: справка за {report.label}", limit=120, one_line=True)
    pdf.set_margins(20, 15, 12)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()

    # the addressee, on the right
    pdf.set_font("DejaVu", "", 11)
    for line in ("Главе", clean(report.administration, limit=300), report.addressee):
        if line:
            pdf.set_x(pdf.l_margin + 95)
            pdf.multi_cell(0, 5.5, line, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    _para(pdf, "СПРАВКА", size=14, bold=True, align="C")
    _para(
        pdf,
        "о своевременности и качестве работы структурных подразделений с сообщениями из открытых "
        f"источников за {report.label}",
        size=11,
        bold=True,
        align="C",
    )
    _para(pdf, "(пункт 21 Регламента)", size=9, align="C")
    pdf.ln(4)
    total = report.total
    assert total is not None
    if report.is_empty:
        _para(pdf, f"За {report.label} сообщений, требующих реагирования, не поступало.")
    else:
        _para(
            pdf,
            f"За {report.label} поступило сообщений из открытых источников: {report.messages_received}; "
            f"выявлено сообщений, требующих реагирования: {report.cases_detected}. Дано ответов: "
            f"{total.answered}, из них в установленный срок — {total.answered_on_time}, с нарушением срока — "
            f"{total.answered_late}; на конец периода просрочено без ответа — {total.overdue_unanswered}. "
            f"Доля ответов в срок — {t.text(total.on_time_percent)} %.",
            size=10,
        )
    pdf.ln(4)
    _heading(pdf, "1. Общие показатели")
    _table(pdf, ["Показатель", "Значение"], [list(r) for r in t.summary_rows(report)], size=9)

    _orientation(pdf, "L")
    _heading(pdf, "2. Своевременность по подразделениям", then=45)
    _table(pdf, t.DEPARTMENT_HEADERS, t.department_rows(report), size=7)
    _heading(pdf, "3. Наиболее просроченные обращения")
    _table(pdf, t.OVERDUE_HEADERS, t.overdue_rows(report), size=7.5, text_columns=t.TEXT_COLUMNS["overdue"])

    _orientation(pdf, "P")
    _heading(pdf, "4. Соблюдение сроков по этапам")
    _table(pdf, t.STAGE_HEADERS, t.stage_rows(report), size=7.5)
    for name, rows in t.department_stage_rows(report):
        _heading(pdf, name, size=10, then=25)
        _table(pdf, t.STAGE_HEADERS, rows, size=7.5)
    _heading(pdf, "5. Динамика обращений")
    for what, items in (("Тематика", report.topics), ("Место", report.places), ("Сеть", report.networks)):
        _keep(pdf, 25)
        _table(pdf, t.dynamics_headers(report, what), t.dynamics_rows(items), size=7.5)

    width = pdf.epw
    for i, (title, png) in enumerate(all_charts(report)):
        with Image.open(io.BytesIO(png)) as picture:
            px_w, px_h = picture.size
        w = width
        h = w * px_h / px_w
        if h > pdf.eph - 30:  # taller than a page: scale down, whole
            h = pdf.eph - 30
            w = h * px_w / px_h
        if i == 0:
            _heading(pdf, "6. Диаграммы", then=h + 12)
        _keep(pdf, h + 10)
        _para(pdf, title, size=10, align="C")
        pdf.image(io.BytesIO(png), x=pdf.l_margin + (width - w) / 2, w=w, h=h)
        pdf.ln(4)

    _keep(pdf, 45)
    pdf.set_font("DejaVu", "", 7.5)
    pdf.multi_cell(0, 3.8, t.NOTES, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(40, 6, "Куратор")
    pdf.cell(60, 6, "________________")
    pdf.cell(0, 6, f"/ {report.signatory or '________________'}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    generated = report.generated_at
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, f"«{generated.day:02d}» {MONTHS_GENITIVE[generated.month - 1]} {generated.year} г.",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())
